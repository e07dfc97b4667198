#include "surface_sampler.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

namespace interdict::mesh {

double SplitMix64::Gaussian() {
  double u1 = Uniform();
  double u2 = Uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t SeedFromHex(const std::string& hex) {
  uint64_t seed = 0;
  for (size_t i = 0; i < hex.size() && i < 16; ++i) {
    char c = hex[i];
    uint64_t v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : 0;
    seed = (seed << 4) | v;
  }
  return seed;
}

SurfaceSamples SampleSurface(const TriangleMesh& mesh, int count, uint64_t seed) {
  SurfaceSamples out;
  if (mesh.triangles.empty() || count <= 0) return out;
  std::vector<double> cumulative(mesh.triangles.size());
  double total = 0;
  for (size_t i = 0; i < mesh.triangles.size(); ++i) {
    const Eigen::Vector3d a = mesh.Corner(i, 0), b = mesh.Corner(i, 1), c = mesh.Corner(i, 2);
    total += 0.5 * (b - a).cross(c - a).norm();
    cumulative[i] = total;
  }
  if (!(total > 0)) return out;
  SplitMix64 rng(seed);
  out.points.reserve(count);
  out.normals.reserve(count);
  for (int s = 0; s < count; ++s) {
    const double target = rng.Uniform() * total;
    size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin();
    if (i >= mesh.triangles.size()) i = mesh.triangles.size() - 1;
    const Eigen::Vector3d a = mesh.Corner(i, 0), b = mesh.Corner(i, 1), c = mesh.Corner(i, 2);
    double r1 = std::sqrt(rng.Uniform());
    double r2 = rng.Uniform();
    out.points.push_back((1 - r1) * a + r1 * (1 - r2) * b + r1 * r2 * c);
    Eigen::Vector3d n = (b - a).cross(c - a);
    const double len = n.norm();
    out.normals.push_back(len > 0 ? Eigen::Vector3d(n / len) : Eigen::Vector3d::UnitZ());
  }
  return out;
}

}  // namespace interdict::mesh
