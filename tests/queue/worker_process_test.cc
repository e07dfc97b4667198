// The real `interdict worker` processes against each backend: SIGKILL chaos, quarantine of a crashing job,
// and SIGTERM draining. Jobs use the queue's built-in handlers (builtin:noop, builtin:crash; see
// queue/builtin_handlers.h) so the tests measure the queue and the worker, not a plugin.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "queue/builtin_handlers.h"
#include "queue/job_queue.h"
#include "queue_backends.h"

extern char** environ;

namespace interdict {
namespace {

using namespace std::chrono_literals;

const std::string kInterdict = std::string(INTERDICT_BINARY_DIR) + "/bin/interdict";
// Short leases so that the jobs of a killed worker come back within a couple of seconds.
constexpr char kTestLeaseMs[] = "1500";
// Nothing here should take this long; a run that does has hung.
constexpr auto kGiveUpAfter = 240s;

class WorkerProcess {
 public:
  WorkerProcess(std::vector<std::string> args, std::filesystem::path log) : args_(std::move(args)), log_(std::move(log)) {}
  ~WorkerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }

  void Start() {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kInterdict.c_str()));
    for (auto& arg : args_) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, kInterdict.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(rc, 0) << "cannot start " << kInterdict;
  }
  void Signal(int signal) {
    if (pid_ > 0) kill(pid_, signal);
  }
  // Returns the raw wait status.
  int Wait() {
    int status = 0;
    if (pid_ > 0) {
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return status;
  }
  bool Exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      last_status_ = status;
      return true;
    }
    return false;
  }
  int last_status() const { return last_status_; }

 private:
  std::vector<std::string> args_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int last_status_ = 0;
};

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

template <typename Backend>
class WorkerProcessTest : public ::testing::Test {
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

  WorkerProcess MakeWorker(int concurrency, const std::string& log_name) {
    return WorkerProcess({"worker", "--queue", backend_.Url(), "--concurrency", std::to_string(concurrency),
                          "--lease-ms", kTestLeaseMs},
                         backend_.dir() / log_name);
  }

  void SubmitNoops(int count, int sleep_ms, int max_attempts) {
    for (int i = 0; i < count; ++i) {
      JobRequest request;
      request.plugin_id = kBuiltinNoop;
      request.plugin_version = kBuiltinVersion;
      request.params = {{"i", i}, {"sleep_ms", sleep_ms}, {"marker_file", MarkerFile().string()}};
      request.max_attempts = max_attempts;
      auto submitted = queue_->Submit(request);
      ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
    }
  }

  std::filesystem::path MarkerFile() const { return backend_.dir() / "executions.txt"; }

  // job id -> how often its work ran, from the marker file.
  std::map<int64_t, int> Executions() const {
    std::map<int64_t, int> runs;
    std::ifstream in(MarkerFile());
    int64_t id = 0;
    std::string attempt, owner;
    while (in >> id >> attempt >> owner) ++runs[id];
    return runs;
  }

  QueueCounts MustCount() {
    auto counts = queue_->Counts();
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : QueueCounts{};
  }

  // Runs the interdict command and returns its stdout.
  std::string RunCli(const std::string& args) {
    std::string command = kInterdict + " " + args + " 2>>" + (backend_.dir() / "cli.log").string();
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return {};
    std::string out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
    int status = pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command << " -> " << status;
    return out;
  }

  Backend backend_;
  std::unique_ptr<JobQueue> queue_;
};

TYPED_TEST_SUITE(WorkerProcessTest, testing::QueueBackends, testing::QueueBackendNames);

// 2 worker processes x 4 slots, 2,000 jobs, a random worker SIGKILLed and restarted about every 2 s.
TYPED_TEST(WorkerProcessTest, ChaosEveryJobDoneExactlyOnceWhileWorkersAreKilled) {
  constexpr int kJobs = 2000;
  constexpr int kWorkers = 2;
  constexpr int kSlots = 4;
  // 30 ms per job: 2,000 jobs keep 8 slots busy for at least 7.5 s, long enough for several kills.
  this->SubmitNoops(kJobs, 30, /*max_attempts=*/10);
  std::vector<WorkerProcess> workers;
  for (int w = 0; w < kWorkers; ++w) workers.push_back(this->MakeWorker(kSlots, "worker" + std::to_string(w) + ".log"));
  for (auto& worker : workers) worker.Start();

  std::mt19937 random(20261129);
  std::uniform_int_distribution<int> pick(0, kWorkers - 1);
  std::uniform_int_distribution<int> pause_ms(1500, 2500);
  int kills = 0;
  auto started = std::chrono::steady_clock::now();
  auto next_kill = started + std::chrono::milliseconds(pause_ms(random));
  for (;;) {
    QueueCounts counts = this->MustCount();
    if (counts.done == kJobs) break;
    ASSERT_LT(std::chrono::steady_clock::now() - started, kGiveUpAfter)
        << "stuck: " << counts.done << " done, " << counts.leased << " leased, " << counts.queued << " queued, "
        << counts.failed << " failed, " << counts.dead << " dead";
    for (auto& worker : workers) ASSERT_FALSE(worker.Exited()) << "a worker exited on its own";
    if (std::chrono::steady_clock::now() >= next_kill) {
      WorkerProcess& victim = workers[static_cast<size_t>(pick(random))];
      victim.Signal(SIGKILL);
      int status = victim.Wait();
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
      ++kills;
      victim.Start();
      next_kill = std::chrono::steady_clock::now() + std::chrono::milliseconds(pause_ms(random));
    }
    std::this_thread::sleep_for(100ms);
  }
  for (auto& worker : workers) worker.Signal(SIGTERM);
  for (auto& worker : workers) {
    int status = worker.Wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "drain after chaos, status " << status;
  }

  EXPECT_GE(kills, 2) << "the chaos driver did not get to kill anything";
  QueueCounts counts = this->MustCount();
  EXPECT_EQ(counts.done, kJobs);
  EXPECT_EQ(counts.results, kJobs) << "a job's result was recorded more than once";
  EXPECT_EQ(counts.leased, 0);
  EXPECT_EQ(counts.queued, 0);
  EXPECT_EQ(counts.failed, 0);
  EXPECT_EQ(counts.dead, 0);
  EXPECT_EQ(counts.Total(), kJobs);

  // Every job's work ran at least once; killed leases were retried, so some ran more than once.
  std::map<int64_t, int> runs = this->Executions();
  EXPECT_EQ(runs.size(), static_cast<size_t>(kJobs));
  auto done = this->queue_->List({JobState::kDone, kMaxListedJobs});
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->size(), static_cast<size_t>(kJobs));
  int retried_jobs = 0;
  for (const JobInfo& info : *done) {
    EXPECT_GE(runs[info.job_id], 1) << "job " << info.job_id << " is done but never ran";
    if (info.attempts > 1) ++retried_jobs;
  }
  EXPECT_GE(retried_jobs, 1) << "no job was taken back from a killed worker";
  int64_t executions = 0;
  for (const auto& [id, n] : runs) executions += n;
  std::cout << "chaos (" << this->queue_->backend() << "): " << kills << " kills, " << retried_jobs
            << " jobs leased more than once, " << executions << " executions for " << kJobs << " results\n";
}

TYPED_TEST(WorkerProcessTest, AJobThatAlwaysCrashesEndsDeadAndIsListedByQueueDead) {
  JobRequest crash;
  crash.plugin_id = kBuiltinCrash;
  crash.plugin_version = kBuiltinVersion;
  crash.input_ref = "poison.bin";
  crash.max_attempts = 3;
  auto submitted = this->queue_->Submit(crash);
  ASSERT_TRUE(submitted.ok());
  this->SubmitNoops(3, 0, 3);
  WorkerProcess worker = this->MakeWorker(2, "worker.log");
  worker.Start();
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    QueueCounts counts = this->MustCount();
    if (counts.dead == 1 && counts.done == 3) break;
    ASSERT_LT(std::chrono::steady_clock::now() - started, kGiveUpAfter) << counts.dead << " dead";
    std::this_thread::sleep_for(100ms);
  }
  worker.Signal(SIGTERM);
  int status = worker.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  nlohmann::json dead = nlohmann::json::parse(this->RunCli("queue --queue '" + this->backend_.Url() + "' dead --json"));
  ASSERT_TRUE(dead.is_array());
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]["id"], submitted->job_id);
  EXPECT_EQ(dead[0]["state"], "dead");
  EXPECT_EQ(dead[0]["attempts"], 3);
  EXPECT_EQ(dead[0]["plugin_id"], kBuiltinCrash);
  EXPECT_EQ(dead[0]["input_ref"], "poison.bin");
  EXPECT_NE(dead[0]["last_error"].get<std::string>().find("signal 6"), std::string::npos) << dead[0].dump();

  // An examiner can put it back; it is queued with its attempts reset.
  nlohmann::json retried = nlohmann::json::parse(
      this->RunCli("queue --queue '" + this->backend_.Url() + "' retry --json " + std::to_string(submitted->job_id)));
  EXPECT_EQ(retried[0]["changed"], true);
  nlohmann::json status_json = nlohmann::json::parse(
      this->RunCli("queue --queue '" + this->backend_.Url() + "' status --json " + std::to_string(submitted->job_id)));
  EXPECT_EQ(status_json["state"], "queued");
  EXPECT_EQ(status_json["attempts"], 0);
}

TYPED_TEST(WorkerProcessTest, SigtermLetsJobsInFlightFinishAndLeavesNothingLeased) {
  constexpr int kSlots = 4;
  constexpr int kJobs = 10;
  // Long enough that SIGTERM surely arrives while the first four run.
  this->SubmitNoops(kJobs, 2000, 3);
  WorkerProcess worker = this->MakeWorker(kSlots, "worker.log");
  worker.Start();
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    QueueCounts counts = this->MustCount();
    if (counts.leased == kSlots) break;
    ASSERT_EQ(counts.done, 0) << "a job finished before all slots were busy";
    ASSERT_LT(std::chrono::steady_clock::now() - started, kGiveUpAfter);
    std::this_thread::sleep_for(20ms);
  }
  worker.Signal(SIGTERM);
  int status = worker.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

  QueueCounts counts = this->MustCount();
  EXPECT_EQ(counts.leased, 0);
  EXPECT_EQ(counts.done, kSlots) << "the jobs in flight did not finish";
  EXPECT_EQ(counts.results, kSlots);
  EXPECT_EQ(counts.queued, kJobs - kSlots) << "a draining worker took new jobs";
  EXPECT_EQ(this->Executions().size(), static_cast<size_t>(kSlots));
  std::string log = ReadAll(this->backend_.dir() / "worker.log");
  EXPECT_NE(log.find("draining"), std::string::npos) << log;
}

}  // namespace
}  // namespace interdict
