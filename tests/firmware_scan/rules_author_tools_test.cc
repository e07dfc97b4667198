// Author tools: lint reports slow patterns, global rules and missing meta with file:line; the bundled
// packs' fixtures pass; diff names the rules a corpus file gains or loses between pack versions.
#include "fwscan_test_support.h"
#include "rules_author_tools.h"

namespace fwtest {
namespace {

TEST(RulesLint, ReportsSlowPatternGlobalRuleAndMissingMetaWithLines) {
  TempDir dir;
  WriteFile(dir / "bad.yar", Bytes("rule good_one {\n"
                                   "  meta: description = \"d\" author = \"a\" date = \"2026-01-01\" severity = \"info\"\n"
                                   "  strings: $a = \"long enough string\"\n"
                                   "  condition: $a\n"
                                   "}\n"
                                   "global rule gate {\n"
                                   "  meta: description = \"d\" author = \"a\" date = \"2026-01-01\" severity = \"info\"\n"
                                   "  condition: filesize < 10MB\n"
                                   "}\n"
                                   "rule slow_and_bare {\n"
                                   "  strings: $r = /a.*b/\n"
                                   "  condition: $r\n"
                                   "}\n"));
  auto issues = LintRuleFile(dir / "bad.yar");
  std::vector<std::string> lines;
  for (const auto& i : issues) lines.push_back(i.ToString());
  auto has = [&](int line, const std::string& text) {
    for (const auto& i : issues) {
      if (i.line == line && i.message.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(6, "global rule gate")) << testing::PrintToString(lines);
  EXPECT_TRUE(has(11, "warning treated as error")) << testing::PrintToString(lines);
  for (const char* meta : kRequiredRuleMeta) EXPECT_TRUE(has(10, std::string("\"") + meta + "\"")) << meta;
  EXPECT_TRUE(has(11, "may slow down scanning")) << testing::PrintToString(lines);
  EXPECT_EQ(issues.size(), 7u) << testing::PrintToString(lines);
  EXPECT_EQ(issues[0].ToString().rfind((dir / "bad.yar").string() + ":", 0), 0u);
}

TEST(RulesLint, SyntaxErrorIsReportedWithItsLine) {
  TempDir dir;
  WriteFile(dir / "broken.yar", Bytes("rule ok { condition: true }\n\nrule broken { condition: $nope }\n"));
  auto issues = LintRuleFile(dir / "broken.yar");
  ASSERT_FALSE(issues.empty());
  EXPECT_EQ(issues[0].line, 3);
  EXPECT_NE(issues[0].message.find("$nope"), std::string::npos);
}

TEST(RulesLint, BundledPacksAreClean) {
  for (const std::string& name : BundledPacks()) {
    auto issues = LintPack(SignaturesDir() / name);
    ASSERT_TRUE(issues.ok()) << issues.status().ToString();
    EXPECT_TRUE(issues->empty()) << name << ": " << (issues->empty() ? "" : (*issues)[0].ToString());
  }
}

TEST(RulesFixtures, BundledPacksPassTheirPositiveAndNegativeFixtures) {
  for (const std::string& name : BundledPacks()) {
    auto results = RunPackFixtures(SignaturesDir() / name);
    ASSERT_TRUE(results.ok()) << results.status().ToString();
    size_t positives = 0;
    for (const auto& r : *results) {
      EXPECT_TRUE(r.ok()) << name << "/" << r.fixture;
      if (!r.expected.empty()) ++positives;
    }
    EXPECT_GE(positives, 3u) << name;
    EXPECT_GT(results->size(), positives) << name << " has no negative fixture";
  }
}

TEST(RulesFixtures, WrongExpectationFails) {
  TempDir dir;
  std::filesystem::copy(SignaturesDir() / "example-comms-indicators", dir / "pack", std::filesystem::copy_options::recursive);
  auto expected = ReadFile(dir / "pack/fixtures/expected.json");
  std::string text(expected.begin(), expected.end());
  text.replace(text.find("Example_Kestrel_Hardened_Handset"), 32, "Example_Nightjar_Client_Config");
  WriteFile(dir / "pack/fixtures/expected.json", Bytes(text));
  auto results = RunPackFixtures(dir / "pack");
  ASSERT_TRUE(results.ok());
  size_t failures = 0;
  for (const auto& r : *results) failures += r.ok() ? 0 : 1;
  EXPECT_EQ(failures, 1u);
}

TEST(RulesDiff, NamesGainedAndLostRulesPerCorpusFile) {
  TempDir dir;
  std::filesystem::copy(SignaturesDir() / "example-comms-indicators", dir / "new", std::filesystem::copy_options::recursive);
  // The new version drops the Kestrel rule file's rule and adds a rule matching "update." strings.
  WriteFile(dir / "new/rules/kestrel.yar",
            Bytes("rule Example_Update_Host { meta: description = \"d\" author = \"a\" date = \"2026-01-01\" "
                  "severity = \"info\" strings: $u = \"update.kestrel-phone.invalid\" condition: $u }\n"));
  WriteFile(dir / "corpus/kestrel.txt", Bytes("KESTREL-OS build 7.1 (update.kestrel-phone.invalid)"));
  WriteFile(dir / "corpus/plain.txt", Bytes("nothing"));
  auto diffs = DiffPacks(SignaturesDir() / "example-comms-indicators", dir / "new", dir / "corpus");
  ASSERT_TRUE(diffs.ok()) << diffs.status().ToString();
  ASSERT_EQ(diffs->size(), 1u);
  EXPECT_EQ((*diffs)[0].file, "kestrel.txt");
  EXPECT_EQ((*diffs)[0].gained, std::set<std::string>{"Example_Update_Host"});
  EXPECT_EQ((*diffs)[0].lost, std::set<std::string>{"Example_Kestrel_Hardened_Handset"});
}

}  // namespace
}  // namespace fwtest
