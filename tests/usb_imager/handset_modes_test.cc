// `interdict devices` recognition of handset modes from ids and interface classes.
#include <gtest/gtest.h>

#include "protocol/handset_modes.h"

namespace interdict::usb {
namespace {

EnumeratedDevice Device(uint16_t vid, uint16_t pid, uint8_t cls, uint8_t subclass, uint8_t protocol) {
  EnumeratedDevice d;
  d.identity.vendor_id = vid;
  d.identity.product_id = pid;
  d.identity.serial = "SER1";
  d.interfaces.push_back({0, cls, subclass, protocol});
  return d;
}

TEST(HandsetModes, RecognisesEveryModeAndSaysWhatCanBeDone) {
  HandsetMode edl = ClassifyHandset(Device(0x05C6, 0x9008, 0xFF, 0xFF, 0xFF));
  EXPECT_EQ(edl.mode, "qualcomm-edl (Sahara/Firehose)");
  EXPECT_NE(edl.action.find("--source edl:05c6:9008:SER1 --programmer FILE"), std::string::npos);
  HandsetMode adb = ClassifyHandset(Device(0x18D1, 0x4EE7, 0xFF, 0x42, 0x01));
  EXPECT_EQ(adb.mode, "android-adb");
  EXPECT_NE(adb.action.find("--source adb:SER1 --logical"), std::string::npos);
  EXPECT_EQ(ClassifyHandset(Device(0x18D1, 0x4EE0, 0xFF, 0x42, 0x03)).mode, "android-fastboot");
  HandsetMode storage = ClassifyHandset(Device(0x3412, 0xCDAB, 0x08, 0x06, 0x50));
  EXPECT_EQ(storage.mode, "mass-storage (BOT/SCSI)");
  EXPECT_NE(storage.action.find("--source usb:3412:cdab:SER1"), std::string::npos);
  EXPECT_EQ(ClassifyHandset(Device(0x04E8, 0x6860, 0x06, 0x01, 0x01)).mode, "mtp/ptp");
  EXPECT_EQ(ClassifyHandset(Device(0x0E8D, 0x2000, 0x0A, 0x00, 0x00)).mode, "mediatek-preloader/brom");
  EXPECT_EQ(ClassifyHandset(Device(0x04E8, 0x685D, 0x0A, 0x00, 0x00)).mode, "samsung-download (Odin)");
  EXPECT_EQ(ClassifyHandset(Device(0x1234, 0x5678, 0x03, 0x00, 0x00)).mode, "unknown");
}

}  // namespace
}  // namespace interdict::usb
