#include "case/audit_chain.h"

#include <gtest/gtest.h>

#include "core/signing.h"

namespace interdict {
namespace {

// Known answer computed independently with Python:
//   json.dumps(entry, sort_keys=True, separators=(',',':'), ensure_ascii=False)
//   hashlib.sha256(('0'*64 + '\n' + canonical).encode()).hexdigest()
TEST(AuditChain, CanonicalEntryAndHashMatchTheDocumentedRecipe) {
  nlohmann::json details = {{"z", {1, "\xc3\xa9"}}, {"case_number", "2026-001"}, {"a", nullptr}};
  std::string canonical = CanonicalAuditEntry(1, "2026-11-29T21:00:00.000Z", "examiner@lab", "case.created", details);
  EXPECT_EQ(canonical,
            "{\"action\":\"case.created\",\"actor\":\"examiner@lab\",\"details\":{\"a\":null,\"case_number\":"
            "\"2026-001\",\"z\":[1,\"\xc3\xa9\"]},\"seq\":1,\"time_utc\":\"2026-11-29T21:00:00.000Z\"}");
  EXPECT_EQ(AuditEntryHash(kGenesisHash, canonical),
            "b1fe940b6a898f8c16eb8ba067d831b8c27c53ecbd22b0418f4a88e897af28a7");
}

TEST(AuditChain, InvalidUtf8IsReplacedSoHashingNeverThrows) {
  nlohmann::json details = {{"name", std::string("bad\xff\xfe")}};
  EXPECT_EQ(CanonicalJson(details), "{\"name\":\"bad\xef\xbf\xbd\xef\xbf\xbd\"}");
}

std::vector<StoredAuditRow> MakeChain(int count) {
  std::vector<StoredAuditRow> rows;
  std::string prev = kGenesisHash;
  for (int seq = 1; seq <= count; ++seq) {
    StoredAuditRow row{seq,
                       "2026-11-29T21:00:0" + std::to_string(seq % 10) + ".000Z",
                       "tester",
                       "test.step",
                       "{\"n\":" + std::to_string(seq) + "}",
                       prev,
                       ""};
    row.entry_hash = AuditEntryHash(
        prev, CanonicalAuditEntry(seq, row.time_utc, row.actor, row.action, nlohmann::json::parse(row.details_json)));
    prev = row.entry_hash;
    rows.push_back(row);
  }
  return rows;
}

TEST(AuditChain, IntactChainHasNoProblemsAndReportsEveryHash) {
  std::map<int64_t, std::string> hashes;
  auto rows = MakeChain(5);
  EXPECT_TRUE(VerifyAuditRows(rows, &hashes).empty());
  ASSERT_EQ(hashes.size(), 5u);
  EXPECT_EQ(hashes[5], rows[4].entry_hash);
}

TEST(AuditChain, EditedDetailsAreNamedBySeq) {
  auto rows = MakeChain(5);
  rows[2].details_json = "{\"n\":99}";
  auto problems = VerifyAuditRows(rows);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].where, "audit seq 3");
  EXPECT_NE(problems[0].what.find("entry_hash does not match"), std::string::npos);
}

TEST(AuditChain, MissingRecordAndBrokenLinkAreNamed) {
  auto rows = MakeChain(5);
  rows.erase(rows.begin() + 1);  // seq 2 gone
  auto problems = VerifyAuditRows(rows);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].where, "audit seq 3");
  EXPECT_NE(problems[0].what.find("records 2..2 are missing"), std::string::npos);
  EXPECT_NE(problems[1].what.find("prev_hash"), std::string::npos);
}

TEST(AuditChain, UnparsableDetailsAreReportedNotThrown) {
  auto rows = MakeChain(2);
  rows[0].details_json = "{not json";
  auto problems = VerifyAuditRows(rows);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].where, "audit seq 1");
  EXPECT_EQ(problems[0].what, "details are not valid JSON");
}

TEST(AuditChain, SealMustVerifyAndMatchTheChainAtItsSeq) {
  auto rows = MakeChain(4);
  std::map<int64_t, std::string> hashes;
  ASSERT_TRUE(VerifyAuditRows(rows, &hashes).empty());
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  const std::string uuid = "c0ffee00-0000-4000-8000-000000000001";
  StoredSealRow seal{1, 3, rows[2].entry_hash, key->public_key_hex(), "", "2026-11-29T22:00:00.000Z"};
  seal.signature = *key->Sign(SealMessage(uuid, seal.seq, seal.head_hash, seal.time_utc));
  EXPECT_TRUE(VerifySealRows({seal}, hashes, uuid, std::nullopt).empty());
  EXPECT_TRUE(VerifySealRows({seal}, hashes, uuid, key->public_key_hex()).empty());

  // The same seal presented for another case does not verify (the case UUID is signed).
  auto other_case = VerifySealRows({seal}, hashes, "c0ffee00-0000-4000-8000-000000000002", std::nullopt);
  ASSERT_EQ(other_case.size(), 1u);
  EXPECT_NE(other_case[0].what.find("signature does not verify"), std::string::npos);

  // Moving a valid seal to another seq breaks both the signature and the chain match.
  StoredSealRow moved = seal;
  moved.seq = 4;
  EXPECT_EQ(VerifySealRows({moved}, hashes, uuid, std::nullopt).size(), 2u);

  // A correct signature by some other key is refused when the lab key is required.
  auto stranger = SigningKey::Generate();
  ASSERT_TRUE(stranger.ok());
  StoredSealRow foreign = seal;
  foreign.public_key = stranger->public_key_hex();
  foreign.signature = *stranger->Sign(SealMessage(uuid, foreign.seq, foreign.head_hash, foreign.time_utc));
  EXPECT_TRUE(VerifySealRows({foreign}, hashes, uuid, std::nullopt).empty());
  auto refused = VerifySealRows({foreign}, hashes, uuid, key->public_key_hex());
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].what.find("not the trusted lab key"), std::string::npos);
}

TEST(AuditChain, Sha256HexAcceptsOnlyLowercaseDigests) {
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex("../../etc/passwd"));
}

}  // namespace
}  // namespace interdict
