// GPT and MBR partition tables. Each partition becomes a view of the disk; nothing is copied.
// Hand-written: libtsk would do it, but these two tables are ~150 lines and a view-based reader keeps
// partitions as slices of the parent layer (libtsk wants its own image layer underneath).
#include <algorithm>
#include <cstring>
#include <set>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr uint64_t kSectorBytes = 512;
constexpr uint8_t kGptSignature[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};
constexpr uint32_t kGptHeaderMinBytes = 92;

bool ProbeGpt(std::span<const uint8_t> head, uint64_t size) {
  return size >= 2 * kSectorBytes && head.size() >= kSectorBytes + 8 &&
         std::memcmp(head.data() + kSectorBytes, kGptSignature, 8) == 0;
}

// UTF-16LE partition name to ASCII-ish UTF-8 (non-ASCII code units become '?').
std::string GptName(const uint8_t* p) {
  std::string name;
  for (int i = 0; i < 36; ++i) {
    uint16_t c = Le16(p + 2 * i);
    if (c == 0) break;
    name.push_back(c < 0x80 && c >= 0x20 ? static_cast<char>(c) : '?');
  }
  return name;
}

Status UnpackGpt(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  uint8_t header[kSectorBytes];
  INTERDICT_RETURN_IF_ERROR(ReadExact(*layer, kSectorBytes, header, sizeof(header)));
  uint32_t header_size = Le32(header + 12);
  uint64_t entries_lba = Le64(header + 72);
  uint32_t entry_count = Le32(header + 80);
  uint32_t entry_size = Le32(header + 84);
  if (header_size < kGptHeaderMinBytes || header_size > kSectorBytes) {
    return Status::Corrupt("GPT header size " + std::to_string(header_size) + " out of range");
  }
  if (entry_size < 128 || entry_size > kMaxGptEntrySize || entry_size % 8 != 0) {
    return Status::Corrupt("GPT entry size " + std::to_string(entry_size) + " out of range");
  }
  if (entry_count > kMaxGptEntries) {
    context.Note(StatusCode::kLimitExceeded, "GPT lists " + std::to_string(entry_count) + " entries; reading the first " +
                                                 std::to_string(kMaxGptEntries));
    entry_count = kMaxGptEntries;
  }
  if (entries_lba == 0 || entries_lba > layer->size() / kSectorBytes) {
    return Status::Corrupt("GPT entry array LBA " + std::to_string(entries_lba) + " outside the disk");
  }
  std::vector<uint8_t> entries(static_cast<size_t>(entry_count) * entry_size);
  INTERDICT_ASSIGN_OR_RETURN(size_t got, layer->ReadAt(entries_lba * kSectorBytes, entries.data(), entries.size()));
  if (got < entries.size()) {
    context.Note(StatusCode::kCorrupt, "GPT entry array truncated by the end of the disk");
    entry_count = static_cast<uint32_t>(got / entry_size);
  }
  uint64_t yielded = 0;
  std::set<std::string> names;
  for (uint32_t i = 0; i < entry_count; ++i) {
    const uint8_t* e = entries.data() + static_cast<size_t>(i) * entry_size;
    static const uint8_t kZeroGuid[16] = {};
    if (std::memcmp(e, kZeroGuid, 16) == 0) continue;  // unused slot
    uint64_t first = Le64(e + 32);
    uint64_t last = Le64(e + 40);
    std::string name = GptName(e + 56);
    if (name.empty() || !names.insert(name).second) name = "part" + std::to_string(i + 1) + (name.empty() ? "" : "-" + name);
    uint64_t disk_sectors = layer->size() / kSectorBytes;
    if (last < first || first >= disk_sectors) {
      context.Note(StatusCode::kCorrupt, "GPT partition " + std::to_string(i + 1) + " (" + name + ") has LBAs " +
                                             std::to_string(first) + ".." + std::to_string(last) + " outside the disk");
      continue;
    }
    if (last >= disk_sectors) {
      context.Note(StatusCode::kCorrupt, "GPT partition " + name + " ends beyond the disk; truncated");
      last = disk_sectors - 1;
    }
    if (++yielded > context.limits().max_files_per_container) {
      return Status::LimitExceeded("more than " + std::to_string(context.limits().max_files_per_container) +
                                   " partitions");
    }
    uint64_t offset = first * kSectorBytes;
    uint64_t length = (last - first + 1) * kSectorBytes;
    INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    INTERDICT_RETURN_IF_ERROR(context.Charge(length));
    INTERDICT_RETURN_IF_ERROR(sink(Child{ChildKind::kView, "gpt", name, offset, MakeSliceSource(layer, offset, length)}));
  }
  return Status::Ok();
}

// --- MBR -------------------------------------------------------------------------------------------

struct MbrEntry {
  uint8_t type;
  uint32_t lba;
  uint32_t sectors;
};

bool ReadMbrEntries(const uint8_t* sector, MbrEntry out[4]) {
  if (sector[510] != 0x55 || sector[511] != 0xAA) return false;
  for (int i = 0; i < 4; ++i) {
    const uint8_t* e = sector + 446 + 16 * i;
    if (e[0] != 0x00 && e[0] != 0x80) return false;  // boot flag must be 0 or 0x80 in a partition table
    out[i] = {e[4], Le32(e + 8), Le32(e + 12)};
  }
  return true;
}

bool IsExtended(uint8_t type) { return type == 0x05 || type == 0x0F || type == 0x85; }

bool ProbeMbr(std::span<const uint8_t> head, uint64_t size) {
  if (head.size() < kSectorBytes || size < 2 * kSectorBytes) return false;
  MbrEntry entries[4];
  if (!ReadMbrEntries(head.data(), entries)) return false;
  // A FAT/NTFS boot sector also ends in 55AA; insist on at least one plausible partition and no
  // file-system boot-sector jump.
  if (head[0] == 0xEB || head[0] == 0xE9) return false;
  bool any = false;
  for (const MbrEntry& e : entries) {
    if (e.type == 0) continue;
    if (e.type == 0xEE) return false;  // protective MBR: GPT's job (reached only when the GPT header is gone)
    if (e.lba == 0 || e.sectors == 0) return false;
    any = true;
  }
  return any;
}

Status UnpackMbr(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  uint8_t sector[kSectorBytes];
  INTERDICT_RETURN_IF_ERROR(ReadExact(*layer, 0, sector, sizeof(sector)));
  MbrEntry primary[4];
  if (!ReadMbrEntries(sector, primary)) return Status::Corrupt("MBR signature or boot flags invalid");
  uint64_t disk_sectors = layer->size() / kSectorBytes;
  int logical_number = 5;
  auto yield = [&](const MbrEntry& e, uint64_t base_lba, const std::string& name) -> Status {
    uint64_t first = base_lba + e.lba;
    uint64_t count = e.sectors;
    if (first >= disk_sectors) {
      context.Note(StatusCode::kCorrupt, "MBR partition " + name + " starts beyond the disk");
      return Status::Ok();
    }
    if (first + count > disk_sectors) {
      context.Note(StatusCode::kCorrupt, "MBR partition " + name + " ends beyond the disk; truncated");
      count = disk_sectors - first;
    }
    INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    INTERDICT_RETURN_IF_ERROR(context.Charge(count * kSectorBytes));
    return sink(Child{ChildKind::kView, "mbr", name, first * kSectorBytes,
                      MakeSliceSource(layer, first * kSectorBytes, count * kSectorBytes)});
  };
  for (int i = 0; i < 4; ++i) {
    const MbrEntry& e = primary[i];
    if (e.type == 0) continue;
    if (!IsExtended(e.type)) {
      INTERDICT_RETURN_IF_ERROR(yield(e, 0, "p" + std::to_string(i + 1)));
      continue;
    }
    // Walk the EBR chain; every link is relative to the extended partition's start.
    uint64_t extended_start = e.lba;
    uint64_t next = 0;
    std::set<uint64_t> seen;
    for (uint32_t n = 0;; ++n) {
      if (n >= kMaxMbrLogicalPartitions) {
        context.Note(StatusCode::kLimitExceeded, "more than " + std::to_string(kMaxMbrLogicalPartitions) +
                                                     " logical partitions; rest skipped");
        break;
      }
      uint64_t ebr_lba = extended_start + next;
      if (!seen.insert(ebr_lba).second) {
        context.Note(StatusCode::kCorrupt, "EBR chain loops at LBA " + std::to_string(ebr_lba));
        break;
      }
      uint8_t ebr[kSectorBytes];
      if (ebr_lba >= disk_sectors || !ReadExact(*layer, ebr_lba * kSectorBytes, ebr, sizeof(ebr)).ok()) {
        context.Note(StatusCode::kCorrupt, "EBR at LBA " + std::to_string(ebr_lba) + " unreadable");
        break;
      }
      MbrEntry links[4];
      if (!ReadMbrEntries(ebr, links)) {
        context.Note(StatusCode::kCorrupt, "EBR at LBA " + std::to_string(ebr_lba) + " has no valid signature");
        break;
      }
      if (links[0].type != 0) INTERDICT_RETURN_IF_ERROR(yield(links[0], ebr_lba, "p" + std::to_string(logical_number++)));
      if (links[1].type == 0 || !IsExtended(links[1].type)) break;
      next = links[1].lba;
    }
  }
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kGptFormat = {"gpt", &ProbeGpt, &UnpackGpt};
const UnpackerFormat kMbrFormat = {"mbr", &ProbeMbr, &UnpackMbr};

}  // namespace interdict::fwscan
