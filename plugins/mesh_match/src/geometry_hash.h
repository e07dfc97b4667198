// Geometry hashes of a welded mesh, independent of file format, header, vertex order, triangle order and
// each triangle's starting corner (winding is kept, so a flipped surface hashes differently):
//  - exact: SHA-256 over the sorted, start-rotated triangles of float32 positions (-0 folded into +0);
//  - quantised: the same over positions rounded to a grid of kQuantisedHashGrid file units (1 µm for mm
//    files), so an ASCII re-export with 6-7 significant digits usually hashes the same. A vertex that sits
//    on a grid boundary can still flip; the exact and descriptor paths do not depend on it.
// Identical hashes mean identical geometry in the same pose; they answer "identical" without registration.
#ifndef INTERDICT_MESH_MATCH_GEOMETRY_HASH_H_
#define INTERDICT_MESH_MATCH_GEOMETRY_HASH_H_

#include <string>

#include "triangle_mesh.h"

namespace interdict::mesh {

inline constexpr double kQuantisedHashGrid = 1e-3;

struct GeometryHashes {
  std::string exact;      // 64 hex
  std::string quantised;  // 64 hex
};

GeometryHashes HashGeometry(const TriangleMesh& mesh);
// The two halves of HashGeometry, for callers that compute them on different threads.
std::string ExactGeometryHash(const TriangleMesh& mesh);
std::string QuantisedGeometryHash(const TriangleMesh& mesh);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_GEOMETRY_HASH_H_
