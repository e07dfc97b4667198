// FirehoseBlockSource: one Firehose LUN, or one GPT partition of it, as a BlockSource, so the
// AcquisitionEngine (hashing, map, resume, bad ranges, raw/E01) images EDL handsets like any other source.
// Several sources share one EdlSession (one programmer upload per handset); Reconnect() re-establishes the
// session (Sahara + programmer + configure) and checks that the same handset and the same LUN size came back.
// DeviceSha256() asks the programmer for its own SHA-256 of the whole range (getsha256digest), to compare
// with the engine's hash of what was received. A Firehose timeout during a read (the programmer stopped
// answering; the raw stream is out of step) drops the session and is returned as kDisconnected, so the
// engine keeps what it has and waits for the handset instead of retrying sector by sector. Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_ENGINE_FIREHOSE_BLOCK_SOURCE_H_
#define INTERDICT_USB_IMAGER_ENGINE_FIREHOSE_BLOCK_SOURCE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/block_source.h"
#include "protocol/edl_session.h"

namespace interdict::usb {

class FirehoseBlockSource final : public BlockSource {
 public:
  // The whole of `lun`.
  static Result<std::unique_ptr<FirehoseBlockSource>> ForLun(std::shared_ptr<EdlSession> session, uint32_t lun);
  // The GPT partition called `name` on any LUN (the first LUN that has it); kNotFound if none does.
  static Result<std::unique_ptr<FirehoseBlockSource>> ForPartition(std::shared_ptr<EdlSession> session,
                                                                   const std::string& name);

  const SourceIdentity& identity() const override { return identity_; }
  uint32_t max_sectors_per_read() const override;
  Status Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) override;
  Status Reconnect() override;
  nlohmann::json Statistics() const override;

  // The device-side SHA-256 (lowercase hex) of the whole range this source covers.
  Result<std::string> DeviceSha256();
  uint32_t lun() const { return lun_; }
  uint64_t first_sector() const { return first_sector_; }

 private:
  FirehoseBlockSource(std::shared_ptr<EdlSession> session, uint32_t lun, uint64_t first_sector,
                      uint64_t sector_count, uint32_t sector_size, std::string partition);

  std::shared_ptr<EdlSession> session_;
  uint32_t lun_;
  uint64_t first_sector_;
  std::string partition_;
  SourceIdentity identity_;
};

// Opens what `--source edl:SPEC` names: SPEC = "[VID:PID[:SERIAL]]/lunN" or "[VID:PID[:SERIAL]]/PARTITION"
// (default device 05c6:9008). Runs Sahara with `programmer` (required) and Firehose configure.
Result<std::unique_ptr<FirehoseBlockSource>> OpenEdlSource(std::string_view spec,
                                                           const std::filesystem::path& programmer,
                                                           const std::string& memory_name = kDefaultEdlMemory);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_FIREHOSE_BLOCK_SOURCE_H_
