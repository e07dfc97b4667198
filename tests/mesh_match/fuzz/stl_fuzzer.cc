// Fuzz target: the STL reader (binary and ASCII paths).
#include <cstddef>
#include <cstdint>

#include "stl_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)interdict::mesh::ReadStl({data, size});
  return 0;
}
