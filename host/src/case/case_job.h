// Recording a plugin job into a case: the glue every analysis command (scan, match, queue worker) uses.
//
// RecordJobIntoCase begins a job record, runs the job through RunJob (sandboxed unless spec.in_process),
// stores the findings in batches as they arrive (artifact_sha256 = the input), moves each produced artifact into the
// content-addressed store and names it (parent = the input, role and location from the plugin's meta,
// job id), and finishes the job with an outcome string. A job that crashes, times out or breaks the
// protocol is recorded as such, together with a host-made finding, never hidden.
//
// Outcome strings (jobs.outcome): completed, corrupt-input, plugin-error, crashed, timeout, memory-limit,
// cpu-limit, seccomp-violation, protocol-error, start-failed, cancelled.
//
// Produced artifacts are streamed into CASE_DIR/staging (unless spec.artifact_dir says otherwise), so moving
// them into the store is a rename.
//
// Thread-safety: as CaseStore and RunJob; callbacks arrive on the calling thread.
#ifndef INTERDICT_CASE_CASE_JOB_H_
#define INTERDICT_CASE_CASE_JOB_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "case/case_store.h"
#include "core/status.h"
#include "sandbox/job_runner.h"

namespace interdict {

// Where the job's input sits in the case.
struct CaseJobContext {
  std::optional<int64_t> evidence_id;                      // the evidence the input belongs to, if any
  std::string input_sha256;                                // the input's artifact; defaults to spec.input_sha256
  std::string input_location;                              // its location chain; defaults to spec.input_name
  nlohmann::json pack_digests = nlohmann::json::object();  // rule/template pack name -> sha256
  int attempts = 1;
  std::string actor;  // who asked for the job; defaults to CurrentUserActor()
};

struct RecordedArtifact {
  std::string sha256;
  uint64_t size = 0;
  std::string media_type;
  std::string name;
  std::string location;
  std::string role;
};

struct RecordedJob {
  int64_t job_id = 0;
  std::string outcome;                      // one of the outcome strings above
  std::string message;                      // why, for anything but "completed"
  JobOutcome detail;                        // as reported by RunJob (empty when the host could not start the job)
  int64_t findings = 0;                     // findings stored, including the host-made one for a failed job
  std::vector<RecordedArtifact> artifacts;  // stored artifacts, for queueing them further
  std::vector<std::string> refused;         // findings or artifacts refused, and why
};

// The outcome string for a JobOutcome (plugin_status INTERDICT_CORRUPT_INPUT -> "corrupt-input", ...).
std::string CaseOutcomeName(const JobOutcome& outcome);

// Runs the job and records it. `events` may carry the caller's log/progress/cancel callbacks; its
// on_finding/on_artifact are called after the case has stored each one (findings batch by batch). Returns an error only
// when the case itself cannot be written; everything the plugin does wrong ends up in the returned RecordedJob.
Result<RecordedJob> RecordJobIntoCase(CaseStore& store, const JobSpec& spec, const CaseJobContext& context,
                                      const JobEvents& events = {});

}  // namespace interdict

#endif  // INTERDICT_CASE_CASE_JOB_H_
