// The unpacker interface: one function table per container format (The Sleuth Kit's habit), a shared
// context that enforces the limits, and children handed to a callback as soon as they exist so the walk
// is depth-first and holds at most one member per open layer in memory.
//
// Status contract of Unpack (TSK_COR vs TSK_ERR):
//  - OK: every child the container describes was offered (some may carry notes about damage);
//  - kCorrupt / kUnreadable: the container is damaged; children offered so far stand, the caller records a
//    corruption finding and carries on with the rest of the evidence;
//  - kLimitExceeded / kTimeout / kCancelled: a limit stopped this container (the context remembers which);
//  - anything else (kInternal, kIoError): the tool failed.
// Children are offered in a deterministic order (on-disk order or sorted by path).
#ifndef INTERDICT_FIRMWARE_SCAN_UNPACKER_H_
#define INTERDICT_FIRMWARE_SCAN_UNPACKER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "byte_source.h"
#include "core/status.h"
#include "scan_limits.h"

namespace interdict::fwscan {

// How a child relates to its parent, for the location chain.
enum class ChildKind {
  kView,       // a byte range of the parent: printed "parent@0xOFFSET[format:name]"
  kExtracted,  // a member decoded from the parent: printed "parent > format:name"
};

struct Child {
  ChildKind kind = ChildKind::kExtracted;
  std::string format;  // "gpt", "ext4", "zip", "carve", ...
  std::string name;    // partition name, member path, "kernel", "gzip@0x1f0"
  uint64_t offset_in_parent = 0;  // kView: where the range starts
  SourcePtr source;
  nlohmann::json info = nullptr;  // what the container says about this layer (E01 case metadata), or null
};

// A note about damage or a limit inside a container that did not stop it, or about the evidence's
// integrity (a stored hash checked against decoded bytes).
struct UnpackNote {
  StatusCode code = StatusCode::kCorrupt;  // kCorrupt, kLimitExceeded, kVerificationFailed, or kOk (verified)
  std::string message;
};

using ChildSink = std::function<Status(Child child)>;

// Shared by every unpacker of one input. Not thread-safe: one walk per context.
class UnpackContext {
 public:
  UnpackContext(const UnpackLimits& limits, uint64_t input_size,
                std::function<bool()> cancelled = nullptr);

  const UnpackLimits& limits() const { return limits_; }
  // Counts a child's bytes against the extracted-bytes budget; kLimitExceeded once it is spent.
  Status Charge(uint64_t bytes);
  // kTimeout after the wall time, kCancelled when asked to stop, else OK. Unpackers call it per child.
  Status CheckTime() const;
  // Records a note for the container being unpacked (collected by the walker after Unpack returns).
  void Note(StatusCode code, std::string message) { notes_.push_back({code, std::move(message)}); }
  std::vector<UnpackNote> TakeNotes() { return std::exchange(notes_, {}); }
  // Puts notes taken before a nested unpack back in front of whatever is pending.
  void RestoreNotes(std::vector<UnpackNote> earlier) {
    earlier.insert(earlier.end(), notes_.begin(), notes_.end());
    notes_ = std::move(earlier);
  }
  // True once Charge has refused bytes: nothing more may be extracted from this input.
  bool budget_exhausted() const { return exhausted_; }
  uint64_t extracted_bytes() const { return extracted_; }
  uint64_t budget_bytes() const { return budget_; }
  // Grows the budget to the factor times `size` when the input turns out to encode a larger medium (an
  // E01 input's media): limits then scale with the evidence, not with its compressed container.
  void ScaleBudgetTo(uint64_t size);
  // The input's file path, when the walk reads a file (the sandboxed worker has none): formats spread
  // over several files (EWF segment sets) find the others beside it.
  void SetInputFile(const ByteSource* input, std::filesystem::path path) {
    input_ = input;
    input_path_ = std::move(path);
  }
  // The file path of `layer` if it is the input read from a file, else empty.
  std::filesystem::path FilePathOf(const ByteSource& layer) const {
    return &layer == input_ ? input_path_ : std::filesystem::path();
  }
  bool IsInput(const ByteSource& layer) const { return &layer == input_; }

 private:
  UnpackLimits limits_;
  uint64_t budget_;
  uint64_t extracted_ = 0;
  bool exhausted_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::function<bool()> cancelled_;
  uint64_t BudgetFor(uint64_t size) const;

  std::vector<UnpackNote> notes_;
  const ByteSource* input_ = nullptr;
  std::filesystem::path input_path_;
};

// One container format.
struct UnpackerFormat {
  const char* name;
  // Cheap test on the first kProbeBytes bytes (fewer if the layer is shorter) and the layer size.
  bool (*probe)(std::span<const uint8_t> head, uint64_t size);
  Status (*unpack)(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink);
};

inline constexpr size_t kProbeBytes = 4096;

// The table, in probe order (most specific first). Carving is not in it: the walker applies it to layers
// no format recognised.
std::span<const UnpackerFormat> UnpackerFormats();
// The first format whose probe accepts the layer, or nullptr.
const UnpackerFormat* IdentifyFormat(std::span<const uint8_t> head, uint64_t size);

// Per-format entry points (one file each).
extern const UnpackerFormat kGptFormat;
extern const UnpackerFormat kMbrFormat;
extern const UnpackerFormat kAndroidSparseFormat;
extern const UnpackerFormat kAndroidBootFormat;
extern const UnpackerFormat kExt4Format;
extern const UnpackerFormat kSquashfsFormat;
extern const UnpackerFormat kArchiveFormat;
// E01: the media decoded through libewf; L01/Ex01: recognised and reported unsupported (see unpack_ewf.cc).
extern const UnpackerFormat kEwfFormat;
// Carving of embedded streams (gzip, xz, bzip2, zstd, lz4, 7z, zip, ELF, squashfs, Android images) at
// offsets > 0 of a raw blob.
extern const UnpackerFormat kCarveFormat;

// Little-endian readers over a span with the bounds already checked by the caller.
inline uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t Le64(const uint8_t* p) { return Le32(p) | (static_cast<uint64_t>(Le32(p + 4)) << 32); }

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_UNPACKER_H_
