// Fuzz target: the ext4 unpacker on arbitrary bytes, children opened and read to their end.
#include "fuzz_unpack_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  interdict::fwscan::fuzz::RunUnpacker(interdict::fwscan::kExt4Format, data, size);
  return 0;
}
