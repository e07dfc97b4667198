// The signed packs a plugin will load for a queued job, named by the SHA-256 of each pack's manifest, so
// the queue keys the job by them (IdempotencyKey: a changed pack is new work) and the case records them
// (the report's plugin table). Read from disk at every call: a plugin's worker process loads its packs
// afresh for each job, so a pack changed on disk (or a folder switched before SIGHUP) is what the next job
// both uses and records.
//
// Where each plugin finds its packs is a declarative table (kPluginPackSources) that mirrors the plugins'
// own defaults, because a plugin manifest does not (yet) declare its packs: the firmware scanner loads every
// pack in $INTERDICT_YARA_PACKS or signatures/yara (scan_session.cc), the mesh matcher the one pack
// $INTERDICT_MESH_PACK or the first pack under signatures/meshes (template_pack.cc); a job parameter naming
// packs ("packs", "templates") overrides both. Plugins not in the table use no packs.
// Thread-safe: reads the environment and the file system only.
#ifndef INTERDICT_QUEUE_PLUGIN_PACKS_H_
#define INTERDICT_QUEUE_PLUGIN_PACKS_H_

#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace interdict {

enum class PackSelection {
  kEveryPack,  // the folder holds packs: all of them (the environment variable names such a folder)
  kFirstPack,  // the folder holds packs: the first by name (the environment variable names the pack itself)
};

struct PluginPackSource {
  std::string_view plugin_id;
  std::string_view param;        // job parameter naming the packs: one pack folder, or a list of them
  std::string_view env_var;      // else this environment variable
  std::string_view bundled_dir;  // else this folder under the project's signatures/
  PackSelection selection;
};

inline constexpr PluginPackSource kPluginPackSources[] = {
    {"org.interdict.firmware_scan", "packs", "INTERDICT_YARA_PACKS", "yara", PackSelection::kEveryPack},
    {"org.interdict.mesh_match", "templates", "INTERDICT_MESH_PACK", "meshes", PackSelection::kFirstPack},
};

// {pack name: SHA-256 of its pack.json} for the packs `plugin_id` will load with these job parameters; an
// empty object for a plugin without packs (or when no pack is installed). kNotFound/kCorrupt/... naming
// the plugin and the pack when a pack it will load cannot be read (the plugin will refuse it too).
Result<nlohmann::json> PluginPackDigests(std::string_view plugin_id, const nlohmann::json& params);

}  // namespace interdict

#endif  // INTERDICT_QUEUE_PLUGIN_PACKS_H_
