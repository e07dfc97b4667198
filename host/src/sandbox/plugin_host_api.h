// The host side of the plugin ABI, inside whichever process runs the plugin: the interdict-worker, or the
// host itself in in-process mode. Each call a plugin makes on interdict_host_api becomes a frame on a
// FrameWriter (frame.h); the job's input is read from a read-only descriptor. Results are validated here
// (result_validation.h) so a plugin author gets INTERDICT_INVALID_ARGUMENT at once; the host validates
// them again when it reads the frames.
//
// Thread-safety: a plugin may call the host API from any of its threads while process() runs.
#ifndef INTERDICT_SANDBOX_PLUGIN_HOST_API_H_
#define INTERDICT_SANDBOX_PLUGIN_HOST_API_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "interdict/plugin_abi.h"
#include "sandbox/frame.h"

namespace interdict {

// Artifacts a plugin may have open at once.
inline constexpr size_t kMaxOpenArtifacts = 64;

class PluginJobChannel {
 public:
  // `writer` and `cancel_flag` must outlive the channel; `input_fd` is read with pread only.
  PluginJobChannel(FrameWriter* writer, int input_fd, uint64_t input_size, std::string job_config,
                   const std::atomic<bool>* cancel_flag);
  PluginJobChannel(const PluginJobChannel&) = delete;
  PluginJobChannel& operator=(const PluginJobChannel&) = delete;

  // The opaque pointer handed to the plugin in interdict_job::ctx.
  interdict_job_context* context() { return reinterpret_cast<interdict_job_context*>(this); }
  static PluginJobChannel* FromContext(interdict_job_context* ctx) { return reinterpret_cast<PluginJobChannel*>(ctx); }

  void Log(interdict_log_level level, const char* message);
  void Progress(uint64_t done, uint64_t total);
  bool Cancelled() const { return cancel_flag_->load(std::memory_order_relaxed); }
  interdict_status ReadInput(uint64_t offset, void* buffer, size_t length, size_t* got);
  interdict_status EmitFinding(const char* json, size_t length);
  interdict_status BeginArtifact(const char* meta_json, size_t length, uint64_t* handle);
  interdict_status WriteArtifact(uint64_t handle, const void* data, size_t length);
  interdict_status EndArtifact(uint64_t handle);
  const char* JobConfig() const { return job_config_.c_str(); }

 private:
  bool IsOpen(uint64_t handle);

  FrameWriter* writer_;
  int input_fd_;
  uint64_t input_size_;
  std::string job_config_;
  const std::atomic<bool>* cancel_flag_;
  std::mutex artifacts_mutex_;
  std::set<uint64_t> open_artifacts_;
  uint64_t next_handle_ = 1;
};

// The function table handed to every plugin; static storage, valid for the life of the process.
const interdict_host_api* PluginHostApi();

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_PLUGIN_HOST_API_H_
