#include "protocol/sahara.h"

#include <algorithm>
#include <cstdio>

namespace interdict::usb {
namespace {

constexpr uint32_t kReadDataBytes = 0x14;
constexpr uint32_t kEndOfImageBytes = 0x10;
constexpr uint32_t kDoneBytes = 0x08;
constexpr uint32_t kDoneResponseBytes = 0x0C;
constexpr uint32_t kResetBytes = 0x08;
constexpr uint32_t kMemory32Bytes = 0x10;
constexpr uint32_t kMemory64Bytes = 0x18;
constexpr uint32_t kCommandReadyBytes = 0x08;
constexpr uint32_t kSwitchModeBytes = 0x0C;
constexpr uint32_t kExecuteBytes = 0x0C;
constexpr uint32_t kExecuteResponseBytes = 0x10;
constexpr uint32_t kReadData64Bytes = 0x20;
constexpr uint32_t kHelloReservedWords = 6;

uint32_t U32(std::span<const uint8_t> b, size_t offset) {
  return static_cast<uint32_t>(b[offset]) | static_cast<uint32_t>(b[offset + 1]) << 8 |
         static_cast<uint32_t>(b[offset + 2]) << 16 | static_cast<uint32_t>(b[offset + 3]) << 24;
}
uint64_t U64(std::span<const uint8_t> b, size_t offset) {
  return static_cast<uint64_t>(U32(b, offset)) | static_cast<uint64_t>(U32(b, offset + 4)) << 32;
}

class PacketWriter {
 public:
  PacketWriter(SaharaCommand command, uint32_t length) {
    Put32(static_cast<uint32_t>(command));
    Put32(length);
  }
  PacketWriter& Put32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  PacketWriter& Put64(uint64_t v) { return Put32(static_cast<uint32_t>(v)).Put32(static_cast<uint32_t>(v >> 32)); }
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

// The fixed length of each command's packet; 0 for an unknown command.
uint32_t ExpectedLength(SaharaCommand command) {
  switch (command) {
    case SaharaCommand::kHello:
    case SaharaCommand::kHelloResponse: return kSaharaHelloBytes;
    case SaharaCommand::kReadData: return kReadDataBytes;
    case SaharaCommand::kEndOfImageTransfer: return kEndOfImageBytes;
    case SaharaCommand::kDone: return kDoneBytes;
    case SaharaCommand::kDoneResponse: return kDoneResponseBytes;
    case SaharaCommand::kReset:
    case SaharaCommand::kResetResponse: return kResetBytes;
    case SaharaCommand::kMemoryDebug:
    case SaharaCommand::kMemoryRead: return kMemory32Bytes;
    case SaharaCommand::kCommandReady: return kCommandReadyBytes;
    case SaharaCommand::kCommandSwitchMode: return kSwitchModeBytes;
    case SaharaCommand::kCommandExecute:
    case SaharaCommand::kCommandExecuteData: return kExecuteBytes;
    case SaharaCommand::kCommandExecuteResponse: return kExecuteResponseBytes;
    case SaharaCommand::kMemoryDebug64:
    case SaharaCommand::kMemoryRead64: return kMemory64Bytes;
    case SaharaCommand::kReadData64: return kReadData64Bytes;
  }
  return 0;
}

std::string Hex32(uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%02X", value);
  return buffer;
}

}  // namespace

Result<SaharaPacket> ParseSaharaPacket(std::span<const uint8_t> bytes) {
  if (bytes.size() < kSaharaHeaderBytes) {
    return Status::Corrupt("Sahara packet of " + std::to_string(bytes.size()) + " bytes is shorter than its header");
  }
  SaharaPacket packet;
  const uint32_t raw_command = U32(bytes, 0);
  packet.length = U32(bytes, 4);
  packet.command = static_cast<SaharaCommand>(raw_command);
  const uint32_t expected = ExpectedLength(packet.command);
  if (expected == 0) return Status::Corrupt("unknown Sahara command " + Hex32(raw_command));
  if (packet.length > kMaxSaharaPacketBytes || packet.length > bytes.size()) {
    return Status::Corrupt("Sahara " + SaharaCommandName(raw_command) + " claims " + std::to_string(packet.length) +
                           " bytes but " + std::to_string(bytes.size()) + " arrived");
  }
  if (packet.length != expected) {
    return Status::Corrupt("Sahara " + SaharaCommandName(raw_command) + " has length " +
                           std::to_string(packet.length) + ", expected " + std::to_string(expected));
  }
  switch (packet.command) {
    case SaharaCommand::kHello:
    case SaharaCommand::kHelloResponse:
      packet.version = U32(bytes, 8);
      packet.version_compatible = U32(bytes, 12);
      packet.max_packet_length = U32(bytes, 16);  // HELLO_RESP: status
      packet.status = packet.max_packet_length;
      packet.mode = static_cast<SaharaMode>(U32(bytes, 20));
      break;
    case SaharaCommand::kReadData:
      packet.image_id = U32(bytes, 8);
      packet.offset = U32(bytes, 12);
      packet.data_length = U32(bytes, 16);
      break;
    case SaharaCommand::kReadData64:
      packet.image_id = U64(bytes, 8);
      packet.offset = U64(bytes, 16);
      packet.data_length = U64(bytes, 24);
      break;
    case SaharaCommand::kEndOfImageTransfer:
      packet.image_id = U32(bytes, 8);
      packet.status = U32(bytes, 12);
      break;
    case SaharaCommand::kDoneResponse: packet.status = U32(bytes, 8); break;
    case SaharaCommand::kMemoryDebug:
    case SaharaCommand::kMemoryRead:
      packet.offset = U32(bytes, 8);
      packet.data_length = U32(bytes, 12);
      break;
    case SaharaCommand::kMemoryDebug64:
    case SaharaCommand::kMemoryRead64:
      packet.offset = U64(bytes, 8);
      packet.data_length = U64(bytes, 16);
      break;
    case SaharaCommand::kCommandSwitchMode: packet.mode = static_cast<SaharaMode>(U32(bytes, 8)); break;
    case SaharaCommand::kCommandExecute:
    case SaharaCommand::kCommandExecuteData: packet.exec_command = U32(bytes, 8); break;
    case SaharaCommand::kCommandExecuteResponse:
      packet.exec_command = U32(bytes, 8);
      packet.data_length = U32(bytes, 12);
      break;
    case SaharaCommand::kDone:
    case SaharaCommand::kReset:
    case SaharaCommand::kResetResponse:
    case SaharaCommand::kCommandReady: break;
  }
  return packet;
}

std::vector<uint8_t> EncodeSaharaHelloResponse(SaharaMode mode) {
  PacketWriter w(SaharaCommand::kHelloResponse, kSaharaHelloBytes);
  w.Put32(kSaharaVersion).Put32(kSaharaVersionCompatible).Put32(0).Put32(static_cast<uint32_t>(mode));
  for (uint32_t i = 0; i < kHelloReservedWords; ++i) w.Put32(0);
  return w.Take();
}
std::vector<uint8_t> EncodeSaharaHello(SaharaMode mode, uint32_t max_packet_length) {
  PacketWriter w(SaharaCommand::kHello, kSaharaHelloBytes);
  w.Put32(kSaharaVersion).Put32(kSaharaVersionCompatible).Put32(max_packet_length).Put32(static_cast<uint32_t>(mode));
  for (uint32_t i = 0; i < kHelloReservedWords; ++i) w.Put32(0);
  return w.Take();
}
std::vector<uint8_t> EncodeSaharaDone() { return PacketWriter(SaharaCommand::kDone, kDoneBytes).Take(); }
std::vector<uint8_t> EncodeSaharaReset() { return PacketWriter(SaharaCommand::kReset, kResetBytes).Take(); }
std::vector<uint8_t> EncodeSaharaExecute(SaharaExecCommand command) {
  return PacketWriter(SaharaCommand::kCommandExecute, kExecuteBytes).Put32(static_cast<uint32_t>(command)).Take();
}
std::vector<uint8_t> EncodeSaharaExecuteData(SaharaExecCommand command) {
  return PacketWriter(SaharaCommand::kCommandExecuteData, kExecuteBytes).Put32(static_cast<uint32_t>(command)).Take();
}
std::vector<uint8_t> EncodeSaharaSwitchMode(SaharaMode mode) {
  return PacketWriter(SaharaCommand::kCommandSwitchMode, kSwitchModeBytes).Put32(static_cast<uint32_t>(mode)).Take();
}
std::vector<uint8_t> EncodeSaharaMemoryRead64(uint64_t address, uint64_t length) {
  return PacketWriter(SaharaCommand::kMemoryRead64, kMemory64Bytes).Put64(address).Put64(length).Take();
}
std::vector<uint8_t> EncodeSaharaReadData(uint32_t image_id, uint32_t offset, uint32_t length) {
  return PacketWriter(SaharaCommand::kReadData, kReadDataBytes).Put32(image_id).Put32(offset).Put32(length).Take();
}
std::vector<uint8_t> EncodeSaharaReadData64(uint64_t image_id, uint64_t offset, uint64_t length) {
  return PacketWriter(SaharaCommand::kReadData64, kReadData64Bytes).Put64(image_id).Put64(offset).Put64(length).Take();
}
std::vector<uint8_t> EncodeSaharaEndOfImage(uint32_t image_id, uint32_t status) {
  return PacketWriter(SaharaCommand::kEndOfImageTransfer, kEndOfImageBytes).Put32(image_id).Put32(status).Take();
}
std::vector<uint8_t> EncodeSaharaDoneResponse(uint32_t status) {
  return PacketWriter(SaharaCommand::kDoneResponse, kDoneResponseBytes).Put32(status).Take();
}
std::vector<uint8_t> EncodeSaharaCommandReady() {
  return PacketWriter(SaharaCommand::kCommandReady, kCommandReadyBytes).Take();
}
std::vector<uint8_t> EncodeSaharaExecuteResponse(uint32_t command, uint32_t reply_length) {
  return PacketWriter(SaharaCommand::kCommandExecuteResponse, kExecuteResponseBytes)
      .Put32(command)
      .Put32(reply_length)
      .Take();
}

std::vector<uint8_t> EncodeSaharaMemoryDebug64(uint64_t table_address, uint64_t table_length) {
  return PacketWriter(SaharaCommand::kMemoryDebug64, kMemory64Bytes).Put64(table_address).Put64(table_length).Take();
}

Result<std::vector<SaharaMemoryRegion>> ParseSaharaMemoryTable(std::span<const uint8_t> table) {
  if (table.size() % kSaharaMemoryRegionBytes != 0 || table.size() > kMaxSaharaMemoryRegions * kSaharaMemoryRegionBytes) {
    return Status::Corrupt("Sahara memory table of " + std::to_string(table.size()) + " bytes is not whole entries");
  }
  std::vector<SaharaMemoryRegion> regions;
  for (size_t at = 0; at < table.size(); at += kSaharaMemoryRegionBytes) {
    std::span<const uint8_t> e = table.subspan(at, kSaharaMemoryRegionBytes);
    SaharaMemoryRegion region;
    region.base = U64(e, 8);
    region.length = U64(e, 16);
    if (region.length == 0 || region.base + region.length < region.base) {
      return Status::Corrupt("Sahara memory region " + std::to_string(regions.size()) + " is empty or wraps");
    }
    auto text = [&](size_t offset) {
      std::string out;
      for (size_t i = offset; i < offset + 20 && e[i] != 0; ++i) out.push_back(e[i] >= 0x20 && e[i] < 0x7F ? char(e[i]) : '?');
      return out;
    };
    region.description = text(24);
    region.filename = text(44);
    regions.push_back(std::move(region));
  }
  return regions;
}

std::vector<uint8_t> EncodeSaharaMemoryTable(const std::vector<SaharaMemoryRegion>& regions) {
  std::vector<uint8_t> out;
  for (const auto& r : regions) {
    PacketWriter w(static_cast<SaharaCommand>(0), 0);  // 8 bytes: save_pref = 0
    w.Put64(r.base).Put64(r.length);
    std::vector<uint8_t> entry = w.Take();
    entry.resize(kSaharaMemoryRegionBytes, 0);
    std::copy_n(r.description.begin(), std::min<size_t>(r.description.size(), 19), entry.begin() + 24);
    std::copy_n(r.filename.begin(), std::min<size_t>(r.filename.size(), 19), entry.begin() + 44);
    out.insert(out.end(), entry.begin(), entry.end());
  }
  return out;
}

uint32_t SaharaCommandKey(SaharaCommand command, uint32_t argument) {
  return static_cast<uint32_t>(command) << 8 | (argument & 0xFF);
}

ReadOnlyAllowlist MakeSaharaReadOnlyAllowlist() {
  ReadOnlyAllowlist list("sahara");
  list.Allow(SaharaCommandKey(SaharaCommand::kHelloResponse, 0), "HELLO_RESP(image transfer)");
  list.Allow(SaharaCommandKey(SaharaCommand::kHelloResponse, 2), "HELLO_RESP(memory debug)");
  list.Allow(SaharaCommandKey(SaharaCommand::kHelloResponse, 3), "HELLO_RESP(command)");
  for (auto command : {SaharaExecCommand::kSerialNumberRead, SaharaExecCommand::kMsmHardwareIdRead,
                       SaharaExecCommand::kOemPublicKeyHashRead, SaharaExecCommand::kGetSoftwareVersionSbl,
                       SaharaExecCommand::kGetCommandIdList, SaharaExecCommand::kChipIdV3Read}) {
    const uint32_t id = static_cast<uint32_t>(command);
    list.Allow(SaharaCommandKey(SaharaCommand::kCommandExecute, id), "CMD_EXEC(" + Hex32(id) + ")");
    list.Allow(SaharaCommandKey(SaharaCommand::kCommandExecuteData, id), "CMD_EXEC_DATA(" + Hex32(id) + ")");
  }
  list.Allow(SaharaCommandKey(SaharaCommand::kCommandSwitchMode, 0), "CMD_SWITCH_MODE(image transfer)");
  list.Allow(SaharaCommandKey(SaharaCommand::kDone), "DONE");
  list.Allow(SaharaCommandKey(SaharaCommand::kReset), "RESET");
  list.Allow(SaharaCommandKey(SaharaCommand::kMemoryRead), "MEMORY_READ");
  list.Allow(SaharaCommandKey(SaharaCommand::kMemoryRead64), "MEMORY_READ_64");
  for (auto [id, name] : {std::pair{SaharaExecCommand::kSwitchToDmssDownload, "CMD_EXEC(switch to DMSS download)"},
                          std::pair{SaharaExecCommand::kSwitchToStreamingDownload,
                                    "CMD_EXEC(switch to streaming download)"},
                          std::pair{SaharaExecCommand::kReadDebugData, "CMD_EXEC(read debug data)"}}) {
    list.NameDenied(SaharaCommandKey(SaharaCommand::kCommandExecute, static_cast<uint32_t>(id)), name);
  }
  return list;
}

std::string SaharaCommandName(uint32_t command) {
  static constexpr const char* kNames[] = {
      "?", "HELLO", "HELLO_RESP", "READ_DATA", "END_OF_IMAGE_TX", "DONE", "DONE_RESP", "RESET", "RESET_RESP",
      "MEMORY_DEBUG", "MEMORY_READ", "CMD_READY", "CMD_SWITCH_MODE", "CMD_EXEC", "CMD_EXEC_RESP",
      "CMD_EXEC_DATA", "MEMORY_DEBUG_64", "MEMORY_READ_64", "READ_DATA_64"};
  if (command >= 1 && command < std::size(kNames)) return kNames[command];
  return "command " + Hex32(command);
}

std::string SaharaStatusName(uint32_t status) {
  switch (status) {
    case 0x00: return "success";
    case 0x01: return "invalid command";
    case 0x02: return "protocol mismatch";
    case 0x03: return "invalid target protocol";
    case 0x04: return "invalid host protocol";
    case 0x05: return "invalid packet size";
    case 0x06: return "unexpected image id";
    case 0x07: return "invalid header size";
    case 0x08: return "invalid data size";
    case 0x09: return "invalid image type";
    case 0x0F: return "image authentication failed (programmer not signed for this device)";
    default: return "error " + Hex32(status);
  }
}

}  // namespace interdict::usb
