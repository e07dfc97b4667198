// Signed rule packs: the bundled packs verify with the committed project key; one changed byte in a rule
// file or the manifest, an unsigned pack, an untrusted signer and a path leaving the pack are refused with
// messages that say which; compiled rules are cached and a damaged cache entry is recompiled.
#include "core/signing.h"
#include "fwscan_test_support.h"
#include "rule_pack.h"
#include "scan_session.h"

namespace fwtest {
namespace {

TrustPolicy ProjectPolicy() {
  TrustPolicy policy;
  auto keys = LoadTrustedKeys(SignaturesDir() / "trusted-keys");
  EXPECT_TRUE(keys.ok());
  if (keys.ok()) policy.trusted_public_keys = *keys;
  return policy;
}

std::filesystem::path CopyPack(const TempDir& dir, const std::string& name) {
  std::filesystem::path to = dir / name;
  std::filesystem::copy(SignaturesDir() / name, to, std::filesystem::copy_options::recursive);
  return to;
}

void FlipOneByte(const std::filesystem::path& file, size_t at) {
  auto bytes = ReadFile(file);
  ASSERT_LT(at, bytes.size());
  bytes[at] ^= 0x01;
  WriteFile(file, bytes);
}

TEST(RulePack, BundledPacksVerifyWithTheProjectKey) {
  ASSERT_EQ(ProjectPolicy().trusted_public_keys.size(), 1u);
  for (const std::string& name : BundledPacks()) {
    auto pack = LoadPack(SignaturesDir() / name);
    ASSERT_TRUE(pack.ok()) << pack.status().ToString();
    Status s = VerifyPack(*pack, ProjectPolicy());
    EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
    EXPECT_TRUE(pack->verified);
    EXPECT_EQ(pack->signer_key, ProjectPolicy().trusted_public_keys[0]);
    EXPECT_EQ(pack->digest.size(), 64u);
  }
}

TEST(RulePack, OneChangedByteInARuleFileIsRefusedNamingTheFile) {
  TempDir dir;
  auto path = CopyPack(dir, "crypto-constants");
  FlipOneByte(path / "rules/aes.yar", 100);
  auto pack = LoadPack(path);
  ASSERT_TRUE(pack.ok());
  Status s = VerifyPack(*pack, ProjectPolicy());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("rules/aes.yar"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("changed after signing"), std::string::npos) << s.message();
  EXPECT_FALSE(pack->verified);
}

TEST(RulePack, OneChangedByteInTheManifestBreaksTheSignature) {
  TempDir dir;
  auto path = CopyPack(dir, "android-firmware");
  auto manifest = ReadFile(path / "pack.json");
  std::string text(manifest.begin(), manifest.end());
  size_t at = text.find("1.0.0");
  ASSERT_NE(at, std::string::npos);
  text[at] = '2';  // claims version 2.0.0
  WriteFile(path / "pack.json", Bytes(text));
  auto pack = LoadPack(path);
  ASSERT_TRUE(pack.ok());
  Status s = VerifyPack(*pack, ProjectPolicy());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("signature does not match"), std::string::npos) << s.message();
}

TEST(RulePack, UnsignedPackIsRefusedUnlessAllowed) {
  TempDir dir;
  auto path = CopyPack(dir, "example-comms-indicators");
  std::filesystem::remove(path / kPackSignatureName);
  auto pack = LoadPack(path);
  ASSERT_TRUE(pack.ok());
  Status s = VerifyPack(*pack, ProjectPolicy());
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not signed"), std::string::npos);
  EXPECT_NE(s.message().find("--allow-unsigned"), std::string::npos);
  TrustPolicy lenient = ProjectPolicy();
  lenient.allow_unsigned = true;
  EXPECT_TRUE(VerifyPack(*pack, lenient).ok());
  EXPECT_TRUE(pack->signer_key.empty());
}

TEST(RulePack, PackSignedByAnUntrustedKeyIsRefused) {
  TempDir dir;
  auto path = CopyPack(dir, "crypto-constants");
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(SignPack(path, *key).ok());
  auto pack = LoadPack(path);
  ASSERT_TRUE(pack.ok());
  Status s = VerifyPack(*pack, ProjectPolicy());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("not in the trusted keys"), std::string::npos);
  TrustPolicy with_key;
  with_key.trusted_public_keys = {key->public_key_hex()};
  EXPECT_TRUE(VerifyPack(*pack, with_key).ok());
}

TEST(RulePack, ManifestPathLeavingThePackIsCorrupt) {
  TempDir dir;
  WriteFile(dir / "evil/pack.json",
            Bytes(R"({"name":"evil","version":"1","description":"d","authors":["a"],"min_engine":"4.2.0",)"
                  R"("files":[{"path":"../../etc/passwd","sha256":"00"}]})"));
  auto pack = LoadPack(dir / "evil");
  EXPECT_EQ(pack.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(pack.status().message().find("leaves the pack folder"), std::string::npos);
}

TEST(RuleSetCache, SecondBuildLoadsFromTheCacheAndADamagedEntryIsRecompiled) {
  TempDir dir;
  auto pack = LoadPack(SignaturesDir() / "crypto-constants");
  ASSERT_TRUE(pack.ok());
  ASSERT_TRUE(VerifyPack(*pack, ProjectPolicy()).ok());
  RuleSetOptions options;
  options.cache_dir = dir / "cache";
  auto first = BuildRuleSet({*pack}, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE((*first)->loaded_from_cache());
  auto second = BuildRuleSet({*pack}, options);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE((*second)->loaded_from_cache());
  EXPECT_EQ((*first)->cache_key(), (*second)->cache_key());
  FlipOneByte(dir / "cache" / ((*first)->cache_key() + ".yarc"), 200);
  auto third = BuildRuleSet({*pack}, options);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE((*third)->loaded_from_cache());
  // The recompiled set still matches.
  auto scanner = LayerScanner::Create(*third, ScanOptions{});
  ASSERT_TRUE(scanner.ok());
  auto r = (*scanner)->Scan(*MakeMemorySource(Bytes("xx expand 32-byte k xx")));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->matches.size(), 1u);
  EXPECT_EQ(r->matches[0].rule, "Crypto_ChaCha_Salsa_Sigma");
  EXPECT_EQ(r->matches[0].ns, "crypto-constants/stream_ciphers.yar");
  EXPECT_EQ(r->matches[0].pack, "crypto-constants");
}

TEST(RuleSet, UnverifiedPackOrTooOldEngineIsRefused) {
  auto pack = LoadPack(SignaturesDir() / "crypto-constants");
  ASSERT_TRUE(pack.ok());
  EXPECT_EQ(BuildRuleSet({*pack}, {}).status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(VerifyPack(*pack, ProjectPolicy()).ok());
  pack->min_engine = "9.0.0";
  EXPECT_EQ(BuildRuleSet({*pack}, {}).status().code(), StatusCode::kUnsupported);
}

TEST(ScanConfig, RoundTripsThroughJson) {
  ScanConfig c;
  c.packs = {"/a", "/b"};
  c.allow_unsigned = true;
  c.cache_dir = "/cache";
  c.limits.max_depth = 3;
  c.limits.max_entry_ratio = 77;
  c.scan.timeout_seconds = 9;
  auto back = ScanConfigFromJson(ScanConfigToJson(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->packs, c.packs);
  EXPECT_TRUE(back->allow_unsigned);
  EXPECT_EQ(*back->cache_dir, "/cache");
  EXPECT_EQ(back->limits.max_depth, 3);
  EXPECT_EQ(back->limits.max_entry_ratio, 77u);
  EXPECT_EQ(back->scan.timeout_seconds, 9);
  EXPECT_EQ(ScanConfigFromJson(nlohmann::json{{"packs", nlohmann::json::array()}}).status().code(),
            StatusCode::kInvalidArgument);
  // The queue starts plugins with an empty configuration: every bundled pack, with the rule cache.
  auto defaults = ScanConfigFromJson(nlohmann::json::object());
  ASSERT_TRUE(defaults.ok());
  ASSERT_EQ(defaults->packs.size(), BundledPacks().size());
  for (size_t i = 0; i < defaults->packs.size(); ++i) EXPECT_EQ(defaults->packs[i].filename(), BundledPacks()[i]);
  EXPECT_TRUE(defaults->cache_dir.has_value());
}

}  // namespace
}  // namespace fwtest
