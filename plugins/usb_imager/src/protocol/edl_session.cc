#include "protocol/edl_session.h"

#include "protocol/sahara_client.h"

namespace interdict::usb {
namespace {

void Accumulate(FirehoseStatistics& into, const FirehoseStatistics& from) {
  into.commands_sent += from.commands_sent;
  into.reads_sent += from.reads_sent;
  into.naks += from.naks;
  into.zero_length_packets += from.zero_length_packets;
  into.digests_requested += from.digests_requested;
  into.payload_to_target = from.payload_to_target;
  into.payload_from_target = from.payload_from_target;
}

}  // namespace

Result<std::shared_ptr<EdlSession>> EdlSession::Open(TransportOpener opener, EdlOptions options) {
  std::shared_ptr<EdlSession> session(new EdlSession(std::move(opener), std::move(options)));
  INTERDICT_RETURN_IF_ERROR(session->Start());
  INTERDICT_ASSIGN_OR_RETURN(FirehoseStorageInfo first, session->Storage(0));
  session->lun_count_ = first.num_physical == 0 ? 1 : first.num_physical;
  return session;
}

Status EdlSession::Start() {
  INTERDICT_ASSIGN_OR_RETURN(transport_, opener_());
  usb_identity_ = transport_->identity();
  SaharaClient sahara(*transport_);
  auto info = sahara.IdentifyAndUpload(options_.programmer);
  sahara_refusals_ += sahara.allowlist().refused_count();
  if (!info.ok()) {
    transport_.reset();
    return info.status().WithContext("Sahara");
  }
  if (!sahara_.serial_number.empty() &&
      (info->serial_number != sahara_.serial_number || info->msm_hardware_id != sahara_.msm_hardware_id)) {
    transport_.reset();
    return Status::VerificationFailed("another handset answered: serial " + info->serial_number + " / HW ID " +
                                      info->msm_hardware_id + ", expected " + sahara_.serial_number + " / " +
                                      sahara_.msm_hardware_id);
  }
  sahara_ = *info;
  storage_.clear();  // asked again: a reconnect must prove the geometry did not change
  firehose_ = std::make_unique<FirehoseClient>(*transport_);
  Status configured = firehose_->Configure(options_.memory_name);
  if (!configured.ok()) {
    MarkDisconnected();
    return configured.WithContext("Firehose configure");
  }
  return Status::Ok();
}

void EdlSession::MarkDisconnected() {
  if (firehose_) {
    Accumulate(firehose_totals_, firehose_->statistics());
    firehose_refusals_ += firehose_->allowlist().refused_count();
  }
  firehose_.reset();
  transport_.reset();
}

Status EdlSession::Reconnect() {
  if (connected()) return Status::Ok();
  Status started = Start();
  if (started.ok()) ++reconnects_;
  // Not there yet (kNotFound from the opener), or there but not answering Sahara yet (a handset that hung
  // and has not been power-cycled), reads as "still disconnected" to the engine.
  if (started.code() == StatusCode::kNotFound || started.code() == StatusCode::kTimeout) {
    return Status::Disconnected(started.message());
  }
  return started;
}

Result<FirehoseStorageInfo> EdlSession::Storage(uint32_t lun) {
  if (auto it = storage_.find(lun); it != storage_.end()) return it->second;
  if (!connected()) return Status::Disconnected("EDL device not connected");
  INTERDICT_ASSIGN_OR_RETURN(FirehoseStorageInfo info, firehose_->GetStorageInfo(lun));
  storage_[lun] = info;
  return info;
}

Result<std::vector<GptPartition>> EdlSession::ReadGpt(uint32_t lun) {
  INTERDICT_ASSIGN_OR_RETURN(FirehoseStorageInfo info, Storage(lun));
  std::vector<uint8_t> sector(info.block_size);
  INTERDICT_RETURN_IF_ERROR(firehose_->Read(lun, kGptHeaderLba, 1, info.block_size, sector));
  INTERDICT_ASSIGN_OR_RETURN(GptHeader header, ParseGptHeader(sector, info.total_blocks));
  const uint64_t sectors = (header.EntryArrayBytes() + info.block_size - 1) / info.block_size;
  if (header.entries_lba + sectors > info.total_blocks) return Status::Corrupt("GPT entry array past the LUN's end");
  std::vector<uint8_t> entries(sectors * info.block_size);
  INTERDICT_RETURN_IF_ERROR(firehose_->Read(lun, header.entries_lba, sectors, info.block_size, entries));
  return ParseGptEntries(header, entries);
}

nlohmann::json EdlSession::Details() const {
  FirehoseStatistics stats = firehose_totals_;
  uint64_t refused = firehose_refusals_;
  if (firehose_) {
    Accumulate(stats, firehose_->statistics());
    refused += firehose_->allowlist().refused_count();
  }
  return {{"protocol", "qualcomm-edl/sahara+firehose"},
          {"sahara",
           {{"version", sahara_.protocol_version}, {"serial_number", sahara_.serial_number},
            {"msm_hw_id", sahara_.msm_hardware_id}, {"oem_pk_hash", sahara_.oem_pk_hash},
            {"sbl_version", sahara_.sbl_version}, {"refused_commands", sahara_refusals_}}},
          {"programmer",
           {{"path", sahara_.programmer_path}, {"sha256", sahara_.programmer_sha256},
            {"bytes", sahara_.programmer_bytes}, {"bytes_sent", sahara_.programmer_bytes_sent},
            {"read_requests", sahara_.read_requests}}},
          {"firehose", stats.ToJson()},
          {"firehose_refused_commands", refused},
          {"memory_name", options_.memory_name},
          {"lun_count", lun_count_},
          {"reconnects", reconnects_}};
}

}  // namespace interdict::usb
