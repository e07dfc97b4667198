// 3MF reader (OPC zip + XML) with libzip and pugixml, because Debian's Assimp 5.2.5 aborts on most of the
// 3MF Consortium samples. Reads the core spec and the production extension's p:path references: objects,
// <components> (nested, with transforms), build items (with transforms) and the model's unit attribute.
// Every build item is expanded into the one welded mesh; separate items stay separate bodies.
//
// Zip-bomb caps (mesh_limits.h): entry count, per-entry and total uncompressed bytes, compression ratio,
// component depth, expanded instance count. A broken zip, missing model part, bad XML, dangling object
// reference or an index out of range is kCorrupt with the reason; a cap is kLimitExceeded.
// Thread-safe (no shared state).
#ifndef INTERDICT_MESH_MATCH_THREEMF_READER_H_
#define INTERDICT_MESH_MATCH_THREEMF_READER_H_

#include <cstdint>
#include <span>

#include "core/status.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

Result<ImportedMesh> ReadThreeMf(std::span<const uint8_t> data);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_THREEMF_READER_H_
