// The Worker runtime in-process (queue/worker.h) and its metrics endpoint (queue/metrics_endpoint.h).
#include "queue/worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "queue/metrics_endpoint.h"
#include "queue_backends.h"

namespace interdict {
namespace {

using namespace std::chrono_literals;

// Bounds every wait below; reaching it means the behaviour under test never happened.
constexpr auto kGiveUpAfter = 60s;

template <typename Backend>
class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason;
    if (!backend_.SetUp(&reason)) {
      if (!reason.empty()) GTEST_SKIP() << reason;
      FAIL() << "backend did not start";
    }
    auto queue = OpenJobQueue(backend_.Url());
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(queue).value();
  }

  int64_t SubmitJob(int n) {
    JobRequest request;
    request.plugin_id = "org.interdict.test";
    request.plugin_version = "1.0.0";
    request.params = {{"n", n}};
    auto submitted = queue_->Submit(request);
    EXPECT_TRUE(submitted.ok());
    return submitted.ok() ? submitted->job_id : 0;
  }

  Backend backend_;
  std::unique_ptr<JobQueue> queue_;
};

TYPED_TEST_SUITE(WorkerTest, testing::QueueBackends, testing::QueueBackendNames);

TYPED_TEST(WorkerTest, CancellingARunningJobTellsItsHandlerThroughTheHeartbeat) {
  int64_t id = this->SubmitJob(1);
  std::atomic<bool> started{false};
  std::atomic<bool> saw_lost{false};
  WorkerOptions options;
  options.owner = "test";
  options.lease = 900ms;  // heartbeat every 300 ms
  Worker* worker_ptr = nullptr;
  Worker worker(
      *this->queue_,
      [&](const LeasedJob&, const std::atomic<bool>& lost) {
        started = true;
        auto deadline = std::chrono::steady_clock::now() + kGiveUpAfter;
        while (!lost && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        saw_lost = lost.load();
        worker_ptr->RequestDrain();
        return JobHandlerResult{JobDisposition::kDone, {{"late", true}}, {}};
      },
      options);
  worker_ptr = &worker;
  std::thread canceller([&] {
    while (!started) std::this_thread::sleep_for(10ms);
    auto cancelled = this->queue_->Cancel(id);
    EXPECT_TRUE(cancelled.ok() && *cancelled);
  });
  ASSERT_TRUE(worker.Run().ok());
  canceller.join();
  EXPECT_TRUE(saw_lost);
  WorkerMetrics metrics = worker.Metrics();
  EXPECT_EQ(metrics.leased, 1);
  EXPECT_EQ(metrics.done, 0);
  EXPECT_EQ(metrics.lease_lost, 1);
  auto counts = this->queue_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->cancelled, 1);
  EXPECT_EQ(counts->results, 0) << "a cancelled job's late result was recorded";
}

TYPED_TEST(WorkerTest, UntilIdleRunsFollowUpJobsThenStops) {
  this->SubmitJob(0);
  WorkerOptions options;
  options.owner = "test";
  options.concurrency = 3;
  options.exit_when_idle = true;
  std::atomic<int> ran{0};
  JobQueue& queue = *this->queue_;
  Worker worker(
      queue,
      [&](const LeasedJob& job, const std::atomic<bool>&) {
        ++ran;
        // Each job below depth 3 submits two follow-ups, as extracted artifacts do.
        int n = job.request.params["n"].get<int>();
        if (n < 7) {
          for (int child : {2 * n + 1, 2 * n + 2}) {
            JobRequest request = job.request;
            request.params = {{"n", child}};
            request.parent_job_id = job.job_id;
            if (!queue.Submit(request).ok()) return JobHandlerResult{JobDisposition::kRetry, {}, "submit failed"};
          }
        }
        return JobHandlerResult{JobDisposition::kDone, {{"n", n}}, {}};
      },
      options);
  ASSERT_TRUE(worker.Run().ok());
  EXPECT_EQ(ran.load(), 15);  // a full binary tree of depth 4
  auto counts = queue.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->done, 15);
  EXPECT_EQ(counts->Total(), 15);
}

TYPED_TEST(WorkerTest, AHandlerThatThrowsFailsTheAttemptNotTheWorker) {
  int64_t id = this->SubmitJob(1);
  WorkerOptions options;
  options.owner = "test";
  options.exit_when_idle = true;
  Worker worker(
      *this->queue_,
      [](const LeasedJob&, const std::atomic<bool>&) -> JobHandlerResult { throw std::runtime_error("boom"); },
      options);
  // exit_when_idle would wait for the retry; cancel it once it has failed once.
  std::thread watcher([&] {
    auto deadline = std::chrono::steady_clock::now() + kGiveUpAfter;
    for (;;) {
      auto info = this->queue_->Get(id);
      if (info.ok() && info->has_value() && (*info)->state == JobState::kFailed) break;
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(*this->queue_->Cancel(id));
  });
  ASSERT_TRUE(worker.Run().ok());
  watcher.join();
  auto info = this->queue_->Get(id);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->attempts, 1);
  EXPECT_EQ((*info)->state, JobState::kCancelled);
  EXPECT_EQ(worker.Metrics().retried, 1);
}

TEST(WorkerOptionsCheck, RefusesBadSettings) {
  auto queue = OpenJobQueue("sqlite:" + (std::filesystem::temp_directory_path() /
                                         ("interdict_worker_opts_" + std::to_string(getpid()) + ".db")).string());
  ASSERT_TRUE(queue.ok());
  auto handler = [](const LeasedJob&, const std::atomic<bool>&) { return JobHandlerResult{}; };
  WorkerOptions zero_slots;
  zero_slots.owner = "t";
  zero_slots.concurrency = 0;
  EXPECT_EQ(Worker(**queue, handler, zero_slots).Run().code(), StatusCode::kInvalidArgument);
  WorkerOptions slow_heartbeat;
  slow_heartbeat.owner = "t";
  slow_heartbeat.heartbeat_interval = slow_heartbeat.lease;
  EXPECT_EQ(Worker(**queue, handler, slow_heartbeat).Run().code(), StatusCode::kInvalidArgument);
  WorkerOptions no_owner;
  EXPECT_EQ(Worker(**queue, handler, no_owner).Run().code(), StatusCode::kInvalidArgument);
  queue->reset();
  std::filesystem::remove(std::filesystem::temp_directory_path() / ("interdict_worker_opts_" + std::to_string(getpid()) + ".db"));
}

std::string HttpGet(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return {};
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, static_cast<size_t>(n));
  close(fd);
  return response;
}

TEST(MetricsEndpoint, ServesPrometheusTextAndHealthOnLoopback) {
  std::atomic<bool> healthy{true};
  auto endpoint = MetricsEndpoint::Start(
      0, {[] { return std::string("interdict_worker_in_flight 3\n"); }, [&healthy] { return healthy.load(); }});
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  uint16_t port = (*endpoint)->port();
  ASSERT_NE(port, 0);
  std::string metrics = HttpGet(port, "/metrics");
  EXPECT_NE(metrics.find("200 OK"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("text/plain; version=0.0.4"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\r\n\r\ninterdict_worker_in_flight 3\n"), std::string::npos) << metrics;
  EXPECT_NE(HttpGet(port, "/healthz").find("200 OK"), std::string::npos);
  healthy = false;
  std::string draining = HttpGet(port, "/healthz");
  EXPECT_NE(draining.find("503"), std::string::npos) << draining;
  EXPECT_NE(draining.find("draining"), std::string::npos);
  EXPECT_NE(HttpGet(port, "/other").find("404"), std::string::npos);
}

}  // namespace
}  // namespace interdict
