#include "plugins/plugin_discovery.h"

#include <algorithm>

#include "plugins/plugin_loader.h"

namespace interdict {

Result<std::vector<DiscoveredPlugin>> DiscoverPlugins(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Status::NotFound("plugin folder " + dir.string() + " does not exist");
  std::vector<std::filesystem::path> manifests;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::filesystem::path candidate = it->path() / kPluginManifestName;
    if (!it->is_directory(ec) || !std::filesystem::is_regular_file(candidate, ec)) continue;
    if (manifests.size() >= kMaxDiscoveredPlugins) {
      return Status::LimitExceeded("more than " + std::to_string(kMaxDiscoveredPlugins) + " plugins in " +
                                   dir.string());
    }
    manifests.push_back(candidate);
  }
  if (ec) return Status::IoError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(manifests.begin(), manifests.end());

  std::vector<DiscoveredPlugin> plugins;
  for (const auto& path : manifests) {
    DiscoveredPlugin plugin;
    plugin.manifest_path = path;
    Result<PluginManifest> manifest = ReadPluginManifest(path);
    if (!manifest.ok()) {
      plugin.verification = manifest.status();
    } else {
      plugin.verification = VerifyPlugin(*manifest);
      plugin.manifest = std::move(manifest).value();
    }
    plugins.push_back(std::move(plugin));
  }
  return plugins;
}

std::optional<DiscoveredPlugin> FindVerifiedPlugin(const std::vector<DiscoveredPlugin>& plugins, std::string_view id) {
  std::optional<DiscoveredPlugin> found;
  for (const auto& plugin : plugins) {
    if (plugin.verified() && plugin.manifest && plugin.manifest->id == id) found = plugin;
  }
  return found;
}

}  // namespace interdict
