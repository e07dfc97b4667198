#include "stl_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "body_metrics.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"

namespace interdict::mesh {
namespace {

using testing::Bytes;
using testing::Cube;

bool HasAnomaly(const ImportedMesh& m, const std::string& code) {
  for (const auto& a : m.anomalies) {
    if (a.code == code) return true;
  }
  return false;
}

void SetDeclaredCount(std::string& stl, uint32_t count) { std::memcpy(stl.data() + 80, &count, 4); }

TEST(StlReader, BinaryCubeIsWeldedToEightVerticesAndWatertight) {
  Result<ImportedMesh> m = ReadStl(Bytes(ToBinaryStl(Cube(2.0f))));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->format, MeshFormat::kStlBinary);
  EXPECT_EQ(m->mesh.vertices.size(), 8u);
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
  EXPECT_TRUE(m->anomalies.empty());
  const BodyMetrics metrics = MeasureBody(m->mesh);
  EXPECT_TRUE(metrics.watertight);
  EXPECT_NEAR(metrics.volume, 8.0, 1e-9);
  EXPECT_NEAR(metrics.area, 24.0, 1e-9);
}

TEST(StlReader, AsciiCubeReadsTheSameGeometry) {
  Result<ImportedMesh> m = ReadStl(Bytes(ToAsciiStl(Cube())));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->format, MeshFormat::kStlAscii);
  EXPECT_EQ(m->mesh.vertices.size(), 8u);
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
}

TEST(StlReader, SolidHeaderBinaryWithTrailingBytesIsReadLikeASlicerWithAnomalies) {
  std::string stl = ToBinaryStl(Cube(), "solid cube exported by a CAD tool");
  stl += "\n\n";  // the two trailing bytes that make Assimp 5.2.5 read 0 faces
  Result<ImportedMesh> m = ReadStl(Bytes(stl));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->format, MeshFormat::kStlBinary);
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
  EXPECT_TRUE(HasAnomaly(*m, "stl-solid-header-binary"));
  EXPECT_TRUE(HasAnomaly(*m, "stl-trailing-bytes"));
  for (const auto& a : m->anomalies) EXPECT_FALSE(a.corruption) << a.code;
}

TEST(StlReader, FaceCountDisagreeingWithSizeIsReadBySizeWithAnomaly) {
  std::string stl = ToBinaryStl(Cube());
  SetDeclaredCount(stl, 7);  // header says 7, the file holds 12
  Result<ImportedMesh> m = ReadStl(Bytes(stl));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
  EXPECT_TRUE(HasAnomaly(*m, "stl-count-mismatch"));
}

TEST(StlReader, TruncatedBinaryKeepsWholeFacetsAndReportsCorruption) {
  std::string stl = ToBinaryStl(Cube());
  stl.resize(84 + 50 * 5 + 17);  // cut inside the 6th facet
  Result<ImportedMesh> m = ReadStl(Bytes(stl));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->mesh.triangles.size(), 5u);
  ASSERT_TRUE(HasAnomaly(*m, "stl-truncated"));
  bool corruption = false;
  for (const auto& a : m->anomalies) corruption = corruption || (a.code == "stl-truncated" && a.corruption);
  EXPECT_TRUE(corruption);
}

TEST(StlReader, TruncatedAsciiIsReportedAsCorruption) {
  std::string stl = ToAsciiStl(Cube());
  stl.resize(stl.size() / 2);
  Result<ImportedMesh> m = ReadStl(Bytes(stl));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_LT(m->mesh.triangles.size(), 12u);
  EXPECT_GT(m->mesh.triangles.size(), 0u);
  bool corruption = false;
  for (const auto& a : m->anomalies) corruption = corruption || a.corruption;
  EXPECT_TRUE(corruption);
}

TEST(StlReader, ByteOrderMarkBeforeAsciiIsReadAndReported) {
  Result<ImportedMesh> m = ReadStl(Bytes("\xEF\xBB\xBF" + ToAsciiStl(Cube())));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
  EXPECT_TRUE(HasAnomaly(*m, "stl-bom"));
}

TEST(StlReader, NanFacetsAreDroppedAndCounted) {
  std::string stl = ToBinaryStl(Cube());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(stl.data() + 84 + 12, &nan, 4);  // first vertex of the first facet
  Result<ImportedMesh> m = ReadStl(Bytes(stl));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->mesh.triangles.size(), 11u);
  EXPECT_EQ(m->nonfinite_triangles, 1u);
  EXPECT_TRUE(HasAnomaly(*m, "nonfinite-coordinates"));
}

TEST(StlReader, TooShortOrEmptyFilesAreCorrupt) {
  for (const std::string& bad : {std::string(), std::string("solid x\nendsolid x\n"), std::string(40, 'a'),
                                 std::string(84, '\0')}) {
    Result<ImportedMesh> m = ReadStl(Bytes(bad));
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << m.status().ToString();
  }
}

TEST(StlReader, DegenerateFacetsAreDroppedAndAllDegenerateIsCorrupt) {
  TriangleMesh flat;
  flat.vertices = {{0, 0, 0}, {0, 0, 0}, {1, 0, 0}};
  flat.triangles = {{0, 1, 2}};
  Result<ImportedMesh> m = ReadStl(Bytes(ToBinaryStl(flat)));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace interdict::mesh
