// Every limit of the mesh analyser in one place (libyara's limits.h habit). Inputs that exceed a limit are
// reported as a "limit-exceeded" finding, never silently truncated.
#ifndef INTERDICT_MESH_MATCH_MESH_LIMITS_H_
#define INTERDICT_MESH_MATCH_MESH_LIMITS_H_

#include <cstdint>

namespace interdict::mesh {

// Import.
inline constexpr uint64_t kMaxMeshFileBytes = 2ull << 30;         // 2 GiB of model file
inline constexpr uint64_t kMaxTriangles = 40'000'000;             // per file, after triangulation
inline constexpr uint64_t kMaxAnomaliesPerFile = 64;              // further anomalies are counted only
inline constexpr uint64_t kMaxAsciiLineBytes = 4096;              // an STL/OBJ line longer than this is corrupt
inline constexpr uint64_t kStlHeaderBytes = 80;
inline constexpr uint64_t kStlRecordBytes = 50;
inline constexpr uint64_t kStlBinaryProbeBytes = 128;             // admesh: high-bit bytes after the header

// 3MF (a zip): bomb caps.
inline constexpr uint64_t kMax3mfEntries = 4096;
inline constexpr uint64_t kMax3mfEntryBytes = 1ull << 30;         // one uncompressed model part
inline constexpr uint64_t kMax3mfTotalBytes = 2ull << 30;         // all parts read together
inline constexpr uint64_t kMax3mfCompressionRatio = 200;          // uncompressed / compressed for one entry
inline constexpr int kMax3mfComponentDepth = 16;                  // nested <components>
inline constexpr uint64_t kMax3mfObjectInstances = 100'000;       // object placements after expansion

// Geometry.
inline constexpr uint64_t kMaxBodiesPerFile = 4096;               // bodies beyond this are reported, not matched
inline constexpr uint64_t kMinBodyTriangles = 4;                  // smaller bodies are debris, counted only
inline constexpr double kMinBodyAreaShare = 0.002;                // bodies under 0.2 % of the file's area: debris
inline constexpr double kQuantisedHashStep = 1e-4;                // quantised hash grid, as a share of the diagonal

// Descriptors and matching.
inline constexpr int kDescriptorSamples = 4096;                   // area-weighted surface samples per body
inline constexpr int kD2Pairs = 120'000;
inline constexpr int kA3Triples = 60'000;
inline constexpr int kVerificationSamples = 1500;                 // query points used by ICP
inline constexpr int kTemplateSamples = 3000;                     // template points kept per template
inline constexpr int kShortlistSize = 8;                          // candidates verified by registration
inline constexpr int kIcpIterations = 15;
inline constexpr double kIcpTrimFraction = 0.9;                   // keep the closest 90 % of pairs
inline constexpr uint64_t kMaxTemplates = 200'000;

// Threads. Describing a body splits into independent stages (edge census and moments, the two geometry
// hashes, sampling) that run on up to kMaxDescribeThreads threads; results are byte-identical to one thread.
inline constexpr int kMaxDescribeThreads = 2;                     // the target machine has 2 cores
inline constexpr uint64_t kParallelDescribeMinTriangles = 20'000; // below this a thread costs more than it saves
inline constexpr uint64_t kParallelWeldMinTriangles = 1'000'000;  // binary STL welded in two halves from here

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MESH_LIMITS_H_
