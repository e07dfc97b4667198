// `interdict analyze CASE_DIR` end to end with real sandboxed plugins: the example plugin completes, the
// runtime tests' segfaulting plugin crashes its sandboxed worker process on every attempt and is quarantined,
// which the queue lists and the case records (so the report shows it). A second run finds nothing to do.
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "case/case_store.h"

namespace interdict {
namespace {

const std::string kInterdict = std::string(INTERDICT_BINARY_DIR) + "/bin/interdict";
constexpr char kCrashingPlugin[] = "org.interdict.test.segfault";
constexpr char kExamplePlugin[] = "org.interdict.example";
// The media type the runtime test plugins accept.
constexpr char kTestMediaType[] = "application/x-interdict-test";

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class AnalyzeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("interdict_analyze_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "plugins");
    // Only these two plugins: the real plugin folder may hold others that would also accept the input.
    std::filesystem::copy(std::string(INTERDICT_PLUGIN_DIR) + "/plugin_example", dir_ / "plugins/plugin_example",
                          std::filesystem::copy_options::recursive);
    std::filesystem::copy(std::string(INTERDICT_TEST_PLUGIN_DIR) + "/plugin_test_segfault",
                          dir_ / "plugins/plugin_test_segfault", std::filesystem::copy_options::recursive);
    case_dir_ = dir_ / "case";
    CaseInfo info;
    info.case_number = "Q-1";
    info.examiner = "queue test";
    auto store = CaseStore::Create(case_dir_, info, "test");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto artifact = (*store)->StoreArtifactBytes("synthetic evidence for the queue test\n", kTestMediaType, "test");
    ASSERT_TRUE(artifact.ok()) << artifact.status().ToString();
    input_sha256_ = artifact->sha256;
    EvidenceRecord evidence;
    evidence.label = "EXHIBIT-1";
    evidence.kind = "file";
    evidence.source = "file:/synthetic";
    evidence.artifact_sha256 = input_sha256_;
    auto added = (*store)->AddEvidence(evidence, "test");
    ASSERT_TRUE(added.ok()) << added.status().ToString();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CommandResult Analyze() {
    return RunCommand(kInterdict + " --plugin-dir " + (dir_ / "plugins").string() + " analyze " + case_dir_.string() +
               " --json --max-attempts 2 --concurrency 2 2>>" + (dir_ / "analyze.log").string());
  }

  std::filesystem::path dir_;
  std::filesystem::path case_dir_;
  std::string input_sha256_;
};

TEST_F(AnalyzeTest, RunsEveryApplicablePluginAndQuarantinesTheOneThatCrashes) {
  CommandResult first = Analyze();
  ASSERT_EQ(first.exit_code, 5) << "expected 'incomplete' (a quarantined input)\n" << first.out;
  nlohmann::json summary = nlohmann::json::parse(first.out);
  EXPECT_EQ(summary["jobs"]["done"], 1);
  EXPECT_EQ(summary["jobs"]["dead"], 1);
  ASSERT_EQ(summary["quarantined"].size(), 1u);
  EXPECT_EQ(summary["quarantined"][0]["plugin"], std::string(kCrashingPlugin) + "@1.0.0");
  EXPECT_EQ(summary["quarantined"][0]["attempts"], 2);
  EXPECT_EQ(summary["quarantined"][0]["input"], "EXHIBIT-1");
  EXPECT_NE(summary["quarantined"][0]["error"].get<std::string>().find("crashed"), std::string::npos)
      << summary.dump(2);

  auto store = CaseStore::Open(case_dir_);
  ASSERT_TRUE(store.ok());
  auto jobs = (*store)->ListJobs();
  ASSERT_TRUE(jobs.ok());
  int completed = 0, crashed = 0, quarantined = 0;
  for (const JobRecord& job : *jobs) {
    EXPECT_EQ(job.input_sha256, input_sha256_);
    if (job.plugin_id == kExamplePlugin && job.outcome == "completed") ++completed;
    if (job.plugin_id == kCrashingPlugin && job.outcome == "crashed") ++crashed;
    if (job.plugin_id == kCrashingPlugin && job.outcome == "quarantined") {
      ++quarantined;
      EXPECT_EQ(job.attempts, 2);
    }
  }
  EXPECT_EQ(completed, 1);
  EXPECT_EQ(crashed, 2) << "one case record per crashed attempt";
  EXPECT_EQ(quarantined, 1);

  // The queue inside the case lists it as dead too.
  CommandResult dead = RunCommand(kInterdict + " queue --queue sqlite:" + (case_dir_ / "queue.db").string() + " dead --json");
  ASSERT_EQ(dead.exit_code, 0);
  nlohmann::json dead_jobs = nlohmann::json::parse(dead.out);
  ASSERT_EQ(dead_jobs.size(), 1u);
  EXPECT_EQ(dead_jobs[0]["plugin_id"], kCrashingPlugin);

  // Running analyze again finds all work already done or quarantined: nothing runs.
  CommandResult second = Analyze();
  ASSERT_EQ(second.exit_code, 5) << second.out;
  nlohmann::json again = nlohmann::json::parse(second.out);
  EXPECT_EQ(again["this_run"]["leased"], 0);
  EXPECT_EQ(again["jobs"]["done"], 1);
  auto jobs_after = (*store)->ListJobs();
  ASSERT_TRUE(jobs_after.ok());
  EXPECT_EQ(jobs_after->size(), jobs->size());
}

TEST_F(AnalyzeTest, AWorkerTurnsAFileDroppedIntoItsWatchFolderIntoACaseAndJobs) {
  std::filesystem::path inbox = dir_ / "inbox";
  std::filesystem::path cases = dir_ / "cases";
  std::filesystem::create_directories(inbox);
  std::string queue_url = "sqlite:" + (dir_ / "watch-queue.db").string();
  std::string bytes = "dropped synthetic exhibit\n";
  {
    std::ofstream out(dir_ / "exhibit.bin.partial", std::ios::binary);
    out << bytes;
  }
  // Copied in under a .partial name, then renamed: the worker only ever sees a complete file.
  std::filesystem::rename(dir_ / "exhibit.bin.partial", inbox / "exhibit.bin");
  std::string command = kInterdict + " --plugin-dir " + (dir_ / "plugins").string() + " worker --queue " + queue_url +
                        " --concurrency 1 --case-root " + cases.string() + " --watch " + inbox.string() + " >/dev/null 2>>" +
                        (dir_ / "watch.log").string() + " & echo $!";
  CommandResult started = RunCommand(command);
  pid_t pid = static_cast<pid_t>(std::stol(started.out));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  nlohmann::json counts;
  for (;;) {
    CommandResult status = RunCommand(kInterdict + " --json queue --queue " + queue_url + " status 2>/dev/null");
    if (status.exit_code == 0) counts = nlohmann::json::parse(status.out);
    if (counts.is_object() && counts["done"] == 1 && counts["queued"] == 0 && counts["leased"] == 0) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << counts.dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  kill(pid, SIGTERM);
  for (int i = 0; i < 600 && kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(kill(pid, 0), 0) << "the worker did not drain and exit";

  // The file was moved aside untouched, and a case holds it as evidence with the example plugin's run.
  EXPECT_FALSE(std::filesystem::exists(inbox / "exhibit.bin"));
  std::ifstream moved(inbox / "ingested" / "exhibit.bin", std::ios::binary);
  std::string moved_bytes((std::istreambuf_iterator<char>(moved)), std::istreambuf_iterator<char>());
  EXPECT_EQ(moved_bytes, bytes);
  std::vector<std::filesystem::path> created;
  for (const auto& entry : std::filesystem::directory_iterator(cases)) created.push_back(entry.path());
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].filename().string().rfind("exhibit-", 0), 0u) << created[0];
  auto store = CaseStore::Open(created[0]);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto evidence = (*store)->ListEvidence();
  ASSERT_TRUE(evidence.ok());
  ASSERT_EQ(evidence->size(), 1u);
  EXPECT_EQ(evidence->front().label, "exhibit.bin");
  auto jobs = (*store)->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(jobs->front().plugin_id, kExamplePlugin);
  EXPECT_EQ(jobs->front().outcome, "completed");
  EXPECT_EQ(jobs->front().input_sha256, evidence->front().artifact_sha256);
}

TEST_F(AnalyzeTest, RefusesAFolderThatIsNotACase) {
  CommandResult result = RunCommand(kInterdict + " analyze " + (dir_ / "missing").string() + " 2>/dev/null");
  EXPECT_EQ(result.exit_code, 3);
}

}  // namespace
}  // namespace interdict
