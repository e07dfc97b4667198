// Writes the procedurally generated stand-in parts committed in samples/meshes/ (never real weapon
// geometry). Deterministic: the same command writes the same bytes.
//   interdict-mesh-standins OUT_DIR                 the samples (samples/meshes)
//   interdict-mesh-standins --pack DIR COUNT        a template pack skeleton: meshes, pack.json, fixtures
//                                                   (then `interdict templates build` and `sign`)
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "mesh_writer.h"
#include "shape_descriptor.h"
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

int WritePack(const std::filesystem::path& dir, int count) {
  std::filesystem::create_directories(dir / "meshes");
  std::filesystem::create_directories(dir / "fixtures");
  int failures = 0;
  nlohmann::json templates = nlohmann::json::array();
  for (int seed = 1; seed <= count; ++seed) {
    const StandInPart part = GenerateStandIn(static_cast<uint64_t>(seed));
    const std::string file = "meshes/" + part.id + ".stl";
    failures += Write(dir / file, ToBinaryStl(part.mesh));
    templates.push_back({{"id", part.id}, {"name", std::string("stand-in ") + PartFamilyName(part.family) + " #" +
                                                        std::to_string(seed)}, {"mesh", file}});
  }
  nlohmann::json manifest = {
      {"format", "interdict-template-pack"}, {"name", "standin-parts"}, {"version", "1.0.0"},
      {"description", "Procedurally generated stand-in parts (brackets, gears, tubes, slides, hinges, housings); "
                      "no real weapon geometry. For tests, demos and the accuracy benchmark."},
      {"unit", "mm"}, {"descriptor_version", kDescriptorVersion}, {"templates", templates}};
  failures += Write(dir / "pack.json", manifest.dump(2) + "\n");
  // Fixtures: what the pack promises to find, in the forms an examiner meets.
  const RigidMotion turn = RandomRigidMotion(7, 50.0);
  nlohmann::json fixtures = nlohmann::json::array();
  auto id = [](uint64_t seed) { return GenerateStandIn(seed).id; };
  failures += Write(dir / "fixtures/plate-3-parts.3mf",
                    ToThreeMf(LayOutPlate({GenerateStandIn(2).mesh, GenerateStandIn(4).mesh, GenerateStandIn(6).mesh}, 3)));
  fixtures.push_back({{"file", "plate-3-parts.3mf"}, {"expect", {{{"template", id(2)}, {"tier", "match"}},
                                                                  {{"template", id(4)}, {"tier", "match"}},
                                                                  {{"template", id(6)}, {"tier", "match"}}}}});
  failures += Write(dir / "fixtures/inch-copy.stl", ToAsciiStl(TransformMesh(GenerateStandIn(3).mesh, turn, 1.0 / 25.4, false)));
  fixtures.push_back({{"file", "inch-copy.stl"}, {"expect", {{{"template", id(3)}, {"tier", "match"}, {"unit", "inch"}}}}});
  failures += Write(dir / "fixtures/mirrored-copy.stl", ToBinaryStl(TransformMesh(GenerateStandIn(5).mesh, turn, 1.0, true)));
  fixtures.push_back({{"file", "mirrored-copy.stl"}, {"expect", {{{"template", id(5)}, {"tier", "mirrored-match"}}}}});
  failures += Write(dir / "fixtures/identical-solid-header.stl", ToBinaryStl(GenerateStandIn(1).mesh, "solid exported"));
  fixtures.push_back({{"file", "identical-solid-header.stl"}, {"expect", {{{"template", id(1)}, {"tier", "identical"}}}}});
  failures += Write(dir / "fixtures/unrelated.stl", ToBinaryStl(GenerateStandIn(1'000'003).mesh));
  fixtures.push_back({{"file", "unrelated.stl"}, {"expect", nlohmann::json::array()}});
  failures += Write(dir / "fixtures/fixtures.json", fixtures.dump(2) + "\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--pack") return WritePack(argv[2], std::atoi(argv[3]));
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
