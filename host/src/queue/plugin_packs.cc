#include "queue/plugin_packs.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "core/signed_pack.h"

namespace interdict {
namespace {

namespace fs = std::filesystem;

const PluginPackSource* FindSource(std::string_view plugin_id) {
  for (const PluginPackSource& source : kPluginPackSources) {
    if (source.plugin_id == plugin_id) return &source;
  }
  return nullptr;
}

Result<std::vector<fs::path>> PackDirs(const PluginPackSource& source, const nlohmann::json& params) {
  std::vector<fs::path> dirs;
  if (params.is_object()) {
    if (auto named = params.find(std::string(source.param)); named != params.end()) {
      if (named->is_string()) {
        dirs.emplace_back(named->get<std::string>());
        return dirs;
      }
      if (!named->is_array()) {
        return Status::InvalidArgument("job parameter \"" + std::string(source.param) +
                                       "\" is neither a pack folder nor a list of them");
      }
      for (const auto& dir : *named) {
        if (!dir.is_string()) {
          return Status::InvalidArgument("job parameter \"" + std::string(source.param) + "\" lists a non-string");
        }
        dirs.emplace_back(dir.get<std::string>());
      }
      return dirs;
    }
  }
  const std::string env_var(source.env_var);
  const char* env = std::getenv(env_var.c_str());
  const bool from_env = env != nullptr && *env != '\0';
  if (from_env && source.selection == PackSelection::kFirstPack) {
    dirs.emplace_back(env);
    return dirs;
  }
  const fs::path folder = from_env ? fs::path(env) : fs::path(INTERDICT_SIGNATURES_DIR) / source.bundled_dir;
  dirs = ListPackDirs(folder);
  if (source.selection == PackSelection::kFirstPack && dirs.size() > 1) dirs.resize(1);
  return dirs;
}

}  // namespace

Result<nlohmann::json> PluginPackDigests(std::string_view plugin_id, const nlohmann::json& params) {
  nlohmann::json digests = nlohmann::json::object();
  const PluginPackSource* source = FindSource(plugin_id);
  if (source == nullptr) return digests;
  Result<std::vector<fs::path>> dirs = PackDirs(*source, params);
  if (!dirs.ok()) return dirs.status().WithContext("packs of plugin " + std::string(plugin_id));
  for (const fs::path& dir : *dirs) {
    Result<PackDigest> digest = ReadPackDigest(dir);
    if (!digest.ok()) {
      return digest.status().WithContext("pack " + dir.string() + " of plugin " + std::string(plugin_id));
    }
    digests[digest->name] = digest->sha256;
  }
  return digests;
}

}  // namespace interdict
