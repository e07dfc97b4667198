// Pose-, scale- and reflection-invariant global descriptor of one body, used for candidate retrieval:
// D2 (distances between random surface point pairs), D1 (distances from the centroid), A3 (angles of random
// point triples), all normalised by the RMS radius, plus the PCA eigenvalue ratios. Chosen over a canonical-
// pose grid because it does not depend on a PCA frame that flips on near-symmetric parts (notes/mesh.md
// §2.3: D2+D1+A3+eigen reached ~97% top-5 recall on real parts; registration settles the rest).
// Chirality is invisible here on purpose; registration tests proper and mirrored alignments separately.
#ifndef INTERDICT_MESH_MATCH_SHAPE_DESCRIPTOR_H_
#define INTERDICT_MESH_MATCH_SHAPE_DESCRIPTOR_H_

#include <array>
#include <cstdint>
#include <vector>

#include "body_metrics.h"
#include "surface_sampler.h"

namespace interdict::mesh {

inline constexpr int kD2Bins = 64;
inline constexpr int kD1Bins = 32;
inline constexpr int kA3Bins = 32;
inline constexpr int kEigenDims = 3;
inline constexpr int kDescriptorDims = kD2Bins + kD1Bins + kA3Bins + kEigenDims;
inline constexpr double kD2RangeInRms = 4.0;   // pair distances beyond 4 RMS radii go into the last bin
inline constexpr double kD1RangeInRms = 2.5;
inline constexpr double kEigenWeight = 3.0;     // eigen ratios count this much relative to one histogram
inline constexpr int kDescriptorVersion = 1;    // bump when the layout or sampling changes (packs record it)

using ShapeDescriptor = std::array<float, kDescriptorDims>;

// samples: area-weighted surface samples of the body; seed makes the pair/triple choice reproducible.
ShapeDescriptor ComputeDescriptor(const SurfaceSamples& samples, const BodyMetrics& metrics, uint64_t seed);

// L1 distance; each histogram sums to 1, so the range is [0, 6 + kEigenWeight * 2].
double DescriptorDistance(const ShapeDescriptor& a, const ShapeDescriptor& b);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_SHAPE_DESCRIPTOR_H_
