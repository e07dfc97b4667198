// MassStorageModel: an emulated USB mass-storage device (Bulk-Only Transport + SCSI block commands) backed
// by an image file opened read-only, at the level of bulk and control transfers, so that it can sit behind
// the umockdev usbfs emulator (UsbfsEmulator) or behind an in-process transport alike.
//
// Faults (all optional): bad LBAs (permanent medium errors, 03/11/00), STALL LBAs (the first read touching
// the LBA stalls its data phase, then succeeds when retried), short-read LBAs (the first read touching the
// LBA returns half the data with a passing CSW), timeout LBAs (the first read touching the LBA never
// completes its data phase), a disconnect once `disconnect_after_bytes` have been served (the data of the
// READ in flight is delivered, its CSW is not; the device is gone for `reconnect_after`, then answers
// again), and a slow device (`slow_us_per_mib`).
//
// It counts every command, and write-class commands separately: any write-class command (reference notes
// §3.6 deny list, vendor opcodes C0-FF) is refused with DATA PROTECT 07/27/00, reported on stderr at once,
// and makes interdict-sim exit non-zero. Thread-safe (one mutex): umockdev calls handlers from its thread.
#ifndef INTERDICT_USB_IMAGER_SIM_MASS_STORAGE_MODEL_H_
#define INTERDICT_USB_IMAGER_SIM_MASS_STORAGE_MODEL_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "protocol/scsi.h"

namespace interdict::usb::sim {

inline constexpr uint32_t kSimSectorSize = 512;
inline constexpr uint16_t kSimVendorId = 0x3412;
inline constexpr uint16_t kSimProductId = 0xCDAB;
inline constexpr std::chrono::milliseconds kDefaultReconnectAfter{500};

struct SimDeviceInfo {
  std::string manufacturer = "Interdict";
  std::string product = "Simulated Handset";
  std::string serial = "INTERDICT-SIM-0001";
  InquiryData inquiry{0, true, "INTERDCT", "SIM HANDSET", "1.00"};
};

struct SimFaults {
  std::set<uint64_t> bad_lbas;
  std::set<uint64_t> stall_lbas;
  std::set<uint64_t> short_read_lbas;
  std::set<uint64_t> timeout_lbas;
  std::optional<uint64_t> disconnect_after_bytes;
  std::chrono::milliseconds reconnect_after = kDefaultReconnectAfter;
  uint32_t slow_us_per_mib = 0;
};

struct SimCounters {
  uint64_t commands = 0;
  uint64_t reads = 0;
  uint64_t bytes_served = 0;  // READ data delivered to the host
  uint64_t write_class_commands = 0;
  uint64_t unknown_commands = 0;
  uint64_t stalls = 0;
  uint64_t timeouts = 0;
  uint64_t disconnects = 0;
  uint64_t resets = 0;
  uint64_t medium_errors = 0;
  std::map<uint8_t, uint64_t> by_opcode;
  nlohmann::json ToJson() const;
};

// What the device does with one bulk IN or OUT request.
struct BulkReply {
  enum class Kind { kData, kStall, kNoReply, kGone };
  Kind kind = Kind::kData;
  std::vector<uint8_t> data;  // IN: bytes for the host
};

class MassStorageModel {
 public:
  static Result<std::unique_ptr<MassStorageModel>> Open(const std::filesystem::path& image, SimDeviceInfo info,
                                                        SimFaults faults);
  ~MassStorageModel();

  BulkReply HostOut(std::span<const uint8_t> data);
  BulkReply HostIn(size_t length);
  // A control request on endpoint 0: `setup` is the 8-byte setup packet. kData carries the IN data stage.
  BulkReply Control(std::span<const uint8_t> setup);
  // True while the emulated cable is pulled.
  bool Gone();

  SimCounters counters() const;
  uint64_t capacity_bytes() const { return sectors_ * kSimSectorSize; }
  const SimDeviceInfo& info() const { return info_; }

 private:
  MassStorageModel() = default;
  void HandleCommand(const CommandBlockWrapper& cbw);
  void HandleRead(const CommandBlockWrapper& cbw, const ReadRequest& request);
  void Fail(uint8_t key, uint8_t asc, uint8_t ascq);
  std::vector<uint8_t> StringDescriptor(uint8_t index, uint16_t max_length) const;
  bool GoneLocked();

  enum class Phase { kIdle, kDataIn, kDataOut, kStatus };

  mutable std::mutex mutex_;
  int fd_ = -1;
  uint64_t sectors_ = 0;
  SimDeviceInfo info_;
  SimFaults faults_;
  SimCounters counters_;
  Phase phase_ = Phase::kIdle;
  std::vector<uint8_t> pending_data_;
  bool pending_stall_ = false;   // stall the data phase
  bool pending_hang_ = false;    // never answer the data phase
  bool disconnect_at_status_ = false;
  uint64_t data_out_remaining_ = 0;
  CommandStatusWrapper pending_csw_;
  std::vector<uint8_t> sense_ = EncodeFixedSense(0, 0, 0);
  std::optional<std::chrono::steady_clock::time_point> gone_until_;
};

}  // namespace interdict::usb::sim

#endif  // INTERDICT_USB_IMAGER_SIM_MASS_STORAGE_MODEL_H_
