// GUID Partition Table reader used to name the partitions of a Firehose LUN, so an examiner can acquire
// "userdata" or "modemst1" by name. Only the primary header (LBA 1) and its entry array are read; both are
// bytes from the device, so the header CRC, the entry-array CRC, every size and every LBA are checked
// against the limits below and the LUN's size before use.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_GPT_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_GPT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict::usb {

inline constexpr uint32_t kGptHeaderLba = 1;
inline constexpr uint32_t kMaxGptEntries = 1024;
inline constexpr uint32_t kMinGptEntryBytes = 128;
inline constexpr uint32_t kMaxGptEntryBytes = 1024;
inline constexpr uint32_t kMaxGptEntryArrayBytes = 1024 * 1024;
inline constexpr size_t kGptNameCharacters = 36;

struct GptHeader {
  uint64_t current_lba = 0, backup_lba = 0, first_usable_lba = 0, last_usable_lba = 0;
  uint64_t entries_lba = 0;
  uint32_t entry_count = 0, entry_bytes = 0, entries_crc32 = 0;
  std::string disk_guid;
  // Bytes of the entry array, and how many sectors of `sector_size` hold it.
  uint64_t EntryArrayBytes() const { return static_cast<uint64_t>(entry_count) * entry_bytes; }
};

struct GptPartition {
  uint32_t index = 0;
  std::string name;       // UTF-16LE name, non-ASCII characters as '?'
  std::string type_guid;  // canonical text form
  std::string unique_guid;
  uint64_t first_lba = 0, last_lba = 0;  // inclusive
  uint64_t attributes = 0;
  uint64_t sector_count() const { return last_lba - first_lba + 1; }
};

// `sector` is LBA 1 of a device with `total_sectors` sectors. kNotFound without the "EFI PART" signature;
// kCorrupt for a bad CRC or sizes out of range.
Result<GptHeader> ParseGptHeader(std::span<const uint8_t> sector, uint64_t total_sectors);
// The used entries (non-zero type GUID) of the entry array; kCorrupt for a CRC mismatch or an entry whose
// LBAs fall outside the header's usable range.
Result<std::vector<GptPartition>> ParseGptEntries(const GptHeader& header, std::span<const uint8_t> entries);

uint32_t Crc32(std::span<const uint8_t> bytes);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_GPT_H_
