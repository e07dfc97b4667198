// The library-level scan: load and verify rule packs, compile them once, then scan inputs (each input on
// its own thread, up to `threads`, each thread with its own LayerScanner) and write JSON Lines in input
// order. The plugin and the CLI's --in-process path both use it; tests call it directly.
// Configuration travels to the sandboxed plugin as JSON (ScanConfigToJson / ScanConfigFromJson).
#ifndef INTERDICT_FIRMWARE_SCAN_SCAN_SESSION_H_
#define INTERDICT_FIRMWARE_SCAN_SCAN_SESSION_H_

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "layer_scanner.h"
#include "layer_walker.h"
#include "rule_pack.h"
#include "rule_set.h"

namespace interdict::fwscan {

struct ScanConfig {
  std::vector<std::filesystem::path> packs;
  bool allow_unsigned = false;
  std::filesystem::path trusted_keys_dir = DefaultTrustedKeysDir();
  std::optional<std::filesystem::path> cache_dir;  // no rule cache when empty
  ScanOptions scan;
  UnpackLimits limits;
  bool report_layers = false;
};

nlohmann::json ScanConfigToJson(const ScanConfig& config);
// Missing fields take their defaults; without "packs" every pack in DefaultPacksDir() is used, so the
// plugin works when the queue starts it with an empty configuration.
Result<ScanConfig> ScanConfigFromJson(const nlohmann::json& json);
// $INTERDICT_YARA_PACKS, else the project's signatures/yara.
std::filesystem::path DefaultPacksDir();
// Every folder holding a pack.json directly under `dir`, sorted.
std::vector<std::filesystem::path> PacksIn(const std::filesystem::path& dir);

// Loads, verifies (refusing unsigned or tampered packs per the policy) and compiles the packs.
Result<std::shared_ptr<const RuleSet>> LoadVerifiedRuleSet(const ScanConfig& config);

struct InputResult {
  std::string name;
  std::vector<std::string> lines;  // JSON Lines, deterministic
  WalkSummary summary;
  Status status;  // non-OK only when the tool failed on this input
};

// Scans files with `threads` worker threads; results come back in the order of `inputs`.
std::vector<InputResult> ScanFiles(const std::vector<std::filesystem::path>& inputs,
                                   std::shared_ptr<const RuleSet> rules, const ScanConfig& config, int threads);

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_SCAN_SESSION_H_
