#include "described_body.h"

#include "mesh_limits.h"

namespace interdict::mesh {

DescribedBody DescribeBody(TriangleMesh body) {
  DescribedBody out;
  out.mesh = std::move(body);
  out.metrics = MeasureBody(out.mesh);
  out.hashes = HashGeometry(out.mesh);
  const uint64_t seed = SeedFromHex(out.hashes.exact);
  out.samples = SampleSurface(out.mesh, kDescriptorSamples, seed);
  out.descriptor = ComputeDescriptor(out.samples, out.metrics, seed);
  return out;
}

}  // namespace interdict::mesh
