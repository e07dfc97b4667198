// ConnectAdbHandset: finds the ADB interface (ff/42/01) of the device with a given USB serial (any, if the
// serial is empty and exactly one ADB device is present), opens it with libusb and authenticates with the
// lab key (created on first use). Shared by logical (sync) and physical (exec:dd) acquisition.
// kNotFound when no such device is on the bus; kInvalidArgument when several are and none was named.
#ifndef INTERDICT_USB_IMAGER_ENGINE_ADB_HANDSET_H_
#define INTERDICT_USB_IMAGER_ENGINE_ADB_HANDSET_H_

#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "protocol/adb_client.h"

namespace interdict::usb {

struct AdbHandset {
  std::unique_ptr<AdbConnection> connection;
  UsbDeviceIdentity usb;
  // protocol, VID:PID, serial, manufacturer, product, ADB version, lab key and fingerprint, banner.
  nlohmann::json details;
};

Result<AdbHandset> ConnectAdbHandset(const std::string& serial, const std::filesystem::path& key_path);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_ADB_HANDSET_H_
