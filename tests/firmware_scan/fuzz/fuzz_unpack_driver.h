// Shared body of the unpacker fuzz targets: runs one format's unpack on the bytes with small limits and
// reads every child it offers to the end, so that bounds bugs in lazily read children show up too.
#ifndef INTERDICT_FIRMWARE_SCAN_FUZZ_UNPACK_DRIVER_H_
#define INTERDICT_FIRMWARE_SCAN_FUZZ_UNPACK_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "unpacker.h"

namespace interdict::fwscan::fuzz {

inline constexpr uint64_t kFuzzMemberCap = 8ull << 20;
inline constexpr uint64_t kFuzzReadChunk = 64 * 1024;

inline void RunUnpacker(const UnpackerFormat& format, const uint8_t* data, size_t size) {
  SourcePtr input = MakeMemorySource(std::vector<uint8_t>(data, data + size));
  UnpackLimits limits;
  limits.max_member_bytes = kFuzzMemberCap;
  limits.max_files_per_container = 256;
  UnpackContext context(limits, size);
  std::vector<uint8_t> buffer(kFuzzReadChunk);
  ChildSink sink = [&](Child child) -> Status {
    // Read the whole child (capped) to exercise its ReadAt.
    uint64_t limit = std::min<uint64_t>(child.source->size(), kFuzzMemberCap);
    for (uint64_t offset = 0; offset < limit;) {
      Result<size_t> got = child.source->ReadAt(offset, buffer.data(), buffer.size());
      if (!got.ok() || *got == 0) break;
      offset += *got;
    }
    return Status::Ok();
  };
  (void)format.unpack(input, context, sink);
  (void)context.TakeNotes();
}

}  // namespace interdict::fwscan::fuzz

#endif  // INTERDICT_FIRMWARE_SCAN_FUZZ_UNPACK_DRIVER_H_
