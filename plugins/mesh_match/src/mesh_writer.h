// Writes meshes as binary STL, ASCII STL, OBJ and 3MF: for the stand-in samples, the template packs and the
// tests (which need the same geometry in every format). Output is deterministic.
#ifndef INTERDICT_MESH_MATCH_MESH_WRITER_H_
#define INTERDICT_MESH_MATCH_MESH_WRITER_H_

#include <string>
#include <string_view>

#include "core/status.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

// header: up to 80 bytes, padded with spaces.
std::string ToBinaryStl(const TriangleMesh& mesh, std::string_view header = "interdict stand-in part");
std::string ToAsciiStl(const TriangleMesh& mesh, std::string_view name = "part");
std::string ToObj(const TriangleMesh& mesh);
// unit: the 3MF unit attribute ("millimeter", "inch", ...).
Result<std::string> ToThreeMf(const TriangleMesh& mesh, std::string_view unit = "millimeter");

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MESH_WRITER_H_
