// The result protocol between an interdict-worker and the host: length-prefixed, typed frames on a pipe.
//
// Wire format (little-endian): an 8-byte header {u32 payload_length, u8 type, u8 reserved[3] = 0} followed
// by payload_length bytes. Payloads by type:
//   kLog              u8 level (interdict_log_level), UTF-8 text (<= kMaxLogMessageBytes)
//   kProgress         u64 done, u64 total
//   kFinding          one JSON object (<= kMaxFindingBytes)
//   kArtifactBegin    u64 handle, JSON object describing the artifact (<= kMaxArtifactMetaBytes)
//   kArtifactData     u64 handle, bytes
//   kArtifactEnd      u64 handle
//   kDone             i32 interdict_status returned by process()
//   kStartFailed      i32 interdict_status, UTF-8 reason (manifest, checksum, dlopen, ABI or create() failed)
//   kAllocationFailed u64 bytes requested (0 if unknown): an allocation failed under the address-space limit
// The worker writes; the host parses with FrameReader, which trusts nothing: every length, type and
// reserved byte is checked, and a frame larger than kMaxFrameBytes is an error before any payload is read.
//
// Thread-safety: FrameWriter is thread-safe (one frame is written atomically with respect to other
// writers). FrameReader is not.
#ifndef INTERDICT_SANDBOX_FRAME_H_
#define INTERDICT_SANDBOX_FRAME_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sandbox/job_runner.h"

namespace interdict {

inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr uint32_t kMaxLogMessageBytes = 64 * 1024;
inline constexpr uint32_t kMaxArtifactMetaBytes = 64 * 1024;
// Artifacts are streamed in chunks of at most this many bytes per frame.
inline constexpr uint32_t kArtifactChunkBytes = 1u << 20;
static_assert(kArtifactChunkBytes + 8 <= kMaxFrameBytes, "an artifact chunk must fit in a frame");
static_assert(kMaxFindingBytes <= kMaxFrameBytes, "a finding must fit in a frame");

enum class FrameType : uint8_t {
  kLog = 1,
  kProgress = 2,
  kFinding = 3,
  kArtifactBegin = 4,
  kArtifactData = 5,
  kArtifactEnd = 6,
  kDone = 7,
  kStartFailed = 8,
  kAllocationFailed = 9,
};

std::string_view FrameTypeName(FrameType type);

// One decoded frame. Which fields are set depends on the type (see the wire format above).
struct Frame {
  FrameType type = FrameType::kLog;
  int level = 0;           // kLog
  uint64_t done = 0;       // kProgress
  uint64_t total = 0;      // kProgress
  uint64_t handle = 0;     // kArtifact*
  uint64_t requested = 0;  // kAllocationFailed
  int32_t status = 0;      // kDone, kStartFailed
  std::string body;        // log text, finding JSON, artifact meta JSON, artifact bytes, start-failure reason
};

// Incremental parser: Append bytes as they arrive, then call Next until it returns no frame.
class FrameReader {
 public:
  void Append(const void* data, size_t length);
  // The next complete frame, std::nullopt if more bytes are needed, or kCorrupt for a malformed stream
  // (after which the stream is unusable).
  Result<std::optional<Frame>> Next();
  // Bytes received but not yet part of a complete frame (non-zero at end of stream = truncated frame).
  size_t pending_bytes() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

// Writes frames to a file descriptor (the result pipe). Never allocates while writing, so it may be used
// from a std::new_handler.
class FrameWriter {
 public:
  explicit FrameWriter(int fd) : fd_(fd) {}
  Status WriteLog(int level, std::string_view message);
  Status WriteProgress(uint64_t done, uint64_t total);
  Status WriteFinding(std::string_view json);
  Status WriteArtifactBegin(uint64_t handle, std::string_view meta_json);
  Status WriteArtifactData(uint64_t handle, const void* data, size_t length);  // splits into chunks
  Status WriteArtifactEnd(uint64_t handle);
  Status WriteDone(int32_t status);
  Status WriteStartFailed(int32_t status, std::string_view reason);
  // Best effort and non-blocking on the lock: used on failure paths where another thread may hold it.
  void TryWriteAllocationFailed(uint64_t requested);

 private:
  Status Write(FrameType type, std::string_view prefix, std::string_view body);
  Status WriteLocked(FrameType type, std::string_view prefix, std::string_view body);

  int fd_;
  std::mutex mutex_;
};

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_FRAME_H_
