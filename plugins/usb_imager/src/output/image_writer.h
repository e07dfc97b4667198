// ImageWriter: where acquired bytes go. The engine appends in order (offset 0 upwards), marks bad ranges,
// makes a durable checkpoint before the map says data is safe, and finishes with the final digests.
// ReadBack() reads the written image (for resume and for "read the image back" verification).
//
// Formats: raw (optionally split into fixed-size segments: image.001, image.002, ... like dc3dd ofs=) and
// E01 through libewf (case metadata, MD5/SHA-1 stored, bad ranges in the error2 section).
// Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_OUTPUT_IMAGE_WRITER_H_
#define INTERDICT_USB_IMAGER_OUTPUT_IMAGE_WRITER_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/status.h"

namespace interdict::usb {

enum class ImageFormat { kRaw, kE01 };
Result<ImageFormat> ParseImageFormat(std::string_view name);
std::string_view ImageFormatName(ImageFormat format);

// Case metadata written into E01 headers (and into the acquisition log for every format).
struct CaseMetadata {
  std::string case_number;
  std::string evidence_number;
  std::string examiner;
  std::string description;
  std::string notes;
};

enum class EwfCompression { kNone, kFast, kBest };
Result<EwfCompression> ParseEwfCompression(std::string_view name);

struct ImageWriterOptions {
  ImageFormat format = ImageFormat::kRaw;
  std::filesystem::path base;  // "out/image" → out/image.raw | out/image.001... | out/image.E01
  uint64_t media_size = 0;
  uint32_t sector_size = 512;
  uint64_t split_bytes = 0;  // raw: 0 = one file; E01: maximum segment size (0 = libewf default 1.4 GiB)
  EwfCompression compression = EwfCompression::kFast;
  CaseMetadata metadata;
};

class ImageWriter {
 public:
  virtual ~ImageWriter() = default;
  // Appends data at the current end of the image.
  virtual Status Append(std::span<const uint8_t> data) = 0;
  virtual uint64_t bytes_written() const = 0;
  // Records an unreadable range (filled with zeros in the data).
  virtual Status RecordBadRange(uint64_t first_sector, uint64_t sector_count) = 0;
  // Makes everything appended so far durable (fdatasync); the map may then call it finished.
  virtual Status Checkpoint() = 0;
  // Completes the image; `digests` are stored where the format can hold them.
  virtual Status Finish(const Digests& digests) = 0;
  // Reads `out.size()` bytes at `offset` from the image written so far (or finished).
  virtual Status ReadBack(uint64_t offset, std::span<uint8_t> out) = 0;
  virtual std::vector<std::filesystem::path> files() const = 0;
  // Media type for the case store ("application/octet-stream", "application/x-ewf").
  virtual std::string media_type() const = 0;
};

// Creates a new image, refusing to overwrite existing files.
Result<std::unique_ptr<ImageWriter>> CreateImageWriter(const ImageWriterOptions& options);
// Reopens a raw image for resume: truncates it to `resume_offset` bytes (the map's completed prefix) and
// appends from there. E01 images cannot be resumed with libewf 20140813's streaming writer (kUnsupported).
Result<std::unique_ptr<ImageWriter>> ResumeImageWriter(const ImageWriterOptions& options, uint64_t resume_offset);

// "libewf 20140813"
std::string LibewfVersionString();

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_OUTPUT_IMAGE_WRITER_H_
