// E01 (EnCase 6 format) images through libewf 20140813: case metadata in the header, MD5 and SHA-1 in the
// hash/digest sections (EWF1 cannot hold SHA-256: the log carries it), unreadable ranges in error2.
//
// Chunks are deflated on EwfChunkCompressor's threads and handed to libewf_handle_write_chunk in order on
// the writer's (the caller's) thread, so libewf's handle is only ever used from one thread: libewf 20140813
// compresses on the calling thread in libewf_handle_write_buffer, and its later `-j` is experimental and
// does not scale (libewf #65/#178). bench/usb_imager/RESULTS.md has the numbers against ewfacquire.
#include <libewf.h>

#include <algorithm>
#include <cstring>

#include "core/hash.h"
#include "output/ewf_chunk_compressor.h"
#include "output/image_writer.h"
#include "output/writers.h"

namespace interdict::usb {
namespace {

constexpr size_t kEwfErrorMessageBytes = 1024;
constexpr uint32_t kEwfSectorsPerChunk = 64;  // 32 KiB chunks: what EnCase and X-Ways read (Guymager note)
constexpr size_t kEwfChecksumBytes = 4;       // the Adler-32 after an uncompressed chunk

int ZlibLevel(EwfCompression compression) {
  switch (compression) {
    case EwfCompression::kNone:
      return kEwfStoreUncompressed;
    case EwfCompression::kBest:
      return kEwfZlibLevelBest;
    case EwfCompression::kFast:
      break;
  }
  return kEwfZlibLevelFast;
}

Status EwfError(libewf_error_t*& error, const std::string& what) {
  char message[kEwfErrorMessageBytes] = {0};
  if (error != nullptr) {
    libewf_error_sprint(error, message, sizeof(message));
    libewf_error_free(&error);
  }
  return Status::IoError(what + ": " + message);
}

class EwfImageWriter final : public ImageWriter {
 public:
  explicit EwfImageWriter(const ImageWriterOptions& options)
      : options_(options),
        chunk_bytes_(static_cast<size_t>(kEwfSectorsPerChunk) * options.sector_size),
        compressor_(ZlibLevel(options.compression),
                    options.compression == EwfCompression::kNone ? 0 : EwfChunkCompressor::DefaultThreads()) {}
  ~EwfImageWriter() override {
    CloseHandle(&write_handle_);
    CloseHandle(&read_handle_);
  }

  Status Create() {
    const std::filesystem::path first = options_.base.string() + ".E01";
    if (std::filesystem::exists(first)) return Status::IoError(first.string() + " already exists");
    libewf_error_t* error = nullptr;
    if (libewf_handle_initialize(&write_handle_, &error) != 1) return EwfError(error, "libewf_handle_initialize");
    std::string base = options_.base.string();
    char* names[] = {base.data()};
    if (libewf_handle_open(write_handle_, names, 1, LIBEWF_OPEN_WRITE, &error) != 1) {
      return EwfError(error, "creating " + first.string());
    }
    if (libewf_handle_set_format(write_handle_, LIBEWF_FORMAT_ENCASE6, &error) != 1 ||
        libewf_handle_set_media_size(write_handle_, options_.media_size, &error) != 1 ||
        libewf_handle_set_bytes_per_sector(write_handle_, options_.sector_size, &error) != 1 ||
        libewf_handle_set_sectors_per_chunk(write_handle_, kEwfSectorsPerChunk, &error) != 1 ||
        libewf_handle_set_media_type(write_handle_, LIBEWF_MEDIA_TYPE_FIXED, &error) != 1 ||
        libewf_handle_set_media_flags(write_handle_, LIBEWF_MEDIA_FLAG_PHYSICAL, &error) != 1) {
      return EwfError(error, "setting E01 media values");
    }
    int8_t level = options_.compression == EwfCompression::kNone   ? LIBEWF_COMPRESSION_NONE
                   : options_.compression == EwfCompression::kBest ? LIBEWF_COMPRESSION_BEST
                                                                    : LIBEWF_COMPRESSION_FAST;
    if (libewf_handle_set_compression_values(write_handle_, level, 0, &error) != 1) {
      return EwfError(error, "setting E01 compression");
    }
    if (options_.split_bytes > 0 &&
        libewf_handle_set_maximum_segment_size(write_handle_, options_.split_bytes, &error) != 1) {
      return EwfError(error, "setting E01 segment size");
    }
    const CaseMetadata& m = options_.metadata;
    INTERDICT_RETURN_IF_ERROR(SetHeader("case_number", m.case_number));
    INTERDICT_RETURN_IF_ERROR(SetHeader("evidence_number", m.evidence_number));
    INTERDICT_RETURN_IF_ERROR(SetHeader("examiner_name", m.examiner));
    INTERDICT_RETURN_IF_ERROR(SetHeader("description", m.description));
    INTERDICT_RETURN_IF_ERROR(SetHeader("notes", m.notes));
    INTERDICT_RETURN_IF_ERROR(SetHeader("acquiry_software_version", INTERDICT_VERSION));
    return Status::Ok();
  }

  Status Append(std::span<const uint8_t> data) override {
    if (write_handle_ == nullptr) return Status::Internal("E01 image already finished");
    if (written_ + data.size() > options_.media_size) {
      return Status::Internal("appending past the E01 media size of " + std::to_string(options_.media_size));
    }
    while (!data.empty()) {
      if (chunk_.capacity() < chunk_bytes_) chunk_.reserve(chunk_bytes_);
      const size_t take = std::min(chunk_bytes_ - chunk_.size(), data.size());
      chunk_.insert(chunk_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      data = data.subspan(take);
      written_ += take;
      if (chunk_.size() == chunk_bytes_) INTERDICT_RETURN_IF_ERROR(SubmitChunk());
    }
    return Status::Ok();
  }

  uint64_t bytes_written() const override { return written_; }

  Status RecordBadRange(uint64_t first_sector, uint64_t sector_count) override {
    libewf_error_t* error = nullptr;
    if (libewf_handle_append_acquiry_error(write_handle_, first_sector, sector_count, &error) != 1) {
      return EwfError(error, "recording an acquisition error in the E01");
    }
    return Status::Ok();
  }

  // libewf writes segment files as it goes; there is no durable point short of finalising, which is why
  // E01 acquisitions cannot resume (see ResumeImageWriter).
  Status Checkpoint() override { return Status::Ok(); }

  Status Finish(const Digests& digests) override {
    if (write_handle_ == nullptr) return Status::Internal("E01 image already finished");
    if (!chunk_.empty()) INTERDICT_RETURN_IF_ERROR(SubmitChunk());  // the short last chunk
    while (compressor_.in_flight() > 0) INTERDICT_RETURN_IF_ERROR(WriteChunk(compressor_.Next()));
    libewf_error_t* error = nullptr;
    if (!digests.md5.empty()) {
      INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> md5, FromHex(digests.md5));
      if (libewf_handle_set_md5_hash(write_handle_, md5.data(), md5.size(), &error) != 1) {
        return EwfError(error, "storing MD5 in the E01");
      }
    }
    if (!digests.sha1.empty()) {
      INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> sha1, FromHex(digests.sha1));
      if (libewf_handle_set_sha1_hash(write_handle_, sha1.data(), sha1.size(), &error) != 1) {
        return EwfError(error, "storing SHA-1 in the E01");
      }
    }
    if (libewf_handle_write_finalize(write_handle_, &error) < 0) return EwfError(error, "finalising the E01");
    if (libewf_handle_close(write_handle_, &error) != 0) return EwfError(error, "closing the E01");
    libewf_handle_free(&write_handle_, nullptr);
    write_handle_ = nullptr;
    return Status::Ok();
  }

  Status ReadBack(uint64_t offset, std::span<uint8_t> out) override {
    if (write_handle_ != nullptr) return Status::Unsupported("an E01 can be read back only once finished");
    if (read_handle_ == nullptr) INTERDICT_RETURN_IF_ERROR(OpenForReading());
    libewf_error_t* error = nullptr;
    ssize_t n = libewf_handle_read_random(read_handle_, out.data(), out.size(), static_cast<off64_t>(offset), &error);
    if (n < 0 || static_cast<size_t>(n) != out.size()) return EwfError(error, "reading the E01 back");
    return Status::Ok();
  }

  std::vector<std::filesystem::path> files() const override {
    std::vector<std::filesystem::path> out;
    const std::string base = options_.base.string();
    // E01, E02, ... E99, then EAA...: list what exists.
    for (int i = 1; i <= 99; ++i) {
      char suffix[8];
      std::snprintf(suffix, sizeof(suffix), ".E%02d", i);
      std::filesystem::path path = base + suffix;
      if (!std::filesystem::exists(path)) break;
      out.push_back(path);
    }
    return out;
  }
  std::string media_type() const override { return "application/x-ewf"; }

 private:
  // Queues the filled chunk, first storing finished chunks while the compressor is at its in-flight limit.
  Status SubmitChunk() {
    while (compressor_.in_flight() >= compressor_.max_in_flight()) {
      INTERDICT_RETURN_IF_ERROR(WriteChunk(compressor_.Next()));
    }
    compressor_.Submit(std::move(chunk_));
    chunk_ = std::vector<uint8_t>();
    return Status::Ok();
  }

  // Stores one encoded chunk. For an uncompressed chunk libewf writes `chunk.adler32` (little-endian,
  // through the scratch `checksum`) after the data; a compressed chunk carries zlib's own checksum.
  Status WriteChunk(const EwfChunk& chunk) {
    libewf_error_t* error = nullptr;
    uint8_t checksum[kEwfChecksumBytes] = {0};
    ssize_t n = libewf_handle_write_chunk(write_handle_, chunk.stored.data(), chunk.stored.size(), chunk.data_size,
                                          chunk.compressed ? 1 : 0, checksum, chunk.adler32,
                                          chunk.compressed ? 0 : 1, &error);
    if (n < 0) return EwfError(error, "writing E01 chunk " + std::to_string(chunks_stored_));
    ++chunks_stored_;
    return Status::Ok();
  }

  Status SetHeader(const char* identifier, const std::string& value) {
    if (value.empty()) return Status::Ok();
    libewf_error_t* error = nullptr;
    if (libewf_handle_set_utf8_header_value(write_handle_, reinterpret_cast<const uint8_t*>(identifier),
                                            std::strlen(identifier), reinterpret_cast<const uint8_t*>(value.data()),
                                            value.size(), &error) != 1) {
      return EwfError(error, std::string("setting E01 header ") + identifier);
    }
    return Status::Ok();
  }

  Status OpenForReading() {
    libewf_error_t* error = nullptr;
    std::vector<std::filesystem::path> paths = files();
    if (paths.empty()) return Status::NotFound("no E01 segments for " + options_.base.string());
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(p.string());
    std::vector<char*> pointers;
    for (auto& n : names) pointers.push_back(n.data());
    if (libewf_handle_initialize(&read_handle_, &error) != 1) return EwfError(error, "libewf_handle_initialize");
    if (libewf_handle_open(read_handle_, pointers.data(), static_cast<int>(pointers.size()), LIBEWF_OPEN_READ,
                           &error) != 1) {
      return EwfError(error, "opening the E01 for reading");
    }
    return Status::Ok();
  }

  static void CloseHandle(libewf_handle_t** handle) {
    if (*handle == nullptr) return;
    libewf_handle_close(*handle, nullptr);
    libewf_handle_free(handle, nullptr);
    *handle = nullptr;
  }

  ImageWriterOptions options_;
  libewf_handle_t* write_handle_ = nullptr;
  libewf_handle_t* read_handle_ = nullptr;
  uint64_t written_ = 0;
  const size_t chunk_bytes_;
  std::vector<uint8_t> chunk_;  // media data of the chunk being filled
  uint64_t chunks_stored_ = 0;
  EwfChunkCompressor compressor_;
};

}  // namespace

Result<std::unique_ptr<ImageWriter>> CreateEwfImageWriter(const ImageWriterOptions& options) {
  auto writer = std::make_unique<EwfImageWriter>(options);
  INTERDICT_RETURN_IF_ERROR(writer->Create());
  return std::unique_ptr<ImageWriter>(std::move(writer));
}

std::string LibewfVersionString() { return std::string("libewf ") + libewf_get_version(); }

Result<ImageFormat> ParseImageFormat(std::string_view name) {
  if (name == "raw" || name == "dd") return ImageFormat::kRaw;
  if (name == "e01" || name == "E01" || name == "ewf") return ImageFormat::kE01;
  return Status::InvalidArgument("unknown image format '" + std::string(name) + "' (use raw or e01)");
}

std::string_view ImageFormatName(ImageFormat format) { return format == ImageFormat::kRaw ? "raw" : "e01"; }

Result<EwfCompression> ParseEwfCompression(std::string_view name) {
  if (name == "none") return EwfCompression::kNone;
  if (name == "fast") return EwfCompression::kFast;
  if (name == "best") return EwfCompression::kBest;
  return Status::InvalidArgument("unknown compression '" + std::string(name) + "' (use none, fast, best)");
}

Result<std::unique_ptr<ImageWriter>> CreateImageWriter(const ImageWriterOptions& options) {
  if (options.media_size == 0 || options.sector_size == 0) return Status::InvalidArgument("empty media");
  if (options.format == ImageFormat::kE01) return CreateEwfImageWriter(options);
  return CreateRawImageWriter(options);
}

Result<std::unique_ptr<ImageWriter>> ResumeImageWriter(const ImageWriterOptions& options, uint64_t resume_offset) {
  if (options.format == ImageFormat::kE01) {
    return Status::Unsupported(
        "resuming an E01 is not supported (libewf 20140813 finalises segments only at the end); "
        "acquire as raw to resume, or start the E01 again");
  }
  return ReopenRawImageWriter(options, resume_offset);
}

}  // namespace interdict::usb
