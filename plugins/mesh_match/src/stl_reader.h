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
#include "mesh_limits.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

// True if the bytes look like an STL (binary or ASCII) at all; used by format sniffing.
bool LooksLikeStl(std::span<const uint8_t> data);

Result<ImportedMesh> ReadStl(std::span<const uint8_t> data);

// threads: 1 welds on the calling thread; 2 (or 0, the default when the machine has 2 cores) welds a binary
// STL of at least parallel_min_triangles facets in two halves on two threads and joins them: the result is
// byte-identical to one thread. If a thread cannot be started, the calling thread does all the work.
struct StlReadOptions {
  int threads = 0;
  uint64_t parallel_min_triangles = kParallelWeldMinTriangles;
};
Result<ImportedMesh> ReadStl(std::span<const uint8_t> data, const StlReadOptions& options);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_STL_READER_H_
