// UsbTransport: the byte pipe a protocol driver talks through (bulk IN/OUT plus class control requests on
// endpoint 0), independent of libusb so that mass storage, Sahara/Firehose and ADB drivers can be tested
// over any backend. Every outcome carries the number of bytes actually moved, because a USB transfer that
// times out or stalls can still have moved data (libusb sync.c; qdl PR #67).
//
// A transport is used by one thread at a time.
#ifndef INTERDICT_USB_IMAGER_TRANSPORT_USB_TRANSPORT_H_
#define INTERDICT_USB_IMAGER_TRANSPORT_USB_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace interdict::usb {

// What identifies a physical device across a disconnect: the same VID:PID and serial (Guymager matches
// serial and size; the capacity check lives in the protocol layer).
struct UsbDeviceIdentity {
  uint16_t vendor_id = 0;
  uint16_t product_id = 0;
  uint16_t bcd_device = 0;
  uint8_t bus = 0;
  uint8_t address = 0;
  uint8_t interface_class = 0;
  uint8_t interface_subclass = 0;
  uint8_t interface_protocol = 0;
  std::string serial;        // iSerialNumber string, "" if the device has none
  std::string manufacturer;  // iManufacturer string
  std::string product;       // iProduct string
  std::string VidPid() const;  // "3412:cdab"
};

enum class TransferOutcome {
  kOk,
  kStalled,       // the endpoint halted; the transport has already cleared the halt
  kTimedOut,      // `transferred` may still be non-zero
  kDisconnected,  // the device went away (LIBUSB_ERROR_NO_DEVICE)
  kOverflow,      // the device sent more than asked for
  kFailed,        // any other transport error
};
std::string_view TransferOutcomeName(TransferOutcome outcome);

struct TransferResult {
  TransferOutcome outcome = TransferOutcome::kOk;
  size_t transferred = 0;
  std::string detail;  // libusb error name when not kOk
  bool ok() const { return outcome == TransferOutcome::kOk; }
  // kDisconnected for a disconnect, kTimeout for a timeout, kUnreadable otherwise.
  Status ToStatus(std::string_view what) const;
};

// Whether an OUT transfer whose length is an exact multiple of wMaxPacketSize is followed by a zero-length
// packet (Firehose raw mode needs it; Bulk-Only Transport must not send one).
enum class ZeroLengthPacket { kNever, kIfMultipleOfPacketSize };

class UsbTransport {
 public:
  virtual ~UsbTransport() = default;
  virtual const UsbDeviceIdentity& identity() const = 0;
  virtual size_t max_packet_size() const = 0;

  virtual TransferResult BulkOut(std::span<const uint8_t> data, std::chrono::milliseconds timeout,
                                 ZeroLengthPacket zlp = ZeroLengthPacket::kNever) = 0;
  // Reads up to buffer.size() bytes. A short read is kOk with the shorter `transferred`.
  virtual TransferResult BulkIn(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) = 0;
  // A class or vendor request on endpoint 0 (device-to-host when request_type bit 7 is set).
  virtual TransferResult Control(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                                 std::span<uint8_t> data, std::chrono::milliseconds timeout) = 0;
  // Clears a halt on the bulk IN (in = true) or OUT endpoint.
  virtual Status ClearHalt(bool in) = 0;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_TRANSPORT_USB_TRANSPORT_H_
