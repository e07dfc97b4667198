// Finding installed plugins: every <dir>/*/plugin.json, read and verified without loading any library.
//
// Thread-safe: DiscoverPlugins only reads the file system.
#ifndef INTERDICT_PLUGINS_PLUGIN_DISCOVERY_H_
#define INTERDICT_PLUGINS_PLUGIN_DISCOVERY_H_

#include <filesystem>
#include <optional>
#include <vector>

#include "core/status.h"
#include "plugins/plugin_manifest.h"

namespace interdict {

// A plugin folder holds one plugin; a plugin directory with more folders than this is refused.
inline constexpr size_t kMaxDiscoveredPlugins = 1024;

struct DiscoveredPlugin {
  std::filesystem::path manifest_path;
  std::optional<PluginManifest> manifest;  // empty when the manifest did not parse
  Status verification;                     // OK = manifest valid, ABI compatible, library SHA-256 matches
  bool verified() const { return verification.ok(); }
};

// Lists every plugin folder under `dir`, sorted by manifest path. kNotFound if `dir` is not a folder.
Result<std::vector<DiscoveredPlugin>> DiscoverPlugins(const std::filesystem::path& dir);

// The verified plugin with this id, if any (several versions: the last in path order).
std::optional<DiscoveredPlugin> FindVerifiedPlugin(const std::vector<DiscoveredPlugin>& plugins, std::string_view id);

}  // namespace interdict

#endif  // INTERDICT_PLUGINS_PLUGIN_DISCOVERY_H_
