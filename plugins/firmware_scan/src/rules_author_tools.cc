#include "rules_author_tools.h"

#include <yara.h>

#include <regex>
#include <sstream>

#include "core/files.h"
#include "layer_scanner.h"
#include "scan_limits.h"

namespace interdict::fwscan {
namespace {

// Line of "rule <name>" in the text (1-based), 0 if not found.
int RuleLine(const std::string& text, const std::string& rule) {
  std::regex pattern("^\\s*(private\\s+|global\\s+)*rule\\s+" + rule + "\\b");
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (std::regex_search(line, pattern)) return n;
  }
  return 0;
}

std::vector<std::filesystem::path> FilesUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::vector<LintIssue> LintRuleFile(const std::filesystem::path& file, const nlohmann::json& externals) {
  std::vector<LintIssue> issues;
  Result<std::string> text = ReadFileToString(file, kMaxRuleFileBytes);
  if (!text.ok()) return {{file.string(), 0, text.status().ToString()}};
  std::vector<CompileDiagnostic> diagnostics;
  Result<std::shared_ptr<const RuleSet>> compiled =
      CompileRuleSources({{"lint", file.string(), *text}}, externals.is_object() ? externals : nlohmann::json::object(),
                         &diagnostics, /*warnings_are_errors=*/false);
  for (const CompileDiagnostic& d : diagnostics) {
    issues.push_back({file.string(), d.line, (d.is_warning ? "warning treated as error: " : "") + d.message});
  }
  // `global` rules: a textual check, since compiled rules do not expose the flag through the API.
  std::regex global_rule("^\\s*(private\\s+)?global\\s+(private\\s+)?rule\\s+(\\w+)");
  std::istringstream in(*text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, global_rule)) {
      issues.push_back({file.string(), n, "global rule " + m[3].str() +
                                              " suppresses every other rule in its namespace when it does not match"});
    }
  }
  if (!compiled.ok()) return issues;
  const YR_RULE* rule = nullptr;
  yr_rules_foreach((*compiled)->rules(), rule) {
    std::set<std::string> present;
    const YR_META* meta = nullptr;
    yr_rule_metas_foreach(rule, meta) { present.insert(meta->identifier); }
    for (const char* required : kRequiredRuleMeta) {
      if (!present.count(required)) {
        issues.push_back({file.string(), RuleLine(*text, rule->identifier),
                          std::string("rule ") + rule->identifier + " has no \"" + required + "\" meta field"});
      }
    }
  }
  std::sort(issues.begin(), issues.end(),
            [](const LintIssue& a, const LintIssue& b) { return a.line != b.line ? a.line < b.line : a.message < b.message; });
  return issues;
}

Result<std::vector<LintIssue>> LintPack(const std::filesystem::path& pack_dir) {
  INTERDICT_ASSIGN_OR_RETURN(RulePack pack, LoadPack(pack_dir));
  std::vector<LintIssue> issues;
  std::set<std::filesystem::path> listed;
  for (const PackFile& f : pack.files) {
    std::filesystem::path path = pack_dir / f.path;
    listed.insert(std::filesystem::weakly_canonical(path));
    std::vector<LintIssue> file_issues = LintRuleFile(path, pack.externals);
    issues.insert(issues.end(), file_issues.begin(), file_issues.end());
  }
  for (const auto& p : FilesUnder(pack_dir / "rules")) {
    std::string ext = p.extension().string();
    if ((ext == ".yar" || ext == ".yara") && !listed.count(std::filesystem::weakly_canonical(p))) {
      issues.push_back({p.string(), 0, "rule file not listed in " + std::string(kPackManifestName)});
    }
  }
  return issues;
}

Result<std::shared_ptr<const RuleSet>> CompilePackForAuthoring(const RulePack& pack) {
  std::vector<RuleSource> sources;
  for (const PackFile& f : pack.files) {
    INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(pack.dir / f.path, kMaxRuleFileBytes));
    sources.push_back({pack.name + "/" + std::filesystem::path(f.path).filename().string(), (pack.dir / f.path).string(),
                       std::move(text)});
  }
  std::vector<CompileDiagnostic> diagnostics;
  return CompileRuleSources(sources, pack.externals, &diagnostics);
}

namespace {

Result<std::set<std::string>> MatchFile(LayerScanner& scanner, const std::filesystem::path& file) {
  INTERDICT_ASSIGN_OR_RETURN(SourcePtr source, OpenFileSource(file));
  INTERDICT_ASSIGN_OR_RETURN(LayerScanResult result, scanner.Scan(*source, {file.filename().string(), file.string()}));
  if (result.outcome == ScanOutcome::kTimeout || result.outcome == ScanOutcome::kError) {
    return Status::Timeout(file.string() + ": " + result.message);
  }
  std::set<std::string> rules;
  for (const RuleMatch& m : result.matches) rules.insert(m.rule);
  return rules;
}

}  // namespace

Result<std::vector<FixtureResult>> RunPackFixtures(const std::filesystem::path& pack_dir) {
  INTERDICT_ASSIGN_OR_RETURN(RulePack pack, LoadPack(pack_dir));
  INTERDICT_ASSIGN_OR_RETURN(std::string expected_text, ReadFileToString(pack_dir / kFixturesExpectedName, kMaxManifestBytes));
  nlohmann::json expected = nlohmann::json::parse(expected_text, nullptr, false);
  if (expected.is_discarded() || !expected.is_object() || !expected.contains("positive") ||
      !expected["positive"].is_object() || !expected.contains("negative") || !expected["negative"].is_array()) {
    return Status::Corrupt((pack_dir / kFixturesExpectedName).string() +
                           ": expected {\"positive\": {file: [rules]}, \"negative\": [files]}");
  }
  INTERDICT_ASSIGN_OR_RETURN(std::shared_ptr<const RuleSet> rules, CompilePackForAuthoring(pack));
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<LayerScanner> scanner, LayerScanner::Create(rules, ScanOptions{}));
  std::vector<FixtureResult> results;
  std::set<std::string> negatives;
  for (const auto& n : expected["negative"]) {
    if (n.is_string()) negatives.insert(n.get<std::string>());
  }
  for (const char* kind : {"positive", "negative"}) {
    std::filesystem::path dir = pack_dir / "fixtures" / kind;
    for (const auto& file : FilesUnder(dir)) {
      FixtureResult r;
      std::string name = std::filesystem::relative(file, dir).string();
      r.fixture = std::string(kind) + "/" + name;
      if (std::string(kind) == "positive") {
        if (!expected["positive"].contains(name)) {
          return Status::Corrupt(r.fixture + " has no entry in " + kFixturesExpectedName);
        }
        for (const auto& rule : expected["positive"][name]) r.expected.insert(rule.get<std::string>());
      } else if (!negatives.count(name)) {
        return Status::Corrupt(r.fixture + " has no entry in " + kFixturesExpectedName);
      }
      INTERDICT_ASSIGN_OR_RETURN(r.actual, MatchFile(*scanner, file));
      results.push_back(std::move(r));
    }
  }
  if (results.empty()) return Status::NotFound(pack_dir.string() + ": no fixtures");
  return results;
}

Result<std::map<std::string, std::set<std::string>>> MatchCorpus(std::shared_ptr<const RuleSet> rules,
                                                                 const std::filesystem::path& corpus) {
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<LayerScanner> scanner, LayerScanner::Create(std::move(rules), ScanOptions{}));
  std::map<std::string, std::set<std::string>> out;
  for (const auto& file : FilesUnder(corpus)) {
    INTERDICT_ASSIGN_OR_RETURN(out[std::filesystem::relative(file, corpus).string()], MatchFile(*scanner, file));
  }
  return out;
}

Result<std::vector<CorpusDiff>> DiffPacks(const std::filesystem::path& old_pack, const std::filesystem::path& new_pack,
                                          const std::filesystem::path& corpus) {
  INTERDICT_ASSIGN_OR_RETURN(RulePack a, LoadPack(old_pack));
  INTERDICT_ASSIGN_OR_RETURN(RulePack b, LoadPack(new_pack));
  INTERDICT_ASSIGN_OR_RETURN(std::shared_ptr<const RuleSet> ra, CompilePackForAuthoring(a));
  INTERDICT_ASSIGN_OR_RETURN(std::shared_ptr<const RuleSet> rb, CompilePackForAuthoring(b));
  INTERDICT_ASSIGN_OR_RETURN(auto ma, MatchCorpus(ra, corpus));
  INTERDICT_ASSIGN_OR_RETURN(auto mb, MatchCorpus(rb, corpus));
  std::vector<CorpusDiff> diffs;
  for (const auto& [file, old_rules] : ma) {
    const std::set<std::string>& new_rules = mb[file];
    CorpusDiff d{file, {}, {}};
    std::set_difference(new_rules.begin(), new_rules.end(), old_rules.begin(), old_rules.end(),
                        std::inserter(d.gained, d.gained.end()));
    std::set_difference(old_rules.begin(), old_rules.end(), new_rules.begin(), new_rules.end(),
                        std::inserter(d.lost, d.lost.end()));
    if (!d.gained.empty() || !d.lost.empty()) diffs.push_back(std::move(d));
  }
  return diffs;
}

}  // namespace interdict::fwscan
