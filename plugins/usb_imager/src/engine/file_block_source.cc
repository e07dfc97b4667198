#include "engine/file_block_source.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace interdict::usb {

Result<std::unique_ptr<FileBlockSource>> FileBlockSource::Open(const std::filesystem::path& path) {
  std::unique_ptr<FileBlockSource> source(new FileBlockSource());
  source->path_ = path;
  source->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (source->fd_ < 0) {
    int err = errno;
    std::string message = "opening " + path.string() + ": " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(message) : Status::Unreadable(message);
  }
  struct stat st {};
  if (::fstat(source->fd_, &st) != 0) return Status::Unreadable("stat " + path.string() + ": " + std::strerror(errno));
  uint32_t sector_size = kFileSectorSize;
  std::string kind = "file";
  if (S_ISBLK(st.st_mode)) {
    uint64_t bytes = 0;
    int logical = 0;
    if (::ioctl(source->fd_, BLKGETSIZE64, &bytes) != 0) return Status::Unreadable("BLKGETSIZE64 failed");
    if (::ioctl(source->fd_, BLKSSZGET, &logical) == 0 && logical > 0) sector_size = static_cast<uint32_t>(logical);
    source->file_size_ = bytes;
    kind = "block-device";
  } else if (S_ISREG(st.st_mode)) {
    source->file_size_ = static_cast<uint64_t>(st.st_size);
  } else {
    return Status::InvalidArgument(path.string() + " is neither a regular file nor a block device");
  }
  if (source->file_size_ == 0) return Status::InvalidArgument(path.string() + " is empty");
  source->identity_.uri = "file:" + path.string();
  source->identity_.kind = kind;
  source->identity_.sector_size = sector_size;
  source->identity_.capacity_bytes = (source->file_size_ + sector_size - 1) / sector_size * sector_size;
  source->identity_.details = {{"path", std::filesystem::absolute(path).string()},
                               {"size_bytes", source->file_size_},
                               {"device", static_cast<uint64_t>(st.st_dev)},
                               {"inode", static_cast<uint64_t>(st.st_ino)}};
  return source;
}

FileBlockSource::~FileBlockSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileBlockSource::Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) {
  const uint64_t offset = lba * identity_.sector_size;
  const uint64_t length = static_cast<uint64_t>(count) * identity_.sector_size;
  if (count == 0 || count > max_sectors_per_read() || out.size() != length) {
    return Status::InvalidArgument("read does not fit the buffer or limit");
  }
  if (lba + count > sector_count()) return Status::InvalidArgument("read past the end of the source");
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Unreadable("reading " + path_.string() + " at byte " + std::to_string(offset + done) + ": " +
                                std::strerror(errno));
    }
    if (n == 0) break;  // end of file inside the last, partial sector
    done += static_cast<uint64_t>(n);
  }
  if (offset + done < std::min(file_size_, offset + length)) {
    return Status::Unreadable("file shrank while being read");
  }
  std::memset(out.data() + done, 0, length - done);
  return Status::Ok();
}

Status FileBlockSource::Reconnect() {
  return Status::Unsupported("a file source does not disconnect");
}

}  // namespace interdict::usb
