// AdbConnection: the host side of ADB over a UsbTransport (CNXN, AUTH, OPEN/WRTE/OKAY/CLSE), and
// AdbSyncClient: the sync: service on one of its streams (STAT, LIST, RECV, QUIT).
//
// Authentication: the device's token is signed with the lab key; if the handset does not know the key,
// the public key is offered and the examiner must accept the prompt on the handset. A refusal (a new token
// after the key was offered, or no answer within `auth_prompt_wait`) ends with kPermissionDenied whose
// message says what to do on the handset and shows the key fingerprint.
// Write-blocking: every OPEN passes the service allowlist and every sync request the sync allowlist before
// anything is sent; a refused service or request never reaches the transport. Streams run in lockstep
// (one WRTE in flight). Every header and payload from the device is bounds-checked. Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_ADB_CLIENT_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_ADB_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/adb.h"
#include "protocol/adb_auth.h"
#include "transport/usb_transport.h"

namespace interdict::usb {

inline constexpr std::chrono::milliseconds kAdbTimeout{10000};
inline constexpr std::chrono::milliseconds kDefaultAdbAuthPromptWait{60000};
inline constexpr uint16_t kAdbInterfaceClass = 0xFF, kAdbInterfaceSubclass = 0x42, kAdbInterfaceProtocol = 0x01;
// Messages for other streams (or unsolicited) tolerated while waiting for one stream.
inline constexpr int kMaxAdbStrayMessages = 64;

struct AdbStatistics {
  uint64_t messages_sent = 0, messages_received = 0, streams_opened = 0, bytes_received = 0;
  bool key_offered = false;  // the public key was sent: the handset showed the prompt
};

class AdbConnection {
 public:
  static Result<std::unique_ptr<AdbConnection>> Connect(std::unique_ptr<UsbTransport> transport, const AdbKey& key,
                                                        std::chrono::milliseconds auth_prompt_wait =
                                                            kDefaultAdbAuthPromptWait);

  const AdbBanner& banner() const { return banner_; }
  uint32_t max_payload() const { return max_payload_; }
  uint32_t protocol_version() const { return version_; }
  const UsbDeviceIdentity& usb_identity() const { return transport_->identity(); }

  // Opens `service` (allowlisted first); returns the local stream id. kPermissionDenied when the allowlist
  // refuses it, kUnsupported when the device closes it at once.
  Result<uint32_t> OpenStream(std::string_view service);
  // One WRTE, waiting for its OKAY.
  Status Write(uint32_t local_id, std::span<const uint8_t> data);
  // The next WRTE payload of the stream (acknowledged), or nullopt once the device closed it.
  Result<std::optional<std::vector<uint8_t>>> Read(uint32_t local_id);
  Status Close(uint32_t local_id);

  const ReadOnlyAllowlist& allowlist() const { return allowlist_; }
  const AdbStatistics& statistics() const { return stats_; }

 private:
  explicit AdbConnection(std::unique_ptr<UsbTransport> transport);
  Status Authenticate(const AdbKey& key, std::chrono::milliseconds auth_prompt_wait);
  Status Send(uint32_t command, uint32_t arg0, uint32_t arg1, std::span<const uint8_t> data = {});
  Result<AdbMessage> Receive(std::chrono::milliseconds timeout = kAdbTimeout);
  // Receives until a message for `local_id` arrives.
  Result<AdbMessage> ReceiveFor(uint32_t local_id);

  std::unique_ptr<UsbTransport> transport_;
  ReadOnlyAllowlist allowlist_;
  AdbBanner banner_;
  uint32_t max_payload_ = kAdbMinPayload;
  uint32_t version_ = kAdbVersionMin;
  uint32_t next_local_id_ = 1;
  std::map<uint32_t, uint32_t> remote_ids_;  // local → remote
  AdbStatistics stats_;
};

struct SyncEntry {
  std::string name;
  uint32_t mode = 0, size = 0, mtime = 0;
  bool is_directory() const { return (mode & 0170000) == 0040000; }
  bool is_regular() const { return (mode & 0170000) == 0100000; }
};

class AdbSyncClient {
 public:
  static Result<std::unique_ptr<AdbSyncClient>> Open(AdbConnection& connection);

  // STAT: mode 0 means the path does not exist (the protocol has no error reply for it).
  Result<SyncEntry> Stat(std::string_view path);
  // LIST, without "." and "..", at most `max_entries`.
  Result<std::vector<SyncEntry>> List(std::string_view path, size_t max_entries);
  // RECV: streams the file's bytes to `sink`; kNotFound/kPermissionDenied-like device FAILs as kUnreadable.
  Status Recv(std::string_view path, const std::function<Status(std::span<const uint8_t>)>& sink);
  Status Quit();

  // Sends one sync request after the sync allowlist accepted it; public so tests can prove refusals.
  Status Request(uint32_t id, std::string_view path);
  const ReadOnlyAllowlist& allowlist() const { return allowlist_; }

 private:
  AdbSyncClient(AdbConnection& connection, uint32_t stream) : connection_(connection), stream_(stream) {}
  Result<SyncReply> NextReply(SyncExpect expect);

  AdbConnection& connection_;
  uint32_t stream_;
  ReadOnlyAllowlist allowlist_ = MakeAdbSyncAllowlist();
  AdbSyncReader reader_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_ADB_CLIENT_H_
