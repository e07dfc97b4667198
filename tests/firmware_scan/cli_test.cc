// The `interdict scan` and `interdict rules` commands as users run them: exit codes, JSON Lines, and the
// refusals of tampered and unsigned packs. The scan runs in the sandboxed worker when it is built.
#include <set>
#include <sstream>

#include "ewf_test_support.h"
#include "fwscan_test_support.h"

namespace fwtest {
namespace {

std::string Interdict() {
  return std::string("INTERDICT_PLUGIN_DIR='") + INTERDICT_PLUGIN_DIR + "' '" + INTERDICT_BINARY_DIR + "/bin/interdict'";
}

std::string PackArgs(const std::filesystem::path& root) {
  std::string args;
  for (const auto& name : BundledPacks()) args += " --rules '" + (root / name).string() + "'";
  return args;
}

TEST(ScanCli, ScansTheHandsetImageAndExitsWithFindings) {
  TempDir dir;
  auto [rc, out] = RunCommand(Interdict() + " --json scan '" FWSCAN_SAMPLE_IMAGE "'" + PackArgs(SignaturesDir()) +
                              " --cache-dir '" + (dir / "cache").string() + "' 2>&1");
  EXPECT_EQ(rc, 1) << out;
  std::istringstream lines(out);
  std::string line;
  size_t matches = 0;
  nlohmann::json last;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j["kind"] == "yara-match") ++matches;
    last = j;
  }
  EXPECT_GE(matches, 20u);
  EXPECT_EQ(last["kind"], "scan-summary");
  EXPECT_EQ(last["outcome"], "matched");
  EXPECT_EQ(last["rule_packs"].size(), 3u);
}

TEST(ScanCli, InputsMayFollowTheRuleOptions) {
  auto [rc, out] = RunCommand(Interdict() + " --in-process scan --no-cache --rules '" +
                              (SignaturesDir() / "android-firmware").string() + "' '" +
                              (SignaturesDir() / "android-firmware/fixtures/positive/build.prop").string() + "' '" +
                              (SignaturesDir() / "android-firmware/fixtures/negative/user_build.prop").string() + "' 2>&1");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("build.prop: 1 layers scanned, 1 rule matches"), std::string::npos) << out;
  EXPECT_NE(out.find("user_build.prop: 1 layers scanned, 0 rule matches, outcome clean"), std::string::npos) << out;
}

TEST(ScanCli, TamperedPackIsRefusedWithExitCodeFour) {
  TempDir dir;
  for (const auto& name : BundledPacks()) {
    std::filesystem::copy(SignaturesDir() / name, dir / name, std::filesystem::copy_options::recursive);
  }
  auto rule = ReadFile(dir / "crypto-constants/rules/blowfish.yar");
  rule[rule.size() / 2] ^= 0x20;
  WriteFile(dir / "crypto-constants/rules/blowfish.yar", rule);
  auto [rc, out] = RunCommand(Interdict() + " scan '" FWSCAN_SAMPLE_IMAGE "'" + PackArgs(dir.path()) +
                              " --trusted-keys '" + (SignaturesDir() / "trusted-keys").string() + "' --no-cache 2>&1");
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("rules/blowfish.yar"), std::string::npos) << out;
  EXPECT_NE(out.find("changed after signing"), std::string::npos) << out;
}

TEST(ScanCli, UnsignedPackIsRefusedWithExitCodeSevenUnlessAllowed) {
  TempDir dir;
  std::filesystem::copy(SignaturesDir() / "android-firmware", dir / "android-firmware", std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir / "android-firmware/pack.json.sig");
  std::string base = Interdict() + " scan '" + (SignaturesDir() / "android-firmware/fixtures/positive/build.prop").string() +
                     "' --rules '" + (dir / "android-firmware").string() + "' --no-cache";
  auto [rc, out] = RunCommand(base + " 2>&1");
  EXPECT_EQ(rc, 7) << out;
  EXPECT_NE(out.find("is not signed"), std::string::npos) << out;
  auto [rc2, out2] = RunCommand(base + " --allow-unsigned 2>&1");
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("Android_Build_Fingerprint"), std::string::npos) << out2;
}

TEST(ScanCli, DecodesAnE01InTheSandboxedWorkerAndVerifiesItsStoredHash) {
  TempDir dir;
  WriteFile(dir / "raw.img", MakeEwfTestDisk());
  AcquireE01(dir / "raw.img", dir / "handset");
  auto [rc, out] = RunCommand(Interdict() + " --json scan '" + (dir / "handset.E01").string() + "' --rules '" +
                              (SignaturesDir() / "android-firmware").string() + "' --cache-dir '" +
                              (dir / "cache").string() + "' 2>&1");
  EXPECT_EQ(rc, 1) << out;
  std::istringstream lines(out);
  std::string line;
  std::set<std::string> hits;
  std::string integrity;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j["kind"] == "yara-match") hits.insert(j["rule"].get<std::string>() + " " + j["location"].get<std::string>());
    if (j["kind"] == "integrity") integrity = j["outcome"];
    EXPECT_NE(j["kind"], "corruption") << line;
  }
  char partition_hit[128];
  std::snprintf(partition_hit, sizeof(partition_hit),
                "Android_Build_Fingerprint handset.E01 > ewf:media@0x%llx[gpt:userdata]@0x%llx",
                static_cast<unsigned long long>(kUserdataOffset),
                static_cast<unsigned long long>(kFingerprintInPartition + 0x19));  // after "# begin build properties\n"
  EXPECT_TRUE(hits.count(partition_hit)) << partition_hit << "\n" << out;
  EXPECT_EQ(integrity, "verified") << out;
}

TEST(ScanCli, E01WhoseMediaWasTamperedExitsWithFindingsEvenWithoutHits) {
  TempDir dir;
  std::vector<uint8_t> disk = MakeEwfTestDisk();
  WriteFile(dir / "raw.img", disk);
  AcquireE01(dir / "raw.img", dir / "plain", "none");
  std::vector<uint8_t> e01 = ReadFile(dir / "plain.E01");
  TamperChunk(e01, disk, kUserdataOffset + kRandomFromInPartition + 4321, /*fix_checksum=*/true);
  WriteFile(dir / "tampered.E01", e01);
  // The crypto-constants pack finds nothing in this disk: only the integrity record speaks.
  auto [rc, out] = RunCommand(Interdict() + " scan '" + (dir / "tampered.E01").string() + "' --rules '" +
                              (SignaturesDir() / "crypto-constants").string() + "' --cache-dir '" +
                              (dir / "cache").string() + "' 2>&1");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("[high] integrity: tampered.E01: evidence integrity: the decoded media does not match"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("outcome mismatch"), std::string::npos) << out;
}

TEST(RulesCli, LintTestAndVerifyPassOnTheBundledPacks) {
  std::string packs;
  for (const auto& name : BundledPacks()) packs += " '" + (SignaturesDir() / name).string() + "'";
  auto [rc_lint, out_lint] = RunCommand(Interdict() + " rules lint" + packs + " 2>&1");
  EXPECT_EQ(rc_lint, 0) << out_lint;
  auto [rc_test, out_test] = RunCommand(Interdict() + " rules test" + packs + " 2>&1");
  EXPECT_EQ(rc_test, 0) << out_test;
  EXPECT_NE(out_test.find("0 failure(s)"), std::string::npos);
  auto [rc_verify, out_verify] = RunCommand(Interdict() + " rules verify" + packs + " 2>&1");
  EXPECT_EQ(rc_verify, 0) << out_verify;
}

TEST(RulesCli, LintFailsWithFileAndLine) {
  TempDir dir;
  WriteFile(dir / "x.yar", Bytes("rule no_meta { strings: $a = \"abcdefgh\" condition: $a }\n"));
  auto [rc, out] = RunCommand(Interdict() + " rules lint '" + (dir / "x.yar").string() + "' 2>&1");
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find((dir / "x.yar").string() + ":1: error: rule no_meta has no \"description\""), std::string::npos) << out;
}

TEST(RulesCli, KeygenSignVerifyRoundTrip) {
  TempDir dir;
  std::filesystem::copy(SignaturesDir() / "crypto-constants", dir / "pack", std::filesystem::copy_options::recursive);
  auto [rc_key, out_key] = RunCommand(Interdict() + " rules keygen --out '" + (dir / "lab.pem").string() + "' 2>&1");
  ASSERT_EQ(rc_key, 0) << out_key;
  auto [rc_sign, out_sign] = RunCommand(Interdict() + " rules sign '" + (dir / "pack").string() + "' --key '" +
                                        (dir / "lab.pem").string() + "' 2>&1");
  ASSERT_EQ(rc_sign, 0) << out_sign;
  std::filesystem::create_directories(dir / "trusted");
  std::filesystem::copy_file(dir / "lab.pem.pub", dir / "trusted/lab.pub");
  auto [rc_ok, out_ok] = RunCommand(Interdict() + " rules verify '" + (dir / "pack").string() + "' --trusted-keys '" +
                                    (dir / "trusted").string() + "' 2>&1");
  EXPECT_EQ(rc_ok, 0) << out_ok;
  // The project key does not trust the lab's signature.
  auto [rc_no, out_no] = RunCommand(Interdict() + " rules verify '" + (dir / "pack").string() + "' 2>&1");
  EXPECT_EQ(rc_no, 4) << out_no;
}

}  // namespace
}  // namespace fwtest
