#include "engine/adb_block_source.h"

#include <charconv>
#include <cstring>

#include "protocol/adb_block_commands.h"

namespace interdict::usb {
namespace {

// A failure of the link itself (not an answer from the handset): the stream can no longer be trusted.
bool IsLinkFailure(const Status& status) {
  return status.code() == StatusCode::kTimeout || status.code() == StatusCode::kDisconnected ||
         status.code() == StatusCode::kIoError;
}

}  // namespace

Result<std::unique_ptr<AdbBlockSource>> AdbBlockSource::Open(const std::string& serial,
                                                             const std::filesystem::path& key_path,
                                                             const std::string& device_path) {
  if (!IsAdbBlockDevicePath(device_path)) {
    return Status::InvalidArgument("--block must name a device under /dev/block/ (letters, digits, . _ -), got '" +
                                   device_path + "'");
  }
  INTERDICT_ASSIGN_OR_RETURN(AdbHandset handset, ConnectAdbHandset(serial, key_path));
  std::unique_ptr<AdbBlockSource> source(new AdbBlockSource(handset.usb.serial, key_path, device_path));
  source->connection_ = std::move(handset.connection);
  INTERDICT_ASSIGN_OR_RETURN(uint64_t size, source->QuerySize());
  if (size == 0 || size % kAdbBlockSectorBytes != 0) {
    return Status::Unsupported(device_path + " reports " + std::to_string(size) +
                               " bytes: not a whole number of 512-byte sectors");
  }
  SourceIdentity& id = source->identity_;
  id.kind = "usb-android-adb-block";
  id.uri = "adb:" + handset.usb.serial + ":" + device_path;
  id.serial = handset.usb.serial;
  id.sector_size = kAdbBlockSectorBytes;
  id.capacity_bytes = size;
  id.details = handset.details;
  id.details["protocol"] = "android-adb/exec";
  id.details["block_device"] = device_path;
  id.details["read_command"] = EncodeAdbBlockReadService({device_path, 0, 1});
  id.details["note"] = "dd runs as root on the handset (read-only commands, allowlisted before sending)";
  return source;
}

uint32_t AdbBlockSource::max_sectors_per_read() const {
  return static_cast<uint32_t>(kMaxAdbBlockReadBytes / kAdbBlockSectorBytes);
}

Status AdbBlockSource::LostConnection(const Status& status) {
  connection_.reset();
  return Status::Disconnected("ADB connection lost (" + status.message() + ")");
}

Result<std::vector<uint8_t>> AdbBlockSource::Run(const std::string& service, size_t limit) {
  if (!connection_) return Status::Disconnected("ADB handset not connected");
  ++commands_;
  auto stream = connection_->OpenStream(service);
  if (!stream.ok()) return IsLinkFailure(stream.status()) ? LostConnection(stream.status()) : stream.status();
  std::vector<uint8_t> output;
  while (true) {
    auto piece = connection_->Read(*stream);
    if (!piece.ok()) return IsLinkFailure(piece.status()) ? LostConnection(piece.status()) : piece.status();
    if (!*piece) break;  // the handset closed the stream: the command ended
    if ((*piece)->size() > limit - output.size()) {
      (void)connection_->Close(*stream);
      return Status::Corrupt("'" + service + "' sent more than " + std::to_string(limit) + " bytes");
    }
    output.insert(output.end(), (*piece)->begin(), (*piece)->end());
  }
  return output;
}

Result<uint64_t> AdbBlockSource::QuerySize() {
  INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> reply,
                             Run(EncodeAdbBlockSizeService(device_path_), kMaxAdbBlockSizeReplyBytes));
  std::string_view text(reinterpret_cast<const char*>(reply.data()), reply.size());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::NotFound("blockdev --getsize64 " + device_path_ + " gave no size (no such device, or not root?)");
  }
  return size;
}

Status AdbBlockSource::Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) {
  if (count == 0 || count > max_sectors_per_read() || lba >= sector_count() || count > sector_count() - lba ||
      out.size() != static_cast<size_t>(count) * kAdbBlockSectorBytes) {
    return Status::InvalidArgument("read of " + std::to_string(count) + " sectors at " + std::to_string(lba) +
                                   " outside " + device_path_);
  }
  INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> data,
                             Run(EncodeAdbBlockReadService({device_path_, lba, count}), out.size()));
  if (data.size() < out.size()) {
    return Status::Unreadable("dd of " + device_path_ + " sectors " + std::to_string(lba) + "+" + std::to_string(count) +
                              " returned " + std::to_string(data.size()) + " of " + std::to_string(out.size()) +
                              " bytes");
  }
  std::memcpy(out.data(), data.data(), out.size());
  return Status::Ok();
}

Status AdbBlockSource::Reconnect() {
  if (connection_) return Status::Ok();
  auto handset = ConnectAdbHandset(serial_, key_path_);
  if (!handset.ok()) {
    if (handset.status().code() == StatusCode::kNotFound || handset.status().code() == StatusCode::kTimeout) {
      return Status::Disconnected(handset.status().message());
    }
    return handset.status();
  }
  connection_ = std::move(handset->connection);
  auto size = QuerySize();
  if (!size.ok()) return size.status();
  if (*size != identity_.capacity_bytes) {
    connection_.reset();
    return Status::VerificationFailed(device_path_ + " is " + std::to_string(*size) + " bytes after the reconnect, was " +
                                      std::to_string(identity_.capacity_bytes));
  }
  ++reconnects_;
  return Status::Ok();
}

nlohmann::json AdbBlockSource::Statistics() const {
  nlohmann::json stats = {{"exec_commands", commands_}, {"reconnects", reconnects_}};
  if (connection_) {
    stats["adb_streams_opened"] = connection_->statistics().streams_opened;
    stats["adb_refused"] = connection_->allowlist().refused_count();
  }
  return stats;
}

}  // namespace interdict::usb
