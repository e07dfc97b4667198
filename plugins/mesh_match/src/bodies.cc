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
  // Pass 1: body number per root in order of first appearance, and each body's triangle and vertex counts,
  // so pass 2 fills exactly sized arrays (no reallocation: a 10M-triangle plate moves ~360 MB less).
  std::vector<uint32_t> body_of_root(mesh.vertices.size(), UINT32_MAX);
  std::vector<uint32_t> body_of_triangle(mesh.triangles.size());
  std::vector<uint32_t> local_index(mesh.vertices.size(), UINT32_MAX);
  std::vector<uint64_t> triangle_count, vertex_count;
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    const Triangle& t = mesh.triangles[i];
    const uint32_t root = sets.Find(t[0]);
    if (body_of_root[root] == UINT32_MAX) {
      body_of_root[root] = static_cast<uint32_t>(triangle_count.size());
      triangle_count.push_back(0);
      vertex_count.push_back(0);
    }
    const uint32_t body = body_of_root[root];
    body_of_triangle[i] = body;
    ++triangle_count[body];
    for (int k = 0; k < 3; ++k) {
      uint32_t& li = local_index[t[k]];
      if (li == UINT32_MAX) li = static_cast<uint32_t>(vertex_count[body]++);  // first appearance order
    }
  }
  std::vector<uint32_t>().swap(body_of_root);
  std::vector<TriangleMesh> bodies(triangle_count.size());
  for (size_t b = 0; b < bodies.size(); ++b) {
    bodies[b].vertices.resize(vertex_count[b]);
    bodies[b].triangles.reserve(triangle_count[b]);
  }
  // Pass 2: copy each triangle and vertex to its body at the place pass 1 gave it.
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    const Triangle& t = mesh.triangles[i];
    TriangleMesh& body = bodies[body_of_triangle[i]];
    Triangle local;
    for (int k = 0; k < 3; ++k) {
      local[k] = local_index[t[k]];
      body.vertices[local[k]] = mesh.vertices[t[k]];
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
