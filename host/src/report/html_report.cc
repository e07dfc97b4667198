#include "report/html_report.h"

#include <cstdio>
#include <map>
#include <string_view>

#include "report/text_encoding.h"

namespace interdict {
namespace {

// Inline so the file stays self-contained; print rules keep findings whole and tables readable on A4.
constexpr std::string_view kStyle = R"css(
:root { --ink:#1b1f23; --muted:#57606a; --line:#d0d7de; --warn:#9a6700; --high:#b42318; --ok:#1a7f37; }
body { font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink); margin: 2em auto;
       max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.6em; margin: 0 0 .3em; } h2 { border-bottom: 2px solid var(--ink); padding-bottom: .2em;
margin-top: 2em; } h3 { margin: 1.2em 0 .4em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid var(--line); padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code, .mono, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .9em;
                   overflow-wrap: anywhere; }
pre.hexdump { background: #f6f8fa; border: 1px solid var(--line); padding: .5em; white-space: pre; overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .5em 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--muted); padding: .5em .8em; margin: .6em 0; }
.finding.severity-high { border-left-color: var(--high); } .finding.severity-warning { border-left-color: var(--warn); }
.location { color: var(--muted); overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .4em; border-radius: 3px; background: #eaeef2; font-size: .85em; }
.badge.high, .bad { color: #fff; background: var(--high); } .badge.warning { background: #fff8c5; }
.good { color: #fff; background: var(--ok); }
.picture { display: inline-block; margin: .3em .6em .3em 0; text-align: center; }
.picture img { max-width: 420px; max-height: 320px; border: 1px solid var(--line); }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 3em; color: var(--muted); font-size: .85em; border-top: 1px solid var(--line); }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2 { break-after: avoid; } .finding, tr, .picture, pre.hexdump { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .picture img { max-width: 80mm; }
}
)css";

class HtmlBuilder {
 public:
  void Raw(std::string_view html) { out_ += html; }
  void Text(std::string_view text) { out_ += HtmlEscape(text); }
  void Element(std::string_view tag, std::string_view text, std::string_view attributes = "") {
    out_ += "<";
    out_ += tag;
    if (!attributes.empty()) {
      out_ += ' ';
      out_ += attributes;
    }
    out_ += ">";
    Text(text);
    out_ += "</";
    out_ += tag;
    out_ += ">";
  }
  void Fact(std::string_view term, std::string_view value, bool mono = false) {
    Element("dt", term);
    Element("dd", value, mono ? "class=\"mono\"" : "");
  }
  void BeginSection(std::string_view id, std::string_view title, size_t count) {
    out_ += "<section id=\"" + std::string(id) + "\" data-count=\"" + std::to_string(count) + "\">";
    Element("h2", std::string(title) + " (" + std::to_string(count) + ")");
  }
  void EndSection() { out_ += "</section>\n"; }
  void Empty(std::string_view text) { Element("p", text, "class=\"empty\""); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Attribute values built only from our own fixed vocabulary or escaped text.
std::string Attr(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + HtmlEscape(value) + "\"";
}

std::string FormatMm(double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.3f mm", value);
  return buffer;
}

std::string EvidenceTitle(const ReportModel& model, std::optional<int64_t> evidence_id) {
  if (!evidence_id.has_value()) return "Not tied to an evidence item";
  for (const ReportEvidence& e : model.evidence) {
    if (e.record.id == *evidence_id) return "Evidence " + e.record.label + " (" + e.record.kind + ")";
  }
  return "Evidence #" + std::to_string(*evidence_id) + " (not in the evidence list)";
}

void WriteHeader(HtmlBuilder& html, const ReportModel& model) {
  html.Raw("<header id=\"case-header\">");
  html.Element("h1", "Forensic examination report: case " + model.info.case_number);
  html.Raw("<dl class=\"facts\">");
  html.Fact("Case number", model.info.case_number);
  html.Fact("Case UUID", model.info.case_uuid, true);
  html.Fact("Examiner", model.info.examiner);
  html.Fact("Description", model.info.description);
  html.Fact("Case opened (UTC)", model.info.created_utc);
  html.Fact("Report generated (UTC)", model.generated_utc);
  html.Fact("Tool", model.tool.program + " " + model.tool.version + " (case created with " + model.info.tool_version + ")");
  html.Raw("</dl></header>\n");
}

void WriteSummary(HtmlBuilder& html, const ReportModel& model) {
  size_t problems = 0, timeouts = 0, quarantined = 0;
  for (const JobRecord& job : model.jobs) {
    problems += IsProblemOutcome(job.outcome);
    timeouts += IsTimeoutOutcome(job.outcome);
    quarantined += IsQuarantineOutcome(job.outcome);
  }
  html.Raw("<section id=\"summary\" data-count=\"" + std::to_string(model.findings.size()) + "\">");
  html.Element("h2", "Summary");
  html.Raw("<dl class=\"facts\">");
  html.Fact("Evidence items", std::to_string(model.evidence.size()));
  html.Fact("Plugin jobs", std::to_string(model.jobs.size()));
  html.Fact("Findings", std::to_string(model.findings.size()));
  html.Fact("Jobs that did not complete", std::to_string(problems) + " (" + std::to_string(timeouts) + " timed out, " +
                                              std::to_string(quarantined) + " quarantined)");
  const bool chain_ok = model.audit.verification_run && model.audit.problems.empty();
  html.Fact("Audit chain", !model.audit.verification_run ? "not verified for this report"
                           : chain_ok                    ? "verified"
                                                         : "VERIFICATION FAILED");
  html.Raw("</dl>");
  if (problems > 0) {
    html.Element("p", "Analysis is incomplete: " + std::to_string(problems) +
                          " job(s) did not complete; see \"Failures, timeouts and quarantined jobs\".",
                 "class=\"badge warning\"");
  }
  html.EndSection();
}

void WriteEvidence(HtmlBuilder& html, const ReportModel& model) {
  html.BeginSection("evidence", "Evidence", model.evidence.size());
  if (model.evidence.empty()) html.Empty("No evidence in this case.");
  for (const ReportEvidence& e : model.evidence) {
    html.Raw("<article class=\"evidence\" " + Attr("data-evidence-id", std::to_string(e.record.id)) + ">");
    html.Element("h3", e.record.label);
    html.Raw("<dl class=\"facts\">");
    html.Fact("Kind", e.record.kind);
    html.Fact("Source", e.record.source, true);
    html.Fact("UUID", e.record.uuid, true);
    html.Fact("Added (UTC)", e.record.added_utc);
    const AcquisitionSummary& a = e.acquisition;
    for (const auto& [key, value] : a.device) html.Fact("Device " + key, value);
    if (a.size_bytes.has_value()) html.Fact("Size", HumanBytes(*a.size_bytes));
    for (const auto& [algorithm, digest] : a.hashes) html.Fact("Acquisition " + algorithm, digest, true);
    if (e.artifact.has_value()) {
      html.Fact("Stored SHA-256", e.artifact->sha256, true);
      if (!e.artifact->md5.empty()) html.Fact("Stored MD5", e.artifact->md5, true);
      if (!e.artifact->sha1.empty()) html.Fact("Stored SHA-1", e.artifact->sha1, true);
    }
    html.Fact("Verification", a.verification + (a.verification_detail.empty() ? "" : ": " + a.verification_detail));
    html.Fact("Unreadable ranges", std::to_string(a.bad_ranges_total) + " (" + HumanBytes(a.bad_bytes_total) +
                                       " zero-filled)");
    html.Raw("</dl>");
    if (!a.bad_ranges.empty()) {
      html.Raw("<table class=\"bad-ranges\"><tr><th>Offset</th><th>Length</th></tr>");
      for (const ByteRange& r : a.bad_ranges) {
        html.Raw("<tr><td class=\"mono\">" + HexOffset(r.offset) + "</td><td>" + std::to_string(r.length) + "</td></tr>");
      }
      html.Raw("</table>");
      if (a.bad_ranges_total > a.bad_ranges.size()) {
        html.Empty(std::to_string(a.bad_ranges_total - a.bad_ranges.size()) +
                   " further ranges are in the acquisition map (not listed here).");
      }
    }
    html.Raw("</article>\n");
  }
  html.EndSection();
}

void WritePlugins(HtmlBuilder& html, const ReportModel& model) {
  html.BeginSection("plugins", "Plugins run", model.plugin_runs.size());
  if (model.plugin_runs.empty()) {
    html.Empty("No plugin has run on this case.");
  } else {
    html.Raw("<table><tr><th>Plugin</th><th>Version</th><th>Jobs</th><th>Completed</th><th>Did not complete</th>"
             "<th>Findings</th><th>Rule / template packs (SHA-256)</th></tr>");
    for (const PluginRun& run : model.plugin_runs) {
      html.Raw("<tr class=\"plugin-run\">");
      html.Element("td", run.plugin_id, "class=\"mono\"");
      html.Element("td", run.plugin_version);
      html.Element("td", std::to_string(run.jobs));
      html.Element("td", std::to_string(run.completed));
      html.Element("td", std::to_string(run.problems));
      html.Element("td", std::to_string(run.findings));
      html.Raw("<td>");
      for (const auto& [pack, digest] : run.pack_digests.items()) {
        html.Element("div", pack + ": " + (digest.is_string() ? digest.get<std::string>() : digest.dump()),
                     "class=\"mono pack\"");
      }
      html.Raw("</td></tr>");
    }
    html.Raw("</table>");
  }
  html.EndSection();
}

void WriteFinding(HtmlBuilder& html, const ReportFinding& f) {
  const FindingRecord& r = f.record;
  html.Raw("<article class=\"finding severity-" + HtmlEscape(r.severity) + "\" " + Attr("data-kind", r.kind) + " " +
           Attr("data-finding-id", std::to_string(r.id)) + ">");
  html.Raw("<p>");
  html.Element("span", r.severity, Attr("class", "badge " + r.severity));
  html.Raw(" ");
  html.Element("strong", r.kind);
  html.Raw(" ");
  html.Text(r.summary);
  html.Raw("</p>");
  html.Element("p", r.location, "class=\"location mono\"");
  html.Raw("<dl class=\"facts\">");
  html.Fact("Plugin", r.plugin_id + " " + r.plugin_version);
  if (!f.rule.empty()) html.Fact("Rule", f.rule, true);
  if (!f.template_name.empty()) html.Fact("Template", f.template_name);
  for (const DistanceMm& d : f.distances_mm) html.Fact(d.name, FormatMm(d.value));
  if (!r.artifact_sha256.empty()) html.Fact("Input SHA-256", r.artifact_sha256, true);
  html.Raw("</dl>");
  for (const HexExcerpt& x : f.excerpts) {
    html.Element("div", x.label + " at " + HexOffset(x.offset) + (x.truncated ? " (excerpt shortened)" : ""),
                 "class=\"excerpt-label mono\"");
    html.Element("pre", HexAsciiDump(x.bytes, x.offset), "class=\"hexdump\"");
  }
  for (const ReportPicture& p : f.pictures) {
    html.Raw("<figure class=\"picture\">");
    if (!p.data_uri.empty()) {
      // data_uri is built by DataUri from base64 and a fixed list of picture types: no markup possible.
      html.Raw("<img " + Attr("src", p.data_uri) + " " + Attr("alt", p.role + " " + p.name) + ">");
    } else {
      html.Element("div", "picture not embedded: " + p.omitted_reason, "class=\"empty\"");
    }
    html.Element("figcaption", p.role + (p.name.empty() ? "" : ": " + p.name) + " sha256 " + p.sha256,
                 "class=\"mono\"");
    html.Raw("</figure>");
  }
  html.Raw("</article>\n");
}

void WriteFindings(HtmlBuilder& html, const ReportModel& model) {
  html.BeginSection("findings", "Findings by evidence", model.findings.size());
  if (model.findings.empty()) html.Empty("No findings.");
  for (size_t i = 0; i < model.findings.size();) {
    const std::optional<int64_t> evidence_id = model.findings[i].record.evidence_id;
    size_t end = i;
    while (end < model.findings.size() && model.findings[end].record.evidence_id == evidence_id) ++end;
    html.Raw("<div class=\"finding-group\" " +
             Attr("data-evidence-id", evidence_id ? std::to_string(*evidence_id) : std::string("none")) + " " +
             Attr("data-count", std::to_string(end - i)) + ">");
    html.Element("h3", EvidenceTitle(model, evidence_id) + ": " + std::to_string(end - i) + " finding(s)");
    for (; i < end; ++i) WriteFinding(html, model.findings[i]);
    html.Raw("</div>\n");
  }
  html.EndSection();
}

void WriteProblems(HtmlBuilder& html, const ReportModel& model) {
  std::vector<const JobRecord*> problems;
  for (const JobRecord& job : model.jobs) {
    if (IsProblemOutcome(job.outcome)) problems.push_back(&job);
  }
  html.BeginSection("problems", "Failures, timeouts and quarantined jobs", problems.size());
  if (problems.empty()) {
    html.Empty("Every job completed.");
  } else {
    html.Raw("<table><tr><th>Job</th><th>Plugin</th><th>Outcome</th><th>Attempts</th><th>Input SHA-256</th>"
             "<th>Started / finished (UTC)</th><th>Message</th></tr>");
    for (const JobRecord* job : problems) {
      html.Raw("<tr class=\"problem-job\" " + Attr("data-outcome", job->outcome) + ">");
      html.Element("td", std::to_string(job->id));
      html.Element("td", job->plugin_id + " " + job->plugin_version, "class=\"mono\"");
      html.Element("td", job->outcome, "class=\"outcome\"");
      html.Element("td", std::to_string(job->attempts));
      html.Element("td", job->input_sha256, "class=\"mono\"");
      html.Element("td", job->started_utc + " / " + (job->finished_utc.empty() ? "-" : job->finished_utc));
      html.Element("td", job->message);
      html.Raw("</tr>");
    }
    html.Raw("</table>");
  }
  html.EndSection();
}

void WriteAudit(HtmlBuilder& html, const ReportModel& model) {
  const AuditSummary& audit = model.audit;
  html.BeginSection("audit", "Audit trail", static_cast<size_t>(audit.record_count));
  html.Raw("<dl class=\"facts\">");
  html.Fact("Records", std::to_string(audit.record_count));
  html.Fact("Chain head sequence", std::to_string(audit.head.seq));
  html.Raw("<dt>Chain head SHA-256</dt><dd class=\"mono\" id=\"audit-head\">" + HtmlEscape(audit.head.entry_hash) +
           "</dd>");
  html.Fact("Verification", !audit.verification_run ? "not run"
                            : audit.problems.empty() ? "chain and seals verified when this report was made"
                                                     : std::to_string(audit.problems.size()) + " problem(s)");
  html.Raw("</dl>");
  for (const VerificationProblem& p : audit.problems) html.Element("p", p.where + ": " + p.what, "class=\"badge bad\"");
  if (audit.seals.empty()) {
    html.Empty("The audit chain has not been sealed (interdict case seal).");
  } else {
    html.Raw("<table class=\"seals\"><tr><th>Seq</th><th>Head SHA-256</th><th>Ed25519 public key</th>"
             "<th>Signature</th><th>Time (UTC)</th></tr>");
    for (const AuditSeal& s : audit.seals) {
      html.Raw("<tr class=\"seal\">");
      html.Element("td", std::to_string(s.seq));
      html.Element("td", s.head_hash, "class=\"mono\"");
      html.Element("td", s.public_key, "class=\"mono\"");
      html.Element("td", s.signature, "class=\"mono\"");
      html.Element("td", s.time_utc);
      html.Raw("</tr>");
    }
    html.Raw("</table>");
  }
  html.EndSection();
}

void WriteTool(HtmlBuilder& html, const ReportModel& model) {
  html.BeginSection("tool", "Tool and environment", model.tool.libraries.size());
  html.Raw("<dl class=\"facts\">");
  html.Fact("Program", model.tool.program + " " + model.tool.version);
  for (const auto& [name, version] : model.tool.libraries) html.Fact(name, version);
  html.Fact("Host", model.tool.host);
  html.Fact("Operating system", model.tool.os_sysname + " " + model.tool.os_release + " " + model.tool.arch);
  if (!model.tool.command_line.empty()) html.Fact("Command line", model.tool.command_line, true);
  html.Raw("</dl>");
  html.EndSection();
}

}  // namespace

std::string RenderHtmlReport(const ReportModel& model) {
  HtmlBuilder html;
  html.Raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
  html.Raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
           "style-src 'unsafe-inline'\">");
  html.Element("title", "Case " + model.info.case_number + ": interdict report");
  html.Raw("<style>");
  html.Raw(kStyle);
  html.Raw("</style></head>\n<body>\n");
  WriteHeader(html, model);
  WriteSummary(html, model);
  WriteEvidence(html, model);
  WritePlugins(html, model);
  WriteFindings(html, model);
  WriteProblems(html, model);
  WriteAudit(html, model);
  WriteTool(html, model);
  html.Raw("<footer>");
  html.Text("Case " + model.info.case_number + " · generated " + model.generated_utc + " by " + model.tool.program +
            " " + model.tool.version + " · audit chain head " + model.audit.head.entry_hash);
  html.Raw("</footer>\n</body></html>\n");
  return html.Take();
}

}  // namespace interdict
