// The host's side of the result pipe: turns the worker's byte stream into validated events.
//
// Every frame is parsed by FrameReader and every result checked again (result_validation.h) and against
// per-job caps; artifacts are streamed to host-owned temporary files while being hashed. The first violation
// makes Consume return kCorrupt: the caller then ends the job as a protocol error. Used identically for
// sandboxed and in-process jobs. Not thread-safe: one per job, on the thread that runs it.
#ifndef INTERDICT_SANDBOX_RESULT_COLLECTOR_H_
#define INTERDICT_SANDBOX_RESULT_COLLECTOR_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/hash.h"
#include "sandbox/frame.h"
#include "sandbox/job_runner.h"

namespace interdict {

inline constexpr uint64_t kMaxFindingsPerJob = 1'000'000;
inline constexpr uint64_t kMaxArtifactsPerJob = 100'000;
// An extracted file larger than this ends the job (a whole userdata partition fits below it).
inline constexpr uint64_t kMaxArtifactBytes = 256ull << 30;

class ResultCollector {
 public:
  // `artifact_dir` receives the temporary artifact files (empty: the system temp folder).
  ResultCollector(const JobEvents& events, std::filesystem::path artifact_dir);
  ~ResultCollector();  // removes temporary files of artifacts that never ended
  ResultCollector(const ResultCollector&) = delete;
  ResultCollector& operator=(const ResultCollector&) = delete;

  // Feeds bytes from the pipe. Non-OK (kCorrupt) on the first protocol violation; do not call again after.
  Status Consume(const void* data, size_t length);
  // End of stream: a truncated frame or a result after kDone is a protocol violation.
  Status Finish();

  std::optional<int32_t> done_status() const { return done_status_; }
  bool start_failed() const { return start_failure_.has_value(); }
  int32_t start_failure_status() const { return start_failure_ ? start_failure_->first : 0; }
  const std::string& start_failure_reason() const { return start_failure_->second; }
  bool allocation_failed() const { return allocation_failed_; }
  uint64_t findings() const { return findings_; }
  uint64_t artifacts() const { return artifacts_; }

 private:
  struct OpenArtifact {
    ProducedArtifact artifact;
    int fd = -1;
    MultiHasher hasher{{HashAlgorithm::kSha256}};
  };

  Status Handle(Frame& frame);
  Status BeginArtifact(Frame& frame);
  Status WriteArtifact(const Frame& frame);
  Status EndArtifact(uint64_t handle);

  const JobEvents& events_;
  std::filesystem::path artifact_dir_;
  FrameReader reader_;
  std::map<uint64_t, std::unique_ptr<OpenArtifact>> open_;
  std::optional<int32_t> done_status_;
  std::optional<std::pair<int32_t, std::string>> start_failure_;
  bool allocation_failed_ = false;
  uint64_t findings_ = 0;
  uint64_t artifacts_ = 0;
};

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_RESULT_COLLECTOR_H_
