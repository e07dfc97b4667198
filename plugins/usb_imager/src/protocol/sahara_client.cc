#include "protocol/sahara_client.h"

#include <algorithm>

#include "core/files.h"
#include "core/hash.h"

namespace interdict::usb {
namespace {

std::string HexLittleEndian(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> reversed(bytes.rbegin(), bytes.rend());
  return ToHex(reversed.data(), reversed.size());
}

}  // namespace

SaharaClient::SaharaClient(UsbTransport& transport)
    : transport_(transport), allowlist_(MakeSaharaReadOnlyAllowlist()) {}

Status SaharaClient::Send(uint32_t key, std::span<const uint8_t> packet) {
  INTERDICT_RETURN_IF_ERROR(allowlist_.Check(key));
  TransferResult sent = transport_.BulkOut(packet, kSaharaTimeout);
  if (!sent.ok()) return sent.ToStatus("Sahara " + allowlist_.NameOf(key));
  if (sent.transferred != packet.size()) return Status::Unreadable("Sahara packet only partly sent");
  return Status::Ok();
}

Result<SaharaPacket> SaharaClient::Receive(std::vector<uint8_t>* raw) {
  std::vector<uint8_t> buffer(kMaxSaharaPacketBytes);
  TransferResult got = transport_.BulkIn(buffer, kSaharaTimeout);
  if (!got.ok()) return got.ToStatus("waiting for a Sahara packet");
  buffer.resize(got.transferred);
  auto packet = ParseSaharaPacket(buffer);
  if (raw != nullptr) *raw = std::move(buffer);
  return packet;
}

Result<SaharaPacket> SaharaClient::ExpectHello() {
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket hello, Receive());
  if (hello.command != SaharaCommand::kHello) {
    return Status::Corrupt("expected Sahara HELLO, got " + SaharaCommandName(static_cast<uint32_t>(hello.command)) +
                           " (is the device in EDL mode, or already running a programmer?)");
  }
  return hello;
}

Result<std::vector<uint8_t>> SaharaClient::Execute(SaharaExecCommand command) {
  const uint32_t id = static_cast<uint32_t>(command);
  INTERDICT_RETURN_IF_ERROR(
      Send(SaharaCommandKey(SaharaCommand::kCommandExecute, id), EncodeSaharaExecute(command)));
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket response, Receive());
  if (response.command != SaharaCommand::kCommandExecuteResponse || response.exec_command != id) {
    return Status::Corrupt("Sahara CMD_EXEC " + std::to_string(id) + " answered with " +
                           SaharaCommandName(static_cast<uint32_t>(response.command)));
  }
  if (response.data_length > kMaxSaharaExecReplyBytes) {
    return Status::Corrupt("Sahara CMD_EXEC reply of " + std::to_string(response.data_length) + " bytes exceeds " +
                           std::to_string(kMaxSaharaExecReplyBytes));
  }
  INTERDICT_RETURN_IF_ERROR(
      Send(SaharaCommandKey(SaharaCommand::kCommandExecuteData, id), EncodeSaharaExecuteData(command)));
  std::vector<uint8_t> reply(static_cast<size_t>(response.data_length));
  if (reply.empty()) return reply;
  TransferResult got = transport_.BulkIn(reply, kSaharaTimeout);
  if (!got.ok()) return got.ToStatus("Sahara CMD_EXEC_DATA");
  if (got.transferred != reply.size()) {
    return Status::Corrupt("Sahara CMD_EXEC reply: announced " + std::to_string(reply.size()) + " bytes, got " +
                           std::to_string(got.transferred));
  }
  return reply;
}

Status SaharaClient::ReadIdentity(SaharaDeviceInfo* info) {
  INTERDICT_RETURN_IF_ERROR(
      Send(SaharaCommandKey(SaharaCommand::kHelloResponse, static_cast<uint32_t>(SaharaMode::kCommand)),
           EncodeSaharaHelloResponse(SaharaMode::kCommand)));
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket ready, Receive());
  if (ready.command != SaharaCommand::kCommandReady) {
    return Status::Unsupported("the device refused Sahara command mode (answered " +
                               SaharaCommandName(static_cast<uint32_t>(ready.command)) + ")");
  }
  INTERDICT_ASSIGN_OR_RETURN(auto serial, Execute(SaharaExecCommand::kSerialNumberRead));
  info->serial_number = HexLittleEndian(serial);
  INTERDICT_ASSIGN_OR_RETURN(auto hwid, Execute(SaharaExecCommand::kMsmHardwareIdRead));
  info->msm_hardware_id = HexLittleEndian(hwid);
  INTERDICT_ASSIGN_OR_RETURN(auto pk_hash, Execute(SaharaExecCommand::kOemPublicKeyHashRead));
  info->oem_pk_hash = ToHex(pk_hash.data(), pk_hash.size());
  auto sbl = Execute(SaharaExecCommand::kGetSoftwareVersionSbl);
  if (sbl.ok()) info->sbl_version = HexLittleEndian(*sbl);
  if (!sbl.ok() && sbl.status().code() == StatusCode::kDisconnected) return sbl.status();
  // Back to image-transfer mode: the device says HELLO again.
  return Send(SaharaCommandKey(SaharaCommand::kCommandSwitchMode, 0),
              EncodeSaharaSwitchMode(SaharaMode::kImageTransferPending));
}

Result<SaharaDeviceInfo> SaharaClient::Identify() {
  SaharaDeviceInfo info;
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket hello, ExpectHello());
  info.protocol_version = hello.version;
  INTERDICT_RETURN_IF_ERROR(ReadIdentity(&info));
  return info;
}

Result<SaharaDeviceInfo> SaharaClient::IdentifyAndUpload(const std::filesystem::path& programmer_path) {
  if (programmer_path.empty()) {
    return Status::PermissionDenied("no programmer given: uploading code to an evidence device needs --programmer FILE");
  }
  // Hashed before anything is sent, so the log names the bytes even if the upload fails half-way.
  INTERDICT_ASSIGN_OR_RETURN(std::string programmer_text, ReadFileToString(programmer_path, kMaxProgrammerBytes));
  std::vector<uint8_t> programmer(programmer_text.begin(), programmer_text.end());
  INTERDICT_ASSIGN_OR_RETURN(SaharaDeviceInfo info, Identify());
  info.programmer_path = programmer_path.string();
  info.programmer_sha256 = Sha256Hex(programmer.data(), programmer.size());
  info.programmer_bytes = programmer.size();
  INTERDICT_RETURN_IF_ERROR(Upload(programmer, &info));
  return info;
}

Result<std::vector<SaharaMemoryRegion>> SaharaClient::EnterMemoryDebug() {
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket hello, ExpectHello());
  if (hello.mode != SaharaMode::kMemoryDebug) {
    return Status::Unsupported("the device is not offering memory debug (HELLO mode " +
                               std::to_string(static_cast<uint32_t>(hello.mode)) + ")");
  }
  INTERDICT_RETURN_IF_ERROR(
      Send(SaharaCommandKey(SaharaCommand::kHelloResponse, static_cast<uint32_t>(SaharaMode::kMemoryDebug)),
           EncodeSaharaHelloResponse(SaharaMode::kMemoryDebug)));
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket debug, Receive());
  if (debug.command != SaharaCommand::kMemoryDebug64 && debug.command != SaharaCommand::kMemoryDebug) {
    return Status::Corrupt("expected Sahara MEMORY_DEBUG, got " + SaharaCommandName(static_cast<uint32_t>(debug.command)));
  }
  if (debug.data_length == 0 || debug.data_length > kMaxSaharaMemoryRegions * kSaharaMemoryRegionBytes) {
    return Status::Corrupt("Sahara memory table of " + std::to_string(debug.data_length) + " bytes");
  }
  std::vector<uint8_t> table;
  INTERDICT_RETURN_IF_ERROR(
      Send(SaharaCommandKey(SaharaCommand::kMemoryRead64), EncodeSaharaMemoryRead64(debug.offset, debug.data_length)));
  table.resize(static_cast<size_t>(debug.data_length));
  TransferResult got = transport_.BulkIn(table, kSaharaTimeout);
  if (!got.ok()) return got.ToStatus("Sahara memory table");
  table.resize(got.transferred);
  INTERDICT_ASSIGN_OR_RETURN(regions_, ParseSaharaMemoryTable(table));
  return regions_;
}

Status SaharaClient::ReadMemory(uint64_t address, uint64_t length,
                                const std::function<Status(std::span<const uint8_t>)>& sink) {
  const bool inside = std::any_of(regions_.begin(), regions_.end(), [&](const SaharaMemoryRegion& r) {
    return address >= r.base && length <= r.length && address - r.base <= r.length - length;
  });
  if (!inside || length == 0) return Status::InvalidArgument("memory range outside the regions the device announced");
  std::vector<uint8_t> piece;
  for (uint64_t done = 0; done < length;) {
    const uint64_t n = std::min(kMaxSaharaMemoryReadBytes, length - done);
    INTERDICT_RETURN_IF_ERROR(
        Send(SaharaCommandKey(SaharaCommand::kMemoryRead64), EncodeSaharaMemoryRead64(address + done, n)));
    piece.resize(static_cast<size_t>(n));
    TransferResult got = transport_.BulkIn(piece, kSaharaTimeout);
    if (!got.ok()) return got.ToStatus("Sahara memory read");
    if (got.transferred != n) return Status::Unreadable("Sahara memory read returned " + std::to_string(got.transferred) + " of " + std::to_string(n) + " bytes");
    INTERDICT_RETURN_IF_ERROR(sink(piece));
    done += n;
  }
  return Status::Ok();
}

Status SaharaClient::Upload(const std::vector<uint8_t>& programmer, SaharaDeviceInfo* info) {
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket hello, ExpectHello());
  if (hello.mode != SaharaMode::kImageTransferPending) {
    return Status::Unsupported("device HELLO in Sahara mode " + std::to_string(static_cast<uint32_t>(hello.mode)) +
                               ", expected image transfer (0)");
  }
  if (info->programmer_sha256.empty()) return Status::PermissionDenied("programmer not hashed; upload refused");
  INTERDICT_RETURN_IF_ERROR(
      Send(SaharaCommandKey(SaharaCommand::kHelloResponse, static_cast<uint32_t>(SaharaMode::kImageTransferPending)),
           EncodeSaharaHelloResponse(SaharaMode::kImageTransferPending)));
  while (true) {
    INTERDICT_ASSIGN_OR_RETURN(SaharaPacket request, Receive());
    if (request.command == SaharaCommand::kEndOfImageTransfer) {
      if (request.status != 0) {
        return Status::VerificationFailed("the device rejected the programmer: " + SaharaStatusName(request.status));
      }
      break;
    }
    if (request.command != SaharaCommand::kReadData && request.command != SaharaCommand::kReadData64) {
      return Status::Corrupt("unexpected Sahara " + SaharaCommandName(static_cast<uint32_t>(request.command)) +
                             " during the programmer upload");
    }
    if (++info->read_requests > kMaxSaharaReadRequests) {
      return Status::LimitExceeded("device asked for more than " + std::to_string(kMaxSaharaReadRequests) + " pieces");
    }
    if (request.data_length == 0 || request.data_length > kMaxSaharaReadDataBytes ||
        request.offset > programmer.size() || request.data_length > programmer.size() - request.offset) {
      return Status::Corrupt("Sahara READ_DATA offset " + std::to_string(request.offset) + " length " +
                             std::to_string(request.data_length) + " is outside the " +
                             std::to_string(programmer.size()) + "-byte programmer");
    }
    std::span<const uint8_t> piece(programmer.data() + request.offset, static_cast<size_t>(request.data_length));
    TransferResult sent = transport_.BulkOut(piece, kSaharaTimeout);
    if (!sent.ok()) return sent.ToStatus("sending the programmer");
    info->programmer_bytes_sent += sent.transferred;
  }
  INTERDICT_RETURN_IF_ERROR(Send(SaharaCommandKey(SaharaCommand::kDone), EncodeSaharaDone()));
  INTERDICT_ASSIGN_OR_RETURN(SaharaPacket done, Receive());
  if (done.command != SaharaCommand::kDoneResponse) {
    return Status::Corrupt("expected Sahara DONE_RESP, got " + SaharaCommandName(static_cast<uint32_t>(done.command)));
  }
  return Status::Ok();
}

}  // namespace interdict::usb
