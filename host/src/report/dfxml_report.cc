#include "report/dfxml_report.h"

#include <cctype>
#include <cstdlib>
#include <map>

#include "report/text_encoding.h"

namespace interdict {
namespace {

class XmlBuilder {
 public:
  void Raw(std::string_view xml) { out_ += xml; }
  // <tag>escaped text</tag>; tag names are ours, never from evidence.
  void Element(std::string_view tag, std::string_view text, std::string_view attributes = "") {
    out_ += "<";
    out_ += tag;
    out_ += attributes;
    out_ += ">";
    out_ += XmlEscape(text);
    out_ += "</";
    out_ += tag;
    out_ += ">\n";
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Attr(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + XmlEscape(value) + "\"";
}

void WriteCreator(XmlBuilder& xml, const ReportModel& model) {
  const ToolInfo& tool = model.tool;
  xml.Raw("<creator>\n");
  xml.Element("program", tool.program);
  xml.Element("version", tool.version);
  xml.Raw("<build_environment>\n");
  for (const auto& [name, version] : tool.libraries) {
    if (name == "compiler") xml.Element("compiler", version);
  }
  xml.Raw("</build_environment>\n<execution_environment>\n");
  xml.Element("os_sysname", tool.os_sysname);
  xml.Element("os_release", tool.os_release);
  xml.Element("os_version", tool.os_version);
  xml.Element("host", tool.host);
  xml.Element("arch", tool.arch);
  if (!tool.command_line.empty()) xml.Element("command_line", tool.command_line);
  xml.Element("start_time", tool.started_utc);
  xml.Raw("</execution_environment>\n");
  for (const auto& [name, version] : tool.libraries) {
    if (name != "compiler") xml.Raw("<library" + Attr("name", name) + Attr("version", version) + "/>\n");
  }
  xml.Raw("</creator>\n");
}

void WriteFinding(XmlBuilder& xml, const ReportFinding& f) {
  const FindingRecord& r = f.record;
  xml.Element("interdict:finding", r.summary,
              Attr("id", std::to_string(r.id)) + Attr("kind", r.kind) + Attr("severity", r.severity) +
                  Attr("plugin", r.plugin_id + "@" + r.plugin_version) + Attr("location", r.location) +
                  (f.rule.empty() ? "" : Attr("rule", f.rule)));
}

void WriteFileObject(XmlBuilder& xml, const ReportFile& file, const std::vector<const ReportFinding*>& findings) {
  const ArtifactRecord& a = file.artifact;
  xml.Raw("<fileobject>\n");
  std::optional<uint64_t> image_offset;
  for (const ArtifactName& name : file.names) {
    xml.Element("filename", name.location.empty() ? name.name : name.location);
    if (!image_offset) image_offset = ImageOffsetFromLocation(name.location);
  }
  xml.Element("filesize", std::to_string(a.size));
  if (image_offset.has_value()) {
    xml.Raw("<byte_runs><byte_run file_offset=\"0\" img_offset=\"" + std::to_string(*image_offset) + "\" len=\"" +
            std::to_string(a.size) + "\"/></byte_runs>\n");
  }
  if (!a.md5.empty()) xml.Element("hashdigest", a.md5, " type=\"md5\"");
  if (!a.sha1.empty()) xml.Element("hashdigest", a.sha1, " type=\"sha1\"");
  xml.Element("hashdigest", a.sha256, " type=\"sha256\"");
  for (const ReportFinding* f : findings) WriteFinding(xml, *f);
  xml.Raw("</fileobject>\n");
}

}  // namespace

std::optional<uint64_t> ImageOffsetFromLocation(std::string_view location) {
  if (location.find(" > ") != std::string_view::npos) return std::nullopt;
  const size_t at = location.find("@0x");
  if (at == std::string_view::npos) return std::nullopt;
  std::string digits;
  for (size_t i = at + 3; i < location.size() && std::isxdigit(static_cast<unsigned char>(location[i])); ++i) {
    digits += location[i];
  }
  if (digits.empty() || digits.size() > 16) return std::nullopt;
  return std::strtoull(digits.c_str(), nullptr, 16);
}

std::string RenderDfxml(const ReportModel& model) {
  XmlBuilder xml;
  xml.Raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  xml.Raw(std::string("<dfxml xmlns=\"") + kDfxmlNamespace +
          "\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:interdict=\"" + kInterdictDfxmlNamespace +
          "\" version=\"" + kDfxmlVersion + "\">\n");
  xml.Raw("<metadata>\n");
  xml.Element("dc:type", "Forensic analysis inventory");
  xml.Element("dc:identifier", "urn:uuid:" + model.info.case_uuid);
  xml.Element("dc:description", "Case " + model.info.case_number + ": " + model.info.description);
  xml.Raw("</metadata>\n");
  WriteCreator(xml, model);
  xml.Raw("<source>\n");
  for (const ReportEvidence& e : model.evidence) xml.Element("image_filename", e.record.label + " (" + e.record.source + ")");
  xml.Raw("</source>\n");

  std::map<std::string, std::vector<const ReportFinding*>> findings_by_artifact;
  std::vector<const ReportFinding*> findings_elsewhere;
  for (const ReportFinding& f : model.findings) {
    if (f.record.artifact_sha256.empty()) {
      findings_elsewhere.push_back(&f);
    } else {
      findings_by_artifact[f.record.artifact_sha256].push_back(&f);
    }
  }
  for (const ReportFile& file : model.files) {
    auto it = findings_by_artifact.find(file.artifact.sha256);
    WriteFileObject(xml, file, it == findings_by_artifact.end() ? std::vector<const ReportFinding*>{} : it->second);
    if (it != findings_by_artifact.end()) findings_by_artifact.erase(it);
  }
  // Findings on artifacts the case does not hold (or on no artifact) still belong in the export.
  for (const auto& [sha, findings] : findings_by_artifact) {
    for (const ReportFinding* f : findings) findings_elsewhere.push_back(f);
  }
  for (const ReportFinding* f : findings_elsewhere) WriteFinding(xml, *f);
  for (const JobRecord& j : model.jobs) {
    xml.Element("interdict:job", j.message,
                Attr("id", std::to_string(j.id)) + Attr("plugin", j.plugin_id) + Attr("version", j.plugin_version) +
                    Attr("outcome", j.outcome) + Attr("attempts", std::to_string(j.attempts)) +
                    Attr("input_sha256", j.input_sha256) + Attr("started", j.started_utc) +
                    Attr("finished", j.finished_utc) +
                    Attr("pack_digests", j.pack_digests.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  }
  xml.Element("interdict:audit_head", model.audit.head.entry_hash,
              Attr("seq", std::to_string(model.audit.head.seq)) +
                  Attr("seals", std::to_string(model.audit.seals.size())));
  xml.Raw("</dfxml>\n");
  return xml.Take();
}

}  // namespace interdict
