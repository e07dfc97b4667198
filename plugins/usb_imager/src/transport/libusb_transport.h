// LibusbTransport: UsbTransport over libusb-1.0 (synchronous API). Opens a device chosen by a
// DeviceSelector, detaches a kernel driver that holds the interface (LIBUSB_ERROR_BUSY otherwise), claims
// the first interface of the wanted class, and finds its bulk IN/OUT endpoints.
//
// Transfers: `transferred` is reported even on LIBUSB_ERROR_TIMEOUT; LIBUSB_ERROR_PIPE (STALL) clears the
// halt and reports kStalled; LIBUSB_ERROR_NO_DEVICE reports kDisconnected. Owns its libusb context, so
// several transports (and tests) do not share global state. Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_TRANSPORT_LIBUSB_TRANSPORT_H_
#define INTERDICT_USB_IMAGER_TRANSPORT_LIBUSB_TRANSPORT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "transport/usb_transport.h"

struct libusb_context;
struct libusb_device_handle;

namespace interdict::usb {

// How the user names a device: "VID:PID", "VID:PID:SERIAL" (hex ids) or "bus:address" as "B-A"
// ("1-4", decimal, as lsusb prints). Parsed from the part after "usb:" in --source.
struct DeviceSelector {
  std::optional<uint16_t> vendor_id;
  std::optional<uint16_t> product_id;
  std::optional<std::string> serial;
  std::optional<uint8_t> bus;
  std::optional<uint8_t> address;
  // Interface class to claim; 0xFF accepts any. Mass storage: 0x08.
  uint8_t interface_class = 0x08;
  std::string ToString() const;
};
Result<DeviceSelector> ParseDeviceSelector(std::string_view text);

inline constexpr uint8_t kUsbClassMassStorage = 0x08;
inline constexpr uint8_t kUsbClassAny = 0xFF;
// libusb timeouts for descriptor reads while enumerating.
inline constexpr std::chrono::milliseconds kDescriptorTimeout{1000};

// One device as seen on the bus, with each interface's class triple.
struct EnumeratedDevice {
  UsbDeviceIdentity identity;
  struct Interface {
    uint8_t number = 0, cls = 0, subclass = 0, protocol = 0;
  };
  std::vector<Interface> interfaces;
  std::string open_error;  // why strings could not be read (permissions), "" if fine
};
// Lists the devices libusb sees, reading string descriptors where the device can be opened.
Result<std::vector<EnumeratedDevice>> EnumerateUsbDevices();

class LibusbTransport final : public UsbTransport {
 public:
  // kNotFound if nothing matches, kInvalidArgument if several match and the selector is ambiguous,
  // kPermissionDenied if the OS refuses access, kDisconnected if the device vanished while opening.
  static Result<std::unique_ptr<LibusbTransport>> Open(const DeviceSelector& selector);
  ~LibusbTransport() override;

  const UsbDeviceIdentity& identity() const override { return identity_; }
  size_t max_packet_size() const override { return max_packet_size_; }
  TransferResult BulkOut(std::span<const uint8_t> data, std::chrono::milliseconds timeout,
                         ZeroLengthPacket zlp) override;
  TransferResult BulkIn(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) override;
  TransferResult Control(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                         std::span<uint8_t> data, std::chrono::milliseconds timeout) override;
  Status ClearHalt(bool in) override;
  uint8_t interface_number() const { return interface_number_; }

 private:
  LibusbTransport() = default;
  TransferResult Bulk(uint8_t endpoint, uint8_t* data, size_t length, std::chrono::milliseconds timeout);

  libusb_context* context_ = nullptr;
  libusb_device_handle* handle_ = nullptr;
  UsbDeviceIdentity identity_;
  uint8_t interface_number_ = 0;
  bool interface_claimed_ = false;
  bool reattach_kernel_driver_ = false;
  uint8_t endpoint_in_ = 0;
  uint8_t endpoint_out_ = 0;
  size_t max_packet_size_ = 512;
};

// "libusb 1.0.26.11724"
std::string LibusbVersionString();

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_TRANSPORT_LIBUSB_TRANSPORT_H_
