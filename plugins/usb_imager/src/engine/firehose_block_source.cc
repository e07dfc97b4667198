#include "engine/firehose_block_source.h"

#include <algorithm>
#include <charconv>

#include "transport/libusb_transport.h"

namespace interdict::usb {

FirehoseBlockSource::FirehoseBlockSource(std::shared_ptr<EdlSession> session, uint32_t lun, uint64_t first_sector,
                                         uint64_t sector_count, uint32_t sector_size, std::string partition)
    : session_(std::move(session)), lun_(lun), first_sector_(first_sector), partition_(std::move(partition)) {
  const UsbDeviceIdentity& usb = session_->usb_identity();
  const std::string serial = session_->sahara().serial_number;
  identity_.kind = "usb-qualcomm-edl";
  identity_.uri = "edl:" + usb.VidPid() + ":" + serial + "/lun" + std::to_string(lun) +
                  (partition_.empty() ? "" : "/" + partition_);
  identity_.serial = serial;
  identity_.sector_size = sector_size;
  identity_.capacity_bytes = sector_count * sector_size;
  identity_.details = session_->Details();
  identity_.details["vendor_id"] = usb.VidPid().substr(0, 4);
  identity_.details["product_id"] = usb.VidPid().substr(5);
  identity_.details["usb_serial"] = usb.serial;
  identity_.details["lun"] = lun;
  identity_.details["first_sector"] = first_sector;
  identity_.details["sector_count"] = sector_count;
  if (!partition_.empty()) identity_.details["partition"] = partition_;
}

Result<std::unique_ptr<FirehoseBlockSource>> FirehoseBlockSource::ForLun(std::shared_ptr<EdlSession> session,
                                                                         uint32_t lun) {
  if (lun >= session->lun_count()) {
    return Status::NotFound("LUN " + std::to_string(lun) + " not present (the device has " +
                            std::to_string(session->lun_count()) + ")");
  }
  INTERDICT_ASSIGN_OR_RETURN(FirehoseStorageInfo info, session->Storage(lun));
  return std::unique_ptr<FirehoseBlockSource>(
      new FirehoseBlockSource(std::move(session), lun, 0, info.total_blocks, info.block_size, ""));
}

Result<std::unique_ptr<FirehoseBlockSource>> FirehoseBlockSource::ForPartition(std::shared_ptr<EdlSession> session,
                                                                               const std::string& name) {
  std::string searched;
  for (uint32_t lun = 0; lun < session->lun_count(); ++lun) {
    auto table = session->ReadGpt(lun);
    if (!table.ok()) {
      if (table.status().code() == StatusCode::kDisconnected) return table.status();
      searched += " lun" + std::to_string(lun) + ": " + table.status().message() + ";";
      continue;
    }
    for (const auto& partition : *table) {
      if (partition.name != name) continue;
      INTERDICT_ASSIGN_OR_RETURN(FirehoseStorageInfo info, session->Storage(lun));
      return std::unique_ptr<FirehoseBlockSource>(new FirehoseBlockSource(
          std::move(session), lun, partition.first_lba, partition.sector_count(), info.block_size, name));
    }
  }
  return Status::NotFound("no GPT partition named '" + name + "'" + (searched.empty() ? "" : " (" + searched + ")"));
}

uint32_t FirehoseBlockSource::max_sectors_per_read() const {
  return static_cast<uint32_t>(
      std::min<uint64_t>(kMaxFirehoseSectorsPerRead, kFirehoseMaxTransferBytes / identity_.sector_size));
}

Status FirehoseBlockSource::Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) {
  if (count == 0 || lba >= sector_count() || count > sector_count() - lba || count > max_sectors_per_read() ||
      out.size() != static_cast<size_t>(count) * sector_size()) {
    return Status::InvalidArgument("read of " + std::to_string(count) + " sectors at " + std::to_string(lba) +
                                   " outside the source");
  }
  if (!session_->connected()) return Status::Disconnected("EDL device not connected");
  Status read = session_->firehose().Read(lun_, first_sector_ + lba, count, sector_size(), out);
  if (read.code() == StatusCode::kDisconnected) session_->MarkDisconnected();
  if (read.code() == StatusCode::kTimeout) {
    // A programmer that stops answering mid-read leaves the raw-data stream at an unknown point: nothing
    // more on this session can be trusted, and retrying sector by sector would cost a timeout each. The
    // session is dropped and the engine waits for the handset to come back (re-entering EDL restarts
    // Sahara and the programmer), as for a disconnect.
    session_->MarkDisconnected();
    return Status::Disconnected("EDL programmer stopped answering (" + read.message() + ")");
  }
  return read;
}

Status FirehoseBlockSource::Reconnect() {
  INTERDICT_RETURN_IF_ERROR(session_->Reconnect());
  // The session checked the handset; the LUN must still have the same geometry.
  auto storage = session_->Storage(lun_);
  if (!storage.ok()) return storage.status();
  if (storage->block_size != sector_size() || first_sector_ + sector_count() > storage->total_blocks) {
    return Status::VerificationFailed("LUN " + std::to_string(lun_) + " changed size across the reconnect");
  }
  return Status::Ok();
}

nlohmann::json FirehoseBlockSource::Statistics() const { return session_->Details(); }

Result<std::string> FirehoseBlockSource::DeviceSha256() {
  if (!session_->connected()) return Status::Disconnected("EDL device not connected");
  return session_->firehose().GetSha256Digest(lun_, first_sector_, sector_count(), sector_size());
}

Result<std::unique_ptr<FirehoseBlockSource>> OpenEdlSource(std::string_view spec,
                                                           const std::filesystem::path& programmer,
                                                           const std::string& memory_name) {
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos || slash + 1 == spec.size()) {
    return Status::InvalidArgument("edl source must be edl:[VID:PID[:SERIAL]]/lunN or edl:[...]/PARTITION");
  }
  DeviceSelector selector;
  if (slash > 0) {
    INTERDICT_ASSIGN_OR_RETURN(selector, ParseDeviceSelector(spec.substr(0, slash)));
  } else {
    selector.vendor_id = kQualcommVendorId;
    selector.product_id = kQualcommEdlProductId;
  }
  selector.interface_class = kUsbClassAny;
  TransportOpener opener = [selector]() -> Result<std::unique_ptr<UsbTransport>> {
    INTERDICT_ASSIGN_OR_RETURN(auto transport, LibusbTransport::Open(selector));
    return std::unique_ptr<UsbTransport>(std::move(transport));
  };
  EdlOptions options;
  options.programmer = programmer;
  options.memory_name = memory_name;
  INTERDICT_ASSIGN_OR_RETURN(std::shared_ptr<EdlSession> session, EdlSession::Open(opener, options));
  const std::string_view target = spec.substr(slash + 1);
  if (target.rfind("lun", 0) == 0 && target.size() > 3) {
    uint32_t lun = 0;
    auto [end, ec] = std::from_chars(target.data() + 3, target.data() + target.size(), lun);
    if (ec == std::errc() && end == target.data() + target.size()) return FirehoseBlockSource::ForLun(session, lun);
  }
  return FirehoseBlockSource::ForPartition(session, std::string(target));
}

}  // namespace interdict::usb
