// Scanning in overlapping blocks: offsets stay absolute, edge-straddling strings are found once,
// conditions see the whole layer, outcomes (timeout, too-many-matches) stay distinct
// (the 2^32 + k sparse-file case is in large_file_test.cc).
#include "core/hash.h"
#include "fwscan_test_support.h"

namespace fwtest {
namespace {

constexpr uint64_t kSmallBlock = 2 * kScanBlockOverlapBytes;  // the smallest block the feeder allows

Result<LayerScanResult> ScanBytes(const std::string& rules, const std::vector<uint8_t>& data, ScanOptions options = {}) {
  auto compiled = CompileOrDie(rules);
  auto scanner = LayerScanner::Create(compiled, options);
  if (!scanner.ok()) return scanner.status();
  // A callback source is not resident, so the scan goes through the block reader.
  SourcePtr memory = MakeMemorySource(data);
  SourcePtr source = MakeCallbackSource(data.size(), [memory](uint64_t o, void* b, size_t n) { return memory->ReadAt(o, b, n); });
  return (*scanner)->Scan(*source);
}

TEST(LayerScanner, StringStraddlingABlockEdgeIsFoundOnceAtItsAbsoluteOffset) {
  std::vector<uint8_t> data(3 * kSmallBlock, 'a');
  const uint64_t at = kSmallBlock - 5;  // crosses the end of block 0
  std::memcpy(&data[at], "needle-in-the-seam", 18);
  ScanOptions options;
  options.block_bytes = kSmallBlock;
  auto r = ScanBytes("rule seam { strings: $n = \"needle-in-the-seam\" condition: #n == 1 }", data, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->outcome, ScanOutcome::kMatched);
  ASSERT_EQ(r->matches.size(), 1u);
  ASSERT_EQ(r->matches[0].strings.size(), 1u);
  EXPECT_EQ(r->matches[0].strings[0].offset, at);
  EXPECT_EQ(r->matches[0].strings[0].ascii, "needle-in-the-seam");
}

TEST(LayerScanner, MatchesInsideBlockOverlapsAreCountedOnce) {
  std::vector<uint8_t> data(10 * kSmallBlock, 'b');
  std::vector<uint64_t> offsets;
  for (uint64_t o = 1000; o + 8 < data.size(); o += 300 * 1024) {
    std::memcpy(&data[o], "MARK1234", 8);
    offsets.push_back(o);
  }
  ScanOptions options;
  options.block_bytes = kSmallBlock;
  std::string rule = "rule marks { strings: $m = \"MARK1234\" condition: #m == " + std::to_string(offsets.size()) + " }";
  auto r = ScanBytes(rule, data, options);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->outcome, ScanOutcome::kMatched) << "count differs from " << offsets.size();
  EXPECT_EQ(r->matches[0].strings_total, offsets.size());
  ASSERT_EQ(r->matches[0].strings.size(), static_cast<size_t>(kMaxMatchesListedPerString));
  for (int i = 0; i < kMaxMatchesListedPerString; ++i) EXPECT_EQ(r->matches[0].strings[i].offset, offsets[i]);
}

TEST(LayerScanner, ConditionsSeeTheWholeLayerAcrossBlocks) {
  std::vector<uint8_t> data(5 * kSmallBlock + 123, 'c');
  std::memcpy(data.data(), "\x7f" "ELF", 4);
  std::memcpy(&data[data.size() - 10], "TAILMARK", 8);
  ScanOptions options;
  options.block_bytes = kSmallBlock;
  std::string rule = "rule whole { strings: $t = \"TAILMARK\" condition: uint32(0) == 0x464c457f and filesize == " +
                     std::to_string(data.size()) + " and $t at " + std::to_string(data.size() - 10) + " }";
  auto r = ScanBytes(rule, data, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, ScanOutcome::kMatched);
  EXPECT_EQ(r->sha256, Sha256Hex(data.data(), data.size()));
}

TEST(LayerScanner, CleanLayerIsCleanAndHashed) {
  std::vector<uint8_t> data(4096, 'd');
  auto r = ScanBytes("rule absent { strings: $a = \"not-there\" condition: $a }", data);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, ScanOutcome::kClean);
  EXPECT_TRUE(r->matches.empty());
  EXPECT_EQ(r->sha256, Sha256Hex(data.data(), data.size()));
}

TEST(LayerScanner, EndlessConditionEndsAsTimeoutNotClean) {
  std::vector<uint8_t> data(1 << 20, 0);
  ScanOptions options;
  options.timeout_seconds = 1;
  auto r = ScanBytes(
      "rule endless { condition: for any i in (0..filesize-1) : (for any j in (0..filesize-1) : (uint8(i) == uint8(j) + 1)) }",
      data, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, ScanOutcome::kTimeout);
  EXPECT_TRUE(r->matches.empty());
  EXPECT_NE(r->message.find("exceeded 1 s"), std::string::npos) << r->message;
  EXPECT_EQ(r->sha256, Sha256Hex(data.data(), data.size()));  // hashed even though the scan stopped
}

TEST(LayerScanner, StringWithTooManyMatchesIsItsOwnOutcome) {
  std::vector<uint8_t> data(3 << 20, 0);
  auto r = ScanBytes("rule zeros { strings: $z = { 00 00 00 00 } condition: $z }", data);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, ScanOutcome::kTooManyMatches);
  EXPECT_NE(r->message.find("$z"), std::string::npos);
}

}  // namespace
}  // namespace fwtest
