// Matches bodies against a TemplateLibrary and decides a tier for each:
//   identical        same exact or quantised geometry hash as a template (no registration needed);
//   match            registration with a proper rotation fits within the match thresholds;
//   mirrored match   the reflected alignment fits clearly better than the proper one and within thresholds;
//   modified         fits within the looser review thresholds (edits, partial copies): for human review;
//   no match         nothing within the review thresholds.
// Candidates come from the descriptor shortlist; each is verified by registration; the candidate with the
// smallest relative Chamfer distance wins. Thresholds are named constants calibrated on the accuracy
// benchmark (docs/mesh-matching.md holds the data that set them).
#ifndef INTERDICT_MESH_MATCH_MATCHER_H_
#define INTERDICT_MESH_MATCH_MATCHER_H_

#include <string>
#include <vector>

#include "described_body.h"
#include "registration.h"
#include "template_library.h"

namespace interdict::mesh {

// Calibrated on bench/mesh_match (see docs/mesh-matching.md, "Thresholds").
inline constexpr double kMatchMaxChamferShare = 0.010;   // Chamfer / template diagonal
inline constexpr double kMatchMinCoverage = 0.95;
inline constexpr double kMatchMaxLocalDeviationShare = 0.020;  // local deviation / template diagonal
inline constexpr double kReviewMaxChamferShare = 0.030;
inline constexpr double kReviewMinCoverage = 0.60;
inline constexpr double kMirrorDecisionRatio = 0.80;     // mirrored Chamfer below 80 % of proper: mirrored
inline constexpr double kUnitSnapTolerance = 0.01;       // ±1 % around a known unit factor

enum class MatchTier { kIdentical, kMatch, kMirroredMatch, kModified, kNoMatch };
const char* MatchTierName(MatchTier tier);  // "identical", "match", "mirrored-match", "modified", "no-match"

struct CandidateResult {
  size_t template_index = 0;
  double descriptor_distance = 0;
  Registration registration;  // the handedness chosen for this candidate
  double chamfer_share = 0;   // Chamfer / template diagonal
  double proper_chamfer_share = 0;
  double mirrored_chamfer_share = 0;
};

struct BodyMatch {
  MatchTier tier = MatchTier::kNoMatch;
  bool has_template = false;       // false when the library is empty
  CandidateResult best;            // the winning candidate (meaningful when has_template)
  std::string template_id;
  bool mirrored = false;
  double scale_factor = 1.0;       // query units -> template units (mm)
  std::string unit;                // query unit read from the scale: "mm", "inch", "cm", "m", "micron", "x25.4", "x10", ""
  std::vector<CandidateResult> candidates;  // all verified candidates, best first
};

struct MatchOptions {
  size_t shortlist = 8;
};

// Names the unit a scale factor reveals, or "" when it is none of the known ones.
std::string UnitForScale(double query_to_template_scale);

BodyMatch MatchBody(const DescribedBody& body, TemplateLibrary& library, const MatchOptions& options);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MATCHER_H_
