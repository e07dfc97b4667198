// Qualcomm EDL end to end through the real libusb transport against the umockdev-emulated handset
// (EdlDeviceModel): Sahara identity and programmer upload, Firehose configure/getstorageinfo/read/digest,
// each LUN imaged by the AcquisitionEngine, a disconnect mid-LUN, NAKed sectors, and the write-blocker.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/hash.h"
#include "edl_test_support.h"
#include "engine/acquisition_engine.h"
#include "engine/firehose_block_source.h"
#include "output/acquisition_log.h"
#include "protocol/edl_session.h"
#include "protocol/sahara_client.h"
#include "sim/edl_device_model.h"
#include "sim/usbfs_emulator.h"
#include "transport/libusb_transport.h"

namespace interdict::usb {
namespace {

constexpr uint32_t kSector = sim::kEdlSimSectorSize;
constexpr uint64_t kLun0Sectors = 1024;  // 4 MiB with a GPT
constexpr uint64_t kLun1Sectors = 512;   // 2 MiB, no GPT
constexpr size_t kProgrammerPayload = 100 * 1024 + 17;

class EdlUsbfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("edl_usbfs_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    luns_ = {testing::MakeLunImage(kLun0Sectors, kSector, 1, {{"modem", 6, 69}, {"userdata", 70, 1017}}),
             testing::MakeLunImage(kLun1Sectors, kSector, 2, {})};
    for (size_t i = 0; i < luns_.size(); ++i) {
      lun_paths_.push_back(dir_ / ("lun" + std::to_string(i) + ".img"));
      Write(lun_paths_.back(), luns_[i]);
    }
    programmer_ = sim::MakeSimProgrammer(kProgrammerPayload, 99);
    programmer_path_ = dir_ / "prog_firehose_ddr.elf";
    Write(programmer_path_, programmer_);
  }
  void TearDown() override {
    session_.reset();
    emulator_.reset();
    model_.reset();
    std::filesystem::remove_all(dir_);
  }
  static void Write(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void StartDevice(sim::EdlSimFaults faults = {}) {
    auto model = sim::EdlDeviceModel::Open(lun_paths_, sim::EdlSimIdentity(), std::move(faults));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(model).value();
    auto emulator = sim::UsbfsEmulator::Start(*model_);
    ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
    emulator_ = std::move(emulator).value();
  }
  static TransportOpener Opener() {
    DeviceSelector selector;
    selector.vendor_id = kQualcommVendorId;
    selector.product_id = kQualcommEdlProductId;
    selector.interface_class = kUsbClassAny;
    return [selector]() -> Result<std::unique_ptr<UsbTransport>> {
      INTERDICT_ASSIGN_OR_RETURN(auto transport, LibusbTransport::Open(selector));
      return std::unique_ptr<UsbTransport>(std::move(transport));
    };
  }
  Result<std::shared_ptr<EdlSession>> OpenSession(std::filesystem::path programmer) {
    EdlOptions options;
    options.programmer = std::move(programmer);
    return EdlSession::Open(Opener(), options);
  }
  void OpenSessionOrDie() {
    auto session = OpenSession(programmer_path_);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    session_ = *session;
  }
  // Images `source` into dir_/name.raw and returns the engine's result.
  AcquisitionResult Acquire(BlockSource& source, const std::string& name, Status* status) {
    ImageWriterOptions writer_options;
    writer_options.base = dir_ / name;
    writer_options.media_size = source.identity().capacity_bytes;
    writer_options.sector_size = source.sector_size();
    auto writer = CreateImageWriter(writer_options);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    AcquisitionOptions options;
    options.map_path = dir_ / (name + ".map");
    options.reconnect_poll = std::chrono::milliseconds(20);
    options.disconnect_wait = std::chrono::milliseconds(20000);
    AcquisitionEngine engine(source, **writer, options);
    AcquisitionResult result;
    *status = engine.Run(&result);
    image_files_[name] = (*writer)->files();
    return result;
  }
  std::vector<uint8_t> ReadImage(const std::string& name) {
    std::ifstream in(image_files_.at(name).front(), std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  static std::string Sha256(const std::vector<uint8_t>& bytes) { return Sha256Hex(bytes.data(), bytes.size()); }

  std::filesystem::path dir_;
  std::vector<std::vector<uint8_t>> luns_;
  std::vector<std::filesystem::path> lun_paths_;
  std::vector<uint8_t> programmer_;
  std::filesystem::path programmer_path_;
  std::unique_ptr<sim::EdlDeviceModel> model_;
  std::unique_ptr<sim::UsbfsEmulator> emulator_;
  std::shared_ptr<EdlSession> session_;
  std::map<std::string, std::vector<std::filesystem::path>> image_files_;
};

TEST_F(EdlUsbfsTest, TwoLunDeviceIsImagedAndEveryHashAgreesWithBackingAndDevice) {
  StartDevice();
  OpenSessionOrDie();
  EXPECT_EQ(session_->lun_count(), 2u);
  EXPECT_EQ(session_->sahara().serial_number, "1234abcd");
  EXPECT_EQ(session_->sahara().msm_hardware_id, "000a50e100000000");
  std::string pk_hash;
  for (int i = 0; i < 32; ++i) pk_hash += "5a";
  EXPECT_EQ(session_->sahara().oem_pk_hash, pk_hash);
  EXPECT_EQ(session_->sahara().programmer_sha256, Sha256(programmer_));
  EXPECT_EQ(model_->last_programmer_sha256(), Sha256(programmer_));  // the device got exactly those bytes

  for (uint32_t lun = 0; lun < 2; ++lun) {
    auto source = FirehoseBlockSource::ForLun(session_, lun);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    EXPECT_EQ((*source)->identity().capacity_bytes, luns_[lun].size());
    EXPECT_EQ((*source)->identity().sector_size, kSector);
    EXPECT_EQ((*source)->identity().uri, "edl:05c6:9008:1234abcd/lun" + std::to_string(lun));
    Status run;
    const std::string name = "lun" + std::to_string(lun) + "_image";
    AcquisitionResult result = Acquire(**source, name, &run);
    ASSERT_TRUE(run.ok()) << run.ToString();
    EXPECT_EQ(result.state, "complete");
    EXPECT_EQ(result.digests.Get(HashAlgorithm::kSha256), Sha256(luns_[lun]));
    EXPECT_EQ(Sha256(ReadImage(name)), Sha256(luns_[lun]));
    auto device_digest = (*source)->DeviceSha256();
    ASSERT_TRUE(device_digest.ok()) << device_digest.status().ToString();
    EXPECT_EQ(*device_digest, result.digests.Get(HashAlgorithm::kSha256));

    // The acquisition log names the programmer that ran on the handset and its identity fuses.
    AcquisitionReport report;
    report.source = (*source)->identity();
    report.source_statistics = (*source)->Statistics();
    report.result = result;
    const std::string text = ReportToText(report);
    EXPECT_NE(text.find(Sha256(programmer_)), std::string::npos);
    EXPECT_NE(text.find("000a50e100000000"), std::string::npos);
    const nlohmann::json json = ReportToJson(report);
    EXPECT_EQ(json.dump().find(Sha256(programmer_)) != std::string::npos, true);
  }
  const sim::EdlSimCounters counters = model_->counters();
  EXPECT_EQ(counters.programmer_uploads, 1u);
  EXPECT_EQ(counters.programmer_bytes, programmer_.size());
  EXPECT_EQ(counters.bytes_served, luns_[0].size() + luns_[1].size());
  EXPECT_EQ(counters.digests, 2u);
  EXPECT_EQ(counters.write_class_commands, 0u);
  EXPECT_EQ(counters.unknown_commands, 0u);
  EXPECT_GT(counters.zero_length_packets, 0u);  // aligned raw reads were followed by ZLPs, and skipped
  EXPECT_EQ(session_->firehose().statistics().zero_length_packets, counters.zero_length_packets);
}

TEST_F(EdlUsbfsTest, NamedGptPartitionIsReadOnItsOwn) {
  StartDevice();
  OpenSessionOrDie();
  auto source = FirehoseBlockSource::ForPartition(session_, "modem");
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ((*source)->lun(), 0u);
  EXPECT_EQ((*source)->first_sector(), 6u);
  EXPECT_EQ((*source)->identity().capacity_bytes, 64u * kSector);
  Status run;
  AcquisitionResult result = Acquire(**source, "modem", &run);
  ASSERT_TRUE(run.ok()) << run.ToString();
  std::vector<uint8_t> expected(luns_[0].begin() + 6 * kSector, luns_[0].begin() + 70 * kSector);
  EXPECT_EQ(result.digests.Get(HashAlgorithm::kSha256), Sha256(expected));
  EXPECT_EQ(*(*source)->DeviceSha256(), Sha256(expected));
  EXPECT_EQ(FirehoseBlockSource::ForPartition(session_, "nosuch").status().code(), StatusCode::kNotFound);
}

TEST_F(EdlUsbfsTest, DisconnectMidLunResumesToAByteIdenticalImage) {
  sim::EdlSimFaults faults;
  faults.disconnect_after_bytes = 2 * 1024 * 1024 + 512 * 1024;  // inside LUN 0's third chunk
  faults.reconnect_after = std::chrono::milliseconds(300);
  StartDevice(faults);
  OpenSessionOrDie();
  auto source = FirehoseBlockSource::ForLun(session_, 0);
  ASSERT_TRUE(source.ok());
  Status run;
  AcquisitionResult result = Acquire(**source, "lun0_image", &run);
  ASSERT_TRUE(run.ok()) << run.ToString();
  ASSERT_EQ(result.disconnects.size(), 1u);
  EXPECT_EQ(result.disconnects[0].offset, 2u * 1024 * 1024);
  EXPECT_FALSE(result.disconnects[0].reconnected_utc.empty());
  EXPECT_EQ(Sha256(ReadImage("lun0_image")), Sha256(luns_[0]));
  EXPECT_EQ(result.digests.Get(HashAlgorithm::kSha256), Sha256(luns_[0]));
  EXPECT_EQ(session_->reconnects(), 1u);
  const sim::EdlSimCounters counters = model_->counters();
  EXPECT_EQ(counters.disconnects, 1u);
  EXPECT_EQ(counters.programmer_uploads, 2u);  // the handset rebooted into Sahara: the programmer went again
  EXPECT_EQ(counters.bytes_served, luns_[0].size());  // the interrupted chunk was never served, so nothing twice
  EXPECT_EQ(*(*source)->DeviceSha256(), Sha256(luns_[0]));
}

TEST_F(EdlUsbfsTest, NakedSectorsAreZeroFilledAndListedExactly) {
  sim::EdlSimFaults faults;
  faults.nak_sectors = {{1, 100}, {1, 101}, {1, 300}};
  StartDevice(faults);
  OpenSessionOrDie();
  auto source = FirehoseBlockSource::ForLun(session_, 1);
  ASSERT_TRUE(source.ok());
  Status run;
  AcquisitionResult result = Acquire(**source, "lun1_image", &run);
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_EQ(result.bad_sectors, 3u);
  ASSERT_EQ(result.bad_ranges.size(), 2u);
  EXPECT_EQ(result.bad_ranges[0].first_sector, 100u);
  EXPECT_EQ(result.bad_ranges[0].sector_count, 2u);
  EXPECT_EQ(result.bad_ranges[1].first_sector, 300u);
  EXPECT_NE(result.bad_ranges[0].error.find("read failed at sector"), std::string::npos);
  std::vector<uint8_t> expected = luns_[1];
  for (uint64_t s : {100, 101, 300}) std::fill_n(expected.begin() + s * kSector, kSector, 0);
  EXPECT_EQ(Sha256(ReadImage("lun1_image")), Sha256(expected));
}

TEST_F(EdlUsbfsTest, EveryWriteClassFirehoseTagIsRefusedBeforeTheDevice) {
  StartDevice();
  OpenSessionOrDie();
  const sim::EdlSimCounters before = model_->counters();
  const uint64_t urbs_before = emulator_->urbs_submitted();
  std::vector<std::string> tags = FirehoseDeniedTags();
  tags.push_back("rawprogram");
  tags.push_back("getnetdata");
  for (const auto& tag : tags) {
    FirehoseElement element;
    element.tag = tag;
    element.Set("physical_partition_number", "0").Set("start_sector", "0");
    auto answer = session_->firehose().Command(element);
    EXPECT_EQ(answer.status().code(), StatusCode::kPermissionDenied) << tag;
  }
  EXPECT_EQ(session_->firehose().allowlist().refused_count(), tags.size());
  EXPECT_EQ(emulator_->urbs_submitted(), urbs_before);
  const sim::EdlSimCounters after = model_->counters();
  EXPECT_EQ(after.firehose_commands, before.firehose_commands);
  EXPECT_EQ(after.write_class_commands, 0u);
  EXPECT_EQ(session_->Details()["firehose_refused_commands"], tags.size());
  // The session still works after the refusals.
  std::vector<uint8_t> sector(kSector);
  ASSERT_TRUE(session_->firehose().Read(1, 7, 1, kSector, sector).ok());
  EXPECT_TRUE(std::equal(sector.begin(), sector.end(), luns_[1].begin() + 7 * kSector));
}

TEST_F(EdlUsbfsTest, DeniedSaharaCommandsNeverLeaveTheHost) {
  StartDevice();
  auto transport = Opener()();
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  SaharaClient client(**transport);
  const uint64_t urbs_before = emulator_->urbs_submitted();
  for (uint32_t id : {4u, 5u, 6u, 0x20u}) {
    EXPECT_EQ(client.Send(SaharaCommandKey(SaharaCommand::kCommandExecute, id),
                          EncodeSaharaExecute(static_cast<SaharaExecCommand>(id))).code(),
              StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(client.Send(SaharaCommandKey(SaharaCommand::kHelloResponse, 1),
                        EncodeSaharaHelloResponse(SaharaMode::kImageTransferComplete)).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(emulator_->urbs_submitted(), urbs_before);
  EXPECT_EQ(model_->counters().sahara_packets, 0u);
  // Identity only: nothing is uploaded, nothing runs.
  auto info = client.Identify();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->serial_number, "1234abcd");
  EXPECT_EQ(model_->counters().programmer_bytes, 0u);
}

TEST_F(EdlUsbfsTest, WithoutAProgrammerNothingIsUploaded) {
  StartDevice();
  auto session = OpenSession("");
  EXPECT_EQ(session.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(session.status().message().find("--programmer"), std::string::npos);
  EXPECT_EQ(model_->counters().sahara_packets, 0u);
}

TEST_F(EdlUsbfsTest, ProgrammerRejectedByTheHandsetIsAClearError) {
  sim::EdlSimFaults faults;
  faults.accepted_programmer_sha256 = std::string(64, '0');
  StartDevice(faults);
  auto session = OpenSession(programmer_path_);
  EXPECT_EQ(session.status().code(), StatusCode::kVerificationFailed);
  EXPECT_NE(session.status().message().find("authentication failed"), std::string::npos);
  EXPECT_EQ(model_->counters().programmer_uploads, 0u);
  EXPECT_EQ(model_->counters().firehose_commands, 0u);
}

TEST_F(EdlUsbfsTest, ConfigureNegotiatesTheDevicesSmallerPayload) {
  sim::EdlSimFaults faults;
  faults.supported_payload = 64 * 1024;
  StartDevice(faults);
  OpenSessionOrDie();
  EXPECT_EQ(session_->firehose().statistics().payload_to_target, 64u * 1024);
  EXPECT_EQ(session_->firehose().statistics().naks, 1u);
  EXPECT_EQ(model_->counters().by_tag.at("configure"), 2u);
}

TEST_F(EdlUsbfsTest, MemoryDebugModeDumpsTheAnnouncedRamRegion) {
  sim::EdlSimFaults faults;
  faults.ram.resize(300 * 1024 + 100);
  for (size_t i = 0; i < faults.ram.size(); ++i) faults.ram[i] = static_cast<uint8_t>(i * 31 + (i >> 9));
  const std::string expected = Sha256(faults.ram);
  StartDevice(faults);
  auto transport = Opener()();
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  SaharaClient client(**transport);
  auto regions = client.EnterMemoryDebug();
  ASSERT_TRUE(regions.ok()) << regions.status().ToString();
  ASSERT_EQ(regions->size(), 1u);
  EXPECT_EQ((*regions)[0].base, sim::kEdlSimRamBase);
  EXPECT_EQ((*regions)[0].length, faults.ram.size());
  EXPECT_EQ((*regions)[0].description, "DDR CS0");
  EXPECT_EQ((*regions)[0].filename, "DDRCS0.BIN");
  MultiHasher hasher({HashAlgorithm::kSha256});
  ASSERT_TRUE(client.ReadMemory(sim::kEdlSimRamBase, faults.ram.size(), [&](std::span<const uint8_t> bytes) {
    hasher.Update(bytes.data(), bytes.size());
    return Status::Ok();
  }).ok());
  EXPECT_EQ(hasher.Finish().Get(HashAlgorithm::kSha256), expected);
  const uint64_t urbs = emulator_->urbs_submitted();
  EXPECT_EQ(client.ReadMemory(sim::kEdlSimRamBase + 16, faults.ram.size(), [](std::span<const uint8_t>) {
    return Status::Ok();
  }).code(), StatusCode::kInvalidArgument);  // past the announced region: nothing sent
  EXPECT_EQ(emulator_->urbs_submitted(), urbs);
  EXPECT_EQ(model_->counters().programmer_bytes, 0u);
}

}  // namespace
}  // namespace interdict::usb
