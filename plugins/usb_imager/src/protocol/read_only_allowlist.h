// ReadOnlyAllowlist: the write-blocker of one protocol. Every protocol driver asks it about each outgoing
// command *before* anything reaches the transport; a command that is not on the allowlist is refused with
// kPermissionDenied and counted, so the acquisition log can state how many were refused (normally 0).
//
// The list is an allowlist, not a denylist: an opcode nobody thought about is refused. The deny table is kept
// only to give refusals a human-readable name ("WRITE(10)", "ATA PASS-THROUGH(16)").
//
// Thread-compatible: const methods may be called from several threads; Check() mutates a counter and needs
// external synchronisation (each protocol driver owns its own instance).
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_READ_ONLY_ALLOWLIST_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_READ_ONLY_ALLOWLIST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict::usb {

class ReadOnlyAllowlist {
 public:
  // `protocol` names the protocol in messages ("scsi", "firehose", "adb").
  explicit ReadOnlyAllowlist(std::string protocol) : protocol_(std::move(protocol)) {}

  // Registers a command (opcode, tag or service id) as read-only.
  void Allow(uint32_t command, std::string name) { allowed_[command] = std::move(name); }
  // Registers a known write-class command so refusals carry its name. Refusal does not depend on it.
  void NameDenied(uint32_t command, std::string name) { denied_names_[command] = std::move(name); }

  // OK if `command` is allowed; otherwise kPermissionDenied naming the command, and the refusal is counted.
  Status Check(uint32_t command);
  bool IsAllowed(uint32_t command) const { return allowed_.count(command) != 0; }
  std::string NameOf(uint32_t command) const;
  uint64_t refused_count() const { return refused_; }
  const std::string& protocol() const { return protocol_; }

 private:
  std::string protocol_;
  std::map<uint32_t, std::string> allowed_;
  std::map<uint32_t, std::string> denied_names_;
  uint64_t refused_ = 0;
};

// The SCSI (block commands over Bulk-Only Transport) allowlist from the reference notes §3.6:
// TEST UNIT READY, REQUEST SENSE, INQUIRY, MODE SENSE(6/10), READ FORMAT CAPACITIES, READ CAPACITY(10/16),
// READ(6/10/12/16), REPORT LUNS, LOG SENSE, READ BUFFER, VERIFY(10/12/16). Everything else is refused.
// The 16-byte opcode 0x9E is a service-action group; SERVICE ACTION IN(16)/READ CAPACITY(16) is allowed only
// with service action 0x10: use ScsiCommandKey() to build the key that is checked.
ReadOnlyAllowlist MakeScsiReadOnlyAllowlist();
// The key checked for a CDB: the opcode, or (opcode << 8 | service action) for service-action opcodes.
uint32_t ScsiCommandKey(const uint8_t* cdb, size_t cdb_length);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_READ_ONLY_ALLOWLIST_H_
