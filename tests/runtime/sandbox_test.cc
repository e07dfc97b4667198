// The sandbox against the example plugin and the deliberately bad ones. After every bad plugin a good job
// runs, to show the host carried on.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cstdlib>

#include "core/hash.h"
#include "interdict/plugin_abi.h"
#include "runtime_test_support.h"

namespace interdict {
namespace {

using testing::ExampleManifest;
using testing::RecordedJob;
using testing::RunRecorded;
using testing::ScratchDir;
using testing::TestPluginManifest;

constexpr size_t kInputBytes = 3 * 1024 * 1024 + 17;  // more than one of the example's 1 MiB read blocks

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Deterministic, non-uniform bytes (a linear congruential generator), written as the job's input.
    input_.resize(kInputBytes);
    uint32_t state = 12345;
    for (auto& byte : input_) {
      state = state * 1103515245u + 12345u;
      byte = static_cast<char>((state >> 16) % 97);
    }
    input_path_ = scratch_.path() / "input.bin";
    ASSERT_TRUE(WriteFileAtomic(input_path_, input_).ok());
  }

  JobSpec Spec(const std::filesystem::path& manifest) const {
    JobSpec spec;
    spec.plugin_manifest = manifest;
    spec.input_path = input_path_;
    spec.input_name = "input.bin";
    spec.artifact_dir = scratch_.path();
    spec.limits.wall_timeout = std::chrono::seconds(60);
    spec.limits.terminate_grace = std::chrono::milliseconds(500);
    return spec;
  }

  std::string ExpectedHistogramJson() const {
    std::array<uint64_t, 256> histogram{};
    for (char c : input_) ++histogram[static_cast<uint8_t>(c)];
    return nlohmann::json(histogram).dump();
  }

  // Runs the example plugin and checks every value it reports.
  void ExpectExampleJobSucceeds(bool in_process = false) {
    JobSpec spec = Spec(ExampleManifest());
    spec.in_process = in_process;
    RecordedJob job = RunRecorded(spec);
    ASSERT_TRUE(job.outcome.ok()) << job.outcome.status().ToString();
    EXPECT_EQ(job.outcome->termination, JobTermination::kCompleted) << job.outcome->message;
    EXPECT_EQ(job.outcome->plugin_status, INTERDICT_OK);
    EXPECT_EQ(job.outcome->plugin_id, "org.interdict.example");
    EXPECT_EQ(job.outcome->plugin_version, "1.0.0");
    ASSERT_EQ(job.findings.size(), 1u);
    EXPECT_EQ(job.findings[0]["kind"], "input-summary");
    EXPECT_EQ(job.findings[0]["sha256"], Sha256Hex(input_));
    EXPECT_EQ(job.findings[0]["size"], kInputBytes);
    EXPECT_EQ(job.findings[0]["location"], "input.bin");
    ASSERT_EQ(job.artifacts.size(), 1u);
    std::string histogram = ExpectedHistogramJson();
    EXPECT_EQ(job.artifacts[0].contents, histogram);
    EXPECT_EQ(job.artifacts[0].sha256, Sha256Hex(histogram));
    EXPECT_EQ(job.artifacts[0].size, histogram.size());
    EXPECT_EQ(job.artifacts[0].meta["name"], "byte-histogram.json");
    EXPECT_EQ(job.outcome->findings, 1u);
    EXPECT_EQ(job.outcome->artifacts, 1u);
    EXPECT_EQ(job.progress_reports, 4u);  // one per 1 MiB block, the last one partial
  }

  RecordedJob RunBad(const std::string& target, JobSpec* spec_override = nullptr) {
    JobSpec spec = spec_override ? *spec_override : Spec(TestPluginManifest(target));
    return RunRecorded(spec);
  }

  // The plugin dies at its forbidden call: the log line it writes after the call never arrives.
  void ExpectSeccompViolation(const std::string& target) {
    RecordedJob job = RunBad(target);
    ASSERT_TRUE(job.outcome.ok());
    EXPECT_EQ(job.outcome->termination, JobTermination::kSeccompViolation) << job.outcome->message;
    EXPECT_EQ(job.outcome->signal_number, SIGSYS);
    EXPECT_EQ(job.logs, std::vector<std::string>{"about to misbehave"});
  }

  ScratchDir scratch_;
  std::string input_;
  std::filesystem::path input_path_;
};

TEST_F(SandboxTest, ExampleFindingAndArtifactRoundTripThroughTheWorkerWithCorrectHashes) {
  ExpectExampleJobSucceeds();
  // Nothing is left behind in the artifact folder: the callee did not keep the temporary file.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(scratch_.path())) files += entry.path() != input_path_;
  EXPECT_EQ(files, 0u);
}

TEST_F(SandboxTest, InProcessModeGivesTheSameFindingsAndArtifacts) {
  RecordedJob sandboxed = RunRecorded(Spec(ExampleManifest()));
  JobSpec spec = Spec(ExampleManifest());
  spec.in_process = true;
  RecordedJob in_process = RunRecorded(spec);
  ASSERT_TRUE(sandboxed.outcome.ok());
  ASSERT_TRUE(in_process.outcome.ok());
  EXPECT_EQ(in_process.outcome->termination, JobTermination::kCompleted) << in_process.outcome->message;
  EXPECT_EQ(in_process.findings, sandboxed.findings);
  ASSERT_EQ(in_process.artifacts.size(), 1u);
  ASSERT_EQ(sandboxed.artifacts.size(), 1u);
  EXPECT_EQ(in_process.artifacts[0].sha256, sandboxed.artifacts[0].sha256);
  EXPECT_EQ(in_process.artifacts[0].meta, sandboxed.artifacts[0].meta);
  EXPECT_EQ(in_process.logs, sandboxed.logs);
}

TEST_F(SandboxTest, SegfaultIsReportedAsACrashWithTheSignalName) {
  RecordedJob job = RunBad("plugin_test_segfault");
  ASSERT_TRUE(job.outcome.ok()) << job.outcome.status().ToString();
  EXPECT_EQ(job.outcome->termination, JobTermination::kCrashed) << job.outcome->message;
  EXPECT_EQ(job.outcome->signal_number, SIGSEGV);
  EXPECT_NE(job.outcome->message.find("SIGSEGV"), std::string::npos) << job.outcome->message;
  EXPECT_EQ(job.logs, std::vector<std::string>{"about to misbehave"});
  EXPECT_TRUE(job.findings.empty());
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, InfiniteLoopIsStoppedAtTheWallClockTimeout) {
  JobSpec spec = Spec(TestPluginManifest("plugin_test_infinite_loop"));
  spec.limits.wall_timeout = std::chrono::seconds(1);
  RecordedJob job = RunBad("", &spec);
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kTimedOut) << job.outcome->message;
  EXPECT_NE(job.outcome->message.find("timed out after 1 s"), std::string::npos) << job.outcome->message;
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, InfiniteLoopIsStoppedByTheCpuLimit) {
  JobSpec spec = Spec(TestPluginManifest("plugin_test_infinite_loop"));
  spec.limits.cpu_seconds = 1;
  RecordedJob job = RunBad("", &spec);
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kCpuLimit) << job.outcome->message;
  EXPECT_EQ(job.outcome->signal_number, SIGXCPU);
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, TenGigabyteAllocationIsReportedAsTheMemoryLimit) {
  RecordedJob job = RunBad("plugin_test_allocate_10gb");
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kMemoryLimit) << job.outcome->message;
  // The manifest asks for 512 MiB, below the 4 GiB default.
  EXPECT_NE(job.outcome->message.find("512 MiB"), std::string::npos) << job.outcome->message;
  for (const auto& log : job.logs) EXPECT_EQ(log.find("did not hold"), std::string::npos) << log;
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, UncheckedMallocOfTenGigabytesIsReportedAsTheMemoryLimitNotACrash) {
  RecordedJob job = RunBad("plugin_test_malloc_10gb_unchecked");
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kMemoryLimit) << job.outcome->message;
  for (const auto& log : job.logs) EXPECT_EQ(log.find("did not hold"), std::string::npos) << log;
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, OpeningANetworkSocketIsASeccompViolation) {
  ExpectSeccompViolation("plugin_test_open_socket");
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, ExecutingAShellIsASeccompViolation) {
  ExpectSeccompViolation("plugin_test_exec_shell");
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, ParsingPluginsGetNoSocketOfAnyFamily) {
  ExpectSeccompViolation("plugin_test_unix_socket");
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, UsbPluginsMayOpenUnixSocketsButNotNetworkSockets) {
  RecordedJob unix_socket = RunBad("plugin_test_usb_unix_socket");
  ASSERT_TRUE(unix_socket.outcome.ok());
  EXPECT_EQ(unix_socket.outcome->termination, JobTermination::kCompleted) << unix_socket.outcome->message;
  EXPECT_EQ(unix_socket.logs, (std::vector<std::string>{"about to misbehave", "unix socket opened"}));
  ASSERT_EQ(unix_socket.findings.size(), 1u);
  EXPECT_EQ(unix_socket.findings[0]["kind"], "test-ran");

  ExpectSeccompViolation("plugin_test_usb_open_socket");
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, ParsingPluginsCannotOpenFiles) {
  RecordedJob job = RunBad("plugin_test_open_file");
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kCompleted) << job.outcome->message;
#ifndef __SANITIZE_ADDRESS__
  // Sanitizer builds allow open for the sanitizer runtime's reports (docs/plugin-abi.md).
  EXPECT_EQ(job.logs, (std::vector<std::string>{"about to misbehave", "open failed: Permission denied"}));
#endif
}

TEST_F(SandboxTest, ChecksumMismatchIsRefusedBeforeAnyPluginCodeRuns) {
  RecordedJob job = RunBad("plugin_test_checksum_mismatch");
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kStartFailed) << job.outcome->message;
  EXPECT_NE(job.outcome->message.find("SHA-256"), std::string::npos) << job.outcome->message;
  EXPECT_TRUE(job.logs.empty());
  ExpectExampleJobSucceeds();
}

TEST_F(SandboxTest, AbiMajorMismatchIsRefusedNamingBothVersions) {
  RecordedJob job = RunBad("plugin_test_abi_major");
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kStartFailed);
  EXPECT_NE(job.outcome->message.find("ABI 2.0"), std::string::npos) << job.outcome->message;
  EXPECT_NE(job.outcome->message.find("ABI 1.0"), std::string::npos) << job.outcome->message;
  EXPECT_EQ(job.outcome->plugin_status, INTERDICT_ABI_MISMATCH);
}

TEST_F(SandboxTest, CancellationStopsAPluginThatIgnoresIt) {
  JobSpec spec = Spec(TestPluginManifest("plugin_test_infinite_loop"));
  RecordedJob job = RunRecorded(spec, [] { return true; });
  ASSERT_TRUE(job.outcome.ok());
  EXPECT_EQ(job.outcome->termination, JobTermination::kCancelled) << job.outcome->message;
}

TEST_F(SandboxTest, AMissingManifestOrInputIsReportedNotThrown) {
  RecordedJob missing_manifest = RunRecorded(Spec(scratch_.path() / "nope" / "plugin.json"));
  ASSERT_TRUE(missing_manifest.outcome.ok());
  EXPECT_EQ(missing_manifest.outcome->termination, JobTermination::kStartFailed);

  JobSpec spec = Spec(ExampleManifest());
  spec.input_path = scratch_.path() / "absent.bin";
  RecordedJob missing_input = RunRecorded(spec);
  EXPECT_EQ(missing_input.outcome.status().code(), StatusCode::kIoError);
}

TEST_F(SandboxTest, AMissingWorkerExecutableIsAHostError) {
  ::setenv("INTERDICT_WORKER", "/nonexistent/interdict-worker", 1);
  RecordedJob job = RunRecorded(Spec(ExampleManifest()));
  ::unsetenv("INTERDICT_WORKER");
  EXPECT_EQ(job.outcome.status().code(), StatusCode::kNotFound);
  EXPECT_NE(job.outcome.status().message().find("INTERDICT_WORKER"), std::string::npos);
}

TEST_F(SandboxTest, AHostThatRefusesAFindingEndsTheJobAsAProtocolError) {
  JobEvents events;
  events.on_finding = [](const nlohmann::json&) { return Status::PermissionDenied("no findings today"); };
  Result<JobOutcome> outcome = RunJob(Spec(ExampleManifest()), events);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->termination, JobTermination::kProtocolError);
  EXPECT_NE(outcome->message.find("no findings today"), std::string::npos) << outcome->message;
}

}  // namespace
}  // namespace interdict
