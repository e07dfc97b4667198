#include "profile_extrusion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace interdict::mesh {
namespace {

double Cross(const Eigen::Vector2d& a, const Eigen::Vector2d& b) { return a.x() * b.y() - a.y() * b.x(); }

bool SegmentsCross(const Eigen::Vector2d& p1, const Eigen::Vector2d& p2, const Eigen::Vector2d& q1,
                   const Eigen::Vector2d& q2) {
  const double d1 = Cross(p2 - p1, q1 - p1), d2 = Cross(p2 - p1, q2 - p1);
  const double d3 = Cross(q2 - q1, p1 - q1), d4 = Cross(q2 - q1, p2 - q1);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

bool PointInTriangle(const Eigen::Vector2d& p, const Eigen::Vector2d& a, const Eigen::Vector2d& b,
                     const Eigen::Vector2d& c) {
  return Cross(b - a, p - a) >= 0 && Cross(c - b, p - b) >= 0 && Cross(a - c, p - c) >= 0;
}

}  // namespace

double SignedArea(const Loop2& loop) {
  double area = 0;
  for (size_t i = 0; i < loop.size(); ++i) area += Cross(loop[i], loop[(i + 1) % loop.size()]);
  return 0.5 * area;
}

Loop2 CircleLoop(Eigen::Vector2d centre, double radius, int segments, bool clockwise) {
  Loop2 loop;
  for (int i = 0; i < segments; ++i) {
    double a = 2 * std::numbers::pi * i / segments * (clockwise ? -1 : 1);
    loop.push_back(centre + radius * Eigen::Vector2d(std::cos(a), std::sin(a)));
  }
  return loop;
}

std::vector<Triangle> TriangulateProfile(const Profile& profile) {
  // Global vertex ids: outer first, then each hole.
  std::vector<Eigen::Vector2d> points(profile.outer.begin(), profile.outer.end());
  std::vector<uint32_t> polygon(profile.outer.size());
  for (uint32_t i = 0; i < polygon.size(); ++i) polygon[i] = i;
  std::vector<std::pair<size_t, size_t>> all_edges;  // for bridge visibility tests
  auto add_loop_edges = [&](size_t start, size_t count) {
    for (size_t i = 0; i < count; ++i) all_edges.emplace_back(start + i, start + (i + 1) % count);
  };
  add_loop_edges(0, profile.outer.size());
  std::vector<std::pair<double, size_t>> hole_order;
  std::vector<size_t> hole_start;
  for (size_t h = 0; h < profile.holes.size(); ++h) {
    hole_start.push_back(points.size());
    add_loop_edges(points.size(), profile.holes[h].size());
    double max_x = -std::numeric_limits<double>::infinity();
    for (const auto& p : profile.holes[h]) max_x = std::max(max_x, p.x());
    hole_order.emplace_back(-max_x, h);
    points.insert(points.end(), profile.holes[h].begin(), profile.holes[h].end());
  }
  std::sort(hole_order.begin(), hole_order.end());
  for (const auto& [neg_x, h] : hole_order) {
    const Loop2& hole = profile.holes[h];
    size_t m = 0;
    for (size_t i = 1; i < hole.size(); ++i) {
      if (hole[i].x() > hole[m].x()) m = i;
    }
    const uint32_t hole_vertex = static_cast<uint32_t>(hole_start[h] + m);
    // Nearest polygon vertex whose bridge crosses no edge.
    size_t best = SIZE_MAX;
    double best_d = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < polygon.size(); ++k) {
      const double d = (points[polygon[k]] - points[hole_vertex]).squaredNorm();
      if (d >= best_d) continue;
      bool blocked = false;
      for (const auto& [a, b] : all_edges) {
        if (a == polygon[k] || b == polygon[k] || a == hole_vertex || b == hole_vertex) continue;
        if (SegmentsCross(points[polygon[k]], points[hole_vertex], points[a], points[b])) {
          blocked = true;
          break;
        }
      }
      if (!blocked) {
        best = k;
        best_d = d;
      }
    }
    if (best == SIZE_MAX) return {};
    std::vector<uint32_t> spliced(polygon.begin(), polygon.begin() + best + 1);
    for (size_t i = 0; i <= hole.size(); ++i) spliced.push_back(static_cast<uint32_t>(hole_start[h] + (m + i) % hole.size()));
    spliced.push_back(polygon[best]);
    spliced.insert(spliced.end(), polygon.begin() + best + 1, polygon.end());
    polygon = std::move(spliced);
    all_edges.emplace_back(polygon[best], hole_vertex);
  }
  // Ear clipping.
  std::vector<Triangle> triangles;
  size_t guard = 0;
  while (polygon.size() > 3 && guard++ < 100000) {
    bool clipped = false;
    const size_t n = polygon.size();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t ia = polygon[(i + n - 1) % n], ib = polygon[i], ic = polygon[(i + 1) % n];
      const Eigen::Vector2d &a = points[ia], &b = points[ib], &c = points[ic];
      if (Cross(b - a, c - b) <= 1e-12) continue;  // reflex or flat
      bool contains = false;
      for (size_t j = 0; j < n && !contains; ++j) {
        const uint32_t v = polygon[j];
        if (v == ia || v == ib || v == ic) continue;
        if (points[v] == a || points[v] == b || points[v] == c) continue;  // bridge duplicates
        contains = PointInTriangle(points[v], a, b, c);
      }
      if (contains) continue;
      triangles.push_back({ia, ib, ic});
      polygon.erase(polygon.begin() + i);
      clipped = true;
      break;
    }
    if (!clipped) return {};
  }
  if (polygon.size() == 3) triangles.push_back({polygon[0], polygon[1], polygon[2]});
  return triangles;
}

TriangleMesh SweepProfile(const Profile& profile, const std::vector<SweepLayer>& layers) {
  TriangleMesh mesh;
  std::vector<const Loop2*> loops = {&profile.outer};
  for (const Loop2& hole : profile.holes) loops.push_back(&hole);
  size_t per_layer = 0;
  for (const Loop2* loop : loops) per_layer += loop->size();
  for (const SweepLayer& layer : layers) {
    const double c = std::cos(layer.twist), s = std::sin(layer.twist);
    for (const Loop2* loop : loops) {
      for (const Eigen::Vector2d& p : *loop) {
        const Eigen::Vector2d q = layer.scale * Eigen::Vector2d(c * p.x() - s * p.y(), s * p.x() + c * p.y()) + layer.shift;
        mesh.vertices.emplace_back(static_cast<float>(q.x()), static_cast<float>(q.y()), static_cast<float>(layer.z));
      }
    }
  }
  auto id = [&](size_t layer, size_t index) { return static_cast<uint32_t>(layer * per_layer + index); };
  size_t start = 0;
  for (const Loop2* loop : loops) {
    const size_t n = loop->size();
    for (size_t k = 0; k + 1 < layers.size(); ++k) {
      for (size_t i = 0; i < n; ++i) {
        const uint32_t a0 = id(k, start + i), a1 = id(k, start + (i + 1) % n);
        const uint32_t b0 = id(k + 1, start + i), b1 = id(k + 1, start + (i + 1) % n);
        mesh.triangles.push_back({a0, a1, b1});
        mesh.triangles.push_back({a0, b1, b0});
      }
    }
    start += n;
  }
  const std::vector<Triangle> cap = TriangulateProfile(profile);
  const size_t top = layers.size() - 1;
  for (const Triangle& t : cap) {
    mesh.triangles.push_back({id(top, t[0]), id(top, t[1]), id(top, t[2])});
    mesh.triangles.push_back({id(0, t[0]), id(0, t[2]), id(0, t[1])});
  }
  return mesh;
}

}  // namespace interdict::mesh
