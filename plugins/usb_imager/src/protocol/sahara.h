// Qualcomm Sahara: the first-stage protocol a handset in Emergency Download mode (05c6:9008) speaks. The
// device opens with HELLO; the host either uploads a programmer (mode 0: the device asks for it piece by
// piece with READ_DATA / READ_DATA_64 and ends with END_OF_IMAGE_TX, the host says DONE), or switches to
// command mode (mode 3) to read identity values (serial number, MSM hardware id, OEM public-key hash, SBL
// version) without running anything, or reads RAM in memory-debug mode (mode 2).
//
// Layouts (little-endian u32 fields, every packet starts with {command, length}) follow linux-msm/qdl
// sahara.c and bkerler/edl sahara_defs.py. Every packet the device sends is checked by ParseSaharaPacket
// against its declared length, the bytes received and kMaxSaharaPacketBytes before any field is used;
// EncodeSahara* build what the host sends. The ReadOnlyAllowlist built by MakeSaharaReadOnlyAllowlist
// is keyed by SaharaCommandKey(command, argument) and is checked by SaharaClient before each packet
// leaves (reference notes §3.7).
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_SAHARA_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_SAHARA_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "protocol/read_only_allowlist.h"

namespace interdict::usb {

enum class SaharaCommand : uint32_t {
  kHello = 0x01,
  kHelloResponse = 0x02,
  kReadData = 0x03,
  kEndOfImageTransfer = 0x04,
  kDone = 0x05,
  kDoneResponse = 0x06,
  kReset = 0x07,
  kResetResponse = 0x08,
  kMemoryDebug = 0x09,
  kMemoryRead = 0x0A,
  kCommandReady = 0x0B,
  kCommandSwitchMode = 0x0C,
  kCommandExecute = 0x0D,
  kCommandExecuteResponse = 0x0E,
  kCommandExecuteData = 0x0F,
  kMemoryDebug64 = 0x10,
  kMemoryRead64 = 0x11,
  kReadData64 = 0x12,
};

enum class SaharaMode : uint32_t {
  kImageTransferPending = 0,
  kImageTransferComplete = 1,
  kMemoryDebug = 2,
  kCommand = 3,
};

// Client commands of command mode (CMD_EXEC).
enum class SaharaExecCommand : uint32_t {
  kNop = 0x00,
  kSerialNumberRead = 0x01,
  kMsmHardwareIdRead = 0x02,
  kOemPublicKeyHashRead = 0x03,
  kSwitchToDmssDownload = 0x04,
  kSwitchToStreamingDownload = 0x05,
  kReadDebugData = 0x06,
  kGetSoftwareVersionSbl = 0x07,
  kGetCommandIdList = 0x08,
  kChipIdV3Read = 0x0A,
};

inline constexpr uint32_t kSaharaHeaderBytes = 8;
inline constexpr uint32_t kSaharaHelloBytes = 0x30;
inline constexpr uint32_t kSaharaVersion = 2;
inline constexpr uint32_t kSaharaVersionCompatible = 1;
// No Sahara packet is larger (the device's max_command_packet_length is typically 0x400).
inline constexpr uint32_t kMaxSaharaPacketBytes = 4096;
// One READ_DATA request may ask for at most this much of the programmer.
inline constexpr uint64_t kMaxSaharaReadDataBytes = 1024 * 1024;
// The largest programmer we upload, and the largest command-mode reply we accept.
inline constexpr uint64_t kMaxProgrammerBytes = 64ull * 1024 * 1024;
inline constexpr uint32_t kMaxSaharaExecReplyBytes = 4096;
// A device that asks for more READ_DATA rounds than this is looping.
inline constexpr uint64_t kMaxSaharaReadRequests = 1u << 20;

// One packet from the device, fields decoded by command.
struct SaharaPacket {
  SaharaCommand command = SaharaCommand::kHello;
  uint32_t length = 0;
  // HELLO
  uint32_t version = 0, version_compatible = 0, max_packet_length = 0;
  SaharaMode mode = SaharaMode::kImageTransferPending;
  // READ_DATA(64): image, offset, length; END_OF_IMAGE_TX: image, status; DONE_RESP: status;
  // CMD_EXEC_RESP: client command, reply length; MEMORY_DEBUG(64): table address and length.
  uint64_t image_id = 0, offset = 0, data_length = 0;
  uint32_t status = 0;
  uint32_t exec_command = 0;
};

// Decodes one packet (either direction; the simulator parses the host's): kCorrupt when the header's length
// disagrees with the bytes received or with the command's fixed layout, or the command is unknown.
Result<SaharaPacket> ParseSaharaPacket(std::span<const uint8_t> bytes);

std::vector<uint8_t> EncodeSaharaHelloResponse(SaharaMode mode);
std::vector<uint8_t> EncodeSaharaDone();
std::vector<uint8_t> EncodeSaharaReset();
std::vector<uint8_t> EncodeSaharaExecute(SaharaExecCommand command);
std::vector<uint8_t> EncodeSaharaExecuteData(SaharaExecCommand command);
std::vector<uint8_t> EncodeSaharaSwitchMode(SaharaMode mode);
std::vector<uint8_t> EncodeSaharaMemoryRead64(uint64_t address, uint64_t length);
// Device side, for the simulator and tests.
std::vector<uint8_t> EncodeSaharaHello(SaharaMode mode, uint32_t max_packet_length);
std::vector<uint8_t> EncodeSaharaReadData(uint32_t image_id, uint32_t offset, uint32_t length);
std::vector<uint8_t> EncodeSaharaReadData64(uint64_t image_id, uint64_t offset, uint64_t length);
std::vector<uint8_t> EncodeSaharaEndOfImage(uint32_t image_id, uint32_t status);
std::vector<uint8_t> EncodeSaharaDoneResponse(uint32_t status);
std::vector<uint8_t> EncodeSaharaCommandReady();
std::vector<uint8_t> EncodeSaharaExecuteResponse(uint32_t command, uint32_t reply_length);

// The allowlist key of a host packet: command << 8 | argument (HELLO_RESP: mode, CMD_EXEC/EXEC_DATA: the
// client command, SWITCH_MODE: mode; 0 for the rest).
uint32_t SaharaCommandKey(SaharaCommand command, uint32_t argument = 0);
// HELLO_RESP in modes 0 (upload; the client only allows it with a hashed, logged programmer), 2 and 3;
// CMD_EXEC/EXEC_DATA 1, 2, 3, 7, 8, 0xA; SWITCH_MODE to 0; DONE; RESET; MEMORY_READ(64).
ReadOnlyAllowlist MakeSaharaReadOnlyAllowlist();

// Memory-debug mode: the region table a crashed handset announces with MEMORY_DEBUG_64 (64-byte entries
// {u64 save_pref, u64 base, u64 length, char description[20], char filename[20]}).
inline constexpr size_t kSaharaMemoryRegionBytes = 64;
inline constexpr size_t kMaxSaharaMemoryRegions = 256;
inline constexpr uint64_t kMaxSaharaMemoryReadBytes = 64 * 1024;  // one MEMORY_READ_64
struct SaharaMemoryRegion {
  uint64_t base = 0, length = 0;
  std::string description, filename;
};
// kCorrupt for a table that is not whole entries, longer than the limit, or with a region that wraps.
Result<std::vector<SaharaMemoryRegion>> ParseSaharaMemoryTable(std::span<const uint8_t> table);
std::vector<uint8_t> EncodeSaharaMemoryTable(const std::vector<SaharaMemoryRegion>& regions);  // device side
std::vector<uint8_t> EncodeSaharaMemoryDebug64(uint64_t table_address, uint64_t table_length);  // device side

// What command mode told us, for the acquisition log.
struct SaharaDeviceInfo {
  uint32_t protocol_version = 0;
  std::string serial_number;      // hex of the 32-bit serial
  std::string msm_hardware_id;    // hex of the 64-bit MSM HW ID
  std::string oem_pk_hash;        // hex of the OEM root-certificate hash
  std::string sbl_version;        // hex of the 32-bit SBL software version ("" if not offered)
  std::string programmer_path;
  std::string programmer_sha256;  // of the uploaded file, hashed before the first byte left
  uint64_t programmer_bytes = 0;
  uint64_t programmer_bytes_sent = 0;
  uint64_t read_requests = 0;
};

std::string SaharaCommandName(uint32_t command);
std::string SaharaStatusName(uint32_t status);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_SAHARA_H_
