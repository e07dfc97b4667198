// `interdict acquire` run unmodified inside `interdict-sim` (real libusb, umockdev usbfs emulation):
// the "Done when" list of issue 3. Every run also checks that no write-class command reached the device.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <cstring>
#include <regex>
#include <sstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "process_runner.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kDeviceBytes = 64ull * 1024 * 1024;
constexpr uint64_t kChunk = 1024 * 1024;  // interdict acquire's default --chunk
constexpr uint32_t kSector = 512;
constexpr int kExitIncomplete = 5;

const fs::path kBin = fs::path(INTERDICT_BINARY_DIR) / "bin";

using interdict::usb::testing::ReadText;
using interdict::usb::testing::RunCommand;

class AcquireIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("usb_acquire_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    backing_ = dir_ / "handset.img";
    std::mt19937_64 rng(20261129);
    data_.resize(kDeviceBytes);
    for (size_t i = 0; i < data_.size(); i += 8) {
      uint64_t v = rng();
      std::memcpy(&data_[i], &v, 8);
    }
    std::ofstream(backing_, std::ios::binary).write(reinterpret_cast<const char*>(data_.data()), data_.size());
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "logs:\n" << ReadText(log_) << "\n";
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      std::error_code ec;
      fs::permissions(entry.path(), fs::perms::owner_all, ec);
    }
    fs::remove_all(dir_);
  }
  // interdict-sim [sim_args] -- interdict acquire --source usb:3412:cdab --out OUT [acquire_args]
  int Acquire(const std::vector<std::string>& sim_args, const std::vector<std::string>& acquire_args,
              const std::string& out = "out") {
    std::vector<std::string> argv = {(kBin / "interdict-sim").string(), "--mass-storage", backing_.string(),
                                     "--counters-json", (dir_ / "counters.json").string()};
    argv.insert(argv.end(), sim_args.begin(), sim_args.end());
    argv.insert(argv.end(), {"--", (kBin / "interdict").string(), "--quiet", "acquire", "--source", "usb:3412:cdab",
                             "--out", (dir_ / out).string()});
    argv.insert(argv.end(), acquire_args.begin(), acquire_args.end());
    int rc = RunCommand(argv, log_);
    counters_ = json::parse(ReadText(dir_ / "counters.json"));
    EXPECT_EQ(counters_["write_class_commands"], 0) << "a write-class command reached the device";
    return rc;
  }
  std::string FileSha256(const fs::path& path) {
    auto digests = interdict::HashFile(path);
    EXPECT_TRUE(digests.ok());
    return digests.ok() ? digests->sha256 : "";
  }

  fs::path dir_, backing_;
  fs::path log_ = fs::temp_directory_path() / ("usb_acquire_" + std::to_string(::getpid()) + ".log");
  std::vector<uint8_t> data_;
  json counters_;
};

TEST_F(AcquireIntegration, RawImageOf64MiBDeviceHasTheBackingFilesSha256) {
  ASSERT_EQ(Acquire({}, {"--format", "raw", "--hash", "md5,sha256"}), 0);
  const std::string expected = interdict::Sha256Hex(data_.data(), data_.size());
  EXPECT_EQ(FileSha256(dir_ / "out/image.raw"), expected);
  json log = json::parse(ReadText(dir_ / "out/image.log.json"));
  EXPECT_EQ(log["digests"]["sha256"], expected);
  EXPECT_EQ(log["source"]["details"]["serial"], "INTERDICT-SIM-0001");
  EXPECT_EQ(log["source"]["capacity_bytes"], kDeviceBytes);
  EXPECT_EQ(log["bad_sectors"], 0);
  EXPECT_EQ(log["window_sha256"].size(), kDeviceBytes / kChunk);
  EXPECT_EQ(counters_["bytes_served"], kDeviceBytes);  // every byte read exactly once
  EXPECT_NE(ReadText(dir_ / "out/image.log.txt").find("State         : finished successfully"), std::string::npos);
}

TEST_F(AcquireIntegration, E01PassesEwfverifyAndStoresTheMd5) {
  ASSERT_EQ(Acquire({}, {"--format", "e01", "--verify", "--case-number", "CASE-7", "--evidence-number", "EV-1",
                         "--examiner", "Test Examiner"}),
            0);
  const fs::path e01 = dir_ / "out/image.E01";
  ASSERT_TRUE(fs::exists(e01));
  const fs::path verify_log = dir_ / "ewfverify.txt";
  ASSERT_EQ(RunCommand({"/usr/bin/ewfverify", "-q", e01.string()}, verify_log), 0) << ReadText(verify_log);
  interdict::MultiHasher md5({interdict::HashAlgorithm::kMd5});
  md5.Update(data_.data(), data_.size());
  const std::string expected_md5 = md5.Finish().md5;
  const std::string report = ReadText(verify_log);
  EXPECT_NE(report.find("MD5 hash stored in file:\t\t" + expected_md5), std::string::npos) << report;
  EXPECT_NE(report.find("MD5 hash calculated over data:\t\t" + expected_md5), std::string::npos) << report;
  const fs::path info_log = dir_ / "ewfinfo.txt";
  ASSERT_EQ(RunCommand({"/usr/bin/ewfinfo", e01.string()}, info_log), 0);
  EXPECT_NE(ReadText(info_log).find("CASE-7"), std::string::npos);
  json log = json::parse(ReadText(dir_ / "out/image.log.json"));
  EXPECT_EQ(log["verification"]["source"]["matches"], true);
  EXPECT_EQ(log["verification"]["image"]["matches"], true);
  EXPECT_EQ(log["digests"]["md5"], expected_md5);
}

TEST_F(AcquireIntegration, BadSectorsAreZeroedAndListedExactly) {
  const std::vector<uint64_t> bad = {5, 6, 7, 40000, 131071};
  std::vector<std::string> sim_args;
  for (uint64_t lba : bad) sim_args.insert(sim_args.end(), {"--bad-lba", std::to_string(lba)});
  ASSERT_EQ(Acquire(sim_args, {"--hash", "sha256"}), kExitIncomplete);
  std::vector<uint8_t> expected = data_;
  for (uint64_t lba : bad) std::fill_n(expected.begin() + lba * kSector, kSector, 0);
  EXPECT_EQ(FileSha256(dir_ / "out/image.raw"), interdict::Sha256Hex(expected.data(), expected.size()));

  json log = json::parse(ReadText(dir_ / "out/image.log.json"));
  EXPECT_EQ(log["bad_sectors"], bad.size());
  ASSERT_EQ(log["bad_ranges"].size(), 3u);
  EXPECT_EQ(log["bad_ranges"][0]["first_sector"], 5);
  EXPECT_EQ(log["bad_ranges"][0]["sector_count"], 3);
  EXPECT_EQ(log["bad_ranges"][1]["first_sector"], 40000);
  EXPECT_EQ(log["bad_ranges"][2]["first_sector"], 131071);
  EXPECT_EQ(log["exit_code"], kExitIncomplete);

  // The map lists the same ranges as '-' and nothing else as bad.
  std::set<std::pair<uint64_t, uint64_t>> map_bad;
  std::istringstream map(ReadText(dir_ / "out/image.map"));
  std::string line;
  std::regex block(R"(^0x([0-9A-F]+)\s+0x([0-9A-F]+)\s+-$)");
  while (std::getline(map, line)) {
    std::smatch m;
    if (std::regex_match(line, m, block)) {
      map_bad.insert({std::stoull(m[1], nullptr, 16), std::stoull(m[2], nullptr, 16)});
    }
  }
  std::set<std::pair<uint64_t, uint64_t>> expected_map = {
      {5 * kSector, 3 * kSector}, {40000 * kSector, kSector}, {131071ull * kSector, kSector}};
  EXPECT_EQ(map_bad, expected_map);
}

TEST_F(AcquireIntegration, DisconnectAtRandomOffsetRereadsAtMostOneChunk) {
  std::random_device seed;
  std::mt19937_64 rng(seed());
  const uint64_t offset = kChunk + rng() % (kDeviceBytes - 2 * kChunk);
  SCOPED_TRACE("disconnect after " + std::to_string(offset) + " bytes");
  ASSERT_EQ(Acquire({"--disconnect-after", std::to_string(offset), "--reconnect-after-ms", "400"},
                    {"--hash", "sha256", "--disconnect-wait", "30"}),
            0);
  EXPECT_EQ(FileSha256(dir_ / "out/image.raw"), interdict::Sha256Hex(data_.data(), data_.size()));
  EXPECT_EQ(counters_["disconnects"], 1);
  const uint64_t served = counters_["bytes_served"];
  EXPECT_GE(served, kDeviceBytes);
  EXPECT_LE(served, kDeviceBytes + kChunk);
  json log = json::parse(ReadText(dir_ / "out/image.log.json"));
  ASSERT_EQ(log["disconnects"].size(), 1u);
  EXPECT_FALSE(log["disconnects"][0]["reconnected"].get<std::string>().empty());
  EXPECT_LE(log["bytes"]["reread_after_interruption"].get<uint64_t>(), kChunk);
}

TEST_F(AcquireIntegration, KilledAcquisitionResumesToAByteIdenticalImage) {
  std::random_device seed;
  std::mt19937_64 rng(seed());
  const uint64_t kill_at = 4 * kChunk + rng() % (kDeviceBytes - 8 * kChunk);
  SCOPED_TRACE("killed after " + std::to_string(kill_at) + " bytes");
  EXPECT_EQ(Acquire({"--kill-after", std::to_string(kill_at)}, {"--hash", "md5,sha256"}), 128 + SIGKILL);
  const uint64_t first_run = counters_["bytes_served"];
  ASSERT_LT(first_run, kDeviceBytes);
  ASSERT_EQ(Acquire({}, {"--hash", "md5,sha256", "--resume"}), 0);
  const uint64_t second_run = counters_["bytes_served"];
  EXPECT_EQ(FileSha256(dir_ / "out/image.raw"), interdict::Sha256Hex(data_.data(), data_.size()));
  // The map is saved after every chunk, so only the chunk in flight when the kill landed is read twice.
  EXPECT_GE(first_run + second_run, kDeviceBytes);
  EXPECT_LE(first_run + second_run, kDeviceBytes + kChunk);
  json log = json::parse(ReadText(dir_ / "out/image.log.json"));
  EXPECT_GT(log["bytes"]["resumed_from"].get<uint64_t>(), 0u);
  interdict::MultiHasher md5({interdict::HashAlgorithm::kMd5});
  md5.Update(data_.data(), data_.size());
  EXPECT_EQ(log["digests"]["md5"], md5.Finish().md5);
}

TEST_F(AcquireIntegration, AcquiringIntoAnUsedFolderWithoutResumeIsRefused) {
  ASSERT_EQ(Acquire({}, {"--hash", "md5"}), 0);
  EXPECT_EQ(Acquire({}, {"--hash", "md5"}), 2);  // usage error: would overwrite
}

TEST_F(AcquireIntegration, DevicesListsTheEmulatedHandsetAsMassStorage) {
  const fs::path out = dir_ / "devices.json";
  int rc = RunCommand({(kBin / "interdict-sim").string(), "--mass-storage", backing_.string(), "--", "/bin/sh", "-c",
                (kBin / "interdict").string() + " --json devices > " + out.string()},
               log_);
  ASSERT_EQ(rc, 0);
  json devices = json::parse(ReadText(out));
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0]["vid_pid"], "3412:cdab");
  EXPECT_EQ(devices[0]["serial"], "INTERDICT-SIM-0001");
  EXPECT_EQ(devices[0]["mode"], "mass-storage (BOT/SCSI)");
}

}  // namespace

#ifdef INTERDICT_TEST_WITH_CASE
namespace {

TEST_F(AcquireIntegration, CaseAcquisitionBecomesEvidenceWithArtifactsAndAuditedChain) {
  const fs::path interdict = kBin / "interdict";
  const fs::path case_dir = dir_ / "case";
  ASSERT_EQ(RunCommand({interdict.string(), "case", "init", case_dir.string(), "--case-number", "C-9", "--examiner",
                        "Examiner"},
                       log_),
            0);
  std::vector<std::string> argv = {(kBin / "interdict-sim").string(), "--mass-storage", backing_.string(), "--",
                                   interdict.string(), "--quiet", "acquire", "--source", "usb:3412:cdab", "--case",
                                   case_dir.string(), "--format", "raw", "--hash", "sha256", "--evidence-number",
                                   "EV-9"};
  ASSERT_EQ(RunCommand(argv, log_), 0);
  const fs::path info = dir_ / "info.json";
  ASSERT_EQ(RunCommand({"/bin/sh", "-c", interdict.string() + " --json case info " + case_dir.string() + " > " +
                                             info.string()},
                       log_),
            0);
  json case_info = json::parse(ReadText(info));
  ASSERT_EQ(case_info["evidence"].size(), 1u);
  EXPECT_EQ(case_info["evidence"][0]["kind"], "usb-acquisition");
  EXPECT_EQ(case_info["evidence"][0]["label"], "EV-9");
  EXPECT_EQ(case_info["evidence"][0]["sha256"], interdict::Sha256Hex(data_.data(), data_.size()));
  EXPECT_EQ(case_info["counts"]["artifacts"], 4);  // image, map, text log, JSON log
  EXPECT_EQ(RunCommand({interdict.string(), "case", "verify", case_dir.string()}, log_), 0);
  const fs::path actions = dir_ / "actions.txt";
  ASSERT_EQ(RunCommand({"/bin/sh", "-c", "sqlite3 " + (case_dir / "case.db").string() +
                                             " 'SELECT action FROM audit ORDER BY seq' > " + actions.string()},
                       log_),
            0);
  const std::string audit = ReadText(actions);
  const size_t started = audit.find("usb.acquisition.started");
  const size_t finished = audit.find("usb.acquisition.finished");
  ASSERT_NE(started, std::string::npos) << audit;
  ASSERT_NE(finished, std::string::npos) << audit;
  EXPECT_LT(started, finished);
}

}  // namespace
#endif
