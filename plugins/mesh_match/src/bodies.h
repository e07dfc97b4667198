// Splits a welded mesh into its connected bodies (a print plate holds many parts; each is matched alone).
// Union-find over shared vertices; bodies are returned largest first (by triangle count, ties by their
// first triangle's position in the file) so the order is deterministic. Each body is re-indexed compactly.
#ifndef INTERDICT_MESH_MATCH_BODIES_H_
#define INTERDICT_MESH_MATCH_BODIES_H_

#include <vector>

#include "triangle_mesh.h"

namespace interdict::mesh {

std::vector<TriangleMesh> SplitBodies(const TriangleMesh& mesh);

// Joins meshes into one (used to build plates and by tests).
TriangleMesh JoinMeshes(const std::vector<TriangleMesh>& meshes);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_BODIES_H_
