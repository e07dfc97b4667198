// `interdict rules lint|test|diff|keygen|sign|verify`: the rule author's tools. Every command exits
// non-zero on any failure (unlike `yr check`), printing file:line for each problem.
#include <array>
#include <cstdio>

#include "core/signing.h"
#include "firmware_scan_cli.h"
#include "rule_pack.h"
#include "rules_author_tools.h"

namespace interdict {
namespace {

using namespace fwscan;

int Lint(CliContext& context, const std::vector<std::string>& targets) {
  size_t problems = 0;
  for (const std::string& target : targets) {
    std::vector<LintIssue> issues;
    if (std::filesystem::is_directory(target)) {
      Result<std::vector<LintIssue>> r = LintPack(target);
      if (!r.ok()) return context.Fail("lint " + target, r.status());
      issues = std::move(*r);
    } else {
      issues = LintRuleFile(target);
    }
    for (const LintIssue& issue : issues) std::printf("%s\n", issue.ToString().c_str());
    problems += issues.size();
  }
  if (problems > 0) {
    std::fprintf(stderr, "interdict: rules lint: %zu problem(s)\n", problems);
    return context.exit_code = kExitInputError;
  }
  std::printf("rules lint: no problems\n");
  return context.exit_code = kExitOk;
}

int Test(CliContext& context, const std::vector<std::string>& packs) {
  size_t failures = 0, total = 0;
  for (const std::string& pack : packs) {
    Result<std::vector<FixtureResult>> results = RunPackFixtures(pack);
    if (!results.ok()) return context.Fail("rules test " + pack, results.status());
    for (const FixtureResult& r : *results) {
      ++total;
      if (r.ok()) continue;
      ++failures;
      std::string expected, actual;
      for (const auto& s : r.expected) expected += " " + s;
      for (const auto& s : r.actual) actual += " " + s;
      std::printf("%s/fixtures/%s: FAIL expected [%s ] got [%s ]\n", pack.c_str(), r.fixture.c_str(), expected.c_str(),
                  actual.c_str());
    }
  }
  std::printf("rules test: %zu fixture(s), %zu failure(s)\n", total, failures);
  return context.exit_code = failures ? kExitVerificationFailed : kExitOk;
}

int Diff(CliContext& context, const std::string& old_pack, const std::string& new_pack, const std::string& corpus) {
  Result<std::vector<CorpusDiff>> diffs = DiffPacks(old_pack, new_pack, corpus);
  if (!diffs.ok()) return context.Fail("rules diff", diffs.status());
  for (const CorpusDiff& d : *diffs) {
    for (const auto& rule : d.gained) std::printf("%s: +%s\n", d.file.c_str(), rule.c_str());
    for (const auto& rule : d.lost) std::printf("%s: -%s\n", d.file.c_str(), rule.c_str());
  }
  std::printf("rules diff: %zu file(s) changed\n", diffs->size());
  return context.exit_code = diffs->empty() ? kExitOk : kExitFindings;
}

int Keygen(CliContext& context, const std::string& out) {
  Result<SigningKey> key = SigningKey::Generate();
  if (!key.ok()) return context.Fail("rules keygen", key.status());
  Status s = key->Save(out);
  if (!s.ok()) return context.Fail("rules keygen", s);
  std::printf("private key: %s\npublic key:  %s (copy %s.pub into the trusted-keys folder)\n", out.c_str(),
              key->public_key_hex().c_str(), out.c_str());
  return context.exit_code = kExitOk;
}

int Sign(CliContext& context, const std::vector<std::string>& packs, const std::string& key_path) {
  Result<SigningKey> key = SigningKey::Load(key_path);
  if (!key.ok()) return context.Fail("rules sign", key.status());
  for (const std::string& pack : packs) {
    Status s = SignPack(pack, *key);
    if (!s.ok()) return context.Fail("rules sign " + pack, s);
    std::printf("signed %s with %s\n", pack.c_str(), key->public_key_hex().c_str());
  }
  return context.exit_code = kExitOk;
}

int Verify(CliContext& context, const std::vector<std::string>& packs, const std::string& trusted, bool allow_unsigned) {
  TrustPolicy policy;
  policy.allow_unsigned = allow_unsigned;
  Result<std::vector<std::string>> keys = LoadTrustedKeys(trusted.empty() ? DefaultTrustedKeysDir() : std::filesystem::path(trusted));
  if (!keys.ok()) return context.Fail("trusted keys", keys.status());
  policy.trusted_public_keys = std::move(*keys);
  for (const std::string& dir : packs) {
    Result<RulePack> pack = LoadPack(dir);
    if (!pack.ok()) return context.Fail("rules verify " + dir, pack.status());
    Status s = VerifyPack(*pack, policy);
    if (!s.ok()) return context.Fail("rules verify " + dir, s);
    std::printf("%s %s: verified (digest %s, %s)\n", pack->name.c_str(), pack->version.c_str(), pack->digest.c_str(),
                pack->signer_key.empty() ? "unsigned, allowed" : ("signed by " + pack->signer_key).c_str());
  }
  return context.exit_code = kExitOk;
}

}  // namespace

void RegisterRulesCommands(CLI::App& app, CliContext& context) {
  CLI::App* rules = app.add_subcommand("rules", "YARA rule pack author tools");
  rules->require_subcommand(1);

  auto lint_targets = std::make_shared<std::vector<std::string>>();
  CLI::App* lint = rules->add_subcommand("lint", "Compile each rule file alone; warnings, global rules, missing meta are errors");
  lint->add_option("targets", *lint_targets, "Pack folders or .yar files")->required()->check(CLI::ExistingPath);
  lint->callback([&context, lint_targets] { Lint(context, *lint_targets); });

  auto test_packs = std::make_shared<std::vector<std::string>>();
  CLI::App* test = rules->add_subcommand("test", "Run a pack's positive and negative fixtures");
  test->add_option("packs", *test_packs, "Pack folders")->required()->check(CLI::ExistingDirectory);
  test->callback([&context, test_packs] { Test(context, *test_packs); });

  auto diff_args = std::make_shared<std::array<std::string, 3>>();
  CLI::App* diff = rules->add_subcommand("diff", "Which corpus files gain or lose which rules between two pack versions");
  diff->add_option("old", (*diff_args)[0], "Old pack folder")->required()->check(CLI::ExistingDirectory);
  diff->add_option("new", (*diff_args)[1], "New pack folder")->required()->check(CLI::ExistingDirectory);
  diff->add_option("--corpus", (*diff_args)[2], "Folder of files to match")->required()->check(CLI::ExistingDirectory);
  diff->callback([&context, diff_args] { Diff(context, (*diff_args)[0], (*diff_args)[1], (*diff_args)[2]); });

  auto keygen_out = std::make_shared<std::string>();
  CLI::App* keygen = rules->add_subcommand("keygen", "Make an Ed25519 pack-signing key (PEM, plus <file>.pub)");
  keygen->add_option("--out", *keygen_out, "Private key file to write")->required();
  keygen->callback([&context, keygen_out] { Keygen(context, *keygen_out); });

  auto sign_packs = std::make_shared<std::vector<std::string>>();
  auto sign_key = std::make_shared<std::string>();
  CLI::App* sign = rules->add_subcommand("sign", "Record file hashes in pack.json and sign it");
  sign->add_option("packs", *sign_packs, "Pack folders")->required()->check(CLI::ExistingDirectory);
  sign->add_option("--key", *sign_key, "Private key (PEM)")->required()->check(CLI::ExistingFile);
  sign->callback([&context, sign_packs, sign_key] { Sign(context, *sign_packs, *sign_key); });

  auto verify_packs = std::make_shared<std::vector<std::string>>();
  auto verify_trusted = std::make_shared<std::string>();
  auto verify_unsigned = std::make_shared<bool>(false);
  CLI::App* verify = rules->add_subcommand("verify", "Check a pack's signature and file hashes");
  verify->add_option("packs", *verify_packs, "Pack folders")->required()->check(CLI::ExistingDirectory);
  verify->add_option("--trusted-keys", *verify_trusted, "Folder of trusted public keys (*.pub)");
  verify->add_flag("--allow-unsigned", *verify_unsigned, "Accept a pack without signature");
  verify->callback([&context, verify_packs, verify_trusted, verify_unsigned] {
    Verify(context, *verify_packs, *verify_trusted, *verify_unsigned);
  });
}

}  // namespace interdict
