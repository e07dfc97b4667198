// How users name a USB device on the command line.
#include <gtest/gtest.h>

#include "transport/libusb_transport.h"

namespace interdict::usb {
namespace {

TEST(DeviceSelector, ParsesVidPidSerialAndBusAddress) {
  auto plain = ParseDeviceSelector("05c6:9008");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain->vendor_id, 0x05C6);
  EXPECT_EQ(*plain->product_id, 0x9008);
  EXPECT_FALSE(plain->serial.has_value());
  auto with_serial = ParseDeviceSelector("3412:CDAB:AB:12");  // serials may contain ':'
  ASSERT_TRUE(with_serial.ok());
  EXPECT_EQ(*with_serial->product_id, 0xCDAB);
  EXPECT_EQ(*with_serial->serial, "AB:12");
  auto bus = ParseDeviceSelector("3-14");
  ASSERT_TRUE(bus.ok());
  EXPECT_EQ(*bus->bus, 3);
  EXPECT_EQ(*bus->address, 14);
  EXPECT_EQ(bus->ToString(), "3-14");
}

TEST(DeviceSelector, RejectsMalformedSelectors) {
  for (const char* text : {"", "05c6", "zz:9008", "05c6:", "05c6:9008:", "1-", "1-300", "12345:1"}) {
    EXPECT_EQ(ParseDeviceSelector(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace interdict::usb
