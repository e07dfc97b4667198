#include "described_body.h"

#include <algorithm>
#include <system_error>
#include <thread>

#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

// Joins on every way out of scope, so an exception on the calling thread never leaves a running thread.
struct JoiningThread {
  std::thread thread;
  ~JoiningThread() {
    if (thread.joinable()) thread.join();
  }
};

}  // namespace

int DefaultDescribeThreads() {
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(hardware, 1, kMaxDescribeThreads);
}

DescribedBody DescribeBody(TriangleMesh body, int threads) {
  DescribedBody out;
  out.mesh = std::move(body);
  if (threads <= 0) threads = DefaultDescribeThreads();
  // Stage graph: exact hash -> samples (seeded by it) -> descriptor (also needs the metrics); the metrics and
  // the quantised hash depend on nothing else. Two lanes of about equal cost: [exact hash, samples] and
  // [metrics, quantised hash].
  auto side_lane = [&out] {
    out.metrics = MeasureBody(out.mesh);
    out.hashes.quantised = QuantisedGeometryHash(out.mesh);
  };
  JoiningThread helper;
  if (threads >= 2 && out.mesh.triangles.size() >= kParallelDescribeMinTriangles) {
    try {
      helper.thread = std::thread(side_lane);
    } catch (const std::system_error&) {
      // No thread to be had (resource limits): the same work on this thread gives the same result.
    }
  }
  out.hashes.exact = ExactGeometryHash(out.mesh);
  const uint64_t seed = SeedFromHex(out.hashes.exact);
  out.samples = SampleSurface(out.mesh, kDescriptorSamples, seed);
  if (helper.thread.joinable()) {
    helper.thread.join();
  } else {
    side_lane();
  }
  out.descriptor = ComputeDescriptor(out.samples, out.metrics, seed);
  return out;
}

}  // namespace interdict::mesh
