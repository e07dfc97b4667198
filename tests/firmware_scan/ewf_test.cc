// E01 images: the media decoded through libewf is unpacked and scanned like the raw image it came from;
// segment sets, lone segments, truncation, tampered media and the extracted-bytes budget.
#include <set>

#include "core/hash.h"
#include "ewf_media.h"
#include "ewf_test_support.h"
#include "fuzz/libewf_lsan.h"

namespace fwtest {
namespace {

const char kRules[] = R"(
rule Ewf_Test_Indicator { strings: $a = "INTERDICT-EWF-TEST-INDICATOR-7f3a" condition: $a }
)";

struct Fixture {
  TempDir dir;
  std::vector<uint8_t> disk = MakeEwfTestDisk();
  std::filesystem::path raw = dir / "raw.img";
  std::shared_ptr<const RuleSet> rules = CompileOrDie(kRules);
  Fixture() { WriteFile(raw, disk); }
};

// Walks a file as ScanFiles does (with its path, so segment files beside it are found), or, with
// `with_path` false, as the sandboxed worker does (one input, no path).
WalkResult WalkFile(const std::filesystem::path& path, std::shared_ptr<const RuleSet> rules, bool with_path = true,
                    UnpackLimits limits = {}) {
  Result<SourcePtr> source = OpenFileSource(path);
  EXPECT_TRUE(source.ok()) << source.status().ToString();
  WalkOptions options;
  options.limits = limits;
  if (with_path) options.input_path = path;
  return Walk(path.filename().string(), *source, std::move(rules), options);
}

// "rule location" of every hit, with the input's own prefix cut off.
std::set<std::string> HitsBelow(const WalkResult& walk, const std::string& prefix) {
  std::set<std::string> hits;
  for (const auto& m : walk.OfKind("yara-match")) {
    std::string location = m["location"];
    EXPECT_EQ(location.rfind(prefix, 0), 0u) << location << " is not below " << prefix;
    hits.insert(m["rule"].get<std::string>() + " " + location.substr(prefix.size()));
  }
  return hits;
}

// A medium of `bytes` zeros (a sparse file) acquired into dir/base.E01.
void AcquireZeros(const TempDir& dir, uint64_t bytes, const std::string& base) {
  std::filesystem::path zeros = dir / "zeros.img";
  { std::ofstream(zeros, std::ios::binary).close(); }
  std::filesystem::resize_file(zeros, bytes);
  AcquireE01(zeros, dir / base);
}

std::string Md5Of(const std::vector<uint8_t>& bytes) {
  MultiHasher hasher({HashAlgorithm::kMd5});
  hasher.Update(bytes.data(), bytes.size());
  return hasher.Finish().md5;
}

std::string Summaries(const WalkResult& walk) {
  std::string all;
  for (const auto& r : walk.records) all += r["kind"].get<std::string>() + ": " + r["summary"].get<std::string>() + "\n";
  return all;
}

TEST(Ewf, E01GivesTheSameHitsAsTheRawImageWithTheMediaInTheLocationChain) {
  Fixture f;
  AcquireE01(f.raw, f.dir / "handset");
  WalkResult raw = WalkFile(f.raw, f.rules);
  WalkResult e01 = WalkFile(f.dir / "handset.E01", f.rules);

  std::set<std::string> raw_hits = HitsBelow(raw, "raw.img");
  std::set<std::string> e01_hits = HitsBelow(e01, "handset.E01 > ewf:media");
  EXPECT_EQ(raw_hits.size(), 2u);  // the disk layer and the userdata partition
  EXPECT_EQ(e01_hits, raw_hits) << Summaries(e01);
  char partition_hit[96];
  std::snprintf(partition_hit, sizeof(partition_hit), "Ewf_Test_Indicator @0x%llx[gpt:userdata]@0x%llx",
                static_cast<unsigned long long>(kUserdataOffset), static_cast<unsigned long long>(kIndicatorInPartition));
  EXPECT_TRUE(e01_hits.count(partition_hit)) << partition_hit << "\n" << Summaries(e01);

  // The media layer carries the acquisition metadata and the stored hashes.
  auto matches = e01.OfKind("yara-match");
  ASSERT_FALSE(matches.empty());
  const nlohmann::json& media = matches[0]["layers"][1];
  EXPECT_EQ(media["location"], "handset.E01 > ewf:media");
  EXPECT_EQ(media["size"], f.disk.size());
  const nlohmann::json& info = media["info"];
  EXPECT_EQ(info["header"]["case_number"], "CASE-42");
  EXPECT_EQ(info["header"]["examiner_name"], "Jane Examiner");
  EXPECT_EQ(info["header"]["evidence_number"], "EV-7");
  EXPECT_FALSE(info["header"].value("acquiry_date", "").empty());
  EXPECT_EQ(info["stored_hashes"]["md5"], Md5Of(f.disk));
  EXPECT_EQ(info["stored_hashes"]["sha1"].get<std::string>().size(), 40u);
  EXPECT_EQ(info["segment_files"], nlohmann::json::array({"handset.E01"}));
  EXPECT_EQ(matches[0]["layers"][1]["sha256"], raw.OfKind("yara-match")[0]["layers"][0]["sha256"]);

  auto integrity = e01.OfKind("integrity");
  ASSERT_EQ(integrity.size(), 1u) << Summaries(e01);
  EXPECT_EQ(integrity[0]["outcome"], "verified");
  EXPECT_NE(integrity[0]["summary"].get<std::string>().find(Md5Of(f.disk)), std::string::npos);
  EXPECT_TRUE(e01.OfKind("corruption").empty()) << Summaries(e01);
  EXPECT_EQ(e01.summary.outcome, "matched");
}

TEST(Ewf, SegmentSetIsReadFromTheFilesBesideTheFirstSegment) {
  Fixture f;
  AcquireE01(f.raw, f.dir / "multi", "deflate:fast", "1MiB");
  ASSERT_TRUE(std::filesystem::exists(f.dir / "multi.E03"));
  WalkResult e01 = WalkFile(f.dir / "multi.E01", f.rules);
  EXPECT_EQ(HitsBelow(e01, "multi.E01 > ewf:media"), HitsBelow(WalkFile(f.raw, f.rules), "raw.img"));
  auto matches = e01.OfKind("yara-match");
  ASSERT_FALSE(matches.empty()) << Summaries(e01);
  EXPECT_GE(matches[0]["layers"][1]["info"]["segment_files"].size(), 3u);
  auto integrity = e01.OfKind("integrity");
  ASSERT_EQ(integrity.size(), 1u) << Summaries(e01);
  EXPECT_EQ(integrity[0]["outcome"], "verified");
}

TEST(Ewf, LoneFirstSegmentOfASetIsScannedAsFarAsItGoesAndSaysWhyTheRestIsMissing) {
  Fixture f;
  AcquireE01(f.raw, f.dir / "multi", "deflate:fast", "1MiB");
  // As in the sandboxed worker: one input, no path to find the other segments by.
  WalkResult lone = WalkFile(f.dir / "multi.E01", f.rules, /*with_path=*/false);
  std::string all = Summaries(lone);
  EXPECT_NE(all.find("only 1 segment file(s) of the set could be read, starting with segment 1, and the set goes on "
                     "(the sandboxed worker is given one file"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("were read as zeros (sectors "), std::string::npos) << all;
  EXPECT_TRUE(lone.OfKind("integrity").empty()) << all;
  // The indicator lies in the media the first segment holds, so it is still found.
  EXPECT_EQ(HitsBelow(lone, "multi.E01 > ewf:media"), HitsBelow(WalkFile(f.raw, f.rules), "raw.img"));

  // In-process with a segment missing from the middle of the set: damaged, never verified or clean.
  std::filesystem::remove(f.dir / "multi.E02");
  WalkResult gap = WalkFile(f.dir / "multi.E01", f.rules);
  EXPECT_FALSE(gap.OfKind("corruption").empty()) << Summaries(gap);
  EXPECT_TRUE(gap.OfKind("integrity").empty()) << Summaries(gap);
  EXPECT_NE(gap.summary.outcome, "clean");
}

TEST(Ewf, TruncatedE01IsACorruptionFindingNamingTheTruncatedSegment) {
  Fixture f;
  AcquireE01(f.raw, f.dir / "handset");
  std::vector<uint8_t> e01 = ReadFile(f.dir / "handset.E01");
  for (size_t keep : {e01.size() - 1, e01.size() * 2 / 3, e01.size() / 3, size_t{200}, size_t{13}}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " bytes");
    WriteFile(f.dir / "cut.E01", std::vector<uint8_t>(e01.begin(), e01.begin() + static_cast<long>(keep)));
    WalkResult walk = WalkFile(f.dir / "cut.E01", f.rules);
    std::string all = Summaries(walk);
    EXPECT_NE(all.find("corruption: ewf damaged: "), std::string::npos) << all;
    EXPECT_NE(all.find("segment file cut.E01 is truncated"), std::string::npos) << all;
    EXPECT_NE(walk.summary.outcome, "clean");
    EXPECT_TRUE(walk.OfKind("integrity").empty()) << all;
  }
}

TEST(Ewf, TamperedMediaIsAnIntegrityMismatch) {
  Fixture f;
  AcquireE01(f.raw, f.dir / "plain", "none");
  std::vector<uint8_t> original = ReadFile(f.dir / "plain.E01");
  const uint64_t tampered_at = kUserdataOffset + kRandomFromInPartition + 12345;

  std::vector<uint8_t> e01 = original;
  TamperChunk(e01, f.disk, tampered_at, /*fix_checksum=*/true);
  WriteFile(f.dir / "tampered.E01", e01);
  WalkResult walk = WalkFile(f.dir / "tampered.E01", f.rules);
  auto integrity = walk.OfKind("integrity");
  ASSERT_EQ(integrity.size(), 1u) << Summaries(walk);
  EXPECT_EQ(integrity[0]["outcome"], "mismatch");
  EXPECT_EQ(integrity[0]["severity"], "high");
  std::string summary = integrity[0]["summary"];
  EXPECT_NE(summary.find("stored md5 " + Md5Of(f.disk)), std::string::npos) << summary;
  std::vector<uint8_t> changed = f.disk;
  changed[tampered_at] ^= 0x01;
  EXPECT_NE(summary.find("decoded media " + Md5Of(changed)), std::string::npos) << summary;
  EXPECT_TRUE(walk.OfKind("corruption").empty()) << Summaries(walk);
  EXPECT_EQ(walk.summary.outcome, "mismatch");
  // The hits are still reported: media, partition, and the container itself (stored uncompressed).
  EXPECT_EQ(walk.OfKind("yara-match").size(), 3u);

  // Without the checksum fixed, libewf flags the chunk (read as zeros) and the hash differs as well.
  e01 = original;
  TamperChunk(e01, f.disk, tampered_at, /*fix_checksum=*/false);
  WriteFile(f.dir / "flipped.E01", e01);
  WalkResult flipped = WalkFile(f.dir / "flipped.E01", f.rules);
  auto corruption = flipped.OfKind("corruption");
  ASSERT_EQ(corruption.size(), 1u) << Summaries(flipped);
  uint64_t sector = tampered_at / 512 / 64 * 64;
  EXPECT_NE(corruption[0]["summary"].get<std::string>().find(
                "64 media sector(s) failed their chunk checksum or are missing and were read as zeros (sectors " +
                std::to_string(sector) + "-" + std::to_string(sector + 63) + "), so the stored hashes were not verified"),
            std::string::npos)
      << Summaries(flipped);
  EXPECT_TRUE(flipped.OfKind("integrity").empty()) << Summaries(flipped);
}

TEST(Ewf, InputE01HasItsBudgetScaledToItsMediaButANestedOneIsCharged) {
  Fixture f;
  // 80 MiB of zeros compress to almost nothing: more than 20x the E01 and the 64 MiB floor of the budget.
  AcquireZeros(f.dir, kMinExtractedBytesBudget + (16ull << 20), "empty");
  uint64_t e01_size = std::filesystem::file_size(f.dir / "empty.E01");
  ASSERT_LT(e01_size * kDefaultExtractedBytesFactor, kMinExtractedBytesBudget);
  // As the input, the media is the evidence: the budget is 20x the media, as for the raw image.
  WalkResult input = WalkFile(f.dir / "empty.E01", f.rules);
  EXPECT_TRUE(input.OfKind("limit-exceeded").empty()) << Summaries(input);
  ASSERT_EQ(input.OfKind("integrity").size(), 1u) << Summaries(input);
  EXPECT_EQ(input.OfKind("integrity")[0]["outcome"], "verified");
  // Inside an archive it is an expansion like any other, and the budget of the archive's size stops it.
  auto tar = MakeArchive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, {{"empty.E01", ReadFile(f.dir / "empty.E01")}});
  WalkResult nested = Walk("case.tar", MakeMemorySource(tar), f.rules);
  auto limits = nested.OfKind("limit-exceeded");
  ASSERT_EQ(limits.size(), 1u) << Summaries(nested);
  EXPECT_EQ(limits[0]["location"], "case.tar > tar:empty.E01");
  EXPECT_NE(limits[0]["summary"].get<std::string>().find("E01 media of 83886080 bytes not decoded"), std::string::npos)
      << Summaries(nested);
  EXPECT_EQ(nested.summary.outcome, "limit-exceeded");
}

TEST(Ewf, LibewfIsNoLongerAskedForMediaPastTheFailedReadBudget) {
  Fixture f;
  AcquireZeros(f.dir, kMaxEwfFailedReadBytes + (16ull << 20), "empty");
  // Cut off the chunk tables: libewf opens the segment but can decode no chunk.
  std::vector<uint8_t> e01 = ReadFile(f.dir / "empty.E01");
  e01.resize(e01.size() / 2);
  WriteFile(f.dir / "cut.E01", e01);
  UnpackLimits generous;
  generous.extracted_bytes_factor = 100000;
  WalkResult walk = WalkFile(f.dir / "cut.E01", f.rules, true, generous);
  std::string all = Summaries(walk);
  uint64_t sectors = (kMaxEwfFailedReadBytes + (16ull << 20)) / 512;
  EXPECT_NE(all.find(std::to_string(sectors) + " media sector(s) failed their chunk checksum or are missing"), std::string::npos)
      << all;
  EXPECT_NE(all.find("undecodable chunks the media from sector 0 on was no longer decoded"), std::string::npos) << all;
  EXPECT_TRUE(walk.OfKind("integrity").empty()) << all;
}

TEST(Ewf, L01AndEx01AreReportedUnsupportedNotClean) {
  for (const char* signature : {"LVF\x09\x0d\x0a\xff", "EVF2\x0d\x0a\x81"}) {
    std::vector<uint8_t> bytes(4096);
    std::memcpy(bytes.data(), signature, 8);  // the trailing NUL completes the 8-byte signature
    WalkResult walk = Walk("evidence", MakeMemorySource(bytes), CompileOrDie(kRules));
    ASSERT_EQ(walk.OfKind("parse-anomaly").size(), 1u) << Summaries(walk);
    EXPECT_EQ(walk.summary.outcome, "unsupported");
  }
}

}  // namespace
}  // namespace fwtest
