// The engine against an in-memory source with injected faults, writing real raw images.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/hash.h"
#include "engine/acquisition_engine.h"
#include "engine/file_block_source.h"
#include "fake_block_source.h"
#include "output/image_writer.h"

namespace interdict::usb {
namespace {

constexpr uint64_t kChunk = 64 * 1024;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("usb_engine_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(dir_ / "image.raw", std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  ImageWriterOptions WriterOptions(uint64_t size) {
    ImageWriterOptions options;
    options.base = dir_ / "image";
    options.media_size = size;
    options.sector_size = kSector;
    return options;
  }
  AcquisitionOptions EngineOptions() {
    AcquisitionOptions options;
    options.chunk_bytes = kChunk;
    options.hash_window_bytes = kChunk;
    options.map_path = dir_ / "image.map";
    options.reconnect_poll = std::chrono::milliseconds(1);
    return options;
  }
  std::vector<uint8_t> ReadImage() {
    std::ifstream in(dir_ / "image.raw", std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::filesystem::path dir_;
};

TEST_F(EngineTest, CopiesCleanSourceWithAllHashesAndWindowHashes) {
  FakeSource source(RandomBytes(1 << 20, 1), {});
  auto writer = CreateImageWriter(WriterOptions(1 << 20));
  ASSERT_TRUE(writer.ok());
  AcquisitionEngine engine(source, **writer, EngineOptions());
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok()) << result.message;
  EXPECT_EQ(ReadImage(), source.data_);
  MultiHasher reference;
  reference.Update(source.data_.data(), source.data_.size());
  Digests expected = reference.Finish();
  EXPECT_EQ(result.digests.md5, expected.md5);
  EXPECT_EQ(result.digests.sha1, expected.sha1);
  EXPECT_EQ(result.digests.sha256, expected.sha256);
  ASSERT_EQ(result.window_hashes.size(), (1u << 20) / kChunk);
  EXPECT_EQ(result.window_hashes[3].offset, 3 * kChunk);
  EXPECT_EQ(result.window_hashes[3].sha256, Sha256Hex(source.data_.data() + 3 * kChunk, kChunk));
  EXPECT_EQ(result.state, "complete");
  EXPECT_EQ(result.bytes_read_from_source, 1u << 20);
}

TEST_F(EngineTest, ZeroFillsExactlyTheBadSectorsAndListsMergedRanges) {
  const std::set<uint64_t> bad = {7, 8, 9, 300, 2047};
  FakeSource source(RandomBytes(1 << 20, 2), bad);
  auto writer = CreateImageWriter(WriterOptions(1 << 20));
  ASSERT_TRUE(writer.ok());
  AcquisitionEngine engine(source, **writer, EngineOptions());
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok());
  std::vector<uint8_t> expected = source.data_;
  for (uint64_t s : bad) std::fill_n(expected.begin() + s * kSector, kSector, 0);
  EXPECT_EQ(ReadImage(), expected);
  EXPECT_EQ(result.bad_sectors, 5u);
  ASSERT_EQ(result.bad_ranges.size(), 3u);
  EXPECT_EQ(result.bad_ranges[0].first_sector, 7u);
  EXPECT_EQ(result.bad_ranges[0].sector_count, 3u);
  EXPECT_EQ(result.bad_ranges[1].first_sector, 300u);
  EXPECT_EQ(result.bad_ranges[2].first_sector, 2047u);
  EXPECT_EQ(result.state, "complete-with-bad-sectors");
  auto map = RescueMap::Load(dir_ / "image.map");
  ASSERT_TRUE(map.ok());
  std::vector<MapBlock> bad_blocks = map->BadBlocks();
  ASSERT_EQ(bad_blocks.size(), 3u);
  EXPECT_EQ(bad_blocks[0], (MapBlock{7 * kSector, 3 * kSector, BlockState::kBad}));
  EXPECT_EQ(bad_blocks[2], (MapBlock{2047 * kSector, kSector, BlockState::kBad}));
}

TEST_F(EngineTest, BadRangeAcrossAChunkBoundaryIsOneRangeInLogAndMap) {
  const uint64_t boundary = kChunk / kSector;  // first sector of chunk 1
  FakeSource source(RandomBytes(1 << 19, 3), {boundary - 1, boundary});
  auto writer = CreateImageWriter(WriterOptions(1 << 19));
  ASSERT_TRUE(writer.ok());
  AcquisitionEngine engine(source, **writer, EngineOptions());
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok());
  ASSERT_EQ(result.bad_ranges.size(), 1u);
  EXPECT_EQ(result.bad_ranges[0].first_sector, boundary - 1);
  EXPECT_EQ(result.bad_ranges[0].sector_count, 2u);
  auto map = RescueMap::Load(dir_ / "image.map");
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->BadBlocks().size(), 1u);
  EXPECT_EQ(map->BadBlocks()[0], (MapBlock{(boundary - 1) * kSector, 2 * kSector, BlockState::kBad}));
}

TEST_F(EngineTest, DisconnectPausesThenRereadsOnlyTheInterruptedChunk) {
  FakeSource source(RandomBytes(1 << 20, 4), {});
  source.disconnect_at_byte_ = 5 * kChunk + 1000;
  source.reconnect_polls_ = 3;
  auto writer = CreateImageWriter(WriterOptions(1 << 20));
  ASSERT_TRUE(writer.ok());
  AcquisitionEngine engine(source, **writer, EngineOptions());
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok()) << result.message;
  EXPECT_EQ(ReadImage(), source.data_);
  ASSERT_EQ(result.disconnects.size(), 1u);
  EXPECT_EQ(result.disconnects[0].offset, 5 * kChunk);
  EXPECT_FALSE(result.disconnects[0].reconnected_utc.empty());
  EXPECT_EQ(source.reconnect_calls_, 4);
  EXPECT_LE(result.bytes_reread_after_interruption, kChunk);
  EXPECT_LE(source.bytes_read_, (1u << 20) + kChunk);
}

TEST_F(EngineTest, DisconnectThatNeverEndsStopsWithMapForResume) {
  FakeSource source(RandomBytes(1 << 20, 5), {});
  source.disconnect_at_byte_ = 3 * kChunk;
  source.reconnect_polls_ = 1'000'000;
  auto writer = CreateImageWriter(WriterOptions(1 << 20));
  ASSERT_TRUE(writer.ok());
  AcquisitionOptions options = EngineOptions();
  options.disconnect_wait = std::chrono::milliseconds(20);
  AcquisitionEngine engine(source, **writer, options);
  AcquisitionResult result;
  Status status = engine.Run(&result);
  EXPECT_EQ(status.code(), StatusCode::kDisconnected);
  EXPECT_EQ(result.state, "disconnected");
  auto map = RescueMap::Load(dir_ / "image.map");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->CompletedPrefix(), 3 * kChunk);  // chunks 0-2 ended at or before the pulled cable
}

TEST_F(EngineTest, ResumeAfterCancelYieldsTheSameImageAndHashes) {
  std::vector<uint8_t> data = RandomBytes(1 << 20, 6);
  std::atomic<bool> cancel{false};
  {
    FakeSource source(data, {100});
    auto writer = CreateImageWriter(WriterOptions(1 << 20));
    ASSERT_TRUE(writer.ok());
    AcquisitionOptions options = EngineOptions();
    options.cancel = &cancel;
    options.progress = [&cancel](uint64_t done, uint64_t) { cancel.store(done >= 7 * kChunk); };
    AcquisitionEngine engine(source, **writer, options);
    AcquisitionResult result;
    EXPECT_EQ(engine.Run(&result).code(), StatusCode::kCancelled);
    EXPECT_EQ(result.state, "cancelled");
  }
  FakeSource source(data, {100});
  auto map = RescueMap::Load(dir_ / "image.map");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->CompletedPrefix(), 7 * kChunk);
  auto writer = ResumeImageWriter(WriterOptions(1 << 20), map->CompletedPrefix());
  ASSERT_TRUE(writer.ok());
  AcquisitionOptions options = EngineOptions();
  options.resume = true;
  AcquisitionEngine engine(source, **writer, options);
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok()) << result.message;
  EXPECT_EQ(result.resumed_from, 7 * kChunk);
  EXPECT_EQ(source.bytes_read_, (1u << 20) - 7 * kChunk);  // nothing before the resume point is read again
  std::vector<uint8_t> expected = data;
  std::fill_n(expected.begin() + 100 * kSector, kSector, 0);
  EXPECT_EQ(ReadImage(), expected);
  EXPECT_EQ(result.digests.sha256, Sha256Hex(expected.data(), expected.size()));
  ASSERT_EQ(result.bad_ranges.size(), 1u);  // the bad sector found before the interruption is kept
  EXPECT_EQ(result.bad_ranges[0].first_sector, 100u);
}

TEST_F(EngineTest, ResumeRefusesAMapOfAnotherSize) {
  FakeSource source(RandomBytes(1 << 20, 7), {});
  RescueMap other(1 << 19);
  std::ofstream(dir_ / "image.map") << other.ToText({});
  auto writer = CreateImageWriter(WriterOptions(1 << 20));
  ASSERT_TRUE(writer.ok());
  AcquisitionOptions options = EngineOptions();
  options.resume = true;
  AcquisitionEngine engine(source, **writer, options);
  AcquisitionResult result;
  EXPECT_EQ(engine.Run(&result).code(), StatusCode::kVerificationFailed);
}

TEST_F(EngineTest, FileSourceSplitRawImageMatchesAndVerifies) {
  std::vector<uint8_t> data = RandomBytes(300 * 1024 + 100, 8);  // not a whole number of sectors
  const auto input = dir_ / "input.bin";
  std::ofstream(input, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), data.size());
  auto source = FileBlockSource::Open(input);
  ASSERT_TRUE(source.ok());
  constexpr uint64_t kPadded = 601 * kSector;  // 307300 bytes padded to whole sectors
  EXPECT_EQ((*source)->identity().capacity_bytes, kPadded);
  ImageWriterOptions writer_options = WriterOptions((*source)->identity().capacity_bytes);
  writer_options.split_bytes = 100 * 1024;
  auto writer = CreateImageWriter(writer_options);
  ASSERT_TRUE(writer.ok());
  AcquisitionEngine engine(**source, **writer, EngineOptions());
  AcquisitionResult result;
  ASSERT_TRUE(engine.Run(&result).ok());
  ASSERT_EQ((*writer)->files().size(), 4u);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "image.001"), 100u * 1024);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "image.004"), kPadded - 300u * 1024);
  data.resize(kPadded, 0);
  EXPECT_EQ(result.digests.sha256, Sha256Hex(data.data(), data.size()));
  auto image = HashImage(**writer, data.size(), {HashAlgorithm::kSha256});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->sha256, result.digests.sha256);
  auto reread = HashSource(**source, {HashAlgorithm::kMd5}, kChunk);
  ASSERT_TRUE(reread.ok());
  EXPECT_EQ(reread->md5, result.digests.md5);
  for (int i = 1; i <= 4; ++i) {
    std::filesystem::permissions(dir_ / ("image.00" + std::to_string(i)), std::filesystem::perms::owner_all);
  }
}

TEST_F(EngineTest, CreateRefusesToOverwriteAnImage) {
  std::ofstream(dir_ / "image.raw") << "x";
  EXPECT_EQ(CreateImageWriter(WriterOptions(4096)).status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace interdict::usb
