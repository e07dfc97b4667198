// Random-access, read-only views of evidence bytes: the input file, a slice of a parent layer, a layer
// decompressed into memory, or a layer assembled from extents of its parent (Android sparse images).
// Unpackers hand out views instead of copies wherever the format allows, so a multi-gigabyte partition
// costs no memory until it is scanned block by block.
//
// Thread-safety: ReadAt is const and safe to call from several threads, except for sources documented
// otherwise (file-system member sources, used only inside the unpacker's callback).
#ifndef INTERDICT_FIRMWARE_SCAN_BYTE_SOURCE_H_
#define INTERDICT_FIRMWARE_SCAN_BYTE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict::fwscan {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads up to `length` bytes at `offset`. Returns fewer only at the end of the source; kUnreadable if
  // the underlying evidence could not be read.
  virtual Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const = 0;
  // The whole content when it is resident in memory, else nullptr.
  virtual const uint8_t* resident_data() const { return nullptr; }
};

using SourcePtr = std::shared_ptr<const ByteSource>;

// Reads exactly `length` bytes or fails with kCorrupt ("truncated") when the source ends first.
Status ReadExact(const ByteSource& source, uint64_t offset, void* buffer, size_t length);
// Reads min(length, size - offset) bytes into a vector (empty past the end).
Result<std::vector<uint8_t>> ReadUpTo(const ByteSource& source, uint64_t offset, size_t length);

// Opens a file read-only (O_RDONLY | O_CLOEXEC); never writes to it.
Result<SourcePtr> OpenFileSource(const std::filesystem::path& path);
SourcePtr MakeMemorySource(std::vector<uint8_t> bytes);
// A window of the parent; the caller checks that offset + length fits (it is clamped otherwise).
SourcePtr MakeSliceSource(SourcePtr parent, uint64_t offset, uint64_t length);
// A source backed by a read function (the plugin's host read_input).
SourcePtr MakeCallbackSource(uint64_t size, std::function<Result<size_t>(uint64_t, void*, size_t)> read);

// One run of an extent-mapped layer: either bytes of the parent or a repeated 32-bit fill value.
struct Extent {
  uint64_t logical_offset = 0;
  uint64_t length = 0;
  enum class Kind { kParent, kFill, kZero } kind = Kind::kZero;
  uint64_t parent_offset = 0;  // kParent
  uint32_t fill = 0;           // kFill (little-endian pattern)
};
// Extents must be sorted, non-overlapping; gaps read as zeros.
SourcePtr MakeExtentSource(SourcePtr parent, std::vector<Extent> extents, uint64_t size);

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_BYTE_SOURCE_H_
