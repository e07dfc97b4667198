#include "sandbox/frame.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "interdict/plugin_abi.h"

namespace interdict {
namespace {

// Keep the buffer from growing without bound when frames are consumed one by one.
constexpr size_t kCompactThresholdBytes = 1 << 20;

void PutLe(uint64_t value, size_t bytes, char* out) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint64_t GetLe(const char* in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = bytes; i > 0; --i) value = (value << 8) | static_cast<uint8_t>(in[i - 1]);
  return value;
}

std::string_view U64(uint64_t value, char (&storage)[8]) {
  PutLe(value, 8, storage);
  return {storage, 8};
}

// The largest payload each type can legitimately have, checked from the header before the payload arrives.
uint64_t MaxPayloadBytes(FrameType type) {
  switch (type) {
    case FrameType::kLog:
      return 1 + uint64_t{kMaxLogMessageBytes};
    case FrameType::kProgress:
      return 16;
    case FrameType::kFinding:
      return kMaxFindingBytes;
    case FrameType::kArtifactBegin:
      return 8 + uint64_t{kMaxArtifactMetaBytes};
    case FrameType::kArtifactData:
      return kMaxFrameBytes;
    case FrameType::kArtifactEnd:
      return 8;
    case FrameType::kDone:
      return 4;
    case FrameType::kStartFailed:
      return 4 + uint64_t{kMaxLogMessageBytes};
    case FrameType::kAllocationFailed:
      return 8;
  }
  return 0;
}

Status Malformed(FrameType type, std::string_view problem) {
  return Status::Corrupt("malformed " + std::string(FrameTypeName(type)) + " frame: " + std::string(problem));
}

}  // namespace

std::string_view FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kLog:
      return "log";
    case FrameType::kProgress:
      return "progress";
    case FrameType::kFinding:
      return "finding";
    case FrameType::kArtifactBegin:
      return "artifact-begin";
    case FrameType::kArtifactData:
      return "artifact-data";
    case FrameType::kArtifactEnd:
      return "artifact-end";
    case FrameType::kDone:
      return "done";
    case FrameType::kStartFailed:
      return "start-failed";
    case FrameType::kAllocationFailed:
      return "allocation-failed";
  }
  return "unknown";
}

void FrameReader::Append(const void* data, size_t length) {
  if (consumed_ > kCompactThresholdBytes) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(static_cast<const char*>(data), length);
}

Result<std::optional<Frame>> FrameReader::Next() {
  if (pending_bytes() < kFrameHeaderBytes) return std::optional<Frame>();
  const char* header = buffer_.data() + consumed_;
  uint32_t length = static_cast<uint32_t>(GetLe(header, 4));
  uint8_t raw_type = static_cast<uint8_t>(header[4]);
  if (header[5] != 0 || header[6] != 0 || header[7] != 0)
    return Status::Corrupt("frame header reserved bytes are not zero");
  if (raw_type < static_cast<uint8_t>(FrameType::kLog) ||
      raw_type > static_cast<uint8_t>(FrameType::kAllocationFailed)) {
    return Status::Corrupt("unknown frame type " + std::to_string(raw_type));
  }
  if (length > kMaxFrameBytes) {
    return Status::Corrupt("frame of " + std::to_string(length) + " bytes exceeds the limit of " +
                           std::to_string(kMaxFrameBytes));
  }
  Frame frame;
  frame.type = static_cast<FrameType>(raw_type);
  if (length > MaxPayloadBytes(frame.type)) {
    return Malformed(frame.type, std::string(frame.type == FrameType::kFinding ? "finding of " : "payload of ") +
                                     std::to_string(length) + " bytes exceeds the limit of " +
                                     std::to_string(MaxPayloadBytes(frame.type)));
  }
  if (pending_bytes() - kFrameHeaderBytes < length) return std::optional<Frame>();

  std::string_view payload(header + kFrameHeaderBytes, length);
  auto need_exactly = [&](size_t bytes) { return payload.size() == bytes; };
  switch (frame.type) {
    case FrameType::kLog:
      if (payload.empty() || payload.size() - 1 > kMaxLogMessageBytes) return Malformed(frame.type, "bad length");
      frame.level = static_cast<uint8_t>(payload[0]);
      if (frame.level > INTERDICT_LOG_ERROR) return Malformed(frame.type, "unknown level");
      frame.body.assign(payload.substr(1));
      break;
    case FrameType::kProgress:
      if (!need_exactly(16)) return Malformed(frame.type, "must be 16 bytes");
      frame.done = GetLe(payload.data(), 8);
      frame.total = GetLe(payload.data() + 8, 8);
      break;
    case FrameType::kFinding:
      if (payload.empty() || payload.size() > kMaxFindingBytes) {
        return Malformed(frame.type, "finding of " + std::to_string(payload.size()) + " bytes (limit " +
                                         std::to_string(kMaxFindingBytes) + ")");
      }
      frame.body.assign(payload);
      break;
    case FrameType::kArtifactBegin:
      if (payload.size() <= 8 || payload.size() - 8 > kMaxArtifactMetaBytes) return Malformed(frame.type, "bad length");
      frame.handle = GetLe(payload.data(), 8);
      frame.body.assign(payload.substr(8));
      break;
    case FrameType::kArtifactData:
      if (payload.size() < 8) return Malformed(frame.type, "shorter than its handle");
      frame.handle = GetLe(payload.data(), 8);
      frame.body.assign(payload.substr(8));
      break;
    case FrameType::kArtifactEnd:
      if (!need_exactly(8)) return Malformed(frame.type, "must be 8 bytes");
      frame.handle = GetLe(payload.data(), 8);
      break;
    case FrameType::kDone:
      if (!need_exactly(4)) return Malformed(frame.type, "must be 4 bytes");
      frame.status = static_cast<int32_t>(GetLe(payload.data(), 4));
      break;
    case FrameType::kStartFailed:
      if (payload.size() < 4 || payload.size() - 4 > kMaxLogMessageBytes) return Malformed(frame.type, "bad length");
      frame.status = static_cast<int32_t>(GetLe(payload.data(), 4));
      frame.body.assign(payload.substr(4));
      break;
    case FrameType::kAllocationFailed:
      if (!need_exactly(8)) return Malformed(frame.type, "must be 8 bytes");
      frame.requested = GetLe(payload.data(), 8);
      break;
  }
  consumed_ += kFrameHeaderBytes + length;
  return std::optional<Frame>(std::move(frame));
}

Status FrameWriter::WriteLocked(FrameType type, std::string_view prefix, std::string_view body) {
  uint64_t length = prefix.size() + body.size();
  if (length > kMaxFrameBytes) return Status::LimitExceeded("frame larger than kMaxFrameBytes");
  char header[kFrameHeaderBytes] = {0};
  PutLe(length, 4, header);
  header[4] = static_cast<char>(type);
  iovec parts[3] = {{header, sizeof(header)},
                    {const_cast<char*>(prefix.data()), prefix.size()},
                    {const_cast<char*>(body.data()), body.size()}};
  int first = 0;
  while (first < 3) {
    ssize_t wrote = ::writev(fd_, parts + first, 3 - first);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return Status::IoError(std::string("result pipe: ") + std::strerror(errno));
    size_t left = static_cast<size_t>(wrote);
    while (first < 3 && left >= parts[first].iov_len) {
      left -= parts[first].iov_len;
      ++first;
    }
    if (first < 3) {
      parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
      parts[first].iov_len -= left;
    }
  }
  return Status::Ok();
}

Status FrameWriter::Write(FrameType type, std::string_view prefix, std::string_view body) {
  std::lock_guard<std::mutex> lock(mutex_);
  return WriteLocked(type, prefix, body);
}

Status FrameWriter::WriteLog(int level, std::string_view message) {
  char prefix = static_cast<char>(level);
  return Write(FrameType::kLog, {&prefix, 1}, message.substr(0, kMaxLogMessageBytes));
}

Status FrameWriter::WriteProgress(uint64_t done, uint64_t total) {
  char payload[16];
  PutLe(done, 8, payload);
  PutLe(total, 8, payload + 8);
  return Write(FrameType::kProgress, {payload, 16}, {});
}

Status FrameWriter::WriteFinding(std::string_view json) { return Write(FrameType::kFinding, {}, json); }

Status FrameWriter::WriteArtifactBegin(uint64_t handle, std::string_view meta_json) {
  char storage[8];
  return Write(FrameType::kArtifactBegin, U64(handle, storage), meta_json);
}

Status FrameWriter::WriteArtifactData(uint64_t handle, const void* data, size_t length) {
  char storage[8];
  std::string_view bytes(static_cast<const char*>(data), length);
  while (!bytes.empty()) {
    std::string_view chunk = bytes.substr(0, kArtifactChunkBytes);
    INTERDICT_RETURN_IF_ERROR(Write(FrameType::kArtifactData, U64(handle, storage), chunk));
    bytes.remove_prefix(chunk.size());
  }
  return Status::Ok();
}

Status FrameWriter::WriteArtifactEnd(uint64_t handle) {
  char storage[8];
  return Write(FrameType::kArtifactEnd, U64(handle, storage), {});
}

Status FrameWriter::WriteDone(int32_t status) {
  char payload[4];
  PutLe(static_cast<uint32_t>(status), 4, payload);
  return Write(FrameType::kDone, {payload, 4}, {});
}

Status FrameWriter::WriteStartFailed(int32_t status, std::string_view reason) {
  char payload[4];
  PutLe(static_cast<uint32_t>(status), 4, payload);
  return Write(FrameType::kStartFailed, {payload, 4}, reason.substr(0, kMaxLogMessageBytes));
}

void FrameWriter::TryWriteAllocationFailed(uint64_t requested) {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  char storage[8];
  (void)WriteLocked(FrameType::kAllocationFailed, U64(requested, storage), {});
}

}  // namespace interdict
