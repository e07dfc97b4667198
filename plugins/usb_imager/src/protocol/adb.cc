#include "protocol/adb.h"

#include <cstdio>

#include "protocol/adb_block_commands.h"

namespace interdict::usb {
namespace {

constexpr size_t kMaxBannerProperties = 64;
constexpr size_t kMaxBannerBytes = 4096;
constexpr size_t kSyncHeaderBytes = 8;
constexpr size_t kSyncStatBytes = 16;
constexpr size_t kSyncDentFixedBytes = 20;

uint32_t Le32(std::span<const uint8_t> b, size_t o) {
  return static_cast<uint32_t>(b[o]) | static_cast<uint32_t>(b[o + 1]) << 8 | static_cast<uint32_t>(b[o + 2]) << 16 |
         static_cast<uint32_t>(b[o + 3]) << 24;
}
void Put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
std::string Hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%08X", v);
  return b;
}

struct ServiceRule {
  std::string_view prefix;  // matched against the start of the service string
  bool allowed;
  std::string_view name;
};
// Allowed exec:/shell: entries name read-only commands (getprop, id); ArgumentsAreInert() keeps them from
// chaining another command.
constexpr ServiceRule kServiceRules[] = {
    {"sync:", true, "sync:"},
    {"exec:getprop", true, "exec:getprop"},
    {"exec:id", true, "exec:id"},
    {"shell:getprop", true, "shell:getprop"},
    {"shell:id", true, "shell:id"},
    {"exec:blockdev --getsize64 ", true, "exec:blockdev --getsize64 /dev/block/... (size of a block device)"},
    {"exec:dd if=", true, "exec:dd if=/dev/block/... (read-only block copy to stdout)"},
    {"reboot:", false, "reboot:"},
    {"remount:", false, "remount:"},
    {"root:", false, "root:"},
    {"unroot:", false, "unroot:"},
    {"enable-verity:", false, "enable-verity:"},
    {"disable-verity:", false, "disable-verity:"},
    {"abb_exec:", false, "abb_exec: (install)"},
    {"abb:", false, "abb: (install)"},
    {"tcpip:", false, "tcpip:"},
    {"usb:", false, "usb:"},
    {"restore:", false, "restore:"},
    {"backup:", false, "backup:"},
    {"reverse:", false, "reverse:"},
    {"sideload", false, "sideload"},
    {"framebuffer:", false, "framebuffer:"},
    {"jdwp:", false, "jdwp:"},
    {"exec:", false, "exec: (command not allowlisted)"},
    {"shell:", false, "shell: (command not allowlisted)"},
    {"shell,", false, "shell,v2 (command not allowlisted)"},
};
constexpr uint32_t kUnknownService = 0xFFFF;
constexpr uint32_t kUnknownSyncRequest = 0xFFFFFFFF;

// True when `rest` (after "exec:<command>") adds nothing but arguments without shell metacharacters.
bool ArgumentsAreInert(std::string_view rest) {
  if (rest.empty()) return true;
  if (rest.front() != ' ') return false;
  return rest.find_first_of(";|&`$<>()\n\\'\"") == std::string_view::npos;
}

}  // namespace

Result<AdbHeader> ParseAdbHeader(std::span<const uint8_t> bytes, uint32_t max_payload) {
  if (bytes.size() != kAdbHeaderBytes) {
    return Status::Corrupt("ADB header of " + std::to_string(bytes.size()) + " bytes, expected 24");
  }
  AdbHeader h;
  h.command = Le32(bytes, 0);
  h.arg0 = Le32(bytes, 4);
  h.arg1 = Le32(bytes, 8);
  h.data_length = Le32(bytes, 12);
  h.data_check = Le32(bytes, 16);
  if (Le32(bytes, 20) != (h.command ^ 0xFFFFFFFFu)) return Status::Corrupt("ADB header magic does not match " + Hex(h.command));
  switch (h.command) {
    case kAdbCnxn: case kAdbAuth: case kAdbOpen: case kAdbOkay: case kAdbClse: case kAdbWrte: case kAdbStls: break;
    default: return Status::Corrupt("unknown ADB command " + Hex(h.command));
  }
  if (h.data_length > max_payload) {
    return Status::Corrupt("ADB " + AdbCommandName(h.command) + " payload of " + std::to_string(h.data_length) +
                           " bytes exceeds " + std::to_string(max_payload));
  }
  return h;
}

std::vector<uint8_t> EncodeAdbHeader(const AdbMessage& m, bool with_checksum) {
  uint32_t sum = 0;
  if (with_checksum) {
    for (uint8_t b : m.data) sum += b;
  }
  std::vector<uint8_t> out;
  out.reserve(kAdbHeaderBytes);
  Put32(out, m.command);
  Put32(out, m.arg0);
  Put32(out, m.arg1);
  Put32(out, static_cast<uint32_t>(m.data.size()));
  Put32(out, sum);
  Put32(out, m.command ^ 0xFFFFFFFFu);
  return out;
}

Status CheckAdbPayload(const AdbHeader& header, std::span<const uint8_t> payload, bool check_sum) {
  if (payload.size() != header.data_length) {
    return Status::Corrupt("ADB " + AdbCommandName(header.command) + " payload: announced " +
                           std::to_string(header.data_length) + " bytes, got " + std::to_string(payload.size()));
  }
  if (check_sum) {
    uint32_t sum = 0;
    for (uint8_t b : payload) sum += b;
    if (sum != header.data_check) return Status::Corrupt("ADB payload checksum mismatch");
  }
  return Status::Ok();
}

std::string AdbCommandName(uint32_t command) {
  switch (command) {
    case kAdbCnxn: return "CNXN";
    case kAdbAuth: return "AUTH";
    case kAdbOpen: return "OPEN";
    case kAdbOkay: return "OKAY";
    case kAdbClse: return "CLSE";
    case kAdbWrte: return "WRTE";
    case kAdbStls: return "STLS";
    default: return Hex(command);
  }
}

std::optional<std::string> AdbBanner::Get(std::string_view key) const {
  for (const auto& [k, v] : properties) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Result<AdbBanner> ParseAdbBanner(std::span<const uint8_t> data) {
  if (data.size() > kMaxBannerBytes) return Status::Corrupt("ADB banner too long");
  std::string text(data.begin(), data.end());
  if (const size_t nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
  const size_t colon = text.find("::");
  if (colon == std::string::npos) return Status::Corrupt("ADB banner without '::'");
  AdbBanner banner;
  banner.kind = text.substr(0, colon);
  std::string_view rest = std::string_view(text).substr(colon + 2);
  while (!rest.empty()) {
    const size_t semicolon = rest.find(';');
    std::string_view item = rest.substr(0, semicolon);
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
    if (item.empty()) continue;
    if (banner.properties.size() >= kMaxBannerProperties) return Status::Corrupt("too many ADB banner properties");
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos) continue;  // "features" lists and the like carry no value we use
    banner.properties.emplace_back(std::string(item.substr(0, equals)), std::string(item.substr(equals + 1)));
  }
  return banner;
}

uint32_t AdbServiceKey(std::string_view service) {
  if (service.size() > kMaxAdbServiceBytes) return kUnknownService;
  for (uint32_t i = 0; i < std::size(kServiceRules); ++i) {
    const ServiceRule& rule = kServiceRules[i];
    if (service.substr(0, rule.prefix.size()) != rule.prefix) continue;
    if (rule.prefix == "exec:blockdev --getsize64 ") {
      if (!ParseAdbBlockSizeService(service)) continue;  // only the exact read-only form
    } else if (rule.prefix == "exec:dd if=") {
      if (!ParseAdbBlockReadService(service)) continue;  // never of=, conv=, or another command
    } else if (rule.allowed && rule.prefix != "sync:") {
      // exec:getprop must not become exec:getprop;reboot or exec:getprops.
      if (!ArgumentsAreInert(service.substr(rule.prefix.size()))) continue;
    }
    if (rule.prefix == "sync:" && service != "sync:") continue;
    return i;
  }
  return kUnknownService;
}

ReadOnlyAllowlist MakeAdbServiceAllowlist() {
  ReadOnlyAllowlist list("adb");
  for (uint32_t i = 0; i < std::size(kServiceRules); ++i) {
    if (kServiceRules[i].allowed) {
      list.Allow(i, std::string(kServiceRules[i].name));
    } else {
      list.NameDenied(i, std::string(kServiceRules[i].name));
    }
  }
  return list;
}

const std::vector<std::string>& AdbDeniedServiceExamples() {
  static const std::vector<std::string> examples = {
      "reboot:", "reboot:bootloader", "remount:", "root:", "unroot:", "enable-verity:", "disable-verity:",
      "abb_exec:package\0install", "abb:package install", "exec:cmd package install -r x.apk", "tcpip:5555",
      "usb:", "restore:", "backup:-all", "reverse:forward:tcp:1;tcp:2", "sideload:1234", "framebuffer:",
      "jdwp:123", "shell:rm -rf /sdcard", "shell:getprop;reboot", "exec:getprop | sh", "shell,v2,raw:dd of=/dev/x",
      "exec:dd if=/dev/block/sda of=/dev/block/sdb bs=512 skip=0 count=1 status=none",
      "exec:dd if=/dev/block/../../sdcard/x bs=512 skip=0 count=1 status=none",
      "exec:dd if=/dev/block/sda bs=512 skip=0 count=1 status=none;reboot", "exec:dd of=/dev/block/sda",
      "exec:blockdev --setrw /dev/block/sda",
      "shell:", "exec:getprops", "sync:extra", "install:x", "unknownservice:"};
  return examples;
}

uint32_t AdbSyncRequestKey(uint32_t id) {
  switch (id) {
    case kSyncStat: case kSyncList: case kSyncRecv: case kSyncQuit: case kSyncStat2: case kSyncList2:
    case kSyncRecv2: case kSyncSend: case kSyncSend2: case kSyncDelete: return id;
    default: return kUnknownSyncRequest;
  }
}

ReadOnlyAllowlist MakeAdbSyncAllowlist() {
  ReadOnlyAllowlist list("adb-sync");
  list.Allow(kSyncStat, "STAT");
  list.Allow(kSyncList, "LIST");
  list.Allow(kSyncRecv, "RECV");
  list.Allow(kSyncQuit, "QUIT");
  list.Allow(kSyncStat2, "STA2");
  list.Allow(kSyncList2, "LIS2");
  list.Allow(kSyncRecv2, "RCV2");
  list.NameDenied(kSyncSend, "SEND");
  list.NameDenied(kSyncSend2, "SND2");
  list.NameDenied(kSyncDelete, "DELE");
  return list;
}

std::vector<uint8_t> EncodeSyncRequest(uint32_t id, std::string_view path) {
  std::vector<uint8_t> out;
  Put32(out, id);
  Put32(out, static_cast<uint32_t>(path.size()));
  out.insert(out.end(), path.begin(), path.end());
  return out;
}

void AdbSyncReader::Feed(std::span<const uint8_t> bytes) {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<SyncReply>> AdbSyncReader::Next(SyncExpect expect) {
  std::span<const uint8_t> b(buffer_.data() + consumed_, buffer_.size() - consumed_);
  if (b.size() < kSyncHeaderBytes) return std::optional<SyncReply>();
  SyncReply reply;
  reply.id = Le32(b, 0);
  size_t total = 0;
  if (reply.id == kSyncFail) {
    const uint32_t length = Le32(b, 4);
    if (length > kMaxSyncFailBytes) return Status::Corrupt("sync FAIL message too long");
    total = kSyncHeaderBytes + length;
    if (b.size() < total) return std::optional<SyncReply>();
    reply.name.assign(b.begin() + kSyncHeaderBytes, b.begin() + static_cast<ptrdiff_t>(total));
  } else if (expect == SyncExpect::kStat) {
    if (reply.id != kSyncStat) return Status::Corrupt("sync STAT answered with " + Hex(reply.id));
    total = kSyncStatBytes;
    if (b.size() < total) return std::optional<SyncReply>();
    reply.mode = Le32(b, 4);
    reply.size = Le32(b, 8);
    reply.mtime = Le32(b, 12);
  } else if (expect == SyncExpect::kList) {
    if (reply.id != kSyncDent && reply.id != kSyncDone) return Status::Corrupt("sync LIST answered with " + Hex(reply.id));
    if (b.size() < kSyncDentFixedBytes) return std::optional<SyncReply>();
    reply.mode = Le32(b, 4);
    reply.size = Le32(b, 8);
    reply.mtime = Le32(b, 12);
    const uint32_t name_length = reply.id == kSyncDent ? Le32(b, 16) : 0;
    if (name_length > kMaxSyncNameBytes) return Status::Corrupt("sync DENT name of " + std::to_string(name_length) + " bytes");
    total = kSyncDentFixedBytes + name_length;
    if (b.size() < total) return std::optional<SyncReply>();
    reply.name.assign(b.begin() + kSyncDentFixedBytes, b.begin() + static_cast<ptrdiff_t>(total));
  } else {
    if (reply.id == kSyncDone) {
      total = kSyncHeaderBytes;
    } else if (reply.id == kSyncData) {
      const uint32_t length = Le32(b, 4);
      if (length > kMaxSyncDataBytes) return Status::Corrupt("sync DATA of " + std::to_string(length) + " bytes");
      total = kSyncHeaderBytes + length;
      if (b.size() < total) return std::optional<SyncReply>();
      reply.data.assign(b.begin() + kSyncHeaderBytes, b.begin() + static_cast<ptrdiff_t>(total));
    } else {
      return Status::Corrupt("sync RECV answered with " + Hex(reply.id));
    }
  }
  consumed_ += total;
  return std::optional<SyncReply>(std::move(reply));
}

std::vector<uint8_t> EncodeSyncStat(uint32_t mode, uint32_t size, uint32_t mtime) {
  std::vector<uint8_t> out;
  Put32(out, kSyncStat);
  Put32(out, mode);
  Put32(out, size);
  Put32(out, mtime);
  return out;
}

std::vector<uint8_t> EncodeSyncDent(uint32_t mode, uint32_t size, uint32_t mtime, std::string_view name) {
  std::vector<uint8_t> out;
  Put32(out, kSyncDent);
  Put32(out, mode);
  Put32(out, size);
  Put32(out, mtime);
  Put32(out, static_cast<uint32_t>(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

std::vector<uint8_t> EncodeSyncData(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> out;
  Put32(out, kSyncData);
  Put32(out, static_cast<uint32_t>(bytes.size()));
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

std::vector<uint8_t> EncodeSyncDone(SyncExpect answering) {
  std::vector<uint8_t> out;
  Put32(out, kSyncDone);
  Put32(out, 0);
  if (answering == SyncExpect::kList) {
    for (int i = 0; i < 3; ++i) Put32(out, 0);
  }
  return out;
}

std::vector<uint8_t> EncodeSyncFail(std::string_view message) {
  std::vector<uint8_t> out;
  Put32(out, kSyncFail);
  Put32(out, static_cast<uint32_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace interdict::usb
