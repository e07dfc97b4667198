#include <algorithm>
#include <limits>

#include <gtest/gtest.h>

#include "bodies.h"
#include "body_metrics.h"
#include "geometry_hash.h"
#include "joining_thread.h"
#include "mesh_import.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"
#include "point_index.h"
#include "standin_generator.h"
#include "surface_sampler.h"

namespace interdict::mesh {
namespace {

using testing::Bytes;
using testing::Cube;

TEST(GeometryHash, IgnoresFormatVertexOrderAndTriangleOrder) {
  const TriangleMesh part = GenerateStandIn(4).mesh;
  TriangleMesh shuffled = part;
  std::reverse(shuffled.triangles.begin(), shuffled.triangles.end());
  for (Triangle& t : shuffled.triangles) std::rotate(t.begin(), t.begin() + 1, t.end());
  Result<ImportedMesh> from_stl = ImportMesh(Bytes(ToBinaryStl(part)), "a.stl");
  Result<ImportedMesh> from_obj = ImportMesh(Bytes(ToObj(shuffled)), "b.obj");
  ASSERT_TRUE(from_stl.ok() && from_obj.ok());
  const GeometryHashes a = HashGeometry(from_stl->mesh), b = HashGeometry(from_obj->mesh);
  EXPECT_EQ(a.exact, b.exact);
  EXPECT_EQ(a.quantised, b.quantised);
  EXPECT_EQ(a.exact.size(), 64u);
}

TEST(GeometryHash, ChangesWhenOneVertexMoves) {
  TriangleMesh part = GenerateStandIn(2).mesh;
  const std::string before = HashGeometry(part).exact;
  part.vertices[3].x() += 0.5f;
  EXPECT_NE(HashGeometry(part).exact, before);
}

TEST(Bodies, PlateSplitsIntoItsParts) {
  const TriangleMesh plate = LayOutPlate({GenerateStandIn(1).mesh, GenerateStandIn(2).mesh, Cube(5.0f)}, 3);
  const std::vector<TriangleMesh> bodies = SplitBodies(plate);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[2].triangles.size(), 12u);  // the cube, smallest, last
}

TEST(BodyMetrics, ScaledCubeHasExactAreaVolumeAndEqualEigenvalues) {
  const BodyMetrics m = MeasureBody(Cube(2.0f, {5, 5, 5}));
  EXPECT_TRUE(m.watertight);
  EXPECT_NEAR(m.area, 24.0, 1e-9);
  EXPECT_NEAR(m.volume, 8.0, 1e-9);
  EXPECT_NEAR(m.centroid.x(), 6.0, 1e-9);
  EXPECT_NEAR(m.eigenvalues[0], m.eigenvalues[2], 1e-9);
  EXPECT_NEAR(m.diagonal(), std::sqrt(12.0), 1e-6);
}

TEST(BodyMetrics, HoleIsNotWatertight) {
  TriangleMesh open = Cube();
  open.triangles.pop_back();
  const BodyMetrics m = MeasureBody(open);
  EXPECT_FALSE(m.watertight);
  EXPECT_EQ(m.boundary_edges, 3u);
}

TEST(BodyMetrics, CubeFaceDiagonalsAreItsFlatEdges) {
  // 12 triangles, 18 edges: the 12 cube edges (90 degrees) and one diagonal per face (coplanar pair).
  const BodyMetrics m = MeasureBody(Cube(3.0f, Eigen::Vector3f(200, -150, 90)));
  EXPECT_EQ(m.interior_edges, 18u);
  EXPECT_EQ(m.flat_edges, 6u);
  EXPECT_TRUE(m.noise_free());
}

TEST(BodyMetrics, VertexNoiseLeavesNoCoplanarFacets) {
  for (uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    const TriangleMesh clean = GenerateStandIn(seed).mesh;
    EXPECT_TRUE(MeasureBody(clean).noise_free()) << seed;
    EXPECT_TRUE(MeasureBody(TransformMesh(clean, RandomRigidMotion(seed, 200), 1 / 25.4, true)).noise_free()) << seed;
    const BodyMetrics noisy = MeasureBody(AddVertexNoise(clean, 0.002, seed));
    EXPECT_FALSE(noisy.noise_free()) << seed << ": " << noisy.flat_edge_share();
  }
  // A hole's rim edges are boundary edges, not interior ones.
  TriangleMesh open = Cube();
  open.triangles.pop_back();
  const BodyMetrics m = MeasureBody(open);
  EXPECT_EQ(m.interior_edges, 15u);
  EXPECT_EQ(m.boundary_edges, 3u);
}

TEST(StandInGenerator, EveryPartIsOneWatertightBody) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    for (bool near : {false, true}) {
      const StandInPart part = GenerateStandIn(seed, near);
      EXPECT_EQ(SplitBodies(part.mesh).size(), 1u) << part.id;
      EXPECT_TRUE(MeasureBody(part.mesh).watertight) << part.id;
    }
  }
}

TEST(TriangleIndex, ClosestPointAgreesWithBruteForce) {
  const TriangleMesh mesh = GenerateStandIn(4).mesh;
  const TriangleIndex index(mesh);
  ASSERT_FALSE(index.empty());
  constexpr int kSteps = 24;
  double longest_edge = 0;
  for (size_t t = 0; t < mesh.triangle_count(); ++t) {
    for (int k = 0; k < 3; ++k) longest_edge = std::max(longest_edge, (mesh.Corner(t, k) - mesh.Corner(t, (k + 1) % 3)).norm());
  }
  SplitMix64 rng(17);
  for (int i = 0; i < 100; ++i) {
    const Eigen::Vector3d p(rng.Uniform() * 120 - 60, rng.Uniform() * 120 - 60, rng.Uniform() * 120 - 60);
    double brute = std::numeric_limits<double>::infinity();
    // Brute force over a dense sampling of every triangle (barycentric grid) bounds the exact distance above.
    for (size_t t = 0; t < mesh.triangle_count(); ++t) {
      const Eigen::Vector3d a = mesh.Corner(t, 0), b = mesh.Corner(t, 1), c = mesh.Corner(t, 2);
      for (int u = 0; u <= kSteps; ++u) {
        for (int v = 0; u + v <= kSteps; ++v) {
          const Eigen::Vector3d q = a + (b - a) * (u / double(kSteps)) + (c - a) * (v / double(kSteps));
          brute = std::min(brute, (q - p).norm());
        }
      }
    }
    const TriangleIndex::Closest closest = index.ClosestTo(p);
    EXPECT_LE(closest.distance, brute + 1e-9) << "point " << i;
    EXPECT_NEAR((closest.point - p).norm(), closest.distance, 1e-9);
    // Every surface point is within one grid step of a grid point, so the exact answer is not far below.
    EXPECT_GE(closest.distance, brute - longest_edge / kSteps) << "point " << i;
  }
}

TEST(TriangleIndex, PointOnAFaceIsAtZeroWithTheFaceNormal) {
  const TriangleMesh mesh = GenerateStandIn(1).mesh;
  const TriangleIndex index(mesh);
  const Eigen::Vector3d a = mesh.Corner(0, 0), b = mesh.Corner(0, 1), c = mesh.Corner(0, 2);
  const Eigen::Vector3d centre = (a + b + c) / 3.0;
  const Eigen::Vector3d normal = (b - a).cross(c - a).normalized();
  const TriangleIndex::Closest on = index.ClosestTo(centre);
  EXPECT_NEAR(on.distance, 0.0, 1e-6);
  const TriangleIndex::Closest above = index.ClosestTo(centre + 1e-3 * normal);
  EXPECT_NEAR(above.distance, 1e-3, 1e-6);
  EXPECT_TRUE(above.on_face_interior);
  EXPECT_NEAR(std::abs(above.normal.dot(normal)), 1.0, 1e-6);
}

// The rows of a NeighbourTable as sorted sets (a row's order is unspecified).
std::vector<std::vector<uint16_t>> SortedRows(const NeighbourTable& table) {
  std::vector<std::vector<uint16_t>> rows;
  for (size_t r = 0; r < table.rows(); ++r) {
    const std::span<const uint16_t> row = table.Row(r);
    rows.emplace_back(row.begin(), row.end());
    std::sort(rows.back().begin(), rows.back().end());
  }
  return rows;
}

TEST(NeighbourTable, RowsAreTheKNearestByBruteForce) {
  const std::vector<Eigen::Vector3d> points = SampleSurface(GenerateStandIn(9).mesh, 700, 3).points;
  const PointIndex index(points);
  const NeighbourTable table(points, index, 40, 7);
  ASSERT_EQ(table.rows(), (points.size() + 6) / 7);
  const std::vector<std::vector<uint16_t>> rows = SortedRows(table);
  for (size_t r = 0; r < table.rows(); ++r) {
    const Eigen::Vector3d& p = points[r * 7];
    std::vector<std::pair<double, uint16_t>> all;
    for (size_t j = 0; j < points.size(); ++j) {
      all.emplace_back((points[j] - p).squaredNorm(), static_cast<uint16_t>(j));
    }
    std::sort(all.begin(), all.end());
    std::vector<uint16_t> expected;
    for (size_t j = 0; j < 40; ++j) expected.push_back(all[j].second);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(rows[r], expected) << "row " << r;
  }
}

TEST(NeighbourTable, SurvivesASimilarityTransformAndTwoThreads) {
  // The matcher computes a query's table once, on the unmoved samples, and uses it for every pose.
  const std::vector<Eigen::Vector3d> points = SampleSurface(GenerateStandIn(14).mesh, 2000, 5).points;
  const Eigen::Matrix3d rotation = Eigen::AngleAxisd(1.1, Eigen::Vector3d(1, 2, 3).normalized()).toRotationMatrix();
  std::vector<Eigen::Vector3d> moved;
  for (const Eigen::Vector3d& p : points) moved.push_back(25.4 * (rotation * p) + Eigen::Vector3d(3, -70, 12));
  const PointIndex index(points), moved_index(moved);
  const NeighbourTable table(points, index, 256, 8);
  EXPECT_EQ(SortedRows(table), SortedRows(NeighbourTable(moved, moved_index, 256, 8)));
  EXPECT_EQ(SortedRows(table), SortedRows(NeighbourTable(points, index, 256, 8, /*parallel=*/true)));
}

TEST(NeighbourTable, ASetSmallerThanKGivesEveryPointInEveryRow) {
  const std::vector<Eigen::Vector3d> points = {{0, 0, 0}, {1, 0, 0}, {0, 2, 0}};
  const PointIndex index(points);
  const NeighbourTable table(points, index, 32, 1);
  ASSERT_EQ(table.rows(), 3u);
  for (const std::vector<uint16_t>& row : SortedRows(table)) EXPECT_EQ(row, (std::vector<uint16_t>{0, 1, 2}));
}

TEST(PointIndex, NearestFromAnyHintIsTheNearest) {
  const std::vector<Eigen::Vector3d> points = SampleSurface(GenerateStandIn(22).mesh, 1500, 9).points;
  const PointIndex index(points);
  SplitMix64 rng(23);
  for (int i = 0; i < 500; ++i) {
    const Eigen::Vector3d p(rng.Uniform() * 160 - 80, rng.Uniform() * 160 - 80, rng.Uniform() * 160 - 80);
    const size_t hint = static_cast<size_t>(rng.Uniform() * points.size()) % points.size();
    double expected_d2 = 0, d2 = 0;
    const size_t expected = index.Nearest(p, &expected_d2);
    const size_t found = index.NearestFrom(p, hint, &d2);
    EXPECT_EQ(d2, expected_d2) << i;
    EXPECT_EQ((points[found] - p).squaredNorm(), d2) << i;
    EXPECT_EQ(found, expected) << i;  // random samples: no two at exactly equal distance
  }
}

TEST(ForEachIndex, VisitsEveryIndexOnceOnOneOrTwoThreads) {
  for (bool parallel : {false, true}) {
    for (size_t count : {0, 1, 2, 7, 100}) {
      std::vector<int> visits(count, 0);
      ForEachIndex(count, parallel, [&](size_t i) { ++visits[i]; });
      EXPECT_EQ(std::count(visits.begin(), visits.end(), 1), static_cast<long>(count)) << count << " " << parallel;
    }
  }
}

}  // namespace
}  // namespace interdict::mesh
