#include "engine/rescue_map.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "core/files.h"

namespace interdict::usb {
namespace {

constexpr size_t kMaxLineLength = 4096;

bool IsStateChar(char c) { return c == '?' || c == '*' || c == '/' || c == '-' || c == '+'; }

// ddrescue writes hex with 0x; accept decimal as its parser does.
bool ParseOffset(std::string_view token, uint64_t* value) {
  int base = 10;
  if (token.size() > 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X')) {
    token.remove_prefix(2);
    base = 16;
  }
  if (token.empty()) return false;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *value, base);
  return ec == std::errc() && end == token.data() + token.size();
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string Hex(uint64_t v) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "0x%08" PRIX64, v);
  return buffer;
}

}  // namespace

RescueMap::RescueMap(uint64_t size) : size_(size) {
  if (size > 0) blocks_.push_back({0, size, BlockState::kNonTried});
}

Result<RescueMap> RescueMap::Parse(std::string_view text) {
  RescueMap map;
  bool have_status_line = false;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.size() > kMaxLineLength) return Status::Corrupt("map line " + std::to_string(line_number) + " too long");
    auto tokens = Tokens(line);
    if (tokens.empty() || tokens[0][0] == '#') continue;
    const std::string where = "map line " + std::to_string(line_number);
    if (!have_status_line) {
      uint64_t pos = 0;
      if (tokens.size() < 2 || !ParseOffset(tokens[0], &pos) || tokens[1].size() != 1) {
        return Status::Corrupt(where + ": bad status line");
      }
      map.current_pos_ = pos;
      have_status_line = true;
      continue;
    }
    uint64_t pos = 0, size = 0;
    if (tokens.size() != 3 || !ParseOffset(tokens[0], &pos) || !ParseOffset(tokens[1], &size) ||
        tokens[2].size() != 1 || !IsStateChar(tokens[2][0])) {
      return Status::Corrupt(where + ": expected 'pos size status'");
    }
    if (size == 0) return Status::Corrupt(where + ": empty block");
    if (pos != map.size_) return Status::Corrupt(where + ": block does not start where the previous one ended");
    if (size > UINT64_MAX - pos) return Status::Corrupt(where + ": block overflows");
    if (map.blocks_.size() >= kMaxRescueMapBlocks) return Status::LimitExceeded("map has too many blocks");
    map.blocks_.push_back({pos, size, static_cast<BlockState>(tokens[2][0])});
    map.size_ = pos + size;
  }
  if (!have_status_line) return Status::Corrupt("map has no status line");
  if (map.current_pos_ > map.size_) return Status::Corrupt("map current position lies beyond its end");
  return map;
}

Result<RescueMap> RescueMap::Load(const std::filesystem::path& path) {
  INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxRescueMapBytes));
  auto map = Parse(text);
  if (!map.ok()) return map.status().WithContext(path.string());
  return map;
}

std::string RescueMap::ToText(const std::vector<std::string>& header_lines) const {
  std::string out = "# Mapfile. Created by interdict " INTERDICT_VERSION " (GNU ddrescue mapfile format)\n";
  for (const auto& line : header_lines) out += "# " + line + "\n";
  out += "# current_pos  current_status  current_pass\n";
  char status = current_pos_ >= size_ ? '+' : '?';
  out += Hex(current_pos_) + "     " + status + "               1\n";
  out += "#      pos        size  status\n";
  for (const auto& block : blocks_) {
    out += Hex(block.pos) + "  " + Hex(block.size) + "  " + static_cast<char>(block.state) + "\n";
  }
  return out;
}

Status RescueMap::Mark(uint64_t pos, uint64_t size, BlockState state) {
  if (size == 0) return Status::Ok();
  if (pos > size_ || size > size_ - pos) return Status::InvalidArgument("map range lies outside the map");
  const uint64_t end = pos + size;
  std::vector<MapBlock> out;
  out.reserve(blocks_.size() + 2);
  auto append = [&out](MapBlock block) {
    if (block.size == 0) return;
    if (!out.empty() && out.back().state == block.state && out.back().pos + out.back().size == block.pos) {
      out.back().size += block.size;
    } else {
      out.push_back(block);
    }
  };
  bool inserted = false;
  for (const auto& block : blocks_) {
    const uint64_t block_end = block.pos + block.size;
    if (block_end <= pos || block.pos >= end) {
      if (block.pos >= end && !inserted) {
        append({pos, size, state});
        inserted = true;
      }
      append(block);
      continue;
    }
    if (block.pos < pos) append({block.pos, pos - block.pos, block.state});
    if (!inserted) {
      append({pos, size, state});
      inserted = true;
    }
    if (block_end > end) append({end, block_end - end, block.state});
  }
  if (!inserted) append({pos, size, state});
  blocks_ = std::move(out);
  return Status::Ok();
}

uint64_t RescueMap::CompletedPrefix() const {
  uint64_t prefix = 0;
  for (const auto& block : blocks_) {
    if (block.state != BlockState::kFinished && block.state != BlockState::kBad) break;
    prefix = block.pos + block.size;
  }
  return prefix;
}

std::vector<MapBlock> RescueMap::BadBlocks() const {
  std::vector<MapBlock> out;
  for (const auto& block : blocks_) {
    if (block.state == BlockState::kBad) out.push_back(block);
  }
  return out;
}

uint64_t RescueMap::BytesIn(BlockState state) const {
  uint64_t total = 0;
  for (const auto& block : blocks_) {
    if (block.state == state) total += block.size;
  }
  return total;
}

}  // namespace interdict::usb
