// FileBlockSource: an image file or a block device as a BlockSource, opened O_RDONLY (never written).
// A block device's size comes from BLKGETSIZE64 and its logical sector size from BLKSSZGET; a regular
// file uses 512-byte sectors, and a trailing partial sector is zero-padded to the sector size.
#ifndef INTERDICT_USB_IMAGER_ENGINE_FILE_BLOCK_SOURCE_H_
#define INTERDICT_USB_IMAGER_ENGINE_FILE_BLOCK_SOURCE_H_

#include <filesystem>
#include <memory>

#include "engine/block_source.h"

namespace interdict::usb {

inline constexpr uint32_t kFileSectorSize = 512;
inline constexpr uint32_t kFileMaxReadBytes = 4 * 1024 * 1024;

class FileBlockSource final : public BlockSource {
 public:
  static Result<std::unique_ptr<FileBlockSource>> Open(const std::filesystem::path& path);
  ~FileBlockSource() override;

  const SourceIdentity& identity() const override { return identity_; }
  uint32_t max_sectors_per_read() const override { return kFileMaxReadBytes / identity_.sector_size; }
  Status Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) override;
  Status Reconnect() override;

  // The real byte length (the capacity is rounded up to whole sectors).
  uint64_t file_size() const { return file_size_; }

 private:
  FileBlockSource() = default;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  std::filesystem::path path_;
  SourceIdentity identity_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_FILE_BLOCK_SOURCE_H_
