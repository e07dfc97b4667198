// The real libusb transport and mass-storage driver against the emulated device, in this process:
// libumockdev-preload is linked first (DT_NEEDED), and the usbfs handler runs on umockdev's thread.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "protocol/mass_storage.h"
#include "sim/mass_storage_model.h"
#include "sim/usbfs_emulator.h"
#include "transport/libusb_transport.h"

namespace interdict::usb {
namespace {

constexpr uint64_t kImageBytes = 2 * 1024 * 1024;
constexpr uint32_t kSector = 512;

class UsbfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    image_ = std::filesystem::temp_directory_path() / ("usbfs_test_" + std::to_string(::getpid()) + ".img");
    std::mt19937_64 rng(42);
    data_.resize(kImageBytes);
    for (auto& b : data_) b = static_cast<uint8_t>(rng());
    std::ofstream(image_, std::ios::binary).write(reinterpret_cast<const char*>(data_.data()), data_.size());
  }
  void TearDown() override {
    device_.reset();
    emulator_.reset();
    model_.reset();
    std::filesystem::remove(image_);
  }
  void StartDevice(sim::SimFaults faults = {}) {
    auto model = sim::MassStorageModel::Open(image_, sim::SimDeviceInfo(), std::move(faults));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(model).value();
    auto emulator = sim::UsbfsEmulator::Start(*model_);
    ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
    emulator_ = std::move(emulator).value();
  }
  void OpenDevice(const std::string& selector_text = "3412:cdab") {
    auto selector = ParseDeviceSelector(selector_text);
    ASSERT_TRUE(selector.ok());
    DeviceSelector s = *selector;
    auto device = MassStorageDevice::Open([s]() -> Result<std::unique_ptr<UsbTransport>> {
      INTERDICT_ASSIGN_OR_RETURN(auto transport, LibusbTransport::Open(s));
      return std::unique_ptr<UsbTransport>(std::move(transport));
    });
    ASSERT_TRUE(device.ok()) << device.status().ToString();
    device_ = std::move(device).value();
  }

  std::filesystem::path image_;
  std::vector<uint8_t> data_;
  std::unique_ptr<sim::MassStorageModel> model_;
  std::unique_ptr<sim::UsbfsEmulator> emulator_;
  std::unique_ptr<MassStorageDevice> device_;
};

TEST_F(UsbfsTest, OpensByVidPidSerialAndReportsIdentity) {
  StartDevice();
  OpenDevice("3412:cdab:INTERDICT-SIM-0001");
  const SourceIdentity& id = device_->identity();
  EXPECT_EQ(id.uri, "usb:3412:cdab:INTERDICT-SIM-0001");
  EXPECT_EQ(id.serial, "INTERDICT-SIM-0001");
  EXPECT_EQ(id.capacity_bytes, kImageBytes);
  EXPECT_EQ(id.sector_size, kSector);
  EXPECT_EQ(device_->inquiry().vendor, "INTERDCT");
  EXPECT_EQ(device_->inquiry().product, "SIM HANDSET");
  EXPECT_EQ(id.details["manufacturer"], "Interdict");
  EXPECT_EQ(id.details["read_capacity"], "10");
}

TEST_F(UsbfsTest, OpenByWrongSerialOrBusAddressFindsNothing) {
  StartDevice();
  auto wrong_serial = ParseDeviceSelector("3412:cdab:OTHER");
  ASSERT_TRUE(wrong_serial.ok());
  EXPECT_EQ(LibusbTransport::Open(*wrong_serial).status().code(), StatusCode::kNotFound);
  auto by_address = ParseDeviceSelector("1-1");
  ASSERT_TRUE(by_address.ok());
  auto transport = LibusbTransport::Open(*by_address);
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  EXPECT_EQ((*transport)->identity().VidPid(), "3412:cdab");
  EXPECT_EQ((*transport)->max_packet_size(), 512u);
}

TEST_F(UsbfsTest, ReadsReturnTheBackingBytes) {
  StartDevice();
  OpenDevice();
  std::vector<uint8_t> buffer(64 * kSector);
  ASSERT_TRUE(device_->Read(1000, 64, buffer).ok());
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.end(), data_.begin() + 1000 * kSector));
  EXPECT_EQ(device_->Read(4095, 2, std::span<uint8_t>(buffer.data(), 2 * kSector)).code(),
            StatusCode::kInvalidArgument);  // past the end: refused before sending
}

TEST_F(UsbfsTest, EveryWriteClassCommandIsRefusedBeforeTheTransport) {
  StartDevice();
  OpenDevice();
  const uint64_t commands_before = model_->counters().commands;
  const uint64_t urbs_before = emulator_->urbs_submitted();
  std::vector<uint8_t> opcodes = {0x0A, 0x2A, 0xAA, 0x8A, 0x2E, 0xAE, 0x8E, 0x41, 0x93, 0x42,
                                  0x04, 0x07, 0x35, 0x91, 0x15, 0x55, 0x1B, 0x3B, 0xB5, 0xA1,
                                  0x85, 0x48, 0x89, 0x3F, 0x9F, 0x4C, 0x5F, 0xA4};
  for (int op = 0xC0; op <= 0xFF; ++op) opcodes.push_back(static_cast<uint8_t>(op));
  for (uint8_t op : opcodes) {
    std::vector<uint8_t> cdb(16, 0);
    cdb[0] = op;
    size_t received = 0;
    EXPECT_EQ(device_->Execute(cdb, {}, &received).code(), StatusCode::kPermissionDenied) << int(op);
  }
  EXPECT_EQ(device_->allowlist().refused_count(), opcodes.size());
  EXPECT_EQ(model_->counters().write_class_commands, 0u);
  EXPECT_EQ(model_->counters().commands, commands_before);
  EXPECT_EQ(emulator_->urbs_submitted(), urbs_before);
}

TEST_F(UsbfsTest, BadSectorFailsWithMediumErrorSenseAndNeighboursStillRead) {
  sim::SimFaults faults;
  faults.bad_lbas = {200};
  StartDevice(faults);
  OpenDevice();
  std::vector<uint8_t> buffer(8 * kSector);
  Status status = device_->Read(196, 8, buffer);
  EXPECT_EQ(status.code(), StatusCode::kUnreadable);
  EXPECT_NE(status.message().find("03/11/00"), std::string::npos) << status.message();
  std::vector<uint8_t> one(kSector);
  ASSERT_TRUE(device_->Read(199, 1, one).ok());
  EXPECT_TRUE(std::equal(one.begin(), one.end(), data_.begin() + 199 * kSector));
  EXPECT_EQ(device_->Read(200, 1, one).code(), StatusCode::kUnreadable);
  EXPECT_EQ(model_->counters().medium_errors, 2u);
}

TEST_F(UsbfsTest, StalledDataPhaseIsClearedAndTheRetrySucceeds) {
  sim::SimFaults faults;
  faults.stall_lbas = {10};
  StartDevice(faults);
  OpenDevice();
  std::vector<uint8_t> buffer(16 * kSector);
  EXPECT_EQ(device_->Read(0, 16, buffer).code(), StatusCode::kUnreadable);
  EXPECT_EQ(device_->statistics().stalls, 1u);
  ASSERT_TRUE(device_->Read(0, 16, buffer).ok());
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.end(), data_.begin()));
}

TEST_F(UsbfsTest, ShortReadIsReportedNotPadded) {
  sim::SimFaults faults;
  faults.short_read_lbas = {0};
  StartDevice(faults);
  OpenDevice();
  std::vector<uint8_t> buffer(8 * kSector);
  Status status = device_->Read(0, 8, buffer);
  EXPECT_EQ(status.code(), StatusCode::kUnreadable);
  EXPECT_NE(status.message().find("short read"), std::string::npos);
  ASSERT_TRUE(device_->Read(0, 8, buffer).ok());
}

TEST_F(UsbfsTest, DisconnectIsReportedAndTheSameDeviceReconnects) {
  sim::SimFaults faults;
  faults.disconnect_after_bytes = 64 * kSector;
  faults.reconnect_after = std::chrono::milliseconds(300);
  StartDevice(faults);
  OpenDevice();
  std::vector<uint8_t> buffer(64 * kSector);
  EXPECT_EQ(device_->Read(0, 64, buffer).code(), StatusCode::kDisconnected);
  Status again = device_->Reconnect();
  int polls = 0;
  while (again.code() == StatusCode::kDisconnected && polls++ < 100) {
    ::usleep(20'000);
    again = device_->Reconnect();
  }
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_GT(polls, 0);  // it was really away for a while
  ASSERT_TRUE(device_->Read(0, 64, buffer).ok());
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.end(), data_.begin()));
  EXPECT_EQ(model_->counters().disconnects, 1u);
  EXPECT_EQ(device_->statistics().reconnects, 1u);
}

}  // namespace
}  // namespace interdict::usb
