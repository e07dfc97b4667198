// The speed work on the describe path must not change a single output byte: multi-threaded describe equals
// single-threaded, the CSR edge census and the rank-sorted geometry hash equal the straightforward versions
// they replaced (kept here as references), and the import limits admit a 10M-triangle STL and refuse more
// than kMaxTriangles with a clear limit error; the two-thread STL weld equals the one-thread weld.
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "bodies.h"
#include "core/hash.h"
#include "described_body.h"
#include "geometry_hash.h"
#include "mesh_analysis.h"
#include "mesh_limits.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"
#include "standin_generator.h"
#include "stl_reader.h"
#include "surface_sampler.h"

namespace interdict::mesh {
namespace {

// A body big enough to take the parallel path.
TriangleMesh LargeBody() {
  TriangleMesh mesh = SubdivideMidpoint(GenerateStandIn(3).mesh, 3);
  while (mesh.triangles.size() < kParallelDescribeMinTriangles) mesh = SubdivideMidpoint(mesh, 1);
  return mesh;
}

std::string SampleBytes(const SurfaceSamples& s) {
  std::string out;
  for (const auto& p : s.points) out.append(reinterpret_cast<const char*>(p.data()), 3 * sizeof(double));
  for (const auto& n : s.normals) out.append(reinterpret_cast<const char*>(n.data()), 3 * sizeof(double));
  return out;
}

TEST(DescribeThreads, TwoThreadsGiveTheSameBytesAsOne) {
  const TriangleMesh mesh = LargeBody();
  ASSERT_GE(mesh.triangles.size(), kParallelDescribeMinTriangles);
  const DescribedBody one = DescribeBody(mesh, 1);
  const DescribedBody two = DescribeBody(mesh, 2);
  EXPECT_EQ(one.hashes.exact, two.hashes.exact);
  EXPECT_EQ(one.hashes.quantised, two.hashes.quantised);
  EXPECT_EQ(0, std::memcmp(one.descriptor.data(), two.descriptor.data(), sizeof one.descriptor));
  EXPECT_EQ(SampleBytes(one.samples), SampleBytes(two.samples));
  EXPECT_EQ(one.metrics.area, two.metrics.area);
  EXPECT_EQ(one.metrics.volume, two.metrics.volume);
  EXPECT_EQ(one.metrics.axes, two.metrics.axes);
  EXPECT_EQ(one.metrics.boundary_edges, two.metrics.boundary_edges);
  EXPECT_TRUE(two.metrics.watertight);
  EXPECT_EQ(one.samples.points.size(), static_cast<size_t>(kDescriptorSamples));
  // Handing over metrics measured before (as AnalyseMesh does) changes nothing either.
  const DescribedBody premeasured = DescribeBody(mesh, MeasureBody(mesh), 2);
  EXPECT_EQ(one.hashes.exact, premeasured.hashes.exact);
  EXPECT_EQ(one.hashes.quantised, premeasured.hashes.quantised);
  EXPECT_EQ(0, std::memcmp(one.descriptor.data(), premeasured.descriptor.data(), sizeof one.descriptor));
  EXPECT_EQ(SampleBytes(one.samples), SampleBytes(premeasured.samples));
  EXPECT_EQ(one.metrics.eigenvalues, premeasured.metrics.eigenvalues);
}

TEST(DescribeKnownBody, GivesTheSameBodyAsDescribingItOnOneOrTwoThreads) {
  // A template is described from its pack's hashes and descriptor; registration must see the very same body.
  for (const TriangleMesh& mesh : {GenerateStandIn(5).mesh, LargeBody()}) {
    const DescribedBody full = DescribeBody(mesh, 1);
    for (int threads : {1, 2}) {
      const DescribedBody known = DescribeKnownBody(mesh, full.hashes, full.descriptor, threads);
      EXPECT_EQ(known.hashes.exact, full.hashes.exact);
      EXPECT_EQ(known.hashes.quantised, full.hashes.quantised);
      EXPECT_EQ(0, std::memcmp(known.descriptor.data(), full.descriptor.data(), sizeof full.descriptor));
      EXPECT_EQ(SampleBytes(known.samples), SampleBytes(full.samples)) << threads << " threads";
      EXPECT_EQ(known.metrics.area, full.metrics.area);
      EXPECT_EQ(known.metrics.volume, full.metrics.volume);
      EXPECT_EQ(known.metrics.axes, full.metrics.axes);
      EXPECT_EQ(known.metrics.eigenvalues, full.metrics.eigenvalues);
      EXPECT_EQ(known.metrics.flat_edges, full.metrics.flat_edges);
      EXPECT_EQ(known.mesh.triangles, full.mesh.triangles);
    }
  }
}

TEST(DescribeThreads, WholeFileAnalysisIsIdenticalForEveryThreadCount) {
  const TriangleMesh plate = LayOutPlate({LargeBody(), GenerateStandIn(5).mesh, GenerateStandIn(8).mesh}, 4);
  Result<std::string> stl = ToBinaryStl(plate);
  ASSERT_TRUE(stl.ok());
  std::string dumps[3];
  for (int threads = 0; threads < 3; ++threads) {
    Result<FileAnalysis> analysis = AnalyseMesh(testing::Bytes(*stl), "plate.stl", nullptr, {}, threads);
    ASSERT_TRUE(analysis.ok()) << analysis.status().ToString();
    ASSERT_EQ(analysis->bodies.size(), 3u);
    dumps[threads] = DescribeAnalysis(*analysis).dump();
    for (const AnalysedBody& b : analysis->bodies) {
      dumps[threads].append(reinterpret_cast<const char*>(b.body.descriptor.data()), sizeof b.body.descriptor);
      dumps[threads] += SampleBytes(b.body.samples);
    }
  }
  EXPECT_EQ(dumps[0], dumps[1]);
  EXPECT_EQ(dumps[1], dumps[2]);
}

// A binary STL from raw corner triples (normals zero).
std::string BinaryStl(const std::vector<std::array<float, 9>>& facets) {
  std::string out(80, ' ');
  const uint32_t count = static_cast<uint32_t>(facets.size());
  out.append(reinterpret_cast<const char*>(&count), 4);
  for (const auto& f : facets) {
    out.append(12, '\0');
    out.append(reinterpret_cast<const char*>(f.data()), 36);
    out.append(2, '\0');
  }
  return out;
}

TEST(WeldThreads, TwoHalvesWeldToTheSameBytesAsOneThread) {
  // A plate, then degenerate and NaN facets, then the plate again backwards (its second half re-meets
  // vertices of the first), then a part only the second half holds.
  const TriangleMesh plate = LayOutPlate({GenerateStandIn(2).mesh, GenerateStandIn(7).mesh}, 5);
  std::vector<std::array<float, 9>> facets;
  auto add = [&](const TriangleMesh& mesh, size_t i) {
    std::array<float, 9> f;
    for (int k = 0; k < 3; ++k) {
      for (int d = 0; d < 3; ++d) f[3 * k + d] = mesh.vertices[mesh.triangles[i][k]][d];
    }
    facets.push_back(f);
  };
  for (size_t i = 0; i < plate.triangles.size(); ++i) add(plate, i);
  facets.push_back({1, 2, 3, 1, 2, 3, 4, 5, 6});
  facets.push_back({0, 0, std::numeric_limits<float>::quiet_NaN(), 1, 0, 0, 0, 1, 0});
  facets.push_back({-0.0f, 0, 0, 1, 0, 0, 0, 1, 0});
  for (size_t i = plate.triangles.size(); i-- > 0;) add(plate, i);
  facets.push_back({0.0f, 0, 0, 1, 0, 0, 0, 0, 1});
  const TriangleMesh extra = GenerateStandIn(12).mesh;
  for (size_t i = 0; i < extra.triangles.size(); ++i) add(extra, i);
  const std::string stl = BinaryStl(facets);
  Result<ImportedMesh> one = ReadStl(testing::Bytes(stl), {.threads = 1});
  Result<ImportedMesh> two = ReadStl(testing::Bytes(stl), {.threads = 2, .parallel_min_triangles = 2});
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_EQ(one->mesh.vertices.size(), two->mesh.vertices.size());
  EXPECT_EQ(0, std::memcmp(one->mesh.vertices.data(), two->mesh.vertices.data(),
                           one->mesh.vertices.size() * sizeof(Eigen::Vector3f)));
  EXPECT_EQ(one->mesh.triangles, two->mesh.triangles);
  EXPECT_EQ(one->degenerate_triangles, two->degenerate_triangles);
  EXPECT_EQ(one->nonfinite_triangles, two->nonfinite_triangles);
  EXPECT_EQ(one->degenerate_triangles, 1u);
  EXPECT_EQ(one->nonfinite_triangles, 1u);
  EXPECT_EQ(two->anomalies.size(), one->anomalies.size());
  EXPECT_EQ(SplitBodies(two->mesh).size(), 3u);
  // An odd count splits unevenly; still the same bytes.
  facets.pop_back();
  const std::string odd = BinaryStl(facets);
  Result<ImportedMesh> odd_one = ReadStl(testing::Bytes(odd), {.threads = 1});
  Result<ImportedMesh> odd_two = ReadStl(testing::Bytes(odd), {.threads = 2, .parallel_min_triangles = 2});
  ASSERT_TRUE(odd_one.ok() && odd_two.ok());
  EXPECT_EQ(odd_one->mesh.triangles, odd_two->mesh.triangles);
  EXPECT_EQ(odd_one->mesh.vertices, odd_two->mesh.vertices);
}

// --- References: the implementations the speed work replaced. ---

void ReferenceEdgeCensus(const TriangleMesh& body, uint64_t* boundary, uint64_t* nonmanifold) {
  auto key = [](uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; };
  std::unordered_map<uint64_t, uint32_t> directed;
  for (const Triangle& t : body.triangles) {
    for (int k = 0; k < 3; ++k) ++directed[key(t[k], t[(k + 1) % 3])];
  }
  *boundary = *nonmanifold = 0;
  for (const auto& [edge, count] : directed) {
    const uint32_t a = static_cast<uint32_t>(edge >> 32), b = static_cast<uint32_t>(edge);
    auto reverse = directed.find(key(b, a));
    const uint32_t back = reverse == directed.end() ? 0 : reverse->second;
    if (count > 1 || back > 1) {
      if (a < b || reverse == directed.end()) ++*nonmanifold;
    } else if (back == 0) {
      ++*boundary;
    }
  }
}

std::string ReferenceHash(const TriangleMesh& mesh, bool quantised) {
  auto key_of = [quantised](float f) -> int64_t {
    if (quantised) return static_cast<int64_t>(std::llround(static_cast<double>(f) / kQuantisedHashGrid));
    if (f == 0.0f) f = 0.0f;
    int32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits < 0 ? -static_cast<int64_t>(bits & 0x7FFFFFFF) : static_cast<int64_t>(bits);
  };
  using Key = std::array<int64_t, 9>;
  std::vector<Key> triangles;
  for (const Triangle& t : mesh.triangles) {
    std::array<std::array<int64_t, 3>, 3> c;
    for (int k = 0; k < 3; ++k) {
      for (int d = 0; d < 3; ++d) c[k][d] = key_of(mesh.vertices[t[k]][d]);
    }
    int start = 0;
    for (int k = 1; k < 3; ++k) {
      if (c[k] < c[start]) start = k;
    }
    if (c[0] == c[1] || c[1] == c[2] || c[0] == c[2]) continue;
    Key key;
    for (int k = 0; k < 3; ++k) std::copy(c[(start + k) % 3].begin(), c[(start + k) % 3].end(), key.begin() + 3 * k);
    triangles.push_back(key);
  }
  std::sort(triangles.begin(), triangles.end());
  triangles.erase(std::unique(triangles.begin(), triangles.end()), triangles.end());
  std::vector<uint8_t> stream;
  for (const Key& key : triangles) {
    for (int64_t v : key) {
      for (int b = 0; b < 8; ++b) stream.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * b)));
    }
  }
  return Sha256Hex(stream.data(), stream.size());
}

// Random triangles over few vertices: duplicates, reversed copies, non-manifold fans and open edges galore.
// Coordinates on a coarse grid with negative zeros and near-duplicates, so quantisation merges and collapses.
TriangleMesh MessyMesh(uint64_t seed, int vertices, int triangles) {
  SplitMix64 rng(seed);
  TriangleMesh mesh;
  for (int i = 0; i < vertices; ++i) {
    Eigen::Vector3f v;
    for (int d = 0; d < 3; ++d) {
      const double base = static_cast<double>(rng.Below(7)) - 3.0;
      v[d] = static_cast<float>(rng.Below(4) == 0 ? base + 1e-5 * rng.Uniform() : base);
      if (v[d] == 0.0f && rng.Below(2) == 0) v[d] = -0.0f;
    }
    mesh.vertices.push_back(v);
  }
  for (int i = 0; i < triangles; ++i) {
    const uint32_t a = static_cast<uint32_t>(rng.Below(vertices));
    uint32_t b = static_cast<uint32_t>(rng.Below(vertices)), c = static_cast<uint32_t>(rng.Below(vertices));
    if (a == b || b == c || a == c) continue;
    mesh.triangles.push_back({a, b, c});
    if (rng.Below(3) == 0) mesh.triangles.push_back({c, b, a});
  }
  return mesh;
}

TEST(EdgeCensus, MatchesTheHashMapCensusOnMessyMeshes) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const TriangleMesh mesh = MessyMesh(seed, 6 + static_cast<int>(seed % 20), 10 + static_cast<int>(seed * 3));
    uint64_t boundary = 0, nonmanifold = 0;
    ReferenceEdgeCensus(mesh, &boundary, &nonmanifold);
    const BodyMetrics m = MeasureBody(mesh);
    EXPECT_EQ(m.boundary_edges, boundary) << "seed " << seed;
    EXPECT_EQ(m.nonmanifold_edges, nonmanifold) << "seed " << seed;
  }
  // And on real closed and opened bodies.
  TriangleMesh part = GenerateStandIn(9).mesh;
  EXPECT_TRUE(MeasureBody(part).watertight);
  part.triangles.erase(part.triangles.begin() + 5);
  uint64_t boundary = 0, nonmanifold = 0;
  ReferenceEdgeCensus(part, &boundary, &nonmanifold);
  EXPECT_EQ(MeasureBody(part).boundary_edges, boundary);
  EXPECT_EQ(boundary, 3u);
}

TEST(GeometryHash, RankSortedHashEqualsTheKeySortedHash) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const TriangleMesh mesh = MessyMesh(seed, 30, 80);
    EXPECT_EQ(ExactGeometryHash(mesh), ReferenceHash(mesh, false)) << "seed " << seed;
    EXPECT_EQ(QuantisedGeometryHash(mesh), ReferenceHash(mesh, true)) << "seed " << seed;
  }
  const TriangleMesh part = GenerateStandIn(11).mesh;
  EXPECT_EQ(HashGeometry(part).exact, ReferenceHash(part, false));
  EXPECT_EQ(HashGeometry(part).quantised, ReferenceHash(part, true));
  EXPECT_EQ(ExactGeometryHash(TriangleMesh()), Sha256Hex("", 0));
}

// --- Limits. ---

TEST(ImportLimits, TenMillionTriangleStlIsWithinTheLimits) {
  constexpr uint64_t kTenMillion = 10'000'000;
  static_assert(kMaxTriangles >= kTenMillion);
  static_assert(kMaxMeshFileBytes >= kStlHeaderBytes + 4 + kTenMillion * kStlRecordBytes);
  // A binary STL over kMaxTriangles that still fits the file size cap: refused by count, with the numbers.
  const uint64_t records = kMaxTriangles + 1;
  const size_t size = kStlHeaderBytes + 4 + records * kStlRecordBytes;
  ASSERT_LE(size, kMaxMeshFileBytes);
  // Untouched anonymous pages cost nothing: the reader must refuse by size before it reads a record.
  const size_t mapped = kMaxMeshFileBytes + 1;
  void* map = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* bytes = static_cast<uint8_t*>(map);
  const uint32_t count = static_cast<uint32_t>(records);
  std::memcpy(bytes + kStlHeaderBytes, &count, sizeof count);
  Result<ImportedMesh> over = ReadStl({bytes, size});
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(over.status().message().find(std::to_string(kMaxTriangles)), std::string::npos)
      << over.status().message();
  const nlohmann::json finding = ImportFailureFinding(over.status(), "big.stl");
  EXPECT_EQ(finding["kind"], "limit-exceeded");
  // Over the file size cap: refused before anything is parsed.
  Result<ImportedMesh> too_big = ReadStl({bytes, static_cast<size_t>(kMaxMeshFileBytes + 1)});
  munmap(map, mapped);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(too_big.status().message().find("file size limit"), std::string::npos);
}

}  // namespace
}  // namespace interdict::mesh
