// MassStorageDevice: a USB Mass Storage Bulk-Only Transport LUN speaking SCSI block commands, as a
// BlockSource. Every command goes through the SCSI ReadOnlyAllowlist before the transport sees it, so no
// write-class command can leave this class (Execute() is the only way out to the transport).
//
// Error handling: CSW status 1 → REQUEST SENSE (medium error → kUnreadable with the sense in the message);
// STALL on a data phase → the transport clears the halt, then the CSW is read; phase error, bad CSW
// signature/tag or a wedged pipe → reset recovery (Bulk-Only Mass Storage Reset + clear halt on both
// endpoints); NO_DEVICE → kDisconnected. Reconnect() reopens through the TransportOpener given at
// construction and checks serial and capacity.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_MASS_STORAGE_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_MASS_STORAGE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/block_source.h"
#include "protocol/read_only_allowlist.h"
#include "protocol/scsi.h"
#include "transport/usb_transport.h"

namespace interdict::usb {

inline constexpr std::chrono::milliseconds kCommandTimeout{5000};
inline constexpr std::chrono::milliseconds kDataTimeout{20000};
inline constexpr std::chrono::milliseconds kResetTimeout{5000};
inline constexpr uint8_t kBulkOnlyResetRequest = 0xFF;
inline constexpr uint8_t kGetMaxLunRequest = 0xFE;
inline constexpr uint8_t kClassInterfaceOut = 0x21;
inline constexpr uint8_t kClassInterfaceIn = 0xA1;
// Largest READ we issue: 1 MiB keeps usbfs memory (16 MiB default) and per-transfer latency sane.
inline constexpr uint32_t kMaxReadBytes = 1024 * 1024;
inline constexpr int kMaxCswAttempts = 2;
inline constexpr uint8_t kMaxLun = 15;

using TransportOpener = std::function<Result<std::unique_ptr<UsbTransport>>()>;

struct MassStorageStatistics {
  uint64_t commands_sent = 0;
  uint64_t reads_sent = 0;
  uint64_t stalls = 0;
  uint64_t reset_recoveries = 0;
  uint64_t failed_commands = 0;
  uint64_t reconnects = 0;
};

class MassStorageDevice final : public BlockSource {
 public:
  // Opens the transport, asks Get Max LUN, INQUIRY and READ CAPACITY(10), then (16) if needed.
  static Result<std::unique_ptr<MassStorageDevice>> Open(TransportOpener opener, uint8_t lun = 0);

  const SourceIdentity& identity() const override { return identity_; }
  uint32_t max_sectors_per_read() const override { return kMaxReadBytes / identity_.sector_size; }
  Status Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) override;
  Status Reconnect() override;
  nlohmann::json Statistics() const override;

  // Sends one SCSI command. The allowlist is consulted first: a refused command returns kPermissionDenied
  // and nothing reaches the transport. `data` is the data-in buffer (empty for no data phase); *received
  // gets the number of data bytes the device returned. Public so tests can prove the refusal.
  Status Execute(std::span<const uint8_t> cdb, std::span<uint8_t> data, size_t* received);

  const InquiryData& inquiry() const { return inquiry_; }
  uint8_t max_lun() const { return max_lun_; }
  const ReadOnlyAllowlist& allowlist() const { return allowlist_; }
  const MassStorageStatistics& statistics() const { return stats_; }

 private:
  MassStorageDevice(TransportOpener opener, uint8_t lun);
  Status Initialise();
  Status ResetRecovery();
  Status RequestSense(SenseData* sense);
  Status ReadCsw(uint32_t tag, CommandStatusWrapper* csw);

  TransportOpener opener_;
  std::unique_ptr<UsbTransport> transport_;
  uint8_t lun_;
  uint8_t max_lun_ = 0;
  uint32_t next_tag_ = 1;
  ReadOnlyAllowlist allowlist_;
  InquiryData inquiry_;
  SourceIdentity identity_;
  MassStorageStatistics stats_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_MASS_STORAGE_H_
