#include "point_index.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>

#include <nanoflann.hpp>

#include "joining_thread.h"

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
// Pending nodes of a ClosestTo search: a median-split tree over fewer than 2^32 triangles is under 32 levels
// deep and the search keeps at most one sibling per level plus the node at hand.
constexpr size_t kMaxTreeDepth = 64;

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

// The k nearest as a max-heap on distance, for nanoflann's search: O(log k) per accepted point, where nanoflann's
// KNNResultSet keeps a sorted array and shifts it (O(k)), which dominated the 256-neighbour searches of the
// neighbour tables. Same set as KNNResultSet (ties at the k-th distance aside), unordered.
class HeapResultSet {
 public:
  using DistanceType = double;
  HeapResultSet(size_t capacity, std::pair<double, uint32_t>* storage) : heap_(storage), capacity_(capacity) {}
  size_t size() const { return count_; }
  bool full() const { return count_ == capacity_; }
  double worstDist() const { return full() ? heap_[0].first : std::numeric_limits<double>::max(); }
  bool addPoint(double distance, uint32_t index) {
    if (count_ < capacity_) {
      heap_[count_++] = {distance, index};
      std::push_heap(heap_, heap_ + count_);
    } else if (capacity_ > 0 && distance < heap_[0].first) {
      std::pop_heap(heap_, heap_ + count_);
      heap_[count_ - 1] = {distance, index};
      std::push_heap(heap_, heap_ + count_);
    }
    return true;  // the search goes on
  }

 private:
  std::pair<double, uint32_t>* heap_;
  size_t capacity_;
  size_t count_ = 0;
};

// The nearest point, starting from a known one: nanoflann prunes every subtree farther than worstDist(), so a
// good start (the previous nearest of a point that moved a little) prunes from the first node on.
struct NearestResultSet {
  using DistanceType = double;
  uint32_t index;
  double distance_squared;
  size_t size() const { return 1; }
  bool full() const { return true; }
  double worstDist() const { return distance_squared; }
  bool addPoint(double d2, uint32_t i) {
    if (d2 < distance_squared) {
      distance_squared = d2;
      index = i;
    }
    return true;
  }
};

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

size_t PointIndex::NearestFrom(const Eigen::Vector3d& query, size_t hint, double* distance_squared) const {
  NearestResultSet result(static_cast<uint32_t>(hint), ((*tree_->adaptor.points)[hint] - query).squaredNorm());
  tree_->kd.findNeighbors(result, query.data(), nanoflann::SearchParams());
  *distance_squared = result.distance_squared;
  return result.index;
}

size_t PointIndex::NearestSet(const Eigen::Vector3d& query, size_t k, uint32_t* out) const {
  std::vector<std::pair<double, uint32_t>> heap(k);
  HeapResultSet result(k, heap.data());
  tree_->kd.findNeighbors(result, query.data(), nanoflann::SearchParams());
  for (size_t i = 0; i < result.size(); ++i) out[i] = heap[i].second;
  return result.size();
}

NeighbourTable::NeighbourTable(const std::vector<Eigen::Vector3d>& points, const PointIndex& index, size_t k,
                               size_t stride, bool parallel)
    : width_(std::min(k, points.size())), stride_(std::max<size_t>(1, stride)) {
  if (points.size() > kMaxPoints) {
    std::fprintf(stderr, "NeighbourTable: %zu points exceed %zu\n", points.size(), kMaxPoints);
    std::abort();
  }
  if (width_ == 0) return;
  const size_t rows = (points.size() + stride_ - 1) / stride_;
  indices_.resize(rows * width_);
  // Two halves of the rows, each with its own buffer (on two threads when parallel).
  ForEachIndex(2, parallel, [&](size_t half) {
    std::vector<uint32_t> found(width_);
    for (size_t r = half * rows / 2; r < (half + 1) * rows / 2; ++r) {
      // Every row is full: the set has at least width_ points.
      index.NearestSet(points[r * stride_], width_, found.data());
      std::copy(found.begin(), found.end(), indices_.begin() + r * width_);
    }
  });
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
  planes_.resize(corners_.size());
  for (size_t t = 0; t < corners_.size(); ++t) {
    const Eigen::Vector3d n = (corners_[t][1] - corners_[t][0]).cross(corners_[t][2] - corners_[t][0]);
    const double length = n.norm();
    const Eigen::Vector3d unit = length > 0 ? Eigen::Vector3d(n / length) : Eigen::Vector3d::Zero();
    planes_[t] << unit, unit.dot(corners_[t][0]);
  }
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
  // Depth-first, nearer child first, on a fixed stack: the median splits keep the tree balanced (depth at most
  // log2 of the triangle count, under 32), and the stack holds at most one pending sibling per level. Each entry
  // carries its box distance so a node is not measured twice.
  struct Pending {
    uint32_t node;
    double box_d2;
  };
  std::array<Pending, kMaxTreeDepth> stack;
  size_t depth = 0;
  stack[depth++] = {0, BoxDistanceSquared(query, nodes_[0].lo, nodes_[0].hi)};
  while (depth > 0) {
    const Pending pending = stack[--depth];
    if (pending.box_d2 >= best_d2) continue;
    const Node& node = nodes_[pending.node];
    if (node.count > 0) {
      for (uint32_t t = node.first; t < node.first + node.count; ++t) {
        const double to_plane = planes_[t].head<3>().dot(query) - planes_[t][3];
        if (to_plane * to_plane >= best_d2) continue;
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
    const double a_d2 = BoxDistanceSquared(query, a.lo, a.hi);
    const double b_d2 = BoxDistanceSquared(query, b.lo, b.hi);
    const bool a_first = a_d2 <= b_d2;
    // The nearer child goes on top, so it is searched first.
    stack[depth++] = a_first ? Pending{node.first + 1, b_d2} : Pending{node.first, a_d2};
    stack[depth++] = a_first ? Pending{node.first, a_d2} : Pending{node.first + 1, b_d2};
  }
  best.distance = std::sqrt(best_d2);
  best.normal = planes_[best_triangle].head<3>();
  return best;
}

}  // namespace interdict::mesh
