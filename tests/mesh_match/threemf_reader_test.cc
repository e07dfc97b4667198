#include "threemf_reader.h"

#include <gtest/gtest.h>

#include "mesh_analysis.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"

namespace interdict::mesh {
namespace {

using testing::Bytes;
using testing::Cube;

TEST(ThreeMfReader, RoundTripKeepsGeometryAndDeclaredUnit) {
  Result<std::string> file = ToThreeMf(Cube(2.0f), "inch");
  ASSERT_TRUE(file.ok());
  Result<ImportedMesh> m = ReadThreeMf(Bytes(*file));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->format, MeshFormat::kThreeMf);
  EXPECT_EQ(m->declared_unit, DeclaredUnit::kInch);
  EXPECT_EQ(m->mesh.vertices.size(), 8u);
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
}

TEST(ThreeMfReader, TruncatedArchiveIsCorrupt) {
  Result<std::string> file = ToThreeMf(Cube());
  ASSERT_TRUE(file.ok());
  std::string cut = file->substr(0, file->size() / 2);
  Result<ImportedMesh> m = ReadThreeMf(Bytes(cut));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << m.status().ToString();
}

TEST(ThreeMfReader, TriangleIndexOutOfRangeIsCorrupt) {
  Result<std::string> file = ToThreeMf(Cube());
  ASSERT_TRUE(file.ok());
  // The model part is stored compressed; rebuild one with a bad index instead.
  TriangleMesh bad = Cube();
  bad.triangles[3] = {0, 1, 99};
  Result<std::string> broken = ToThreeMf(bad);
  ASSERT_TRUE(broken.ok());
  Result<ImportedMesh> m = ReadThreeMf(Bytes(*broken));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(m.status().message().find("vertex 99"), std::string::npos) << m.status().message();
}

TEST(ThreeMfReader, CorruptFileGivesACorruptionFinding) {
  const std::string junk = std::string("PK\x03\x04", 4) + std::string(200, 'x');
  Result<FileAnalysis> analysis = AnalyseMesh(Bytes(junk), "junk.3mf", nullptr);
  ASSERT_FALSE(analysis.ok());
  const nlohmann::json finding = ImportFailureFinding(analysis.status(), "junk.3mf");
  EXPECT_EQ(finding["kind"], "corruption");
  EXPECT_EQ(finding["location"], "junk.3mf");
}

}  // namespace
}  // namespace interdict::mesh
