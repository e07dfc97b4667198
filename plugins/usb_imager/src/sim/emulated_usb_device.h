// EmulatedUsbDevice: what UsbfsEmulator puts on the emulated bus. A device model answers bulk OUT, bulk IN
// and endpoint-0 control transfers (BulkReply: data, STALL, no reply = timeout, gone = disconnected) and
// says what umockdev should advertise (its sysfs record with the descriptor blob). The mass-storage model,
// the Qualcomm EDL model and the ADB model all sit behind it, so one usbfs handler serves every protocol.
//
// Implementations must be thread-safe: umockdev calls the handler from its own thread.
#ifndef INTERDICT_USB_IMAGER_SIM_EMULATED_USB_DEVICE_H_
#define INTERDICT_USB_IMAGER_SIM_EMULATED_USB_DEVICE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/mass_storage_model.h"

namespace interdict::usb::sim {

class EmulatedUsbDevice {
 public:
  virtual ~EmulatedUsbDevice() = default;
  virtual BulkReply HostOut(std::span<const uint8_t> data) = 0;
  virtual BulkReply HostIn(size_t length) = 0;
  virtual BulkReply Control(std::span<const uint8_t> setup) = 0;
  virtual bool Gone() = 0;
  // The umockdev device record (P:/N:/E:/A:/H: lines) for /dev/bus/usb/001/001.
  virtual std::string DeviceRecord() const = 0;
};

// The record of a High-Speed device at bus 1 address 1 whose descriptors are `descriptors_hex`.
std::string UmockdevRecordWithDescriptors(std::string_view descriptors_hex);

// Device, configuration, one interface (class/subclass/protocol) and bulk endpoints 0x81/0x02 with 512-byte
// packets, as the hex blob sysfs `descriptors` holds. Strings 1..3 = manufacturer, product, serial.
std::string SingleInterfaceDescriptorsHex(uint16_t vendor_id, uint16_t product_id, uint8_t interface_class,
                                          uint8_t interface_subclass, uint8_t interface_protocol);

// Answers GET_DESCRIPTOR(string) for indexes 0..3 from {manufacturer, product, serial}; any other request
// STALLs. For models without class requests of their own.
BulkReply AnswerStandardControl(std::span<const uint8_t> setup, const std::string& manufacturer,
                                const std::string& product, const std::string& serial);

}  // namespace interdict::usb::sim

#endif  // INTERDICT_USB_IMAGER_SIM_EMULATED_USB_DEVICE_H_
