#include "described_body.h"

#include "joining_thread.h"
#include "mesh_limits.h"

namespace interdict::mesh {

int DefaultDescribeThreads() { return DefaultWorkerThreads(); }

namespace {

// known_metrics: MeasureBody(body) when the caller has it, else null.
DescribedBody Describe(TriangleMesh body, const BodyMetrics* known_metrics, int threads) {
  DescribedBody out;
  out.mesh = std::move(body);
  if (known_metrics != nullptr) out.metrics = *known_metrics;
  if (threads <= 0) threads = DefaultDescribeThreads();
  // Stage graph: exact hash -> samples (seeded by it) -> descriptor (also needs the metrics); the metrics and
  // the quantised hash depend on nothing else. Two lanes of about equal cost: [exact hash, samples] and
  // [metrics, quantised hash].
  auto side_lane = [&out, known_metrics] {
    if (known_metrics == nullptr) out.metrics = MeasureBody(out.mesh);
    out.hashes.quantised = QuantisedGeometryHash(out.mesh);
  };
  JoiningThread helper;
  const bool parallel = threads >= 2 && out.mesh.triangles.size() >= kParallelDescribeMinTriangles &&
                        helper.Start(side_lane);
  out.hashes.exact = ExactGeometryHash(out.mesh);
  const uint64_t seed = SeedFromHex(out.hashes.exact);
  out.samples = SampleSurface(out.mesh, kDescriptorSamples, seed);
  if (parallel) {
    helper.Join();
  } else {
    side_lane();
  }
  out.descriptor = ComputeDescriptor(out.samples, out.metrics, seed);
  return out;
}

}  // namespace

DescribedBody DescribeKnownBody(TriangleMesh body, const GeometryHashes& hashes, const ShapeDescriptor& descriptor,
                                int threads) {
  DescribedBody out;
  out.mesh = std::move(body);
  out.hashes = hashes;
  out.descriptor = descriptor;
  if (threads <= 0) threads = DefaultDescribeThreads();
  auto measure = [&out] { out.metrics = MeasureBody(out.mesh); };
  JoiningThread helper;
  const bool parallel =
      threads >= 2 && out.mesh.triangles.size() >= kParallelDescribeMinTriangles && helper.Start(measure);
  out.samples = SampleSurface(out.mesh, kDescriptorSamples, SeedFromHex(out.hashes.exact));
  if (parallel) {
    helper.Join();
  } else {
    measure();
  }
  return out;
}

DescribedBody DescribeBody(TriangleMesh body, int threads) { return Describe(std::move(body), nullptr, threads); }

DescribedBody DescribeBody(TriangleMesh body, const BodyMetrics& metrics, int threads) {
  return Describe(std::move(body), &metrics, threads);
}

}  // namespace interdict::mesh
