// Everything the matcher needs about one body, computed once: metrics, geometry hashes, descriptor and the
// surface samples that registration uses. Deterministic: samples are seeded by the exact geometry hash.
#ifndef INTERDICT_MESH_MATCH_DESCRIBED_BODY_H_
#define INTERDICT_MESH_MATCH_DESCRIBED_BODY_H_

#include "body_metrics.h"
#include "geometry_hash.h"
#include "shape_descriptor.h"
#include "surface_sampler.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

struct DescribedBody {
  TriangleMesh mesh;
  BodyMetrics metrics;
  GeometryHashes hashes;
  ShapeDescriptor descriptor{};
  SurfaceSamples samples;  // kDescriptorSamples points; any prefix is itself an unbiased sample
};

DescribedBody DescribeBody(TriangleMesh body);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_DESCRIBED_BODY_H_
