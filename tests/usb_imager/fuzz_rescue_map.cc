// Fuzz target: the ddrescue-format map parser (a map on disk may be truncated or edited), then the
// operations resume performs on what it accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/rescue_map.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict::usb;
  auto map = RescueMap::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!map.ok()) return 0;
  const uint64_t prefix = map->CompletedPrefix();
  (void)map->BadBlocks();
  if (prefix < map->size()) (void)map->Mark(prefix, map->size() - prefix, BlockState::kNonTried);
  (void)map->ToText({});
  return 0;
}
