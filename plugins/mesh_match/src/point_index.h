// Nearest-neighbour search over a fixed 3D point set (nanoflann k-d tree), and exact closest-point search
// over the triangles of a mesh (TriangleIndex, an axis-aligned bounding-volume hierarchy). Both are
// immutable after construction; concurrent queries are safe. The point vector must outlive PointIndex;
// TriangleIndex keeps its own copy of the triangles.
#ifndef INTERDICT_MESH_MATCH_POINT_INDEX_H_
#define INTERDICT_MESH_MATCH_POINT_INDEX_H_

#include <cstdint>
#include <memory>
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
  // Indices of the k nearest points (fewer if the set is smaller), nearest first.
  std::vector<uint32_t> NearestK(const Eigen::Vector3d& query, size_t k) const;

 private:
  struct Tree;
  std::unique_ptr<Tree> tree_;
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
  std::vector<Node> nodes_;
};

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_POINT_INDEX_H_
