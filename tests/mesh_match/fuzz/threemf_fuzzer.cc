// Fuzz target: the 3MF reader (zip container, XML, components, transforms).
#include <cstddef>
#include <cstdint>

#include "threemf_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)interdict::mesh::ReadThreeMf({data, size});
  return 0;
}
