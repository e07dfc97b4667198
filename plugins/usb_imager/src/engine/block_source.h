// BlockSource: what the AcquisitionEngine reads from. A file or block device, a USB mass-storage LUN, and
// later a Firehose partition or an ADB stream all look the same: N bytes at an LBA, a sector size, a
// capacity, and an identity that says which physical thing this is.
//
// Error contract of Read():
//   kUnreadable    at least one sector in the range could not be read (bad sector, device error); the
//                  buffer content is unspecified; the engine narrows the range down.
//   kDisconnected  the device went away; the engine pauses and calls Reconnect().
//   kTimeout       the device did not answer in time (treated like kUnreadable for that range).
//   others         the tool failed (bug, argument error): the acquisition stops.
// A source is used by one thread at a time.
#ifndef INTERDICT_USB_IMAGER_ENGINE_BLOCK_SOURCE_H_
#define INTERDICT_USB_IMAGER_ENGINE_BLOCK_SOURCE_H_

#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace interdict::usb {

struct SourceIdentity {
  std::string uri;       // "usb:3412:cdab:SER123", "file:/evidence/disk.img"
  std::string kind;      // "usb-mass-storage", "file", "block-device"
  std::string serial;    // what Reconnect() matches, with the capacity
  uint64_t capacity_bytes = 0;
  uint32_t sector_size = 0;
  nlohmann::json details = nlohmann::json::object();  // VID/PID, INQUIRY, path, ...
};

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  virtual const SourceIdentity& identity() const = 0;
  uint32_t sector_size() const { return identity().sector_size; }
  uint64_t sector_count() const { return identity().capacity_bytes / identity().sector_size; }
  // The largest number of sectors one Read() may ask for.
  virtual uint32_t max_sectors_per_read() const = 0;
  // Reads `count` sectors from `lba` into out (exactly count * sector_size bytes).
  virtual Status Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) = 0;
  // After kDisconnected: one attempt to reach the same device again. OK when it is back (same serial and
  // capacity); kDisconnected when it is not there yet; kVerificationFailed when another device answered.
  virtual Status Reconnect() = 0;
  // Protocol statistics and refusals for the acquisition log (commands sent, stalls, resets, refused).
  virtual nlohmann::json Statistics() const { return nlohmann::json::object(); }
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_BLOCK_SOURCE_H_
