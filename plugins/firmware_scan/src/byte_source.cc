#include "byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace interdict::fwscan {

Status ReadExact(const ByteSource& source, uint64_t offset, void* buffer, size_t length) {
  INTERDICT_ASSIGN_OR_RETURN(size_t got, source.ReadAt(offset, buffer, length));
  if (got != length) {
    return Status::Corrupt("truncated: wanted " + std::to_string(length) + " bytes at offset " +
                           std::to_string(offset) + ", layer has " + std::to_string(source.size()));
  }
  return Status::Ok();
}

Result<std::vector<uint8_t>> ReadUpTo(const ByteSource& source, uint64_t offset, size_t length) {
  std::vector<uint8_t> bytes;
  if (offset >= source.size()) return bytes;
  bytes.resize(static_cast<size_t>(std::min<uint64_t>(length, source.size() - offset)));
  INTERDICT_ASSIGN_OR_RETURN(size_t got, source.ReadAt(offset, bytes.data(), bytes.size()));
  bytes.resize(got);
  return bytes;
}

namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FileSource() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= size_) return size_t{0};
    length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd_, static_cast<uint8_t*>(buffer) + done, length - done,
                          static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::Unreadable("read at offset " + std::to_string(offset + done) + ": " + std::strerror(errno));
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  int fd_;
  uint64_t size_;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= bytes_.size()) return size_t{0};
    size_t n = static_cast<size_t>(std::min<uint64_t>(length, bytes_.size() - offset));
    if (n > 0) std::memcpy(buffer, bytes_.data() + offset, n);
    return n;
  }
  const uint8_t* resident_data() const override { return bytes_.data(); }

 private:
  std::vector<uint8_t> bytes_;
};

class SliceSource final : public ByteSource {
 public:
  SliceSource(SourcePtr parent, uint64_t offset, uint64_t length)
      : parent_(std::move(parent)),
        offset_(std::min(offset, parent_->size())),
        length_(std::min(length, parent_->size() - offset_)) {}
  uint64_t size() const override { return length_; }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= length_) return size_t{0};
    length = static_cast<size_t>(std::min<uint64_t>(length, length_ - offset));
    return parent_->ReadAt(offset_ + offset, buffer, length);
  }
  const uint8_t* resident_data() const override {
    const uint8_t* base = parent_->resident_data();
    return base ? base + offset_ : nullptr;
  }

 private:
  SourcePtr parent_;
  uint64_t offset_;
  uint64_t length_;
};

class CallbackSource final : public ByteSource {
 public:
  CallbackSource(uint64_t size, std::function<Result<size_t>(uint64_t, void*, size_t)> read)
      : size_(size), read_(std::move(read)) {}
  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= size_) return size_t{0};
    length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
    size_t done = 0;
    while (done < length) {
      INTERDICT_ASSIGN_OR_RETURN(size_t n, read_(offset + done, static_cast<uint8_t*>(buffer) + done, length - done));
      if (n == 0) break;
      done += n;
    }
    return done;
  }

 private:
  uint64_t size_;
  std::function<Result<size_t>(uint64_t, void*, size_t)> read_;
};

class ExtentSource final : public ByteSource {
 public:
  ExtentSource(SourcePtr parent, std::vector<Extent> extents, uint64_t size)
      : parent_(std::move(parent)), extents_(std::move(extents)), size_(size) {}
  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= size_) return size_t{0};
    length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
    uint8_t* out = static_cast<uint8_t*>(buffer);
    size_t done = 0;
    // First extent whose end lies beyond the offset.
    auto it = std::upper_bound(extents_.begin(), extents_.end(), offset,
                               [](uint64_t off, const Extent& e) { return off < e.logical_offset + e.length; });
    while (done < length) {
      uint64_t pos = offset + done;
      size_t want = length - done;
      if (it == extents_.end() || pos < it->logical_offset) {
        // A gap: zeros up to the next extent.
        uint64_t gap_end = it == extents_.end() ? size_ : it->logical_offset;
        size_t n = static_cast<size_t>(std::min<uint64_t>(want, gap_end - pos));
        std::memset(out + done, 0, n);
        done += n;
        continue;
      }
      uint64_t within = pos - it->logical_offset;
      size_t n = static_cast<size_t>(std::min<uint64_t>(want, it->length - within));
      switch (it->kind) {
        case Extent::Kind::kParent: {
          INTERDICT_RETURN_IF_ERROR(ReadExact(*parent_, it->parent_offset + within, out + done, n));
          break;
        }
        case Extent::Kind::kFill: {
          for (size_t i = 0; i < n; ++i) out[done + i] = static_cast<uint8_t>(it->fill >> (8 * ((within + i) % 4)));
          break;
        }
        case Extent::Kind::kZero:
          std::memset(out + done, 0, n);
          break;
      }
      done += n;
      ++it;
    }
    return done;
  }

 private:
  SourcePtr parent_;
  std::vector<Extent> extents_;
  uint64_t size_;
};

}  // namespace

Result<SourcePtr> OpenFileSource(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError("cannot stat " + path.string());
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd, 0, SEEK_END);
    size = end > 0 ? static_cast<uint64_t>(end) : 0;
  } else if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path.string() + " is not a regular file or block device");
  }
  return SourcePtr(std::make_shared<FileSource>(fd, size));
}

SourcePtr MakeMemorySource(std::vector<uint8_t> bytes) { return std::make_shared<MemorySource>(std::move(bytes)); }

SourcePtr MakeSliceSource(SourcePtr parent, uint64_t offset, uint64_t length) {
  return std::make_shared<SliceSource>(std::move(parent), offset, length);
}

SourcePtr MakeCallbackSource(uint64_t size, std::function<Result<size_t>(uint64_t, void*, size_t)> read) {
  return std::make_shared<CallbackSource>(size, std::move(read));
}

SourcePtr MakeExtentSource(SourcePtr parent, std::vector<Extent> extents, uint64_t size) {
  return std::make_shared<ExtentSource>(std::move(parent), std::move(extents), size);
}

}  // namespace interdict::fwscan
