// Fuzz target: sniffing + any importer + body split + description, as the plugin runs them (no library).
#include <cstddef>
#include <cstdint>

#include "mesh_analysis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)interdict::mesh::AnalyseMesh({data, size}, "input", nullptr);
  return 0;
}
