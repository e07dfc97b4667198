// The media inside an Expert Witness (EWF1: .E01/.s01) segment set, decoded through libewf 20140813 and
// read as a ByteSource, so partition tables and file systems inside an E01 are unpacked like a raw image.
//
// libewf normally opens segment files by name. Here it reads them through a libbfio pool whose handles
// call our ByteSources (the function table libbfio offers for exactly this), so libewf never opens a file
// itself: inside the sandboxed worker the first segment is the host-served input, and in-process further
// segments are files opened read-only on demand (at most kMaxOpenEwfSegmentFiles held open).
//
// Memory stays bounded whatever the media size: libewf decodes one chunk (32 KiB by default, at most
// kMaxEwfChunkBytes) per read and keeps a small cache; nothing is decoded to disk.
//
// Integrity: the MD5 and SHA-1 stored by the imager are checked against the decoded media as it is read
// in order from its start (the scan does that anyway), or by FinishDigests for the rest. Reads that
// restart earlier (the scanner's block overlap) are not hashed twice.
//
// Thread-safety: ReadAt and the digest calls take an internal mutex (a libewf handle is not thread-safe);
// metadata() is immutable after Open.
#ifndef INTERDICT_FIRMWARE_SCAN_EWF_MEDIA_H_
#define INTERDICT_FIRMWARE_SCAN_EWF_MEDIA_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "byte_source.h"
#include "core/hash.h"
#include "core/status.h"

namespace interdict::fwscan {

// A segment set has at most E01..E99 then EAA..ZZZ files; beyond this many we refuse (a limit finding).
inline constexpr size_t kMaxEwfSegmentFiles = 4096;
// Segment files opened from paths that stay open at once; reads of the others open and close their file.
inline constexpr int kMaxOpenEwfSegmentFiles = 16;
// Largest chunk (sectors per chunk x bytes per sector) we let libewf decode: EnCase writes 32 KiB,
// ewfacquire allows up to 16 MiB; a hostile header asking for more is refused before any read.
inline constexpr uint64_t kMaxEwfChunkBytes = 64ull << 20;
// An EWF1 chunk of zeros still costs its compressed bytes (about 50) and a 4-byte table entry, so an E01
// cannot encode much more than 32 KiB / 54 B ~ 600 times its own size. An input E01 whose media stays
// under this ratio of its segments' bytes has the extracted-bytes budget scaled to the media (the media
// is the evidence); one claiming more is charged like any expansion.
inline constexpr uint64_t kMaxEwfMediaToSegmentRatio = 1024;
// Header and hash values are short strings; longer ones are cut to this many bytes in the report.
inline constexpr size_t kMaxEwfValueBytes = 4096;
// libewf 20140813 leaks the chunk buffer of every read that fails (data missing from the segments). After
// this many bytes of failed chunks it is no longer asked for media at or beyond the first failed chunk
// (read as zeros and reported), which bounds the loss in the worker to about this much.
inline constexpr uint64_t kMaxEwfFailedReadBytes = 64ull << 20;
// Acquisition and checksum error ranges listed in the report (the count is always given).
inline constexpr size_t kMaxEwfErrorRangesListed = 64;

// One segment file: its name (for messages) and either its bytes, or a path opened on demand.
struct EwfSegment {
  std::string name;
  SourcePtr source;             // set: read through it
  std::filesystem::path path;   // else: opened read-only when libewf needs it
};

struct EwfSectorRange {
  uint64_t first_sector = 0;
  uint64_t sectors = 0;
};

struct EwfMetadata {
  std::string format;                          // "EnCase 6", "FTK", ... (libewf's format of the set)
  uint64_t media_size = 0;
  uint32_t bytes_per_sector = 0;
  uint64_t chunk_bytes = 0;
  size_t segment_files = 0;
  std::map<std::string, std::string> header;   // case_number, examiner_name, acquiry_date (ISO 8601), ...
  std::map<std::string, std::string> hashes;   // stored by the imager, lowercase: "md5", "sha1"
  uint64_t acquiry_error_count = 0;            // sectors the imager could not read (stored as such)
  std::vector<EwfSectorRange> acquiry_errors;  // first kMaxEwfErrorRangesListed
  bool segments_corrupted = false;             // libewf found a segment damaged or missing while opening
};

// Result of checking the stored hashes against the decoded media.
struct EwfVerification {
  bool complete = false;      // every media byte was hashed
  std::map<std::string, std::string> computed;  // "md5", "sha1" (only those stored in the E01)
  std::vector<std::string> mismatched;          // names of stored hashes that differ
};

class EwfMedia final : public ByteSource {
 public:
  // Opens the segment set (the first segment first; libewf orders them by the number in each header).
  // kCorrupt with libewf's reason when the set cannot be decoded (truncated, damaged, a segment missing),
  // kLimitExceeded for too many segments or an oversized chunk.
  static Result<std::shared_ptr<EwfMedia>> Open(std::vector<EwfSegment> segments);
  ~EwfMedia() override;
  EwfMedia(const EwfMedia&) = delete;
  EwfMedia& operator=(const EwfMedia&) = delete;

  uint64_t size() const override { return metadata_.media_size; }
  // A chunk libewf cannot decode (its data missing from the segment files, or failing its checksum) reads
  // as zeros and is listed by DamagedSectors; kUnreadable only when a segment file cannot be read at all.
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override;

  const EwfMetadata& metadata() const { return metadata_; }
  // Reads whatever part of the media has not been hashed yet (in chunks, `check` before each: a non-OK
  // status stops it), then compares. Without stored hashes the result is complete with nothing compared.
  Result<EwfVerification> FinishDigests(const std::function<Status()>& check);
  // Sectors read so far that were returned as zeros (the first kMaxEwfErrorRangesListed ranges; *total
  // counts them all) and libewf's reason for the first undecodable chunk ("" when only checksums failed).
  std::vector<EwfSectorRange> DamagedSectors(uint64_t* total, std::string* reason) const;

 private:
  struct Handles;
  explicit EwfMedia(std::unique_ptr<Handles> handles);
  Status LoadMetadata();
  Result<size_t> ReadLocked(uint64_t offset, void* buffer, size_t length) const;
  bool KnownUndecodable(uint64_t sector) const;
  // True when libewf has a checksum error recorded for `sector` (its chunk came back zeroed).
  bool ChecksumErrorAt(uint64_t sector) const;

  std::unique_ptr<Handles> handles_;
  EwfMetadata metadata_;
  mutable std::mutex mutex_;
  // Built in Open once the stored hashes say which digests to compute.
  mutable std::optional<MultiHasher> hasher_;
  mutable uint64_t hashed_ = 0;  // media bytes [0, hashed_) went through hasher_
  mutable std::optional<Digests> digests_;
  // Sector intervals read as zeros because libewf failed on them (start -> end): at most one per failed
  // read, so bounded by kMaxEwfFailedReadBytes / chunk size.
  mutable std::map<uint64_t, uint64_t> undecodable_;
  mutable std::string undecodable_reason_;
  mutable uint64_t failed_read_bytes_ = 0;
  mutable uint64_t lowest_failed_ = UINT64_MAX;  // media offset of the first chunk that failed
  mutable uint64_t zero_from_ = UINT64_MAX;      // media from here on is no longer decoded
};

// The segment files of the set `first` starts (foo.E01 -> foo.E02, ... as they exist next to it), found
// with libewf's own naming rules; just `first` when it is the only one. kLimitExceeded past
// kMaxEwfSegmentFiles.
Result<std::vector<std::filesystem::path>> FindEwfSegmentFiles(const std::filesystem::path& first);

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_EWF_MEDIA_H_
