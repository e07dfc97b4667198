// Test images for the EDL tests: a LUN image with a valid primary GPT naming partitions, filled with
// deterministic pseudo-random bytes elsewhere.
#ifndef INTERDICT_TESTS_USB_IMAGER_EDL_TEST_SUPPORT_H_
#define INTERDICT_TESTS_USB_IMAGER_EDL_TEST_SUPPORT_H_

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "protocol/gpt.h"

namespace interdict::usb::testing {

struct TestPartition {
  std::string name;
  uint64_t first_lba, last_lba;
};

inline void PutLe(std::vector<uint8_t>& b, size_t offset, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) b[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

// `sectors` sectors of `sector_size` bytes; random content from `seed`, a GPT at LBA 1 with 128-byte entries
// at LBA 2 when `partitions` is not empty.
inline std::vector<uint8_t> MakeLunImage(uint64_t sectors, uint32_t sector_size, uint32_t seed,
                                         const std::vector<TestPartition>& partitions) {
  std::vector<uint8_t> image(sectors * sector_size);
  std::mt19937_64 rng(seed);
  for (auto& b : image) b = static_cast<uint8_t>(rng());
  if (partitions.empty()) return image;
  constexpr uint32_t kEntries = 32, kEntryBytes = 128;
  std::vector<uint8_t> entries(kEntries * kEntryBytes, 0);
  for (size_t i = 0; i < partitions.size(); ++i) {
    const size_t at = i * kEntryBytes;
    for (int k = 0; k < 16; ++k) entries[at + k] = static_cast<uint8_t>(0xA0 + k);      // type GUID
    for (int k = 0; k < 16; ++k) entries[at + 16 + k] = static_cast<uint8_t>(i + k);  // unique GUID
    PutLe(entries, at + 32, partitions[i].first_lba, 8);
    PutLe(entries, at + 40, partitions[i].last_lba, 8);
    for (size_t c = 0; c < partitions[i].name.size(); ++c) PutLe(entries, at + 56 + 2 * c, partitions[i].name[c], 2);
  }
  std::vector<uint8_t> header(sector_size, 0);
  std::memcpy(header.data(), "EFI PART", 8);
  PutLe(header, 8, 0x00010000, 4);
  PutLe(header, 12, 92, 4);
  PutLe(header, 24, 1, 8);
  PutLe(header, 32, sectors - 1, 8);
  PutLe(header, 40, 6, 8);
  PutLe(header, 48, sectors - 6, 8);
  PutLe(header, 72, 2, 8);
  PutLe(header, 80, kEntries, 4);
  PutLe(header, 84, kEntryBytes, 4);
  PutLe(header, 88, Crc32(entries), 4);
  PutLe(header, 16, Crc32(std::span<const uint8_t>(header.data(), 92)), 4);
  std::memcpy(image.data() + sector_size, header.data(), sector_size);
  std::memset(image.data() + 2 * sector_size, 0, 4 * sector_size);
  std::memcpy(image.data() + 2 * sector_size, entries.data(), entries.size());
  return image;
}

}  // namespace interdict::usb::testing

#endif  // INTERDICT_TESTS_USB_IMAGER_EDL_TEST_SUPPORT_H_
