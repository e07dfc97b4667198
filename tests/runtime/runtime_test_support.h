// Shared helpers for the runtime integration tests: where the plugins are, a scratch folder, and a job
// runner that records everything a job reports.
#ifndef INTERDICT_TESTS_RUNTIME_RUNTIME_TEST_SUPPORT_H_
#define INTERDICT_TESTS_RUNTIME_RUNTIME_TEST_SUPPORT_H_

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/files.h"
#include "sandbox/job_runner.h"

namespace interdict::testing {

inline std::filesystem::path ExampleManifest() {
  return std::filesystem::path(INTERDICT_PLUGIN_DIR) / "plugin_example" / "plugin.json";
}

inline std::filesystem::path TestPluginManifest(const std::string& target) {
  return std::filesystem::path(INTERDICT_TEST_PLUGIN_DIR) / target / "plugin.json";
}

// A fresh folder, removed with everything in it when the object goes.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "interdict-runtime-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RecordedArtifact {
  nlohmann::json meta;
  std::string contents;
  std::string sha256;
  uint64_t size = 0;
};

struct RecordedJob {
  Result<JobOutcome> outcome = Status::Internal("not run");
  std::vector<nlohmann::json> findings;
  std::vector<RecordedArtifact> artifacts;
  std::vector<std::string> logs;
  uint64_t progress_reports = 0;
};

inline RecordedJob RunRecorded(JobSpec spec, std::function<bool()> should_cancel = nullptr) {
  RecordedJob job;
  JobEvents events;
  events.on_log = [&](LogLevel, const std::string& message) { job.logs.push_back(message); };
  events.on_progress = [&](uint64_t, uint64_t) { ++job.progress_reports; };
  events.on_finding = [&](const nlohmann::json& finding) {
    job.findings.push_back(finding);
    return Status::Ok();
  };
  events.on_artifact = [&](ProducedArtifact& artifact) {
    Result<std::string> contents = ReadFileToString(artifact.temp_path, 64 << 20);
    job.artifacts.push_back({artifact.meta, contents.ok() ? *contents : "", artifact.sha256, artifact.size});
    return Status::Ok();
  };
  events.should_cancel = std::move(should_cancel);
  job.outcome = RunJob(spec, events);
  return job;
}

}  // namespace interdict::testing

#endif  // INTERDICT_TESTS_RUNTIME_RUNTIME_TEST_SUPPORT_H_
