#include "standin_generator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <queue>
#include <unordered_map>

#include <Eigen/Geometry>

#include "bodies.h"
#include "body_metrics.h"
#include "profile_extrusion.h"
#include "surface_sampler.h"

namespace interdict::mesh {
namespace {

constexpr double kPi = std::numbers::pi;

double Range(SplitMix64& rng, double lo, double hi) { return lo + (hi - lo) * rng.Uniform(); }

// A sweep with `count` layers over height h; twist, taper and shear make the part chiral.
std::vector<SweepLayer> Layers(int count, double height, double twist, double taper, Eigen::Vector2d shear) {
  std::vector<SweepLayer> layers;
  for (int k = 0; k <= count; ++k) {
    const double t = static_cast<double>(k) / count;
    layers.push_back({height * t, 1.0 + taper * t, twist * t, shear * t});
  }
  return layers;
}

Loop2 RoundedRect(double w, double h, double r, int corner_segments) {
  Loop2 loop;
  const Eigen::Vector2d centres[4] = {{w / 2 - r, h / 2 - r}, {-w / 2 + r, h / 2 - r}, {-w / 2 + r, -h / 2 + r},
                                      {w / 2 - r, -h / 2 + r}};
  for (int c = 0; c < 4; ++c) {
    for (int i = 0; i <= corner_segments; ++i) {
      const double a = kPi / 2 * (c + static_cast<double>(i) / corner_segments);
      loop.push_back(centres[c] + r * Eigen::Vector2d(std::cos(a), std::sin(a)));
    }
  }
  return loop;
}

TriangleMesh Bracket(SplitMix64& rng, bool near) {
  const double a = Range(rng, 30, 70), b = Range(rng, 20, 50), t = Range(rng, 4, 9);
  const double width = Range(rng, 10, 30) + (near ? 4.0 : 0.0);
  // L profile, counter-clockwise.
  Profile p;
  p.outer = {{0, 0}, {a, 0}, {a, t}, {t, t}, {t, b}, {0, b}};
  const double hole_r = Range(rng, 1.5, 0.35 * t);
  p.holes.push_back(CircleLoop({a * Range(rng, 0.55, 0.85), t / 2}, std::min(hole_r, 0.4 * t), 10, true));
  return SweepProfile(p, Layers(4, width, Range(rng, 0.05, 0.25), Range(rng, -0.1, 0.1), {Range(rng, 0, 4), 0}));
}

TriangleMesh Gear(SplitMix64& rng, bool near) {
  const int teeth = static_cast<int>(Range(rng, 8, 20)) + (near ? 1 : 0);
  const double r = Range(rng, 15, 35), depth = Range(rng, 0.1, 0.2) * r, bore = Range(rng, 0.2, 0.4) * r;
  Profile p;
  const int per_tooth = 4;
  for (int i = 0; i < teeth * per_tooth; ++i) {
    const double a = 2 * kPi * i / (teeth * per_tooth);
    const double radius = (i % per_tooth == 1 || i % per_tooth == 2) ? r + depth : r;
    p.outer.push_back(radius * Eigen::Vector2d(std::cos(a), std::sin(a)));
  }
  Loop2 hole = CircleLoop({0, 0}, bore, 16, true);
  hole[0].x() += 0.5 * bore;  // a keyway, so the bore is not a pure circle
  p.holes.push_back(hole);
  return SweepProfile(p, Layers(3, Range(rng, 6, 16), Range(rng, 0.15, 0.4), 0, {0, 0}));
}

TriangleMesh Tube(SplitMix64& rng, bool near) {
  const double r = Range(rng, 6, 15), wall = Range(rng, 1.5, 3.5), length = Range(rng, 40, 100) * (near ? 1.08 : 1.0);
  Profile p;
  p.outer = CircleLoop({0, 0}, r, 24, false);
  for (int i = 0; i < 4; ++i) p.outer[i].x() -= std::min(0.15 * r, 0.4 * wall);  // a flat, so the tube has a key
  p.holes.push_back(CircleLoop({0, 0}, r - wall, 24, true));
  const double flange = Range(rng, 1.2, 1.5), twist = Range(rng, 0.1, 0.5);
  // A flange at one end only: two layers at the flange scale, then the tube body.
  std::vector<SweepLayer> layers = {{0.0, flange, 0.0, {0, 0}}, {0.08 * length, flange, 0.0, {0, 0}}};
  for (int k = 0; k <= 6; ++k) {
    const double t = static_cast<double>(k) / 6;
    layers.push_back({length * (0.1 + 0.9 * t), 1.0, twist * t, {0, 0}});
  }
  return SweepProfile(p, layers);
}

TriangleMesh Slide(SplitMix64& rng, bool near) {
  const double w = Range(rng, 12, 25), h = Range(rng, 8, 16), t = Range(rng, 1.5, 3), length = Range(rng, 60, 140);
  const double lip = std::min(Range(rng, 2, 5) + (near ? 1.5 : 0.0), 0.4 * w);
  Profile p;  // U channel with lips, counter-clockwise
  p.outer = {{0, 0}, {w, 0}, {w, h}, {w - lip, h}, {w - lip, h - t}, {w - t, h - t}, {w - t, t}, {t, t},
             {t, h - t}, {lip, h - t}, {lip, h}, {0, h}};
  return SweepProfile(p, Layers(10, length, Range(rng, 0.05, 0.2), Range(rng, -0.15, 0.15), {0, Range(rng, 1, 5)}));
}

TriangleMesh Hinge(SplitMix64& rng, bool near) {
  const double w = Range(rng, 25, 50), h = Range(rng, 20, 40), knuckle = Range(rng, 4, 7);
  Profile p;
  p.outer = RoundedRect(w, h, knuckle, 4);
  p.holes.push_back(CircleLoop({w / 2 - knuckle, h / 2 - knuckle}, 0.45 * knuckle, 10, true));
  p.holes.push_back(CircleLoop({-w / 4, Range(rng, -h / 4, 0)}, Range(rng, 1.5, 3), 10, true));
  if (!near) p.holes.push_back(CircleLoop({w / 8, -h / 4}, Range(rng, 1.5, 3), 10, true));
  return SweepProfile(p, Layers(3, Range(rng, 2.5, 5), Range(rng, 0.05, 0.2), 0, {Range(rng, 0.5, 2), 0}));
}

TriangleMesh Housing(SplitMix64& rng, bool near) {
  const double w = Range(rng, 30, 70), h = Range(rng, 20, 50), wall = Range(rng, 2.5, 5);
  Profile p;
  p.outer = RoundedRect(w, h, Range(rng, 3, 8), 3);
  // A tab on one side makes the outline asymmetric.
  p.outer.push_back({w / 2 + Range(rng, 5, 10) * (near ? 1.3 : 1.0), 0});  // between the last and first corner
  Loop2 inner = RoundedRect(w - 2 * wall, h - 2 * wall, 2, 3);
  std::reverse(inner.begin(), inner.end());
  p.holes.push_back(inner);
  return SweepProfile(p, Layers(5, Range(rng, 15, 40), Range(rng, 0.05, 0.15), Range(rng, -0.2, 0.0), {0, 0}));
}

}  // namespace

const char* PartFamilyName(PartFamily family) {
  switch (family) {
    case PartFamily::kBracket: return "bracket";
    case PartFamily::kGear: return "gear";
    case PartFamily::kTube: return "tube";
    case PartFamily::kSlide: return "slide";
    case PartFamily::kHinge: return "hinge";
    case PartFamily::kHousing: return "housing";
  }
  return "part";
}

StandInPart GenerateStandIn(uint64_t seed, bool near_miss) {
  SplitMix64 rng(seed * 0x9E3779B97F4A7C15ull + 17);
  const PartFamily family = static_cast<PartFamily>(seed % kPartFamilyCount);
  StandInPart part;
  part.family = family;
  part.id = std::string(PartFamilyName(family)) + "-" + std::to_string(seed) + (near_miss ? "-near" : "");
  switch (family) {
    case PartFamily::kBracket: part.mesh = Bracket(rng, near_miss); break;
    case PartFamily::kGear: part.mesh = Gear(rng, near_miss); break;
    case PartFamily::kTube: part.mesh = Tube(rng, near_miss); break;
    case PartFamily::kSlide: part.mesh = Slide(rng, near_miss); break;
    case PartFamily::kHinge: part.mesh = Hinge(rng, near_miss); break;
    case PartFamily::kHousing: part.mesh = Housing(rng, near_miss); break;
  }
  return part;
}

RigidMotion RandomRigidMotion(uint64_t seed, double max_translation) {
  SplitMix64 rng(seed ^ 0x5EEDull);
  Eigen::Quaterniond q(rng.Gaussian(), rng.Gaussian(), rng.Gaussian(), rng.Gaussian());
  q.normalize();
  RigidMotion m;
  m.rotation = q.toRotationMatrix();
  m.translation = max_translation * Eigen::Vector3d(Range(rng, -1, 1), Range(rng, -1, 1), Range(rng, -1, 1));
  return m;
}

TriangleMesh TransformMesh(const TriangleMesh& mesh, const RigidMotion& motion, double scale, bool mirror) {
  TriangleMesh out = mesh;
  for (Eigen::Vector3f& v : out.vertices) {
    Eigen::Vector3d p = v.cast<double>();
    if (mirror) p.x() = -p.x();
    v = (scale * (motion.rotation * p) + motion.translation).cast<float>();
  }
  if (mirror) {
    for (Triangle& t : out.triangles) std::swap(t[1], t[2]);
  }
  return out;
}

TriangleMesh SubdivideMidpoint(const TriangleMesh& mesh, int levels) {
  TriangleMesh current = mesh;
  for (int level = 0; level < levels; ++level) {
    TriangleMesh next;
    next.vertices = current.vertices;
    std::unordered_map<uint64_t, uint32_t> midpoints;
    auto midpoint = [&](uint32_t a, uint32_t b) {
      const uint64_t key = (uint64_t{std::min(a, b)} << 32) | std::max(a, b);
      auto [it, inserted] = midpoints.emplace(key, 0);
      if (inserted) {
        it->second = static_cast<uint32_t>(next.vertices.size());
        next.vertices.push_back(0.5f * (current.vertices[a] + current.vertices[b]));
      }
      return it->second;
    };
    for (const Triangle& t : current.triangles) {
      const uint32_t ab = midpoint(t[0], t[1]), bc = midpoint(t[1], t[2]), ca = midpoint(t[2], t[0]);
      next.triangles.push_back({t[0], ab, ca});
      next.triangles.push_back({ab, t[1], bc});
      next.triangles.push_back({ca, bc, t[2]});
      next.triangles.push_back({ab, bc, ca});
    }
    current = std::move(next);
  }
  return current;
}

namespace {

TriangleMesh ClusterOnGrid(const TriangleMesh& mesh, double cell) {
  std::map<std::array<int64_t, 3>, uint32_t> cells;
  std::vector<Eigen::Vector3d> sums;
  std::vector<int> counts;
  std::vector<uint32_t> remap(mesh.vertices.size());
  for (size_t i = 0; i < mesh.vertices.size(); ++i) {
    const Eigen::Vector3f& v = mesh.vertices[i];
    std::array<int64_t, 3> key = {static_cast<int64_t>(std::floor(v.x() / cell)), static_cast<int64_t>(std::floor(v.y() / cell)),
                                  static_cast<int64_t>(std::floor(v.z() / cell))};
    auto [it, inserted] = cells.emplace(key, static_cast<uint32_t>(sums.size()));
    if (inserted) {
      sums.push_back(Eigen::Vector3d::Zero());
      counts.push_back(0);
    }
    sums[it->second] += v.cast<double>();
    ++counts[it->second];
    remap[i] = it->second;
  }
  TriangleMesh out;
  for (size_t i = 0; i < sums.size(); ++i) out.vertices.push_back((sums[i] / counts[i]).cast<float>());
  for (const Triangle& t : mesh.triangles) {
    Triangle r = {remap[t[0]], remap[t[1]], remap[t[2]]};
    if (r[0] != r[1] && r[1] != r[2] && r[0] != r[2]) out.triangles.push_back(r);
  }
  return out;
}

}  // namespace

TriangleMesh DecimateByClustering(const TriangleMesh& mesh, double keep_share) {
  const BodyMetrics m = MeasureBody(mesh);
  const size_t target = static_cast<size_t>(keep_share * mesh.triangles.size());
  double lo = 1e-6 * m.diagonal(), hi = 0.2 * m.diagonal();
  TriangleMesh best = mesh;
  for (int i = 0; i < 24; ++i) {
    const double cell = std::sqrt(lo * hi);
    TriangleMesh candidate = ClusterOnGrid(mesh, cell);
    if (candidate.triangles.size() > target) {
      lo = cell;
    } else {
      hi = cell;
      best = std::move(candidate);
    }
  }
  return best;
}

TriangleMesh AddVertexNoise(const TriangleMesh& mesh, double share_of_diagonal, uint64_t seed) {
  const double sigma = share_of_diagonal * MeasureBody(mesh).diagonal();
  SplitMix64 rng(seed ^ 0x0015Eull);
  TriangleMesh out = mesh;
  for (Eigen::Vector3f& v : out.vertices) {
    v += Eigen::Vector3d(rng.Gaussian(), rng.Gaussian(), rng.Gaussian()).cast<float>() * static_cast<float>(sigma);
  }
  return out;
}

TriangleMesh RemovePatch(const TriangleMesh& mesh, double share, uint64_t seed) {
  SplitMix64 rng(seed ^ 0x401Eull);
  const size_t to_remove = static_cast<size_t>(share * mesh.triangles.size());
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_vertex;
  for (uint32_t i = 0; i < mesh.triangles.size(); ++i) {
    for (uint32_t v : mesh.triangles[i]) by_vertex[v].push_back(i);
  }
  std::vector<bool> removed(mesh.triangles.size(), false);
  std::queue<uint32_t> frontier;
  frontier.push(static_cast<uint32_t>(rng.Below(mesh.triangles.size())));
  size_t count = 0;
  while (!frontier.empty() && count < to_remove) {
    const uint32_t t = frontier.front();
    frontier.pop();
    if (removed[t]) continue;
    removed[t] = true;
    ++count;
    for (uint32_t v : mesh.triangles[t]) {
      for (uint32_t n : by_vertex[v]) {
        if (!removed[n]) frontier.push(n);
      }
    }
  }
  TriangleMesh out;
  out.vertices = mesh.vertices;
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    if (!removed[i]) out.triangles.push_back(mesh.triangles[i]);
  }
  return out;
}

TriangleMesh AddBoss(const TriangleMesh& mesh, double radius_share, double height_share, uint64_t seed) {
  const BodyMetrics m = MeasureBody(mesh);
  SplitMix64 rng(seed ^ 0xB055ull);
  const Eigen::Vector3d centre = mesh.vertices[rng.Below(mesh.vertices.size())].cast<double>();
  const double radius = radius_share * m.diagonal(), height = height_share * m.diagonal();
  TriangleMesh out = SubdivideMidpoint(mesh, 1);
  for (Eigen::Vector3f& v : out.vertices) {
    const Eigen::Vector3d p = v.cast<double>();
    const double d = (p - centre).norm();
    if (d < radius) {
      const Eigen::Vector3d outward = (p - m.centroid).normalized();
      v = (p + outward * height * (1 - d / radius)).cast<float>();
    }
  }
  return out;
}

TriangleMesh LayOutPlate(const std::vector<TriangleMesh>& parts, uint64_t seed) {
  SplitMix64 rng(seed ^ 0x91A7Eull);
  std::vector<TriangleMesh> placed;
  double cursor = 0;
  for (const TriangleMesh& part : parts) {
    RigidMotion motion;
    const double angle = Range(rng, 0, 2 * kPi);
    motion.rotation = Eigen::AngleAxisd(angle, Eigen::Vector3d::UnitZ()).toRotationMatrix();
    TriangleMesh turned = TransformMesh(part, motion, 1.0, false);
    const BodyMetrics m = MeasureBody(turned);
    RigidMotion shift;
    shift.translation = Eigen::Vector3d(cursor - m.bbox_min.x(), -m.bbox_min.y(), -m.bbox_min.z());
    placed.push_back(TransformMesh(turned, shift, 1.0, false));
    cursor += (m.bbox_max.x() - m.bbox_min.x()) + 5.0;  // 5 mm gap between parts
  }
  return JoinMeshes(placed);
}

}  // namespace interdict::mesh
