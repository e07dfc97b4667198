#include "described_body.h"

#include "joining_thread.h"
#include "mesh_limits.h"

namespace interdict::mesh {

int DefaultDescribeThreads() { return DefaultWorkerThreads(); }

namespace {

// What a caller may already know of a body: a template's hashes and descriptor (its pack's record).
struct KnownIdentity {
  const GeometryHashes& hashes;
  const ShapeDescriptor& descriptor;
};

// known_metrics: MeasureBody(body) when the caller has it, else null. known: the body's hashes and descriptor
// when the caller has them, else null; then neither hash nor the descriptor is computed.
DescribedBody Describe(TriangleMesh body, const BodyMetrics* known_metrics, const KnownIdentity* known, int threads) {
  DescribedBody out;
  out.mesh = std::move(body);
  if (known_metrics != nullptr) out.metrics = *known_metrics;
  if (known != nullptr) {
    out.hashes = known->hashes;
    out.descriptor = known->descriptor;
  }
  if (threads <= 0) threads = DefaultDescribeThreads();
  // Stage graph: exact hash -> samples (seeded by it) -> descriptor (also needs the metrics); the metrics and
  // the quantised hash depend on nothing else. Two lanes of about equal cost: [exact hash, samples] and
  // [metrics, quantised hash].
  auto side_lane = [&out, known_metrics, known] {
    if (known_metrics == nullptr) out.metrics = MeasureBody(out.mesh);
    if (known == nullptr) out.hashes.quantised = QuantisedGeometryHash(out.mesh);
  };
  JoiningThread helper;
  const bool parallel = threads >= 2 && out.mesh.triangles.size() >= kParallelDescribeMinTriangles &&
                        helper.Start(side_lane);
  if (known == nullptr) out.hashes.exact = ExactGeometryHash(out.mesh);
  const uint64_t seed = SeedFromHex(out.hashes.exact);
  out.samples = SampleSurface(out.mesh, kDescriptorSamples, seed);
  if (parallel) {
    helper.Join();
  } else {
    side_lane();
  }
  if (known == nullptr) out.descriptor = ComputeDescriptor(out.samples, out.metrics, seed);
  return out;
}

}  // namespace

DescribedBody DescribeKnownBody(TriangleMesh body, const GeometryHashes& hashes, const ShapeDescriptor& descriptor,
                                int threads) {
  const KnownIdentity known{hashes, descriptor};
  return Describe(std::move(body), nullptr, &known, threads);
}

DescribedBody DescribeBody(TriangleMesh body, int threads) {
  return Describe(std::move(body), nullptr, nullptr, threads);
}

DescribedBody DescribeBody(TriangleMesh body, const BodyMetrics& metrics, int threads) {
  return Describe(std::move(body), &metrics, nullptr, threads);
}

}  // namespace interdict::mesh
