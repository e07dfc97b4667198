// AdbDeviceModel: an emulated Android handset with USB debugging on (18d1:4ee7, interface ff/42/01) for
// UsbfsEmulator, serving a directory tree through the sync: service. It demands RSA authentication: a
// signature is accepted only from a key in its authorized list; an offered public key is added when the
// simulated user accepts the prompt (`user_accepts_prompt`), otherwise the device answers with a new token,
// as adbd does when the prompt is dismissed.
//
// Services: sync: (STAT, LIST, RECV, QUIT), exec:getprop / exec:id, and on the configured block devices
// exec:blockdev --getsize64 and exec:dd (protocol/adb_block_commands.h; a short read past the end, as dd
// does). Any other service, or a sync SEND / DELE, is refused, counted as write-class and reported on
// stderr at once (interdict-sim exits non-zero).
// Paths are resolved inside the root (no escape by ".." or symlinks); files are read-only. Fault injection:
// a permanent disconnect after N bytes served; a hang (the RECV that takes the served total past N delivers
// its data up to byte N, then adbd never answers again: IN transfers time out, OUT transfers are
// swallowed); NAK paths (a RECV of them is refused with sync FAIL "Permission denied", as adbd refuses a
// file the shell user cannot read). Thread-safe.
#ifndef INTERDICT_USB_IMAGER_SIM_ADB_DEVICE_MODEL_H_
#define INTERDICT_USB_IMAGER_SIM_ADB_DEVICE_MODEL_H_

#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/adb.h"
#include "sim/emulated_usb_device.h"

namespace interdict::usb::sim {

inline constexpr uint16_t kAdbSimVendorId = 0x18D1;
inline constexpr uint16_t kAdbSimProductId = 0x4EE7;

struct AdbSimOptions {
  std::filesystem::path root;  // served as "/" on the handset
  std::string serial = "INTERDICT-ADB-0001";
  bool user_accepts_prompt = true;
  std::vector<std::string> authorized_keys;  // AUTH(RSAPUBLICKEY) payloads
  uint32_t max_payload = kAdbMaxPayload;
  // Fault: the cable is pulled (for good) once a RECV takes the served total past this many bytes; the
  // data of that RECV is never delivered.
  std::optional<uint64_t> disconnect_after_bytes;
  // Fault: adbd stops answering once a RECV takes the served total past this many bytes (see above).
  std::optional<uint64_t> hang_after_bytes;
  // Fault: device paths whose RECV is refused with sync FAIL.
  std::set<std::string> nak_paths;
  // Block devices for exec:blockdev / exec:dd (a rooted handset): device path → image file (read-only).
  std::map<std::string, std::filesystem::path> block_devices;
};

struct AdbSimCounters {
  uint64_t messages = 0, auth_tokens = 0, signatures_accepted = 0, signatures_rejected = 0, prompts = 0;
  uint64_t streams = 0, sync_requests = 0, files_served = 0, bytes_served = 0;
  uint64_t naks = 0, hangs = 0;
  uint64_t write_class_commands = 0;  // denied services and sync SEND/DELE that reached the device
  std::map<std::string, uint64_t> services;
  nlohmann::json ToJson() const;
};

class AdbDeviceModel final : public EmulatedUsbDevice {
 public:
  static Result<std::unique_ptr<AdbDeviceModel>> Open(AdbSimOptions options);

  BulkReply HostOut(std::span<const uint8_t> data) override;
  BulkReply HostIn(size_t length) override;
  BulkReply Control(std::span<const uint8_t> setup) override;
  bool Gone() override;
  std::string DeviceRecord() const override;

  AdbSimCounters counters() const;
  std::vector<std::string> authorized_keys() const;

 private:
  explicit AdbDeviceModel(AdbSimOptions options) : options_(std::move(options)) {}
  void HandleMessage(const AdbHeader& header, std::span<const uint8_t> payload);
  void Send(uint32_t command, uint32_t arg0, uint32_t arg1, std::span<const uint8_t> data = {});
  void SendToken();
  void HandleSync(uint32_t remote, uint32_t local, std::span<const uint8_t> bytes);
  void Stream(uint32_t remote, uint32_t local, const std::vector<uint8_t>& bytes);
  std::optional<std::filesystem::path> Resolve(const std::string& device_path) const;
  std::vector<uint8_t> SyncAnswer(uint32_t id, const std::string& path);
  // stdout of an allowlisted block command, or nullopt when `service` is not one.
  std::optional<std::vector<uint8_t>> BlockCommandOutput(const std::string& service);

  mutable std::mutex mutex_;
  AdbSimOptions options_;
  AdbSimCounters counters_;
  std::deque<std::vector<uint8_t>> outgoing_;
  std::optional<AdbHeader> awaiting_payload_;
  std::vector<uint8_t> token_;
  bool connected_ = false;
  bool gone_ = false;
  bool hung_ = false;
  uint32_t max_payload_ = kAdbMinPayload;
  uint32_t next_stream_ = 1;
  std::map<uint32_t, std::vector<uint8_t>> sync_buffers_;  // by our (device) stream id
  std::mt19937 rng_{20240229};
};

}  // namespace interdict::usb::sim

#endif  // INTERDICT_USB_IMAGER_SIM_ADB_DEVICE_MODEL_H_
