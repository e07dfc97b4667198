#include "plugins/media_type.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace interdict {
namespace {

constexpr size_t kStlHeaderBytes = 80;
constexpr size_t kStlPrefixBytes = 84;  // header + triangle count
constexpr uint64_t kStlTriangleBytes = 50;
constexpr size_t kTarMagicOffset = 257;
constexpr size_t kGptHeaderOffsets[] = {512, 4096};
constexpr size_t kExtMagicOffset = 1024 + 56;

struct Magic {
  size_t offset;
  std::string_view bytes;
  const char* media_type;
};

// Fixed-offset signatures, checked in order. ZIP is handled separately (its contents decide 3MF/APK).
constexpr std::string_view kSparseMagic("\x3a\xff\x26\xed", 4);
constexpr std::string_view kXzMagic(
    "\xfd"
    "7zXZ\x00",
    6);
constexpr std::string_view k7zMagic("7z\xbc\xaf\x27\x1c", 6);
constexpr std::string_view kEwfMagic("EVF\x09\x0d\x0a\xff\x00", 8);   // EWF-E01 segment
constexpr std::string_view kEwf2Magic("EVF2\x0d\x0a\x81\x00", 8);  // EWF2-Ex01 segment
const std::array<Magic, 13> kMagics = {{
    {0, kEwfMagic, kMediaEwf},
    {0, kEwf2Magic, kMediaEwf},
    {0, kSparseMagic, kMediaAndroidSparse},
    {0, "ANDROID!", kMediaAndroidBoot},
    {0, "\x1f\x8b", kMediaGzip},
    {0, kXzMagic, kMediaXz},
    {0, k7zMagic, kMedia7z},
    {0,
     "\x7f"
     "ELF",
     kMediaElf},
    {0, "hsqs", kMediaSquashfs},
    {0, "070701", kMediaCpio},
    {0, "070702", kMediaCpio},
    {0, "070707", kMediaCpio},
    {kTarMagicOffset, "ustar", kMediaTar},
}};

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool HasAt(std::string_view data, size_t offset, std::string_view magic) {
  return data.size() >= offset + magic.size() && data.compare(offset, magic.size(), magic) == 0;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return Lower(a) == Lower(b); });
  return it != haystack.end();
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) { return Lower(a) == Lower(b); });
}

uint32_t ReadLe32(std::string_view data, size_t offset) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(data[offset + i]);
  return value;
}

const char* SniffZip(std::string_view head, std::string_view tail) {
  // 3MF and APK are ZIPs told apart by a member name, found in a local header (head) or the central
  // directory (tail).
  auto has_member = [&](std::string_view name) { return ContainsNoCase(head, name) || ContainsNoCase(tail, name); };
  if (has_member("3D/3dmodel.model")) return kMedia3mf;
  if (has_member("AndroidManifest.xml")) return kMediaApk;
  return kMediaZip;
}

bool IsDex(std::string_view head) {
  return head.size() >= 8 && HasAt(head, 0, "dex\n") && std::isdigit(static_cast<unsigned char>(head[4])) &&
         std::isdigit(static_cast<unsigned char>(head[5])) && std::isdigit(static_cast<unsigned char>(head[6])) &&
         head[7] == '\0';
}

bool IsBzip2(std::string_view head) {
  return head.size() >= 4 && HasAt(head, 0, "BZh") && head[3] >= '1' && head[3] <= '9';
}

bool IsBinaryStl(std::string_view head, uint64_t total_size) {
  if (head.size() < kStlPrefixBytes || total_size < kStlPrefixBytes) return false;
  uint64_t triangles = ReadLe32(head, kStlHeaderBytes);
  return triangles > 0 && kStlPrefixBytes + triangles * kStlTriangleBytes == total_size;
}

std::string_view TrimLeft(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view() : text.substr(start);
}

bool IsAsciiStl(std::string_view head) {
  std::string_view text = TrimLeft(head);
  return StartsWithNoCase(text, "solid") && head.find('\0') == std::string_view::npos &&
         (ContainsNoCase(text, "facet") || ContainsNoCase(text, "endsolid"));
}

bool IsPly(std::string_view head) { return HasAt(head, 0, "ply\n") || HasAt(head, 0, "ply\r\n"); }

// Wavefront OBJ has no magic: every line of the head must be a comment or an OBJ statement, with at least
// kObjMinVertexLines vertices. The last line is ignored when the head was cut off mid-line.
bool IsObj(std::string_view head, bool head_is_whole_input) {
  static constexpr std::array<std::string_view, 16> kStatements = {
      "v", "vt", "vn", "vp", "f", "l", "p", "o", "g", "s", "mtllib", "usemtl", "cstype", "deg", "curv", "surf"};
  if (head.find('\0') != std::string_view::npos) return false;
  int vertices = 0;
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find('\n', start);
    if (end == std::string_view::npos) {
      if (!head_is_whole_input) break;
      end = head.size();
    }
    std::string_view line = TrimLeft(head.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    size_t word_end = line.find_first_of(" \t");
    if (word_end == std::string_view::npos) return false;
    std::string_view word = line.substr(0, word_end);
    if (std::find(kStatements.begin(), kStatements.end(), word) == kStatements.end()) return false;
    if (word == "v") ++vertices;
  }
  return vertices >= kObjMinVertexLines;
}

}  // namespace

std::string SniffMediaType(std::span<const uint8_t> head_bytes, std::span<const uint8_t> tail_bytes,
                           uint64_t total_size) {
  std::string_view head = AsText(head_bytes.first(std::min(head_bytes.size(), kSniffHeadBytes)));
  std::string_view tail = AsText(tail_bytes.last(std::min(tail_bytes.size(), kSniffTailBytes)));
  for (const Magic& magic : kMagics) {
    if (HasAt(head, magic.offset, magic.bytes)) return magic.media_type;
  }
  if (HasAt(head, 0, "PK\x03\x04") || HasAt(head, 0, "PK\x05\x06")) return SniffZip(head, tail);
  if (IsBzip2(head)) return kMediaBzip2;
  if (IsDex(head)) return kMediaDex;
  if (IsPly(head)) return kMediaPly;
  for (size_t offset : kGptHeaderOffsets) {
    if (HasAt(head, offset, "EFI PART")) return kMediaGptDisk;
  }
  if (HasAt(head, kExtMagicOffset, "\x53\xef")) return kMediaExt4;
  if (IsBinaryStl(head, total_size)) return kMediaStl;
  if (IsAsciiStl(head)) return kMediaStl;
  if (IsObj(head, total_size <= head.size())) return kMediaObj;
  return kMediaOctetStream;
}

std::string SniffMediaType(std::span<const uint8_t> bytes) {
  return SniffMediaType(bytes.first(std::min(bytes.size(), kSniffHeadBytes)),
                        bytes.last(std::min(bytes.size(), kSniffTailBytes)), bytes.size());
}

Result<std::string> SniffMediaTypeOfFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IoError("cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  auto read_at = [&](uint64_t offset, size_t length, std::vector<uint8_t>* out) -> Status {
    out->resize(length);
    size_t done = 0;
    while (done < length) {
      ssize_t got = ::pread(fd, out->data() + done, length - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Status::IoError("cannot read " + path.string() + ": " + std::strerror(errno));
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    out->resize(done);
    return Status::Ok();
  };
  std::vector<uint8_t> head;
  std::vector<uint8_t> tail;
  Status status = read_at(0, static_cast<size_t>(std::min<uint64_t>(size, kSniffHeadBytes)), &head);
  if (status.ok() && size > kSniffHeadBytes) {
    uint64_t tail_length = std::min<uint64_t>(size - kSniffHeadBytes, kSniffTailBytes);
    status = read_at(size - tail_length, static_cast<size_t>(tail_length), &tail);
  }
  ::close(fd);
  if (!status.ok()) return status;
  return SniffMediaType(head, tail, size);
}

bool PluginAccepts(const PluginManifest& manifest, std::string_view media_type) {
  std::string type(media_type.substr(0, media_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(), Lower);
  size_t slash = type.find('/');
  for (std::string pattern : manifest.accepted_inputs) {
    std::transform(pattern.begin(), pattern.end(), pattern.begin(), Lower);
    if (pattern == "*" || pattern == "*/*" || pattern == type) return true;
    if (slash != std::string::npos && pattern.size() == slash + 2 && pattern.ends_with("/*") &&
        type.compare(0, slash + 1, pattern, 0, slash + 1) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace interdict
