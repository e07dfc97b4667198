// Watertight solids from 2D profiles: a polygon with holes, swept through layers that may scale, twist and
// shift it (a twisted or sheared sweep is chiral, which the mirror tests need). Caps are triangulated by ear
// clipping after bridging the holes into the outer loop; cap triangles reuse the wall vertices, so the solid is
// one closed, consistently oriented body. Used by the stand-in generator; no evidence goes through here.
#ifndef INTERDICT_MESH_MATCH_PROFILE_EXTRUSION_H_
#define INTERDICT_MESH_MATCH_PROFILE_EXTRUSION_H_

#include <vector>

#include <Eigen/Dense>

#include "triangle_mesh.h"

namespace interdict::mesh {

using Loop2 = std::vector<Eigen::Vector2d>;

struct Profile {
  Loop2 outer;               // counter-clockwise
  std::vector<Loop2> holes;  // clockwise, strictly inside outer, not touching each other
};

// One layer of the sweep: z, and the 2D transform applied to the profile there.
struct SweepLayer {
  double z = 0;
  double scale = 1;
  double twist = 0;  // radians, about the profile origin
  Eigen::Vector2d shift = Eigen::Vector2d::Zero();
};

// Triangulates a simple polygon with holes. Returns index triples into the concatenation outer ++ holes...,
// counter-clockwise. Empty on failure (self-intersecting input).
std::vector<Triangle> TriangulateProfile(const Profile& profile);

TriangleMesh SweepProfile(const Profile& profile, const std::vector<SweepLayer>& layers);

// Helpers for building profiles.
Loop2 CircleLoop(Eigen::Vector2d centre, double radius, int segments, bool clockwise);
double SignedArea(const Loop2& loop);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_PROFILE_EXTRUSION_H_
