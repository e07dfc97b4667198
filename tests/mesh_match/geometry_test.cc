#include <gtest/gtest.h>

#include "bodies.h"
#include "body_metrics.h"
#include "geometry_hash.h"
#include "mesh_import.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"
#include "standin_generator.h"

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

TEST(StandInGenerator, EveryPartIsOneWatertightBody) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    for (bool near : {false, true}) {
      const StandInPart part = GenerateStandIn(seed, near);
      EXPECT_EQ(SplitBodies(part.mesh).size(), 1u) << part.id;
      EXPECT_TRUE(MeasureBody(part.mesh).watertight) << part.id;
    }
  }
}

}  // namespace
}  // namespace interdict::mesh
