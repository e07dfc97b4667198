#include "protocol/handset_modes.h"

#include "protocol/adb_client.h"
#include "protocol/edl_session.h"

namespace interdict::usb {
namespace {

constexpr uint8_t kClassImage = 0x06, kSubclassStill = 0x01, kProtocolPtp = 0x01;
constexpr uint8_t kSubclassScsi = 0x06, kProtocolBulkOnly = 0x50;
constexpr uint8_t kFastbootProtocol = 0x03;
constexpr uint16_t kMediatekVendorId = 0x0E8D, kMediatekPreloader = 0x2000, kMediatekBrom = 0x0003;
constexpr uint16_t kSamsungVendorId = 0x04E8, kSamsungDownload = 0x685D;

bool HasInterface(const EnumeratedDevice& d, uint8_t cls, uint8_t subclass, uint8_t protocol) {
  for (const auto& i : d.interfaces) {
    if (i.cls == cls && i.subclass == subclass && i.protocol == protocol) return true;
  }
  return false;
}

std::string Selector(const EnumeratedDevice& d) {
  return d.identity.VidPid() + (d.identity.serial.empty() ? "" : ":" + d.identity.serial);
}

}  // namespace

HandsetMode ClassifyHandset(const EnumeratedDevice& d) {
  const uint16_t vid = d.identity.vendor_id, pid = d.identity.product_id;
  if (vid == kQualcommVendorId && pid == kQualcommEdlProductId) {
    return {"qualcomm-edl (Sahara/Firehose)",
            "physical image of every LUN or a named partition: acquire --source edl:" + Selector(d) +
                " --programmer FILE (the programmer's SHA-256 is logged)"};
  }
  if (HasInterface(d, 0xFF, kAdbInterfaceSubclass, kAdbInterfaceProtocol)) {
    return {"android-adb", "logical acquisition of files (sync): acquire --source adb:" + d.identity.serial +
                               " --logical (accept the RSA prompt on the handset); on a rooted handset also a "
                               "physical image: --block /dev/block/NAME"};
  }
  if (HasInterface(d, 0xFF, kAdbInterfaceSubclass, kFastbootProtocol)) {
    return {"android-fastboot", "identification only: fastboot cannot read user data (reboot to ADB or EDL)"};
  }
  if (HasInterface(d, kUsbClassMassStorage, kSubclassScsi, kProtocolBulkOnly)) {
    return {"mass-storage (BOT/SCSI)", "physical image: acquire --source usb:" + Selector(d)};
  }
  if (HasInterface(d, kClassImage, kSubclassStill, kProtocolPtp)) {
    return {"mtp/ptp", "not supported: MTP exposes files only while the handset is unlocked; use ADB"};
  }
  if (vid == kMediatekVendorId && (pid == kMediatekPreloader || pid == kMediatekBrom)) {
    return {"mediatek-preloader/brom", "not supported yet (MediaTek download agent)"};
  }
  if (vid == kSamsungVendorId && pid == kSamsungDownload) {
    return {"samsung-download (Odin)", "identification only: download mode offers no way to read user data"};
  }
  return {"unknown", "none"};
}

}  // namespace interdict::usb
