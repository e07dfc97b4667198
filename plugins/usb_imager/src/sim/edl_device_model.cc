#include "sim/edl_device_model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/hash.h"

namespace interdict::usb::sim {
namespace {

constexpr uint32_t kProgrammerImageId = 0x0D;
constexpr uint32_t kElfHeaderBytes = 64;
constexpr uint32_t kProgramHeaderBytes = 56;
constexpr uint16_t kMaxProgramHeaders = 64;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kStatusSuccess = 0x00;
constexpr uint32_t kStatusInvalidImageType = 0x09;
constexpr uint32_t kStatusAuthenticationFailed = 0x0F;
constexpr uint32_t kDoneResponseComplete = 1;
constexpr size_t kPacketSize = 512;
constexpr char kXmlHeader[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><data>";
constexpr char kXmlFooter[] = "</data>";

uint64_t Le(std::span<const uint8_t> b, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(b[offset + i]) << (8 * i);
  return v;
}
void PutLe(std::vector<uint8_t>& b, size_t offset, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}
std::vector<uint8_t> LeBytes(uint64_t v, size_t width) {
  std::vector<uint8_t> out(width);
  PutLe(out, 0, v, width);
  return out;
}
std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '"' ? std::string("&quot;") : c == '<' ? "&lt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}
bool IsWriteClass(const std::string& tag) {
  const auto& denied = FirehoseDeniedTags();
  return std::find(denied.begin(), denied.end(), tag) != denied.end();
}

}  // namespace

std::vector<uint8_t> MakeSimProgrammer(size_t payload_bytes, uint32_t seed) {
  const size_t header = kElfHeaderBytes + kProgramHeaderBytes;
  std::vector<uint8_t> elf(header + payload_bytes, 0);
  const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(elf.data(), ident, sizeof(ident));
  PutLe(elf, 16, 2, 2);        // ET_EXEC
  PutLe(elf, 18, 0xB7, 2);     // AArch64
  PutLe(elf, 20, 1, 4);
  PutLe(elf, 32, kElfHeaderBytes, 8);  // e_phoff
  PutLe(elf, 52, kElfHeaderBytes, 2);
  PutLe(elf, 54, kProgramHeaderBytes, 2);
  PutLe(elf, 56, 1, 2);        // e_phnum
  PutLe(elf, kElfHeaderBytes, kPtLoad, 4);
  PutLe(elf, kElfHeaderBytes + 8, header, 8);         // p_offset
  PutLe(elf, kElfHeaderBytes + 32, payload_bytes, 8); // p_filesz
  PutLe(elf, kElfHeaderBytes + 40, payload_bytes, 8); // p_memsz
  std::mt19937 rng(seed);
  for (size_t i = header; i < elf.size(); ++i) elf[i] = static_cast<uint8_t>(rng());
  return elf;
}

nlohmann::json EdlSimCounters::ToJson() const {
  return {{"sahara_packets", sahara_packets}, {"programmer_uploads", programmer_uploads},
          {"programmer_bytes", programmer_bytes}, {"firehose_commands", firehose_commands}, {"reads", reads},
          {"bytes_served", bytes_served}, {"digests", digests}, {"naks", naks},
          {"write_class_commands", write_class_commands}, {"unknown_commands", unknown_commands},
          {"disconnects", disconnects}, {"hangs", hangs}, {"zero_length_packets", zero_length_packets}, {"by_tag", by_tag}};
}

Result<std::unique_ptr<EdlDeviceModel>> EdlDeviceModel::Open(const std::vector<std::filesystem::path>& luns,
                                                             EdlSimIdentity identity, EdlSimFaults faults) {
  if (luns.empty() || luns.size() > kMaxFirehoseLuns) return Status::InvalidArgument("1 to 8 LUN images");
  std::unique_ptr<EdlDeviceModel> model(new EdlDeviceModel());
  for (const auto& path : luns) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::IoError("opening " + path.string());
    model->fds_.push_back(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % kEdlSimSectorSize != 0) {
      return Status::InvalidArgument(path.string() + " must be a non-empty multiple of 4096 bytes");
    }
    model->lun_sectors_.push_back(static_cast<uint64_t>(st.st_size) / kEdlSimSectorSize);
  }
  model->identity_ = std::move(identity);
  model->faults_ = std::move(faults);
  model->Restart();
  return model;
}

EdlDeviceModel::~EdlDeviceModel() {
  for (int fd : fds_) ::close(fd);
}

std::string EdlDeviceModel::DeviceRecord() const {
  return UmockdevRecordWithDescriptors(SingleInterfaceDescriptorsHex(0x05C6, 0x9008, 0xFF, 0xFF, 0xFF));
}

BulkReply EdlDeviceModel::Control(std::span<const uint8_t> setup) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (GoneLocked()) return {BulkReply::Kind::kGone, {}};
  char serial[32];
  std::snprintf(serial, sizeof(serial), "_SN:%08X", identity_.serial_number);
  return AnswerStandardControl(setup, "Qualcomm CDMA Technologies MSM", "QUSB__BULK", serial);
}

bool EdlDeviceModel::Gone() {
  std::lock_guard<std::mutex> lock(mutex_);
  return GoneLocked();
}

bool EdlDeviceModel::GoneLocked() {
  if (!gone_until_) return false;
  if (std::chrono::steady_clock::now() < *gone_until_) return true;
  gone_until_.reset();
  Restart();
  return false;
}

void EdlDeviceModel::Restart() {
  phase_ = Phase::kSahara;
  outgoing_.clear();
  programmer_.clear();
  Queue(EncodeSaharaHello(faults_.ram.empty() ? SaharaMode::kImageTransferPending : SaharaMode::kMemoryDebug,
                          kEdlSimMaxSaharaPacket));
}

void EdlDeviceModel::Queue(std::vector<uint8_t> bytes) { outgoing_.push_back(std::move(bytes)); }

void EdlDeviceModel::QueueXml(const std::string& body) {
  const std::string document = kXmlHeader + body + kXmlFooter;
  Queue(std::vector<uint8_t>(document.begin(), document.end()));
}

void EdlDeviceModel::Respond(bool ack, const std::vector<std::string>& logs, const std::string& extra) {
  // Log lines come as their own documents, as real programmers send them.
  for (const auto& line : logs) QueueXml("<log value=\"" + XmlEscape(line) + "\" />");
  QueueXml(std::string("<response value=\"") + (ack ? "ACK" : "NAK") + "\"" + extra + " />");
  if (!ack) ++counters_.naks;
}

BulkReply EdlDeviceModel::HostIn(size_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (GoneLocked()) return {BulkReply::Kind::kGone, {}};
  if (outgoing_.empty()) return {BulkReply::Kind::kNoReply, {}};  // nothing to say, or hung: the host times out
  std::vector<uint8_t>& front = outgoing_.front();
  BulkReply reply;
  const size_t n = std::min(length, front.size());
  reply.data.assign(front.begin(), front.begin() + static_cast<ptrdiff_t>(n));
  if (n == front.size()) {
    outgoing_.pop_front();
  } else {
    front.erase(front.begin(), front.begin() + static_cast<ptrdiff_t>(n));
  }
  if (n == 0) ++counters_.zero_length_packets;
  return reply;
}

BulkReply EdlDeviceModel::HostOut(std::span<const uint8_t> data) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (GoneLocked()) return {BulkReply::Kind::kGone, {}};
  BulkReply accepted;
  accepted.data.resize(data.size());
  if (data.empty() || hung_) return accepted;  // a host ZLP, or a hung programmer that no longer listens
  if (phase_ == Phase::kFirehose) return FirehoseOut(data);
  if (phase_ == Phase::kImageTransfer) {
    if (data.size() != request_length_) {
      FinishUpload(kStatusInvalidImageType);
      return accepted;
    }
    if (programmer_.size() < request_offset_ + request_length_) programmer_.resize(request_offset_ + request_length_);
    std::memcpy(programmer_.data() + request_offset_, data.data(), data.size());
    received_ += data.size();
    counters_.programmer_bytes += data.size();
    RequestNextPiece();
    return accepted;
  }
  return SaharaOut(data);
}

void EdlDeviceModel::RequestNextPiece() {
  switch (upload_stage_) {
    case UploadStage::kElfHeader: {
      std::span<const uint8_t> elf(programmer_);
      if (elf.size() < kElfHeaderBytes || elf[0] != 0x7F || elf[1] != 'E' || elf[4] != 2) {
        return FinishUpload(kStatusInvalidImageType);
      }
      const uint64_t count = Le(elf, 56, 2);
      if (Le(elf, 54, 2) != kProgramHeaderBytes || count == 0 || count > kMaxProgramHeaders) {
        return FinishUpload(kStatusInvalidImageType);
      }
      program_headers_offset_ = Le(elf, 32, 8);
      program_headers_bytes_ = count * kProgramHeaderBytes;
      if (program_headers_offset_ > kMaxProgrammerBytes) return FinishUpload(kStatusInvalidImageType);
      upload_stage_ = UploadStage::kProgramHeaders;
      request_offset_ = program_headers_offset_;
      request_length_ = program_headers_bytes_;
      break;
    }
    case UploadStage::kProgramHeaders: {
      uint64_t total = 0;
      for (uint64_t i = 0; i < program_headers_bytes_ / kProgramHeaderBytes; ++i) {
        std::span<const uint8_t> ph(programmer_.data() + program_headers_offset_ + i * kProgramHeaderBytes,
                                    kProgramHeaderBytes);
        const uint64_t offset = Le(ph, 8, 8), size = Le(ph, 32, 8);
        if (offset > kMaxProgrammerBytes || size > kMaxProgrammerBytes) return FinishUpload(kStatusInvalidImageType);
        total = std::max(total, offset + size);
      }
      programmer_.resize(total, 0);
      upload_stage_ = UploadStage::kBody;
      request_offset_ = program_headers_offset_ + program_headers_bytes_;
      request_length_ = 0;
      [[fallthrough]];
    }
    case UploadStage::kBody: {
      request_offset_ += request_length_;
      if (request_offset_ >= programmer_.size()) return FinishUpload(kStatusSuccess);
      request_length_ = std::min<uint64_t>(kEdlSimReadDataPiece, programmer_.size() - request_offset_);
      break;
    }
  }
  Queue(EncodeSaharaReadData(kProgrammerImageId, static_cast<uint32_t>(request_offset_),
                             static_cast<uint32_t>(request_length_)));
}

void EdlDeviceModel::FinishUpload(uint32_t status) {
  last_programmer_sha256_ = Sha256Hex(programmer_.data(), programmer_.size());
  if (status == kStatusSuccess && !faults_.accepted_programmer_sha256.empty() &&
      faults_.accepted_programmer_sha256 != last_programmer_sha256_) {
    status = kStatusAuthenticationFailed;
  }
  phase_ = status == kStatusSuccess ? Phase::kUploaded : Phase::kSahara;
  Queue(EncodeSaharaEndOfImage(kProgrammerImageId, status));
  if (status == kStatusSuccess) ++counters_.programmer_uploads;
}

std::vector<uint8_t> EdlDeviceModel::ExecReply(uint32_t command) const {
  switch (static_cast<SaharaExecCommand>(command)) {
    case SaharaExecCommand::kSerialNumberRead: return LeBytes(identity_.serial_number, 4);
    case SaharaExecCommand::kMsmHardwareIdRead: return LeBytes(identity_.msm_hardware_id, 8);
    case SaharaExecCommand::kOemPublicKeyHashRead: return identity_.oem_pk_hash;
    case SaharaExecCommand::kGetSoftwareVersionSbl: return LeBytes(identity_.sbl_version, 4);
    default: return {};
  }
}

BulkReply EdlDeviceModel::SaharaOut(std::span<const uint8_t> data) {
  BulkReply accepted;
  accepted.data.resize(data.size());
  ++counters_.sahara_packets;
  auto packet = ParseSaharaPacket(data);
  if (!packet.ok()) {
    std::fprintf(stderr, "interdict-sim (edl): malformed Sahara packet from the host: %s\n",
                 packet.status().ToString().c_str());
    ++counters_.unknown_commands;
    return {BulkReply::Kind::kStall, {}};
  }
  switch (packet->command) {
    case SaharaCommand::kHelloResponse:
      if (packet->mode == SaharaMode::kMemoryDebug && !faults_.ram.empty()) {
        Queue(EncodeSaharaMemoryDebug64(kEdlSimRamTableAddress, kSaharaMemoryRegionBytes));
      } else if (packet->mode == SaharaMode::kCommand) {
        phase_ = Phase::kCommandMode;
        Queue(EncodeSaharaCommandReady());
      } else if (packet->mode == SaharaMode::kImageTransferPending) {
        phase_ = Phase::kImageTransfer;
        programmer_.clear();
        upload_stage_ = UploadStage::kElfHeader;
        request_offset_ = 0;
        request_length_ = kElfHeaderBytes;
        received_ = 0;
        Queue(EncodeSaharaReadData(kProgrammerImageId, 0, kElfHeaderBytes));
      }
      break;
    case SaharaCommand::kCommandExecute: {
      const auto reply = ExecReply(packet->exec_command);
      Queue(EncodeSaharaExecuteResponse(packet->exec_command, static_cast<uint32_t>(reply.size())));
      break;
    }
    case SaharaCommand::kCommandExecuteData: Queue(ExecReply(packet->exec_command)); break;
    case SaharaCommand::kCommandSwitchMode:
      phase_ = Phase::kSahara;
      Queue(EncodeSaharaHello(packet->mode, kEdlSimMaxSaharaPacket));
      break;
    case SaharaCommand::kDone:
      if (phase_ == Phase::kUploaded) {
        phase_ = Phase::kFirehose;
        Queue(EncodeSaharaDoneResponse(kDoneResponseComplete));
        QueueXml("<log value=\"interdict-sim Firehose programmer running\" />");
      }
      break;
    case SaharaCommand::kReset: Restart(); break;
    case SaharaCommand::kMemoryRead64: {
      const auto table = EncodeSaharaMemoryTable({{kEdlSimRamBase, faults_.ram.size(), "DDR CS0", "DDRCS0.BIN"}});
      if (packet->offset == kEdlSimRamTableAddress && packet->data_length == table.size()) {
        Queue(table);
      } else if (packet->offset >= kEdlSimRamBase && packet->data_length <= faults_.ram.size() &&
                 packet->offset - kEdlSimRamBase <= faults_.ram.size() - packet->data_length) {
        const auto from = faults_.ram.begin() + static_cast<ptrdiff_t>(packet->offset - kEdlSimRamBase);
        Queue(std::vector<uint8_t>(from, from + static_cast<ptrdiff_t>(packet->data_length)));
        counters_.bytes_served += packet->data_length;
      } else {
        return {BulkReply::Kind::kStall, {}};
      }
      break;
    }
    default:
      ++counters_.unknown_commands;
      std::fprintf(stderr, "interdict-sim (edl): unexpected Sahara %s from the host\n",
                   SaharaCommandName(static_cast<uint32_t>(packet->command)).c_str());
  }
  return accepted;
}

BulkReply EdlDeviceModel::FirehoseOut(std::span<const uint8_t> data) {
  BulkReply accepted;
  accepted.data.resize(data.size());
  ++counters_.firehose_commands;
  auto document = ParseFirehoseXml(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  if (!document.ok() || document->elements.empty()) {
    ++counters_.unknown_commands;
    Respond(false, {"ERROR: malformed XML"});
    return accepted;
  }
  const FirehoseElement& element = document->elements.front();
  ++counters_.by_tag[element.tag];
  if (IsWriteClass(element.tag)) {
    ++counters_.write_class_commands;
    std::fprintf(stderr, "interdict-sim (edl): WRITE-CLASS Firehose tag <%s> reached the device (refused)\n",
                 element.tag.c_str());
    Respond(false, {"ERROR: write-class command refused by the simulator"});
    return accepted;
  }
  if (element.tag == "configure") {
    auto asked = element.GetNumber("MaxPayloadSizeToTargetInBytes", UINT64_MAX);
    if (!asked.ok() || *asked > faults_.supported_payload) {
      Respond(false, {"ERROR: requested payload too large"},
              " MaxPayloadSizeToTargetInBytesSupported=\"" + std::to_string(faults_.supported_payload) + "\"");
    } else {
      Respond(true, {}, " MaxPayloadSizeToTargetInBytes=\"" + std::to_string(*asked) +
                            "\" MaxPayloadSizeFromTargetInBytes=\"" + std::to_string(kEdlSimMaxPayload) + "\"");
    }
  } else if (element.tag == "getstorageinfo") {
    auto lun = element.GetNumber("physical_partition_number", kMaxFirehoseLuns - 1);
    if (!lun.ok() || *lun >= lun_sectors_.size()) {
      Respond(false, {"ERROR: no such LUN"});
    } else {
      nlohmann::json info = {{"storage_info",
                              {{"total_blocks", lun_sectors_[*lun]}, {"block_size", kEdlSimSectorSize},
                               {"page_size", kEdlSimSectorSize}, {"num_physical", lun_sectors_.size()},
                               {"mem_type", "UFS"}, {"prod_name", identity_.product_name},
                               {"serial_num", identity_.serial_number}}}};
      Respond(true, {"INFO: " + info.dump()});
    }
  } else if (element.tag == "read" || element.tag == "getsha256digest") {
    BulkReply read = FirehoseRead(element, element.tag == "getsha256digest");
    if (read.kind == BulkReply::Kind::kGone) return read;
  } else if (element.tag == "nop") {
    Respond(true, {"INFO: nop"});
  } else {
    ++counters_.unknown_commands;
    std::fprintf(stderr, "interdict-sim (edl): unknown Firehose tag <%s> refused\n", element.tag.c_str());
    Respond(false, {"ERROR: unknown command"});
  }
  return accepted;
}

BulkReply EdlDeviceModel::FirehoseRead(const FirehoseElement& element, bool digest_only) {
  BulkReply accepted;
  auto lun = element.GetNumber("physical_partition_number", kMaxFirehoseLuns - 1);
  auto start = element.GetNumber("start_sector", UINT64_MAX);
  auto count = element.GetNumber("num_partition_sectors", UINT64_MAX);
  auto sector = element.GetNumber("SECTOR_SIZE_IN_BYTES", kEdlSimSectorSize);
  if (!lun.ok() || !start.ok() || !count.ok() || !sector.ok() || *lun >= lun_sectors_.size() ||
      *sector != kEdlSimSectorSize || *count == 0 || *start >= lun_sectors_[*lun] ||
      *count > lun_sectors_[*lun] - *start || (!digest_only && *count * kEdlSimSectorSize > kEdlSimMaxPayload)) {
    Respond(false, {"ERROR: invalid range"});
    return accepted;
  }
  for (uint64_t s = *start; s < *start + *count; ++s) {
    if (faults_.nak_sectors.count({static_cast<uint32_t>(*lun), s}) != 0) {
      Respond(false, {"ERROR: read failed at sector " + std::to_string(s)});
      return accepted;
    }
  }
  const uint64_t bytes = *count * kEdlSimSectorSize;
  if (!digest_only && faults_.disconnect_after_bytes && !disconnect_done_ &&
      counters_.bytes_served + bytes > *faults_.disconnect_after_bytes) {
    disconnect_done_ = true;
    ++counters_.disconnects;
    gone_until_ = std::chrono::steady_clock::now() + faults_.reconnect_after;
    outgoing_.clear();
    return {BulkReply::Kind::kGone, {}};
  }
  if (!digest_only && faults_.hang_after_bytes && counters_.bytes_served + bytes > *faults_.hang_after_bytes) {
    return FirehoseHang(static_cast<uint32_t>(*lun), *start);
  }
  std::vector<uint8_t> buffer(static_cast<size_t>(digest_only ? std::min<uint64_t>(bytes, kEdlSimMaxPayload) : bytes));
  MultiHasher hasher({HashAlgorithm::kSha256});
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), bytes - done));
    const ssize_t got = ::pread(fds_[*lun], buffer.data(), n, static_cast<off_t>(*start * kEdlSimSectorSize + done));
    if (got != static_cast<ssize_t>(n)) {
      Respond(false, {"ERROR: backing image read failed"});
      return accepted;
    }
    if (digest_only) hasher.Update(buffer.data(), n);
    done += n;
  }
  if (digest_only) {
    ++counters_.digests;
    Respond(true, {"Digest " + hasher.Finish().Get(HashAlgorithm::kSha256)});
    return accepted;
  }
  ++counters_.reads;
  counters_.bytes_served += bytes;
  Respond(true, {}, " rawmode=\"true\"");
  Queue(std::move(buffer));
  if (faults_.zlp_after_aligned_raw && bytes % kPacketSize == 0) Queue({});
  Respond(true, {}, " rawmode=\"false\"");
  return accepted;
}

BulkReply EdlDeviceModel::FirehoseHang(uint32_t lun, uint64_t start) {
  const uint64_t partial = *faults_.hang_after_bytes - counters_.bytes_served;
  std::vector<uint8_t> buffer(static_cast<size_t>(partial));
  if (partial > 0 &&
      ::pread(fds_[lun], buffer.data(), buffer.size(), static_cast<off_t>(start * kEdlSimSectorSize)) !=
          static_cast<ssize_t>(buffer.size())) {
    buffer.clear();
  }
  ++counters_.reads;
  ++counters_.hangs;
  counters_.bytes_served += buffer.size();
  Respond(true, {}, " rawmode=\"true\"");
  if (!buffer.empty()) Queue(std::move(buffer));
  hung_ = true;
  std::fprintf(stderr, "interdict-sim (edl): programmer hangs after %llu bytes served\n",
               static_cast<unsigned long long>(counters_.bytes_served));
  return BulkReply{};
}

EdlSimCounters EdlDeviceModel::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

std::string EdlDeviceModel::last_programmer_sha256() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_programmer_sha256_;
}

}  // namespace interdict::usb::sim
