// Runs queued plugin jobs against a case: finds the installed plugin, runs it in a sandboxed worker process
// and records the job, its findings and extracted artifacts into the case (RecordJobIntoCase), then puts
// every extracted artifact back on the queue for each installed plugin that accepts its media type, so an
// STL inside a handset image is matched without anyone asking.
//
// Queue semantics: the queue records each job's result exactly once; the case may see a job recorded twice
// when a worker loses its lease mid-job (it stops at the next heartbeat, and its partial record stays in the
// case marked as cancelled). Artifacts are content-addressed, and resubmitting the same artifact to the same
// plugin version is a no-op, so extraction never loops.
//
// Thread-safety: Run and Enqueue* may be called from several threads; ReloadPlugins from any thread.
#ifndef INTERDICT_QUEUE_PLUGIN_JOB_RUNNER_H_
#define INTERDICT_QUEUE_PLUGIN_JOB_RUNNER_H_

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "case/case_store.h"
#include "plugins/plugin_discovery.h"
#include "queue/job_queue.h"
#include "queue/worker.h"

namespace interdict {

// Artifacts extracted from artifacts from ... deeper than this are stored but not queued again.
inline constexpr int kMaxExtractionDepth = 16;

struct PluginJobRunnerOptions {
  std::filesystem::path plugin_dir;
  bool in_process = false;           // debugging only
  std::string actor;                 // recorded in the audit log ("worker@host")
  std::vector<std::string> plugins;  // only these plugin ids (empty: every installed, verified plugin)
  int max_attempts = kDefaultMaxAttempts;
};

class PluginJobRunner {
 public:
  PluginJobRunner(JobQueue& queue, PluginJobRunnerOptions options);

  // Rediscovers the installed plugins: SIGHUP. Pack digests need no reload: they are read from disk for every
  // job queued and every job run, as the plugins read their packs for every job.
  Status ReloadPlugins();

  // The JobHandler for the Worker: built-in handlers and plugin jobs.
  JobHandlerResult Run(const LeasedJob& job, const std::atomic<bool>& lease_lost);

  // Records in the job's case that the queue gave up on it: a job record with outcome "quarantined" (the
  // report lists it) and an audit entry. Logged, not returned, when the case cannot be written.
  void RecordQuarantine(const LeasedJob& job, const std::string& error);

  // Queues one job per applicable plugin for an artifact of the case. Returns how many jobs were new.
  Result<int> EnqueueArtifact(const std::filesystem::path& case_dir, const std::string& sha256,
                              const std::string& media_type, const std::string& location,
                              std::optional<int64_t> parent_job_id, int depth);
  // Queues every evidence item of the case (its artifact, sniffed) for the applicable plugins.
  Result<int> EnqueueCaseEvidence(const std::filesystem::path& case_dir);

 private:
  Result<CaseStore*> OpenCase(const std::string& case_dir);
  std::vector<DiscoveredPlugin> Plugins();

  JobQueue& queue_;
  PluginJobRunnerOptions options_;
  std::mutex mutex_;  // guards plugins_ and cases_
  std::vector<DiscoveredPlugin> plugins_;
  std::map<std::string, std::unique_ptr<CaseStore>> cases_;
};

}  // namespace interdict

#endif  // INTERDICT_QUEUE_PLUGIN_JOB_RUNNER_H_
