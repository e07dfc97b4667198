// Everything the matcher needs about one body, computed once: metrics, geometry hashes, descriptor and the
// surface samples that registration uses. Deterministic: samples are seeded by the exact geometry hash, and
// the result is byte-identical whatever the thread count (each stage is a pure function of the mesh; threads
// only run independent stages side by side).
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

// threads: how many threads may describe the body; 0 means DefaultDescribeThreads(). Bodies under
// kParallelDescribeMinTriangles are always described on the calling thread. If a thread cannot be started
// the work is done on the calling thread.
DescribedBody DescribeBody(TriangleMesh body, int threads = 0);
// The same, for a body already measured: `metrics` must be MeasureBody(body); it is used as is.
DescribedBody DescribeBody(TriangleMesh body, const BodyMetrics& metrics, int threads = 0);
// The same, for a body whose hashes and descriptor are already known (a template: its pack's signed
// descriptors.json holds them, and `interdict templates test` checks them against the mesh). Only the metrics
// and the samples are computed; the samples are seeded by hashes.exact as DescribeBody seeds them, so the result
// equals DescribeBody(body) whenever the known values are right. About half the cost of DescribeBody.
DescribedBody DescribeKnownBody(TriangleMesh body, const GeometryHashes& hashes, const ShapeDescriptor& descriptor,
                                int threads = 0);

// min(hardware threads, kMaxDescribeThreads), at least 1.
int DefaultDescribeThreads();

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_DESCRIBED_BODY_H_
