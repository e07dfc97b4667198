// Every limit of the firmware scanner in one place (libyara's limits.h habit). The defaults are what a
// lab gets without options; UnpackLimits carries the values in force for one scan.
#ifndef INTERDICT_FIRMWARE_SCAN_SCAN_LIMITS_H_
#define INTERDICT_FIRMWARE_SCAN_SCAN_LIMITS_H_

#include <chrono>
#include <cstdint>

namespace interdict::fwscan {

// Recursion: how many container layers below the input are opened.
inline constexpr int kDefaultMaxDepth = 8;
// All layers below the input together may not exceed this multiple of the input's size.
inline constexpr uint64_t kDefaultExtractedBytesFactor = 20;
// Floor for the extracted-bytes budget so that tiny inputs can still be unpacked.
inline constexpr uint64_t kMinExtractedBytesBudget = 64ull << 20;
// Children one container may yield (partitions, archive members, files of a file system).
inline constexpr uint64_t kDefaultMaxFilesPerContainer = 100000;
// Decompressed size / compressed size of one archive member.
inline constexpr uint64_t kDefaultMaxEntryRatio = 250;
// Members smaller than this are never judged by ratio (a 1 KiB file of zeros is not a bomb).
inline constexpr uint64_t kEntryRatioFloorBytes = 1ull << 20;
// Wall time for unpacking and scanning one input.
inline constexpr std::chrono::seconds kDefaultWallTime{3600};

// Archive members and squashfs files are decompressed into memory (no temporary copies of evidence on
// disk); a member larger than this is reported as limit-exceeded instead of being read.
inline constexpr uint64_t kMaxInMemoryMemberBytes = 512ull << 20;

// Partition tables.
inline constexpr uint32_t kMaxGptEntries = 1024;
inline constexpr uint32_t kMaxGptEntrySize = 4096;
inline constexpr uint32_t kMaxMbrLogicalPartitions = 128;
// Android sparse images.
inline constexpr uint32_t kMaxSparseChunks = 1u << 22;
// Android boot images.
inline constexpr uint32_t kMaxBootImagePageSize = 1u << 20;
// File systems: directory nesting and total directory entries visited.
inline constexpr int kMaxDirectoryDepth = 64;
// Carving: streams carved out of one raw blob, and how far the carver looks for the next magic.
inline constexpr uint32_t kMaxCarvedStreamsPerBlob = 64;
inline constexpr uint64_t kCarveReadChunkBytes = 4ull << 20;

// Scanning: layers are fed to libyara as owned memory blocks of this size, each overlapping the previous
// by kScanBlockOverlapBytes so that a string straddling a block edge is still found (libyara does not
// match across blocks; matches in the overlap are reported once because libyara merges equal offsets).
inline constexpr uint64_t kDefaultScanBlockBytes = 64ull << 20;
inline constexpr uint64_t kScanBlockOverlapBytes = 1ull << 20;
// libyara's timeout has whole-second granularity.
inline constexpr int kDefaultScanTimeoutSeconds = 120;
// Per matched string: how many matches are listed, and how long an excerpt is.
inline constexpr int kMaxMatchesListedPerString = 16;
inline constexpr int kMatchExcerptBytes = 32;

// Rule packs.
inline constexpr uint64_t kMaxRuleFileBytes = 16ull << 20;
inline constexpr uint64_t kMaxPackFiles = 4096;

struct UnpackLimits {
  int max_depth = kDefaultMaxDepth;
  uint64_t extracted_bytes_factor = kDefaultExtractedBytesFactor;
  uint64_t max_files_per_container = kDefaultMaxFilesPerContainer;
  uint64_t max_entry_ratio = kDefaultMaxEntryRatio;
  std::chrono::seconds wall_time = kDefaultWallTime;
  uint64_t max_member_bytes = kMaxInMemoryMemberBytes;
};

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_SCAN_LIMITS_H_
