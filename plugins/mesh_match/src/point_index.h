// Nearest-neighbour search over a fixed 3D point set (nanoflann k-d tree), and exact closest-point search
// over the triangles of a mesh (TriangleIndex, an axis-aligned bounding-volume hierarchy). Both are
// immutable after construction; concurrent queries are safe. The point vector must outlive PointIndex;
// TriangleIndex keeps its own copy of the triangles.
#ifndef INTERDICT_MESH_MATCH_POINT_INDEX_H_
#define INTERDICT_MESH_MATCH_POINT_INDEX_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <Eigen/Dense>

#include "triangle_mesh.h"

namespace interdict::mesh {

class PointIndex {
 public:
  explicit PointIndex(const std::vector<Eigen::Vector3d>& points);
  ~PointIndex();
  PointIndex(const PointIndex&) = delete;
  PointIndex& operator=(const PointIndex&) = delete;

  // Index of the nearest point and its squared distance. The set must not be empty.
  size_t Nearest(const Eigen::Vector3d& query, double* distance_squared) const;
  // The same, starting from hint (which must index the set: e.g. the previous answer for a point that moved a
  // little): only points nearer than the hint are searched for, so the search prunes from the start. Same answer
  // as Nearest (among points at exactly equal distance, the hint is kept).
  size_t NearestFrom(const Eigen::Vector3d& query, size_t hint, double* distance_squared) const;
  // Indices of the k nearest points (fewer if the set is smaller) into out (room for k), in no particular order;
  // returns how many.
  size_t NearestSet(const Eigen::Vector3d& query, size_t k, uint32_t* out) const;

 private:
  struct Tree;
  std::unique_ptr<Tree> tree_;
};

// The k nearest points (the point itself included) of every stride-th point of a fixed set.
// Distances within a set keep their order under a similarity transform (rotation, uniform scale, translation),
// so a set's table is computed once and serves every pose of it: the locally averaged scores of registration
// use one per query for all its candidates and one per template for all queries.
class NeighbourTable {
 public:
  static constexpr size_t kMaxPoints = 65536;  // indices are stored in 16 bits, to halve the memory of a table
  // index is a PointIndex over points. points.size() must not exceed kMaxPoints (a programming error: the
  // sample sets that use tables are far smaller, see the static_asserts in registration.cc); it aborts. parallel:
  // the rows are searched on two threads (the table does not depend on it).
  NeighbourTable(const std::vector<Eigen::Vector3d>& points, const PointIndex& index, size_t k, size_t stride,
                 bool parallel = false);
  size_t rows() const { return width_ == 0 ? 0 : indices_.size() / width_; }
  size_t stride() const { return stride_; }
  // Neighbours of point r * stride(): min(k, points) of them, in no particular order.
  std::span<const uint16_t> Row(size_t r) const { return {indices_.data() + r * width_, width_}; }

 private:
  size_t width_ = 0, stride_ = 1;
  std::vector<uint16_t> indices_;
};

// Written by hand (about 100 lines) because the query is only "closest point on any triangle": nanoflann
// indexes points, not triangles, and a geometry library (CGAL, libigl) would be a heavy dependency for it.
class TriangleIndex {
 public:
  struct Closest {
    double distance = 0;           // Euclidean distance to the closest point of the surface
    Eigen::Vector3d point;         // the closest point
    Eigen::Vector3d normal;        // unit normal of the triangle it lies on (zero for a degenerate one)
    bool on_face_interior = false; // the closest point is inside the triangle (not on an edge or corner)
  };
  explicit TriangleIndex(const TriangleMesh& mesh);
  bool empty() const { return corners_.empty(); }
  // The mesh must have at least one triangle (empty() false).
  Closest ClosestTo(const Eigen::Vector3d& query) const;

 private:
  struct Node {
    Eigen::Vector3d lo, hi;
    uint32_t first = 0, count = 0;  // leaf: triangles [first, first + count); inner: count 0, children first, first + 1
  };
  void Build(std::vector<Eigen::Vector3d>& centroids);
  std::vector<std::array<Eigen::Vector3d, 3>> corners_;
  // Per triangle: unit normal (zero when degenerate) and its plane's offset (normal . corner 0). The distance to
  // the plane bounds the distance to the triangle from below, so most triangles of a visited leaf are rejected
  // by one dot product.
  std::vector<Eigen::Vector4d> planes_;
  std::vector<Node> nodes_;
};

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_POINT_INDEX_H_
