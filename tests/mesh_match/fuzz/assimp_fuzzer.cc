// Fuzz target: the Assimp path (OBJ importer only, as the plugin restricts it).
#include <cstddef>
#include <cstdint>

#include "assimp_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)interdict::mesh::ReadWithAssimp({data, size}, "obj");
  return 0;
}
