// EdlDeviceModel: an emulated Qualcomm handset in Emergency Download mode (05c6:9008, interface ff/ff/ff)
// for UsbfsEmulator. It speaks Sahara (HELLO, command mode with serial / MSM HW ID / OEM PK hash / SBL
// version, programmer upload by READ_DATA) and then Firehose (configure with payload negotiation,
// getstorageinfo, read in raw mode, getsha256digest, nop) over LUNs backed by image files opened read-only.
//
// Faults: NAK sectors (reads touching them are refused: an unreadable range), a disconnect when a read
// would take the served total past `disconnect_after_bytes` (the handset is gone for `reconnect_after`, then
// boots back into Sahara and needs the programmer again), a hang when a read would take the served total
// past `hang_after_bytes` (the programmer sends the raw data up to that byte, then never answers again: every
// IN transfer times out, OUT transfers are swallowed, and it stays hung until the simulator ends, as a
// crashed programmer does until the handset is power-cycled), a zero-length packet after raw data that ends on
// a 512-byte boundary, a smaller supported payload (configure is NAKed once), a programmer hash the device
// accepts (others end with "authentication failed").
// Every write-class Firehose tag (program, erase, patch, ...) or unknown tag is refused with NAK, counted,
// and reported on stderr at once; interdict-sim exits non-zero when any arrived. Thread-safe (one mutex).
#ifndef INTERDICT_USB_IMAGER_SIM_EDL_DEVICE_MODEL_H_
#define INTERDICT_USB_IMAGER_SIM_EDL_DEVICE_MODEL_H_

#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/firehose.h"
#include "protocol/sahara.h"
#include "sim/emulated_usb_device.h"

namespace interdict::usb::sim {

inline constexpr uint32_t kEdlSimSectorSize = 4096;
inline constexpr uint32_t kEdlSimMaxSaharaPacket = 0x400;
inline constexpr uint32_t kEdlSimReadDataPiece = 0x1000;
inline constexpr uint64_t kEdlSimMaxPayload = 1024 * 1024;

struct EdlSimIdentity {
  uint32_t serial_number = 0x1234ABCD;
  uint64_t msm_hardware_id = 0x000A50E100000000ull;
  std::vector<uint8_t> oem_pk_hash = std::vector<uint8_t>(32, 0x5A);
  uint32_t sbl_version = 0x00000002;
  std::string product_name = "INTERDICT-UFS";
};

struct EdlSimFaults {
  std::set<std::pair<uint32_t, uint64_t>> nak_sectors;  // (LUN, sector)
  std::optional<uint64_t> disconnect_after_bytes;
  std::chrono::milliseconds reconnect_after{500};
  std::optional<uint64_t> hang_after_bytes;
  bool zlp_after_aligned_raw = true;
  uint64_t supported_payload = kEdlSimMaxPayload;       // configure asking for more is NAKed
  std::string accepted_programmer_sha256;               // "" accepts any
  // Memory-debug mode: when not empty, the handset "crashed": its HELLO offers mode 2 and this RAM is one
  // region at kEdlSimRamBase.
  std::vector<uint8_t> ram;
};
inline constexpr uint64_t kEdlSimRamBase = 0x80000000ull;
inline constexpr uint64_t kEdlSimRamTableAddress = 0x146BF000ull;

struct EdlSimCounters {
  uint64_t sahara_packets = 0;
  uint64_t programmer_uploads = 0;
  uint64_t programmer_bytes = 0;
  uint64_t firehose_commands = 0;
  uint64_t reads = 0;
  uint64_t bytes_served = 0;
  uint64_t digests = 0;
  uint64_t naks = 0;
  uint64_t write_class_commands = 0;
  uint64_t unknown_commands = 0;
  uint64_t disconnects = 0;
  uint64_t hangs = 0;
  uint64_t zero_length_packets = 0;
  std::map<std::string, uint64_t> by_tag;
  nlohmann::json ToJson() const;
};

// A minimal ELF64 (one PT_LOAD segment of `payload_bytes` pseudo-random bytes from `seed`): what the model
// accepts as a programmer. Like a real primary bootloader, it reads the ELF header and program headers to
// learn how much to ask for.
std::vector<uint8_t> MakeSimProgrammer(size_t payload_bytes, uint32_t seed);

class EdlDeviceModel final : public EmulatedUsbDevice {
 public:
  static Result<std::unique_ptr<EdlDeviceModel>> Open(const std::vector<std::filesystem::path>& luns,
                                                      EdlSimIdentity identity, EdlSimFaults faults);
  ~EdlDeviceModel() override;

  BulkReply HostOut(std::span<const uint8_t> data) override;
  BulkReply HostIn(size_t length) override;
  BulkReply Control(std::span<const uint8_t> setup) override;
  bool Gone() override;
  std::string DeviceRecord() const override;

  EdlSimCounters counters() const;
  std::string last_programmer_sha256() const;

 private:
  EdlDeviceModel() = default;
  enum class Phase { kSahara, kCommandMode, kImageTransfer, kUploaded, kFirehose };
  bool GoneLocked();
  void Restart();  // power-on: Sahara HELLO pending
  void Queue(std::vector<uint8_t> bytes);
  void QueueXml(const std::string& body);
  void Respond(bool ack, const std::vector<std::string>& logs, const std::string& extra = "");
  BulkReply SaharaOut(std::span<const uint8_t> data);
  BulkReply FirehoseOut(std::span<const uint8_t> data);
  // Queues the answer to <read> or <getsha256digest>; kGone when the disconnect fault fires.
  BulkReply FirehoseRead(const FirehoseElement& element, bool digest_only);
  // The hang fault: ACKs the read, sends its data up to hang_after_bytes, then answers nothing ever again.
  BulkReply FirehoseHang(uint32_t lun, uint64_t start);
  std::vector<uint8_t> ExecReply(uint32_t command) const;

  mutable std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<uint64_t> lun_sectors_;
  EdlSimIdentity identity_;
  EdlSimFaults faults_;
  EdlSimCounters counters_;
  Phase phase_ = Phase::kSahara;
  std::deque<std::vector<uint8_t>> outgoing_;
  enum class UploadStage { kElfHeader, kProgramHeaders, kBody };
  void RequestNextPiece();
  void FinishUpload(uint32_t status);
  std::vector<uint8_t> programmer_;
  UploadStage upload_stage_ = UploadStage::kElfHeader;
  uint64_t request_offset_ = 0, request_length_ = 0, received_ = 0;
  uint64_t program_headers_offset_ = 0, program_headers_bytes_ = 0;
  std::string last_programmer_sha256_;
  bool disconnect_done_ = false;
  bool hung_ = false;
  std::optional<std::chrono::steady_clock::time_point> gone_until_;
};

}  // namespace interdict::usb::sim

#endif  // INTERDICT_USB_IMAGER_SIM_EDL_DEVICE_MODEL_H_
