// Android Debug Bridge over USB (interface ff/42/01): the 24-byte message header, the sync: sub-protocol,
// and the two allowlists that keep a logical acquisition read-only (reference notes §3.5, §3.7; AOSP
// adb/protocol.txt and adb/SYNC.TXT).
//
// Messages: {command, arg0, arg1, data_length, data_check, magic = ~command} little-endian, then
// data_length payload bytes. ParseAdbHeader checks the magic, the command and data_length against the
// negotiated maximum before a payload byte is read. Sync replies (STAT, DENT, DATA, DONE, FAIL) arrive
// inside WRTE payloads split anywhere, so AdbSyncReader reassembles them from a byte stream with every
// length bounded. Services are allowlisted by AdbServiceKey(); sync requests by AdbSyncRequestKey().
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_ADB_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_ADB_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "protocol/read_only_allowlist.h"

namespace interdict::usb {

inline constexpr uint32_t kAdbCnxn = 0x4e584e43;
inline constexpr uint32_t kAdbAuth = 0x48545541;
inline constexpr uint32_t kAdbOpen = 0x4e45504f;
inline constexpr uint32_t kAdbOkay = 0x59414b4f;
inline constexpr uint32_t kAdbClse = 0x45534c43;
inline constexpr uint32_t kAdbWrte = 0x45545257;
inline constexpr uint32_t kAdbStls = 0x534c5453;
inline constexpr uint32_t kAdbVersion = 0x01000001;  // A_VERSION_SKIP_CHECKSUM
inline constexpr uint32_t kAdbVersionMin = 0x01000000;
inline constexpr uint32_t kAdbAuthToken = 1;
inline constexpr uint32_t kAdbAuthSignature = 2;
inline constexpr uint32_t kAdbAuthRsaPublicKey = 3;
inline constexpr size_t kAdbHeaderBytes = 24;
inline constexpr uint32_t kAdbMaxPayload = 256 * 1024;  // what we offer (V2); the device may ask for less
inline constexpr uint32_t kAdbMinPayload = 4096;
inline constexpr size_t kAdbTokenBytes = 20;
inline constexpr size_t kMaxAdbServiceBytes = 1024;

struct AdbMessage {
  uint32_t command = 0, arg0 = 0, arg1 = 0;
  std::vector<uint8_t> data;
};

struct AdbHeader {
  uint32_t command = 0, arg0 = 0, arg1 = 0, data_length = 0, data_check = 0;
};

// The 24-byte header: kCorrupt for a wrong magic, an unknown command or a payload above `max_payload`.
Result<AdbHeader> ParseAdbHeader(std::span<const uint8_t> bytes, uint32_t max_payload);
// With the checksum only for protocol versions before A_VERSION_SKIP_CHECKSUM.
std::vector<uint8_t> EncodeAdbHeader(const AdbMessage& message, bool with_checksum);
// Checks a payload against its header (length; byte-sum checksum when `check_sum`).
Status CheckAdbPayload(const AdbHeader& header, std::span<const uint8_t> payload, bool check_sum);
std::string AdbCommandName(uint32_t command);

// "device::ro.product.name=x;ro.product.model=y;..." → the properties, bounded.
struct AdbBanner {
  std::string kind;  // "device", "recovery", "sideload", ...
  std::vector<std::pair<std::string, std::string>> properties;
  std::optional<std::string> Get(std::string_view key) const;
};
Result<AdbBanner> ParseAdbBanner(std::span<const uint8_t> data);

// Services: "sync:", `exec:`/`shell:` with an allowlisted read-only command (getprop, id), and the two
// block-device commands of protocol/adb_block_commands.h in their exact spelling pass;
// reboot, remount, root, unroot, enable/disable-verity, install/abb, tcpip, usb, restore, backup,
// reverse, sideload, framebuffer, jdwp and any other shell/exec command or unknown service are refused.
uint32_t AdbServiceKey(std::string_view service);
ReadOnlyAllowlist MakeAdbServiceAllowlist();
// Service strings the tests and docs use to prove each denied family is refused.
const std::vector<std::string>& AdbDeniedServiceExamples();

// sync: requests STAT, LIST, RECV, QUIT (and the v2 STA2/LIS2/RCV2) pass; SEND, SND2, DELE and any other
// request are refused.
inline constexpr uint32_t kSyncStat = 0x54415453, kSyncList = 0x5453494c, kSyncRecv = 0x56434552,
                          kSyncSend = 0x444e4553, kSyncQuit = 0x54495551, kSyncDent = 0x544e4544,
                          kSyncData = 0x41544144, kSyncDone = 0x454e4f44, kSyncFail = 0x4c494146,
                          kSyncOkay = 0x59414b4f, kSyncStat2 = 0x32415453, kSyncList2 = 0x3253494c,
                          kSyncRecv2 = 0x32564352, kSyncSend2 = 0x32444e53, kSyncDelete = 0x454c4544;
inline constexpr size_t kMaxSyncPathBytes = 1024;
inline constexpr uint32_t kMaxSyncDataBytes = 64 * 1024;
inline constexpr uint32_t kMaxSyncNameBytes = 255;
inline constexpr uint32_t kMaxSyncFailBytes = 1024;
uint32_t AdbSyncRequestKey(uint32_t id);
ReadOnlyAllowlist MakeAdbSyncAllowlist();
std::vector<uint8_t> EncodeSyncRequest(uint32_t id, std::string_view path);

// One reply of the sync service.
struct SyncReply {
  uint32_t id = 0;
  uint32_t mode = 0, size = 0, mtime = 0;  // STAT, DENT
  std::string name;                        // DENT; FAIL message
  std::vector<uint8_t> data;               // DATA
};

// Which request a reply answers: the layout of DONE differs (LIST: 20 bytes, RECV: 8 bytes).
enum class SyncExpect { kStat, kList, kRecv };

// Reassembles sync replies from WRTE payloads. Feed() appends bytes; Next() returns a complete reply,
// std::nullopt when more bytes are needed, or kCorrupt for an id the request cannot be answered with or
// a length above its limit.
class AdbSyncReader {
 public:
  void Feed(std::span<const uint8_t> bytes);
  Result<std::optional<SyncReply>> Next(SyncExpect expect);
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::vector<uint8_t> buffer_;
  size_t consumed_ = 0;
};

// Device side, for the simulator and tests.
std::vector<uint8_t> EncodeSyncStat(uint32_t mode, uint32_t size, uint32_t mtime);
std::vector<uint8_t> EncodeSyncDent(uint32_t mode, uint32_t size, uint32_t mtime, std::string_view name);
std::vector<uint8_t> EncodeSyncData(std::span<const uint8_t> bytes);
std::vector<uint8_t> EncodeSyncDone(SyncExpect answering);  // LIST: DONE + 16 zero bytes; RECV: DONE + 0
std::vector<uint8_t> EncodeSyncFail(std::string_view message);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_ADB_H_
