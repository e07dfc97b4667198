#include "queue/worker.h"

#include <exception>
#include <thread>
#include <vector>

#include "core/log.h"

namespace interdict {
namespace {

// Recording a finished job is retried this often (with doubling pauses) when the queue is briefly away;
// after that the lease simply expires and the job is retried elsewhere.
constexpr int kFinishAttempts = 5;
constexpr std::chrono::milliseconds kFinishRetryPause{200};

std::string JobLabel(const LeasedJob& job) {
  return "job " + std::to_string(job.job_id) + " (" + job.request.plugin_id + "@" + job.request.plugin_version +
         ", attempt " + std::to_string(job.attempts) + "/" + std::to_string(job.max_attempts) + ")";
}

}  // namespace

struct Worker::InFlight {
  LeasedJob job;
  std::atomic<bool> lost{false};
};

Worker::Worker(JobQueue& queue, JobHandler handler, WorkerOptions options)
    : queue_(queue), handler_(std::move(handler)), options_(std::move(options)) {
  if (options_.heartbeat_interval.count() <= 0) options_.heartbeat_interval = options_.lease / 3;
  if (options_.reap_interval.count() <= 0) options_.reap_interval = options_.lease / 2;
}

Worker::~Worker() = default;

Status Worker::Run() {
  if (options_.concurrency < 1 || options_.concurrency > kMaxWorkerConcurrency)
    return Status::InvalidArgument("concurrency must be between 1 and " + std::to_string(kMaxWorkerConcurrency));
  if (options_.lease.count() < 3 || options_.heartbeat_interval >= options_.lease)
    return Status::InvalidArgument("the heartbeat interval must be shorter than the lease");
  if (options_.owner.empty()) return Status::InvalidArgument("a worker needs an owner name");

  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_running_ = options_.concurrency;
  }
  std::thread heartbeat([this] { HeartbeatLoop(); });
  std::vector<std::thread> slots;
  slots.reserve(static_cast<size_t>(options_.concurrency));
  for (int slot = 0; slot < options_.concurrency; ++slot) slots.emplace_back([this, slot] { SlotLoop(slot); });
  for (auto& thread : slots) thread.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_running_ = 0;
  }
  stop_cv_.notify_all();
  heartbeat.join();
  return Status::Ok();
}

void Worker::RequestDrain() {
  draining_ = true;
  stop_cv_.notify_all();
}

WorkerMetrics Worker::Metrics() const {
  WorkerMetrics metrics;
  metrics.leased = leased_;
  metrics.done = done_;
  metrics.retried = retried_;
  metrics.dead = dead_;
  metrics.lease_lost = lease_lost_;
  metrics.queue_errors = queue_errors_;
  metrics.concurrency = options_.concurrency;
  metrics.draining = draining_;
  std::lock_guard<std::mutex> lock(mutex_);
  metrics.in_flight = static_cast<int64_t>(in_flight_.size());
  return metrics;
}

bool Worker::QueueIsIdle() {
  auto counts = queue_.Counts();
  if (!counts.ok()) {
    ++queue_errors_;
    return false;
  }
  return counts->queued == 0 && counts->leased == 0 && counts->failed == 0;
}

void Worker::SlotLoop(int slot) {
  const std::string owner = options_.owner + ":" + std::to_string(slot);
  while (!draining_ && !idle_exit_) {
    auto leased = queue_.Lease(owner, options_.lease);
    if (!leased.ok()) {
      ++queue_errors_;
      LogWarning("queue", "cannot lease a job: " + leased.status().ToString());
      std::this_thread::sleep_for(kIdleWaitSlice);
      continue;
    }
    if (!leased->has_value()) {
      if (options_.exit_when_idle && QueueIsIdle()) {
        idle_exit_ = true;
        break;
      }
      auto waited = queue_.WaitForWork(kIdleWaitSlice);
      if (!waited.ok()) {
        ++queue_errors_;
        std::this_thread::sleep_for(kIdleWaitSlice);
      }
      continue;
    }
    RunOne(**leased);
  }
}

void Worker::RunOne(const LeasedJob& job) {
  ++leased_;
  auto in_flight = std::make_shared<InFlight>();
  in_flight->job = job;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_[job.job_id] = in_flight;
  }
  LogDebug("queue", "running " + JobLabel(job));
  JobHandlerResult outcome;
  try {
    outcome = handler_(job, in_flight->lost);
  } catch (const std::exception& e) {
    // Handlers must not throw; if one does (std::bad_alloc, a library bug), the attempt fails, the worker lives.
    outcome = {JobDisposition::kRetry, {}, std::string("handler threw: ") + e.what()};
  }

  for (int attempt = 0; attempt < kFinishAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kFinishRetryPause * (1 << (attempt - 1)));
    Status status;
    if (outcome.disposition == JobDisposition::kDone) {
      auto completed = queue_.Complete(job, outcome.result);
      if (completed.ok()) {
        if (*completed) {
          ++done_;
          LogDebug("queue", JobLabel(job) + " done");
        } else {
          ++lease_lost_;
          LogWarning("queue", JobLabel(job) + ": lease lost before completion; result discarded");
        }
        break;
      }
      status = completed.status();
    } else {
      FailureKind kind =
          outcome.disposition == JobDisposition::kPermanent ? FailureKind::kPermanent : FailureKind::kRetryable;
      auto failed = queue_.Fail(job, kind, outcome.error);
      if (failed.ok()) {
        if (!failed->has_value()) {
          ++lease_lost_;
          LogWarning("queue", JobLabel(job) + ": lease lost before recording the failure: " + outcome.error);
        } else if (**failed == JobState::kDead) {
          ++dead_;
          LogWarning("queue", JobLabel(job) + " quarantined (dead): " + outcome.error);
          if (options_.on_dead) options_.on_dead(job, outcome.error);
        } else {
          ++retried_;
          LogInfo("queue", JobLabel(job) + " failed, will retry: " + outcome.error);
        }
        break;
      }
      status = failed.status();
    }
    ++queue_errors_;
    LogWarning("queue", "cannot record " + JobLabel(job) + ": " + status.ToString());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.erase(job.job_id);
}

void Worker::HeartbeatLoop() {
  auto next_reap = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (slots_running_ > 0) {
    stop_cv_.wait_for(lock, options_.heartbeat_interval);
    if (slots_running_ == 0) break;
    std::vector<std::shared_ptr<InFlight>> held;
    held.reserve(in_flight_.size());
    for (const auto& [id, entry] : in_flight_) held.push_back(entry);
    lock.unlock();
    for (const auto& entry : held) {
      if (entry->lost) continue;
      auto renewed = queue_.Heartbeat(entry->job, options_.lease);
      if (!renewed.ok()) {
        ++queue_errors_;
        LogWarning("queue", "heartbeat failed for " + JobLabel(entry->job) + ": " + renewed.status().ToString());
      } else if (!*renewed) {
        entry->lost = true;
        LogWarning("queue", JobLabel(entry->job) + ": lease lost (expired or cancelled); stopping it");
      }
    }
    if (std::chrono::steady_clock::now() >= next_reap) {
      next_reap = std::chrono::steady_clock::now() + options_.reap_interval;
      auto reaped = queue_.ReapExpiredLeases();
      if (!reaped.ok()) {
        ++queue_errors_;
      } else if (*reaped > 0) {
        LogInfo("queue", "handed back " + std::to_string(*reaped) + " job(s) whose lease expired");
      }
    }
    lock.lock();
  }
}

}  // namespace interdict
