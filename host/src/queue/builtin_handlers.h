// Job handlers built into the worker, for testing and benchmarking the queue itself without plugins:
//
//   builtin:noop   does nothing (optionally sleeps params.sleep_ms, at most kMaxNoopSleepMs) and, when
//                  params.marker_file is set, appends "<job id> <attempt> <owner>\n" to it, so a test can
//                  count how often the work really ran (at least once) against how often it was recorded
//                  (exactly once).
//   builtin:crash  runs the job in a child process that aborts, the way a plugin crashing its sandboxed
//                  worker process looks to the host: every attempt fails as retryable, so the job ends dead.
//
// These are not plugins and never touch a case; they exist so the chaos, quarantine and drain tests and the
// queue benchmark measure the queue, not a plugin.
#ifndef INTERDICT_QUEUE_BUILTIN_HANDLERS_H_
#define INTERDICT_QUEUE_BUILTIN_HANDLERS_H_

#include <atomic>
#include <optional>
#include <string_view>

#include "queue/job_queue.h"
#include "queue/worker.h"

namespace interdict {

inline constexpr char kBuiltinPluginPrefix[] = "builtin:";
inline constexpr char kBuiltinNoop[] = "builtin:noop";
inline constexpr char kBuiltinCrash[] = "builtin:crash";
inline constexpr char kBuiltinVersion[] = "1";
inline constexpr int64_t kMaxNoopSleepMs = 10'000;

bool IsBuiltinPlugin(std::string_view plugin_id);

// Runs a builtin:* job; a permanent failure for an unknown builtin name.
JobHandlerResult RunBuiltinJob(const LeasedJob& job, const std::atomic<bool>& lease_lost);

}  // namespace interdict

#endif  // INTERDICT_QUEUE_BUILTIN_HANDLERS_H_
