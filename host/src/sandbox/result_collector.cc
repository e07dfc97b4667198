#include "sandbox/result_collector.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "interdict/plugin_abi.h"
#include "sandbox/plugin_host_api.h"
#include "sandbox/result_validation.h"

namespace interdict {
namespace {

LogLevel ToLogLevel(int level) {
  switch (level) {
    case INTERDICT_LOG_DEBUG:
      return LogLevel::kDebug;
    case INTERDICT_LOG_INFO:
      return LogLevel::kInfo;
    case INTERDICT_LOG_WARNING:
      return LogLevel::kWarning;
    default:
      return LogLevel::kError;
  }
}

Status WriteAll(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t wrote = ::write(fd, data, length);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return Status::IoError(std::string("writing an artifact: ") + std::strerror(errno));
    data += wrote;
    length -= static_cast<size_t>(wrote);
  }
  return Status::Ok();
}

}  // namespace

ResultCollector::ResultCollector(const JobEvents& events, std::filesystem::path artifact_dir)
    : events_(events),
      artifact_dir_(artifact_dir.empty() ? std::filesystem::temp_directory_path() : std::move(artifact_dir)) {}

ResultCollector::~ResultCollector() {
  for (auto& [handle, open] : open_) {
    ::close(open->fd);
    std::error_code ec;
    std::filesystem::remove(open->artifact.temp_path, ec);
  }
}

Status ResultCollector::Consume(const void* data, size_t length) {
  reader_.Append(data, length);
  for (;;) {
    Result<std::optional<Frame>> next = reader_.Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return Status::Ok();
    Frame& frame = **next;
    if (done_status_ || start_failure_) {
      return Status::Corrupt(std::string(FrameTypeName(frame.type)) + " frame after the job had ended");
    }
    INTERDICT_RETURN_IF_ERROR(Handle(frame));
  }
}

Status ResultCollector::Finish() {
  if (reader_.pending_bytes() > 0) {
    return Status::Corrupt("result stream ended inside a frame (" + std::to_string(reader_.pending_bytes()) +
                           " bytes left over)");
  }
  if (done_status_ && !open_.empty()) {
    return Status::Corrupt(std::to_string(open_.size()) + " artifact(s) were begun but never ended");
  }
  return Status::Ok();
}

Status ResultCollector::Handle(Frame& frame) {
  switch (frame.type) {
    case FrameType::kLog:
      if (events_.on_log) events_.on_log(ToLogLevel(frame.level), frame.body);
      return Status::Ok();
    case FrameType::kProgress:
      if (events_.on_progress) events_.on_progress(frame.done, frame.total);
      return Status::Ok();
    case FrameType::kFinding: {
      if (findings_ >= kMaxFindingsPerJob)
        return Status::Corrupt("more than " + std::to_string(kMaxFindingsPerJob) + " findings");
      INTERDICT_ASSIGN_OR_RETURN(nlohmann::json finding, ValidateFinding(frame.body));
      ++findings_;
      if (events_.on_finding) {
        Status accepted = events_.on_finding(finding);
        if (!accepted.ok()) return Status::Corrupt("finding refused by the host: " + accepted.ToString());
      }
      return Status::Ok();
    }
    case FrameType::kArtifactBegin:
      return BeginArtifact(frame);
    case FrameType::kArtifactData:
      return WriteArtifact(frame);
    case FrameType::kArtifactEnd:
      return EndArtifact(frame.handle);
    case FrameType::kDone:
      done_status_ = frame.status;
      return Status::Ok();
    case FrameType::kStartFailed:
      start_failure_ = {frame.status, frame.body};
      return Status::Ok();
    case FrameType::kAllocationFailed:
      allocation_failed_ = true;
      return Status::Ok();
  }
  return Status::Corrupt("unhandled frame type");
}

Status ResultCollector::BeginArtifact(Frame& frame) {
  if (open_.count(frame.handle) > 0)
    return Status::Corrupt("artifact handle " + std::to_string(frame.handle) + " begun twice");
  if (open_.size() >= kMaxOpenArtifacts)
    return Status::Corrupt("more than " + std::to_string(kMaxOpenArtifacts) + " open artifacts");
  if (artifacts_ + open_.size() >= kMaxArtifactsPerJob) {
    return Status::Corrupt("more than " + std::to_string(kMaxArtifactsPerJob) + " artifacts");
  }
  INTERDICT_ASSIGN_OR_RETURN(nlohmann::json meta, ValidateArtifactMeta(frame.body));
  auto open = std::make_unique<OpenArtifact>();
  std::string pattern = (artifact_dir_ / "interdict-artifact-XXXXXX").string();
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  // Failing to store an artifact is the host's problem, not the plugin's: report it as such.
  if (fd < 0)
    return Status::IoError("cannot create an artifact file in " + artifact_dir_.string() + ": " + std::strerror(errno));
  open->fd = fd;
  open->artifact.meta = std::move(meta);
  open->artifact.temp_path = pattern;
  open_[frame.handle] = std::move(open);
  return Status::Ok();
}

Status ResultCollector::WriteArtifact(const Frame& frame) {
  auto it = open_.find(frame.handle);
  if (it == open_.end()) return Status::Corrupt("data for unknown artifact handle " + std::to_string(frame.handle));
  OpenArtifact& open = *it->second;
  if (open.artifact.size + frame.body.size() > kMaxArtifactBytes) {
    return Status::Corrupt("artifact larger than " + std::to_string(kMaxArtifactBytes) + " bytes");
  }
  INTERDICT_RETURN_IF_ERROR(WriteAll(open.fd, frame.body.data(), frame.body.size()));
  open.hasher.Update(frame.body.data(), frame.body.size());
  open.artifact.size += frame.body.size();
  return Status::Ok();
}

Status ResultCollector::EndArtifact(uint64_t handle) {
  auto it = open_.find(handle);
  if (it == open_.end()) return Status::Corrupt("end of unknown artifact handle " + std::to_string(handle));
  std::unique_ptr<OpenArtifact> open = std::move(it->second);
  open_.erase(it);
  int close_rc = ::close(open->fd);
  ProducedArtifact& artifact = open->artifact;
  if (close_rc != 0) {
    std::error_code ec;
    std::filesystem::remove(artifact.temp_path, ec);
    return Status::IoError("closing an artifact file failed");
  }
  artifact.sha256 = open->hasher.Finish().sha256;
  ++artifacts_;
  Status accepted = events_.on_artifact ? events_.on_artifact(artifact) : Status::Ok();
  std::error_code ec;
  std::filesystem::remove(artifact.temp_path, ec);  // no-op if the callee moved it
  if (!accepted.ok()) return Status::Corrupt("artifact refused by the host: " + accepted.ToString());
  return Status::Ok();
}

}  // namespace interdict
