// Cross-checks the case tables against the audit chain. The chain proves the audit records are unaltered;
// this proves the tables still say what the audit says was written: every finding's JSON matches the
// json_sha256 audited when it was added, every artifact row matches its artifact.stored record, every job's
// identity and outcome match job.started/job.finished, every evidence row matches evidence.added and its
// last evidence.updated. A row without an audit record, or an audited row that is gone, is a problem too.
//
// Pure functions; thread-safe.
#ifndef INTERDICT_CASE_AUDIT_CROSSCHECK_H_
#define INTERDICT_CASE_AUDIT_CROSSCHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "case/audit_chain.h"
#include "case/case_store.h"

namespace interdict {

// The tables as stored (JSON columns still as text).
struct StoredTables {
  struct Finding {
    int64_t id = 0;
    std::string json;
  };
  struct Job {
    int64_t id = 0;
    std::string plugin_id;
    std::string plugin_version;
    std::string input_sha256;
    std::string outcome;
    std::string message;
    int64_t findings_count = 0;
    std::string runner;  // the stored JSON text ("" in a v1 case)
  };
  struct Evidence {
    int64_t id = 0;
    std::string uuid;
    std::string label;
    std::string kind;
    std::string source;
    std::string artifact_sha256;
    std::string details_json;
  };
  std::vector<Finding> findings;
  std::vector<ArtifactRecord> artifacts;
  std::vector<Job> jobs;
  std::vector<Evidence> evidence;
};

// Problems in table order: findings, artifacts, jobs, evidence. Audit records whose details do not parse
// are skipped here (VerifyAuditRows reports them).
std::vector<VerificationProblem> CrossCheckTablesWithAudit(const std::vector<StoredAuditRow>& audit,
                                                           const StoredTables& tables);

}  // namespace interdict

#endif  // INTERDICT_CASE_AUDIT_CROSSCHECK_H_
