// Procedurally generated stand-in parts (brackets, gears, tubes, slides, hinges, housings) and the variants
// the accuracy benchmark applies to them. Never real firearm geometry: the method must not depend on what
// the parts are, and the repository must not hold weapon files. Everything is a pure function of its seed.
#ifndef INTERDICT_MESH_MATCH_STANDIN_GENERATOR_H_
#define INTERDICT_MESH_MATCH_STANDIN_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "triangle_mesh.h"

namespace interdict::mesh {

enum class PartFamily { kBracket, kGear, kTube, kSlide, kHinge, kHousing };
inline constexpr int kPartFamilyCount = 6;
const char* PartFamilyName(PartFamily family);

struct StandInPart {
  std::string id;      // "<family>-<seed>" or "<family>-<seed>-near"
  PartFamily family;
  TriangleMesh mesh;   // millimetres, watertight, one body
};

// near_miss: the same part with one design parameter changed (a tooth, a hole, an arm length): a negative
// that must not be called a match.
StandInPart GenerateStandIn(uint64_t seed, bool near_miss = false);

// --- Variants (all deterministic in their seed) ---
struct RigidMotion {
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();
};
RigidMotion RandomRigidMotion(uint64_t seed, double max_translation);
// p -> scale * rotation * p + translation; mirror reflects x first. Keeps outward orientation.
TriangleMesh TransformMesh(const TriangleMesh& mesh, const RigidMotion& motion, double scale, bool mirror);
TriangleMesh SubdivideMidpoint(const TriangleMesh& mesh, int levels);
// Vertex clustering on a grid whose cell is tuned until about `keep_share` of the triangles remain.
TriangleMesh DecimateByClustering(const TriangleMesh& mesh, double keep_share);
// Gaussian noise on every vertex, sigma = share * bbox diagonal.
TriangleMesh AddVertexNoise(const TriangleMesh& mesh, double share_of_diagonal, uint64_t seed);
// Removes a connected patch of about `share` of the triangles (a hole).
TriangleMesh RemovePatch(const TriangleMesh& mesh, double share, uint64_t seed);
// Pushes the vertices within `radius_share` of the diagonal around a random vertex outwards (a boss).
TriangleMesh AddBoss(const TriangleMesh& mesh, double radius_share, double height_share, uint64_t seed);
// Lays meshes out side by side on the XY plane (a print plate), each in a random orientation about Z.
TriangleMesh LayOutPlate(const std::vector<TriangleMesh>& parts, uint64_t seed);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_STANDIN_GENERATOR_H_
