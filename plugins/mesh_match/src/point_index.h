// Nearest-neighbour search over a fixed 3D point set (nanoflann k-d tree). Immutable after construction;
// concurrent Nearest() calls are safe. The point vector must outlive the index.
#ifndef INTERDICT_MESH_MATCH_POINT_INDEX_H_
#define INTERDICT_MESH_MATCH_POINT_INDEX_H_

#include <cstdint>
#include <memory>
#include <vector>

#include <Eigen/Dense>

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

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_POINT_INDEX_H_
