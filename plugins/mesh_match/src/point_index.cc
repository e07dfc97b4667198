#include "point_index.h"

#include <nanoflann.hpp>

namespace interdict::mesh {
namespace {

struct CloudAdaptor {
  const std::vector<Eigen::Vector3d>* points;
  size_t kdtree_get_point_count() const { return points->size(); }
  double kdtree_get_pt(size_t i, size_t dim) const { return (*points)[i][static_cast<int>(dim)]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const { return false; }
};

using Kd = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, CloudAdaptor>, CloudAdaptor, 3>;
constexpr size_t kLeafSize = 12;

}  // namespace

struct PointIndex::Tree {
  explicit Tree(const std::vector<Eigen::Vector3d>& points)
      : adaptor{&points}, kd(3, adaptor, nanoflann::KDTreeSingleIndexAdaptorParams(kLeafSize)) {
    kd.buildIndex();
  }
  CloudAdaptor adaptor;
  Kd kd;
};

PointIndex::PointIndex(const std::vector<Eigen::Vector3d>& points) : tree_(std::make_unique<Tree>(points)) {}
PointIndex::~PointIndex() = default;

size_t PointIndex::Nearest(const Eigen::Vector3d& query, double* distance_squared) const {
  uint32_t index = 0;
  double d2 = 0;
  tree_->kd.knnSearch(query.data(), 1, &index, &d2);
  *distance_squared = d2;
  return index;
}

std::vector<uint32_t> PointIndex::NearestK(const Eigen::Vector3d& query, size_t k) const {
  std::vector<uint32_t> indices(k);
  std::vector<double> distances(k);
  indices.resize(tree_->kd.knnSearch(query.data(), k, indices.data(), distances.data()));
  return indices;
}

}  // namespace interdict::mesh
