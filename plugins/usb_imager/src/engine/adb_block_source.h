// AdbBlockSource: a block device of a rooted Android handset (e.g. /dev/block/sda or
// /dev/block/by-name/userdata) read over ADB `exec:` with the two allowlisted commands of
// protocol/adb_block_commands.h, so the AcquisitionEngine (hashes, map, resume, bad ranges, raw/E01) images
// it like any other source. `interdict acquire --source adb:[SERIAL] --block /dev/block/NAME`.
//
// Read(): one `exec:dd ... skip=LBA count=N` stream; exactly N × 512 bytes must arrive before the handset
// closes it. Fewer (dd stopped at an unreadable sector or at the end) is kUnreadable, so the engine narrows
// the range down sector by sector; more is kCorrupt. A timeout or a lost connection drops the connection
// and is kDisconnected (the stream is out of step); Reconnect() connects again to the handset with the same
// USB serial and checks that the device still has the same size.
// Forensic note: dd runs as root on the evidence device (reads only; every command passes the allowlist
// before it is sent); the log names the device path and the commands' form. Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_ENGINE_ADB_BLOCK_SOURCE_H_
#define INTERDICT_USB_IMAGER_ENGINE_ADB_BLOCK_SOURCE_H_

#include <filesystem>
#include <memory>
#include <string>

#include "engine/adb_handset.h"
#include "engine/block_source.h"

namespace interdict::usb {

// The longest size line accepted from `blockdev --getsize64`.
inline constexpr size_t kMaxAdbBlockSizeReplyBytes = 64;

class AdbBlockSource final : public BlockSource {
 public:
  static Result<std::unique_ptr<AdbBlockSource>> Open(const std::string& serial, const std::filesystem::path& key_path,
                                                      const std::string& device_path);

  const SourceIdentity& identity() const override { return identity_; }
  uint32_t max_sectors_per_read() const override;
  Status Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) override;
  Status Reconnect() override;
  nlohmann::json Statistics() const override;

 private:
  AdbBlockSource(std::string serial, std::filesystem::path key_path, std::string device_path)
      : serial_(std::move(serial)), key_path_(std::move(key_path)), device_path_(std::move(device_path)) {}
  // Runs an allowlisted exec: service and collects its stdout, at most `limit` bytes (more is kCorrupt).
  Result<std::vector<uint8_t>> Run(const std::string& service, size_t limit);
  Result<uint64_t> QuerySize();
  Status LostConnection(const Status& status);

  std::string serial_;
  std::filesystem::path key_path_;
  std::string device_path_;
  std::unique_ptr<AdbConnection> connection_;
  SourceIdentity identity_;
  uint64_t commands_ = 0, reconnects_ = 0;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_ADB_BLOCK_SOURCE_H_
