#include "assimp_reader.h"

#include <gtest/gtest.h>

#include "mesh_import.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"

namespace interdict::mesh {
namespace {

using testing::Bytes;
using testing::Cube;

TEST(AssimpReader, ObjCubeIsReadAndWelded) {
  Result<ImportedMesh> m = ImportMesh(Bytes(ToObj(Cube(3.0f))), "cube.obj");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->format, MeshFormat::kObj);
  EXPECT_EQ(m->mesh.vertices.size(), 8u);
  EXPECT_EQ(m->mesh.triangles.size(), 12u);
}

TEST(AssimpReader, ObjWithoutFacesIsCorrupt) {
  Result<ImportedMesh> m = ImportMesh(Bytes("v 0 0 0\nv 1 0 0\nv 0 1 0\n"), "points.obj");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << m.status().ToString();
}

TEST(AssimpReader, TruncatedObjKeepsCompleteFacesOrIsCorrupt) {
  std::string obj = ToObj(Cube());
  obj.resize(obj.size() - 20);
  Result<ImportedMesh> m = ImportMesh(Bytes(obj), "cut.obj");
  if (m.ok()) {
    EXPECT_LT(m->mesh.triangles.size(), 12u);
  } else {
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  }
}

TEST(MeshImport, UnknownBytesAreCorruptNotIgnored) {
  Result<ImportedMesh> m = ImportMesh(Bytes(std::string("\x7f" "ELF\x02\x01\x01", 7)), "x.bin");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace interdict::mesh
