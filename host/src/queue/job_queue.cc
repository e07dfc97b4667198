#include "queue/job_queue.h"

#include <algorithm>

#include "core/hash.h"
#include "queue/sql_job_queue.h"

namespace interdict {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kLeased: return "leased";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
    case JobState::kDead: return "dead";
    case JobState::kCancelled: return "cancelled";
  }
  return "queued";
}

Result<JobState> ParseJobState(std::string_view name) {
  for (JobState state : {JobState::kQueued, JobState::kLeased, JobState::kDone, JobState::kFailed, JobState::kDead,
                         JobState::kCancelled}) {
    if (JobStateName(state) == name) return state;
  }
  return Status::InvalidArgument("unknown job state '" + std::string(name) + "'");
}

std::string IdempotencyKey(const JobRequest& request) {
  // nlohmann::json keeps object keys sorted and dump() adds no whitespace: that is the canonical form.
  std::string material = request.plugin_id + "@" + request.plugin_version + "\n" + request.input_sha256 + "\n" +
                         request.params.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" +
                         request.pack_digest;
  return Sha256Hex(material);
}

int64_t RetryPolicy::BackoffMs(int attempts) const {
  int64_t delay = backoff_base.count();
  int64_t cap = backoff_cap.count();
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

Result<std::unique_ptr<JobQueue>> OpenJobQueue(std::string_view url, QueueOptions options) {
  if (url.starts_with("sqlite:")) {
    std::string path(url.substr(std::string_view("sqlite:").size()));
    // Accept sqlite:///abs/path as well as sqlite:/abs/path.
    if (path.starts_with("//")) path.erase(0, 2);
    if (path.empty()) return Status::InvalidArgument("sqlite: queue URL needs a file path");
    return OpenSqliteJobQueue(path, std::move(options));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenPostgresJobQueue(std::string(url), std::move(options));
  }
  return Status::InvalidArgument("queue URL must start with sqlite: or postgresql:// (got '" + std::string(url) +
                                 "')");
}

}  // namespace interdict
