#include "protocol/gpt.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace interdict::usb {
namespace {

constexpr char kSignature[] = "EFI PART";
constexpr size_t kSignatureBytes = 8;
constexpr uint32_t kMinHeaderBytes = 92;
constexpr size_t kHeaderCrcOffset = 16;
constexpr uint32_t kCrcPolynomial = 0xEDB88320u;
constexpr size_t kGuidBytes = 16;

uint32_t Le32(std::span<const uint8_t> b, size_t o) {
  return static_cast<uint32_t>(b[o]) | static_cast<uint32_t>(b[o + 1]) << 8 | static_cast<uint32_t>(b[o + 2]) << 16 |
         static_cast<uint32_t>(b[o + 3]) << 24;
}
uint64_t Le64(std::span<const uint8_t> b, size_t o) {
  return static_cast<uint64_t>(Le32(b, o)) | static_cast<uint64_t>(Le32(b, o + 4)) << 32;
}

std::string GuidText(std::span<const uint8_t> g) {
  char text[40];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", Le32(g, 0),
                static_cast<unsigned>(g[4] | g[5] << 8), static_cast<unsigned>(g[6] | g[7] << 8), g[8], g[9], g[10],
                g[11], g[12], g[13], g[14], g[15]);
  return text;
}

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? kCrcPolynomial ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

}  // namespace

uint32_t Crc32(std::span<const uint8_t> bytes) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

Result<GptHeader> ParseGptHeader(std::span<const uint8_t> sector, uint64_t total_sectors) {
  if (sector.size() < kMinHeaderBytes || std::memcmp(sector.data(), kSignature, kSignatureBytes) != 0) {
    return Status::NotFound("no GPT header (EFI PART) at LBA 1");
  }
  const uint32_t header_bytes = Le32(sector, 12);
  if (header_bytes < kMinHeaderBytes || header_bytes > sector.size()) {
    return Status::Corrupt("GPT header size " + std::to_string(header_bytes) + " out of range");
  }
  std::vector<uint8_t> copy(sector.begin(), sector.begin() + header_bytes);
  std::fill(copy.begin() + kHeaderCrcOffset, copy.begin() + kHeaderCrcOffset + 4, 0);
  if (Crc32(copy) != Le32(sector, kHeaderCrcOffset)) return Status::Corrupt("GPT header CRC mismatch");
  GptHeader header;
  header.current_lba = Le64(sector, 24);
  header.backup_lba = Le64(sector, 32);
  header.first_usable_lba = Le64(sector, 40);
  header.last_usable_lba = Le64(sector, 48);
  header.disk_guid = GuidText(sector.subspan(56, kGuidBytes));
  header.entries_lba = Le64(sector, 72);
  header.entry_count = Le32(sector, 80);
  header.entry_bytes = Le32(sector, 84);
  header.entries_crc32 = Le32(sector, 88);
  if (header.entry_count == 0 || header.entry_count > kMaxGptEntries) {
    return Status::Corrupt("GPT entry count " + std::to_string(header.entry_count) + " out of range");
  }
  if (header.entry_bytes < kMinGptEntryBytes || header.entry_bytes > kMaxGptEntryBytes || header.entry_bytes % 8 != 0) {
    return Status::Corrupt("GPT entry size " + std::to_string(header.entry_bytes) + " out of range");
  }
  if (header.EntryArrayBytes() > kMaxGptEntryArrayBytes) return Status::Corrupt("GPT entry array too large");
  if (header.first_usable_lba > header.last_usable_lba || header.last_usable_lba >= total_sectors ||
      header.entries_lba < 2 || header.entries_lba >= total_sectors) {
    return Status::Corrupt("GPT LBAs outside the " + std::to_string(total_sectors) + "-sector device");
  }
  return header;
}

Result<std::vector<GptPartition>> ParseGptEntries(const GptHeader& header, std::span<const uint8_t> entries) {
  if (entries.size() < header.EntryArrayBytes()) return Status::Corrupt("GPT entry array truncated");
  if (Crc32(entries.first(static_cast<size_t>(header.EntryArrayBytes()))) != header.entries_crc32) {
    return Status::Corrupt("GPT entry array CRC mismatch");
  }
  std::vector<GptPartition> out;
  for (uint32_t i = 0; i < header.entry_count; ++i) {
    std::span<const uint8_t> entry = entries.subspan(static_cast<size_t>(i) * header.entry_bytes, header.entry_bytes);
    if (std::all_of(entry.begin(), entry.begin() + kGuidBytes, [](uint8_t b) { return b == 0; })) continue;
    GptPartition partition;
    partition.index = i;
    partition.type_guid = GuidText(entry.subspan(0, kGuidBytes));
    partition.unique_guid = GuidText(entry.subspan(16, kGuidBytes));
    partition.first_lba = Le64(entry, 32);
    partition.last_lba = Le64(entry, 40);
    partition.attributes = Le64(entry, 48);
    for (size_t c = 0; c < kGptNameCharacters; ++c) {
      const uint16_t unit = static_cast<uint16_t>(entry[56 + 2 * c] | entry[57 + 2 * c] << 8);
      if (unit == 0) break;
      partition.name.push_back(unit >= 0x20 && unit < 0x7F ? static_cast<char>(unit) : '?');
    }
    if (partition.first_lba > partition.last_lba || partition.first_lba < header.first_usable_lba ||
        partition.last_lba > header.last_usable_lba) {
      return Status::Corrupt("GPT entry " + std::to_string(i) + " (" + partition.name + ") lies outside the usable LBAs");
    }
    out.push_back(std::move(partition));
  }
  return out;
}

}  // namespace interdict::usb
