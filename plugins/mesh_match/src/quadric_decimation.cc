#include "quadric_decimation.h"

#include <algorithm>
#include <queue>
#include <set>
#include <vector>

namespace interdict::mesh {
namespace {

constexpr double kMinNormalAgreement = 0.2;  // cos of the largest allowed normal change of a kept triangle

using Quadric = Eigen::Matrix4d;

struct Candidate {
  double cost;
  uint32_t a, b;
  uint32_t stamp_a, stamp_b;
  Eigen::Vector3d target;
  bool operator>(const Candidate& o) const { return cost > o.cost; }
};

class Decimator {
 public:
  explicit Decimator(const TriangleMesh& mesh) : faces_(mesh.triangles), alive_(mesh.triangles.size(), true) {
    for (const auto& v : mesh.vertices) positions_.push_back(v.cast<double>());
    quadrics_.assign(positions_.size(), Quadric::Zero());
    incident_.resize(positions_.size());
    stamps_.assign(positions_.size(), 0);
    for (uint32_t f = 0; f < faces_.size(); ++f) {
      for (uint32_t v : faces_[f]) incident_[v].push_back(f);
      const Eigen::Vector3d a = positions_[faces_[f][0]], b = positions_[faces_[f][1]], c = positions_[faces_[f][2]];
      Eigen::Vector3d n = (b - a).cross(c - a);
      const double area2 = n.norm();
      if (area2 <= 0) continue;
      n /= area2;
      const Eigen::Vector4d plane(n.x(), n.y(), n.z(), -n.dot(a));
      const Quadric q = 0.5 * area2 * plane * plane.transpose();
      for (uint32_t v : faces_[f]) quadrics_[v] += q;
    }
    alive_count_ = faces_.size();
  }

  TriangleMesh Run(size_t target) {
    for (uint32_t f = 0; f < faces_.size(); ++f) {
      for (int k = 0; k < 3; ++k) Push(faces_[f][k], faces_[f][(k + 1) % 3]);
    }
    while (alive_count_ > target && !queue_.empty()) {
      Candidate c = queue_.top();
      queue_.pop();
      if (stamps_[c.a] != c.stamp_a || stamps_[c.b] != c.stamp_b) continue;
      Collapse(c);
    }
    TriangleMesh out;
    std::vector<uint32_t> remap(positions_.size(), UINT32_MAX);
    for (uint32_t f = 0; f < faces_.size(); ++f) {
      if (!alive_[f]) continue;
      Triangle t;
      for (int k = 0; k < 3; ++k) {
        uint32_t& r = remap[faces_[f][k]];
        if (r == UINT32_MAX) {
          r = static_cast<uint32_t>(out.vertices.size());
          out.vertices.push_back(positions_[faces_[f][k]].cast<float>());
        }
        t[k] = r;
      }
      out.triangles.push_back(t);
    }
    return out;
  }

 private:
  void Push(uint32_t a, uint32_t b) {
    if (a > b) std::swap(a, b);
    const Quadric q = quadrics_[a] + quadrics_[b];
    Eigen::Matrix4d m = q;
    m.row(3) << 0, 0, 0, 1;
    Eigen::Vector3d target = 0.5 * (positions_[a] + positions_[b]);
    Eigen::FullPivLU<Eigen::Matrix4d> lu(m);
    if (lu.isInvertible()) {
      const Eigen::Vector4d x = lu.solve(Eigen::Vector4d(0, 0, 0, 1));
      // Stay near the edge: an optimum far away means an ill-conditioned quadric.
      if ((x.head<3>() - target).norm() < 2.0 * (positions_[a] - positions_[b]).norm()) target = x.head<3>();
    }
    const Eigen::Vector4d h(target.x(), target.y(), target.z(), 1.0);
    queue_.push({h.dot(q * h), a, b, stamps_[a], stamps_[b], target});
  }

  std::set<uint32_t> Neighbours(uint32_t v) const {
    std::set<uint32_t> out;
    for (uint32_t f : incident_[v]) {
      if (!alive_[f]) continue;
      for (uint32_t w : faces_[f]) {
        if (w != v) out.insert(w);
      }
    }
    return out;
  }

  bool Legal(uint32_t a, uint32_t b, const Eigen::Vector3d& target) const {
    const std::set<uint32_t> na = Neighbours(a), nb = Neighbours(b);
    if (!na.count(b)) return false;
    size_t common = 0;
    for (uint32_t w : na) common += nb.count(w);
    if (common != 2) return false;  // link condition for a closed manifold edge
    for (uint32_t v : {a, b}) {
      for (uint32_t f : incident_[v]) {
        if (!alive_[f]) continue;
        const Triangle& t = faces_[f];
        if ((t[0] == a || t[1] == a || t[2] == a) && (t[0] == b || t[1] == b || t[2] == b)) continue;  // removed
        Eigen::Vector3d p[3], q[3];
        for (int k = 0; k < 3; ++k) {
          p[k] = positions_[t[k]];
          q[k] = (t[k] == a || t[k] == b) ? target : p[k];
        }
        const Eigen::Vector3d before = (p[1] - p[0]).cross(p[2] - p[0]), after = (q[1] - q[0]).cross(q[2] - q[0]);
        if (after.norm() == 0 || before.norm() == 0) return false;
        if (before.normalized().dot(after.normalized()) < kMinNormalAgreement) return false;
      }
    }
    return true;
  }

  void Collapse(const Candidate& c) {
    const uint32_t a = c.a, b = c.b;
    if (!Legal(a, b, c.target)) return;
    positions_[a] = c.target;
    quadrics_[a] += quadrics_[b];
    for (uint32_t f : incident_[b]) {
      if (!alive_[f]) continue;
      Triangle& t = faces_[f];
      const bool has_a = t[0] == a || t[1] == a || t[2] == a;
      if (has_a) {
        alive_[f] = false;
        --alive_count_;
        continue;
      }
      for (uint32_t& v : t) {
        if (v == b) v = a;
      }
      incident_[a].push_back(f);
    }
    incident_[b].clear();
    ++stamps_[a];
    ++stamps_[b];
    for (uint32_t w : Neighbours(a)) Push(a, w);
  }

  std::vector<Eigen::Vector3d> positions_;
  std::vector<Triangle> faces_;
  std::vector<bool> alive_;
  std::vector<Quadric> quadrics_;
  std::vector<std::vector<uint32_t>> incident_;
  std::vector<uint32_t> stamps_;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue_;
  size_t alive_count_ = 0;
};

}  // namespace

TriangleMesh DecimateQuadric(const TriangleMesh& mesh, double keep_share) {
  Decimator decimator(mesh);
  return decimator.Run(static_cast<size_t>(keep_share * mesh.triangles.size()));
}

}  // namespace interdict::mesh
