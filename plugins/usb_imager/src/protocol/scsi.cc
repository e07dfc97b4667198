#include "protocol/scsi.h"

#include <algorithm>
#include <cstdio>

namespace interdict::usb {
namespace {

uint32_t LoadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
void StoreLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t LoadBe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}
void StoreBe(uint8_t* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

std::string TrimmedAscii(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(p[i] >= 0x20 && p[i] < 0x7F ? static_cast<char>(p[i]) : '?');
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
void StorePadded(uint8_t* p, size_t n, const std::string& text) {
  std::fill(p, p + n, ' ');
  std::copy_n(text.begin(), std::min(n, text.size()), p);
}

Status CheckSectorSize(uint32_t sector_size) {
  if (sector_size < kMinSectorSize || sector_size > kMaxSectorSize || (sector_size & (sector_size - 1)) != 0) {
    return Status::Corrupt("device reports an implausible sector size of " + std::to_string(sector_size));
  }
  return Status::Ok();
}

}  // namespace

bool IsScsiWriteClassOpcode(uint8_t opcode) {
  return opcode >= kFirstVendorSpecificOpcode ||
         std::find(kScsiWriteClassOpcodes.begin(), kScsiWriteClassOpcodes.end(), opcode) !=
             kScsiWriteClassOpcodes.end();
}

Result<std::array<uint8_t, kCbwLength>> EncodeCbw(const CommandBlockWrapper& cbw) {
  if (cbw.cdb.empty() || cbw.cdb.size() > kMaxCdbLength) {
    return Status::InvalidArgument("CDB length must be 1..16, got " + std::to_string(cbw.cdb.size()));
  }
  std::array<uint8_t, kCbwLength> out{};
  StoreLe32(&out[0], kCbwSignature);
  StoreLe32(&out[4], cbw.tag);
  StoreLe32(&out[8], cbw.data_transfer_length);
  out[12] = cbw.data_in ? kCbwFlagDataIn : 0;
  out[13] = cbw.lun & 0x0F;
  out[14] = static_cast<uint8_t>(cbw.cdb.size());
  std::copy(cbw.cdb.begin(), cbw.cdb.end(), out.begin() + 15);
  return out;
}

Result<CommandBlockWrapper> ParseCbw(std::span<const uint8_t> bytes) {
  if (bytes.size() != kCbwLength) return Status::Corrupt("CBW is " + std::to_string(bytes.size()) + " bytes, not 31");
  if (LoadLe32(bytes.data()) != kCbwSignature) return Status::Corrupt("CBW signature is not USBC");
  uint8_t cdb_length = bytes[14] & 0x1F;
  if (cdb_length == 0 || cdb_length > kMaxCdbLength) return Status::Corrupt("CBW CDB length out of range");
  CommandBlockWrapper cbw;
  cbw.tag = LoadLe32(&bytes[4]);
  cbw.data_transfer_length = LoadLe32(&bytes[8]);
  cbw.data_in = (bytes[12] & kCbwFlagDataIn) != 0;
  cbw.lun = bytes[13] & 0x0F;
  cbw.cdb.assign(bytes.begin() + 15, bytes.begin() + 15 + cdb_length);
  return cbw;
}

Result<CommandStatusWrapper> ParseCsw(std::span<const uint8_t> bytes) {
  if (bytes.size() != kCswLength) return Status::Corrupt("CSW is " + std::to_string(bytes.size()) + " bytes, not 13");
  if (LoadLe32(bytes.data()) != kCswSignature) return Status::Corrupt("CSW signature is not USBS");
  if (bytes[12] > static_cast<uint8_t>(CswStatus::kPhaseError)) {
    return Status::Corrupt("CSW status " + std::to_string(bytes[12]) + " is undefined");
  }
  CommandStatusWrapper csw;
  csw.tag = LoadLe32(&bytes[4]);
  csw.data_residue = LoadLe32(&bytes[8]);
  csw.status = static_cast<CswStatus>(bytes[12]);
  return csw;
}

std::array<uint8_t, kCswLength> EncodeCsw(const CommandStatusWrapper& csw) {
  std::array<uint8_t, kCswLength> out{};
  StoreLe32(&out[0], kCswSignature);
  StoreLe32(&out[4], csw.tag);
  StoreLe32(&out[8], csw.data_residue);
  out[12] = static_cast<uint8_t>(csw.status);
  return out;
}

std::string SenseData::ToString() const {
  const char* meaning = "other";
  switch (key) {
    case kSenseKeyNoSense: meaning = "no sense"; break;
    case kSenseKeyNotReady: meaning = "not ready"; break;
    case kSenseKeyMediumError: meaning = "medium error"; break;
    case kSenseKeyIllegalRequest: meaning = "illegal request"; break;
    case kSenseKeyUnitAttention: meaning = "unit attention"; break;
    case kSenseKeyDataProtect: meaning = "data protect"; break;
    default: break;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "sense %02X/%02X/%02X (%s)", key, asc, ascq, meaning);
  return buffer;
}

Result<SenseData> ParseSense(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return Status::Corrupt("empty sense data");
  SenseData sense;
  sense.response_code = bytes[0] & 0x7F;
  if (sense.response_code == 0x70 || sense.response_code == 0x71) {
    // Fixed format needs byte 13 for ASCQ; byte 7 says how many bytes follow byte 7.
    if (bytes.size() < 14) return Status::Corrupt("fixed-format sense shorter than 14 bytes");
    sense.key = bytes[2] & 0x0F;
    sense.asc = bytes[12];
    sense.ascq = bytes[13];
    return sense;
  }
  if (sense.response_code == 0x72 || sense.response_code == 0x73) {
    if (bytes.size() < 4) return Status::Corrupt("descriptor-format sense shorter than 4 bytes");
    sense.key = bytes[1] & 0x0F;
    sense.asc = bytes[2];
    sense.ascq = bytes[3];
    return sense;
  }
  return Status::Corrupt("unknown sense response code " + std::to_string(sense.response_code));
}

std::vector<uint8_t> EncodeFixedSense(uint8_t key, uint8_t asc, uint8_t ascq) {
  std::vector<uint8_t> out(kFixedSenseLength, 0);
  out[0] = 0x70;
  out[2] = key & 0x0F;
  out[7] = static_cast<uint8_t>(kFixedSenseLength - 8);
  out[12] = asc;
  out[13] = ascq;
  return out;
}

Result<InquiryData> ParseInquiry(std::span<const uint8_t> bytes) {
  if (bytes.size() < kInquiryReplyLength) {
    return Status::Corrupt("INQUIRY reply is " + std::to_string(bytes.size()) + " bytes, need 36");
  }
  InquiryData inquiry;
  inquiry.peripheral_device_type = bytes[0] & 0x1F;
  inquiry.removable = (bytes[1] & 0x80) != 0;
  inquiry.vendor = TrimmedAscii(&bytes[8], 8);
  inquiry.product = TrimmedAscii(&bytes[16], 16);
  inquiry.revision = TrimmedAscii(&bytes[32], 4);
  return inquiry;
}

std::vector<uint8_t> EncodeInquiry(const InquiryData& inquiry) {
  std::vector<uint8_t> out(kInquiryReplyLength, 0);
  out[0] = inquiry.peripheral_device_type & 0x1F;
  out[1] = inquiry.removable ? 0x80 : 0;
  out[2] = 0x06;  // SPC-4
  out[3] = 0x02;  // response data format
  out[4] = static_cast<uint8_t>(kInquiryReplyLength - 5);
  StorePadded(&out[8], 8, inquiry.vendor);
  StorePadded(&out[16], 16, inquiry.product);
  StorePadded(&out[32], 4, inquiry.revision);
  return out;
}

Result<Capacity> ParseReadCapacity10(std::span<const uint8_t> bytes, bool* needs_16) {
  if (bytes.size() < kReadCapacity10ReplyLength) return Status::Corrupt("READ CAPACITY(10) reply shorter than 8 bytes");
  Capacity capacity;
  capacity.last_lba = LoadBe(&bytes[0], 4);
  capacity.sector_size = static_cast<uint32_t>(LoadBe(&bytes[4], 4));
  *needs_16 = capacity.last_lba == 0xFFFFFFFFu;
  if (!*needs_16) INTERDICT_RETURN_IF_ERROR(CheckSectorSize(capacity.sector_size));
  return capacity;
}

Result<Capacity> ParseReadCapacity16(std::span<const uint8_t> bytes) {
  if (bytes.size() < 12) return Status::Corrupt("READ CAPACITY(16) reply shorter than 12 bytes");
  Capacity capacity;
  capacity.last_lba = LoadBe(&bytes[0], 8);
  capacity.sector_size = static_cast<uint32_t>(LoadBe(&bytes[8], 4));
  INTERDICT_RETURN_IF_ERROR(CheckSectorSize(capacity.sector_size));
  if (capacity.last_lba == UINT64_MAX || capacity.sector_count() > UINT64_MAX / capacity.sector_size) {
    return Status::Corrupt("device capacity overflows 64 bits");
  }
  return capacity;
}

std::vector<uint8_t> EncodeReadCapacity10(const Capacity& capacity) {
  std::vector<uint8_t> out(kReadCapacity10ReplyLength, 0);
  StoreBe(&out[0], std::min<uint64_t>(capacity.last_lba, 0xFFFFFFFFu), 4);
  StoreBe(&out[4], capacity.sector_size, 4);
  return out;
}

std::vector<uint8_t> EncodeReadCapacity16(const Capacity& capacity) {
  std::vector<uint8_t> out(kReadCapacity16ReplyLength, 0);
  StoreBe(&out[0], capacity.last_lba, 8);
  StoreBe(&out[8], capacity.sector_size, 4);
  return out;
}

std::vector<uint8_t> CdbInquiry(uint8_t allocation_length) { return {kOpInquiry, 0, 0, 0, allocation_length, 0}; }
std::vector<uint8_t> CdbRequestSense(uint8_t allocation_length) {
  return {kOpRequestSense, 0, 0, 0, allocation_length, 0};
}
std::vector<uint8_t> CdbTestUnitReady() { return {kOpTestUnitReady, 0, 0, 0, 0, 0}; }
std::vector<uint8_t> CdbReadCapacity10() { return std::vector<uint8_t>{kOpReadCapacity10, 0, 0, 0, 0, 0, 0, 0, 0, 0}; }
std::vector<uint8_t> CdbReadCapacity16(uint32_t allocation_length) {
  std::vector<uint8_t> cdb(16, 0);
  cdb[0] = kOpServiceActionIn16;
  cdb[1] = kServiceActionReadCapacity16;
  StoreBe(&cdb[10], allocation_length, 4);
  return cdb;
}
std::vector<uint8_t> CdbRead10(uint32_t lba, uint16_t count) {
  std::vector<uint8_t> cdb(10, 0);
  cdb[0] = kOpRead10;
  StoreBe(&cdb[2], lba, 4);
  StoreBe(&cdb[7], count, 2);
  return cdb;
}
std::vector<uint8_t> CdbRead16(uint64_t lba, uint32_t count) {
  std::vector<uint8_t> cdb(16, 0);
  cdb[0] = kOpRead16;
  StoreBe(&cdb[2], lba, 8);
  StoreBe(&cdb[10], count, 4);
  return cdb;
}

Result<ReadRequest> ParseReadCdb(std::span<const uint8_t> cdb) {
  if (cdb.empty()) return Status::Corrupt("empty CDB");
  ReadRequest request;
  switch (cdb[0]) {
    case 0x08:
      if (cdb.size() < 6) return Status::Corrupt("READ(6) CDB too short");
      request.lba = LoadBe(&cdb[1], 3) & 0x1FFFFF;
      request.count = cdb[4] == 0 ? 256 : cdb[4];
      return request;
    case kOpRead10:
      if (cdb.size() < 10) return Status::Corrupt("READ(10) CDB too short");
      request.lba = LoadBe(&cdb[2], 4);
      request.count = static_cast<uint32_t>(LoadBe(&cdb[7], 2));
      return request;
    case 0xA8:
      if (cdb.size() < 12) return Status::Corrupt("READ(12) CDB too short");
      request.lba = LoadBe(&cdb[2], 4);
      request.count = static_cast<uint32_t>(LoadBe(&cdb[6], 4));
      return request;
    case kOpRead16:
      if (cdb.size() < 16) return Status::Corrupt("READ(16) CDB too short");
      request.lba = LoadBe(&cdb[2], 8);
      request.count = static_cast<uint32_t>(LoadBe(&cdb[10], 4));
      return request;
    default:
      return Status::Unsupported("not a READ CDB");
  }
}

}  // namespace interdict::usb
