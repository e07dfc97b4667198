// `interdict devices` and `interdict acquire` against interdict-sim's EDL and ADB handsets: the unmodified
// binaries, real libusb, the emulated device in the parent process (umockdev preload in the child).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "edl_test_support.h"
#include "sim/edl_device_model.h"

namespace interdict::usb {
namespace {

namespace fs = std::filesystem;
const fs::path kBin = fs::path(INTERDICT_BINARY_DIR) / "bin";
constexpr int kExitWriteCommandSeen = 99;
constexpr int kExitIncomplete = 5;
constexpr int kExitDeviceError = 6;

// Runs argv (no shell: each argument is quoted) with stdout and stderr appended to `log`; the exit status.
int RunLogged(const std::vector<std::string>& argv, const fs::path& log) {
  std::string command;
  for (const auto& arg : argv) command += "'" + arg + "' ";
  const int status = std::system((command + ">> '" + log.string() + "' 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Pseudo-random file contents (a stand-in for a photo: incompressible).
std::vector<uint8_t> RandomFile(size_t size, uint32_t seed) {
  std::vector<uint8_t> bytes(size);
  std::mt19937 rng(seed);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

class EdlAdbCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edl_adb_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    log_ = dir_ / "run.log";
  }
  void TearDown() override {
    if (HasFailure()) std::cerr << "logs:\n" << Text(log_) << "\n";
    fs::remove_all(dir_);
  }
  void Write(const fs::path& path, const std::vector<uint8_t>& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  fs::path dir_, log_;
};

TEST_F(EdlAdbCli, AcquireEdlLunThroughTheSimulatorLogsTheProgrammerAndMatchingDeviceDigest) {
  const auto lun0 = testing::MakeLunImage(256, sim::kEdlSimSectorSize, 5, {{"modem", 6, 37}});
  const auto lun1 = testing::MakeLunImage(128, sim::kEdlSimSectorSize, 6, {});
  const auto programmer = sim::MakeSimProgrammer(40000, 3);
  Write(dir_ / "lun0.img", lun0);
  Write(dir_ / "lun1.img", lun1);
  Write(dir_ / "prog.elf", programmer);
  const fs::path counters = dir_ / "counters.json";
  const int status = RunLogged({(kBin / "interdict-sim").string(), "--edl-lun", (dir_ / "lun0.img").string(), "--edl-lun",
                          (dir_ / "lun1.img").string(), "--counters-json", counters.string(), "--",
                          (kBin / "interdict").string(), "--quiet", "acquire", "--source", "edl:/lun1", "--programmer",
                          (dir_ / "prog.elf").string(), "--out", (dir_ / "out").string()},
                         log_);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(*Sha256File(dir_ / "out/image.raw"), Sha256Hex(lun1.data(), lun1.size()));
  const std::string text_log = Text(dir_ / "out/image.log.txt");
  EXPECT_NE(text_log.find(Sha256Hex(programmer.data(), programmer.size())), std::string::npos);
  const auto json_log = nlohmann::json::parse(Text(dir_ / "out/image.log.json"));
  EXPECT_NE(json_log.dump().find("\"device_sha256_matches\":true"), std::string::npos);
  const auto device = nlohmann::json::parse(Text(counters));
  EXPECT_EQ(device["write_class_commands"], 0);
  EXPECT_EQ(device["programmer_uploads"], 1);
}

TEST_F(EdlAdbCli, DevicesRecognisesEdlAndAdbHandsets) {
  Write(dir_ / "lun0.img", testing::MakeLunImage(16, sim::kEdlSimSectorSize, 1, {}));
  ASSERT_EQ(RunLogged({(kBin / "interdict-sim").string(), "--edl-lun", (dir_ / "lun0.img").string(), "--",
                 (kBin / "interdict").string(), "--json", "devices"},
                log_),
            0);
  EXPECT_NE(Text(log_).find("qualcomm-edl"), std::string::npos);
  fs::create_directories(dir_ / "tree/sdcard");
  ASSERT_EQ(RunLogged({(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(), "--",
                 (kBin / "interdict").string(), "--json", "devices"},
                log_),
            0);
  EXPECT_NE(Text(log_).find("android-adb"), std::string::npos);
}

TEST_F(EdlAdbCli, AdbLogicalAcquisitionCopiesTheTreeAndARefusedPromptFailsClearly) {
  const std::vector<uint8_t> photo = RandomFile(150000, 9);
  Write(dir_ / "tree/sdcard/DCIM/p.jpg", photo);
  Write(dir_ / "tree/sdcard/a.txt", {'h', 'i'});
  const std::string key = (dir_ / "lab/adbkey").string();
  const int status = RunLogged({(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(), "--",
                          (kBin / "interdict").string(), "--quiet", "acquire", "--source", "adb:", "--logical",
                          "--adb-key", key, "--out", (dir_ / "logical").string()},
                         log_);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(*Sha256File(dir_ / "logical/files/DCIM/p.jpg"), Sha256Hex(photo.data(), photo.size()));
  const auto manifest = nlohmann::json::parse(Text(dir_ / "logical/manifest.json"));
  EXPECT_EQ(manifest["files_copied"], 2);
  EXPECT_EQ(manifest["state"], "complete");

  const int refused = RunLogged({(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(),
                           "--adb-refuse-auth", "--", (kBin / "interdict").string(), "acquire", "--source", "adb:",
                           "--logical", "--adb-key", (dir_ / "other/adbkey").string(), "--out",
                           (dir_ / "refused").string()},
                          log_);
  EXPECT_NE(refused, 0);
  EXPECT_NE(refused, kExitWriteCommandSeen);
  EXPECT_NE(Text(log_).find("Allow USB debugging?"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "refused/manifest.json"));
}

// Issue 4 faults: a programmer that stops answering mid-read. The acquisition must not report success,
// must keep the image and map of what it read, and must say that it stopped and where.
TEST_F(EdlAdbCli, EdlProgrammerThatStopsAnsweringMidReadKeepsThePrefixAndFails) {
  const uint64_t sectors = 1024;  // 4 MiB: four 1 MiB reads
  const auto lun0 = testing::MakeLunImage(sectors, sim::kEdlSimSectorSize, 8, {});
  const auto programmer = sim::MakeSimProgrammer(40000, 3);
  Write(dir_ / "lun0.img", lun0);
  Write(dir_ / "prog.elf", programmer);
  const uint64_t mib = 1024 * 1024;
  const uint64_t hang_after = 2 * mib + 100000;  // inside the third read
  const fs::path counters = dir_ / "counters.json";
  const int status = RunLogged(
      {(kBin / "interdict-sim").string(), "--edl-lun", (dir_ / "lun0.img").string(), "--hang-after",
       std::to_string(hang_after), "--counters-json", counters.string(), "--", (kBin / "interdict").string(), "--quiet",
       "acquire", "--source", "edl:/lun0", "--programmer", (dir_ / "prog.elf").string(), "--chunk", "1M",
       "--disconnect-wait", "1", "--out", (dir_ / "out").string()},
      log_);
  EXPECT_EQ(status, kExitDeviceError);
  const auto device = nlohmann::json::parse(Text(counters));
  EXPECT_EQ(device["hangs"], 1);
  EXPECT_EQ(device["write_class_commands"], 0);

  const auto json_log = nlohmann::json::parse(Text(dir_ / "out/image.log.json"));
  EXPECT_NE(json_log["state"], "complete");
  EXPECT_NE(json_log.dump().find("stopped answering"), std::string::npos) << json_log.dump(2);
  // The image holds exactly the two reads that completed, equal to the handset's first 2 MiB.
  const std::string image = Text(dir_ / "out/image.raw");
  ASSERT_EQ(image.size(), 2 * mib);
  EXPECT_EQ(std::memcmp(image.data(), lun0.data(), image.size()), 0);
  // The map says the same: 2 MiB finished, the rest never read ('?'), so --resume continues there.
  std::istringstream map(Text(dir_ / "out/image.map"));
  std::string line;
  std::regex block(R"(^0x([0-9A-F]+)\s+0x([0-9A-F]+)\s+([?*/+-])$)");
  std::vector<std::tuple<uint64_t, uint64_t, char>> blocks;
  while (std::getline(map, line)) {
    std::smatch m;
    if (std::regex_match(line, m, block)) {
      blocks.emplace_back(std::stoull(m[1], nullptr, 16), std::stoull(m[2], nullptr, 16), m[3].str()[0]);
    }
  }
  const std::vector<std::tuple<uint64_t, uint64_t, char>> expected = {
      {0, 2 * mib, '+'}, {2 * mib, sectors * sim::kEdlSimSectorSize - 2 * mib, '?'}};
  EXPECT_EQ(blocks, expected) << Text(dir_ / "out/image.map");
}

// A file the handset refuses to hand over (sync FAIL): listed with the device's reason, everything else
// copied and hashed, and the run is not a success.
TEST_F(EdlAdbCli, AdbRefusedFileIsListedWithTheReasonAndTheRunIsIncomplete) {
  const std::vector<uint8_t> photo = RandomFile(70000, 10);
  Write(dir_ / "tree/sdcard/DCIM/p.jpg", photo);
  Write(dir_ / "tree/sdcard/a.txt", {'h', 'i'});
  Write(dir_ / "tree/sdcard/secret.db", {'s', 'q', 'l'});
  const fs::path counters = dir_ / "counters.json";
  const int status = RunLogged(
      {(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(), "--adb-nak", "/sdcard/secret.db",
       "--counters-json", counters.string(), "--", (kBin / "interdict").string(), "--quiet", "acquire", "--source",
       "adb:", "--logical", "--adb-key", (dir_ / "lab/adbkey").string(), "--out", (dir_ / "logical").string()},
      log_);
  EXPECT_EQ(status, kExitIncomplete);
  EXPECT_EQ(nlohmann::json::parse(Text(counters))["naks"], 1);
  const auto manifest = nlohmann::json::parse(Text(dir_ / "logical/manifest.json"));
  EXPECT_EQ(manifest["files_copied"], 2);
  EXPECT_EQ(manifest["failures"], 1);
  EXPECT_NE(manifest["state"], "complete");
  bool listed = false;
  for (const auto& entry : manifest["entries"]) {
    if (entry["remote_path"] != "/sdcard/secret.db") continue;
    listed = true;
    EXPECT_NE(entry.value("error", "").find("Permission denied"), std::string::npos) << entry.dump();
  }
  EXPECT_TRUE(listed) << manifest.dump(2);
  EXPECT_EQ(*Sha256File(dir_ / "logical/files/DCIM/p.jpg"), Sha256Hex(photo.data(), photo.size()));
}

// adbd stops answering in the middle of a file: the run stops with an error, the manifest keeps what was
// copied (with hashes) and names the file that was cut short, whose received prefix is kept as it came.
TEST_F(EdlAdbCli, AdbHandsetThatStopsAnsweringMidFileStopsAndKeepsWhatWasCopied) {
  const std::vector<uint8_t> photo = RandomFile(150000, 11);
  Write(dir_ / "tree/sdcard/DCIM/p.jpg", photo);
  Write(dir_ / "tree/sdcard/a.txt", {'h', 'i'});
  const uint64_t hang_after = 50000;  // a.txt (2 bytes) first, then 49998 bytes of p.jpg
  const fs::path counters = dir_ / "counters.json";
  const int status = RunLogged(
      {(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(), "--hang-after",
       std::to_string(hang_after), "--counters-json", counters.string(), "--", (kBin / "interdict").string(),
       "--quiet", "acquire", "--source", "adb:", "--logical", "--adb-key", (dir_ / "lab/adbkey").string(), "--out",
       (dir_ / "logical").string()},
      log_);
  EXPECT_NE(status, 0);
  EXPECT_NE(status, kExitWriteCommandSeen);
  EXPECT_EQ(nlohmann::json::parse(Text(counters))["hangs"], 1);
  const auto manifest = nlohmann::json::parse(Text(dir_ / "logical/manifest.json"));
  EXPECT_EQ(manifest["state"].get<std::string>().rfind("stopped", 0), 0u) << manifest["state"];
  EXPECT_EQ(manifest["files_copied"], 1);
  bool cut_short = false;
  for (const auto& entry : manifest["entries"]) {
    if (entry["remote_path"] == "/sdcard/a.txt") {
      EXPECT_FALSE(entry.contains("error")) << entry.dump();
    }
    if (entry["remote_path"] != "/sdcard/DCIM/p.jpg") continue;
    cut_short = true;
    EXPECT_TRUE(entry.contains("error")) << entry.dump();
    EXPECT_EQ(entry["size"], hang_after - 2) << entry.dump();
    EXPECT_EQ(entry["partial"], true) << entry.dump();
    EXPECT_EQ(entry["sha256"], Sha256Hex(photo.data(), hang_after - 2)) << entry.dump();
  }
  EXPECT_TRUE(cut_short) << manifest.dump(2);
  EXPECT_EQ(Text(dir_ / "logical/files/a.txt"), "hi");
  const std::string prefix = Text(dir_ / "logical/files/DCIM/p.jpg");
  ASSERT_EQ(prefix.size(), hang_after - 2);
  EXPECT_EQ(std::memcmp(prefix.data(), photo.data(), prefix.size()), 0);
}

// Physical acquisition of a rooted handset's block device over ADB exec:dd, through the same engine: the
// image equals the device, a read cut short by the handset ends as a disconnect with the prefix kept.
TEST_F(EdlAdbCli, AdbBlockDeviceImageOverExecDdEqualsTheDevice) {
  const std::vector<uint8_t> device = RandomFile(3 * 1024 * 1024 + 5 * 512, 12);  // the last read is short
  Write(dir_ / "sda.img", device);
  fs::create_directories(dir_ / "tree/sdcard");
  const fs::path counters = dir_ / "counters.json";
  const int status = RunLogged(
      {(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(), "--adb-block",
       "/dev/block/sda=" + (dir_ / "sda.img").string(), "--counters-json", counters.string(), "--",
       (kBin / "interdict").string(), "--quiet", "acquire", "--source", "adb:", "--block", "/dev/block/sda",
       "--adb-key", (dir_ / "lab/adbkey").string(), "--hash", "md5,sha256", "--out", (dir_ / "out").string()},
      log_);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(*Sha256File(dir_ / "out/image.raw"), Sha256Hex(device.data(), device.size()));
  const auto json_log = nlohmann::json::parse(Text(dir_ / "out/image.log.json"));
  EXPECT_EQ(json_log["digests"]["sha256"], Sha256Hex(device.data(), device.size()));
  EXPECT_NE(json_log.dump().find("usb-android-adb-block"), std::string::npos);
  const auto sim = nlohmann::json::parse(Text(counters));
  EXPECT_EQ(sim["write_class_commands"], 0);
  EXPECT_EQ(sim["bytes_served"], device.size());  // every byte read exactly once

  const int hung = RunLogged(
      {(kBin / "interdict-sim").string(), "--adb-root", (dir_ / "tree").string(), "--adb-block",
       "/dev/block/sda=" + (dir_ / "sda.img").string(), "--hang-after", std::to_string(1024 * 1024 + 4096), "--",
       (kBin / "interdict").string(), "--quiet", "acquire", "--source", "adb:", "--block", "/dev/block/sda",
       "--adb-key", (dir_ / "lab/adbkey").string(), "--disconnect-wait", "1", "--out", (dir_ / "hung").string()},
      log_);
  EXPECT_EQ(hung, kExitDeviceError);
  const std::string prefix = Text(dir_ / "hung/image.raw");
  ASSERT_EQ(prefix.size(), 1024u * 1024);
  EXPECT_EQ(std::memcmp(prefix.data(), device.data(), prefix.size()), 0);
  EXPECT_NE(Text(dir_ / "hung/image.log.json").find("ADB connection lost"), std::string::npos);
}

}  // namespace
}  // namespace interdict::usb
