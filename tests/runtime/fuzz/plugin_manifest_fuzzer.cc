// Fuzz target: plugin.json parsing and validation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/media_type.h"
#include "plugins/plugin_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  interdict::Result<interdict::PluginManifest> manifest =
      interdict::ParsePluginManifest(std::string_view(reinterpret_cast<const char*>(data), size));
  if (manifest.ok()) {
    (void)interdict::PluginAccepts(*manifest, "model/stl");
    (void)manifest->ToJson().dump();
  }
  return 0;
}
