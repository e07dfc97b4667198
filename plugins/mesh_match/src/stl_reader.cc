#include "stl_reader.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "joining_thread.h"
#include "mesh_builder.h"
#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// A cursor over ASCII STL text. Tokens are whitespace-separated words.
class TokenCursor {
 public:
  explicit TokenCursor(std::string_view text) : text_(text) {}
  std::string_view Next() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    size_t start = pos_;
    while (pos_ < text_.size() && !IsSpace(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  void SkipLine() {
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  }
  bool AtEnd() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    return pos_ >= text_.size();
  }
  size_t position() const { return pos_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

bool ParseFloat(std::string_view token, float* out) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *out);
  return ec == std::errc() && end == token.data() + token.size();
}

std::string_view AsText(std::span<const uint8_t> data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

// Decides ASCII vs binary the way admesh does in spirit: the "solid" keyword alone is not enough, since
// binary exporters often write it into the 80-byte header.
bool IsAsciiStl(std::string_view text) {
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  TokenCursor cursor(text.substr(0, std::min<size_t>(text.size(), kMaxAsciiLineBytes * 2)));
  if (!EqualsNoCase(cursor.Next(), "solid")) return false;
  cursor.SkipLine();
  std::string_view keyword = cursor.Next();
  return EqualsNoCase(keyword, "facet") || EqualsNoCase(keyword, "endsolid");
}

Result<ImportedMesh> ReadAsciiStl(std::string_view text) {
  ImportedMesh out;
  out.format = MeshFormat::kStlAscii;
  if (text.starts_with(kUtf8Bom)) {
    text.remove_prefix(kUtf8Bom.size());
    out.AddAnomaly("stl-bom", "ASCII STL starts with a UTF-8 byte-order mark");
  }
  // ~250 bytes per ASCII facet: a cheap size hint for the weld table.
  MeshBuilder builder(std::min<uint64_t>(text.size() / 200 + 16, kMaxTriangles));
  TokenCursor cursor(text);
  float corners[3][3];
  int corner = 0;
  bool saw_endsolid = false;
  bool in_facet = false;
  uint64_t facets = 0;
  uint64_t bad_facets = 0;
  while (!cursor.AtEnd()) {
    std::string_view token = cursor.Next();
    if (EqualsNoCase(token, "vertex")) {
      float xyz[3];
      bool ok = true;
      for (float& value : xyz) ok = ParseFloat(cursor.Next(), &value) && ok;
      if (!ok) {
        out.AddAnomaly("stl-bad-number", "unparseable vertex coordinate near byte " +
                                             std::to_string(cursor.position()),
                       true);
        ++bad_facets;
        corner = 0;
        continue;
      }
      if (corner < 3) std::memcpy(corners[corner], xyz, sizeof xyz);
      ++corner;
    } else if (EqualsNoCase(token, "facet")) {
      in_facet = true;
      corner = 0;
      cursor.SkipLine();  // "normal ni nj nk": normals are recomputed, never trusted
    } else if (EqualsNoCase(token, "endfacet")) {
      if (corner == 3) {
        ++facets;
        if (facets > kMaxTriangles) {
          return Status::LimitExceeded("ASCII STL holds more than " + std::to_string(kMaxTriangles) + " facets");
        }
        builder.AddTriangle(corners[0], corners[1], corners[2]);
      } else {
        ++bad_facets;
      }
      in_facet = false;
      corner = 0;
    } else if (EqualsNoCase(token, "endsolid")) {
      saw_endsolid = true;
      cursor.SkipLine();
    } else if (EqualsNoCase(token, "solid")) {
      cursor.SkipLine();  // the solid name; several solids in one file are legal in practice
    }
    // "outer", "loop", "endloop" and anything else are ignored, as admesh does.
  }
  if (in_facet) {
    out.AddAnomaly("stl-truncated", "ASCII STL ends inside a facet (file cut short)", true);
  } else if (!saw_endsolid) {
    out.AddAnomaly("stl-no-endsolid", "ASCII STL has no closing 'endsolid' (file cut short?)", true);
  }
  if (bad_facets > 0) {
    out.AddAnomaly("stl-bad-facets", std::to_string(bad_facets) + " facet(s) without exactly 3 readable vertices",
                     true);
  }
  out.source_triangles = facets;
  out.degenerate_triangles = builder.degenerate_triangles();
  out.nonfinite_triangles = builder.nonfinite_triangles();
  out.mesh = builder.Finish();
  if (out.mesh.triangles.empty()) {
    return Status::Corrupt("ASCII STL contains no usable facet (" + std::to_string(facets) + " read, " +
                           std::to_string(bad_facets) + " malformed)");
  }
  return out;
}

// Welds records [begin, end) of a binary STL body into builder.
void WeldRecords(const uint8_t* records, uint64_t begin, uint64_t end, MeshBuilder* builder) {
  // Weld-table slots of the corners kPrefetchRecords ahead are requested early, so their cache misses
  // overlap with the work on this record (measured in bench/mesh_match/SPEED.md).
  constexpr uint64_t kPrefetchRecords = 8;
  float corners[9];
  const uint8_t* record = records + begin * kStlRecordBytes;
  for (uint64_t i = begin; i < end; ++i, record += kStlRecordBytes) {
    if (i + kPrefetchRecords < end) {
      float ahead[9];
      std::memcpy(ahead, record + kPrefetchRecords * kStlRecordBytes + 12, sizeof ahead);
      for (int k = 0; k < 3; ++k) builder->Prefetch(ahead + 3 * k);
    }
    std::memcpy(corners, record + 12, sizeof corners);  // skip the stored normal
    builder->AddTriangle(corners, corners + 3, corners + 6);
  }
}

Result<ImportedMesh> ReadBinaryStl(std::span<const uint8_t> data, const StlReadOptions& options) {
  ImportedMesh out;
  out.format = MeshFormat::kStlBinary;
  const uint64_t preamble = kStlHeaderBytes + 4;
  if (data.size() < preamble) {
    return Status::Corrupt("file of " + std::to_string(data.size()) +
                           " bytes is too short for a binary STL (84-byte header and count)");
  }
  std::string_view header = AsText(data.first(kStlHeaderBytes));
  if (header.starts_with(kUtf8Bom) || header.starts_with("\xFE\xFF") || header.starts_with("\xFF\xFE")) {
    out.AddAnomaly("stl-bom-header", "binary STL header starts with a byte-order mark (some readers then fail)");
  }
  if (EqualsNoCase(header.substr(0, 5), "solid")) {
    out.AddAnomaly("stl-solid-header-binary",
                   "binary STL whose header starts with \"solid\" (readers that trust the keyword skip it)");
  }
  uint32_t declared = 0;
  std::memcpy(&declared, data.data() + kStlHeaderBytes, sizeof declared);  // little-endian host assumed (x86-64)
  const uint64_t by_size = (data.size() - preamble) / kStlRecordBytes;
  const uint64_t trailing = (data.size() - preamble) % kStlRecordBytes;
  if (declared != by_size) {
    if (declared > by_size) {
      out.AddAnomaly("stl-truncated", "header declares " + std::to_string(declared) + " facets but the file holds " +
                                          std::to_string(by_size) + " (file cut short)",
                      true);
    } else {
      out.AddAnomaly("stl-count-mismatch", "header declares " + std::to_string(declared) +
                                               " facets but the file size holds " + std::to_string(by_size) +
                                               "; read by file size, as slicers do");
    }
  }
  if (trailing != 0) {
    out.AddAnomaly("stl-trailing-bytes", std::to_string(trailing) + " byte(s) after the last whole facet");
  }
  if (by_size > kMaxTriangles) {
    return Status::LimitExceeded("binary STL holds " + std::to_string(by_size) + " facets, over the limit of " +
                                 std::to_string(kMaxTriangles));
  }
  if (by_size == 0) return Status::Corrupt("binary STL holds no facet");
  const uint8_t* records = data.data() + preamble;
  MeshBuilder builder(by_size);
  const int threads = options.threads > 0 ? options.threads : DefaultWorkerThreads();
  bool welded = false;
  if (threads >= 2 && by_size >= std::max<uint64_t>(options.parallel_min_triangles, 2)) {
    // Two halves welded side by side, then joined in file order (MeshBuilder::Append keeps the bytes).
    const uint64_t half = by_size / 2;
    MeshBuilder second(by_size - half);
    JoiningThread helper;
    if (helper.Start([&] { WeldRecords(records, half, by_size, &second); })) {
      WeldRecords(records, 0, half, &builder);
      helper.Join();
      builder.Append(std::move(second));
      welded = true;
    }
  }
  if (!welded) WeldRecords(records, 0, by_size, &builder);
  out.source_triangles = by_size;
  out.degenerate_triangles = builder.degenerate_triangles();
  out.nonfinite_triangles = builder.nonfinite_triangles();
  out.mesh = builder.Finish();
  if (out.mesh.triangles.empty()) {
    return Status::Corrupt("binary STL holds " + std::to_string(by_size) + " facets but none is a usable triangle");
  }
  return out;
}

}  // namespace

bool LooksLikeStl(std::span<const uint8_t> data) {
  if (IsAsciiStl(AsText(data))) return true;
  if (data.size() < kStlHeaderBytes + 4) return false;
  uint32_t declared = 0;
  std::memcpy(&declared, data.data() + kStlHeaderBytes, sizeof declared);
  const uint64_t by_size = (data.size() - kStlHeaderBytes - 4) / kStlRecordBytes;
  // Binary STL has no magic: accept when the size or the declared count is consistent.
  return by_size > 0 && (by_size == declared || (data.size() - kStlHeaderBytes - 4) % kStlRecordBytes == 0 ||
                         EqualsNoCase(AsText(data.first(5)), "solid"));
}

Result<ImportedMesh> ReadStl(std::span<const uint8_t> data) { return ReadStl(data, StlReadOptions{}); }

Result<ImportedMesh> ReadStl(std::span<const uint8_t> data, const StlReadOptions& options) {
  if (data.size() > kMaxMeshFileBytes) {
    return Status::LimitExceeded("STL of " + std::to_string(data.size()) + " bytes exceeds the file size limit");
  }
  Result<ImportedMesh> result = IsAsciiStl(AsText(data)) ? ReadAsciiStl(AsText(data)) : ReadBinaryStl(data, options);
  if (result.ok()) {
    if (result->nonfinite_triangles > 0) {
      result->AddAnomaly("nonfinite-coordinates",
                         std::to_string(result->nonfinite_triangles) + " facet(s) with NaN/Inf coordinates dropped");
    }
  }
  return result;
}

}  // namespace interdict::mesh
