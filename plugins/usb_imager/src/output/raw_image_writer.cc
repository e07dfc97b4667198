// Raw (dd) images, one file or split into fixed-size segments.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "output/image_writer.h"
#include "output/writers.h"

namespace interdict::usb {
namespace {

class RawImageWriter final : public ImageWriter {
 public:
  explicit RawImageWriter(const ImageWriterOptions& options) : options_(options) {}
  ~RawImageWriter() override {
    for (int fd : fds_) ::close(fd);
  }

  Status Create() {
    const uint64_t segments = SegmentCount();
    for (uint64_t i = 0; i < segments; ++i) {
      std::filesystem::path path = SegmentPath(i);
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return Status::IoError("creating " + path.string() + ": " + std::strerror(errno));
      fds_.push_back(fd);
      paths_.push_back(path);
    }
    return Status::Ok();
  }

  Status Reopen(uint64_t resume_offset) {
    if (resume_offset > options_.media_size) return Status::InvalidArgument("resume offset beyond the media size");
    for (uint64_t i = 0; i < SegmentCount(); ++i) {
      std::filesystem::path path = SegmentPath(i);
      int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) return Status::NotFound("reopening " + path.string() + ": " + std::strerror(errno));
      fds_.push_back(fd);
      paths_.push_back(path);
      struct stat st {};
      if (::fstat(fd, &st) != 0) return Status::IoError("stat " + path.string());
      const uint64_t segment_start = i * SegmentSize();
      const uint64_t keep = resume_offset > segment_start ? std::min(SegmentSize(), resume_offset - segment_start) : 0;
      if (static_cast<uint64_t>(st.st_size) < keep) {
        return Status::Corrupt(path.string() + " is shorter than the map says was written");
      }
      if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) return Status::IoError("truncating " + path.string());
    }
    written_ = resume_offset;
    return Status::Ok();
  }

  Status Append(std::span<const uint8_t> data) override {
    size_t done = 0;
    while (done < data.size()) {
      const uint64_t segment = written_ / SegmentSize();
      if (segment >= fds_.size()) return Status::InvalidArgument("write beyond the media size");
      const uint64_t in_segment = written_ % SegmentSize();
      const size_t n = static_cast<size_t>(std::min<uint64_t>(data.size() - done, SegmentSize() - in_segment));
      INTERDICT_RETURN_IF_ERROR(WriteAll(fds_[segment], data.data() + done, n, in_segment, paths_[segment]));
      done += n;
      written_ += n;
    }
    return Status::Ok();
  }

  uint64_t bytes_written() const override { return written_; }
  // Raw images have no error section: bad ranges live in the map and the log.
  Status RecordBadRange(uint64_t, uint64_t) override { return Status::Ok(); }

  Status Checkpoint() override {
    for (size_t i = 0; i < fds_.size(); ++i) {
      if (::fdatasync(fds_[i]) != 0) return Status::IoError("fdatasync " + paths_[i].string() + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

  Status Finish(const Digests&) override {
    if (written_ != options_.media_size) {
      return Status::Internal("raw image finished at " + std::to_string(written_) + " of " +
                              std::to_string(options_.media_size) + " bytes");
    }
    INTERDICT_RETURN_IF_ERROR(Checkpoint());
    for (const auto& path : paths_) ::chmod(path.c_str(), 0444);  // finished evidence copies are read-only
    return Status::Ok();
  }

  Status ReadBack(uint64_t offset, std::span<uint8_t> out) override {
    size_t done = 0;
    while (done < out.size()) {
      const uint64_t at = offset + done;
      const uint64_t segment = at / SegmentSize();
      if (segment >= fds_.size()) return Status::InvalidArgument("read beyond the image");
      const uint64_t in_segment = at % SegmentSize();
      const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size() - done, SegmentSize() - in_segment));
      ssize_t got = ::pread(fds_[segment], out.data() + done, n, static_cast<off_t>(in_segment));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return Status::IoError("reading back " + paths_[segment].string());
      done += static_cast<size_t>(got);
    }
    return Status::Ok();
  }

  std::vector<std::filesystem::path> files() const override { return paths_; }
  std::string media_type() const override { return "application/octet-stream"; }

 private:
  uint64_t SegmentSize() const { return options_.split_bytes == 0 ? UINT64_MAX : options_.split_bytes; }
  uint64_t SegmentCount() const {
    if (options_.split_bytes == 0) return 1;
    return std::max<uint64_t>(1, (options_.media_size + options_.split_bytes - 1) / options_.split_bytes);
  }
  std::filesystem::path SegmentPath(uint64_t index) const {
    if (options_.split_bytes == 0) return options_.base.string() + ".raw";
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), ".%03llu", static_cast<unsigned long long>(index + 1));
    return options_.base.string() + suffix;
  }
  static Status WriteAll(int fd, const uint8_t* data, size_t length, uint64_t offset,
                         const std::filesystem::path& path) {
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pwrite(fd, data + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IoError("writing " + path.string() + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  ImageWriterOptions options_;
  std::vector<int> fds_;
  std::vector<std::filesystem::path> paths_;
  uint64_t written_ = 0;
};

}  // namespace

Result<std::unique_ptr<ImageWriter>> CreateRawImageWriter(const ImageWriterOptions& options) {
  auto writer = std::make_unique<RawImageWriter>(options);
  INTERDICT_RETURN_IF_ERROR(writer->Create());
  return std::unique_ptr<ImageWriter>(std::move(writer));
}

Result<std::unique_ptr<ImageWriter>> ReopenRawImageWriter(const ImageWriterOptions& options, uint64_t resume_offset) {
  auto writer = std::make_unique<RawImageWriter>(options);
  INTERDICT_RETURN_IF_ERROR(writer->Reopen(resume_offset));
  return std::unique_ptr<ImageWriter>(std::move(writer));
}

}  // namespace interdict::usb
