#include "protocol/adb_block_commands.h"

#include <charconv>

namespace interdict::usb {
namespace {

constexpr std::string_view kSizePrefix = "exec:blockdev --getsize64 ";
constexpr std::string_view kReadPrefix = "exec:dd if=";

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// Reads "<key><decimal>" at the front of `text`; no sign, no leading zeros except "0" itself.
std::optional<uint64_t> TakeNumber(std::string_view& text, std::string_view key) {
  if (text.substr(0, key.size()) != key) return std::nullopt;
  text.remove_prefix(key.size());
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const size_t digits = static_cast<size_t>(end - text.data());
  if (ec != std::errc() || digits == 0 || (digits > 1 && text.front() == '0')) return std::nullopt;
  text.remove_prefix(digits);
  return value;
}

}  // namespace

bool IsAdbBlockDevicePath(std::string_view path) {
  if (path.size() > kMaxAdbBlockPathBytes || path.substr(0, kAdbBlockDirectory.size()) != kAdbBlockDirectory) {
    return false;
  }
  std::string_view rest = path.substr(kAdbBlockDirectory.size());
  if (rest.empty()) return false;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string_view component = rest.substr(0, slash);
    if (component.empty() || component == "." || component == "..") return false;
    for (char c : component) {
      if (!IsNameCharacter(c)) return false;
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
    if (rest.empty()) return false;  // trailing slash
  }
  return true;
}

std::string EncodeAdbBlockSizeService(std::string_view path) { return std::string(kSizePrefix) + std::string(path); }

std::string EncodeAdbBlockReadService(const AdbBlockRead& read) {
  return std::string(kReadPrefix) + read.path + " bs=" + std::to_string(kAdbBlockSectorBytes) +
         " skip=" + std::to_string(read.first_sector) + " count=" + std::to_string(read.sector_count) +
         " status=none";
}

std::optional<std::string> ParseAdbBlockSizeService(std::string_view service) {
  if (service.substr(0, kSizePrefix.size()) != kSizePrefix) return std::nullopt;
  const std::string_view path = service.substr(kSizePrefix.size());
  if (!IsAdbBlockDevicePath(path)) return std::nullopt;
  return std::string(path);
}

std::optional<AdbBlockRead> ParseAdbBlockReadService(std::string_view service) {
  if (service.substr(0, kReadPrefix.size()) != kReadPrefix) return std::nullopt;
  std::string_view rest = service.substr(kReadPrefix.size());
  const size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  AdbBlockRead read;
  read.path = std::string(rest.substr(0, space));
  if (!IsAdbBlockDevicePath(read.path)) return std::nullopt;
  rest.remove_prefix(space);
  const auto bs = TakeNumber(rest, " bs=");
  const auto skip = bs ? TakeNumber(rest, " skip=") : std::nullopt;
  const auto count = skip ? TakeNumber(rest, " count=") : std::nullopt;
  if (!count || *bs != kAdbBlockSectorBytes || rest != " status=none") return std::nullopt;
  if (*count == 0 || *count > kMaxAdbBlockReadBytes / kAdbBlockSectorBytes) return std::nullopt;
  if (*skip > UINT64_MAX / kAdbBlockSectorBytes) return std::nullopt;
  read.first_sector = *skip;
  read.sector_count = *count;
  return read;
}

}  // namespace interdict::usb
