// One entry point for every model format: sniffs the content (never trusts the extension alone), then hands
// the bytes to the STL reader, the 3MF reader, or Assimp (OBJ/PLY/OFF). Thread-safe.
#ifndef INTERDICT_MESH_MATCH_MESH_IMPORT_H_
#define INTERDICT_MESH_MATCH_MESH_IMPORT_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>

#include "core/status.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

// Guesses the format from the first bytes, falling back to the name's extension for formats without magic.
MeshFormat SniffMeshFormat(std::span<const uint8_t> data, std::string_view name);

// Imports from memory. `name` is only a hint for formats without magic (OBJ).
Result<ImportedMesh> ImportMesh(std::span<const uint8_t> data, std::string_view name);

// Imports a file through a read-only memory map (no copy of the file is made for STL).
Result<ImportedMesh> ImportMeshFile(const std::filesystem::path& path);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MESH_IMPORT_H_
