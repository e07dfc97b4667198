// The JobQueue contract (queue/job_queue.h), one suite run against every backend.
#include "queue/job_queue.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "queue/sqlite_connection.h"
#include "queue_backends.h"

namespace interdict {
namespace {

using namespace std::chrono_literals;

constexpr char kInputA[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kInputB[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr int64_t kStartMs = 1'800'000'000'000;

JobRequest MakeRequest(const std::string& input = kInputA, nlohmann::json params = nlohmann::json::object()) {
  JobRequest request;
  request.case_ref = "/cases/c1";
  request.plugin_id = "org.interdict.test";
  request.plugin_version = "1.0.0";
  request.input_sha256 = input;
  request.input_ref = "handset.img > ext4:/a.bin";
  request.params = std::move(params);
  request.pack_digest = "pack-1";
  return request;
}

template <typename Backend>
class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason;
    if (!backend_.SetUp(&reason)) {
      if (!reason.empty()) GTEST_SKIP() << reason;
      FAIL() << "backend did not start";
    }
    queue_ = Open();
    ASSERT_NE(queue_, nullptr);
  }

  QueueOptions Options() {
    QueueOptions options;
    options.retry.backoff_base = 1000ms;
    options.retry.backoff_cap = 8000ms;
    options.now = [this] { return now_.load(); };
    return options;
  }

  std::unique_ptr<JobQueue> Open() {
    auto queue = OpenJobQueue(backend_.Url(), Options());
    EXPECT_TRUE(queue.ok()) << queue.status().ToString();
    return queue.ok() ? std::move(queue).value() : nullptr;
  }

  int64_t Submit(const JobRequest& request) {
    auto submitted = queue_->Submit(request);
    EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
    return submitted.ok() ? submitted->job_id : 0;
  }

  LeasedJob MustLease(const std::string& owner, std::chrono::milliseconds lease = 10'000ms) {
    auto leased = queue_->Lease(owner, lease);
    EXPECT_TRUE(leased.ok()) << leased.status().ToString();
    EXPECT_TRUE(leased.ok() && leased->has_value()) << "nothing to lease";
    return leased.ok() && leased->has_value() ? **leased : LeasedJob{};
  }

  bool NothingToLease() {
    auto leased = queue_->Lease("probe", 1000ms);
    EXPECT_TRUE(leased.ok()) << leased.status().ToString();
    return leased.ok() && !leased->has_value();
  }

  JobInfo MustGet(int64_t id) {
    auto info = queue_->Get(id);
    EXPECT_TRUE(info.ok() && info->has_value());
    return info.ok() && info->has_value() ? **info : JobInfo{};
  }

  Backend backend_;
  std::atomic<int64_t> now_{kStartMs};
  std::unique_ptr<JobQueue> queue_;
};

TYPED_TEST_SUITE(JobQueueTest, testing::QueueBackends, testing::QueueBackendNames);

TYPED_TEST(JobQueueTest, ReportsItsBackend) {
  EXPECT_EQ(this->queue_->backend(), TypeParam::kName);
}

TYPED_TEST(JobQueueTest, ResubmittingTheSameWorkReturnsTheExistingJob) {
  auto first = this->queue_->Submit(MakeRequest(kInputA, {{"depth", 3}, {"mode", "fast"}}));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  // Same parameters built in another key order: canonical JSON makes them the same work.
  nlohmann::json reordered;
  reordered["mode"] = "fast";
  reordered["depth"] = 3;
  auto again = this->queue_->Submit(MakeRequest(kInputA, reordered));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job_id, first->job_id);
  EXPECT_EQ(again->state, JobState::kQueued);

  auto counts = this->queue_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->queued, 1);
}

TYPED_TEST(JobQueueTest, EachPartOfTheIdempotencyKeyMakesNewWork) {
  JobRequest base = MakeRequest();
  int64_t base_id = this->Submit(base);
  JobRequest other_version = base;
  other_version.plugin_version = "1.1.0";
  JobRequest other_input = MakeRequest(kInputB);
  JobRequest other_params = MakeRequest(kInputA, {{"depth", 4}});
  JobRequest other_pack = base;
  other_pack.pack_digest = "pack-2";
  std::set<int64_t> ids{base_id};
  for (const JobRequest& request : {other_version, other_input, other_params, other_pack}) {
    auto submitted = this->queue_->Submit(request);
    ASSERT_TRUE(submitted.ok());
    EXPECT_TRUE(submitted->created);
    ids.insert(submitted->job_id);
  }
  EXPECT_EQ(ids.size(), 5u);
  // The case folder and display name are not part of the work: the same input in another place is done once.
  JobRequest renamed = base;
  renamed.input_ref = "other name";
  auto same = this->queue_->Submit(renamed);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->created);
  EXPECT_EQ(IdempotencyKey(base), IdempotencyKey(renamed));
  EXPECT_NE(IdempotencyKey(base), IdempotencyKey(other_pack));
}

TYPED_TEST(JobQueueTest, SubmitRefusesMalformedRequests) {
  JobRequest no_plugin = MakeRequest();
  no_plugin.plugin_id.clear();
  JobRequest bad_hash = MakeRequest("ABCDEF");
  JobRequest bad_attempts = MakeRequest();
  bad_attempts.max_attempts = 0;
  JobRequest array_params = MakeRequest(kInputA, nlohmann::json::array({1, 2}));
  for (const JobRequest& request : {no_plugin, bad_hash, bad_attempts, array_params}) {
    auto submitted = this->queue_->Submit(request);
    ASSERT_FALSE(submitted.ok());
    EXPECT_EQ(submitted.status().code(), StatusCode::kInvalidArgument) << submitted.status().ToString();
  }
  JobRequest huge = MakeRequest(kInputA, {{"blob", std::string(kMaxJobParamsBytes, 'x')}});
  EXPECT_EQ(this->queue_->Submit(huge).status().code(), StatusCode::kLimitExceeded);
  auto counts = this->queue_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->Total(), 0);
}

TYPED_TEST(JobQueueTest, LeasesHighestPriorityFirstThenOldest) {
  JobRequest low = MakeRequest(kInputA);
  JobRequest high = MakeRequest(kInputB);
  high.priority = 5;
  JobRequest low_later = MakeRequest(kInputA, {{"n", 2}});
  int64_t low_id = this->Submit(low);
  int64_t high_id = this->Submit(high);
  int64_t low_later_id = this->Submit(low_later);

  LeasedJob first = this->MustLease("w1");
  LeasedJob second = this->MustLease("w1");
  LeasedJob third = this->MustLease("w1");
  EXPECT_EQ(first.job_id, high_id);
  EXPECT_EQ(second.job_id, low_id);
  EXPECT_EQ(third.job_id, low_later_id);
  EXPECT_TRUE(this->NothingToLease());

  EXPECT_EQ(first.attempts, 1);
  EXPECT_EQ(first.request.input_sha256, kInputB);
  EXPECT_EQ(first.request.input_ref, "handset.img > ext4:/a.bin");
  EXPECT_EQ(first.request.case_ref, "/cases/c1");
  EXPECT_EQ(first.request.pack_digest, "pack-1");
  EXPECT_EQ(first.lease_expires_ms, kStartMs + 10'000);
  EXPECT_EQ(third.request.params, nlohmann::json({{"n", 2}}));
  EXPECT_EQ(third.idempotency_key, IdempotencyKey(low_later));
  EXPECT_EQ(first.lease_token.size(), 32u);
  EXPECT_NE(first.lease_token, second.lease_token);

  JobInfo info = this->MustGet(high_id);
  EXPECT_EQ(info.state, JobState::kLeased);
  EXPECT_EQ(info.lease_owner, "w1");
}

TYPED_TEST(JobQueueTest, CompletionStoresOneResultAndIsFencedOnTheLease) {
  int64_t id = this->Submit(MakeRequest());
  LeasedJob lost = this->MustLease("worker-a", 1000ms);
  // worker-a stalls past its lease; the reaper hands the job back and worker-b takes it.
  this->now_ += 1001;
  auto reaped = this->queue_->ReapExpiredLeases();
  ASSERT_TRUE(reaped.ok()) << reaped.status().ToString();
  EXPECT_EQ(*reaped, 1);
  JobInfo after_reap = this->MustGet(id);
  EXPECT_EQ(after_reap.state, JobState::kFailed);
  EXPECT_NE(after_reap.last_error.find("worker-a"), std::string::npos) << after_reap.last_error;
  this->now_ += 1000;  // backoff after the first attempt
  LeasedJob held = this->MustLease("worker-b");
  EXPECT_EQ(held.job_id, id);
  EXPECT_EQ(held.attempts, 2);

  // The stale owner can neither renew, nor complete, nor fail the job.
  auto late_heartbeat = this->queue_->Heartbeat(lost, 1000ms);
  ASSERT_TRUE(late_heartbeat.ok());
  EXPECT_FALSE(*late_heartbeat);
  auto late_complete = this->queue_->Complete(lost, {{"by", "a"}});
  ASSERT_TRUE(late_complete.ok()) << late_complete.status().ToString();
  EXPECT_FALSE(*late_complete);
  auto late_fail = this->queue_->Fail(lost, FailureKind::kRetryable, "late");
  ASSERT_TRUE(late_fail.ok());
  EXPECT_FALSE(late_fail->has_value());
  // Even with the right owner name, an old token is refused.
  LeasedJob forged = held;
  forged.lease_token = lost.lease_token;
  auto forged_complete = this->queue_->Complete(forged, {{"by", "forged"}});
  ASSERT_TRUE(forged_complete.ok());
  EXPECT_FALSE(*forged_complete);

  auto completed = this->queue_->Complete(held, {{"by", "b"}, {"findings", 2}});
  ASSERT_TRUE(completed.ok()) << completed.status().ToString();
  EXPECT_TRUE(*completed);
  auto twice = this->queue_->Complete(held, {{"by", "b"}});
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(*twice);

  JobInfo info = this->MustGet(id);
  EXPECT_EQ(info.state, JobState::kDone);
  ASSERT_TRUE(info.result.has_value());
  EXPECT_EQ((*info.result)["by"], "b");
  EXPECT_EQ((*info.result)["findings"], 2);
  auto counts = this->queue_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->done, 1);
  EXPECT_EQ(counts->results, 1);
  EXPECT_EQ(counts->leased, 0);
}

TYPED_TEST(JobQueueTest, HeartbeatKeepsTheLeaseAlive) {
  this->Submit(MakeRequest());
  LeasedJob job = this->MustLease("w", 1000ms);
  this->now_ += 800;
  auto renewed = this->queue_->Heartbeat(job, 1000ms);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_TRUE(*renewed);
  this->now_ += 800;  // 1600 ms after leasing: expired without the heartbeat
  auto reaped = this->queue_->ReapExpiredLeases();
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, 0);
  EXPECT_EQ(this->MustGet(job.job_id).state, JobState::kLeased);
  EXPECT_EQ(this->MustGet(job.job_id).lease_expires_ms, kStartMs + 1800);
  this->now_ += 201;
  reaped = this->queue_->ReapExpiredLeases();
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, 1);
}

TYPED_TEST(JobQueueTest, FailedAttemptsBackOffExponentially) {
  JobRequest request = MakeRequest();
  request.max_attempts = 5;
  int64_t id = this->Submit(request);
  int64_t expected_delay = 1000;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    LeasedJob job = this->MustLease("w");
    EXPECT_EQ(job.attempts, attempt);
    auto failed = this->queue_->Fail(job, FailureKind::kRetryable, "crashed: SIGSEGV");
    ASSERT_TRUE(failed.ok()) << failed.status().ToString();
    ASSERT_TRUE(failed->has_value());
    EXPECT_EQ(**failed, JobState::kFailed);
    JobInfo info = this->MustGet(id);
    EXPECT_EQ(info.not_before_ms, this->now_.load() + expected_delay);
    EXPECT_EQ(info.last_error, "crashed: SIGSEGV");
    this->now_ += expected_delay - 1;
    EXPECT_TRUE(this->NothingToLease()) << "leased before the backoff elapsed, attempt " << attempt;
    this->now_ += 1;
    expected_delay *= 2;
  }
  // The fifth failure exhausts the attempts.
  LeasedJob last = this->MustLease("w");
  EXPECT_EQ(last.attempts, 5);
  auto failed = this->queue_->Fail(last, FailureKind::kRetryable, "crashed again");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(**failed, JobState::kDead);
  EXPECT_EQ(RetryPolicy{}.BackoffMs(1), kDefaultRetryBackoffBase.count());
  EXPECT_EQ(RetryPolicy{}.BackoffMs(100), kDefaultRetryBackoffCap.count());
}

TYPED_TEST(JobQueueTest, AJobThatKeepsCrashingIsQuarantinedAndListed) {
  JobRequest request = MakeRequest();
  request.max_attempts = 3;
  int64_t id = this->Submit(request);
  int64_t healthy = this->Submit(MakeRequest(kInputB));
  LeasedJob ok_job = this->MustLease("w");
  ASSERT_EQ(ok_job.job_id, id);
  // Attempt 1 fails, attempt 2's worker dies (lease expires), attempt 3 fails: dead.
  ASSERT_TRUE(this->queue_->Fail(ok_job, FailureKind::kRetryable, "crashed").ok());
  this->now_ += 1000;
  LeasedJob second = this->MustLease("w", 500ms);
  ASSERT_EQ(second.job_id, id);
  this->now_ += 501;
  ASSERT_EQ(*this->queue_->ReapExpiredLeases(), 1);
  this->now_ += 2000;
  LeasedJob third = this->MustLease("w");
  ASSERT_EQ(third.job_id, id);
  EXPECT_EQ(third.attempts, 3);
  auto failed = this->queue_->Fail(third, FailureKind::kRetryable, "crashed: SIGABRT");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(**failed, JobState::kDead);

  auto dead = this->queue_->List({JobState::kDead, 100});
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().job_id, id);
  EXPECT_EQ(dead->front().attempts, 3);
  EXPECT_EQ(dead->front().last_error, "crashed: SIGABRT");
  // Quarantined work is not retried automatically, even much later; the healthy job still runs.
  this->now_ += 3'600'000;
  LeasedJob next = this->MustLease("w");
  EXPECT_EQ(next.job_id, healthy);
  EXPECT_TRUE(this->NothingToLease());
  // Resubmitting the same work does not revive it either.
  auto resubmitted = this->queue_->Submit(request);
  ASSERT_TRUE(resubmitted.ok());
  EXPECT_FALSE(resubmitted->created);
  EXPECT_EQ(resubmitted->state, JobState::kDead);

  // An examiner's explicit retry does.
  auto retried = this->queue_->Retry(id);
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(*retried);
  LeasedJob again = this->MustLease("w");
  EXPECT_EQ(again.job_id, id);
  EXPECT_EQ(again.attempts, 1);
}

TYPED_TEST(JobQueueTest, PermanentFailureIsDeadAtOnce) {
  int64_t id = this->Submit(MakeRequest());
  LeasedJob job = this->MustLease("w");
  auto failed = this->queue_->Fail(job, FailureKind::kPermanent, "plugin not installed");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(**failed, JobState::kDead);
  EXPECT_EQ(this->MustGet(id).attempts, 1);
}

TYPED_TEST(JobQueueTest, CancelStopsQueuedAndLeasedJobsButNotFinishedOnes) {
  int64_t queued = this->Submit(MakeRequest(kInputA));
  int64_t running = this->Submit(MakeRequest(kInputB));
  auto cancelled = this->queue_->Cancel(queued);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(*cancelled);
  LeasedJob job = this->MustLease("w");
  EXPECT_EQ(job.job_id, running);
  ASSERT_TRUE(*this->queue_->Cancel(running));
  // The owner learns at its next heartbeat, and its result is refused.
  EXPECT_FALSE(*this->queue_->Heartbeat(job, 1000ms));
  EXPECT_FALSE(*this->queue_->Complete(job, nlohmann::json::object()));
  EXPECT_EQ(this->MustGet(running).state, JobState::kCancelled);
  EXPECT_FALSE(*this->queue_->Cancel(running));
  EXPECT_TRUE(this->NothingToLease());

  auto missing = this->queue_->Cancel(999'999);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);
  auto none = this->queue_->Get(999'999);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TYPED_TEST(JobQueueTest, DoneWorkIsNeverRunAgain) {
  JobRequest request = MakeRequest();
  int64_t id = this->Submit(request);
  LeasedJob job = this->MustLease("w");
  ASSERT_TRUE(*this->queue_->Complete(job, {{"ok", true}}));
  auto again = this->queue_->Submit(request);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job_id, id);
  EXPECT_EQ(again->state, JobState::kDone);
  auto retried = this->queue_->Retry(id);
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(*retried);
  EXPECT_TRUE(this->NothingToLease());
}

TYPED_TEST(JobQueueTest, JobsSurviveReopeningTheQueue) {
  int64_t id = this->Submit(MakeRequest());
  LeasedJob job = this->MustLease("w");
  this->queue_.reset();
  this->queue_ = this->Open();
  ASSERT_NE(this->queue_, nullptr);
  JobInfo info = this->MustGet(id);
  EXPECT_EQ(info.state, JobState::kLeased);
  EXPECT_TRUE(*this->queue_->Complete(job, {{"ok", true}}));
  auto listed = this->queue_->List({std::nullopt, 10});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().state, JobState::kDone);
}

TYPED_TEST(JobQueueTest, ConcurrentWorkersNeverLeaseTheSameJob) {
  constexpr int kJobs = 200;
  constexpr int kWorkers = 4;
  for (int i = 0; i < kJobs; ++i) this->Submit(MakeRequest(kInputA, {{"i", i}}));
  std::mutex mutex;
  std::vector<int64_t> leased;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      // Each worker has its own connection, as separate processes would.
      auto queue = this->Open();
      if (!queue) {
        ++errors;
        return;
      }
      for (;;) {
        auto job = queue->Lease("w" + std::to_string(w), 60'000ms);
        if (!job.ok()) {
          ++errors;
          return;
        }
        if (!job->has_value()) return;
        auto done = queue->Complete(**job, {{"w", w}});
        if (!done.ok() || !*done) ++errors;
        std::lock_guard<std::mutex> lock(mutex);
        leased.push_back((*job)->job_id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<int64_t> distinct(leased.begin(), leased.end());
  EXPECT_EQ(leased.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kJobs));
  auto counts = this->queue_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->done, kJobs);
  EXPECT_EQ(counts->results, kJobs);
}

TYPED_TEST(JobQueueTest, ListFiltersByStateAndRespectsTheLimit) {
  for (int i = 0; i < 5; ++i) this->Submit(MakeRequest(kInputA, {{"i", i}}));
  LeasedJob job = this->MustLease("w");
  auto queued = this->queue_->List({JobState::kQueued, 3});
  ASSERT_TRUE(queued.ok());
  EXPECT_EQ(queued->size(), 3u);
  for (const JobInfo& info : *queued) EXPECT_EQ(info.state, JobState::kQueued);
  auto leased = this->queue_->List({JobState::kLeased, 100});
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->size(), 1u);
  EXPECT_EQ(leased->front().job_id, job.job_id);
}

TYPED_TEST(JobQueueTest, AnotherServersSubmitWakesAWaitingWorker) {
  // A second queue object has its own connections, as another server would.
  std::unique_ptr<JobQueue> other = this->Open();
  ASSERT_NE(other, nullptr);
  // (No "nothing happened yet" check: the channel is database-wide, and PostgreSQL tests running in parallel
  // against the same server may notify it at any time.)
  ASSERT_TRUE(other->Submit(MakeRequest()).ok());
  auto woken = this->queue_->WaitForWork(60'000ms);
  ASSERT_TRUE(woken.ok()) << woken.status().ToString();
  // PostgreSQL delivers the NOTIFY; SQLite only polls and never claims to have been told.
  EXPECT_EQ(*woken, this->queue_->backend() == "postgresql");
  EXPECT_TRUE(this->MustLease("w").job_id > 0);
}

TEST(JobQueueUrl, RefusesUnknownSchemes) {
  auto queue = OpenJobQueue("redis://localhost");
  ASSERT_FALSE(queue.ok());
  EXPECT_EQ(queue.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(OpenJobQueue("sqlite:").ok());
}

TEST(JobQueueUrl, ReportsAnUnreachablePostgresqlServer) {
  // Port 1 on loopback: nothing listens there.
  auto queue = OpenJobQueue("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(queue.ok());
  EXPECT_EQ(queue.status().code(), StatusCode::kIoError);
}

TEST(JobStateNames, RoundTrip) {
  for (JobState state : {JobState::kQueued, JobState::kLeased, JobState::kDone, JobState::kFailed, JobState::kDead,
                         JobState::kCancelled}) {
    auto parsed = ParseJobState(JobStateName(state));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_FALSE(ParseJobState("running").ok());
}

TEST(SqliteQueueOpen, ProcessesOpeningANewQueueAtOnceAllGetIt) {
  // A worker starting while `queue status` opened the same new queue died with "database is locked": switching a
  // new database to WAL is refused at once, without the busy handler. Each round opens a fresh queue from three
  // threads at the same moment (each its own connection, as separate processes have); about 1 open in 150 used
  // to fail, so 600 opens caught it nearly every run.
  testing::SqliteBackend backend;
  ASSERT_TRUE(backend.SetUp(nullptr));
  for (int round = 0; round < 200; ++round) {
    const std::filesystem::path path = backend.dir() / ("q" + std::to_string(round) + ".db");
    std::atomic<int> ready{0};
    std::vector<Status> results(3);
    std::vector<std::thread> openers;
    for (size_t t = 0; t < results.size(); ++t) {
      openers.emplace_back([&, t] {
        ++ready;
        while (ready.load() < 3) std::this_thread::yield();
        results[t] = OpenSqliteConnection(path).status();
      });
    }
    for (std::thread& opener : openers) opener.join();
    for (const Status& status : results) ASSERT_TRUE(status.ok()) << "round " << round << ": " << status.ToString();
  }
}

}  // namespace
}  // namespace interdict
