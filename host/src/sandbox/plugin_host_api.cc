#include "sandbox/plugin_host_api.h"

#include <unistd.h>

#include <cerrno>

#include "sandbox/result_validation.h"

namespace interdict {
namespace {

PluginJobChannel* Channel(interdict_job_context* ctx) { return PluginJobChannel::FromContext(ctx); }

void HostLog(interdict_job_context* ctx, interdict_log_level level, const char* message) {
  if (ctx != nullptr) Channel(ctx)->Log(level, message);
}
void HostProgress(interdict_job_context* ctx, uint64_t done, uint64_t total) {
  if (ctx != nullptr) Channel(ctx)->Progress(done, total);
}
int HostCancelled(interdict_job_context* ctx) { return ctx != nullptr && Channel(ctx)->Cancelled() ? 1 : 0; }
interdict_status HostReadInput(interdict_job_context* ctx, uint64_t offset, void* buffer, size_t length, size_t* got) {
  if (ctx == nullptr) return INTERDICT_INVALID_ARGUMENT;
  return Channel(ctx)->ReadInput(offset, buffer, length, got);
}
interdict_status HostEmitFinding(interdict_job_context* ctx, const char* json, size_t length) {
  if (ctx == nullptr) return INTERDICT_INVALID_ARGUMENT;
  return Channel(ctx)->EmitFinding(json, length);
}
interdict_status HostBeginArtifact(interdict_job_context* ctx, const char* meta, size_t length, uint64_t* handle) {
  if (ctx == nullptr) return INTERDICT_INVALID_ARGUMENT;
  return Channel(ctx)->BeginArtifact(meta, length, handle);
}
interdict_status HostWriteArtifact(interdict_job_context* ctx, uint64_t handle, const void* data, size_t length) {
  if (ctx == nullptr) return INTERDICT_INVALID_ARGUMENT;
  return Channel(ctx)->WriteArtifact(handle, data, length);
}
interdict_status HostEndArtifact(interdict_job_context* ctx, uint64_t handle) {
  if (ctx == nullptr) return INTERDICT_INVALID_ARGUMENT;
  return Channel(ctx)->EndArtifact(handle);
}
const char* HostJobConfig(interdict_job_context* ctx) { return ctx != nullptr ? Channel(ctx)->JobConfig() : "{}"; }

const interdict_host_api kHostApi = {
    sizeof(interdict_host_api),
    INTERDICT_ABI_MAJOR,
    INTERDICT_ABI_MINOR,
    INTERDICT_VERSION,
    &HostLog,
    &HostProgress,
    &HostCancelled,
    &HostReadInput,
    &HostEmitFinding,
    &HostBeginArtifact,
    &HostWriteArtifact,
    &HostEndArtifact,
    &HostJobConfig,
};

interdict_status FromWriteStatus(const Status& status) { return status.ok() ? INTERDICT_OK : INTERDICT_IO_ERROR; }

}  // namespace

const interdict_host_api* PluginHostApi() { return &kHostApi; }

PluginJobChannel::PluginJobChannel(FrameWriter* writer, int input_fd, uint64_t input_size, std::string job_config,
                                   const std::atomic<bool>* cancel_flag)
    : writer_(writer),
      input_fd_(input_fd),
      input_size_(input_size),
      job_config_(std::move(job_config)),
      cancel_flag_(cancel_flag) {}

void PluginJobChannel::Log(interdict_log_level level, const char* message) {
  int clamped =
      level < INTERDICT_LOG_DEBUG ? INTERDICT_LOG_DEBUG : (level > INTERDICT_LOG_ERROR ? INTERDICT_LOG_ERROR : level);
  (void)writer_->WriteLog(clamped, message != nullptr ? message : "");
}

void PluginJobChannel::Progress(uint64_t done, uint64_t total) { (void)writer_->WriteProgress(done, total); }

interdict_status PluginJobChannel::ReadInput(uint64_t offset, void* buffer, size_t length, size_t* got) {
  if (got == nullptr || (buffer == nullptr && length > 0)) return INTERDICT_INVALID_ARGUMENT;
  *got = 0;
  if (offset >= input_size_) return INTERDICT_OK;
  uint64_t available = input_size_ - offset;
  if (length > available) length = static_cast<size_t>(available);
  while (*got < length) {
    ssize_t n = ::pread(input_fd_, static_cast<char*>(buffer) + *got, length - *got, static_cast<off_t>(offset + *got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return INTERDICT_IO_ERROR;
    if (n == 0) break;
    *got += static_cast<size_t>(n);
  }
  return INTERDICT_OK;
}

interdict_status PluginJobChannel::EmitFinding(const char* json, size_t length) {
  if (json == nullptr) return INTERDICT_INVALID_ARGUMENT;
  std::string_view text(json, length);
  Result<nlohmann::json> finding = ValidateFinding(text);
  if (!finding.ok()) {
    Log(INTERDICT_LOG_ERROR, ("finding refused: " + finding.status().message()).c_str());
    return INTERDICT_INVALID_ARGUMENT;
  }
  return FromWriteStatus(writer_->WriteFinding(text));
}

interdict_status PluginJobChannel::BeginArtifact(const char* meta_json, size_t length, uint64_t* handle) {
  if (meta_json == nullptr || handle == nullptr) return INTERDICT_INVALID_ARGUMENT;
  std::string_view text(meta_json, length);
  Result<nlohmann::json> meta = ValidateArtifactMeta(text);
  if (!meta.ok()) {
    Log(INTERDICT_LOG_ERROR, ("artifact refused: " + meta.status().message()).c_str());
    return INTERDICT_INVALID_ARGUMENT;
  }
  {
    std::lock_guard<std::mutex> lock(artifacts_mutex_);
    if (open_artifacts_.size() >= kMaxOpenArtifacts) return INTERDICT_LIMIT_EXCEEDED;
    *handle = next_handle_++;
    open_artifacts_.insert(*handle);
  }
  return FromWriteStatus(writer_->WriteArtifactBegin(*handle, text));
}

bool PluginJobChannel::IsOpen(uint64_t handle) {
  std::lock_guard<std::mutex> lock(artifacts_mutex_);
  return open_artifacts_.count(handle) > 0;
}

interdict_status PluginJobChannel::WriteArtifact(uint64_t handle, const void* data, size_t length) {
  if ((data == nullptr && length > 0) || !IsOpen(handle)) return INTERDICT_INVALID_ARGUMENT;
  return FromWriteStatus(writer_->WriteArtifactData(handle, data, length));
}

interdict_status PluginJobChannel::EndArtifact(uint64_t handle) {
  {
    std::lock_guard<std::mutex> lock(artifacts_mutex_);
    if (open_artifacts_.erase(handle) == 0) return INTERDICT_INVALID_ARGUMENT;
  }
  return FromWriteStatus(writer_->WriteArtifactEnd(handle));
}

}  // namespace interdict
