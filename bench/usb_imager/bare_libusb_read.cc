// The floor for emulated USB imaging: the least a program can do to read a whole USB mass-storage device
// with libusb (READ(10) of 1 MiB, data, CSW, in a loop; no allowlist, no error handling, no hashing,
// nothing written). bench/usb_imager/run.sh times `interdict acquire` against this on the same emulated
// device. Usage: usb_bare_read_loop VID PID (hex).
#include <libusb.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr unsigned char kEndpointOut = 0x02;
constexpr unsigned char kEndpointIn = 0x81;
constexpr unsigned kTimeoutMs = 20000;
constexpr uint32_t kSectorsPerRead = 2048;  // 1 MiB of 512-byte sectors

bool Command(libusb_device_handle* handle, uint32_t tag, const unsigned char* cdb, int cdb_length,
             unsigned char* data, int length) {
  unsigned char cbw[31] = {'U', 'S', 'B', 'C'};
  std::memcpy(cbw + 4, &tag, 4);
  std::memcpy(cbw + 8, &length, 4);
  cbw[12] = 0x80;
  cbw[14] = static_cast<unsigned char>(cdb_length);
  std::memcpy(cbw + 15, cdb, cdb_length);
  int moved = 0;
  if (libusb_bulk_transfer(handle, kEndpointOut, cbw, 31, &moved, kTimeoutMs) != 0) return false;
  if (length > 0 && libusb_bulk_transfer(handle, kEndpointIn, data, length, &moved, kTimeoutMs) != 0) return false;
  unsigned char csw[13];
  return libusb_bulk_transfer(handle, kEndpointIn, csw, 13, &moved, kTimeoutMs) == 0 && csw[12] == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s VID PID\n", argv[0]);
    return 2;
  }
  libusb_context* context = nullptr;
  if (libusb_init(&context) != 0) return 1;
  libusb_device_handle* handle = libusb_open_device_with_vid_pid(
      context, static_cast<uint16_t>(std::strtoul(argv[1], nullptr, 16)),
      static_cast<uint16_t>(std::strtoul(argv[2], nullptr, 16)));
  if (handle == nullptr || libusb_claim_interface(handle, 0) != 0) {
    std::fprintf(stderr, "cannot open the device\n");
    return 1;
  }
  unsigned char capacity[8];
  const unsigned char read_capacity[10] = {0x25};
  if (!Command(handle, 1, read_capacity, 10, capacity, 8)) return 1;
  const uint32_t sectors = ((capacity[0] << 24) | (capacity[1] << 16) | (capacity[2] << 8) | capacity[3]) + 1u;
  std::vector<unsigned char> buffer(kSectorsPerRead * 512);
  uint64_t total = 0;
  for (uint32_t lba = 0, tag = 2; lba < sectors; lba += kSectorsPerRead, ++tag) {
    const uint32_t count = sectors - lba < kSectorsPerRead ? sectors - lba : kSectorsPerRead;
    const unsigned char read10[10] = {0x28, 0, static_cast<unsigned char>(lba >> 24),
                                      static_cast<unsigned char>(lba >> 16), static_cast<unsigned char>(lba >> 8),
                                      static_cast<unsigned char>(lba), 0, static_cast<unsigned char>(count >> 8),
                                      static_cast<unsigned char>(count), 0};
    if (!Command(handle, tag, read10, 10, buffer.data(), static_cast<int>(count * 512))) return 1;
    total += count * 512ull;
  }
  std::printf("%llu bytes read\n", static_cast<unsigned long long>(total));
  libusb_release_interface(handle, 0);
  libusb_close(handle);
  libusb_exit(context);
  return 0;
}
