// EdlSession: one Qualcomm handset in Emergency Download mode, from Sahara to a configured Firehose
// programmer, shared by the per-LUN (or per-partition) FirehoseBlockSources that read it.
//
// Open(): opens the transport, reads the Sahara identity in command mode, uploads the programmer (hashed
// first; the hash, MSM HW ID and OEM PK hash are in Details() for the acquisition log), configures Firehose
// and asks getstorageinfo. Reconnect(): after the cable dropped, the handset boots back into the primary
// bootloader, so the whole sequence runs again; the session is the same only if the Sahara serial number
// and MSM HW ID are the same (kVerificationFailed otherwise); a handset that is on the bus but does not
// answer Sahara (hung, not yet power-cycled) is reported as still disconnected. Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_EDL_SESSION_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_EDL_SESSION_H_

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/firehose_client.h"
#include "protocol/gpt.h"
#include "protocol/mass_storage.h"
#include "protocol/sahara.h"

namespace interdict::usb {

inline constexpr uint16_t kQualcommVendorId = 0x05C6;
inline constexpr uint16_t kQualcommEdlProductId = 0x9008;
inline constexpr char kDefaultEdlMemory[] = "ufs";

struct EdlOptions {
  std::filesystem::path programmer;   // required: the signed Firehose programmer for this handset
  std::string memory_name = kDefaultEdlMemory;  // "ufs", "emmc", "nand"
};

class EdlSession {
 public:
  static Result<std::shared_ptr<EdlSession>> Open(TransportOpener opener, EdlOptions options);

  // OK while the transport is usable; kDisconnected after a transfer reported the device gone.
  bool connected() const { return firehose_ != nullptr; }
  FirehoseClient& firehose() { return *firehose_; }
  // Called by a reader that saw kDisconnected: drops the transport so the next Reconnect() starts over.
  void MarkDisconnected();
  Status Reconnect();

  const SaharaDeviceInfo& sahara() const { return sahara_; }
  // getstorageinfo of `lun`, asked once and cached.
  Result<FirehoseStorageInfo> Storage(uint32_t lun);
  uint32_t lun_count() const { return lun_count_; }
  // The primary GPT of `lun`; kNotFound when the LUN has none.
  Result<std::vector<GptPartition>> ReadGpt(uint32_t lun);

  const UsbDeviceIdentity& usb_identity() const { return usb_identity_; }
  uint64_t reconnects() const { return reconnects_; }
  // Sahara identity, programmer path/size/SHA-256, negotiated payload sizes, refusals: for the log.
  nlohmann::json Details() const;

 private:
  EdlSession(TransportOpener opener, EdlOptions options) : opener_(std::move(opener)), options_(std::move(options)) {}
  Status Start();

  TransportOpener opener_;
  EdlOptions options_;
  std::unique_ptr<UsbTransport> transport_;
  std::unique_ptr<FirehoseClient> firehose_;
  SaharaDeviceInfo sahara_;
  UsbDeviceIdentity usb_identity_;
  std::map<uint32_t, FirehoseStorageInfo> storage_;
  uint32_t lun_count_ = 0;
  uint64_t reconnects_ = 0;
  uint64_t sahara_refusals_ = 0;
  uint64_t firehose_refusals_ = 0;
  FirehoseStatistics firehose_totals_;  // of transports dropped by reconnects
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_EDL_SESSION_H_
