// Which mode a USB device is in, recognised from its ids and interface classes, and what interdict can do
// with it: the table `interdict devices` prints. Identification only: nothing is sent to the device.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_HANDSET_MODES_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_HANDSET_MODES_H_

#include <string>

#include "transport/libusb_transport.h"

namespace interdict::usb {

struct HandsetMode {
  std::string mode;    // "qualcomm-edl", "android-adb", "mass-storage (BOT/SCSI)", ...
  std::string action;  // the command to run, or why nothing can be done
};

// Qualcomm EDL (05c6:9008), ADB (ff/42/01), fastboot (ff/42/03), USB mass storage (08/06/50), MTP/PTP
// (06/01/01), MediaTek preloader/BROM (0e8d:2000, 0e8d:0003), Samsung download mode (04e8:685d).
HandsetMode ClassifyHandset(const EnumeratedDevice& device);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_HANDSET_MODES_H_
