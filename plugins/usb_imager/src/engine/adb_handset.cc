#include "engine/adb_handset.h"

#include "transport/libusb_transport.h"

namespace interdict::usb {

Result<AdbHandset> ConnectAdbHandset(const std::string& serial, const std::filesystem::path& key_path) {
  INTERDICT_ASSIGN_OR_RETURN(std::vector<EnumeratedDevice> devices, EnumerateUsbDevices());
  std::vector<const EnumeratedDevice*> matches;
  for (const auto& device : devices) {
    if (!serial.empty() && device.identity.serial != serial) continue;
    for (const auto& i : device.interfaces) {
      if (i.cls == kAdbInterfaceClass && i.subclass == kAdbInterfaceSubclass && i.protocol == kAdbInterfaceProtocol) {
        matches.push_back(&device);
        break;
      }
    }
  }
  if (matches.empty()) return Status::NotFound("no ADB device" + (serial.empty() ? "" : " with serial " + serial));
  if (matches.size() > 1) return Status::InvalidArgument("several ADB devices: name one with adb:SERIAL");
  DeviceSelector selector;
  selector.bus = matches.front()->identity.bus;
  selector.address = matches.front()->identity.address;
  selector.interface_class = kAdbInterfaceClass;
  INTERDICT_ASSIGN_OR_RETURN(auto transport, LibusbTransport::Open(selector));
  AdbHandset handset;
  handset.usb = transport->identity();
  INTERDICT_ASSIGN_OR_RETURN(AdbKey key, AdbKey::LoadOrCreate(key_path));
  INTERDICT_ASSIGN_OR_RETURN(handset.connection, AdbConnection::Connect(std::move(transport), key));
  const UsbDeviceIdentity& usb = handset.usb;
  handset.details = {{"protocol", "android-adb"}, {"vid_pid", usb.VidPid()}, {"serial", usb.serial},
                     {"manufacturer", usb.manufacturer}, {"product", usb.product},
                     {"adb_version", handset.connection->protocol_version()}, {"lab_key", key_path.string()}};
  if (auto fingerprint = key.Fingerprint(); fingerprint.ok()) handset.details["lab_key_fingerprint"] = *fingerprint;
  for (const auto& [k, v] : handset.connection->banner().properties) handset.details["banner"][k] = v;
  return handset;
}

}  // namespace interdict::usb
