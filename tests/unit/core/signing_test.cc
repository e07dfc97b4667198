#include "core/signing.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace interdict {
namespace {

TEST(Signing, SignatureVerifiesAndAnyChangedByteFails) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signature = key->Sign("pack contents");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 128u);
  EXPECT_TRUE(VerifySignature(key->public_key_hex(), "pack contents", *signature).ok());
  EXPECT_EQ(VerifySignature(key->public_key_hex(), "pack contentz", *signature).code(),
            StatusCode::kVerificationFailed);
  std::string flipped = *signature;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  EXPECT_EQ(VerifySignature(key->public_key_hex(), "pack contents", flipped).code(),
            StatusCode::kVerificationFailed);
}

TEST(Signing, SavedKeyLoadsWithSamePublicKeyAndPrivateFileIsOwnerOnly) {
  auto dir = std::filesystem::temp_directory_path() / "interdict_signing_test";
  std::filesystem::create_directories(dir);
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(key->Save(dir / "lab.key").ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "lab.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = SigningKey::Load(dir / "lab.key");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->public_key_hex(), key->public_key_hex());
  std::filesystem::remove_all(dir);
}

TEST(Signing, MalformedKeysAndSignaturesAreRefusedNotCrashed) {
  EXPECT_EQ(VerifySignature("zz", "m", std::string(128, '0')).code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(VerifySignature(std::string(64, '0'), "m", "00").code(), StatusCode::kVerificationFailed);
  EXPECT_FALSE(SigningKey::Load("/nonexistent/key.pem").ok());
}

}  // namespace
}  // namespace interdict
