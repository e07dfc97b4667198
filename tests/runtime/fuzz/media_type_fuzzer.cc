// Fuzz target: media-type sniffing over arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "plugins/media_type.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  (void)interdict::SniffMediaType(bytes);
  // Also as a head of a longer input whose tail is its second half.
  (void)interdict::SniffMediaType(bytes.first(size / 2), bytes.last(size - size / 2), size * 2);
  return 0;
}
