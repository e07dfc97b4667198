// Builds a welded TriangleMesh from a stream of triangles (a "triangle soup" as STL stores it).
//
// Welding is by a hash on the position quantised to its float32 bit pattern (with -0 folded into +0), so two
// corners weld exactly when a slicer would consider them the same vertex; it never moves a vertex. Triangles
// whose corners weld together are degenerate and dropped (counted); triangles with NaN/Inf are dropped
// (counted). An open-addressing table keeps the weld at one probe per corner in the common case, which is
// what makes a 10M-triangle STL fit the time and memory budget (see bench/mesh_match/RESULTS.md).
// Not thread-safe.
#ifndef INTERDICT_MESH_MATCH_MESH_BUILDER_H_
#define INTERDICT_MESH_MATCH_MESH_BUILDER_H_

#include <cstdint>
#include <vector>

#include "triangle_mesh.h"

namespace interdict::mesh {

class MeshBuilder {
 public:
  // expected_triangles sizes the weld table; it is a hint, not a limit.
  explicit MeshBuilder(uint64_t expected_triangles);

  // Adds one triangle given as three xyz triples. Returns false if it was dropped.
  bool AddTriangle(const float* a, const float* b, const float* c);
  // Hints that xyz will be added soon: starts loading its weld-table slot into the cache. A 10M-triangle
  // file's table is 64 MB, so without this most new vertices wait on a cache miss.
  void Prefetch(const float* xyz) const;
  // Adds a vertex and returns its welded index (for formats that index their own vertices).
  uint32_t AddVertex(const float* xyz);
  // Adds a triangle by welded indices; drops it if two indices coincide.
  bool AddIndexedTriangle(uint32_t a, uint32_t b, uint32_t c);

  // Appends everything `later` built, as if its triangles had been added here after this builder's own: the
  // result (vertex order, triangle order, counts) is identical to adding all triangles to one builder. This
  // lets two threads weld the two halves of a file and still give the one-thread bytes. `later` is emptied.
  void Append(MeshBuilder&& later);

  uint64_t degenerate_triangles() const { return degenerate_; }
  uint64_t nonfinite_triangles() const { return nonfinite_; }
  // Moves the mesh out; the builder is empty afterwards.
  TriangleMesh Finish();

 private:
  void Grow();

  TriangleMesh mesh_;
  std::vector<uint32_t> table_;  // vertex index + 1; 0 = empty
  uint64_t mask_ = 0;
  uint64_t degenerate_ = 0;
  uint64_t nonfinite_ = 0;
};

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MESH_BUILDER_H_
