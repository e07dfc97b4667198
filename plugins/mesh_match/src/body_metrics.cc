#include "body_metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Eigenvalues>

namespace interdict::mesh {
namespace {

// Edge census for watertightness. Each directed edge a->b is filed under its start vertex (a CSR table of
// outgoing edges, 4 bytes per corner); a vertex has a handful of outgoing edges, so counting b in out(a) and
// a in out(b) is a short scan. By hand rather than a hash map because the map cost ~0.3 s per million
// triangles (bench/mesh_match/SPEED.md) and this is ~10x less, with sequential memory access.
// Rules, per undirected edge {a, b}: used more than once in one direction, or more than twice in all, is
// non-manifold (counted once); used once in one direction only is a boundary edge; used once in each
// direction is an interior edge, and flat when its two triangles are coplanar (the CSR table also records the
// triangle of each directed edge for that).
void CountEdges(const TriangleMesh& body, BodyMetrics* m) {
  const size_t vertex_count = body.vertices.size();
  std::vector<uint32_t> start(vertex_count + 1, 0);
  for (const Triangle& t : body.triangles) {
    for (int k = 0; k < 3; ++k) ++start[t[k] + 1];
  }
  for (size_t v = 0; v < vertex_count; ++v) start[v + 1] += start[v];
  std::vector<uint32_t> fill(start.begin(), start.end() - 1);
  std::vector<uint32_t> targets(start[vertex_count]), faces(start[vertex_count]);
  for (uint32_t f = 0; f < body.triangles.size(); ++f) {
    const Triangle& t = body.triangles[f];
    for (int k = 0; k < 3; ++k) {
      faces[fill[t[k]]] = f;
      targets[fill[t[k]]++] = t[(k + 1) % 3];
    }
  }
  auto count_in = [&](uint32_t from, uint32_t to, uint32_t* last) {
    uint32_t n = 0;
    for (uint32_t e = start[from]; e < start[from + 1]; ++e) {
      if (targets[e] == to) {
        ++n;
        *last = e;
      }
    }
    return n;
  };
  auto unit_normal = [&](uint32_t f) {
    const Eigen::Vector3d a = body.Corner(f, 0);
    return Eigen::Vector3d((body.Corner(f, 1) - a).cross(body.Corner(f, 2) - a).normalized());
  };
  const double flat_cos = std::cos(kFlatEdgeRadians);
  for (uint32_t a = 0; a < vertex_count; ++a) {
    for (uint32_t e = start[a]; e < start[a + 1]; ++e) {
      const uint32_t b = targets[e];
      // Visit each distinct directed edge once: at its first occurrence in out(a).
      bool first = true;
      for (uint32_t f = start[a]; f < e && first; ++f) first = targets[f] != b;
      if (!first) continue;
      uint32_t forward_edge = e, back_edge = 0;
      const uint32_t count = count_in(a, b, &forward_edge), back = count_in(b, a, &back_edge);
      if (count > 1 || back > 1) {
        if (a < b || back == 0) ++m->nonmanifold_edges;
      } else if (back == 0) {
        ++m->boundary_edges;
      } else if (a < b) {
        ++m->interior_edges;
        // A degenerate triangle has no normal (NaN): never flat.
        if (unit_normal(faces[forward_edge]).dot(unit_normal(faces[back_edge])) > flat_cos) ++m->flat_edges;
      }
    }
  }
}

}  // namespace

BodyMetrics MeasureBody(const TriangleMesh& body) {
  BodyMetrics m;
  m.triangles = body.triangles.size();
  m.vertices = body.vertices.size();
  if (body.triangles.empty()) return m;
  m.bbox_min = body.vertices[0].cast<double>();
  m.bbox_max = m.bbox_min;
  for (const Eigen::Vector3f& v : body.vertices) {
    m.bbox_min = m.bbox_min.cwiseMin(v.cast<double>());
    m.bbox_max = m.bbox_max.cwiseMax(v.cast<double>());
  }
  // Work relative to the bbox centre for numerical stability far from the origin.
  const Eigen::Vector3d origin = 0.5 * (m.bbox_min + m.bbox_max);
  Eigen::Vector3d first = Eigen::Vector3d::Zero();
  Eigen::Matrix3d second = Eigen::Matrix3d::Zero();
  double signed_volume = 0;
  for (size_t i = 0; i < body.triangles.size(); ++i) {
    const Eigen::Vector3d a = body.Corner(i, 0) - origin, b = body.Corner(i, 1) - origin, c = body.Corner(i, 2) - origin;
    const double area = 0.5 * (b - a).cross(c - a).norm();
    m.area += area;
    signed_volume += a.dot(b.cross(c)) / 6.0;
    const Eigen::Vector3d s = a + b + c;
    first += area * s / 3.0;
    // Exact second moment of a uniform triangle: (A/12) (a a^T + b b^T + c c^T + s s^T).
    second += (area / 12.0) * (a * a.transpose() + b * b.transpose() + c * c.transpose() + s * s.transpose());
  }
  m.volume = std::abs(signed_volume);
  if (m.area > 0) {
    const Eigen::Vector3d mean = first / m.area;
    const Eigen::Matrix3d covariance = second / m.area - mean * mean.transpose();
    m.centroid = mean + origin;
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> solver(covariance);
    // Eigen returns ascending order; we want descending.
    for (int k = 0; k < 3; ++k) {
      m.eigenvalues[k] = std::max(0.0, solver.eigenvalues()[2 - k]);
      m.axes.col(k) = solver.eigenvectors().col(2 - k);
    }
    m.rms_radius = std::sqrt(std::max(0.0, covariance.trace()));
    // Fix each axis sign by the third moment of the surface along it (area-weighted triangle centroids).
    Eigen::Vector3d skew = Eigen::Vector3d::Zero();
    for (size_t i = 0; i < body.triangles.size(); ++i) {
      const Eigen::Vector3d a = body.Corner(i, 0), b = body.Corner(i, 1), c = body.Corner(i, 2);
      const double area = 0.5 * (b - a).cross(c - a).norm();
      const Eigen::Vector3d d = m.axes.transpose() * ((a + b + c) / 3.0 - m.centroid);
      skew += area * d.cwiseProduct(d).cwiseProduct(d);
    }
    for (int k = 0; k < 2; ++k) {
      if (skew[k] < 0) m.axes.col(k) = -m.axes.col(k);
    }
    m.axes.col(2) = m.axes.col(0).cross(m.axes.col(1));  // right-handed
  }
  CountEdges(body, &m);
  m.watertight = m.boundary_edges == 0 && m.nonmanifold_edges == 0;
  return m;
}

bool BodyMetrics::noise_free() const { return flat_edge_share() >= kNoiseFreeFlatEdgeShare; }

std::string GuessUnitFromSize(double diagonal) {
  if (diagonal < 0.4) return "m?";
  if (diagonal < 15) return "inch?";
  if (diagonal <= 1500) return "mm";
  return "micron?";
}

}  // namespace interdict::mesh
