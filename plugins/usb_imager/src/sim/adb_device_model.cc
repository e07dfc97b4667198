#include "sim/adb_device_model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "protocol/adb_auth.h"
#include "protocol/adb_block_commands.h"

namespace interdict::usb::sim {
namespace {

constexpr char kDeviceBanner[] =
    "device::ro.product.name=interdict_sim;ro.product.model=Simulated Handset;ro.product.device=sim;"
    "features=shell_v2,cmd";
constexpr size_t kSyncRequestHeader = 8;
constexpr size_t kReadPiece = 64 * 1024;

uint32_t Le32(std::span<const uint8_t> b, size_t o) {
  return static_cast<uint32_t>(b[o]) | static_cast<uint32_t>(b[o + 1]) << 8 | static_cast<uint32_t>(b[o + 2]) << 16 |
         static_cast<uint32_t>(b[o + 3]) << 24;
}
std::span<const uint8_t> Bytes(std::string_view s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
void Append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace

nlohmann::json AdbSimCounters::ToJson() const {
  return {{"messages", messages}, {"auth_tokens", auth_tokens}, {"signatures_accepted", signatures_accepted},
          {"signatures_rejected", signatures_rejected}, {"prompts", prompts}, {"streams", streams},
          {"sync_requests", sync_requests}, {"files_served", files_served}, {"bytes_served", bytes_served},
          {"naks", naks}, {"hangs", hangs}, {"write_class_commands", write_class_commands}, {"services", services}};
}

Result<std::unique_ptr<AdbDeviceModel>> AdbDeviceModel::Open(AdbSimOptions options) {
  if (!std::filesystem::is_directory(options.root)) {
    return Status::InvalidArgument(options.root.string() + " is not a directory");
  }
  options.root = std::filesystem::canonical(options.root);
  return std::unique_ptr<AdbDeviceModel>(new AdbDeviceModel(std::move(options)));
}

std::string AdbDeviceModel::DeviceRecord() const {
  return UmockdevRecordWithDescriptors(SingleInterfaceDescriptorsHex(kAdbSimVendorId, kAdbSimProductId, 0xFF, 0x42, 0x01));
}

BulkReply AdbDeviceModel::Control(std::span<const uint8_t> setup) {
  std::lock_guard<std::mutex> lock(mutex_);
  return AnswerStandardControl(setup, "Interdict", "Simulated Android Handset", options_.serial);
}

bool AdbDeviceModel::Gone() {
  std::lock_guard<std::mutex> lock(mutex_);
  return gone_;
}

BulkReply AdbDeviceModel::HostIn(size_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (gone_) return {BulkReply::Kind::kGone, {}};
  if (outgoing_.empty()) return {BulkReply::Kind::kNoReply, {}};
  std::vector<uint8_t>& front = outgoing_.front();
  BulkReply reply;
  const size_t n = std::min(length, front.size());
  reply.data.assign(front.begin(), front.begin() + static_cast<ptrdiff_t>(n));
  if (n == front.size()) {
    outgoing_.pop_front();
  } else {
    front.erase(front.begin(), front.begin() + static_cast<ptrdiff_t>(n));
  }
  return reply;
}

BulkReply AdbDeviceModel::HostOut(std::span<const uint8_t> data) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (gone_) return {BulkReply::Kind::kGone, {}};
  BulkReply accepted;
  accepted.data.resize(data.size());
  if (hung_) return accepted;  // a hung adbd: the bytes go nowhere and nothing answers
  if (awaiting_payload_) {
    AdbHeader header = *awaiting_payload_;
    awaiting_payload_.reset();
    HandleMessage(header, data);
    return accepted;
  }
  auto header = ParseAdbHeader(data, kAdbMaxPayload);
  if (!header.ok()) {
    std::fprintf(stderr, "interdict-sim (adb): malformed message from the host: %s\n", header.status().ToString().c_str());
    return {BulkReply::Kind::kStall, {}};
  }
  if (header->data_length > 0) {
    awaiting_payload_ = *header;
  } else {
    HandleMessage(*header, {});
  }
  return accepted;
}

void AdbDeviceModel::Send(uint32_t command, uint32_t arg0, uint32_t arg1, std::span<const uint8_t> data) {
  AdbMessage message{command, arg0, arg1, std::vector<uint8_t>(data.begin(), data.end())};
  outgoing_.push_back(EncodeAdbHeader(message, false));
  if (!data.empty()) outgoing_.push_back(std::move(message.data));
}

void AdbDeviceModel::SendToken() {
  token_.resize(kAdbTokenBytes);
  for (auto& b : token_) b = static_cast<uint8_t>(rng_());
  ++counters_.auth_tokens;
  Send(kAdbAuth, kAdbAuthToken, 0, token_);
}

void AdbDeviceModel::HandleMessage(const AdbHeader& header, std::span<const uint8_t> payload) {
  ++counters_.messages;
  switch (header.command) {
    case kAdbCnxn:
      connected_ = false;
      max_payload_ = std::clamp(header.arg1, kAdbMinPayload, options_.max_payload);
      SendToken();
      return;
    case kAdbAuth: {
      if (header.arg0 == kAdbAuthSignature) {
        for (const auto& key : options_.authorized_keys) {
          if (VerifyAdbSignature(key, token_, payload).ok()) {
            ++counters_.signatures_accepted;
            connected_ = true;
            Send(kAdbCnxn, kAdbVersion, max_payload_, Bytes(std::string_view(kDeviceBanner, sizeof(kDeviceBanner))));
            return;
          }
        }
        ++counters_.signatures_rejected;
        SendToken();
      } else if (header.arg0 == kAdbAuthRsaPublicKey) {
        ++counters_.prompts;
        if (!options_.user_accepts_prompt) {
          SendToken();  // the prompt was dismissed
          return;
        }
        options_.authorized_keys.emplace_back(payload.begin(), payload.end());
        connected_ = true;
        Send(kAdbCnxn, kAdbVersion, max_payload_, Bytes(std::string_view(kDeviceBanner, sizeof(kDeviceBanner))));
      }
      return;
    }
    case kAdbOpen: {
      if (!connected_) return;
      std::string service(payload.begin(), payload.end());
      if (const size_t nul = service.find('\0'); nul != std::string::npos) service.resize(nul);
      ++counters_.services[service];
      const uint32_t local = header.arg0;
      if (service == "sync:") {
        const uint32_t stream = next_stream_++;
        ++counters_.streams;
        sync_buffers_[stream];
        Send(kAdbOkay, stream, local);
        return;
      }
      if (service == "exec:getprop" || service == "exec:id") {
        const uint32_t stream = next_stream_++;
        Send(kAdbOkay, stream, local);
        const std::string output = service == "exec:id" ? "uid=2000(shell) gid=2000(shell)\n"
                                                        : "[ro.product.model]: [Simulated Handset]\n";
        Send(kAdbWrte, stream, local, Bytes(output));
        Send(kAdbClse, stream, local);
        return;
      }
      if (auto output = BlockCommandOutput(service)) {
        const uint32_t stream = next_stream_++;
        Send(kAdbOkay, stream, local);
        Stream(stream, local, *output);
        if (!hung_) Send(kAdbClse, stream, local);
        return;
      }
      ++counters_.write_class_commands;
      std::fprintf(stderr, "interdict-sim (adb): DENIED service '%s' reached the device (refused)\n", service.c_str());
      Send(kAdbClse, 0, local);
      return;
    }
    case kAdbWrte: {
      if (!connected_) return;
      const uint32_t stream = header.arg1, local = header.arg0;
      Send(kAdbOkay, stream, local);
      if (sync_buffers_.count(stream) != 0) HandleSync(stream, local, payload);
      return;
    }
    case kAdbClse:
      sync_buffers_.erase(header.arg1);
      return;
    default:
      return;  // OKAY for our WRTEs: we send in order, the host acknowledges in order
  }
}

std::optional<std::filesystem::path> AdbDeviceModel::Resolve(const std::string& device_path) const {
  if (device_path.empty() || device_path.front() != '/') return std::nullopt;
  std::filesystem::path joined = (options_.root / device_path.substr(1)).lexically_normal();
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::weakly_canonical(joined.parent_path(), ec);
  if (ec) return std::nullopt;
  const std::string root = options_.root.string();
  const std::string resolved = (parent / joined.filename()).lexically_normal().string();
  if (resolved.compare(0, root.size(), root) != 0 || (resolved.size() > root.size() && resolved[root.size()] != '/')) {
    return std::nullopt;
  }
  return std::filesystem::path(resolved);
}

std::vector<uint8_t> AdbDeviceModel::SyncAnswer(uint32_t id, const std::string& path) {
  ++counters_.sync_requests;
  const auto local = Resolve(path);
  struct stat st {};
  const bool exists = local && ::lstat(local->c_str(), &st) == 0;
  switch (id) {
    case kSyncStat:
      return exists ? EncodeSyncStat(st.st_mode, static_cast<uint32_t>(st.st_size), static_cast<uint32_t>(st.st_mtime))
                    : EncodeSyncStat(0, 0, 0);
    case kSyncList: {
      std::vector<uint8_t> out;
      if (exists && S_ISDIR(st.st_mode)) {
        std::vector<std::filesystem::path> children;
        for (const auto& entry : std::filesystem::directory_iterator(*local)) children.push_back(entry.path());
        std::sort(children.begin(), children.end());
        for (const auto& child : children) {
          struct stat cst {};
          if (::lstat(child.c_str(), &cst) != 0) continue;
          Append(out, EncodeSyncDent(cst.st_mode, static_cast<uint32_t>(cst.st_size), static_cast<uint32_t>(cst.st_mtime),
                                     child.filename().string()));
        }
      }
      Append(out, EncodeSyncDone(SyncExpect::kList));
      return out;
    }
    case kSyncRecv: {
      if (options_.nak_paths.count(path) != 0) {
        ++counters_.naks;
        return EncodeSyncFail("open failed: Permission denied");
      }
      const int fd = exists && S_ISREG(st.st_mode) ? ::open(local->c_str(), O_RDONLY | O_CLOEXEC) : -1;
      if (fd < 0) return EncodeSyncFail("open failed: No such file or directory");
      std::vector<uint8_t> out, piece(kReadPiece);
      ssize_t n = 0;
      while ((n = ::read(fd, piece.data(), piece.size())) > 0) {
        size_t send = static_cast<size_t>(n);
        if (options_.hang_after_bytes && counters_.bytes_served + send > *options_.hang_after_bytes) {
          send = static_cast<size_t>(*options_.hang_after_bytes - counters_.bytes_served);
          hung_ = true;
        }
        if (send > 0) Append(out, EncodeSyncData(std::span<const uint8_t>(piece.data(), send)));
        counters_.bytes_served += send;
        if (hung_) break;
      }
      ::close(fd);
      if (hung_) {
        // What was read so far goes out; DONE never does.
        ++counters_.hangs;
        std::fprintf(stderr, "interdict-sim (adb): adbd hangs after %llu bytes served\n",
                     static_cast<unsigned long long>(counters_.bytes_served));
        return out;
      }
      if (options_.disconnect_after_bytes && counters_.bytes_served > *options_.disconnect_after_bytes) {
        gone_ = true;
        outgoing_.clear();
        return {};
      }
      ++counters_.files_served;
      Append(out, EncodeSyncDone(SyncExpect::kRecv));
      return out;
    }
    default:
      ++counters_.write_class_commands;
      std::fprintf(stderr, "interdict-sim (adb): DENIED sync request 0x%08X reached the device (refused)\n", id);
      return EncodeSyncFail("refused by the simulator: write-class sync request");
  }
}

void AdbDeviceModel::HandleSync(uint32_t stream, uint32_t local, std::span<const uint8_t> bytes) {
  std::vector<uint8_t>& buffer = sync_buffers_[stream];
  buffer.insert(buffer.end(), bytes.begin(), bytes.end());
  while (buffer.size() >= kSyncRequestHeader && !hung_) {
    const uint32_t id = Le32(buffer, 0), length = Le32(buffer, 4);
    if (length > kMaxSyncPathBytes) {
      // SEND carries data after the path; never written anywhere, so the rest of the stream is dropped.
      buffer.clear();
      Stream(stream, local, SyncAnswer(id, ""));
      return;
    }
    if (buffer.size() < kSyncRequestHeader + length) return;
    const std::string path(buffer.begin() + kSyncRequestHeader, buffer.begin() + kSyncRequestHeader + length);
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(kSyncRequestHeader + length));
    if (id == kSyncQuit) {
      ++counters_.sync_requests;
      sync_buffers_.erase(stream);
      Send(kAdbClse, stream, local);
      return;
    }
    Stream(stream, local, SyncAnswer(id, path));
  }
}

void AdbDeviceModel::Stream(uint32_t stream, uint32_t local, const std::vector<uint8_t>& bytes) {
  for (size_t at = 0; at < bytes.size(); at += max_payload_) {
    const size_t n = std::min<size_t>(max_payload_, bytes.size() - at);
    Send(kAdbWrte, stream, local, std::span<const uint8_t>(bytes.data() + at, n));
  }
}

std::optional<std::vector<uint8_t>> AdbDeviceModel::BlockCommandOutput(const std::string& service) {
  if (auto path = ParseAdbBlockSizeService(service)) {
    auto it = options_.block_devices.find(*path);
    std::error_code ec;
    const uint64_t size = it == options_.block_devices.end() ? 0 : std::filesystem::file_size(it->second, ec);
    if (it == options_.block_devices.end() || ec) return std::vector<uint8_t>();  // blockdev: error on stderr only
    const std::string line = std::to_string(size) + "\n";
    return std::vector<uint8_t>(line.begin(), line.end());
  }
  auto read = ParseAdbBlockReadService(service);
  if (!read) return std::nullopt;
  auto it = options_.block_devices.find(read->path);
  if (it == options_.block_devices.end()) return std::vector<uint8_t>();  // dd: no such device, nothing on stdout
  const int fd = ::open(it->second.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::vector<uint8_t>();
  std::vector<uint8_t> out(static_cast<size_t>(read->sector_count * kAdbBlockSectorBytes));
  const ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(read->first_sector * kAdbBlockSectorBytes));
  ::close(fd);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);  // past the end: a short read, as dd gives
  if (options_.hang_after_bytes && counters_.bytes_served + out.size() > *options_.hang_after_bytes) {
    out.resize(static_cast<size_t>(*options_.hang_after_bytes - counters_.bytes_served));
    hung_ = true;
    ++counters_.hangs;
    std::fprintf(stderr, "interdict-sim (adb): dd hangs after %llu bytes served\n",
                 static_cast<unsigned long long>(counters_.bytes_served + out.size()));
  }
  counters_.bytes_served += out.size();
  return out;
}

AdbSimCounters AdbDeviceModel::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

std::vector<std::string> AdbDeviceModel::authorized_keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return options_.authorized_keys;
}

}  // namespace interdict::usb::sim
