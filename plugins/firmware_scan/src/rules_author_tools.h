// Tools for rule authors behind `interdict rules lint|test|diff`.
//  - Lint: each file compiled alone with its own compiler (a libyara compiler is unusable after an error),
//    every compiler warning (slow patterns, "$a may slow down scanning", regex `.*`) is an error;
//    `global` rules are flagged (they silence every other rule in their namespace); each rule needs the
//    meta fields in kRequiredRuleMeta; files on disk that the manifest does not list are flagged.
//  - Fixtures: fixtures/expected.json = {"positive": {"<file>": ["Rule", ...]}, "negative": ["<file>", ...]}
//    over fixtures/positive/ and fixtures/negative/; a positive fixture must match exactly its rules, a
//    negative one nothing; a fixture file missing from expected.json is an error.
//  - Diff: which corpus files gain or lose which rules between two versions of a pack.
// These work on packs being edited, so they compile without signature or hash checks.
#ifndef INTERDICT_FIRMWARE_SCAN_RULES_AUTHOR_TOOLS_H_
#define INTERDICT_FIRMWARE_SCAN_RULES_AUTHOR_TOOLS_H_

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "rule_pack.h"
#include "rule_set.h"

namespace interdict::fwscan {

inline constexpr const char* kRequiredRuleMeta[] = {"description", "author", "date", "severity"};
inline constexpr char kFixturesExpectedName[] = "fixtures/expected.json";

struct LintIssue {
  std::string file;
  int line = 0;
  std::string message;
  std::string ToString() const { return file + ":" + std::to_string(line) + ": error: " + message; }
};

// Lints one rule file.
std::vector<LintIssue> LintRuleFile(const std::filesystem::path& file, const nlohmann::json& externals = {});
// Lints a pack (manifest, listed files, unlisted files).
Result<std::vector<LintIssue>> LintPack(const std::filesystem::path& pack_dir);

// Compiles a pack's files as they are on disk (author mode).
Result<std::shared_ptr<const RuleSet>> CompilePackForAuthoring(const RulePack& pack);

struct FixtureResult {
  std::string fixture;  // "positive/aes.bin"
  std::set<std::string> expected;
  std::set<std::string> actual;
  bool ok() const { return expected == actual; }
};
Result<std::vector<FixtureResult>> RunPackFixtures(const std::filesystem::path& pack_dir);

// rule names matched per corpus file (relative path), for one compiled set.
Result<std::map<std::string, std::set<std::string>>> MatchCorpus(std::shared_ptr<const RuleSet> rules,
                                                                 const std::filesystem::path& corpus);
struct CorpusDiff {
  std::string file;
  std::set<std::string> gained;
  std::set<std::string> lost;
};
Result<std::vector<CorpusDiff>> DiffPacks(const std::filesystem::path& old_pack, const std::filesystem::path& new_pack,
                                          const std::filesystem::path& corpus);

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_RULES_AUTHOR_TOOLS_H_
