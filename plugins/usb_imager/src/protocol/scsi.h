// Wire formats of USB Mass Storage Bulk-Only Transport (CBW/CSW) and the SCSI block commands the imager
// uses: builders for what we send and bounds-checked parsers for every reply the device sends back.
// Replies are hostile input: each parser checks lengths and signatures and returns kCorrupt on anything
// malformed; none reads beyond the span it is given. Each parser has a fuzz target
// (tests/usb_imager/fuzz_*.cc). Layouts: reference notes §3.6, Linux include/linux/usb/storage.h.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_SCSI_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_SCSI_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict::usb {

inline constexpr uint32_t kCbwSignature = 0x43425355;  // "USBC"
inline constexpr uint32_t kCswSignature = 0x53425355;  // "USBS"
inline constexpr size_t kCbwLength = 31;
inline constexpr size_t kCswLength = 13;
inline constexpr size_t kMaxCdbLength = 16;
inline constexpr uint8_t kCbwFlagDataIn = 0x80;

// SCSI opcodes the imager sends.
inline constexpr uint8_t kOpTestUnitReady = 0x00;
inline constexpr uint8_t kOpRequestSense = 0x03;
inline constexpr uint8_t kOpInquiry = 0x12;
inline constexpr uint8_t kOpReadCapacity10 = 0x25;
inline constexpr uint8_t kOpRead10 = 0x28;
inline constexpr uint8_t kOpRead16 = 0x88;
inline constexpr uint8_t kOpServiceActionIn16 = 0x9E;
inline constexpr uint8_t kServiceActionReadCapacity16 = 0x10;

inline constexpr size_t kInquiryReplyLength = 36;
inline constexpr size_t kReadCapacity10ReplyLength = 8;
inline constexpr size_t kReadCapacity16ReplyLength = 32;
inline constexpr size_t kFixedSenseLength = 18;
// Sector sizes we accept from READ CAPACITY; anything else is treated as a corrupt reply.
inline constexpr uint32_t kMinSectorSize = 512;
inline constexpr uint32_t kMaxSectorSize = 64 * 1024;

// Write-class SCSI opcodes (reference notes §3.6, deny column). The simulator fails loudly on any of these
// and on vendor-specific opcodes (0xC0-0xFF); the imager never sends them because of the allowlist.
inline constexpr std::array<uint8_t, 28> kScsiWriteClassOpcodes = {
    0x0A, 0x2A, 0xAA, 0x8A, 0x2E, 0xAE, 0x8E, 0x41, 0x93, 0x42, 0x04, 0x07, 0x35, 0x91,
    0x15, 0x55, 0x1B, 0x3B, 0xB5, 0xA1, 0x85, 0x48, 0x89, 0x3F, 0x9F, 0x4C, 0x5F, 0xA4};
inline constexpr uint8_t kFirstVendorSpecificOpcode = 0xC0;
bool IsScsiWriteClassOpcode(uint8_t opcode);

struct CommandBlockWrapper {
  uint32_t tag = 0;
  uint32_t data_transfer_length = 0;
  bool data_in = true;
  uint8_t lun = 0;
  std::vector<uint8_t> cdb;  // 1..16 bytes
};

enum class CswStatus : uint8_t { kPassed = 0, kFailed = 1, kPhaseError = 2 };

struct CommandStatusWrapper {
  uint32_t tag = 0;
  uint32_t data_residue = 0;
  CswStatus status = CswStatus::kPassed;
};

// Serialises a CBW (31 bytes). kInvalidArgument if the CDB is empty or longer than 16 bytes.
Result<std::array<uint8_t, kCbwLength>> EncodeCbw(const CommandBlockWrapper& cbw);
// Parses a CBW (the simulator's side).
Result<CommandBlockWrapper> ParseCbw(std::span<const uint8_t> bytes);
// Parses a CSW: exactly 13 bytes, signature "USBS", status 0..2.
Result<CommandStatusWrapper> ParseCsw(std::span<const uint8_t> bytes);
std::array<uint8_t, kCswLength> EncodeCsw(const CommandStatusWrapper& csw);

struct SenseData {
  uint8_t response_code = 0;  // 0x70/0x71 fixed, 0x72/0x73 descriptor
  uint8_t key = 0;
  uint8_t asc = 0;
  uint8_t ascq = 0;
  std::string ToString() const;  // "sense 03/11/00 (medium error)"
};
inline constexpr uint8_t kSenseKeyNoSense = 0x00;
inline constexpr uint8_t kSenseKeyNotReady = 0x02;
inline constexpr uint8_t kSenseKeyMediumError = 0x03;
inline constexpr uint8_t kSenseKeyIllegalRequest = 0x05;
inline constexpr uint8_t kSenseKeyUnitAttention = 0x06;
inline constexpr uint8_t kSenseKeyDataProtect = 0x07;
// Parses fixed (0x70/0x71) or descriptor (0x72/0x73) format sense data.
Result<SenseData> ParseSense(std::span<const uint8_t> bytes);
std::vector<uint8_t> EncodeFixedSense(uint8_t key, uint8_t asc, uint8_t ascq);

struct InquiryData {
  uint8_t peripheral_device_type = 0;
  bool removable = false;
  std::string vendor;    // T10 vendor id, trailing blanks removed, non-printable bytes replaced by '?'
  std::string product;
  std::string revision;
};
// Parses a standard INQUIRY reply (at least 36 bytes).
Result<InquiryData> ParseInquiry(std::span<const uint8_t> bytes);
std::vector<uint8_t> EncodeInquiry(const InquiryData& inquiry);

struct Capacity {
  uint64_t last_lba = 0;
  uint32_t sector_size = 0;
  uint64_t sector_count() const { return last_lba + 1; }
};
// READ CAPACITY(10): 8 bytes. last_lba 0xFFFFFFFF means "use READ CAPACITY(16)" (needs_16 set).
Result<Capacity> ParseReadCapacity10(std::span<const uint8_t> bytes, bool* needs_16);
// READ CAPACITY(16): at least 12 bytes used of 32.
Result<Capacity> ParseReadCapacity16(std::span<const uint8_t> bytes);
std::vector<uint8_t> EncodeReadCapacity10(const Capacity& capacity);
std::vector<uint8_t> EncodeReadCapacity16(const Capacity& capacity);

// CDB builders.
std::vector<uint8_t> CdbInquiry(uint8_t allocation_length);
std::vector<uint8_t> CdbRequestSense(uint8_t allocation_length);
std::vector<uint8_t> CdbTestUnitReady();
std::vector<uint8_t> CdbReadCapacity10();
std::vector<uint8_t> CdbReadCapacity16(uint32_t allocation_length);
std::vector<uint8_t> CdbRead10(uint32_t lba, uint16_t count);
std::vector<uint8_t> CdbRead16(uint64_t lba, uint32_t count);

// A decoded READ(6/10/12/16) CDB (the simulator's side). kUnsupported for other opcodes.
struct ReadRequest {
  uint64_t lba = 0;
  uint32_t count = 0;
};
Result<ReadRequest> ParseReadCdb(std::span<const uint8_t> cdb);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_SCSI_H_
