// Runs the built `interdict` binary the way an examiner would: init, add, verify, keys, seal, tamper, verify.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "case/case_store.h"
#include "case_test_support.h"

namespace interdict {
namespace {

using testing::ScratchDir;

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

std::string Quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

class CaseCliTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("INTERDICT_KEY_DIR", key_dir().c_str(), 1); }
  void TearDown() override { unsetenv("INTERDICT_KEY_DIR"); }

  std::filesystem::path case_dir() const { return scratch_.path() / "case"; }
  std::filesystem::path key_dir() const { return scratch_.path() / "keys"; }

  // Runs `interdict ARGS` and captures stdout (stderr goes to the test log).
  CommandResult Run(const std::string& args) {
    return RunShell(std::string(INTERDICT_BINARY_DIR) + "/bin/interdict " + args);
  }
  CommandResult RunShell(const std::string& command) {
    CommandResult result;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    size_t got = 0;
    while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, got);
    int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  ScratchDir scratch_;
};

TEST_F(CaseCliTest, InitAddSealVerifyRoundTripWithExitCodes) {
  const std::string dir = Quote(case_dir().string());
  CommandResult init = Run("case init " + dir + " --case-number 2026-7 --examiner 'Dana Q. Examiner'");
  ASSERT_EQ(init.exit_code, 0) << init.out;
  EXPECT_NE(init.out.find("created case 2026-7"), std::string::npos);

  EXPECT_EQ(Run("case init " + dir + " --case-number 2026-8 --examiner other").exit_code, 7);
  EXPECT_EQ(Run("case init " + Quote((scratch_.path() / "x").string()) + " --examiner e").exit_code, 2);

  std::filesystem::path seized = scratch_.path() / "seized.bin";
  testing::WriteFile(seized, "abc");
  CommandResult add = Run("--json case add " + dir + " " + Quote(seized.string()) + " --label EX-1");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  nlohmann::json added = nlohmann::json::parse(add.out);
  EXPECT_EQ(added["added"][0]["sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(added["added"][0]["md5"], "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(added["added"][0]["label"], "EX-1");
  EXPECT_EQ(testing::ReadFile(seized), "abc");

  CommandResult info = Run("case info " + dir + " --json");
  ASSERT_EQ(info.exit_code, 0) << info.out;
  nlohmann::json facts = nlohmann::json::parse(info.out);
  EXPECT_EQ(facts["case_number"], "2026-7");
  EXPECT_EQ(facts["examiner"], "Dana Q. Examiner");
  EXPECT_EQ(facts["counts"]["evidence"], 1);
  EXPECT_EQ(facts["counts"]["artifacts"], 1);
  EXPECT_EQ(facts["counts"]["audit_records"], 4);

  EXPECT_EQ(Run("case seal " + dir).exit_code, 3);  // no lab key yet: input missing
  CommandResult generated = Run("keys generate");
  ASSERT_EQ(generated.exit_code, 0);
  EXPECT_EQ(Run("keys generate").exit_code, 7);  // never replaced silently
  CommandResult shown = Run("keys show");
  EXPECT_EQ(shown.out, generated.out);
  EXPECT_EQ(Run("keys path").out, key_dir().string() + "\n");

  CommandResult seal = Run("--json case seal " + dir);
  ASSERT_EQ(seal.exit_code, 0) << seal.out;
  EXPECT_EQ(nlohmann::json::parse(seal.out)["seq"], 4);

  CommandResult verified = Run("case verify " + dir + " --json --key-dir " + Quote(key_dir().string()));
  ASSERT_EQ(verified.exit_code, 0) << verified.out;
  nlohmann::json report = nlohmann::json::parse(verified.out);
  EXPECT_EQ(report["ok"], true);
  EXPECT_EQ(report["seals_checked"], 1);
  EXPECT_EQ(report["audit_records_checked"], 5);
  EXPECT_EQ(report["artifacts_checked"], 1);

  // A byte flipped in the stored evidence: exit 4, and the artifact is named.
  auto store = CaseStore::Open(case_dir());
  ASSERT_TRUE(store.ok());
  testing::FlipByte((*store)->ArtifactPath("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), 1);
  CommandResult broken = Run("case verify " + dir);
  EXPECT_EQ(broken.exit_code, 4);
  EXPECT_NE(broken.out.find("first break: artifact ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            std::string::npos)
      << broken.out;
}

TEST_F(CaseCliTest, VerifyNamesTheEditedAuditRecordAndRefusesASealByAnotherKey) {
  const std::string dir = Quote(case_dir().string());
  ASSERT_EQ(Run("case init " + dir + " --case-number 2026-9 --examiner E").exit_code, 0);
  ASSERT_EQ(Run("keys generate").exit_code, 0);
  ASSERT_EQ(Run("case seal " + dir).exit_code, 0);

  // Another key folder: the case's seal was not made with this lab's key.
  ScratchDir other_lab;
  ASSERT_EQ(Run("keys generate --key-dir " + Quote(other_lab.path().string())).exit_code, 0);
  CommandResult foreign = Run("--json case verify " + dir + " --key-dir " + Quote(other_lab.path().string()));
  EXPECT_EQ(foreign.exit_code, 4);
  EXPECT_NE(
      nlohmann::json::parse(foreign.out)["first_break"]["what"].get<std::string>().find("not the trusted lab key"),
      std::string::npos);

  ASSERT_EQ(testing::RawSql(case_dir(),
                            "DROP TRIGGER audit_no_update;"
                            "UPDATE audit SET actor = 'someone else' WHERE seq = 1"),
            "");
  CommandResult broken = Run("--json case verify " + dir);
  EXPECT_EQ(broken.exit_code, 4);
  nlohmann::json report = nlohmann::json::parse(broken.out);
  EXPECT_EQ(report["ok"], false);
  EXPECT_EQ(report["first_break"]["where"], "audit seq 1");
}

// docs/case-store.md promises that sqlite3, jq, sha256sum and openssl alone can check a case; the script
// beside this test is that recipe, and it must agree with `interdict case verify`.
TEST_F(CaseCliTest, StandardToolsAloneVerifyTheCaseAndFindTheSameBreak) {
  const std::string dir = Quote(case_dir().string());
  const std::string check = Quote(std::string(INTERDICT_SOURCE_DIR) + "/tests/case/check_case_independently.sh");
  ASSERT_EQ(Run("case init " + dir + " --case-number 2026-IND --examiner 'Ö. Ünicode'").exit_code, 0);
  std::filesystem::path seized = scratch_.path() / "seized.bin";
  testing::WriteFile(seized, "bytes with \x01 control and \xc3\xa9 accents");
  ASSERT_EQ(Run("case add " + dir + " " + Quote(seized.string()) + " --label 'EX \"1\"'").exit_code, 0);
  ASSERT_EQ(Run("keys generate").exit_code, 0);
  ASSERT_EQ(Run("case seal " + dir).exit_code, 0);

  CommandResult independent = RunShell(check + " " + dir);
  EXPECT_EQ(independent.exit_code, 0) << independent.out;
  EXPECT_NE(independent.out.find("audit: 5 records"), std::string::npos) << independent.out;
  EXPECT_NE(independent.out.find("seals: 1"), std::string::npos);
  EXPECT_NE(independent.out.find("verified"), std::string::npos);

  ASSERT_EQ(testing::RawSql(case_dir(),
                            "DROP TRIGGER audit_no_update;"
                            "UPDATE audit SET details_json = '{\"label\":\"EX 2\"}' WHERE seq = 3"),
            "");
  CommandResult broken = RunShell(check + " " + dir);
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("BROKEN: audit seq 3: entry_hash does not match"), std::string::npos) << broken.out;
  CommandResult verify = Run("--json case verify " + dir);
  EXPECT_EQ(verify.exit_code, 4);
  EXPECT_EQ(nlohmann::json::parse(verify.out)["first_break"]["where"], "audit seq 3");
}

TEST_F(CaseCliTest, CommandsOnAMissingCaseExitWithInputError) {
  const std::string missing = Quote((scratch_.path() / "no-case").string());
  EXPECT_EQ(Run("case info " + missing).exit_code, 3);
  EXPECT_EQ(Run("case verify " + missing).exit_code, 3);
}

}  // namespace
}  // namespace interdict
