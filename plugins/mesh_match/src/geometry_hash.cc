#include "geometry_hash.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/hash.h"

namespace interdict::mesh {
namespace {

// One triangle as 9 sortable integers (position keys of its corners, start-rotated).
using TriangleKey = std::array<int64_t, 9>;

template <typename KeyOf>
std::string HashWith(const TriangleMesh& mesh, KeyOf key_of) {
  std::vector<std::array<int64_t, 3>> keys(mesh.vertices.size());
  for (size_t i = 0; i < mesh.vertices.size(); ++i) {
    for (int k = 0; k < 3; ++k) keys[i][k] = key_of(mesh.vertices[i][k]);
  }
  std::vector<TriangleKey> triangles;
  triangles.reserve(mesh.triangles.size());
  for (const Triangle& t : mesh.triangles) {
    int start = 0;
    for (int k = 1; k < 3; ++k) {
      if (keys[t[k]] < keys[t[start]]) start = k;
    }
    TriangleKey key;
    for (int k = 0; k < 3; ++k) {
      const auto& corner = keys[t[(start + k) % 3]];
      std::copy(corner.begin(), corner.end(), key.begin() + 3 * k);
    }
    // After quantisation a triangle can collapse; it no longer describes a surface.
    bool collapsed = std::equal(key.begin(), key.begin() + 3, key.begin() + 3) ||
                     std::equal(key.begin() + 3, key.begin() + 6, key.begin() + 6) ||
                     std::equal(key.begin(), key.begin() + 3, key.begin() + 6);
    if (!collapsed) triangles.push_back(key);
  }
  std::sort(triangles.begin(), triangles.end());
  triangles.erase(std::unique(triangles.begin(), triangles.end()), triangles.end());
  std::vector<uint8_t> stream;
  stream.reserve(triangles.size() * sizeof(TriangleKey));
  for (const TriangleKey& key : triangles) {
    for (int64_t v : key) {
      for (int b = 0; b < 8; ++b) stream.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * b)));
    }
  }
  return Sha256Hex(stream.data(), stream.size());
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

GeometryHashes HashGeometry(const TriangleMesh& mesh) {
  return {HashWith(mesh, ExactKey), HashWith(mesh, QuantisedKey)};
}

}  // namespace interdict::mesh
