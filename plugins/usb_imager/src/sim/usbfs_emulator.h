// UsbfsEmulator: puts a MassStorageModel on an emulated USB bus with umockdev, at the usbfs ioctl level
// (SUBMITURB/REAPURB/DISCARDURB, CLAIMINTERFACE, CLEAR_HALT, ...), the way libusb's tests/umockdev.c does,
// so that the real libusb code and the real `interdict acquire` run unchanged against it.
//
// It creates a UMockdevTestbed (which sets UMOCKDEV_DIR in this process), attaches the ioctl handler to
// /dev/bus/usb/001/001 and then adds the device (attach first: umockdev #173). Programs that should see
// the device must run with libumockdev-preload: either linked first in DT_NEEDED (in-process tests) or
// via LD_PRELOAD in a child (interdict-sim). One emulator per process (libusb and umockdev keep globals).
#ifndef INTERDICT_USB_IMAGER_SIM_USBFS_EMULATOR_H_
#define INTERDICT_USB_IMAGER_SIM_USBFS_EMULATOR_H_

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "sim/emulated_usb_device.h"
#include "sim/mass_storage_model.h"

namespace interdict::usb::sim {

inline constexpr char kEmulatedDevicePath[] = "/dev/bus/usb/001/001";
inline constexpr char kUmockdevPreloadLibrary[] = "libumockdev-preload.so.0";

class UsbfsEmulator {
 public:
  static Result<std::unique_ptr<UsbfsEmulator>> Start(MassStorageModel& model);
  // Any device model (EDL, ADB, ...); `device` must outlive the emulator.
  static Result<std::unique_ptr<UsbfsEmulator>> Start(EmulatedUsbDevice& device);
  ~UsbfsEmulator();
  UsbfsEmulator(const UsbfsEmulator&) = delete;
  UsbfsEmulator& operator=(const UsbfsEmulator&) = delete;

  // URBs submitted and reaped (for the log and for tests).
  uint64_t urbs_submitted() const;
  // From the first URB submitted while `frozen()` is true, the device answers nothing (URBs stay in
  // flight until discarded), as a handset that locks up. Used by --kill-after so that the command cannot
  // read past the kill point, however late the killer is scheduled. Called on umockdev's ioctl thread.
  void FreezeWhen(std::function<bool()> frozen);
  struct State;

 private:
  UsbfsEmulator() = default;
  std::unique_ptr<State> state_;
};

// The device record umockdev is given: VID:PID 3412:cdab, class 08/06/50, bulk 0x81/0x02, 512-byte
// packets, High-Speed; strings 1..3 = manufacturer, product, serial.
std::string EmulatedDeviceRecord();

}  // namespace interdict::usb::sim

#endif  // INTERDICT_USB_IMAGER_SIM_USBFS_EMULATOR_H_
