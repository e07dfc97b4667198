#include "transport/libusb_transport.h"

#include <libusb.h>

#include <charconv>
#include <climits>
#include <cstdio>

namespace interdict::usb {
namespace {

constexpr size_t kMaxStringDescriptor = 256;

Status LibusbStatus(int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + libusb_error_name(rc);
  switch (rc) {
    case LIBUSB_ERROR_NO_DEVICE: return Status::Disconnected(message);
    case LIBUSB_ERROR_ACCESS: return Status::PermissionDenied(message);
    case LIBUSB_ERROR_NOT_FOUND: return Status::NotFound(message);
    case LIBUSB_ERROR_TIMEOUT: return Status::Timeout(message);
    default: return Status::Unreadable(message);
  }
}

template <typename T>
Result<T> ParseNumber(std::string_view text, int base, std::string_view what) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument("bad " + std::string(what) + " '" + std::string(text) + "'");
  }
  return value;
}

std::string ReadString(libusb_device_handle* handle, uint8_t index) {
  if (index == 0) return "";
  unsigned char buffer[kMaxStringDescriptor];
  int n = libusb_get_string_descriptor_ascii(handle, index, buffer, sizeof(buffer));
  if (n <= 0) return "";
  return std::string(reinterpret_cast<char*>(buffer), static_cast<size_t>(n));
}

// Fills identity fields that need no open handle, and the interface list.
void DescribeDevice(libusb_device* device, const libusb_device_descriptor& descriptor, EnumeratedDevice* out) {
  out->identity.vendor_id = descriptor.idVendor;
  out->identity.product_id = descriptor.idProduct;
  out->identity.bcd_device = descriptor.bcdDevice;
  out->identity.bus = libusb_get_bus_number(device);
  out->identity.address = libusb_get_device_address(device);
  libusb_config_descriptor* config = nullptr;
  if (libusb_get_active_config_descriptor(device, &config) != 0 &&
      libusb_get_config_descriptor(device, 0, &config) != 0) {
    return;
  }
  for (int i = 0; i < config->bNumInterfaces; ++i) {
    const libusb_interface& interface = config->interface[i];
    if (interface.num_altsetting < 1) continue;
    const libusb_interface_descriptor& alt = interface.altsetting[0];
    out->interfaces.push_back({alt.bInterfaceNumber, alt.bInterfaceClass, alt.bInterfaceSubClass,
                               alt.bInterfaceProtocol});
  }
  libusb_free_config_descriptor(config);
}

void ReadStrings(libusb_device_handle* handle, const libusb_device_descriptor& descriptor, UsbDeviceIdentity* id) {
  id->serial = ReadString(handle, descriptor.iSerialNumber);
  id->manufacturer = ReadString(handle, descriptor.iManufacturer);
  id->product = ReadString(handle, descriptor.iProduct);
}

bool MatchesIds(const DeviceSelector& selector, const EnumeratedDevice& device) {
  const UsbDeviceIdentity& id = device.identity;
  if (selector.vendor_id && *selector.vendor_id != id.vendor_id) return false;
  if (selector.product_id && *selector.product_id != id.product_id) return false;
  if (selector.bus && *selector.bus != id.bus) return false;
  if (selector.address && *selector.address != id.address) return false;
  if (selector.interface_class == kUsbClassAny) return true;
  for (const auto& interface : device.interfaces) {
    if (interface.cls == selector.interface_class) return true;
  }
  return false;
}

}  // namespace

std::string UsbDeviceIdentity::VidPid() const {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04x:%04x", vendor_id, product_id);
  return buffer;
}

std::string_view TransferOutcomeName(TransferOutcome outcome) {
  switch (outcome) {
    case TransferOutcome::kOk: return "ok";
    case TransferOutcome::kStalled: return "stalled";
    case TransferOutcome::kTimedOut: return "timed out";
    case TransferOutcome::kDisconnected: return "disconnected";
    case TransferOutcome::kOverflow: return "overflow";
    case TransferOutcome::kFailed: return "failed";
  }
  return "unknown";
}

Status TransferResult::ToStatus(std::string_view what) const {
  std::string message = std::string(what) + ": " + std::string(TransferOutcomeName(outcome));
  if (!detail.empty()) message += " (" + detail + ")";
  switch (outcome) {
    case TransferOutcome::kOk: return Status::Ok();
    case TransferOutcome::kDisconnected: return Status::Disconnected(message);
    case TransferOutcome::kTimedOut: return Status::Timeout(message);
    default: return Status::Unreadable(message);
  }
}

std::string DeviceSelector::ToString() const {
  char buffer[64];
  if (bus && address) {
    std::snprintf(buffer, sizeof(buffer), "%u-%u", *bus, *address);
    return buffer;
  }
  std::snprintf(buffer, sizeof(buffer), "%04x:%04x", vendor_id.value_or(0), product_id.value_or(0));
  return serial ? std::string(buffer) + ":" + *serial : std::string(buffer);
}

Result<DeviceSelector> ParseDeviceSelector(std::string_view text) {
  DeviceSelector selector;
  if (size_t dash = text.find('-'); dash != std::string_view::npos && text.find(':') == std::string_view::npos) {
    INTERDICT_ASSIGN_OR_RETURN(selector.bus, ParseNumber<uint8_t>(text.substr(0, dash), 10, "bus number"));
    INTERDICT_ASSIGN_OR_RETURN(selector.address, ParseNumber<uint8_t>(text.substr(dash + 1), 10, "device address"));
    return selector;
  }
  size_t first = text.find(':');
  if (first == std::string_view::npos) {
    return Status::InvalidArgument("USB device must be VID:PID[:SERIAL] or BUS-ADDRESS, got '" + std::string(text) + "'");
  }
  size_t second = text.find(':', first + 1);
  std::string_view pid = text.substr(first + 1, second == std::string_view::npos ? std::string_view::npos
                                                                                   : second - first - 1);
  INTERDICT_ASSIGN_OR_RETURN(selector.vendor_id, ParseNumber<uint16_t>(text.substr(0, first), 16, "vendor id"));
  INTERDICT_ASSIGN_OR_RETURN(selector.product_id, ParseNumber<uint16_t>(pid, 16, "product id"));
  if (second != std::string_view::npos) {
    std::string_view serial = text.substr(second + 1);
    if (serial.empty()) return Status::InvalidArgument("empty serial number in '" + std::string(text) + "'");
    selector.serial = std::string(serial);
  }
  return selector;
}

std::string LibusbVersionString() {
  const libusb_version* v = libusb_get_version();
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "libusb %u.%u.%u.%u", v->major, v->minor, v->micro, v->nano);
  return buffer;
}

Result<std::vector<EnumeratedDevice>> EnumerateUsbDevices() {
  libusb_context* context = nullptr;
  if (int rc = libusb_init(&context); rc != 0) return LibusbStatus(rc, "libusb_init");
  libusb_device** list = nullptr;
  ssize_t count = libusb_get_device_list(context, &list);
  std::vector<EnumeratedDevice> devices;
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device_descriptor descriptor{};
    if (libusb_get_device_descriptor(list[i], &descriptor) != 0) continue;
    EnumeratedDevice device;
    DescribeDevice(list[i], descriptor, &device);
    libusb_device_handle* handle = nullptr;
    if (int rc = libusb_open(list[i], &handle); rc == 0) {
      ReadStrings(handle, descriptor, &device.identity);
      libusb_close(handle);
    } else {
      device.open_error = libusb_error_name(rc);
    }
    devices.push_back(std::move(device));
  }
  if (list != nullptr) libusb_free_device_list(list, 1);
  libusb_exit(context);
  if (count < 0) return LibusbStatus(static_cast<int>(count), "libusb_get_device_list");
  return devices;
}

Result<std::unique_ptr<LibusbTransport>> LibusbTransport::Open(const DeviceSelector& selector) {
  std::unique_ptr<LibusbTransport> transport(new LibusbTransport());
  if (int rc = libusb_init(&transport->context_); rc != 0) return LibusbStatus(rc, "libusb_init");
  libusb_device** list = nullptr;
  ssize_t count = libusb_get_device_list(transport->context_, &list);
  if (count < 0) return LibusbStatus(static_cast<int>(count), "libusb_get_device_list");

  Status last_error = Status::NotFound("no USB device matches " + selector.ToString());
  int matches = 0;
  for (ssize_t i = 0; i < count && transport->handle_ == nullptr; ++i) {
    libusb_device_descriptor descriptor{};
    if (libusb_get_device_descriptor(list[i], &descriptor) != 0) continue;
    EnumeratedDevice candidate;
    DescribeDevice(list[i], descriptor, &candidate);
    if (!MatchesIds(selector, candidate)) continue;
    libusb_device_handle* handle = nullptr;
    if (int rc = libusb_open(list[i], &handle); rc != 0) {
      last_error = LibusbStatus(rc, "opening " + candidate.identity.VidPid());
      continue;
    }
    ReadStrings(handle, descriptor, &candidate.identity);
    if (selector.serial && *selector.serial != candidate.identity.serial) {
      libusb_close(handle);
      continue;
    }
    ++matches;
    transport->handle_ = handle;
    transport->identity_ = candidate.identity;
    // Pick the interface and its bulk endpoints.
    libusb_config_descriptor* config = nullptr;
    if (int rc = libusb_get_active_config_descriptor(list[i], &config); rc != 0) {
      last_error = LibusbStatus(rc, "reading configuration descriptor");
      break;
    }
    bool found = false;
    for (int j = 0; j < config->bNumInterfaces && !found; ++j) {
      if (config->interface[j].num_altsetting < 1) continue;
      const libusb_interface_descriptor& alt = config->interface[j].altsetting[0];
      if (selector.interface_class != kUsbClassAny && alt.bInterfaceClass != selector.interface_class) continue;
      uint8_t in = 0, out = 0;
      uint16_t packet = 0;
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& endpoint = alt.endpoint[e];
        if ((endpoint.bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK) continue;
        if (endpoint.bEndpointAddress & LIBUSB_ENDPOINT_IN) {
          in = endpoint.bEndpointAddress;
          packet = endpoint.wMaxPacketSize;
        } else {
          out = endpoint.bEndpointAddress;
        }
      }
      if (in == 0 || out == 0) continue;
      found = true;
      transport->interface_number_ = alt.bInterfaceNumber;
      transport->endpoint_in_ = in;
      transport->endpoint_out_ = out;
      transport->max_packet_size_ = packet == 0 ? 512 : packet;
      transport->identity_.interface_class = alt.bInterfaceClass;
      transport->identity_.interface_subclass = alt.bInterfaceSubClass;
      transport->identity_.interface_protocol = alt.bInterfaceProtocol;
    }
    libusb_free_config_descriptor(config);
    if (!found) {
      last_error = Status::Unsupported(candidate.identity.VidPid() + " has no interface with two bulk endpoints");
      break;
    }
  }
  libusb_free_device_list(list, 1);
  if (transport->handle_ == nullptr) return last_error;
  if (matches == 0) return last_error;

  // A kernel driver (usb-storage, qcserial) holding the interface makes claiming fail with BUSY.
  int active = libusb_kernel_driver_active(transport->handle_, transport->interface_number_);
  if (active == 1) {
    if (int rc = libusb_detach_kernel_driver(transport->handle_, transport->interface_number_); rc != 0) {
      return LibusbStatus(rc, "detaching the kernel driver");
    }
    transport->reattach_kernel_driver_ = true;
  }
  if (int rc = libusb_claim_interface(transport->handle_, transport->interface_number_); rc != 0) {
    return LibusbStatus(rc, "claiming interface " + std::to_string(transport->interface_number_));
  }
  transport->interface_claimed_ = true;
  return transport;
}

LibusbTransport::~LibusbTransport() {
  if (handle_ != nullptr) {
    if (interface_claimed_) libusb_release_interface(handle_, interface_number_);
    if (reattach_kernel_driver_) libusb_attach_kernel_driver(handle_, interface_number_);
    libusb_close(handle_);
  }
  if (context_ != nullptr) libusb_exit(context_);
}

TransferResult LibusbTransport::Bulk(uint8_t endpoint, uint8_t* data, size_t length,
                                     std::chrono::milliseconds timeout) {
  TransferResult result;
  if (length > static_cast<size_t>(INT_MAX)) {
    result.outcome = TransferOutcome::kFailed;
    result.detail = "transfer too large";
    return result;
  }
  int transferred = 0;
  int rc = libusb_bulk_transfer(handle_, endpoint, data, static_cast<int>(length), &transferred,
                                static_cast<unsigned int>(timeout.count()));
  // A timeout or stall can still have moved data: always report it.
  result.transferred = transferred > 0 ? static_cast<size_t>(transferred) : 0;
  switch (rc) {
    case 0: result.outcome = TransferOutcome::kOk; break;
    case LIBUSB_ERROR_TIMEOUT: result.outcome = TransferOutcome::kTimedOut; break;
    case LIBUSB_ERROR_NO_DEVICE: result.outcome = TransferOutcome::kDisconnected; break;
    case LIBUSB_ERROR_OVERFLOW: result.outcome = TransferOutcome::kOverflow; break;
    case LIBUSB_ERROR_PIPE: {
      result.outcome = TransferOutcome::kStalled;
      int clear = libusb_clear_halt(handle_, endpoint);
      if (clear == LIBUSB_ERROR_NO_DEVICE) result.outcome = TransferOutcome::kDisconnected;
      break;
    }
    default: result.outcome = TransferOutcome::kFailed; break;
  }
  if (rc != 0) result.detail = libusb_error_name(rc);
  return result;
}

TransferResult LibusbTransport::BulkOut(std::span<const uint8_t> data, std::chrono::milliseconds timeout,
                                        ZeroLengthPacket zlp) {
  // libusb takes a non-const buffer for both directions; an OUT transfer only reads it.
  TransferResult result = Bulk(endpoint_out_, const_cast<uint8_t*>(data.data()), data.size(), timeout);
  if (result.ok() && zlp == ZeroLengthPacket::kIfMultipleOfPacketSize && !data.empty() &&
      data.size() % max_packet_size_ == 0) {
    TransferResult empty = Bulk(endpoint_out_, nullptr, 0, timeout);
    if (!empty.ok()) {
      empty.transferred = result.transferred;
      return empty;
    }
  }
  return result;
}

TransferResult LibusbTransport::BulkIn(std::span<uint8_t> buffer, std::chrono::milliseconds timeout) {
  return Bulk(endpoint_in_, buffer.data(), buffer.size(), timeout);
}

TransferResult LibusbTransport::Control(uint8_t request_type, uint8_t request, uint16_t value, uint16_t index,
                                        std::span<uint8_t> data, std::chrono::milliseconds timeout) {
  TransferResult result;
  if (data.size() > UINT16_MAX) {
    result.outcome = TransferOutcome::kFailed;
    result.detail = "control transfer too large";
    return result;
  }
  int rc = libusb_control_transfer(handle_, request_type, request, value, index, data.data(),
                                   static_cast<uint16_t>(data.size()), static_cast<unsigned int>(timeout.count()));
  if (rc >= 0) {
    result.transferred = static_cast<size_t>(rc);
    return result;
  }
  result.detail = libusb_error_name(rc);
  switch (rc) {
    case LIBUSB_ERROR_TIMEOUT: result.outcome = TransferOutcome::kTimedOut; break;
    case LIBUSB_ERROR_NO_DEVICE: result.outcome = TransferOutcome::kDisconnected; break;
    case LIBUSB_ERROR_PIPE: result.outcome = TransferOutcome::kStalled; break;  // EP0 clears itself
    default: result.outcome = TransferOutcome::kFailed; break;
  }
  return result;
}

Status LibusbTransport::ClearHalt(bool in) {
  int rc = libusb_clear_halt(handle_, in ? endpoint_in_ : endpoint_out_);
  return rc == 0 ? Status::Ok() : LibusbStatus(rc, "clearing halt");
}

}  // namespace interdict::usb
