// RescueMap: the state of every byte of an acquisition in GNU ddrescue's mapfile format (ddrescue manual,
// "Mapfile structure"), so that ddrescuelog and people can read it, and so that a killed or disconnected
// acquisition resumes where it stopped. Positions and sizes are bytes, written as hex.
//
//     # Mapfile. Created by interdict 0.1.0
//     # current_pos  current_status  current_pass
//     0x00200000     ?               1
//     #      pos        size  status
//     0x00000000  0x001FF000  +
//     0x001FF000  0x00000200  -
//     ...
// Status characters: '?' non-tried, '*' non-trimmed, '/' non-scraped, '-' bad sector, '+' finished.
// The parser treats the file as hostile (it may be truncated or edited): bounded line count and length,
// contiguous blocks from 0, known status characters only. Not thread-safe.
#ifndef INTERDICT_USB_IMAGER_ENGINE_RESCUE_MAP_H_
#define INTERDICT_USB_IMAGER_ENGINE_RESCUE_MAP_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace interdict::usb {

inline constexpr size_t kMaxRescueMapBlocks = 1'000'000;
inline constexpr uint64_t kMaxRescueMapBytes = 64ull * 1024 * 1024;

enum class BlockState : char {
  kNonTried = '?',
  kNonTrimmed = '*',
  kNonScraped = '/',
  kBad = '-',
  kFinished = '+',
};

struct MapBlock {
  uint64_t pos = 0;
  uint64_t size = 0;
  BlockState state = BlockState::kNonTried;
  bool operator==(const MapBlock&) const = default;
};

class RescueMap {
 public:
  RescueMap() = default;
  // A map of `size` bytes, all non-tried.
  explicit RescueMap(uint64_t size);

  static Result<RescueMap> Parse(std::string_view text);
  static Result<RescueMap> Load(const std::filesystem::path& path);
  // `header_lines` are written as comments ("Command line: ...").
  std::string ToText(const std::vector<std::string>& header_lines) const;

  // Sets [pos, pos+size) to `state`, merging with equal neighbours. pos+size must lie within the map.
  Status Mark(uint64_t pos, uint64_t size, BlockState state);
  uint64_t size() const { return size_; }
  const std::vector<MapBlock>& blocks() const { return blocks_; }
  uint64_t current_pos() const { return current_pos_; }
  void set_current_pos(uint64_t pos) { current_pos_ = pos; }
  // Length of the prefix from 0 in which every byte is finished or bad (where an in-order resume starts).
  uint64_t CompletedPrefix() const;
  std::vector<MapBlock> BadBlocks() const;
  uint64_t BytesIn(BlockState state) const;

 private:
  uint64_t size_ = 0;
  uint64_t current_pos_ = 0;
  std::vector<MapBlock> blocks_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_RESCUE_MAP_H_
