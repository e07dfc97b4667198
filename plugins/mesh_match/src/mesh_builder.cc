#include "mesh_builder.h"

#include <cmath>
#include <cstring>

namespace interdict::mesh {
namespace {

inline uint32_t FloatBits(float f) {
  if (f == 0.0f) f = 0.0f;  // fold -0 into +0
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

inline uint64_t HashPosition(uint32_t x, uint32_t y, uint32_t z) {
  // splitmix64-style mixing of the three bit patterns.
  uint64_t h = (uint64_t{x} * 0x9E3779B97F4A7C15ull) ^ (uint64_t{y} * 0xC2B2AE3D27D4EB4Full) ^
               (uint64_t{z} * 0x165667B19E3779F9ull);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return h;
}

constexpr uint64_t kInitialTableSize = 1024;

}  // namespace

MeshBuilder::MeshBuilder(uint64_t expected_triangles) {
  // A closed mesh has about half as many vertices as triangles; size for load factor <= 0.5.
  uint64_t size = kInitialTableSize;
  while (size < expected_triangles + 16) size <<= 1;
  table_.assign(size, 0);
  mask_ = size - 1;
  mesh_.vertices.reserve(expected_triangles / 2 + 16);
  mesh_.triangles.reserve(expected_triangles);
}

void MeshBuilder::Grow() {
  uint64_t size = table_.size() * 2;
  table_.assign(size, 0);
  mask_ = size - 1;
  for (uint32_t i = 0; i < mesh_.vertices.size(); ++i) {
    const Eigen::Vector3f& v = mesh_.vertices[i];
    uint64_t slot = HashPosition(FloatBits(v.x()), FloatBits(v.y()), FloatBits(v.z())) & mask_;
    while (table_[slot] != 0) slot = (slot + 1) & mask_;
    table_[slot] = i + 1;
  }
}

void MeshBuilder::Prefetch(const float* xyz) const {
  const uint64_t slot = HashPosition(FloatBits(xyz[0]), FloatBits(xyz[1]), FloatBits(xyz[2])) & mask_;
  __builtin_prefetch(&table_[slot]);
}

uint32_t MeshBuilder::AddVertex(const float* xyz) {
  const uint32_t bx = FloatBits(xyz[0]), by = FloatBits(xyz[1]), bz = FloatBits(xyz[2]);
  uint64_t slot = HashPosition(bx, by, bz) & mask_;
  while (true) {
    uint32_t entry = table_[slot];
    if (entry == 0) break;
    const Eigen::Vector3f& v = mesh_.vertices[entry - 1];
    if (FloatBits(v.x()) == bx && FloatBits(v.y()) == by && FloatBits(v.z()) == bz) return entry - 1;
    slot = (slot + 1) & mask_;
  }
  const uint32_t index = static_cast<uint32_t>(mesh_.vertices.size());
  mesh_.vertices.emplace_back(xyz[0] == 0.0f ? 0.0f : xyz[0], xyz[1] == 0.0f ? 0.0f : xyz[1],
                              xyz[2] == 0.0f ? 0.0f : xyz[2]);
  table_[slot] = index + 1;
  if ((mesh_.vertices.size() + 1) * 2 > table_.size()) Grow();
  return index;
}

bool MeshBuilder::AddIndexedTriangle(uint32_t a, uint32_t b, uint32_t c) {
  if (a == b || b == c || a == c) {
    ++degenerate_;
    return false;
  }
  mesh_.triangles.push_back({a, b, c});
  return true;
}

bool MeshBuilder::AddTriangle(const float* a, const float* b, const float* c) {
  for (int i = 0; i < 3; ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i]) || !std::isfinite(c[i])) {
      ++nonfinite_;
      return false;
    }
  }
  return AddIndexedTriangle(AddVertex(a), AddVertex(b), AddVertex(c));
}

void MeshBuilder::Append(MeshBuilder&& later) {
  degenerate_ += later.degenerate_;
  nonfinite_ += later.nonfinite_;
  later.degenerate_ = later.nonfinite_ = 0;
  TriangleMesh part = later.Finish();
  // In one builder, `later`'s vertices not already here would have been appended in the order `later` first
  // met them, which is its own vertex order; the ones already here keep their index.
  std::vector<uint32_t> remap(part.vertices.size());
  for (size_t i = 0; i < part.vertices.size(); ++i) remap[i] = AddVertex(part.vertices[i].data());
  mesh_.triangles.reserve(mesh_.triangles.size() + part.triangles.size());
  for (const Triangle& t : part.triangles) mesh_.triangles.push_back({remap[t[0]], remap[t[1]], remap[t[2]]});
}

TriangleMesh MeshBuilder::Finish() {
  TriangleMesh out = std::move(mesh_);
  mesh_ = TriangleMesh();
  table_.assign(kInitialTableSize, 0);
  mask_ = kInitialTableSize - 1;
  return out;
}

}  // namespace interdict::mesh
