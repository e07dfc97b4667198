#include "sim/mass_storage_model.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace interdict::usb::sim {
namespace {

constexpr uint8_t kOpModeSense6 = 0x1A;
constexpr uint8_t kRequestTypeStandardIn = 0x80;
constexpr uint8_t kRequestGetDescriptor = 0x06;
constexpr uint8_t kDescriptorTypeString = 0x03;
constexpr uint16_t kLanguageEnglishUs = 0x0409;
constexpr uint8_t kModeSenseWriteProtect = 0x80;

bool Touches(const std::set<uint64_t>& lbas, uint64_t first, uint64_t count, uint64_t* hit) {
  auto it = lbas.lower_bound(first);
  if (it == lbas.end() || *it >= first + count) return false;
  *hit = *it;
  return true;
}

}  // namespace

nlohmann::json SimCounters::ToJson() const {
  nlohmann::json opcodes = nlohmann::json::object();
  for (const auto& [opcode, count] : by_opcode) {
    char key[8];
    std::snprintf(key, sizeof(key), "0x%02X", opcode);
    opcodes[key] = count;
  }
  return {{"commands", commands}, {"reads", reads}, {"bytes_served", bytes_served},
          {"write_class_commands", write_class_commands}, {"unknown_commands", unknown_commands},
          {"stalls", stalls}, {"timeouts", timeouts}, {"disconnects", disconnects}, {"resets", resets},
          {"medium_errors", medium_errors}, {"by_opcode", opcodes}};
}

Result<std::unique_ptr<MassStorageModel>> MassStorageModel::Open(const std::filesystem::path& image,
                                                                 SimDeviceInfo info, SimFaults faults) {
  std::unique_ptr<MassStorageModel> model(new MassStorageModel());
  model->fd_ = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
  if (model->fd_ < 0) return Status::NotFound("opening " + image.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(model->fd_, &st) != 0 || st.st_size < static_cast<off_t>(kSimSectorSize)) {
    return Status::InvalidArgument(image.string() + " is smaller than one sector");
  }
  if (st.st_size % kSimSectorSize != 0) {
    return Status::InvalidArgument(image.string() + " is not a whole number of 512-byte sectors");
  }
  model->sectors_ = static_cast<uint64_t>(st.st_size) / kSimSectorSize;
  model->info_ = std::move(info);
  model->faults_ = std::move(faults);
  return model;
}

MassStorageModel::~MassStorageModel() {
  if (fd_ >= 0) ::close(fd_);
}

SimCounters MassStorageModel::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

bool MassStorageModel::Gone() {
  std::lock_guard<std::mutex> lock(mutex_);
  return GoneLocked();
}

bool MassStorageModel::GoneLocked() {
  if (!gone_until_) return false;
  if (std::chrono::steady_clock::now() < *gone_until_) return true;
  // Plugged back in: a fresh device state.
  gone_until_.reset();
  phase_ = Phase::kIdle;
  pending_data_.clear();
  sense_ = EncodeFixedSense(0, 0, 0);
  return false;
}

void MassStorageModel::Fail(uint8_t key, uint8_t asc, uint8_t ascq) {
  sense_ = EncodeFixedSense(key, asc, ascq);
  pending_csw_.status = CswStatus::kFailed;
}

BulkReply MassStorageModel::HostOut(std::span<const uint8_t> data) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (GoneLocked()) return {BulkReply::Kind::kGone, {}};
  if (phase_ == Phase::kDataOut) {
    // Data of a refused write command: swallowed, never applied.
    data_out_remaining_ -= std::min<uint64_t>(data_out_remaining_, data.size());
    if (data_out_remaining_ == 0) phase_ = Phase::kStatus;
    return {};
  }
  auto cbw = ParseCbw(data);
  if (!cbw.ok()) {
    std::fprintf(stderr, "interdict-sim: malformed CBW (%s); stalling\n", cbw.status().message().c_str());
    ++counters_.stalls;
    return {BulkReply::Kind::kStall, {}};
  }
  HandleCommand(*cbw);
  return {};
}

void MassStorageModel::HandleCommand(const CommandBlockWrapper& cbw) {
  const uint8_t opcode = cbw.cdb[0];
  ++counters_.commands;
  ++counters_.by_opcode[opcode];
  pending_csw_ = {cbw.tag, 0, CswStatus::kPassed};
  pending_data_.clear();
  pending_stall_ = false;
  pending_hang_ = false;
  const uint32_t expected = cbw.data_transfer_length;
  auto reply = [&](std::vector<uint8_t> bytes) {
    if (bytes.size() > expected) bytes.resize(expected);
    pending_csw_.data_residue = static_cast<uint32_t>(expected - bytes.size());
    pending_data_ = std::move(bytes);
  };

  if (IsScsiWriteClassOpcode(opcode)) {
    ++counters_.write_class_commands;
    std::fprintf(stderr, "interdict-sim: WRITE-CLASS COMMAND 0x%02X RECEIVED AND REFUSED (this must never happen)\n",
                 opcode);
    Fail(kSenseKeyDataProtect, 0x27, 0x00);
    pending_csw_.data_residue = expected;
    if (!cbw.data_in && expected > 0) {
      phase_ = Phase::kDataOut;
      data_out_remaining_ = expected;
    } else {
      phase_ = expected > 0 ? Phase::kDataIn : Phase::kStatus;
      pending_stall_ = expected > 0;
    }
    return;
  }

  switch (opcode) {
    case kOpTestUnitReady:
      break;
    case kOpRequestSense:
      reply(sense_);
      sense_ = EncodeFixedSense(0, 0, 0);
      break;
    case kOpInquiry:
      reply(EncodeInquiry(info_.inquiry));
      break;
    case kOpReadCapacity10:
      reply(EncodeReadCapacity10({sectors_ - 1, kSimSectorSize}));
      break;
    case kOpServiceActionIn16:
      if ((cbw.cdb[1] & 0x1F) == kServiceActionReadCapacity16) {
        reply(EncodeReadCapacity16({sectors_ - 1, kSimSectorSize}));
      } else {
        ++counters_.unknown_commands;
        Fail(kSenseKeyIllegalRequest, 0x24, 0x00);
      }
      break;
    case kOpModeSense6:
      // Mode parameter header only, with the write-protect bit set: this device is read-only.
      reply({3, 0, kModeSenseWriteProtect, 0});
      break;
    default: {
      auto read = ParseReadCdb(cbw.cdb);
      if (read.ok()) {
        HandleRead(cbw, *read);
      } else {
        ++counters_.unknown_commands;
        Fail(kSenseKeyIllegalRequest, 0x20, 0x00);
      }
      break;
    }
  }
  if (pending_csw_.status == CswStatus::kFailed && pending_data_.empty()) {
    pending_csw_.data_residue = expected;
    pending_stall_ = expected > 0;
  }
  phase_ = expected > 0 && cbw.data_in ? Phase::kDataIn : Phase::kStatus;
}

void MassStorageModel::HandleRead(const CommandBlockWrapper& cbw, const ReadRequest& request) {
  ++counters_.reads;
  const uint64_t bytes = static_cast<uint64_t>(request.count) * kSimSectorSize;
  if (request.count == 0 || request.lba + request.count > sectors_ || bytes != cbw.data_transfer_length) {
    Fail(kSenseKeyIllegalRequest, 0x21, 0x00);  // LBA out of range / length mismatch
    return;
  }
  uint64_t hit = 0;
  if (Touches(faults_.stall_lbas, request.lba, request.count, &hit)) {
    faults_.stall_lbas.erase(hit);
    ++counters_.stalls;
    Fail(kSenseKeyNotReady, 0x04, 0x01);  // becoming ready: transient
    return;
  }
  if (Touches(faults_.timeout_lbas, request.lba, request.count, &hit)) {
    faults_.timeout_lbas.erase(hit);
    ++counters_.timeouts;
    pending_hang_ = true;
    return;
  }
  uint64_t readable = request.count;
  if (Touches(faults_.bad_lbas, request.lba, request.count, &hit)) {
    readable = hit - request.lba;
    ++counters_.medium_errors;
    Fail(kSenseKeyMediumError, 0x11, 0x00);
  }
  bool short_read = false;
  if (readable == request.count && Touches(faults_.short_read_lbas, request.lba, request.count, &hit)) {
    faults_.short_read_lbas.erase(hit);
    readable = std::max<uint64_t>(1, request.count / 2);
    short_read = readable < request.count;
  }
  std::vector<uint8_t> data(readable * kSimSectorSize);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(fd_, data.data() + done, data.size() - done,
                        static_cast<off_t>(request.lba * kSimSectorSize + done));
    if (n <= 0) {
      Fail(kSenseKeyMediumError, 0x11, 0x00);
      data.resize(done / kSimSectorSize * kSimSectorSize);
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (short_read) pending_csw_.data_residue = static_cast<uint32_t>(bytes - data.size());
  if (faults_.slow_us_per_mib > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(
        static_cast<uint64_t>(faults_.slow_us_per_mib) * data.size() / (1024 * 1024) + 1));
  }
  counters_.bytes_served += data.size();
  if (faults_.disconnect_after_bytes && counters_.bytes_served >= *faults_.disconnect_after_bytes) {
    faults_.disconnect_after_bytes.reset();
    disconnect_at_status_ = true;
  }
  pending_data_ = std::move(data);
  if (pending_data_.size() < bytes && pending_data_.empty()) pending_stall_ = true;
  pending_csw_.data_residue = static_cast<uint32_t>(bytes - pending_data_.size());
}

BulkReply MassStorageModel::HostIn(size_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (GoneLocked()) return {BulkReply::Kind::kGone, {}};
  switch (phase_) {
    case Phase::kDataIn: {
      phase_ = Phase::kStatus;
      if (pending_hang_) {
        pending_hang_ = false;
        return {BulkReply::Kind::kNoReply, {}};
      }
      if (pending_stall_ || pending_data_.empty()) return {BulkReply::Kind::kStall, {}};
      BulkReply reply;
      reply.data = std::move(pending_data_);
      if (reply.data.size() > length) reply.data.resize(length);
      pending_data_.clear();
      return reply;
    }
    case Phase::kStatus: {
      if (disconnect_at_status_) {
        disconnect_at_status_ = false;
        ++counters_.disconnects;
        gone_until_ = std::chrono::steady_clock::now() + faults_.reconnect_after;
        std::fprintf(stderr, "interdict-sim: disconnecting after %llu bytes served\n",
                     static_cast<unsigned long long>(counters_.bytes_served));
        return {BulkReply::Kind::kGone, {}};
      }
      phase_ = Phase::kIdle;
      auto csw = EncodeCsw(pending_csw_);
      BulkReply reply;
      reply.data.assign(csw.begin(), csw.end());
      return reply;
    }
    default:
      ++counters_.stalls;
      return {BulkReply::Kind::kStall, {}};
  }
}

std::vector<uint8_t> MassStorageModel::StringDescriptor(uint8_t index, uint16_t max_length) const {
  std::vector<uint8_t> out;
  if (index == 0) {
    out = {4, kDescriptorTypeString, kLanguageEnglishUs & 0xFF, kLanguageEnglishUs >> 8};
  } else {
    const std::string& text = index == 1 ? info_.manufacturer : index == 2 ? info_.product : info_.serial;
    out.push_back(static_cast<uint8_t>(2 + 2 * std::min<size_t>(text.size(), 126)));
    out.push_back(kDescriptorTypeString);
    for (size_t i = 0; i < text.size() && i < 126; ++i) {
      out.push_back(static_cast<uint8_t>(text[i]));
      out.push_back(0);
    }
  }
  if (out.size() > max_length) out.resize(max_length);
  return out;
}

BulkReply MassStorageModel::Control(std::span<const uint8_t> setup) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (GoneLocked()) return {BulkReply::Kind::kGone, {}};
  if (setup.size() < 8) return {BulkReply::Kind::kStall, {}};
  const uint8_t request_type = setup[0];
  const uint8_t request = setup[1];
  const uint16_t value = static_cast<uint16_t>(setup[2] | setup[3] << 8);
  const uint16_t length = static_cast<uint16_t>(setup[6] | setup[7] << 8);
  BulkReply reply;
  if (request_type == kRequestTypeStandardIn && request == kRequestGetDescriptor &&
      (value >> 8) == kDescriptorTypeString && (value & 0xFF) <= 3) {
    reply.data = StringDescriptor(static_cast<uint8_t>(value & 0xFF), length);
    return reply;
  }
  if (request_type == 0xA1 && request == 0xFE) {  // Get Max LUN
    reply.data = {0};
    return reply;
  }
  if (request_type == 0x21 && request == 0xFF) {  // Bulk-Only Mass Storage Reset
    ++counters_.resets;
    phase_ = Phase::kIdle;
    pending_data_.clear();
    pending_hang_ = false;
    return reply;
  }
  return {BulkReply::Kind::kStall, {}};
}

}  // namespace interdict::usb::sim
