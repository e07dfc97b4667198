// Decompression bombs end as limit-exceeded records within bounded bytes: a nested zip bomb hits the depth
// limit, a high-ratio member hits the ratio limit, and an overlapping-entry zip bomb (every central
// directory entry pointing at the same compressed data) hits the ratio limit or, with the ratio limit
// lifted, the extracted-bytes budget. Nothing is written to disk.
#include <zlib.h>

#include <cstring>

#include "fwscan_test_support.h"

namespace fwtest {
namespace {


// Raw DEFLATE of `size` zero bytes (the shared "kernel").
std::vector<uint8_t> DeflateZeros(size_t size) {
  std::vector<uint8_t> zeros(size, 0);
  std::vector<uint8_t> out(compressBound(static_cast<uLong>(size)) + 64);
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
  z.next_in = zeros.data();
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// An overlapping-entry zip bomb (D. Fifield, "A better zip bomb", 2019): the compressed data of entry i
// quotes the local headers of entries i+1.. in stored DEFLATE blocks and then runs into the one shared
// kernel, so every entry decompresses to (almost) the whole kernel while the file stays small. Unlike a
// bomb whose central directory repeats one offset (which libarchive collapses), every entry here has its
// own local header, name and CRC.
std::vector<uint8_t> OverlappingZipBomb(int entries, size_t kernel_bytes) {
  const std::vector<uint8_t> kernel = DeflateZeros(kernel_bytes);
  const uint32_t kernel_crc = static_cast<uint32_t>(crc32(crc32(0, nullptr, 0), std::vector<uint8_t>(kernel_bytes, 0).data(),
                                                          static_cast<uInt>(kernel_bytes)));
  struct Entry {
    std::string name;
    std::vector<uint8_t> header;  // local file header
    uint32_t crc = 0;
    uint64_t compressed = 0, uncompressed = 0;
    uint64_t offset = 0;
  };
  std::vector<Entry> e(entries);
  // From the last entry backwards: each one's content is the following headers plus the kernel.
  std::vector<uint8_t> quoted_tail;  // decompressed bytes preceding the kernel for entry i: headers i+1..
  uint64_t compressed_tail = kernel.size();
  for (int i = entries - 1; i >= 0; --i) {
    Entry& en = e[i];
    en.name = "m" + std::to_string(i);
    en.uncompressed = quoted_tail.size() + kernel_bytes;
    en.compressed = compressed_tail;
    en.crc = static_cast<uint32_t>(crc32_combine(crc32(0, quoted_tail.data(), static_cast<uInt>(quoted_tail.size())),
                                                 kernel_crc, static_cast<z_off_t>(kernel_bytes)));
    en.header.assign(30, 0);
    Put32(en.header, 0, 0x04034b50);
    Put16(en.header, 4, 20);
    Put16(en.header, 8, 8);  // deflate
    Put32(en.header, 14, en.crc);
    Put32(en.header, 18, static_cast<uint32_t>(en.compressed));
    Put32(en.header, 22, static_cast<uint32_t>(en.uncompressed));
    Put16(en.header, 26, static_cast<uint16_t>(en.name.size()));
    en.header.insert(en.header.end(), en.name.begin(), en.name.end());
    // Entry i-1 quotes this header in a stored block: 5 bytes of block header plus the header itself.
    quoted_tail.insert(quoted_tail.begin(), en.header.begin(), en.header.end());
    compressed_tail += 5 + en.header.size();
  }
  std::vector<uint8_t> out;
  for (int i = 0; i < entries; ++i) {
    e[i].offset = out.size();
    out.insert(out.end(), e[i].header.begin(), e[i].header.end());
    if (i + 1 < entries) {
      uint16_t len = static_cast<uint16_t>(e[i + 1].header.size());
      out.push_back(0x00);  // stored block, not final
      out.push_back(static_cast<uint8_t>(len));
      out.push_back(static_cast<uint8_t>(len >> 8));
      out.push_back(static_cast<uint8_t>(~len));
      out.push_back(static_cast<uint8_t>(~len >> 8));
    }
  }
  out.insert(out.end(), kernel.begin(), kernel.end());
  uint64_t cd_offset = out.size();
  for (const Entry& en : e) {
    std::vector<uint8_t> c(46, 0);
    Put32(c, 0, 0x02014b50);
    Put16(c, 4, 20);
    Put16(c, 6, 20);
    Put16(c, 10, 8);
    Put32(c, 16, en.crc);
    Put32(c, 20, static_cast<uint32_t>(en.compressed));
    Put32(c, 24, static_cast<uint32_t>(en.uncompressed));
    Put16(c, 28, static_cast<uint16_t>(en.name.size()));
    Put32(c, 42, static_cast<uint32_t>(en.offset));
    c.insert(c.end(), en.name.begin(), en.name.end());
    out.insert(out.end(), c.begin(), c.end());
  }
  std::vector<uint8_t> end(22, 0);
  Put32(end, 0, 0x06054b50);
  Put16(end, 8, static_cast<uint16_t>(entries));
  Put16(end, 10, static_cast<uint16_t>(entries));
  Put32(end, 12, static_cast<uint32_t>(out.size() - cd_offset));
  Put32(end, 16, static_cast<uint32_t>(cd_offset));
  out.insert(out.end(), end.begin(), end.end());
  return out;
}

std::shared_ptr<const RuleSet> NeverMatching() {
  return CompileOrDie("rule never { strings: $a = \"this string is not in any bomb\" condition: $a }");
}

TEST(Bombs, NestedZipBombStopsAtTheDepthLimit) {
  std::vector<uint8_t> layer = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, {{"core.bin", std::vector<uint8_t>(1 << 20, 0)}});
  for (int level = 0; level < 12; ++level) {
    layer = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
                        {{"level" + std::to_string(level) + ".zip", layer}, {"pad.txt", Bytes("p")}});
  }
  WalkResult r = Walk("nested.zip", MakeMemorySource(layer), NeverMatching());
  auto limits = r.OfKind("limit-exceeded");
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0]["limit"], "depth");
  EXPECT_EQ(limits[0]["layers"].size(), static_cast<size_t>(kDefaultMaxDepth + 1));
  EXPECT_EQ(r.summary.outcome, "limit-exceeded");
  EXPECT_LE(r.summary.extracted_bytes, 64ull << 20);
}

TEST(Bombs, HighRatioMemberIsNotExtracted) {
  auto zip = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE,
                         {{"zeros.bin", std::vector<uint8_t>(64 << 20, 0)}, {"note.txt", Bytes("still here")}});
  ASSERT_LT(zip.size(), 1u << 20);
  WalkResult r = Walk("ratio.zip", MakeMemorySource(zip), NeverMatching());
  auto limits = r.OfKind("limit-exceeded");
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_NE(limits[0]["summary"].get<std::string>().find("zip:zeros.bin expands more than 250x"), std::string::npos)
      << limits[0].dump();
  // The next member is still examined: the input, note.txt.
  EXPECT_EQ(r.summary.layers, 2u);
}

TEST(Bombs, OverlappingEntryZipBombEndsAsLimitExceededWithinTheBudget) {
  auto bomb = OverlappingZipBomb(200, 32 << 20);
  ASSERT_LT(bomb.size(), 200u * 1024);  // 200 x 32 MiB described in under 200 KiB
  WalkResult r = Walk("overlap.zip", MakeMemorySource(bomb), NeverMatching());
  auto limits = r.OfKind("limit-exceeded");
  ASSERT_GE(limits.size(), 1u);
  // Members are refused one by one by the ratio limit until the extracted-bytes budget stops the rest.
  EXPECT_NE(limits.front()["summary"].get<std::string>().find("expands more than 250x"), std::string::npos)
      << limits.front().dump();
  for (const auto& l : limits) {
    EXPECT_TRUE(l["limit"] == "member" || l["limit"] == "extracted-bytes") << l.dump();
  }
  EXPECT_EQ(r.summary.layers, 1u);  // no member was extracted: only the zip itself was scanned
  EXPECT_LE(r.summary.extracted_bytes, kMinExtractedBytesBudget);
  EXPECT_EQ(r.summary.outcome, "limit-exceeded");
}

TEST(Bombs, OverlappingEntryZipBombWithoutRatioLimitSpendsTheBudgetAndStops) {
  auto bomb = OverlappingZipBomb(200, 32 << 20);
  WalkOptions options;
  options.limits.max_entry_ratio = UINT64_MAX;
  WalkResult r = Walk("overlap.zip", MakeMemorySource(bomb), NeverMatching(), options);
  auto limits = r.OfKind("limit-exceeded");
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0]["limit"], "extracted-bytes");
  // Budget: 20x the input, at least kMinExtractedBytesBudget; two 32 MiB members fit, the third does not.
  EXPECT_LE(r.summary.extracted_bytes, kMinExtractedBytesBudget);
  EXPECT_EQ(r.summary.layers, 3u);
  EXPECT_EQ(r.summary.outcome, "limit-exceeded");
}

TEST(Bombs, MemberCountLimitIsReported) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> members;
  for (int i = 0; i < 30; ++i) members.push_back({"m" + std::to_string(i), Bytes("x")});
  auto zip = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, members);
  WalkOptions options;
  options.limits.max_files_per_container = 10;
  WalkResult r = Walk("many.zip", MakeMemorySource(zip), NeverMatching(), options);
  auto limits = r.OfKind("limit-exceeded");
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0]["limit"], "files-per-container");
  EXPECT_EQ(r.summary.layers, 11u);
}

}  // namespace
}  // namespace fwtest
