#include "geometry_hash.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/hash.h"

namespace interdict::mesh {
namespace {

using VertexKey = std::array<int64_t, 3>;

// A start-rotated triangle as its 3 ranks in one integer, so the sort compares native integers.
using RankedTriangle = unsigned __int128;

RankedTriangle PackRanks(uint32_t a, uint32_t b, uint32_t c) {
  return (static_cast<RankedTriangle>(a) << 64) | (static_cast<RankedTriangle>(b) << 32) | c;
}

// The hashed stream is, per distinct non-collapsed triangle in lexicographic order of its start-rotated
// corner keys, the 9 keys as int64 little-endian. To get there fast, vertices are ranked by key first (equal
// keys, equal rank), so a triangle sorts as 3 ranks (one 16-byte integer) instead of 9 keys (72 bytes), and
// the stream goes to SHA-256 in blocks instead of being built whole. Same bytes as sorting the keys
// themselves: rank order is key order (tests/mesh_match/describe_speed_test.cc checks it).
template <typename KeyOf>
std::string HashWith(const TriangleMesh& mesh, KeyOf key_of) {
  const size_t vertex_count = mesh.vertices.size();
  struct KeyedVertex {
    VertexKey key;
    uint32_t vertex;
  };
  std::vector<KeyedVertex> sorted(vertex_count);
  for (size_t i = 0; i < vertex_count; ++i) {
    for (int k = 0; k < 3; ++k) sorted[i].key[k] = key_of(mesh.vertices[i][k]);
    sorted[i].vertex = static_cast<uint32_t>(i);
  }
  std::sort(sorted.begin(), sorted.end(), [](const KeyedVertex& a, const KeyedVertex& b) { return a.key < b.key; });
  std::vector<uint32_t> rank(vertex_count);
  std::vector<VertexKey> key_of_rank;
  key_of_rank.reserve(vertex_count);
  for (size_t i = 0; i < vertex_count; ++i) {
    if (i == 0 || sorted[i].key != sorted[i - 1].key) key_of_rank.push_back(sorted[i].key);
    rank[sorted[i].vertex] = static_cast<uint32_t>(key_of_rank.size() - 1);
  }
  std::vector<KeyedVertex>().swap(sorted);
  std::vector<RankedTriangle> triangles;
  triangles.reserve(mesh.triangles.size());
  for (const Triangle& t : mesh.triangles) {
    const uint32_t r[3] = {rank[t[0]], rank[t[1]], rank[t[2]]};
    // After quantisation a triangle can collapse; it no longer describes a surface.
    if (r[0] == r[1] || r[1] == r[2] || r[0] == r[2]) continue;
    int start = 0;
    for (int k = 1; k < 3; ++k) {
      if (r[k] < r[start]) start = k;
    }
    triangles.push_back(PackRanks(r[start], r[(start + 1) % 3], r[(start + 2) % 3]));
  }
  std::sort(triangles.begin(), triangles.end());
  triangles.erase(std::unique(triangles.begin(), triangles.end()), triangles.end());
  MultiHasher hasher({HashAlgorithm::kSha256});
  constexpr size_t kBlockTriangles = 2048;
  constexpr size_t kKeyBytes = 3 * sizeof(int64_t);
  std::vector<uint8_t> block(kBlockTriangles * 3 * kKeyBytes);
  size_t used = 0;
  for (size_t i = 0; i < triangles.size(); ++i) {
    const uint32_t r[3] = {static_cast<uint32_t>(triangles[i] >> 64), static_cast<uint32_t>(triangles[i] >> 32),
                           static_cast<uint32_t>(triangles[i])};
    for (uint32_t corner : r) {
      const VertexKey& key = key_of_rank[corner];
      if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(block.data() + used, key.data(), kKeyBytes);
      } else {
        for (int d = 0; d < 3; ++d) {
          for (int b = 0; b < 8; ++b) {
            block[used + 8 * d + b] = static_cast<uint8_t>(static_cast<uint64_t>(key[d]) >> (8 * b));
          }
        }
      }
      used += kKeyBytes;
    }
    if (used == block.size() || i + 1 == triangles.size()) {
      hasher.Update(block.data(), used);
      used = 0;
    }
  }
  return hasher.Finish().sha256;
}

int64_t ExactKey(float f) {
  if (f == 0.0f) f = 0.0f;
  int32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  // Order-preserving map of float bits to integers (negative floats reversed).
  return bits < 0 ? -static_cast<int64_t>(bits & 0x7FFFFFFF) : static_cast<int64_t>(bits);
}

int64_t QuantisedKey(float f) { return static_cast<int64_t>(std::llround(static_cast<double>(f) / kQuantisedHashGrid)); }

}  // namespace

std::string ExactGeometryHash(const TriangleMesh& mesh) { return HashWith(mesh, ExactKey); }
std::string QuantisedGeometryHash(const TriangleMesh& mesh) { return HashWith(mesh, QuantisedKey); }

GeometryHashes HashGeometry(const TriangleMesh& mesh) { return {ExactGeometryHash(mesh), QuantisedGeometryHash(mesh)}; }

}  // namespace interdict::mesh
