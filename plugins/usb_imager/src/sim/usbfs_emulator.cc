#include "sim/usbfs_emulator.h"

// <linux/ioctl.h> must come before <linux/usbdevice_fs.h>.
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>

extern "C" {
#include <umockdev.h>
}

#include <openssl/crypto.h>

namespace interdict::usb::sim {
namespace {

constexpr uint8_t kBulkInEndpoint = 0x81;
constexpr uint8_t kBulkOutEndpoint = 0x02;
constexpr size_t kSetupPacketLength = 8;

// One URB the client submitted: its ioctl data (which writes back to the client's memory when a reap
// completes), the client it belongs to, and the reply once the device has one.
struct Urb {
  UMockdevIoctlData* data = nullptr;  // owned reference
  UMockdevIoctlClient* client = nullptr;
  int status = 0;
  int actual_length = 0;
  bool answered = false;  // false: the device never answers (timeout fault) until discarded
};

// The mass-storage model as an EmulatedUsbDevice, advertised with EmulatedDeviceRecord().
class MassStorageDevice final : public EmulatedUsbDevice {
 public:
  explicit MassStorageDevice(MassStorageModel& model) : model_(model) {}
  BulkReply HostOut(std::span<const uint8_t> data) override { return model_.HostOut(data); }
  BulkReply HostIn(size_t length) override { return model_.HostIn(length); }
  BulkReply Control(std::span<const uint8_t> setup) override { return model_.Control(setup); }
  bool Gone() override { return model_.Gone(); }
  std::string DeviceRecord() const override { return EmulatedDeviceRecord(); }

 private:
  MassStorageModel& model_;
};

}  // namespace

struct UsbfsEmulator::State {
  EmulatedUsbDevice* model = nullptr;
  std::unique_ptr<EmulatedUsbDevice> owned_model;
  UMockdevTestbed* testbed = nullptr;
  UMockdevIoctlBase* handler = nullptr;
  std::mutex mutex;
  std::list<Urb> flying;   // submitted, not yet reapable (timeout fault)
  std::deque<Urb> ready;   // answered, waiting to be reaped
  uint64_t submitted = 0;
  std::function<bool()> frozen;  // see UsbfsEmulator::FreezeWhen
  bool is_frozen = false;

  ~State() {
    for (auto& urb : flying) umockdev_ioctl_data_unref(urb.data);
    for (auto& urb : ready) umockdev_ioctl_data_unref(urb.data);
  }

  // Fills the URB's buffer and status from the device model. Returns false when the device is gone.
  bool Answer(usbdevfs_urb* urb, UMockdevIoctlData* buffer, Urb* entry) {
    const size_t length = static_cast<size_t>(std::max(0, urb->buffer_length));
    BulkReply reply;
    if (urb->type == USBDEVFS_URB_TYPE_CONTROL) {
      if (length < kSetupPacketLength) {
        reply.kind = BulkReply::Kind::kStall;
      } else {
        reply = model->Control(std::span<const uint8_t>(buffer->data, kSetupPacketLength));
        if (reply.kind == BulkReply::Kind::kData) {
          const size_t room = length - kSetupPacketLength;
          if (reply.data.size() > room) reply.data.resize(room);
          std::memcpy(buffer->data + kSetupPacketLength, reply.data.data(), reply.data.size());
        }
      }
    } else if (urb->endpoint == kBulkOutEndpoint) {
      reply = model->HostOut(std::span<const uint8_t>(buffer->data, length));
      if (reply.kind == BulkReply::Kind::kData) reply.data.resize(length);  // all bytes accepted
    } else if (urb->endpoint == kBulkInEndpoint) {
      reply = model->HostIn(length);
      // A zero-length packet has no bytes (and a null data()): nothing to copy.
      if (reply.kind == BulkReply::Kind::kData && !reply.data.empty()) {
        std::memcpy(buffer->data, reply.data.data(), reply.data.size());
      }
    } else {
      reply.kind = BulkReply::Kind::kStall;
    }
    switch (reply.kind) {
      case BulkReply::Kind::kGone: return false;
      case BulkReply::Kind::kStall:
        entry->status = -EPIPE;
        entry->actual_length = 0;
        entry->answered = true;
        return true;
      case BulkReply::Kind::kNoReply:
        entry->answered = false;
        return true;
      case BulkReply::Kind::kData:
        entry->status = 0;
        entry->actual_length = static_cast<int>(reply.data.size());
        entry->answered = true;
        return true;
    }
    return true;
  }
};

namespace {

// umockdev answers ioctls on a thread of its own that can still be alive when the simulator exits. A device
// model may hash on that thread (the EDL model's programmer and getsha256digest), and OpenSSL keeps
// per-thread state (its error queue) that it frees only when a thread ends; released after each ioctl, so
// nothing OpenSSL allocated there outlives the simulator (LeakSanitizer saw it under load in CI).
struct ReleaseOpenSslThreadStateOnReturn {
  ~ReleaseOpenSslThreadStateOnReturn() { OPENSSL_thread_stop(); }
};

gboolean HandleIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer user_data) {
  const ReleaseOpenSslThreadStateOnReturn release_openssl_thread_state;
  auto* state = static_cast<UsbfsEmulator::State*>(user_data);
  const gulong request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
  std::lock_guard<std::mutex> lock(state->mutex);

  switch (request) {
    case USBDEVFS_GET_CAPABILITIES: {
      UMockdevIoctlData* caps = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), nullptr);
      *reinterpret_cast<guint32*>(caps->data) = USBDEVFS_CAP_BULK_SCATTER_GATHER | USBDEVFS_CAP_BULK_CONTINUATION |
                                                 USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
                                                 USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
      umockdev_ioctl_data_unref(caps);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    case USBDEVFS_GETDRIVER:
      umockdev_ioctl_client_complete(client, -1, ENODATA);  // no kernel driver bound
      return TRUE;
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE:
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESET:
    case USBDEVFS_RESETEP:
      if (state->model->Gone()) {
        umockdev_ioctl_client_complete(client, -1, ENODEV);
      } else {
        umockdev_ioctl_client_complete(client, 0, 0);
      }
      return TRUE;

    case USBDEVFS_SUBMITURB: {
      UMockdevIoctlData* urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(usbdevfs_urb), nullptr);
      auto* urb = reinterpret_cast<usbdevfs_urb*>(urb_data->data);
      UMockdevIoctlData* buffer = umockdev_ioctl_data_resolve(urb_data, G_STRUCT_OFFSET(usbdevfs_urb, buffer),
                                                               static_cast<gsize>(std::max(0, urb->buffer_length)),
                                                               nullptr);
      Urb entry;
      entry.data = urb_data;
      entry.client = client;
      ++state->submitted;
      if (!state->is_frozen && state->frozen) state->is_frozen = state->frozen();
      bool present = buffer != nullptr && (state->is_frozen || state->Answer(urb, buffer, &entry));
      if (buffer != nullptr) umockdev_ioctl_data_unref(buffer);
      if (!present) {
        umockdev_ioctl_data_unref(urb_data);
        umockdev_ioctl_client_complete(client, -1, ENODEV);
        return TRUE;
      }
      if (entry.answered) {
        state->ready.push_back(entry);
      } else {
        state->flying.push_back(entry);
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }

    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY: {
      auto it = std::find_if(state->ready.begin(), state->ready.end(),
                             [client](const Urb& u) { return u.client == client; });
      if (it == state->ready.end()) {
        umockdev_ioctl_client_complete(client, -1, state->model->Gone() ? ENODEV : EAGAIN);
        return TRUE;
      }
      Urb entry = *it;
      state->ready.erase(it);
      auto* urb = reinterpret_cast<usbdevfs_urb*>(entry.data->data);
      urb->status = entry.status;
      urb->actual_length = entry.actual_length;
      UMockdevIoctlData* pointer = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), nullptr);
      umockdev_ioctl_data_set_ptr(pointer, 0, entry.data);
      umockdev_ioctl_data_unref(pointer);
      umockdev_ioctl_data_unref(entry.data);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }

    case USBDEVFS_DISCARDURB: {
      const gulong address = reinterpret_cast<gulong>(*reinterpret_cast<void**>(arg->data));
      auto it = std::find_if(state->flying.begin(), state->flying.end(), [&](const Urb& u) {
        return u.client == client && u.data->client_addr == address;
      });
      if (it == state->flying.end()) {
        umockdev_ioctl_client_complete(client, -1, EINVAL);
        return TRUE;
      }
      Urb entry = *it;
      state->flying.erase(it);
      entry.status = -ENOENT;
      entry.actual_length = 0;
      state->ready.push_back(entry);
      umockdev_ioctl_client_complete(client, 0, 0);
      return TRUE;
    }
    default:
      return FALSE;  // umockdev answers ENOTTY (GET_SPEED, CONNECTINFO, ...)
  }
}

void ClientVanished(UMockdevIoctlBase*, UMockdevIoctlClient* client, gpointer user_data) {
  auto* state = static_cast<UsbfsEmulator::State*>(user_data);
  std::lock_guard<std::mutex> lock(state->mutex);
  for (auto it = state->ready.begin(); it != state->ready.end();) {
    if (it->client == client) {
      umockdev_ioctl_data_unref(it->data);
      it = state->ready.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = state->flying.begin(); it != state->flying.end();) {
    if (it->client == client) {
      umockdev_ioctl_data_unref(it->data);
      it = state->flying.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace

std::string EmulatedDeviceRecord() {
  return UmockdevRecordWithDescriptors(
      "12010002000000401234abcd0001010203010902200001010080fa0904000002080650000705810200020007050202000200");
}

Result<std::unique_ptr<UsbfsEmulator>> UsbfsEmulator::Start(MassStorageModel& model) {
  auto adapter = std::make_unique<MassStorageDevice>(model);
  EmulatedUsbDevice& device = *adapter;
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<UsbfsEmulator> emulator, Start(device));
  emulator->state_->owned_model = std::move(adapter);
  return emulator;
}

Result<std::unique_ptr<UsbfsEmulator>> UsbfsEmulator::Start(EmulatedUsbDevice& device) {
  std::unique_ptr<UsbfsEmulator> emulator(new UsbfsEmulator());
  emulator->state_ = std::make_unique<State>();
  State& state = *emulator->state_;
  state.model = &device;
  state.testbed = umockdev_testbed_new();
  if (state.testbed == nullptr) return Status::Internal("umockdev_testbed_new failed");
  state.handler = umockdev_ioctl_base_new();
  g_signal_connect(state.handler, "handle-ioctl", G_CALLBACK(HandleIoctl), &state);
  g_signal_connect(state.handler, "client-vanished", G_CALLBACK(ClientVanished), &state);
  GError* error = nullptr;
  if (!umockdev_testbed_attach_ioctl(state.testbed, kEmulatedDevicePath, state.handler, &error)) {
    std::string message = error != nullptr ? error->message : "unknown error";
    if (error != nullptr) g_error_free(error);
    return Status::Internal("attaching the usbfs handler: " + message);
  }
  if (!umockdev_testbed_add_from_string(state.testbed, device.DeviceRecord().c_str(), &error)) {
    std::string message = error != nullptr ? error->message : "unknown error";
    if (error != nullptr) g_error_free(error);
    return Status::Internal("adding the emulated device: " + message);
  }
  return emulator;
}

UsbfsEmulator::~UsbfsEmulator() {
  if (!state_) return;
  if (state_->testbed != nullptr && state_->handler != nullptr) {
    umockdev_testbed_detach_ioctl(state_->testbed, kEmulatedDevicePath, nullptr);
  }
  if (state_->handler != nullptr) g_object_unref(state_->handler);
  if (state_->testbed != nullptr) g_object_unref(state_->testbed);
}

void UsbfsEmulator::FreezeWhen(std::function<bool()> frozen) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->frozen = std::move(frozen);
}

uint64_t UsbfsEmulator::urbs_submitted() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->submitted;
}

}  // namespace interdict::usb::sim
