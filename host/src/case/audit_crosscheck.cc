#include "case/audit_crosscheck.h"

#include <map>
#include <set>

#include "core/hash.h"

namespace interdict {
namespace {

// One audited fact about a row: which record said it, and what it said.
struct Audited {
  int64_t seq = 0;
  nlohmann::json details;
};

std::string Text(const nlohmann::json& details, const char* key) {
  auto found = details.find(key);
  return found != details.end() && found->is_string() ? found->get<std::string>() : std::string();
}

int64_t Number(const nlohmann::json& details, const char* key) {
  auto found = details.find(key);
  return found != details.end() && found->is_number_integer() ? found->get<int64_t>() : -1;
}

std::string Seq(int64_t seq) { return " (audit seq " + std::to_string(seq) + ")"; }

// Compares named fields of a row with what the audit recorded; one problem naming every differing field.
void CompareFields(const std::string& where, const Audited& audited,
                   const std::vector<std::pair<const char*, std::string>>& row_fields,
                   std::vector<VerificationProblem>& problems) {
  std::string differing;
  int count = 0;
  for (const auto& [key, value] : row_fields) {
    if (Text(audited.details, key) == value) continue;
    differing += (count++ == 0 ? "" : ", ") + std::string(key);
  }
  if (count > 0) {
    problems.push_back(
        {where, differing + (count == 1 ? " differs" : " differ") + " from what was audited" + Seq(audited.seq)});
  }
}

template <typename Row, typename IdOf>
void ReportMissingRows(const std::string& noun, const std::map<int64_t, Audited>& audited, const std::vector<Row>& rows,
                       IdOf id_of, std::vector<VerificationProblem>& problems) {
  std::set<int64_t> present;
  for (const Row& row : rows) present.insert(id_of(row));
  for (const auto& [id, record] : audited) {
    if (!present.count(id)) {
      problems.push_back({noun + " " + std::to_string(id), "audited" + Seq(record.seq) + " but the row is gone"});
    }
  }
}

}  // namespace

std::vector<VerificationProblem> CrossCheckTablesWithAudit(const std::vector<StoredAuditRow>& audit,
                                                           const StoredTables& tables) {
  std::map<int64_t, Audited> findings, jobs_started, jobs_finished, evidence_added, evidence_updated;
  std::map<std::string, Audited> artifacts;
  for (const StoredAuditRow& row : audit) {
    nlohmann::json details = nlohmann::json::parse(row.details_json, nullptr, /*allow_exceptions=*/false);
    if (!details.is_object()) continue;
    Audited audited{row.seq, details};
    if (row.action == "finding.added") findings[Number(details, "finding_id")] = audited;
    if (row.action == "artifact.stored") artifacts[Text(details, "sha256")] = audited;
    if (row.action == "job.started") jobs_started[Number(details, "job_id")] = audited;
    if (row.action == "job.finished") jobs_finished[Number(details, "job_id")] = audited;
    if (row.action == "evidence.added") evidence_added[Number(details, "evidence_id")] = audited;
    if (row.action == "evidence.updated") evidence_updated[Number(details, "evidence_id")] = audited;
  }

  std::vector<VerificationProblem> problems;
  for (const auto& finding : tables.findings) {
    std::string where = "finding " + std::to_string(finding.id);
    auto found = findings.find(finding.id);
    if (found == findings.end()) {
      problems.push_back({where, "has no audit record (inserted out of sight)"});
    } else if (Text(found->second.details, "json_sha256") != Sha256Hex(finding.json)) {
      problems.push_back({where, "JSON differs from what was audited" + Seq(found->second.seq)});
    }
  }
  ReportMissingRows(
      "finding", findings, tables.findings, [](const auto& row) { return row.id; }, problems);

  std::set<std::string> artifact_rows;
  for (const ArtifactRecord& artifact : tables.artifacts) {
    std::string where = "artifact " + artifact.sha256;
    artifact_rows.insert(artifact.sha256);
    auto found = artifacts.find(artifact.sha256);
    if (found == artifacts.end()) {
      problems.push_back({where, "has no audit record (inserted out of sight)"});
      continue;
    }
    CompareFields(where, found->second, {{"md5", artifact.md5}, {"sha1", artifact.sha1}}, problems);
    if (Number(found->second.details, "size") != static_cast<int64_t>(artifact.size)) {
      problems.push_back({where, "size differs from what was audited" + Seq(found->second.seq)});
    }
  }
  for (const auto& [sha256, record] : artifacts) {
    if (!artifact_rows.count(sha256)) {
      problems.push_back({"artifact " + sha256, "audited" + Seq(record.seq) + " but the row is gone"});
    }
  }

  for (const auto& job : tables.jobs) {
    std::string where = "job " + std::to_string(job.id);
    auto started = jobs_started.find(job.id);
    if (started == jobs_started.end()) {
      problems.push_back({where, "has no audit record (inserted out of sight)"});
      continue;
    }
    CompareFields(
        where, started->second,
        {{"plugin_id", job.plugin_id}, {"plugin_version", job.plugin_version}, {"input_sha256", job.input_sha256}},
        problems);
    // The runner decides whether a job left 'running' is recovered as interrupted: forging it must show.
    if (started->second.details.contains("runner") &&
        started->second.details["runner"] != nlohmann::json::parse(job.runner, nullptr, /*allow_exceptions=*/false)) {
      problems.push_back({where, "runner differs from what was audited" + Seq(started->second.seq)});
    }
    auto finished = jobs_finished.find(job.id);
    if (finished == jobs_finished.end()) {
      if (job.outcome != "running") problems.push_back({where, "outcome '" + job.outcome + "' was never audited"});
      continue;
    }
    CompareFields(where, finished->second, {{"outcome", job.outcome}, {"message", job.message}}, problems);
    if (Number(finished->second.details, "findings_count") != job.findings_count) {
      problems.push_back({where, "findings_count differs from what was audited" + Seq(finished->second.seq)});
    }
  }
  ReportMissingRows(
      "job", jobs_started, tables.jobs, [](const auto& row) { return row.id; }, problems);

  for (const auto& evidence : tables.evidence) {
    std::string where = "evidence " + std::to_string(evidence.id);
    auto added = evidence_added.find(evidence.id);
    if (added == evidence_added.end()) {
      problems.push_back({where, "has no audit record (inserted out of sight)"});
      continue;
    }
    CompareFields(where, added->second,
                  {{"uuid", evidence.uuid},
                   {"label", evidence.label},
                   {"kind", evidence.kind},
                   {"source", evidence.source},
                   {"artifact_sha256", evidence.artifact_sha256}},
                  problems);
    auto updated = evidence_updated.find(evidence.id);
    const Audited& latest = updated != evidence_updated.end() ? updated->second : added->second;
    auto details_it = latest.details.find("details");
    nlohmann::json stored = nlohmann::json::parse(evidence.details_json, nullptr, /*allow_exceptions=*/false);
    if (details_it == latest.details.end() || stored.is_discarded() ||
        CanonicalJson(*details_it) != CanonicalJson(stored)) {
      problems.push_back({where, "details differ from what was audited" + Seq(latest.seq)});
    }
  }
  ReportMissingRows(
      "evidence", evidence_added, tables.evidence, [](const auto& row) { return row.id; }, problems);
  return problems;
}

}  // namespace interdict
