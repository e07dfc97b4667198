#include "point_index.h"

#include <algorithm>
#include <limits>
#include <numeric>

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
constexpr uint32_t kTriangleLeafSize = 4;

// Closest point on triangle abc to p (Ericson, Real-Time Collision Detection, 5.1.5); interior is set when
// it lies strictly inside the face.
Eigen::Vector3d ClosestOnTriangle(const Eigen::Vector3d& p, const Eigen::Vector3d& a, const Eigen::Vector3d& b,
                                  const Eigen::Vector3d& c, bool* interior) {
  *interior = false;
  const Eigen::Vector3d ab = b - a, ac = c - a, ap = p - a;
  const double d1 = ab.dot(ap), d2 = ac.dot(ap);
  if (d1 <= 0 && d2 <= 0) return a;
  const Eigen::Vector3d bp = p - b;
  const double d3 = ab.dot(bp), d4 = ac.dot(bp);
  if (d3 >= 0 && d4 <= d3) return b;
  const double vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return a + (d1 / (d1 - d3)) * ab;
  const Eigen::Vector3d cp = p - c;
  const double d5 = ab.dot(cp), d6 = ac.dot(cp);
  if (d6 >= 0 && d5 <= d6) return c;
  const double vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return a + (d2 / (d2 - d6)) * ac;
  const double va = d3 * d6 - d5 * d4;
  if (va <= 0 && (d4 - d3) >= 0 && (d5 - d6) >= 0) return b + ((d4 - d3) / ((d4 - d3) + (d5 - d6))) * (c - b);
  const double sum = va + vb + vc;
  if (!(sum > 0)) return a;  // degenerate triangle
  *interior = true;
  return a + ab * (vb / sum) + ac * (vc / sum);
}

double BoxDistanceSquared(const Eigen::Vector3d& p, const Eigen::Vector3d& lo, const Eigen::Vector3d& hi) {
  return (lo - p).cwiseMax(p - hi).cwiseMax(0.0).squaredNorm();
}

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

TriangleIndex::TriangleIndex(const TriangleMesh& mesh) {
  corners_.reserve(mesh.triangle_count());
  for (size_t t = 0; t < mesh.triangle_count(); ++t) {
    corners_.push_back({mesh.Corner(t, 0), mesh.Corner(t, 1), mesh.Corner(t, 2)});
  }
  if (corners_.empty()) return;
  std::vector<Eigen::Vector3d> centroids(corners_.size());
  for (size_t t = 0; t < corners_.size(); ++t) centroids[t] = (corners_[t][0] + corners_[t][1] + corners_[t][2]) / 3.0;
  nodes_.reserve(2 * corners_.size() / kTriangleLeafSize + 2);
  nodes_.emplace_back();
  Build(centroids);
}

// Fills the tree from the root (already pushed) by median splits of the centroids along the longest box axis.
void TriangleIndex::Build(std::vector<Eigen::Vector3d>& centroids) {
  // Iterative over an explicit stack so a hostile, deeply unbalanced mesh cannot overflow the call stack.
  struct Pending { uint32_t node, first, count; };
  std::vector<Pending> stack{{0, 0, static_cast<uint32_t>(corners_.size())}};
  while (!stack.empty()) {
    const Pending job = stack.back();
    stack.pop_back();
    Node node;
    node.lo = Eigen::Vector3d::Constant(std::numeric_limits<double>::infinity());
    node.hi = -node.lo;
    for (uint32_t t = job.first; t < job.first + job.count; ++t) {
      for (const Eigen::Vector3d& v : corners_[t]) {
        node.lo = node.lo.cwiseMin(v);
        node.hi = node.hi.cwiseMax(v);
      }
    }
    if (job.count <= kTriangleLeafSize) {
      node.first = job.first;
      node.count = job.count;
      nodes_[job.node] = node;
      continue;
    }
    int axis = 0;
    (node.hi - node.lo).maxCoeff(&axis);
    const uint32_t half = job.count / 2;
    std::vector<uint32_t> order(job.count);
    std::iota(order.begin(), order.end(), job.first);
    std::nth_element(order.begin(), order.begin() + half, order.end(),
                     [&](uint32_t a, uint32_t b) { return centroids[a][axis] < centroids[b][axis]; });
    std::vector<std::array<Eigen::Vector3d, 3>> corners(job.count);
    std::vector<Eigen::Vector3d> cents(job.count);
    for (uint32_t k = 0; k < job.count; ++k) {
      corners[k] = corners_[order[k]];
      cents[k] = centroids[order[k]];
    }
    std::copy(corners.begin(), corners.end(), corners_.begin() + job.first);
    std::copy(cents.begin(), cents.end(), centroids.begin() + job.first);
    node.first = static_cast<uint32_t>(nodes_.size());
    node.count = 0;
    nodes_.emplace_back();
    nodes_.emplace_back();
    nodes_[job.node] = node;
    stack.push_back({node.first, job.first, half});
    stack.push_back({node.first + 1, job.first + half, job.count - half});
  }
}

TriangleIndex::Closest TriangleIndex::ClosestTo(const Eigen::Vector3d& query) const {
  Closest best;
  double best_d2 = std::numeric_limits<double>::infinity();
  uint32_t best_triangle = 0;
  std::vector<uint32_t> stack{0};
  stack.reserve(64);
  while (!stack.empty()) {
    const Node& node = nodes_[stack.back()];
    stack.pop_back();
    if (BoxDistanceSquared(query, node.lo, node.hi) >= best_d2) continue;
    if (node.count > 0) {
      for (uint32_t t = node.first; t < node.first + node.count; ++t) {
        bool interior = false;
        const Eigen::Vector3d c = ClosestOnTriangle(query, corners_[t][0], corners_[t][1], corners_[t][2], &interior);
        const double d2 = (c - query).squaredNorm();
        if (d2 < best_d2) {
          best_d2 = d2;
          best.point = c;
          best.on_face_interior = interior;
          best_triangle = t;
        }
      }
      continue;
    }
    const Node& a = nodes_[node.first];
    const Node& b = nodes_[node.first + 1];
    const bool a_first = BoxDistanceSquared(query, a.lo, a.hi) <= BoxDistanceSquared(query, b.lo, b.hi);
    stack.push_back(a_first ? node.first + 1 : node.first);  // the nearer child is searched first
    stack.push_back(a_first ? node.first : node.first + 1);
  }
  best.distance = std::sqrt(best_d2);
  const auto& tri = corners_[best_triangle];
  const Eigen::Vector3d n = (tri[1] - tri[0]).cross(tri[2] - tri[0]);
  const double length = n.norm();
  best.normal = length > 0 ? Eigen::Vector3d(n / length) : Eigen::Vector3d::Zero();
  return best;
}

}  // namespace interdict::mesh
