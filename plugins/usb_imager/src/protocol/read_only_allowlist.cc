#include "protocol/read_only_allowlist.h"

#include <cstdio>

namespace interdict::usb {
namespace {

constexpr uint8_t kServiceActionIn16 = 0x9E;
constexpr uint8_t kServiceActionMask = 0x1F;

std::string HexCode(uint32_t command) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "0x%02X", command);
  return buffer;
}

}  // namespace

Status ReadOnlyAllowlist::Check(uint32_t command) {
  if (IsAllowed(command)) return Status::Ok();
  ++refused_;
  return Status::PermissionDenied(protocol_ + " command " + NameOf(command) +
                                  " is not on the read-only allowlist; refused before the transport");
}

std::string ReadOnlyAllowlist::NameOf(uint32_t command) const {
  if (auto it = allowed_.find(command); it != allowed_.end()) return it->second + " (" + HexCode(command) + ")";
  if (auto it = denied_names_.find(command); it != denied_names_.end()) {
    return it->second + " (" + HexCode(command) + ")";
  }
  return "unknown command " + HexCode(command);
}

uint32_t ScsiCommandKey(const uint8_t* cdb, size_t cdb_length) {
  if (cdb_length == 0) return 0xFFFFFFFFu;
  if (cdb[0] == kServiceActionIn16 && cdb_length >= 2) {
    return (static_cast<uint32_t>(cdb[0]) << 8) | (cdb[1] & kServiceActionMask);
  }
  return cdb[0];
}

ReadOnlyAllowlist MakeScsiReadOnlyAllowlist() {
  ReadOnlyAllowlist list("scsi");
  list.Allow(0x00, "TEST UNIT READY");
  list.Allow(0x03, "REQUEST SENSE");
  list.Allow(0x12, "INQUIRY");
  list.Allow(0x1A, "MODE SENSE(6)");
  list.Allow(0x5A, "MODE SENSE(10)");
  list.Allow(0x23, "READ FORMAT CAPACITIES");
  list.Allow(0x25, "READ CAPACITY(10)");
  list.Allow((0x9Eu << 8) | 0x10u, "READ CAPACITY(16)");
  list.Allow(0x08, "READ(6)");
  list.Allow(0x28, "READ(10)");
  list.Allow(0xA8, "READ(12)");
  list.Allow(0x88, "READ(16)");
  list.Allow(0xA0, "REPORT LUNS");
  list.Allow(0x4D, "LOG SENSE");
  list.Allow(0x3C, "READ BUFFER");
  list.Allow(0x2F, "VERIFY(10)");
  list.Allow(0xAF, "VERIFY(12)");
  list.Allow(0x8F, "VERIFY(16)");

  list.NameDenied(0x0A, "WRITE(6)");
  list.NameDenied(0x2A, "WRITE(10)");
  list.NameDenied(0xAA, "WRITE(12)");
  list.NameDenied(0x8A, "WRITE(16)");
  list.NameDenied(0x2E, "WRITE AND VERIFY(10)");
  list.NameDenied(0xAE, "WRITE AND VERIFY(12)");
  list.NameDenied(0x8E, "WRITE AND VERIFY(16)");
  list.NameDenied(0x41, "WRITE SAME(10)");
  list.NameDenied(0x93, "WRITE SAME(16)");
  list.NameDenied(0x42, "UNMAP");
  list.NameDenied(0x04, "FORMAT UNIT");
  list.NameDenied(0x07, "REASSIGN BLOCKS");
  list.NameDenied(0x35, "SYNCHRONIZE CACHE(10)");
  list.NameDenied(0x91, "SYNCHRONIZE CACHE(16)");
  list.NameDenied(0x15, "MODE SELECT(6)");
  list.NameDenied(0x55, "MODE SELECT(10)");
  list.NameDenied(0x1B, "START STOP UNIT");
  list.NameDenied(0x3B, "WRITE BUFFER");
  list.NameDenied(0xB5, "SECURITY PROTOCOL OUT");
  list.NameDenied(0xA1, "ATA PASS-THROUGH(12)");
  list.NameDenied(0x85, "ATA PASS-THROUGH(16)");
  list.NameDenied(0x48, "SANITIZE");
  list.NameDenied(0x89, "COMPARE AND WRITE");
  list.NameDenied(0x3F, "WRITE LONG(10)");
  list.NameDenied(0x9F, "WRITE LONG(16)");
  list.NameDenied(0x4C, "LOG SELECT");
  list.NameDenied(0x5F, "PERSISTENT RESERVE OUT");
  list.NameDenied(0xA4, "MAINTENANCE OUT");
  return list;
}

}  // namespace interdict::usb
