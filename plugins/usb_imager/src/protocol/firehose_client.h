// FirehoseClient: the host side of Firehose over a UsbTransport once the programmer runs.
//
// Every command passes the Firehose ReadOnlyAllowlist (Send() is the only way to the transport), so a
// write-class tag is refused with kPermissionDenied before a byte leaves. Answers are read as a stream of
// XML documents (several per transfer or one split over several transfers, zero-length packets skipped),
// each bounded by kMaxFirehoseDocumentBytes; raw-mode data is read to the exact byte count announced by our
// own request, never by the device. Not thread-safe; the transport must outlive the client.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_FIREHOSE_CLIENT_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_FIREHOSE_CLIENT_H_

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/firehose.h"
#include "transport/usb_transport.h"

namespace interdict::usb {

inline constexpr std::chrono::milliseconds kFirehoseTimeout{10000};
// What we ask for in <configure>; the device may answer NAK with a smaller supported size.
inline constexpr uint64_t kFirehosePreferredPayloadBytes = 1024 * 1024;
inline constexpr uint64_t kFirehoseMinPayloadBytes = 512;
// Raw-mode data is fetched in transfers of at most this size.
inline constexpr size_t kFirehoseMaxTransferBytes = 1024 * 1024;
// Zero-length packets tolerated in a row before the device counts as stuck.
inline constexpr int kMaxFirehoseEmptyReads = 4;
// Documents (log lines) tolerated before the <response> of one command.
inline constexpr int kMaxFirehoseDocumentsPerCommand = 1024;
// Sectors one <read> asks for (kFirehoseMaxTransferBytes / 512).
inline constexpr uint64_t kMaxFirehoseSectorsPerRead = 2048;

struct FirehoseStatistics {
  uint64_t commands_sent = 0;
  uint64_t reads_sent = 0;
  uint64_t naks = 0;
  uint64_t zero_length_packets = 0;
  uint64_t digests_requested = 0;
  uint64_t payload_to_target = 0;    // negotiated MaxPayloadSizeToTargetInBytes
  uint64_t payload_from_target = 0;  // MaxPayloadSizeFromTargetInBytes, 0 if the device did not say
  nlohmann::json ToJson() const;
};

class FirehoseClient {
 public:
  explicit FirehoseClient(UsbTransport& transport);

  // <configure MemoryName=... MaxPayloadSizeToTargetInBytes=...>; a NAK carrying a smaller supported size
  // is retried once with that size.
  Status Configure(const std::string& memory_name);
  Result<FirehoseStorageInfo> GetStorageInfo(uint32_t lun);
  // Reads `count` sectors of `sector_size` at `start` of `lun` into out (count * sector_size bytes).
  // A NAK is kUnreadable (the range is bad), a transport timeout kTimeout, a pulled cable kDisconnected.
  Status Read(uint32_t lun, uint64_t start, uint64_t count, uint32_t sector_size, std::span<uint8_t> out);
  // The device's SHA-256 of the range, lowercase hex.
  Result<std::string> GetSha256Digest(uint32_t lun, uint64_t start, uint64_t count, uint32_t sector_size);

  // Sends one command after the allowlist accepted its tag and returns the device's answer.
  Result<FirehoseResponse> Command(const FirehoseElement& element);
  const ReadOnlyAllowlist& allowlist() const { return allowlist_; }
  const FirehoseStatistics& statistics() const { return stats_; }
  const std::vector<std::string>& recent_logs() const { return recent_logs_; }

 private:
  Status Send(const FirehoseElement& element);
  Result<FirehoseResponse> ReadResponse();
  Result<std::string> ReadDocument();
  Status ReadRaw(std::span<uint8_t> out);

  UsbTransport& transport_;
  ReadOnlyAllowlist allowlist_;
  FirehoseStatistics stats_;
  std::vector<uint8_t> pending_;  // bytes received beyond the last complete document
  std::vector<std::string> recent_logs_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_FIREHOSE_CLIENT_H_
