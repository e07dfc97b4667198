// Deterministic area-weighted sampling of a mesh surface: the same mesh and seed give bit-identical samples
// on every run and build (own SplitMix64 generator, no std::distribution whose output is unspecified).
// Sampling by area, never by vertex, keeps descriptors independent of tessellation.
#ifndef INTERDICT_MESH_MATCH_SURFACE_SAMPLER_H_
#define INTERDICT_MESH_MATCH_SURFACE_SAMPLER_H_

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "triangle_mesh.h"

namespace interdict::mesh {

// SplitMix64: tiny, fast and fully specified.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Gaussian();  // Box-Muller, mean 0, sd 1
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

struct SurfaceSamples {
  std::vector<Eigen::Vector3d> points;
  std::vector<Eigen::Vector3d> normals;  // unit face normal of the sampled triangle
};

SurfaceSamples SampleSurface(const TriangleMesh& mesh, int count, uint64_t seed);

// A seed derived from the first 16 hex digits of a hash (e.g. the exact geometry hash).
uint64_t SeedFromHex(const std::string& hex);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_SURFACE_SAMPLER_H_
