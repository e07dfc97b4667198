#include "sim/emulated_usb_device.h"

#include <algorithm>
#include <cstdio>

namespace interdict::usb::sim {
namespace {

constexpr size_t kSetupPacketLength = 8;
constexpr uint8_t kRequestTypeStandardIn = 0x80;
constexpr uint8_t kRequestGetDescriptor = 0x06;
constexpr uint8_t kDescriptorTypeString = 0x03;
constexpr uint16_t kLanguageEnglishUs = 0x0409;
constexpr size_t kMaxStringCharacters = 126;  // bLength is one byte: 2 + 2 * 126 = 254

}  // namespace

std::string UmockdevRecordWithDescriptors(std::string_view descriptors_hex) {
  return "P: /devices/usb1\n"
         "N: bus/usb/001/001\n"
         "E: SUBSYSTEM=usb\n"
         "E: DRIVER=usb\n"
         "E: BUSNUM=001\n"
         "E: DEVNUM=001\n"
         "E: DEVNAME=/dev/bus/usb/001/001\n"
         "E: DEVTYPE=usb_device\n"
         "A: bConfigurationValue=1\\n\n"
         "A: busnum=1\\n\n"
         "A: devnum=1\\n\n"
         "A: speed=480\\n\n"
         "H: descriptors=" + std::string(descriptors_hex) + "\n";
}

std::string SingleInterfaceDescriptorsHex(uint16_t vendor_id, uint16_t product_id, uint8_t interface_class,
                                          uint8_t interface_subclass, uint8_t interface_protocol) {
  char hex[160];
  // Device (18 bytes, USB 2.0, EP0 64 bytes, bcdDevice 1.00, strings 1/2/3), configuration (9, total 32,
  // bus powered, 500 mA), interface 0 with 2 endpoints, bulk IN 0x81 and bulk OUT 0x02 of 512 bytes.
  std::snprintf(hex, sizeof(hex),
                "1201000200000040%02x%02x%02x%02x000101020301"
                "0902200001010080fa"
                "0904000002%02x%02x%02x00"
                "0705810200020007050202000200",
                vendor_id & 0xFF, vendor_id >> 8, product_id & 0xFF, product_id >> 8, interface_class,
                interface_subclass, interface_protocol);
  return hex;
}

BulkReply AnswerStandardControl(std::span<const uint8_t> setup, const std::string& manufacturer,
                                const std::string& product, const std::string& serial) {
  if (setup.size() < kSetupPacketLength) return {BulkReply::Kind::kStall, {}};
  const uint16_t value = static_cast<uint16_t>(setup[2] | setup[3] << 8);
  const uint16_t length = static_cast<uint16_t>(setup[6] | setup[7] << 8);
  if (setup[0] != kRequestTypeStandardIn || setup[1] != kRequestGetDescriptor ||
      (value >> 8) != kDescriptorTypeString || (value & 0xFF) > 3) {
    return {BulkReply::Kind::kStall, {}};
  }
  const uint8_t index = static_cast<uint8_t>(value & 0xFF);
  BulkReply reply;
  if (index == 0) {
    reply.data = {4, kDescriptorTypeString, kLanguageEnglishUs & 0xFF, kLanguageEnglishUs >> 8};
  } else {
    const std::string& text = index == 1 ? manufacturer : index == 2 ? product : serial;
    const size_t characters = std::min(text.size(), kMaxStringCharacters);
    reply.data.push_back(static_cast<uint8_t>(2 + 2 * characters));
    reply.data.push_back(kDescriptorTypeString);
    for (size_t i = 0; i < characters; ++i) {
      reply.data.push_back(static_cast<uint8_t>(text[i]));
      reply.data.push_back(0);
    }
  }
  if (reply.data.size() > length) reply.data.resize(length);
  return reply;
}

}  // namespace interdict::usb::sim
