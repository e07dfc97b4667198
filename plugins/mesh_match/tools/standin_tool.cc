// Writes the procedurally generated stand-in parts committed in samples/meshes/ (never real weapon
// geometry). Deterministic: the same command writes the same bytes.
//   interdict-mesh-standins OUT_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/files.h"
#include "mesh_writer.h"
#include "standin_generator.h"

namespace {

using namespace interdict;
using namespace interdict::mesh;

int Write(const std::filesystem::path& path, const Result<std::string>& bytes) {
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), bytes.status().ToString().c_str());
    return 1;
  }
  Status s = WriteFileAtomic(path, *bytes);
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), s.ToString().c_str());
    return 1;
  }
  std::printf("%s (%zu bytes)\n", path.c_str(), bytes->size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  int failures = 0;
  const RigidMotion turn = RandomRigidMotion(42, 30.0);
  // Seeds 1..6 are the first six templates of signatures/meshes/standin-parts.
  failures += Write(out / "gear-1.stl", ToBinaryStl(GenerateStandIn(1).mesh));
  failures += Write(out / "hinge-4-rotated.stl",
                    ToBinaryStl(TransformMesh(GenerateStandIn(4).mesh, turn, 1.0, false), "solid hinge exported by a CAD tool"));
  failures += Write(out / "housing-5.obj", ToObj(TransformMesh(GenerateStandIn(5).mesh, turn, 1.0, false)));
  failures += Write(out / "slide-3-inch.stl", ToAsciiStl(TransformMesh(GenerateStandIn(3).mesh, turn, 1.0 / 25.4, false), "slide"));
  failures += Write(out / "bracket-6-mirrored.stl", ToBinaryStl(TransformMesh(GenerateStandIn(6).mesh, turn, 1.0, true)));
  failures += Write(out / "plate-tube-2-hinge-4-gear-1.3mf",
                    ToThreeMf(LayOutPlate({GenerateStandIn(2).mesh, GenerateStandIn(4).mesh, GenerateStandIn(1).mesh}, 7)));
  failures += Write(out / "unrelated-part.stl", ToBinaryStl(GenerateStandIn(1'000'007).mesh));
  return failures == 0 ? 0 : 1;
}
