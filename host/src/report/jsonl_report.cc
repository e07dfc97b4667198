#include "report/jsonl_report.h"

#include <nlohmann/json.hpp>

namespace interdict {
namespace {

using json = nlohmann::json;

json Optional(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

void Line(std::string& out, const json& record) {
  out += record.dump(-1, ' ', false, json::error_handler_t::replace);
  out += '\n';
}

}  // namespace

std::string RenderJsonLines(const ReportModel& model) {
  std::string out;
  Line(out, {{"record", "case"},
             {"schema_version", kJsonLinesSchemaVersion},
             {"case_uuid", model.info.case_uuid},
             {"case_number", model.info.case_number},
             {"examiner", model.info.examiner},
             {"description", model.info.description},
             {"created_utc", model.info.created_utc},
             {"tool_version", model.info.tool_version},
             {"generated_utc", model.generated_utc}});
  json libraries = json::object();
  for (const auto& [name, version] : model.tool.libraries) libraries[name] = version;
  Line(out, {{"record", "tool"},
             {"program", model.tool.program},
             {"version", model.tool.version},
             {"libraries", libraries},
             {"host", model.tool.host},
             {"os", model.tool.os_sysname + " " + model.tool.os_release},
             {"arch", model.tool.arch},
             {"command_line", model.tool.command_line}});
  for (const ReportEvidence& e : model.evidence) {
    json bad_ranges = json::array();
    for (const ByteRange& r : e.acquisition.bad_ranges) bad_ranges.push_back({{"offset", r.offset}, {"length", r.length}});
    json hashes = json::object();
    for (const auto& [algorithm, digest] : e.acquisition.hashes) hashes[algorithm] = digest;
    Line(out, {{"record", "evidence"},
               {"id", e.record.id},
               {"uuid", e.record.uuid},
               {"label", e.record.label},
               {"kind", e.record.kind},
               {"source", e.record.source},
               {"artifact_sha256", e.record.artifact_sha256},
               {"added_utc", e.record.added_utc},
               {"acquisition_hashes", hashes},
               {"verification", e.acquisition.verification},
               {"bad_ranges", bad_ranges},
               {"bad_ranges_total", e.acquisition.bad_ranges_total},
               {"details", e.record.details}});
  }
  for (const JobRecord& j : model.jobs) {
    Line(out, {{"record", "job"},
               {"id", j.id},
               {"plugin_id", j.plugin_id},
               {"plugin_version", j.plugin_version},
               {"input_sha256", j.input_sha256},
               {"evidence_id", Optional(j.evidence_id)},
               {"params", j.params},
               {"pack_digests", j.pack_digests},
               {"outcome", j.outcome},
               {"attempts", j.attempts},
               {"message", j.message},
               {"started_utc", j.started_utc},
               {"finished_utc", j.finished_utc},
               {"findings_count", j.findings_count}});
  }
  for (const ReportFinding& f : model.findings) {
    const FindingRecord& r = f.record;
    Line(out, {{"record", "finding"},
               {"id", r.id},
               {"job_id", Optional(r.job_id)},
               {"evidence_id", Optional(r.evidence_id)},
               {"artifact_sha256", r.artifact_sha256},
               {"plugin_id", r.plugin_id},
               {"plugin_version", r.plugin_version},
               {"kind", r.kind},
               {"severity", r.severity},
               {"location", r.location},
               {"summary", r.summary},
               {"created_utc", r.created_utc},
               {"finding", r.json}});
  }
  json seals = json::array();
  for (const AuditSeal& s : model.audit.seals) {
    seals.push_back({{"seq", s.seq},
                     {"head_hash", s.head_hash},
                     {"public_key", s.public_key},
                     {"signature", s.signature},
                     {"time_utc", s.time_utc}});
  }
  json problems = json::array();
  for (const VerificationProblem& p : model.audit.problems) problems.push_back({{"where", p.where}, {"what", p.what}});
  Line(out, {{"record", "audit"},
             {"records", model.audit.record_count},
             {"head_seq", model.audit.head.seq},
             {"head_hash", model.audit.head.entry_hash},
             {"seals", seals},
             {"verified", model.audit.verification_run ? json(model.audit.problems.empty()) : json(nullptr)},
             {"problems", problems}});
  return out;
}

}  // namespace interdict
