// One model file end to end: import, split into bodies, describe each body, match it against a template
// library (optional), and turn the result into findings. The plugin, the CLI, the pack fixtures and the
// tests all go through here, so they can never disagree.
//
// Findings (JSON objects with kind, severity, location, summary, plus kind-specific fields):
//   "corruption"      the file could not be read, or was damaged (cut short, malformed records)
//   "limit-exceeded"  a size/triangle/body cap was hit
//   "parse-anomaly"   the file reads, but with something an examiner should know (e.g. "solid" header)
//   "mesh-match"      a body matched a template (tier identical / match / mirrored-match / modified)
// A file that yields no faces is never silent: it is a corruption finding.
#ifndef INTERDICT_MESH_MATCH_MESH_ANALYSIS_H_
#define INTERDICT_MESH_MATCH_MESH_ANALYSIS_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "described_body.h"
#include "matcher.h"
#include "template_library.h"
#include "triangle_mesh.h"

namespace interdict::mesh {

struct AnalysedBody {
  size_t index = 0;  // 1-based in the file's body order (largest first)
  DescribedBody body;
  BodyMatch match;
};

struct FileAnalysis {
  MeshFormat format = MeshFormat::kUnknown;
  DeclaredUnit declared_unit = DeclaredUnit::kNone;
  std::vector<ImportAnomaly> anomalies;
  uint64_t anomalies_dropped = 0;
  uint64_t source_triangles = 0;
  uint64_t degenerate_triangles = 0;
  uint64_t nonfinite_triangles = 0;
  uint64_t bodies_total = 0;
  uint64_t debris_bodies = 0;       // below kMinBodyTriangles or kMinBodyAreaShare: counted, not matched
  uint64_t bodies_over_limit = 0;   // beyond kMaxBodiesPerFile
  std::vector<AnalysedBody> bodies;
};

// library may be null (describe only). threads: how many threads describe each body (0: the default of
// DescribeBody); the analysis is byte-identical for every thread count.
Result<FileAnalysis> AnalyseMesh(std::span<const uint8_t> data, std::string_view name, TemplateLibrary* library,
                                 const MatchOptions& options = {}, int threads = 0);

// Identifies the pack in match findings.
struct PackIdentity {
  std::string name;
  std::string version;
  std::string digest;
};

std::vector<nlohmann::json> AnalysisFindings(const FileAnalysis& analysis, std::string_view location,
                                             const PackIdentity& pack, const TemplateLibrary* library);
// The finding for a file that could not be analysed at all (kind from the status: corruption or limit).
nlohmann::json ImportFailureFinding(const Status& status, std::string_view location);
// `interdict mesh describe`: format, anomalies and per-body measurements as JSON.
nlohmann::json DescribeAnalysis(const FileAnalysis& analysis);
// Location of body i inside a file: "<location> > body:<i>".
std::string BodyLocation(std::string_view location, size_t index);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MESH_ANALYSIS_H_
