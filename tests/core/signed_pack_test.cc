// The signed-pack layer both pack kinds use: a signed pack verifies with its key; one changed byte in a file
// or in the manifest, a signature made for another kind of pack, an untrusted signer, a path leaving the
// pack and an unsigned pack (unless allowed) are refused with errors that name the pack and the file.
#include "core/signed_pack.h"

#include <unistd.h>

#include <map>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "core/files.h"
#include "core/hash.h"

namespace interdict {
namespace {

namespace fs = std::filesystem;

constexpr PackKind kKindA{"alpha pack", "interdict test alpha pack v1\n", 1 << 20};
constexpr PackKind kKindB{"beta pack", "interdict test beta pack v1\n", 1 << 20};

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Read(const fs::path& path) {
  auto bytes = ReadFileToString(path, 1 << 20);
  return bytes.ok() ? *bytes : std::string();
}

class SignedPackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / ("interdict_signed_pack_" + std::to_string(getpid()) + "_" +
                                        std::to_string(counter++));
    fs::remove_all(dir_);
    pack_dir_ = dir_ / "demo";
    Write(pack_dir_ / "rules/one.txt", "first file\n");
    Write(pack_dir_ / "two.txt", "second file\n");
    manifest_ = {{"name", "demo"},
                 {"files",
                  {{{"path", "rules/one.txt"}, {"sha256", Sha256Hex(std::string("first file\n"))}},
                   {{"path", "two.txt"}, {"sha256", Sha256Hex(std::string("second file\n"))}}}}};
    auto key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    key_ = *key;
    ASSERT_TRUE(WriteSignedManifest(kKindA, pack_dir_, manifest_, key_).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Reads the pack the way a kind does: the manifest bytes, then its name and file list.
  SignedPack Load() {
    SignedPack pack;
    EXPECT_TRUE(ReadPackManifest(pack_dir_, pack).ok());
    auto doc = nlohmann::json::parse(pack.manifest_bytes);
    pack.name = doc["name"];
    for (const auto& f : doc["files"]) pack.files.push_back({f["path"], f["sha256"]});
    return pack;
  }
  PackTrustPolicy Trusting() const { return {{key_.public_key_hex()}, false}; }

  fs::path dir_, pack_dir_;
  nlohmann::json manifest_;
  SigningKey key_;
};

TEST_F(SignedPackTest, SignedPackVerifiesAndNamesItsSigner) {
  SignedPack pack = Load();
  EXPECT_EQ(pack.digest, Sha256Hex(Read(pack_dir_ / kPackManifestFile)));
  EXPECT_EQ(Read(pack_dir_ / kPackManifestFile), manifest_.dump(2) + "\n");
  Status s = VerifySignedPack(kKindA, pack, Trusting());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(pack.signer_key, key_.public_key_hex());
  auto content = ReadPinnedPackFile(kKindA, pack, "rules/one.txt");
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "first file\n");
}

TEST_F(SignedPackTest, OneChangedByteInAFileIsRefusedNamingPackAndFile) {
  Write(pack_dir_ / "rules/one.txt", "first fild\n");
  SignedPack pack = Load();
  Status s = VerifySignedPack(kKindA, pack, Trusting());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("alpha pack \"demo\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("rules/one.txt"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("changed after signing"), std::string::npos) << s.message();
}

TEST_F(SignedPackTest, VerifyingCanHandEachVerifiedFileToItsUserOnce) {
  SignedPack pack = Load();
  std::map<std::string, std::string> seen;
  Status s = VerifySignedPack(kKindA, pack, Trusting(), [&](const PinnedPackFile& file, std::string bytes) {
    EXPECT_TRUE(seen.emplace(file.path, std::move(bytes)).second) << file.path << " handed over twice";
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, (std::map<std::string, std::string>{{"rules/one.txt", "first file\n"}, {"two.txt", "second file\n"}}));
  // A changed file never reaches the user; an error from the user stops the verification and is returned.
  Write(pack_dir_ / "two.txt", "swapped\n");
  seen.clear();
  s = VerifySignedPack(kKindA, pack, Trusting(), [&](const PinnedPackFile& file, std::string bytes) {
    seen.emplace(file.path, std::move(bytes));
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(seen.count("two.txt"), 0u);
  Write(pack_dir_ / "two.txt", "second file\n");
  int calls = 0;
  s = VerifySignedPack(kKindA, pack, Trusting(), [&](const PinnedPackFile&, std::string) {
    ++calls;
    return Status::Corrupt("cannot use it");
  });
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(calls, 1);
}

TEST_F(SignedPackTest, FileSwappedAfterVerificationIsRefusedOnRead) {
  SignedPack pack = Load();
  ASSERT_TRUE(VerifySignedPack(kKindA, pack, Trusting()).ok());
  Write(pack_dir_ / "two.txt", "swapped\n");
  EXPECT_EQ(ReadPinnedPackFile(kKindA, pack, "two.txt").status().code(), StatusCode::kVerificationFailed);
  Status unlisted = ReadPinnedPackFile(kKindA, pack, "three.txt").status();
  EXPECT_EQ(unlisted.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(unlisted.message().find("not listed"), std::string::npos) << unlisted.message();
}

TEST_F(SignedPackTest, ChangedManifestBreaksTheSignature) {
  std::string text = Read(pack_dir_ / kPackManifestFile);
  text.replace(text.find("demo"), 4, "deme");
  Write(pack_dir_ / kPackManifestFile, text);
  SignedPack pack = Load();
  Status s = VerifySignedPack(kKindA, pack, Trusting());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("signature does not match"), std::string::npos) << s.message();
}

TEST_F(SignedPackTest, SignatureOfAnotherKindNeverVerifies) {
  SignedPack pack = Load();
  Status s = VerifySignedPack(kKindB, pack, Trusting());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("beta pack \"demo\""), std::string::npos) << s.message();
  // The same bytes signed as kind B verify as B and no longer as A.
  ASSERT_TRUE(WriteSignedManifest(kKindB, pack_dir_, manifest_, key_).ok());
  pack = Load();
  EXPECT_TRUE(VerifySignedPack(kKindB, pack, Trusting()).ok());
  EXPECT_EQ(VerifySignedPack(kKindA, pack, Trusting()).code(), StatusCode::kVerificationFailed);
}

TEST_F(SignedPackTest, UntrustedSignerIsRefused) {
  auto other = SigningKey::Generate();
  ASSERT_TRUE(other.ok());
  SignedPack pack = Load();
  Status s = VerifySignedPack(kKindA, pack, {{other->public_key_hex()}, false});
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("not in the trusted keys"), std::string::npos) << s.message();
  EXPECT_TRUE(pack.signer_key.empty());
  // Allowing unsigned packs does not make an untrusted signature acceptable.
  EXPECT_EQ(VerifySignedPack(kKindA, pack, {{}, true}).code(), StatusCode::kVerificationFailed);
}

TEST_F(SignedPackTest, UnsignedPackIsRefusedUnlessAllowedAndFilesAreStillChecked) {
  fs::remove(pack_dir_ / kPackSignatureFile);
  SignedPack pack = Load();
  Status refused = VerifySignedPack(kKindA, pack, Trusting());
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.message().find("alpha pack \"demo\""), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("not signed"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("--allow-unsigned"), std::string::npos) << refused.message();
  EXPECT_TRUE(VerifySignedPack(kKindA, pack, {{}, true}).ok());
  EXPECT_TRUE(pack.signer_key.empty());
  Write(pack_dir_ / "two.txt", "changed\n");
  EXPECT_EQ(VerifySignedPack(kKindA, pack, {{}, true}).code(), StatusCode::kVerificationFailed);
}

TEST_F(SignedPackTest, MalformedSignatureFileIsRefused) {
  Write(pack_dir_ / kPackSignatureFile, "{\"public_key\": 7}");
  SignedPack pack = Load();
  Status s = VerifySignedPack(kKindA, pack, {{}, true});
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("malformed"), std::string::npos) << s.message();
}

TEST_F(SignedPackTest, ListedPathLeavingThePackIsRefused) {
  SignedPack pack = Load();
  pack.files.push_back({"../outside.txt", std::string(64, '0')});
  Status s = VerifySignedPack(kKindA, pack, Trusting());
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed);
  EXPECT_NE(s.message().find("leaves the pack folder"), std::string::npos) << s.message();
  EXPECT_FALSE(IsPackRelativePath("/etc/passwd"));
  EXPECT_FALSE(IsPackRelativePath("a/../b"));
  EXPECT_FALSE(IsPackRelativePath("./a"));
  EXPECT_FALSE(IsPackRelativePath("a\\b"));
  EXPECT_FALSE(IsPackRelativePath(""));
  EXPECT_TRUE(IsPackRelativePath("rules/a.yar"));
}

TEST_F(SignedPackTest, TrustedKeysFolderRefusesAFileThatIsNotAKey) {
  fs::path keys = dir_ / "keys";
  Write(keys / "b.pub", "  " + key_.public_key_hex() + "\n");
  Write(keys / "a.pub", std::string(64, 'a') + "\n");
  Write(keys / "readme.txt", "not a key, not read");
  auto loaded = LoadTrustedKeys(keys);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, (std::vector<std::string>{std::string(64, 'a'), key_.public_key_hex()}));
  Write(keys / "c.pub", std::string(64, 'g'));
  EXPECT_EQ(LoadTrustedKeys(keys).status().code(), StatusCode::kCorrupt);
  auto missing = LoadTrustedKeys(dir_ / "no-such-folder");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST_F(SignedPackTest, PackDigestsNameTheExactPacks) {
  Write(dir_ / "a-pack/pack.json", "{\"name\": \"zeta\"}");
  Write(dir_ / "not-a-pack/readme.txt", "x");
  Write(dir_ / "b-pack/pack.json", "not json");
  auto dirs = ListPackDirs(dir_);
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0].filename(), "a-pack");
  EXPECT_EQ(dirs[1].filename(), "b-pack");
  EXPECT_EQ(dirs[2].filename(), "demo");
  auto zeta = ReadPackDigest(dir_ / "a-pack");
  ASSERT_TRUE(zeta.ok());
  EXPECT_EQ(zeta->name, "zeta");
  EXPECT_EQ(zeta->sha256, Sha256Hex(std::string("{\"name\": \"zeta\"}")));
  auto unnamed = ReadPackDigest(dir_ / "b-pack");
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->name, "b-pack");
  EXPECT_EQ(ReadPackDigest(dir_ / "not-a-pack").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(CombinedPackDigest(nlohmann::json::object()), "");
  nlohmann::json one = {{"zeta", zeta->sha256}, {"demo", std::string(64, 'c')}};
  nlohmann::json same = {{"demo", std::string(64, 'c')}, {"zeta", zeta->sha256}};
  nlohmann::json changed = {{"demo", std::string(64, 'd')}, {"zeta", zeta->sha256}};
  EXPECT_EQ(CombinedPackDigest(one).size(), 64u);
  EXPECT_EQ(CombinedPackDigest(one), CombinedPackDigest(same));
  EXPECT_NE(CombinedPackDigest(one), CombinedPackDigest(changed));
  EXPECT_NE(CombinedPackDigest(one), CombinedPackDigest({{"zeta", zeta->sha256}}));
}

}  // namespace
}  // namespace interdict
