#include "bodies.h"

#include <algorithm>
#include <numeric>

namespace interdict::mesh {
namespace {

class DisjointSets {
 public:
  explicit DisjointSets(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0u); }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void Join(uint32_t a, uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<uint32_t> parent_;
};

}  // namespace

std::vector<TriangleMesh> SplitBodies(const TriangleMesh& mesh) {
  DisjointSets sets(mesh.vertices.size());
  for (const Triangle& t : mesh.triangles) {
    sets.Join(t[0], t[1]);
    sets.Join(t[1], t[2]);
  }
  // Body number per root, in order of first appearance.
  std::vector<uint32_t> body_of_root(mesh.vertices.size(), UINT32_MAX);
  std::vector<TriangleMesh> bodies;
  std::vector<uint32_t> local_index(mesh.vertices.size(), UINT32_MAX);
  std::vector<size_t> first_triangle;
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    const Triangle& t = mesh.triangles[i];
    uint32_t root = sets.Find(t[0]);
    if (body_of_root[root] == UINT32_MAX) {
      body_of_root[root] = static_cast<uint32_t>(bodies.size());
      bodies.emplace_back();
      first_triangle.push_back(i);
    }
    TriangleMesh& body = bodies[body_of_root[root]];
    Triangle local;
    for (int k = 0; k < 3; ++k) {
      uint32_t& li = local_index[t[k]];
      if (li == UINT32_MAX) {
        li = static_cast<uint32_t>(body.vertices.size());
        body.vertices.push_back(mesh.vertices[t[k]]);
      }
      local[k] = li;
    }
    body.triangles.push_back(local);
  }
  std::vector<size_t> order(bodies.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return bodies[a].triangles.size() > bodies[b].triangles.size();
  });
  std::vector<TriangleMesh> sorted;
  sorted.reserve(bodies.size());
  for (size_t i : order) sorted.push_back(std::move(bodies[i]));
  return sorted;
}

TriangleMesh JoinMeshes(const std::vector<TriangleMesh>& meshes) {
  TriangleMesh out;
  for (const TriangleMesh& m : meshes) {
    const uint32_t base = static_cast<uint32_t>(out.vertices.size());
    out.vertices.insert(out.vertices.end(), m.vertices.begin(), m.vertices.end());
    for (const Triangle& t : m.triangles) out.triangles.push_back({t[0] + base, t[1] + base, t[2] + base});
  }
  return out;
}

}  // namespace interdict::mesh
