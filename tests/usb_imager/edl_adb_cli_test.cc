// `interdict devices` and `interdict acquire` against interdict-sim's EDL and ADB handsets: the unmodified
// binaries, real libusb, the emulated device in the parent process (umockdev preload in the child).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "edl_test_support.h"
#include "sim/edl_device_model.h"

namespace interdict::usb {
namespace {

namespace fs = std::filesystem;
const fs::path kBin = fs::path(INTERDICT_BINARY_DIR) / "bin";
constexpr int kExitWriteCommandSeen = 99;

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
  std::vector<uint8_t> photo(150000);
  std::mt19937 rng(9);
  for (auto& b : photo) b = static_cast<uint8_t>(rng());
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

}  // namespace
}  // namespace interdict::usb
