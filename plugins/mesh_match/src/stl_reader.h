// STL reader with admesh's (PrusaSlicer's) rules, because an STL a slicer prints must never be skipped:
//  - ASCII only when the text starts with "solid" (after an optional UTF-8 byte-order mark) AND the next
//    keyword is "facet" or "endsolid"; everything else is binary, whatever its header says;
//  - binary face count comes from the file size ((size - 84) / 50), not from the header; a disagreeing header
//    count, trailing bytes, a "solid" header and a byte-order mark are each reported as an anomaly;
//  - a header count larger than the file holds means the file was cut short: the facets present are read and
//    a corruption anomaly is recorded.
// Returns kCorrupt when nothing usable is there (no facets, shorter than the 84-byte binary preamble and not
// ASCII), kLimitExceeded beyond kMaxTriangles. Thread-safe (no shared state).
#ifndef INTERDICT_MESH_MATCH_STL_READER_H_
#define INTERDICT_MESH_MATCH_STL_READER_H_

#include <cstdint>
#include <span>

#include "core/status.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

// True if the bytes look like an STL (binary or ASCII) at all; used by format sniffing.
bool LooksLikeStl(std::span<const uint8_t> data);

Result<ImportedMesh> ReadStl(std::span<const uint8_t> data);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_STL_READER_H_
