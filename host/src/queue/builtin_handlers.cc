#include "queue/builtin_handlers.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace interdict {
namespace {

JobHandlerResult RunNoop(const LeasedJob& job, const std::atomic<bool>& lease_lost) {
  const nlohmann::json& params = job.request.params;
  if (!params.is_object()) return {JobDisposition::kPermanent, {}, "parameters are not a JSON object"};
  if (auto it = params.find("sleep_ms"); it != params.end() && it->is_number_integer()) {
    int64_t sleep_ms = std::clamp<int64_t>(it->get<int64_t>(), 0, kMaxNoopSleepMs);
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  }
  if (lease_lost) return {JobDisposition::kRetry, {}, "lease lost"};
  if (auto it = params.find("marker_file"); it != params.end() && it->is_string()) {
    std::string line = std::to_string(job.job_id) + " " + std::to_string(job.attempts) + " " + job.owner + "\n";
    // O_APPEND writes of one short line are atomic, so concurrent workers never interleave lines.
    int fd = open(it->get<std::string>().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return {JobDisposition::kRetry, {}, std::string("cannot open marker file: ") + std::strerror(errno)};
    ssize_t written = write(fd, line.data(), line.size());
    close(fd);
    if (written != static_cast<ssize_t>(line.size())) return {JobDisposition::kRetry, {}, "short marker write"};
  }
  return {JobDisposition::kDone, {{"outcome", "completed"}, {"handler", kBuiltinNoop}}, {}};
}

JobHandlerResult RunCrash(const LeasedJob& /*job*/) {
  pid_t child = fork();
  if (child < 0) return {JobDisposition::kRetry, {}, std::string("fork failed: ") + std::strerror(errno)};
  if (child == 0) {
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return {JobDisposition::kRetry, {}, "crashed: worker process killed by signal " + std::to_string(WTERMSIG(status))};
  }
  return {JobDisposition::kRetry, {}, "crashed: worker process exited with status " + std::to_string(WEXITSTATUS(status))};
}

}  // namespace

bool IsBuiltinPlugin(std::string_view plugin_id) { return plugin_id.starts_with(kBuiltinPluginPrefix); }

JobHandlerResult RunBuiltinJob(const LeasedJob& job, const std::atomic<bool>& lease_lost) {
  if (job.request.plugin_id == kBuiltinNoop) return RunNoop(job, lease_lost);
  if (job.request.plugin_id == kBuiltinCrash) return RunCrash(job);
  return {JobDisposition::kPermanent, {}, "unknown built-in handler " + job.request.plugin_id};
}

}  // namespace interdict
