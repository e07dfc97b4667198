// The worker runtime: N slots taking jobs from a JobQueue and running them through a JobHandler, a
// heartbeat that keeps every held lease alive, and a reaper that hands back the leases of workers that died.
//
//   - Each slot leases one job at a time and runs the handler on its own thread; the handler runs the job
//     (for plugins: in a sandboxed worker process through RunJob) and says done / retry / permanent.
//   - The heartbeat renews every held lease each heartbeat_interval (lease / 3 by default). When the queue
//     answers that a lease is lost (expired and reaped elsewhere, or the job was cancelled), the job's
//     `lease_lost` flag turns true so the handler can stop early; whatever it returns is then refused by the
//     queue's fencing.
//   - RequestDrain (SIGTERM) stops taking new jobs; jobs in flight run to the end and are recorded, then Run
//     returns. A drained worker leaves nothing leased.
//
// Thread-safety: Run is called once, from one thread; RequestDrain and Metrics from any thread.
#ifndef INTERDICT_QUEUE_WORKER_H_
#define INTERDICT_QUEUE_WORKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "queue/job_queue.h"

namespace interdict {

inline constexpr int kMaxWorkerConcurrency = 256;
// An idle slot waits at most this long for a wake-up before looking again (also bounds drain latency).
inline constexpr std::chrono::milliseconds kIdleWaitSlice{500};

enum class JobDisposition {
  kDone,       // record the result; the job is finished
  kRetry,      // failed this time (crash, timeout, host trouble): retry after backoff until max_attempts
  kPermanent,  // will fail the same way every time: dead now
};

struct JobHandlerResult {
  JobDisposition disposition = JobDisposition::kDone;
  nlohmann::json result = nlohmann::json::object();  // stored with a done job
  std::string error;                                 // why, for kRetry / kPermanent
};

// Runs one job. Must not throw. `lease_lost` turns true while it runs if the lease is lost.
using JobHandler = std::function<JobHandlerResult(const LeasedJob& job, const std::atomic<bool>& lease_lost)>;

struct WorkerOptions {
  std::string owner;  // "host:pid"; slots append ":<slot>"
  int concurrency = 1;
  std::chrono::milliseconds lease = kDefaultLeaseDuration;
  std::chrono::milliseconds heartbeat_interval{0};  // 0: lease / 3
  std::chrono::milliseconds reap_interval{0};       // 0: lease / 2
  // Stop once the queue holds no queued, leased or failed (waiting for retry) job: `interdict analyze`.
  bool exit_when_idle = false;
  // Called after a job became dead (quarantined), e.g. to note it in the case. Must not throw.
  std::function<void(const LeasedJob& job, const std::string& error)> on_dead;
};

// Counters since the worker started, for the metrics endpoint and the end-of-run summary.
struct WorkerMetrics {
  int64_t leased = 0;
  int64_t done = 0;
  int64_t retried = 0;      // failed attempts that will be retried
  int64_t dead = 0;         // attempts that ended the job dead
  int64_t lease_lost = 0;   // results refused because the lease was lost
  int64_t queue_errors = 0; // calls to the queue that failed (database down, ...)
  int64_t in_flight = 0;
  int concurrency = 0;
  bool draining = false;
};

class Worker {
 public:
  Worker(JobQueue& queue, JobHandler handler, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until drained (or, with exit_when_idle, until the queue has nothing left to do). kInvalidArgument
  // for bad options.
  Status Run();
  // Stop taking jobs; let the ones in flight finish. Safe from any thread (not from a signal handler).
  void RequestDrain();
  WorkerMetrics Metrics() const;

 private:
  struct InFlight;
  void SlotLoop(int slot);
  void HeartbeatLoop();
  bool QueueIsIdle();
  void RunOne(const LeasedJob& job);

  JobQueue& queue_;
  JobHandler handler_;
  WorkerOptions options_;

  std::atomic<bool> draining_{false};
  std::atomic<bool> idle_exit_{false};
  std::atomic<int64_t> leased_{0}, done_{0}, retried_{0}, dead_{0}, lease_lost_{0}, queue_errors_{0};

  mutable std::mutex mutex_;  // guards in_flight_ and slots_running_
  std::condition_variable stop_cv_;
  std::map<int64_t, std::shared_ptr<InFlight>> in_flight_;
  int slots_running_ = 0;
};

}  // namespace interdict

#endif  // INTERDICT_QUEUE_WORKER_H_
