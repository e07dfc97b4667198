// A compiled rule set: one or more verified packs compiled into one YR_RULES (each rule file in its own
// namespace "<pack>/<file>"), shared read-only by every scanner thread. Compiled rules are cached on
// disk keyed by (libyara version, pack digests, externals); the cache is the only place compiled rules are
// ever loaded from, and an entry is loaded only if its recorded SHA-256 still matches.
#ifndef INTERDICT_FIRMWARE_SCAN_RULE_SET_H_
#define INTERDICT_FIRMWARE_SCAN_RULE_SET_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "rule_pack.h"

struct YR_RULES;

namespace interdict::fwscan {

// Initialises libyara once per process (call from the main thread before any scanner exists).
Status EnsureYaraInitialized();
// "4.2.3"
std::string YaraVersion();

struct CompileDiagnostic {
  std::string file;  // path as given to the compiler
  int line = 0;
  bool is_warning = false;
  std::string rule;  // "" if not inside a rule
  std::string message;
  std::string ToString() const;  // "file:line: error: message"
};

struct PackSummary {
  std::string name;
  std::string version;
  std::string digest;
  std::string signer_key;
};

class RuleSet {
 public:
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  YR_RULES* rules() const { return rules_; }
  const std::vector<PackSummary>& packs() const { return packs_; }
  // String externals that scanners set per layer when declared ("filename", "filepath", "extension").
  const nlohmann::json& externals() const { return externals_; }
  const std::string& cache_key() const { return cache_key_; }
  bool loaded_from_cache() const { return from_cache_; }
  // Pack name for a namespace ("crypto-constants/aes.yar" -> "crypto-constants").
  std::string PackOfNamespace(const std::string& ns) const;

 private:
  friend class RuleSetBuilder;
  explicit RuleSet(YR_RULES* rules) : rules_(rules) {}
  YR_RULES* rules_ = nullptr;
  std::vector<PackSummary> packs_;
  nlohmann::json externals_ = nlohmann::json::object();
  std::string cache_key_;
  bool from_cache_ = false;
};

struct RuleSetOptions {
  std::optional<std::filesystem::path> cache_dir;  // no caching when empty
  bool warnings_are_errors = false;                // lint mode
};

// Compiles verified packs (refuses unverified ones). Diagnostics, if given, receive every error and warning.
Result<std::shared_ptr<const RuleSet>> BuildRuleSet(const std::vector<RulePack>& packs, const RuleSetOptions& options,
                                                    std::vector<CompileDiagnostic>* diagnostics = nullptr);

// One rule file to compile: its namespace, its path (for diagnostics) and its text.
struct RuleSource {
  std::string ns;
  std::string file;
  std::string text;
};
// Compiles sources without any pack verification: for author tools working on a pack being edited, and
// for tests. Scanning evidence always goes through BuildRuleSet.
Result<std::shared_ptr<const RuleSet>> CompileRuleSources(const std::vector<RuleSource>& sources,
                                                          const nlohmann::json& externals,
                                                          std::vector<CompileDiagnostic>* diagnostics,
                                                          bool warnings_are_errors = false);

// Compiles rule source text on its own (lint, tests). Namespace as given.
Result<std::shared_ptr<const RuleSet>> CompileRuleText(const std::string& text, const std::string& ns,
                                                       std::vector<CompileDiagnostic>* diagnostics = nullptr,
                                                       const nlohmann::json& externals = nlohmann::json::object());

// $XDG_CACHE_HOME/interdict/yara or ~/.cache/interdict/yara.
std::filesystem::path DefaultRuleCacheDir();

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_RULE_SET_H_
