// ADB end to end through the real libusb transport against the umockdev-emulated handset (AdbDeviceModel):
// RSA authentication (prompt accepted, remembered, refused), logical acquisition of a directory tree with
// per-file hashes and a manifest, and the write-blocker for services and sync requests.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/hash.h"
#include "engine/adb_logical_acquisition.h"
#include "protocol/adb_client.h"
#include "sim/adb_device_model.h"
#include "sim/usbfs_emulator.h"
#include "transport/libusb_transport.h"

namespace interdict::usb {
namespace {

class AdbUsbfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("adb_usbfs_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    root_ = dir_ / "handset";
    std::filesystem::create_directories(root_ / "sdcard/DCIM/Camera");
    std::filesystem::create_directories(root_ / "sdcard/Download/empty_dir");
    WriteRandom("sdcard/DCIM/Camera/IMG_0001.jpg", 300 * 1024 + 3, 1, 1700000001);  // many DATA/WRTE pieces
    WriteRandom("sdcard/DCIM/Camera/IMG_0002.jpg", 64 * 1024, 2, 1700000002);       // exactly one DATA
    WriteRandom("sdcard/Download/notes.txt", 11, 3, 1600000000);
    WriteRandom("sdcard/Download/empty.bin", 0, 4, 1500000000);
    std::filesystem::create_symlink("/data/secret", root_ / "sdcard/link_out");
    key_path_ = dir_ / "lab" / "adbkey";
  }
  void TearDown() override {
    sync_.reset();
    connection_.reset();
    emulator_.reset();
    model_.reset();
    std::filesystem::remove_all(dir_);
  }
  void WriteRandom(const std::string& relative, size_t size, uint32_t seed, time_t mtime) {
    std::vector<uint8_t> bytes(size);
    std::mt19937 rng(seed);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    const auto path = root_ / relative;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
    ::utimensat(AT_FDCWD, path.c_str(), times, 0);
    files_[relative] = Sha256Hex(bytes.data(), bytes.size());
    mtimes_[relative] = mtime;
  }
  void StartDevice(bool user_accepts = true, std::optional<uint64_t> disconnect_after_bytes = std::nullopt) {
    sim::AdbSimOptions options;
    options.root = root_;
    options.user_accepts_prompt = user_accepts;
    options.disconnect_after_bytes = disconnect_after_bytes;
    auto model = sim::AdbDeviceModel::Open(options);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(model).value();
    auto emulator = sim::UsbfsEmulator::Start(*model_);
    ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
    emulator_ = std::move(emulator).value();
  }
  Result<std::unique_ptr<AdbConnection>> Connect() {
    DeviceSelector selector;
    selector.vendor_id = sim::kAdbSimVendorId;
    selector.product_id = sim::kAdbSimProductId;
    selector.interface_class = kUsbClassAny;
    INTERDICT_ASSIGN_OR_RETURN(auto transport, LibusbTransport::Open(selector));
    INTERDICT_ASSIGN_OR_RETURN(AdbKey key, AdbKey::LoadOrCreate(key_path_));
    return AdbConnection::Connect(std::move(transport), key, std::chrono::milliseconds(5000));
  }
  void ConnectOrDie() {
    auto connection = Connect();
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection_ = std::move(connection).value();
  }

  std::filesystem::path dir_, root_, key_path_;
  std::map<std::string, std::string> files_;
  std::map<std::string, time_t> mtimes_;
  std::unique_ptr<sim::AdbDeviceModel> model_;
  std::unique_ptr<sim::UsbfsEmulator> emulator_;
  std::unique_ptr<AdbConnection> connection_;
  std::unique_ptr<AdbSyncClient> sync_;
};

TEST_F(AdbUsbfsTest, LogicalPullCopiesEveryFileWithMatchingHashesTimesAndManifest) {
  StartDevice();
  ConnectOrDie();
  EXPECT_EQ(connection_->banner().Get("ro.product.model"), std::optional<std::string>("Simulated Handset"));
  EXPECT_TRUE(connection_->statistics().key_offered);  // first contact: the handset showed the prompt
  auto sync = AdbSyncClient::Open(*connection_);
  ASSERT_TRUE(sync.ok()) << sync.status().ToString();
  sync_ = std::move(sync).value();
  const auto out = dir_ / "logical";
  auto result = PullTree(*sync_, "/sdcard", out, {{"serial", "INTERDICT-ADB-0001"}});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->files_copied, files_.size());
  EXPECT_EQ(result->failures, 0u);
  for (const auto& [relative, sha256] : files_) {
    const auto local = out / "files" / std::filesystem::path(relative).lexically_relative("sdcard");
    ASSERT_TRUE(std::filesystem::exists(local)) << local;
    EXPECT_EQ(*Sha256File(local), sha256) << relative;
    struct stat st {};
    ASSERT_EQ(::stat(local.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtime, mtimes_[relative]) << relative;
  }
  EXPECT_FALSE(std::filesystem::exists(out / "files/link_out"));  // a symlink is listed, never followed

  std::ifstream in(result->manifest_path);
  const nlohmann::json manifest = nlohmann::json::parse(in);
  EXPECT_EQ(manifest["state"], "complete");
  EXPECT_EQ(manifest["device"]["serial"], "INTERDICT-ADB-0001");
  std::map<std::string, nlohmann::json> by_path;
  for (const auto& entry : manifest["entries"]) by_path[entry["remote_path"]] = entry;
  for (const auto& [relative, sha256] : files_) {
    const auto& entry = by_path.at("/" + relative);
    EXPECT_EQ(entry["sha256"], sha256);
    EXPECT_EQ(entry["mtime"], mtimes_[relative]);
  }
  EXPECT_EQ(by_path.at("/sdcard/link_out")["type"], "symlink");
  EXPECT_EQ(by_path.at("/sdcard/Download/empty_dir")["type"], "directory");
  EXPECT_EQ(*Sha256File(result->manifest_path), result->manifest_sha256);

  ASSERT_TRUE(sync_->Quit().ok());
  const sim::AdbSimCounters counters = model_->counters();
  EXPECT_EQ(counters.files_served, files_.size());
  EXPECT_EQ(counters.write_class_commands, 0u);
  EXPECT_EQ(counters.prompts, 1u);
}

TEST_F(AdbUsbfsTest, AcceptedKeyIsRememberedAndTheSignatureAloneAuthenticatesNextTime) {
  StartDevice();
  ConnectOrDie();
  connection_.reset();
  ConnectOrDie();
  EXPECT_FALSE(connection_->statistics().key_offered);
  const sim::AdbSimCounters counters = model_->counters();
  EXPECT_EQ(counters.prompts, 1u);
  EXPECT_EQ(counters.signatures_accepted, 1u);
  EXPECT_EQ(counters.signatures_rejected, 1u);
  ASSERT_EQ(model_->authorized_keys().size(), 1u);
  auto key = AdbKey::LoadOrCreate(key_path_);
  EXPECT_EQ(model_->authorized_keys()[0], *key->AndroidPublicKey());
}

TEST_F(AdbUsbfsTest, RefusedAuthorisationEndsWithWhatTheExaminerMustDoOnTheHandset) {
  StartDevice(/*user_accepts=*/false);
  auto connection = Connect();
  ASSERT_EQ(connection.status().code(), StatusCode::kPermissionDenied);
  const std::string message = connection.status().message();
  EXPECT_NE(message.find("unlock the screen"), std::string::npos) << message;
  EXPECT_NE(message.find("Allow USB debugging?"), std::string::npos);
  auto key = AdbKey::LoadOrCreate(key_path_);
  EXPECT_NE(message.find(*key->Fingerprint()), std::string::npos);
  EXPECT_EQ(model_->counters().prompts, 1u);
  EXPECT_TRUE(model_->counters().services.empty());
}

TEST_F(AdbUsbfsTest, EveryDeniedServiceAndSyncWriteIsRefusedBeforeTheDevice) {
  StartDevice();
  ConnectOrDie();
  auto sync = AdbSyncClient::Open(*connection_);
  ASSERT_TRUE(sync.ok());
  const uint64_t urbs_before = emulator_->urbs_submitted();
  for (const auto& service : AdbDeniedServiceExamples()) {
    EXPECT_EQ(connection_->OpenStream(service).status().code(), StatusCode::kPermissionDenied) << service;
  }
  EXPECT_EQ(connection_->allowlist().refused_count(), AdbDeniedServiceExamples().size());
  for (uint32_t id : {kSyncSend, kSyncSend2, kSyncDelete}) {
    EXPECT_EQ((*sync)->Request(id, "/sdcard/evil,0644").code(), StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(emulator_->urbs_submitted(), urbs_before);
  const sim::AdbSimCounters counters = model_->counters();
  EXPECT_EQ(counters.write_class_commands, 0u);
  EXPECT_EQ(counters.services.size(), 1u);  // only sync:
  // The allowlisted read-only command still works.
  auto stream = connection_->OpenStream("exec:getprop");
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto output = connection_->Read(*stream);
  ASSERT_TRUE(output.ok() && output->has_value());
  EXPECT_EQ(std::string((*output)->begin(), (*output)->end()), "[ro.product.model]: [Simulated Handset]\n");
}

TEST_F(AdbUsbfsTest, MissingPathAndUnreadableFileAreReportedNotFatal) {
  StartDevice();
  ConnectOrDie();
  auto sync = AdbSyncClient::Open(*connection_);
  ASSERT_TRUE(sync.ok());
  EXPECT_EQ(PullTree(**sync, "/sdcard/nothing", dir_ / "missing", {}).status().code(), StatusCode::kNotFound);
  auto stat = (*sync)->Stat("/../../etc/passwd");  // outside the handset's root: does not exist
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->mode, 0u);
  Status recv = (*sync)->Recv("/sdcard/nothing.bin", [](std::span<const uint8_t>) { return Status::Ok(); });
  EXPECT_EQ(recv.code(), StatusCode::kUnreadable);
  EXPECT_NE(recv.message().find("No such file"), std::string::npos);
}

TEST_F(AdbUsbfsTest, DisconnectMidPullStopsWithAManifestOfWhatWasCopied) {
  // LIST order is sorted and directories are walked last-in first-out: Download/ (11 + 0 bytes) is copied
  // before DCIM/Camera/, whose first file (300 KiB) crosses the threshold.
  StartDevice(true, 64 * 1024);
  ConnectOrDie();
  auto sync = AdbSyncClient::Open(*connection_);
  ASSERT_TRUE(sync.ok());
  const auto out = dir_ / "interrupted";
  auto result = PullTree(**sync, "/sdcard", out, {});
  ASSERT_EQ(result.status().code(), StatusCode::kDisconnected) << result.status().ToString();
  std::ifstream in(out / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(in);
  EXPECT_EQ(manifest["state"].get<std::string>().rfind("stopped: ", 0), 0u);
  std::map<std::string, nlohmann::json> by_path;
  for (const auto& entry : manifest["entries"]) by_path[entry["remote_path"]] = entry;
  EXPECT_EQ(by_path.at("/sdcard/Download/notes.txt")["sha256"], files_.at("sdcard/Download/notes.txt"));
  const auto& cut = by_path.at("/sdcard/DCIM/Camera/IMG_0001.jpg");
  EXPECT_FALSE(cut.contains("sha256"));
  EXPECT_NE(cut["error"].get<std::string>().find("isconnect"), std::string::npos) << cut.dump();
  EXPECT_FALSE(by_path.count("/sdcard/DCIM/Camera/IMG_0002.jpg"));  // never reached
  EXPECT_EQ(manifest["files_copied"], 2);
  EXPECT_EQ(model_->counters().write_class_commands, 0u);
}

}  // namespace
}  // namespace interdict::usb
