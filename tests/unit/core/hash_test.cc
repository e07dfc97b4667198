#include "core/hash.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace interdict {
namespace {

// Known answers from FIPS 180 / RFC 1321 test vectors.
TEST(Hash, MultiHasherMatchesPublishedVectorsForAbc) {
  MultiHasher hasher;
  hasher.Update("abc", 3);
  EXPECT_EQ(hasher.bytes_hashed(), 3u);
  Digests d = hasher.Finish();
  EXPECT_EQ(d.md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(d.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hash, SplitUpdatesEqualOneUpdateAndHasherResetsAfterFinish) {
  MultiHasher hasher;
  hasher.Update("a", 1);
  hasher.Update("bc", 2);
  std::string first = hasher.Finish().sha256;
  hasher.Update("abc", 3);
  EXPECT_EQ(hasher.Finish().sha256, first);
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Under LeakSanitizer (make test-asan) this also proves the replaced hasher's OpenSSL contexts are freed.
TEST(Hash, MoveAssignmentTakesOverTheStateAndReleasesTheReplacedHasher) {
  MultiHasher target({HashAlgorithm::kSha256});
  target.Update("discarded", 9);
  MultiHasher source;
  source.Update("abc", 3);
  target = std::move(source);
  EXPECT_EQ(target.bytes_hashed(), 3u);
  Digests d = target.Finish();
  EXPECT_EQ(d.md5, "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  MultiHasher moved_into(std::move(target));
  moved_into.Update("abc", 3);
  EXPECT_EQ(moved_into.Finish().sha256, d.sha256);
}

TEST(Hash, HashFileStreamsLargeFilesAndReportsMissingOnes) {
  auto path = std::filesystem::temp_directory_path() / "interdict_hash_test.bin";
  {
    std::ofstream out(path, std::ios::binary);
    std::string block(3 << 20, 'x');  // spans several 1 MiB read blocks
    out << block;
  }
  auto digest = Sha256File(path);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, Sha256Hex(std::string(3 << 20, 'x')));
  std::filesystem::remove(path);
  EXPECT_EQ(Sha256File(path).status().code(), StatusCode::kNotFound);
}

TEST(Hash, ParsesAlgorithmListsAndRejectsUnknownNames) {
  auto list = ParseHashAlgorithmList("md5,SHA-1,sha256,md5");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ(ParseHashAlgorithmList("md5,crc32").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseHashAlgorithmList("").status().code(), StatusCode::kInvalidArgument);
}

TEST(Hash, HexRoundTripsAndRejectsGarbage) {
  auto bytes = FromHex("00ff10");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(ToHex(bytes->data(), bytes->size()), "00ff10");
  EXPECT_FALSE(FromHex("0g").ok());
  EXPECT_FALSE(FromHex("abc").ok());
}

}  // namespace
}  // namespace interdict
