#include "protocol/mass_storage.h"

#include <cstdio>

namespace interdict::usb {
namespace {

constexpr int kTestUnitReadyAttempts = 3;

bool IsDisconnect(const Status& status) { return status.code() == StatusCode::kDisconnected; }

}  // namespace

MassStorageDevice::MassStorageDevice(TransportOpener opener, uint8_t lun)
    : opener_(std::move(opener)), lun_(lun), allowlist_(MakeScsiReadOnlyAllowlist()) {}

Result<std::unique_ptr<MassStorageDevice>> MassStorageDevice::Open(TransportOpener opener, uint8_t lun) {
  if (lun > kMaxLun) return Status::InvalidArgument("LUN must be 0..15");
  std::unique_ptr<MassStorageDevice> device(new MassStorageDevice(std::move(opener), lun));
  INTERDICT_ASSIGN_OR_RETURN(device->transport_, device->opener_());
  INTERDICT_RETURN_IF_ERROR(device->Initialise());
  return device;
}

Status MassStorageDevice::Initialise() {
  uint8_t max_lun = 0;
  TransferResult lun_reply = transport_->Control(kClassInterfaceIn, kGetMaxLunRequest, 0, 0,
                                                 std::span<uint8_t>(&max_lun, 1), kCommandTimeout);
  if (lun_reply.outcome == TransferOutcome::kDisconnected) return lun_reply.ToStatus("Get Max LUN");
  // Devices with one LUN may STALL Get Max LUN (BOT 3.2): that means 0.
  max_lun_ = lun_reply.ok() && lun_reply.transferred == 1 ? (max_lun & 0x0F) : 0;
  if (lun_ > max_lun_) return Status::NotFound("LUN " + std::to_string(lun_) + " not present");

  for (int attempt = 0; attempt < kTestUnitReadyAttempts; ++attempt) {
    size_t ignored = 0;
    Status ready = Execute(CdbTestUnitReady(), {}, &ignored);
    if (ready.ok()) break;
    if (IsDisconnect(ready)) return ready;
  }

  std::vector<uint8_t> reply(kInquiryReplyLength);
  size_t received = 0;
  INTERDICT_RETURN_IF_ERROR(Execute(CdbInquiry(kInquiryReplyLength), reply, &received));
  INTERDICT_ASSIGN_OR_RETURN(inquiry_, ParseInquiry(std::span<const uint8_t>(reply.data(), received)));

  std::vector<uint8_t> capacity_reply(kReadCapacity10ReplyLength);
  INTERDICT_RETURN_IF_ERROR(Execute(CdbReadCapacity10(), capacity_reply, &received));
  bool needs_16 = false;
  INTERDICT_ASSIGN_OR_RETURN(Capacity capacity,
                             ParseReadCapacity10(std::span<const uint8_t>(capacity_reply.data(), received), &needs_16));
  if (needs_16) {
    capacity_reply.assign(kReadCapacity16ReplyLength, 0);
    INTERDICT_RETURN_IF_ERROR(Execute(CdbReadCapacity16(kReadCapacity16ReplyLength), capacity_reply, &received));
    INTERDICT_ASSIGN_OR_RETURN(capacity, ParseReadCapacity16(std::span<const uint8_t>(capacity_reply.data(), received)));
  }

  const UsbDeviceIdentity& usb = transport_->identity();
  identity_.kind = "usb-mass-storage";
  identity_.uri = "usb:" + usb.VidPid() + (usb.serial.empty() ? "" : ":" + usb.serial);
  identity_.serial = usb.serial;
  identity_.sector_size = capacity.sector_size;
  identity_.capacity_bytes = capacity.sector_count() * capacity.sector_size;
  char bcd[8];
  std::snprintf(bcd, sizeof(bcd), "%04x", usb.bcd_device);
  identity_.details = {
      {"vendor_id", usb.VidPid().substr(0, 4)}, {"product_id", usb.VidPid().substr(5)},
      {"bcd_device", bcd}, {"serial", usb.serial}, {"manufacturer", usb.manufacturer},
      {"product", usb.product}, {"bus", usb.bus}, {"address", usb.address},
      {"protocol", "usb-mass-storage-bot/scsi"}, {"lun", lun_}, {"max_lun", max_lun_},
      {"inquiry", {{"vendor", inquiry_.vendor}, {"product", inquiry_.product}, {"revision", inquiry_.revision},
                   {"peripheral_device_type", inquiry_.peripheral_device_type}, {"removable", inquiry_.removable}}},
      {"last_lba", capacity.last_lba}, {"read_capacity", needs_16 ? "16" : "10"}};
  return Status::Ok();
}

Status MassStorageDevice::Execute(std::span<const uint8_t> cdb, std::span<uint8_t> data, size_t* received) {
  *received = 0;
  // The write-blocker: nothing below this line runs for a command that is not read-only.
  INTERDICT_RETURN_IF_ERROR(allowlist_.Check(ScsiCommandKey(cdb.data(), cdb.size())));
  if (!transport_) return Status::Disconnected("no transport (device disconnected)");

  CommandBlockWrapper cbw;
  cbw.tag = next_tag_++;
  cbw.data_transfer_length = static_cast<uint32_t>(data.size());
  cbw.data_in = true;
  cbw.lun = lun_;
  cbw.cdb.assign(cdb.begin(), cdb.end());
  INTERDICT_ASSIGN_OR_RETURN(auto encoded, EncodeCbw(cbw));
  ++stats_.commands_sent;
  const std::string name = allowlist_.NameOf(ScsiCommandKey(cdb.data(), cdb.size()));

  TransferResult sent = transport_->BulkOut(encoded, kCommandTimeout);
  if (!sent.ok() || sent.transferred != kCbwLength) {
    Status status = sent.ok() ? Status::Unreadable(name + ": short CBW") : sent.ToStatus(name + " CBW");
    if (!IsDisconnect(status)) (void)ResetRecovery();
    return status;
  }
  if (!data.empty()) {
    TransferResult in = transport_->BulkIn(data, kDataTimeout);
    *received = in.transferred;
    if (in.outcome == TransferOutcome::kStalled) ++stats_.stalls;  // halt cleared; the CSW follows
    if (in.outcome == TransferOutcome::kDisconnected) return in.ToStatus(name + " data");
    if (in.outcome == TransferOutcome::kTimedOut || in.outcome == TransferOutcome::kFailed ||
        in.outcome == TransferOutcome::kOverflow) {
      Status status = in.ToStatus(name + " data");
      Status reset = ResetRecovery();
      return IsDisconnect(reset) ? reset : status;
    }
  }
  CommandStatusWrapper csw;
  Status csw_status = ReadCsw(cbw.tag, &csw);
  if (!csw_status.ok()) {
    if (IsDisconnect(csw_status)) return csw_status;
    Status reset = ResetRecovery();
    return IsDisconnect(reset) ? reset : csw_status.WithContext(name);
  }
  switch (csw.status) {
    case CswStatus::kPassed:
      return Status::Ok();
    case CswStatus::kFailed: {
      ++stats_.failed_commands;
      if (cdb[0] == kOpRequestSense) return Status::Unreadable(name + " failed");
      SenseData sense;
      Status sense_status = RequestSense(&sense);
      if (IsDisconnect(sense_status)) return sense_status;
      std::string detail = sense_status.ok() ? sense.ToString() : "no sense (" + sense_status.message() + ")";
      return Status::Unreadable(name + " failed: " + detail);
    }
    case CswStatus::kPhaseError:
    default: {
      Status reset = ResetRecovery();
      return IsDisconnect(reset) ? reset : Status::Unreadable(name + ": phase error");
    }
  }
}

Status MassStorageDevice::ReadCsw(uint32_t tag, CommandStatusWrapper* csw) {
  std::array<uint8_t, kCswLength> buffer{};
  for (int attempt = 0; attempt < kMaxCswAttempts; ++attempt) {
    TransferResult in = transport_->BulkIn(buffer, kCommandTimeout);
    if (in.outcome == TransferOutcome::kStalled) {  // BOT 6.7.2: clear halt, try the CSW once more
      ++stats_.stalls;
      continue;
    }
    if (!in.ok()) return in.ToStatus("CSW");
    INTERDICT_ASSIGN_OR_RETURN(*csw, ParseCsw(std::span<const uint8_t>(buffer.data(), in.transferred)));
    if (csw->tag != tag) return Status::Corrupt("CSW tag " + std::to_string(csw->tag) + " does not match CBW tag " +
                                                std::to_string(tag));
    return Status::Ok();
  }
  return Status::Unreadable("CSW endpoint keeps stalling");
}

Status MassStorageDevice::RequestSense(SenseData* sense) {
  std::vector<uint8_t> reply(kFixedSenseLength);
  size_t received = 0;
  // Execute does not call back here when REQUEST SENSE itself fails, so this cannot recurse.
  INTERDICT_RETURN_IF_ERROR(Execute(CdbRequestSense(kFixedSenseLength), reply, &received));
  INTERDICT_ASSIGN_OR_RETURN(*sense, ParseSense(std::span<const uint8_t>(reply.data(), received)));
  return Status::Ok();
}

Status MassStorageDevice::ResetRecovery() {
  ++stats_.reset_recoveries;
  TransferResult reset = transport_->Control(kClassInterfaceOut, kBulkOnlyResetRequest, 0, 0, {}, kResetTimeout);
  if (reset.outcome == TransferOutcome::kDisconnected) return reset.ToStatus("Bulk-Only reset");
  INTERDICT_RETURN_IF_ERROR(transport_->ClearHalt(true));
  return transport_->ClearHalt(false);
}

Status MassStorageDevice::Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) {
  const uint64_t bytes = static_cast<uint64_t>(count) * identity_.sector_size;
  if (count == 0 || count > max_sectors_per_read() || out.size() != bytes) {
    return Status::InvalidArgument("read of " + std::to_string(count) + " sectors does not fit the buffer or limit");
  }
  if (lba + count > sector_count()) return Status::InvalidArgument("read past the end of the device");
  ++stats_.reads_sent;
  std::vector<uint8_t> cdb = (lba + count <= 0xFFFFFFFFull && count <= 0xFFFF)
                                 ? CdbRead10(static_cast<uint32_t>(lba), static_cast<uint16_t>(count))
                                 : CdbRead16(lba, count);
  size_t received = 0;
  INTERDICT_RETURN_IF_ERROR(Execute(cdb, out, &received));
  if (received != bytes) {
    return Status::Unreadable("short read at LBA " + std::to_string(lba) + ": " + std::to_string(received) + " of " +
                              std::to_string(bytes) + " bytes");
  }
  return Status::Ok();
}

Status MassStorageDevice::Reconnect() {
  transport_.reset();
  auto reopened = opener_();
  if (!reopened.ok()) {
    const Status& s = reopened.status();
    if (s.code() == StatusCode::kNotFound || s.code() == StatusCode::kDisconnected ||
        s.code() == StatusCode::kUnreadable || s.code() == StatusCode::kTimeout) {
      return Status::Disconnected("device not back yet: " + s.message());
    }
    return s;
  }
  transport_ = std::move(reopened).value();
  const SourceIdentity before = identity_;
  Status init = Initialise();
  if (!init.ok()) {
    transport_.reset();
    identity_ = before;
    return init.code() == StatusCode::kPermissionDenied ? init : Status::Disconnected("device not ready: " + init.message());
  }
  if (identity_.serial != before.serial || identity_.capacity_bytes != before.capacity_bytes ||
      identity_.sector_size != before.sector_size) {
    SourceIdentity other = identity_;
    identity_ = before;
    transport_.reset();
    return Status::VerificationFailed("a different device answered (serial '" + other.serial + "', " +
                                      std::to_string(other.capacity_bytes) + " bytes); expected serial '" +
                                      before.serial + "', " + std::to_string(before.capacity_bytes) + " bytes");
  }
  ++stats_.reconnects;
  return Status::Ok();
}

nlohmann::json MassStorageDevice::Statistics() const {
  return {{"commands_sent", stats_.commands_sent}, {"reads_sent", stats_.reads_sent}, {"stalls", stats_.stalls},
          {"reset_recoveries", stats_.reset_recoveries}, {"failed_commands", stats_.failed_commands},
          {"reconnects", stats_.reconnects}, {"write_class_refused", allowlist_.refused_count()}};
}

}  // namespace interdict::usb
