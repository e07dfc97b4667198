#include "plugins/plugins_cli.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plugins/plugin_discovery.h"
#ifdef INTERDICT_HAVE_PLUGINS_RUN
#include "plugins/plugins_run_command.h"
#endif

namespace interdict {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
  return joined.empty() ? "-" : joined;
}

nlohmann::json PluginToJson(const DiscoveredPlugin& plugin) {
  nlohmann::json entry = {{"manifest", plugin.manifest_path.string()}, {"verified", plugin.verified()}};
  if (plugin.manifest) {
    entry["id"] = plugin.manifest->id;
    entry["version"] = plugin.manifest->version;
    entry["abi"] = plugin.manifest->abi.ToString();
    entry["kinds"] = plugin.manifest->kinds;
    entry["needs"] = plugin.manifest->needs;
    entry["accepted_inputs"] = plugin.manifest->accepted_inputs;
    entry["library"] = plugin.manifest->LibraryPath().string();
    entry["sha256"] = plugin.manifest->sha256;
  }
  if (!plugin.verified()) entry["reason"] = plugin.verification.ToString();
  return entry;
}

void PrintTable(const std::vector<DiscoveredPlugin>& plugins) {
  std::printf("%-36s %-10s %-5s %-12s %-10s %s\n", "ID", "VERSION", "ABI", "KINDS", "NEEDS", "STATUS");
  for (const auto& plugin : plugins) {
    std::string status = plugin.verified() ? "verified" : "NOT VERIFIED: " + plugin.verification.ToString();
    if (plugin.manifest) {
      const PluginManifest& m = *plugin.manifest;
      std::printf("%-36s %-10s %-5s %-12s %-10s %s\n", m.id.c_str(), m.version.c_str(), m.abi.ToString().c_str(),
                  Join(m.kinds).c_str(), Join(m.needs).c_str(), status.c_str());
    } else {
      std::printf("%-36s %-10s %-5s %-12s %-10s %s\n", plugin.manifest_path.parent_path().filename().c_str(), "?", "?",
                  "?", "?", status.c_str());
    }
  }
}

struct VerifyOptions {
  std::vector<std::string> ids;
};

void RunList(CliContext& context) {
  Result<std::vector<DiscoveredPlugin>> plugins = DiscoverPlugins(context.plugin_dir);
  if (!plugins.ok()) {
    context.Fail("plugins list", plugins.status());
    return;
  }
  if (context.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& plugin : *plugins) list.push_back(PluginToJson(plugin));
    std::printf("%s\n", nlohmann::json{{"plugin_dir", context.plugin_dir.string()}, {"plugins", list}}.dump(2).c_str());
  } else {
    PrintTable(*plugins);
  }
  context.exit_code = kExitOk;
}

void RunVerify(CliContext& context, const VerifyOptions& options) {
  Result<std::vector<DiscoveredPlugin>> plugins = DiscoverPlugins(context.plugin_dir);
  if (!plugins.ok()) {
    context.Fail("plugins verify", plugins.status());
    return;
  }
  std::vector<const DiscoveredPlugin*> selected;
  for (const auto& id : options.ids) {
    const DiscoveredPlugin* match = nullptr;
    for (const auto& plugin : *plugins) {
      if (plugin.manifest && plugin.manifest->id == id) match = &plugin;
    }
    if (match == nullptr) {
      context.Fail("plugins verify",
                   Status::NotFound("no plugin with id " + id + " in " + context.plugin_dir.string()));
      return;
    }
    selected.push_back(match);
  }
  if (options.ids.empty()) {
    for (const auto& plugin : *plugins) selected.push_back(&plugin);
  }
  bool all_verified = true;
  nlohmann::json results = nlohmann::json::array();
  for (const DiscoveredPlugin* plugin : selected) {
    all_verified = all_verified && plugin->verified();
    if (context.json) {
      results.push_back(PluginToJson(*plugin));
    } else {
      std::string name = plugin->manifest ? plugin->manifest->id : plugin->manifest_path.string();
      std::printf("%s: %s\n", name.c_str(),
                  plugin->verified() ? "verified" : ("NOT VERIFIED: " + plugin->verification.ToString()).c_str());
    }
  }
  if (context.json)
    std::printf("%s\n", nlohmann::json{{"plugins", results}, {"verified", all_verified}}.dump(2).c_str());
  context.exit_code = all_verified ? kExitOk : kExitVerificationFailed;
}

}  // namespace

void RegisterPluginCommands(CLI::App& app, CliContext& context) {
  CLI::App* plugins = app.add_subcommand("plugins", "List and verify installed plugins");
  plugins->require_subcommand(1);

  CLI::App* list = plugins->add_subcommand(
      "list", "List every plugin in the plugin folder: id, version, ABI, kinds, needs, and whether it verified");
  list->callback([&context] { RunList(context); });

  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify =
      plugins->add_subcommand("verify",
                              "Check each plugin's manifest, ABI version and library SHA-256 (no library is loaded); "
                              "exit 4 if any fails");
  verify->add_option("ids", options->ids, "Plugin ids to verify (default: all)");
  verify->callback([&context, options] { RunVerify(context, *options); });
#ifdef INTERDICT_HAVE_PLUGINS_RUN
  AddPluginsRunCommand(*plugins, context);
#endif
}

}  // namespace interdict
