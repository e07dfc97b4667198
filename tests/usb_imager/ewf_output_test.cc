// E01 output with chunks deflated on worker threads: the chunk encoder's rules, the compressor's order and
// bounds, and whole images checked by libewf's own tools (ewfverify, ewfinfo, ewfexport), for compressible,
// incompressible and mixed data and for an acquisition with bad ranges.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/hash.h"
#include "engine/acquisition_engine.h"
#include "fake_block_source.h"
#include "output/ewf_chunk_compressor.h"
#include "output/image_writer.h"
#include "process_runner.h"

namespace interdict::usb {
namespace {

namespace fs = std::filesystem;

constexpr size_t kEwfChunk = 64 * kSector;  // the writer's 32 KiB chunk

std::vector<uint8_t> CompressibleBytes(size_t n, uint64_t seed) {
  // Text-like data: a few distinct words, so deflate shrinks it a lot but not to nothing.
  static const char* kWords[] = {"evidence ", "handset ", "sector ", "chain-of-custody ", "0x7f3a ", "\n"};
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out;
  out.reserve(n);
  while (out.size() < n) {
    const char* word = kWords[rng() % 6];
    for (const char* c = word; *c != 0 && out.size() < n; ++c) out.push_back(static_cast<uint8_t>(*c));
  }
  return out;
}

uint32_t Adler32(const std::vector<uint8_t>& data) {
  return static_cast<uint32_t>(adler32(adler32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
}

std::vector<uint8_t> Inflate(const std::vector<uint8_t>& stream, size_t size) {
  std::vector<uint8_t> out(size);
  uLongf out_size = static_cast<uLongf>(size);
  EXPECT_EQ(uncompress(out.data(), &out_size, stream.data(), static_cast<uLong>(stream.size())), Z_OK);
  out.resize(out_size);
  return out;
}

TEST(EwfChunkEncoding, CompressibleChunkIsAZlibStreamOfTheData) {
  std::vector<uint8_t> data = CompressibleBytes(kEwfChunk, 1);
  EwfChunk chunk = EncodeEwfChunk(data, kEwfZlibLevelFast);
  ASSERT_TRUE(chunk.compressed);
  EXPECT_LT(chunk.stored.size(), data.size() / 2);
  EXPECT_EQ(chunk.data_size, data.size());
  EXPECT_EQ(chunk.adler32, Adler32(data));
  EXPECT_EQ(Inflate(chunk.stored, data.size()), data);
}

TEST(EwfChunkEncoding, IncompressibleChunkIsStoredAsReadWithItsAdler32) {
  std::vector<uint8_t> data = RandomBytes(kEwfChunk, 2);
  EwfChunk chunk = EncodeEwfChunk(data, kEwfZlibLevelBest);
  EXPECT_FALSE(chunk.compressed);
  EXPECT_EQ(chunk.stored, data);
  EXPECT_EQ(chunk.adler32, Adler32(data));
}

TEST(EwfChunkEncoding, LevelNoneStoresEvenZeros) {
  std::vector<uint8_t> zeros(kEwfChunk, 0);
  EwfChunk chunk = EncodeEwfChunk(zeros, kEwfStoreUncompressed);
  EXPECT_FALSE(chunk.compressed);
  EXPECT_EQ(chunk.stored, zeros);
  EXPECT_EQ(chunk.adler32, Adler32(zeros));
}

TEST(EwfChunkCompressorTest, ReturnsChunksInSubmissionOrderWithinTheInFlightBound) {
  EwfChunkCompressor compressor(kEwfZlibLevelFast, 3);
  ASSERT_EQ(compressor.threads(), 3u);
  ASSERT_EQ(compressor.max_in_flight(), 3 * kEwfChunksInFlightPerThread);
  constexpr size_t kChunks = 200;
  std::vector<std::vector<uint8_t>> inputs;
  for (size_t i = 0; i < kChunks; ++i) {
    // Alternate sizes and kinds so that workers finish out of order.
    inputs.push_back(i % 3 == 0 ? RandomBytes(kEwfChunk, i) : CompressibleBytes(kEwfChunk - i * 7, i));
  }
  size_t next_out = 0;
  for (size_t i = 0; i < kChunks; ++i) {
    while (compressor.in_flight() >= compressor.max_in_flight()) {
      EwfChunk chunk = compressor.Next();
      ASSERT_EQ(chunk.data_size, inputs[next_out].size()) << "chunk " << next_out;
      ASSERT_EQ(chunk.adler32, Adler32(inputs[next_out])) << "chunk " << next_out;
      ++next_out;
    }
    compressor.Submit(inputs[i]);
    EXPECT_LE(compressor.in_flight(), compressor.max_in_flight());
  }
  while (compressor.in_flight() > 0) {
    EwfChunk chunk = compressor.Next();
    ASSERT_EQ(chunk.adler32, Adler32(inputs[next_out])) << "chunk " << next_out;
    EXPECT_EQ(chunk.compressed ? Inflate(chunk.stored, chunk.data_size) : chunk.stored, inputs[next_out]);
    ++next_out;
  }
  EXPECT_EQ(next_out, kChunks);
}

TEST(EwfChunkCompressorTest, ThreadCountIsClampedToTheNamedLimit) {
  EwfChunkCompressor compressor(kEwfZlibLevelFast, 1000);
  EXPECT_EQ(compressor.threads(), kEwfMaxCompressionThreads);
  EwfChunkCompressor inline_only(kEwfStoreUncompressed, 0);
  EXPECT_EQ(inline_only.threads(), 0u);
  inline_only.Submit(std::vector<uint8_t>(100, 1));
  EXPECT_EQ(inline_only.Next().data_size, 100u);
}

using testing::ReadText;

// Runs a libewf tool with a fresh log.
int RunTool(const std::vector<std::string>& argv, const fs::path& log) {
  fs::remove(log);
  return testing::RunCommand(argv, log);
}

class EwfImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("usb_ewf_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ImageWriterOptions Options(uint64_t size, EwfCompression compression) {
    ImageWriterOptions options;
    options.format = ImageFormat::kE01;
    options.base = dir_ / "image";
    options.media_size = size;
    options.sector_size = kSector;
    options.compression = compression;
    options.metadata.case_number = "CASE-EWF-3";
    options.metadata.evidence_number = "EV-9";
    options.metadata.examiner = "Parallel Examiner";
    return options;
  }

  // Writes `data` through the E01 writer in uneven pieces (so chunks straddle Append calls), then checks
  // the image with libewf's tools: ewfverify passes with the stored MD5 and SHA-1 equal to the data's,
  // ewfinfo shows the case metadata, and ewfexport gives back exactly `data`.
  void WriteAndCheck(const std::vector<uint8_t>& data, EwfCompression compression) {
    auto writer = CreateImageWriter(Options(data.size(), compression));
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    size_t done = 0;
    for (size_t piece = 1; done < data.size(); piece = piece * 3 + 511) {
      const size_t n = std::min(piece % (3 * kEwfChunk + 1) + 1, data.size() - done);
      ASSERT_TRUE((*writer)->Append(std::span<const uint8_t>(data.data() + done, n)).ok());
      done += n;
    }
    EXPECT_EQ((*writer)->bytes_written(), data.size());
    MultiHasher hasher({HashAlgorithm::kMd5, HashAlgorithm::kSha1});
    hasher.Update(data.data(), data.size());
    const Digests digests = hasher.Finish();
    ASSERT_TRUE((*writer)->Finish(digests).ok());
    CheckWithLibewfTools(data, digests);
  }

  void CheckWithLibewfTools(const std::vector<uint8_t>& expected, const Digests& digests) {
    const fs::path e01 = dir_ / "image.E01";
    const fs::path verify_log = dir_ / "ewfverify.txt";
    ASSERT_EQ(RunTool({"/usr/bin/ewfverify", "-q", "-d", "sha1", e01.string()}, verify_log), 0)
        << ReadText(verify_log);
    const std::string report = ReadText(verify_log);
    EXPECT_NE(report.find("MD5 hash stored in file:\t\t" + digests.md5), std::string::npos) << report;
    EXPECT_NE(report.find("MD5 hash calculated over data:\t\t" + digests.md5), std::string::npos) << report;
    EXPECT_NE(report.find("SHA1 hash stored in file:\t\t" + digests.sha1), std::string::npos) << report;
    EXPECT_NE(report.find("SHA1 hash calculated over data:\t\t" + digests.sha1), std::string::npos) << report;
    const fs::path info_log = dir_ / "ewfinfo.txt";
    ASSERT_EQ(RunTool({"/usr/bin/ewfinfo", e01.string()}, info_log), 0);
    info_ = ReadText(info_log);
    EXPECT_NE(info_.find("CASE-EWF-3"), std::string::npos) << info_;
    EXPECT_NE(info_.find("Parallel Examiner"), std::string::npos) << info_;
    const fs::path export_log = dir_ / "ewfexport.txt";
    ASSERT_EQ(RunTool({"/usr/bin/ewfexport", "-q", "-u", "-f", "raw", "-t", (dir_ / "exported").string(), e01.string()},
                      export_log),
              0)
        << ReadText(export_log);
    const std::string exported = ReadText(dir_ / "exported.raw");
    ASSERT_EQ(exported.size(), expected.size());
    EXPECT_EQ(std::memcmp(expected.data(), exported.data(), expected.size()), 0) << "exported media differs";
  }

  fs::path dir_;
  std::string info_;
};

TEST_F(EwfImageTest, CompressibleDataIsSmallAndExportsIdentically) {
  const std::vector<uint8_t> data = CompressibleBytes(8 << 20, 10);
  WriteAndCheck(data, EwfCompression::kFast);
  EXPECT_LT(fs::file_size(dir_ / "image.E01"), data.size() / 3);
}

TEST_F(EwfImageTest, IncompressibleDataIsStoredAndExportsIdentically) {
  const std::vector<uint8_t> data = RandomBytes(4 << 20, 11);
  WriteAndCheck(data, EwfCompression::kFast);
  EXPECT_GT(fs::file_size(dir_ / "image.E01"), data.size());  // stored chunks carry their Adler-32
}

TEST_F(EwfImageTest, MixedDataWithAShortLastChunkExportsIdenticallyAtBestCompression) {
  // 3 MiB + 5 sectors: the last chunk is short. Chunks alternate random, zeros and text.
  std::vector<uint8_t> data;
  for (int i = 0; i < 96; ++i) {
    std::vector<uint8_t> part = i % 3 == 0 ? RandomBytes(kEwfChunk, 100 + i)
                                : i % 3 == 1 ? std::vector<uint8_t>(kEwfChunk, 0)
                                             : CompressibleBytes(kEwfChunk, 200 + i);
    data.insert(data.end(), part.begin(), part.end());
  }
  std::vector<uint8_t> tail = RandomBytes(5 * kSector, 7);
  data.insert(data.end(), tail.begin(), tail.end());
  WriteAndCheck(data, EwfCompression::kBest);
}

TEST_F(EwfImageTest, NoCompressionExportsIdentically) {
  WriteAndCheck(CompressibleBytes(2 << 20, 12), EwfCompression::kNone);
}

TEST_F(EwfImageTest, AcquisitionWithBadRangesListsThemAndExportsTheZeroFilledMedia) {
  const std::set<uint64_t> bad = {3, 4, 5, 1000, 4095};
  std::vector<uint8_t> data = CompressibleBytes(2 << 20, 13);
  std::vector<uint8_t> random = RandomBytes(1 << 20, 14);
  std::copy(random.begin(), random.end(), data.begin() + (1 << 20));
  FakeSource source(data, bad);
  auto writer = CreateImageWriter(Options(data.size(), EwfCompression::kFast));
  ASSERT_TRUE(writer.ok());
  AcquisitionOptions options;
  options.chunk_bytes = 256 * 1024;
  options.hashes = {HashAlgorithm::kMd5, HashAlgorithm::kSha1};
  options.map_path = dir_ / "image.map";
  AcquisitionEngine engine(source, **writer, options);
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok()) << result.message;
  EXPECT_EQ(result.state, "complete-with-bad-sectors");
  std::vector<uint8_t> expected = data;
  for (uint64_t s : bad) std::fill_n(expected.begin() + static_cast<std::ptrdiff_t>(s * kSector), kSector, 0);
  CheckWithLibewfTools(expected, result.digests);
  // ewfinfo lists the error2 section ("Read errors during acquiry"): 3-5, 1000, 4095.
  EXPECT_NE(info_.find("total number: 3"), std::string::npos) << info_;
  EXPECT_NE(info_.find("at sector(s): 3 - 5 number: 3"), std::string::npos) << info_;
  EXPECT_NE(info_.find("at sector(s): 1000 - 1000 number: 1"), std::string::npos) << info_;
  EXPECT_NE(info_.find("at sector(s): 4095 - 4095 number: 1"), std::string::npos) << info_;
}

}  // namespace
}  // namespace interdict::usb
