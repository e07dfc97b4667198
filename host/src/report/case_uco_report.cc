#include "report/case_uco_report.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <map>

#include "core/hash.h"
#include "report/text_encoding.h"

namespace interdict {
namespace {

using json = nlohmann::json;

// RFC 4122 Appendix C: the URL namespace.
constexpr std::array<uint8_t, 16> kUrlNamespace = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                                   0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

// Maps our job outcomes onto UCO's ActionStatusTypeVocab.
std::string ActionStatus(const std::string& outcome) {
  if (outcome == "completed") return "Success";
  if (outcome == "running") return "Ongoing";
  if (outcome == "corrupt-input") return "Complete/Finish";
  if (outcome == "plugin-error" || outcome == "crashed") return "Error";
  return "Fail";
}

json Typed(std::string_view type, std::string value) { return {{"@type", type}, {"@value", std::move(value)}}; }
json Ref(const std::string& id) { return {{"@id", id}}; }

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string case_uuid) : case_uuid_(std::move(case_uuid)) {}
  // kb:<type>-<uuid>, stable for (case, type, key).
  std::string Id(std::string_view type, std::string_view key) const {
    return "kb:" + std::string(type) + "-" + NameBasedUuid(case_uuid_ + "/" + std::string(type) + "/" + std::string(key));
  }
  void Add(json node) { graph_.push_back(std::move(node)); }
  json Take() { return std::move(graph_); }

 private:
  std::string case_uuid_;
  json graph_ = json::array();
};

// A date-time literal only when the text is one; SHACL rejects malformed xsd:dateTime values.
bool LooksLikeDateTime(const std::string& text) {
  return text.size() >= 20 && text.size() <= 40 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
         text[13] == ':' && text[16] == ':' && text.back() == 'Z';
}

json FileNode(GraphBuilder& graph, const std::string& key, const std::string& file_name, uint64_t size,
              const std::vector<std::pair<std::string, std::string>>& hashes) {
  json hash_nodes = json::array();
  for (const auto& [method, value] : hashes) {
    if (value.empty()) continue;
    hash_nodes.push_back({{"@id", graph.Id("hash", key + "/" + method)},
                          {"@type", "uco-types:Hash"},
                          {"uco-types:hashMethod", method},
                          {"uco-types:hashValue", Typed("xsd:hexBinary", value)}});
  }
  json content = {{"@id", graph.Id("content-data-facet", key)},
                  {"@type", "uco-observable:ContentDataFacet"},
                  {"uco-observable:sizeInBytes", Typed("xsd:integer", std::to_string(size))}};
  if (!hash_nodes.empty()) content["uco-observable:hash"] = hash_nodes;
  return {{"@id", graph.Id("file", key)},
          {"@type", "uco-observable:File"},
          {"uco-core:hasFacet",
           json::array({{{"@id", graph.Id("file-facet", key)},
                         {"@type", "uco-observable:FileFacet"},
                         {"uco-observable:fileName", file_name},
                         {"uco-observable:sizeInBytes", Typed("xsd:integer", std::to_string(size))}},
                        content})}};
}

// Hex digests of a stored artifact under UCO's HashNameVocab names.
std::vector<std::pair<std::string, std::string>> ArtifactHashes(const ArtifactRecord& a) {
  return {{"MD5", a.md5}, {"SHA1", a.sha1}, {"SHA256", a.sha256}};
}

bool IsHexDigest(const std::string& text) {
  if (text.empty() || text.size() % 2 != 0 || text.size() > 128) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string NameBasedUuid(std::string_view name) {
  MultiHasher hasher({HashAlgorithm::kSha1});
  hasher.Update(kUrlNamespace.data(), kUrlNamespace.size());
  hasher.Update(name.data(), name.size());
  Result<std::vector<uint8_t>> digest = FromHex(hasher.Finish().sha1);
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < bytes.size() && digest.ok() && i < digest->size(); ++i) bytes[i] = (*digest)[i];
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x50);  // version 5
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string hex = ToHex(bytes.data(), bytes.size());
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

json BuildCaseUcoDocument(const ReportModel& model) {
  GraphBuilder graph(model.info.case_uuid);
  const std::string tool_id = graph.Id("tool", "interdict");
  graph.Add({{"@id", tool_id},
             {"@type", "uco-tool:Tool"},
             {"uco-core:name", model.tool.program},
             {"uco-tool:version", model.tool.version},
             {"uco-tool:toolType", "Forensic acquisition and analysis"}});
  const std::string examiner_id = graph.Id("person", model.info.examiner);
  graph.Add({{"@id", examiner_id}, {"@type", "uco-identity:Person"}, {"uco-core:name", model.info.examiner}});

  std::map<std::pair<std::string, std::string>, std::string> configured_tool_ids;
  for (const PluginRun& run : model.plugin_runs) {
    const std::string key = run.plugin_id + "@" + run.plugin_version;
    const std::string id = graph.Id("configured-tool", key);
    configured_tool_ids[{run.plugin_id, run.plugin_version}] = id;
    json node = {{"@id", id},
                 {"@type", "uco-tool:ConfiguredTool"},
                 {"uco-core:name", run.plugin_id},
                 {"uco-tool:version", run.plugin_version},
                 {"uco-configuration:isConfigurationOf", Ref(tool_id)}};
    json entries = json::array();
    for (const auto& [pack, digest] : run.pack_digests.items()) {
      entries.push_back({{"@id", graph.Id("configuration-entry", key + "/" + pack)},
                         {"@type", "uco-configuration:ConfigurationEntry"},
                         {"uco-configuration:itemName", "pack-sha256:" + pack},
                         {"uco-configuration:itemValue",
                          digest.is_string() ? digest.get<std::string>()
                                             : digest.dump(-1, ' ', false, json::error_handler_t::replace)}});
    }
    if (!entries.empty()) {
      node["uco-configuration:usesConfiguration"] = {{"@id", graph.Id("configuration", key)},
                                                     {"@type", "uco-configuration:Configuration"},
                                                     {"uco-configuration:configurationEntry", entries}};
    }
    graph.Add(std::move(node));
  }

  // Files: stored artifacts, and evidence items (their image when stored, else a File for the source).
  std::map<std::string, std::string> file_id_by_sha;
  for (const ReportFile& file : model.files) {
    const std::string name = file.names.empty() ? file.artifact.sha256
                             : file.names.front().location.empty() ? file.names.front().name
                                                                   : file.names.front().location;
    json node = FileNode(graph, file.artifact.sha256, name, file.artifact.size, ArtifactHashes(file.artifact));
    file_id_by_sha[file.artifact.sha256] = node["@id"];
    graph.Add(std::move(node));
  }
  std::map<int64_t, std::string> evidence_object_ids;
  for (const ReportEvidence& e : model.evidence) {
    std::string object_id;
    if (auto it = file_id_by_sha.find(e.record.artifact_sha256); it != file_id_by_sha.end()) {
      object_id = it->second;
    } else {
      std::vector<std::pair<std::string, std::string>> hashes;
      for (const auto& [algorithm, digest] : e.acquisition.hashes) {
        std::string method = algorithm == "sha256" ? "SHA256" : algorithm == "sha1" ? "SHA1" : algorithm == "md5" ? "MD5" : "";
        if (!method.empty() && IsHexDigest(digest)) hashes.emplace_back(method, digest);
      }
      json node = FileNode(graph, "evidence/" + e.record.uuid, e.record.label,
                           e.acquisition.size_bytes.value_or(e.artifact ? e.artifact->size : 0), hashes);
      object_id = node["@id"];
      graph.Add(std::move(node));
    }
    evidence_object_ids[e.record.id] = object_id;
    graph.Add({{"@id", graph.Id("provenance-record", e.record.uuid)},
               {"@type", "case-investigation:ProvenanceRecord"},
               {"case-investigation:exhibitNumber", e.record.label},
               {"uco-core:description", e.record.kind + " from " + e.record.source},
               {"uco-core:object", json::array({Ref(object_id)})}});
  }

  std::map<int64_t, json> findings_by_job;
  for (const ReportFinding& f : model.findings) {
    const FindingRecord& r = f.record;
    const std::string id = graph.Id("assertion", std::to_string(r.id));
    graph.Add({{"@id", id},
               {"@type", "uco-core:Assertion"},
               {"uco-core:name", r.kind},
               {"uco-core:statement", json::array({r.severity + ": " + r.summary, "location: " + r.location})}});
    if (r.job_id.has_value()) findings_by_job[*r.job_id].push_back(Ref(id));
  }

  for (const JobRecord& j : model.jobs) {
    json action = {{"@id", graph.Id("investigative-action", std::to_string(j.id))},
                   {"@type", "case-investigation:InvestigativeAction"},
                   {"uco-core:name", "plugin run: " + j.plugin_id},
                   {"uco-core:description", "outcome " + j.outcome + (j.message.empty() ? "" : ": " + j.message)},
                   {"uco-action:actionStatus", ActionStatus(j.outcome)},
                   {"uco-action:performer", Ref(examiner_id)},
                   {"uco-action:instrument", Ref(configured_tool_ids[{j.plugin_id, j.plugin_version}])}};
    if (LooksLikeDateTime(j.started_utc)) action["uco-action:startTime"] = Typed("xsd:dateTime", j.started_utc);
    if (LooksLikeDateTime(j.finished_utc)) action["uco-action:endTime"] = Typed("xsd:dateTime", j.finished_utc);
    json objects = json::array();
    if (auto it = file_id_by_sha.find(j.input_sha256); it != file_id_by_sha.end()) {
      objects.push_back(Ref(it->second));
    } else if (j.evidence_id.has_value() && evidence_object_ids.count(*j.evidence_id) != 0) {
      objects.push_back(Ref(evidence_object_ids[*j.evidence_id]));
    }
    if (!objects.empty()) action["uco-action:object"] = objects;
    if (auto it = findings_by_job.find(j.id); it != findings_by_job.end()) action["uco-action:result"] = it->second;
    graph.Add(std::move(action));
  }

  json report_action = {{"@id", graph.Id("investigative-action", "report/" + model.generated_utc)},
                        {"@type", "case-investigation:InvestigativeAction"},
                        {"uco-core:name", "report"},
                        {"uco-core:description", "CASE/UCO export of case " + model.info.case_number +
                                                     "; audit chain head " + model.audit.head.entry_hash},
                        {"uco-action:actionStatus", "Success"},
                        {"uco-action:performer", Ref(examiner_id)},
                        {"uco-action:instrument", Ref(tool_id)}};
  if (LooksLikeDateTime(model.generated_utc)) {
    report_action["uco-action:startTime"] = Typed("xsd:dateTime", model.generated_utc);
  }
  graph.Add(std::move(report_action));

  return {{"@context",
           {{"kb", "urn:interdict:kb:"},
            {"case-investigation", "https://ontology.caseontology.org/case/investigation/"},
            {"uco-action", "https://ontology.unifiedcyberontology.org/uco/action/"},
            {"uco-configuration", "https://ontology.unifiedcyberontology.org/uco/configuration/"},
            {"uco-core", "https://ontology.unifiedcyberontology.org/uco/core/"},
            {"uco-identity", "https://ontology.unifiedcyberontology.org/uco/identity/"},
            {"uco-observable", "https://ontology.unifiedcyberontology.org/uco/observable/"},
            {"uco-tool", "https://ontology.unifiedcyberontology.org/uco/tool/"},
            {"uco-types", "https://ontology.unifiedcyberontology.org/uco/types/"},
            {"xsd", "http://www.w3.org/2001/XMLSchema#"}}},
          {"@graph", graph.Take()}};
}

std::string RenderCaseUco(const ReportModel& model) {
  return BuildCaseUcoDocument(model).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace interdict
