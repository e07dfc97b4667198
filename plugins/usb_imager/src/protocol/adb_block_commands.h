// The two read-only commands interdict runs over ADB `exec:` to image a block device of a (rooted) handset,
// in the one spelling the service allowlist accepts:
//
//   exec:blockdev --getsize64 /dev/block/NAME            → the device size in bytes, one decimal line
//   exec:dd if=/dev/block/NAME bs=512 skip=S count=N status=none   → exactly N sectors from S (raw bytes)
//
// Any other spelling (of=, conv=, a second command, a path outside /dev/block/, "..", an oversized read) is
// not one of these commands and so falls to the allowlist's "exec: (command not allowlisted)" refusal. The
// parsers are what the allowlist and the simulator use; they accept only what the encoders produce.
// `adb exec-out` semantics: no pty, stdout only (status=none keeps dd's transfer summary off the stream).
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_ADB_BLOCK_COMMANDS_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_ADB_BLOCK_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace interdict::usb {

inline constexpr uint32_t kAdbBlockSectorBytes = 512;          // dd's bs=
inline constexpr uint64_t kMaxAdbBlockReadBytes = 1024 * 1024;  // one exec:dd reads at most this
inline constexpr size_t kMaxAdbBlockPathBytes = 128;
inline constexpr std::string_view kAdbBlockDirectory = "/dev/block/";

// A path under /dev/block/ made of [A-Za-z0-9._-] components (by-name links allowed), no "." or "..".
bool IsAdbBlockDevicePath(std::string_view path);

struct AdbBlockRead {
  std::string path;
  uint64_t first_sector = 0;
  uint64_t sector_count = 0;
};

std::string EncodeAdbBlockSizeService(std::string_view path);
std::string EncodeAdbBlockReadService(const AdbBlockRead& read);
// nullopt unless `service` is exactly what the encoder makes for a valid path and a read of 1 sector to
// kMaxAdbBlockReadBytes.
std::optional<std::string> ParseAdbBlockSizeService(std::string_view service);
std::optional<AdbBlockRead> ParseAdbBlockReadService(std::string_view service);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_ADB_BLOCK_COMMANDS_H_
