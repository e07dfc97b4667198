#include "shape_descriptor.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

void AddToBin(float* bins, int count, double value, double range) {
  // Clamp in floating point first: a hostile mesh can put a sample 1e30 radii away.
  double position = value / range * count;
  position = position >= 0.0 ? std::min(position, count - 1.0) : 0.0;  // NaN lands in bin 0
  bins[static_cast<int>(position)] += 1.0f;
}

void Normalise(float* bins, int count) {
  double total = 0;
  for (int i = 0; i < count; ++i) total += bins[i];
  if (total <= 0) return;
  for (int i = 0; i < count; ++i) bins[i] = static_cast<float>(bins[i] / total);
}

}  // namespace

ShapeDescriptor ComputeDescriptor(const SurfaceSamples& samples, const BodyMetrics& metrics, uint64_t seed) {
  ShapeDescriptor d{};
  const size_t n = samples.points.size();
  if (n < 3 || !(metrics.rms_radius > 0)) return d;
  const double inv_rms = 1.0 / metrics.rms_radius;
  float* d2 = d.data();
  float* d1 = d2 + kD2Bins;
  float* a3 = d1 + kD1Bins;
  float* eigen = a3 + kA3Bins;
  SplitMix64 rng(seed ^ 0xD2A3D1ull);
  for (int i = 0; i < kD2Pairs; ++i) {
    const auto& p = samples.points[rng.Below(n)];
    const auto& q = samples.points[rng.Below(n)];
    AddToBin(d2, kD2Bins, (p - q).norm() * inv_rms, kD2RangeInRms);
  }
  for (const auto& p : samples.points) AddToBin(d1, kD1Bins, (p - metrics.centroid).norm() * inv_rms, kD1RangeInRms);
  for (int i = 0; i < kA3Triples; ++i) {
    const auto& p = samples.points[rng.Below(n)];
    const auto& q = samples.points[rng.Below(n)];
    const auto& r = samples.points[rng.Below(n)];
    const Eigen::Vector3d u = p - q, v = r - q;
    const double nu = u.norm(), nv = v.norm();
    if (nu <= 0 || nv <= 0) continue;
    const double cosine = std::clamp(u.dot(v) / (nu * nv), -1.0, 1.0);
    AddToBin(a3, kA3Bins, std::acos(cosine), std::numbers::pi);
  }
  Normalise(d2, kD2Bins);
  Normalise(d1, kD1Bins);
  Normalise(a3, kA3Bins);
  const double sum = metrics.eigenvalues.sum();
  for (int k = 0; k < kEigenDims; ++k) {
    eigen[k] = static_cast<float>(sum > 0 ? kEigenWeight * metrics.eigenvalues[k] / sum : 0.0);
  }
  return d;
}

double DescriptorDistance(const ShapeDescriptor& a, const ShapeDescriptor& b) {
  double total = 0;
  for (int i = 0; i < kDescriptorDims; ++i) total += std::abs(static_cast<double>(a[i]) - b[i]);
  return total;
}

}  // namespace interdict::mesh
