#include "mesh_analysis.h"

#include <cstdio>

#include "bodies.h"
#include "mesh_import.h"
#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

nlohmann::json Vector(const Eigen::Vector3d& v) { return {v.x(), v.y(), v.z()}; }

nlohmann::json Matrix(const Eigen::Matrix3d& m) {
  return {{m(0, 0), m(0, 1), m(0, 2)}, {m(1, 0), m(1, 1), m(1, 2)}, {m(2, 0), m(2, 1), m(2, 2)}};
}

std::string Format(const char* fmt, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, fmt, value);
  return buffer;
}

const char* SeverityFor(MatchTier tier) {
  switch (tier) {
    case MatchTier::kIdentical:
    case MatchTier::kMatch:
    case MatchTier::kMirroredMatch: return "high";
    case MatchTier::kModified: return "warning";
    case MatchTier::kNoMatch: break;
  }
  return "info";
}

}  // namespace

std::string BodyLocation(std::string_view location, size_t index) {
  return std::string(location) + " > body:" + std::to_string(index);
}

Result<FileAnalysis> AnalyseMesh(std::span<const uint8_t> data, std::string_view name, TemplateLibrary* library,
                                 const MatchOptions& options, int threads) {
  INTERDICT_ASSIGN_OR_RETURN(ImportedMesh imported, ImportMesh(data, name));
  FileAnalysis out;
  out.format = imported.format;
  out.declared_unit = imported.declared_unit;
  out.anomalies = imported.anomalies;
  out.anomalies_dropped = imported.anomalies_dropped;
  out.source_triangles = imported.source_triangles;
  out.degenerate_triangles = imported.degenerate_triangles;
  out.nonfinite_triangles = imported.nonfinite_triangles;
  std::vector<TriangleMesh> bodies = SplitBodies(imported.mesh);
  imported.mesh = TriangleMesh();  // free the whole-file mesh before describing bodies
  out.bodies_total = bodies.size();
  double total_area = 0;
  std::vector<BodyMetrics> metrics;
  for (const TriangleMesh& b : bodies) {
    metrics.push_back(MeasureBody(b));
    total_area += metrics.back().area;
  }
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (bodies[i].triangles.size() < kMinBodyTriangles || metrics[i].area < kMinBodyAreaShare * total_area) {
      ++out.debris_bodies;
      continue;
    }
    if (out.bodies.size() >= kMaxBodiesPerFile) {
      ++out.bodies_over_limit;
      continue;
    }
    AnalysedBody analysed;
    analysed.index = i + 1;
    analysed.body = DescribeBody(std::move(bodies[i]), metrics[i], threads);  // measured once
    if (library != nullptr) analysed.match = MatchBody(analysed.body, *library, options);
    out.bodies.push_back(std::move(analysed));
  }
  return out;
}

nlohmann::json ImportFailureFinding(const Status& status, std::string_view location) {
  const bool limit = status.code() == StatusCode::kLimitExceeded;
  return {{"kind", limit ? "limit-exceeded" : "corruption"},
          {"severity", "warning"},
          {"location", std::string(location)},
          {"summary", std::string(limit ? "model file over a limit, not analysed: " : "model file could not be read: ") +
                          status.message()},
          {"status", std::string(StatusCodeName(status.code()))},
          {"reason", status.message()}};
}

std::vector<nlohmann::json> AnalysisFindings(const FileAnalysis& analysis, std::string_view location,
                                             const PackIdentity& pack, const TemplateLibrary* library) {
  std::vector<nlohmann::json> findings;
  for (const ImportAnomaly& a : analysis.anomalies) {
    findings.push_back({{"kind", a.corruption ? "corruption" : "parse-anomaly"},
                        {"severity", a.corruption ? "warning" : "notice"},
                        {"location", std::string(location)},
                        {"summary", a.message},
                        {"anomaly", a.code},
                        {"format", MeshFormatName(analysis.format)}});
  }
  if (analysis.anomalies_dropped > 0) {
    findings.push_back({{"kind", "limit-exceeded"}, {"severity", "notice"}, {"location", std::string(location)},
                        {"summary", std::to_string(analysis.anomalies_dropped) + " further parse anomalies not listed"}});
  }
  if (analysis.bodies_over_limit > 0) {
    findings.push_back({{"kind", "limit-exceeded"}, {"severity", "warning"}, {"location", std::string(location)},
                        {"summary", std::to_string(analysis.bodies_over_limit) + " bodies beyond the limit of " +
                                        std::to_string(kMaxBodiesPerFile) + " were not matched"}});
  }
  for (const AnalysedBody& b : analysis.bodies) {
    const BodyMatch& m = b.match;
    if (!m.has_template || m.tier == MatchTier::kNoMatch) continue;
    const std::string body_location = BodyLocation(location, b.index);
    const std::string& template_name = library != nullptr ? library->record(m.best.template_index).name : m.template_id;
    nlohmann::json f = {{"kind", "mesh-match"},
                        {"severity", SeverityFor(m.tier)},
                        {"location", body_location},
                        {"tier", MatchTierName(m.tier)},
                        {"template", m.template_id},
                        {"template_name", template_name},
                        {"pack", {{"name", pack.name}, {"version", pack.version}, {"digest", pack.digest}}},
                        {"body", b.index},
                        {"body_hashes", {{"exact", b.body.hashes.exact}, {"quantised", b.body.hashes.quantised}}}};
    if (m.tier == MatchTier::kIdentical) {
      f["summary"] = "body " + std::to_string(b.index) + " is geometrically identical to template " + m.template_id;
    } else {
      const AlignmentScore& s = m.best.registration.score;
      const Similarity& t = m.best.registration.transform;
      f["mirrored"] = m.mirrored;
      f["mirror_indeterminate"] = m.mirror_indeterminate;  // the template is its own mirror image
      f["scale_factor"] = m.scale_factor;
      f["unit"] = m.unit.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.unit);
      f["transform"] = {{"rotation", Matrix(t.rotation)}, {"scale", t.scale}, {"translation", Vector(t.translation)}};
      f["distances_mm"] = {{"chamfer", s.chamfer}, {"hausdorff", s.hausdorff}, {"hausdorff_p95", s.hausdorff_p95},
                           {"local_deviation", s.local_deviation}, {"tolerance", s.tolerance}};
      f["coverage"] = s.coverage;
      f["precision"] = s.precision;
      f["descriptor_distance"] = m.best.descriptor_distance;
      // Whether the thresholds allowed for vertex noise (the query's facets show it) or not (noise-free query).
      f["noise_free_query"] = b.body.metrics.noise_free();
      std::string summary = "body " + std::to_string(b.index) + " " +
                            (m.tier == MatchTier::kModified ? "resembles (modified or partial, review) " : "matches ") +
                            "template " + m.template_id + (m.mirrored ? " mirrored" : "") + ", chamfer " +
                            Format("%.3g", s.chamfer) + " mm, coverage " + Format("%.1f", 100 * s.coverage) + "%";
      if (!m.unit.empty() && m.unit != "mm") summary += ", file in " + m.unit;
      if (m.mirror_indeterminate) summary += ", mirror indeterminate (the template is its own mirror image)";
      f["summary"] = summary;
    }
    findings.push_back(std::move(f));
  }
  return findings;
}

nlohmann::json DescribeAnalysis(const FileAnalysis& analysis) {
  nlohmann::json out = {{"format", MeshFormatName(analysis.format)},
                        {"declared_unit", DeclaredUnitName(analysis.declared_unit)},
                        {"source_triangles", analysis.source_triangles},
                        {"degenerate_triangles", analysis.degenerate_triangles},
                        {"nonfinite_triangles", analysis.nonfinite_triangles},
                        {"bodies_total", analysis.bodies_total},
                        {"debris_bodies", analysis.debris_bodies},
                        {"anomalies", nlohmann::json::array()},
                        {"bodies", nlohmann::json::array()}};
  for (const ImportAnomaly& a : analysis.anomalies) {
    out["anomalies"].push_back({{"code", a.code}, {"message", a.message}, {"corruption", a.corruption}});
  }
  for (const AnalysedBody& b : analysis.bodies) {
    const BodyMetrics& m = b.body.metrics;
    out["bodies"].push_back({{"body", b.index},
                             {"triangles", m.triangles},
                             {"vertices", m.vertices},
                             {"watertight", m.watertight},
                             {"boundary_edges", m.boundary_edges},
                             {"nonmanifold_edges", m.nonmanifold_edges},
                             {"flat_edge_share", m.flat_edge_share()},
                             {"noise_free", m.noise_free()},
                             {"area", m.area},
                             {"volume", m.volume},
                             {"bbox_min", Vector(m.bbox_min)},
                             {"bbox_max", Vector(m.bbox_max)},
                             {"centroid", Vector(m.centroid)},
                             {"principal_axes", Matrix(m.axes.transpose())},
                             {"eigenvalues", Vector(m.eigenvalues)},
                             {"rms_radius", m.rms_radius},
                             {"unit_guess", analysis.declared_unit != DeclaredUnit::kNone
                                                ? std::string(DeclaredUnitName(analysis.declared_unit))
                                                : GuessUnitFromSize(m.diagonal())},
                             {"hashes", {{"exact", b.body.hashes.exact}, {"quantised", b.body.hashes.quantised}}}});
  }
  return out;
}

}  // namespace interdict::mesh
