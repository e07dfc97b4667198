// SaharaClient: the host side of a Sahara conversation over a UsbTransport, from the device's HELLO to the
// moment the uploaded programmer (Firehose) runs.
//
// Evidence rules: the programmer is read and hashed (SHA-256) before the HELLO_RESP that starts the upload
// leaves, so the acquisition log can name the exact code that ran on the evidence device; without a
// programmer file the upload mode is refused. Command-mode reads (serial, MSM HW ID, OEM PK hash, SBL
// version) come first, so they are on record even when the device then rejects the programmer. Every
// outgoing packet passes MakeSaharaReadOnlyAllowlist() first. Every device packet goes through
// ParseSaharaPacket; READ_DATA requests are bounds-checked against the programmer and kMax* limits.
// Not thread-safe; the transport must outlive the client.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_SAHARA_CLIENT_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_SAHARA_CLIENT_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <vector>

#include "protocol/read_only_allowlist.h"
#include "protocol/sahara.h"
#include "transport/usb_transport.h"

namespace interdict::usb {

inline constexpr std::chrono::milliseconds kSaharaTimeout{5000};

class SaharaClient {
 public:
  explicit SaharaClient(UsbTransport& transport);

  // Reads the device identity in command mode, switches back, uploads `programmer` and waits for DONE_RESP.
  // kPermissionDenied without a programmer, kVerificationFailed when the device rejects it (its status
  // names why), kCorrupt for a malformed or out-of-bounds device packet, kDisconnected/kTimeout from USB.
  Result<SaharaDeviceInfo> IdentifyAndUpload(const std::filesystem::path& programmer);
  // Only the command-mode reads, then a switch back to image-transfer mode (nothing runs on the device).
  Result<SaharaDeviceInfo> Identify();

  // Memory-debug mode (a handset that crashed into Sahara offers its RAM): answers the HELLO with mode 2 and
  // returns the announced region table. kUnsupported when the device's HELLO is not in memory-debug mode.
  Result<std::vector<SaharaMemoryRegion>> EnterMemoryDebug();
  // Reads `length` bytes at `address` with MEMORY_READ_64 in pieces of kMaxSaharaMemoryReadBytes into `sink`;
  // the range must lie inside one announced region (kInvalidArgument otherwise, nothing sent).
  Status ReadMemory(uint64_t address, uint64_t length, const std::function<Status(std::span<const uint8_t>)>& sink);

  // Sends one host packet after the allowlist accepted `key`; public so tests can prove refusals.
  Status Send(uint32_t key, std::span<const uint8_t> packet);
  const ReadOnlyAllowlist& allowlist() const { return allowlist_; }

 private:
  Result<SaharaPacket> Receive(std::vector<uint8_t>* raw = nullptr);
  Result<SaharaPacket> ExpectHello();
  Status ReadIdentity(SaharaDeviceInfo* info);
  Result<std::vector<uint8_t>> Execute(SaharaExecCommand command);
  Status Upload(const std::vector<uint8_t>& programmer, SaharaDeviceInfo* info);

  UsbTransport& transport_;
  ReadOnlyAllowlist allowlist_;
  std::vector<SaharaMemoryRegion> regions_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_SAHARA_CLIENT_H_
