// OBJ, PLY and OFF through Assimp 5.2.5 with every other importer unregistered, so a file is never handed to
// a loader we have not chosen (Assimp's long tail has a long CVE list; see notes/mesh.md §4.5). Assimp runs
// only inside the sandboxed worker. Scale is never normalised (units are evidence); welding is ours
// (Assimp's JoinIdenticalVertices is slow and does not weld STL-like input).
// A failed read or an empty scene is kCorrupt with Assimp's message. Thread-safe (one Importer per call).
#ifndef INTERDICT_MESH_MATCH_ASSIMP_READER_H_
#define INTERDICT_MESH_MATCH_ASSIMP_READER_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "core/status.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

// format_hint: "obj", "ply" or "off".
Result<ImportedMesh> ReadWithAssimp(std::span<const uint8_t> data, std::string_view format_hint);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_ASSIMP_READER_H_
