// Matches bodies against a TemplateLibrary and decides a tier for each:
//   identical        same exact or quantised geometry hash as a template (no registration needed);
//   match            registration with a proper rotation fits within the match thresholds;
//   mirrored match   the reflected alignment fits clearly better than the proper one and within thresholds,
//                    and the template is chiral (its own mirror image does not fit it within the match
//                    thresholds). For an achiral template the mirror image is the template itself, so the
//                    handedness is indeterminate: the tier is "match" and mirror_indeterminate is set;
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
#include "joining_thread.h"
#include "registration.h"
#include "template_library.h"

namespace interdict::mesh {

// Calibrated on bench/mesh_match (see docs/mesh-matching.md, "Thresholds", for the data). Shares are of the
// template's bounding-box diagonal; scores are from exact point-to-triangle distances.
inline constexpr double kMatchMaxChamferShare = 0.010;
inline constexpr double kMatchMinCoverage = 0.95;
inline constexpr double kMatchMinPrecision = 0.90;
inline constexpr double kMatchMaxLocalDeviationShare = 0.020;  // locally averaged deviation, 99th percentile
inline constexpr double kMatchMaxProportionChange = 0.014;     // see CandidateResult::proportion_change
// Hausdorff p95 must stay within kMatchMaxP95ToNoise x the robust noise level (AlignmentScore::noise_level),
// or below kMatchP95FloorShare: noise raises both together, an edit or a changed dimension raises p95 alone.
inline constexpr double kMatchP95FloorShare = 0.008;
inline constexpr double kMatchMaxP95ToNoise = 4.5;
// Likewise the systematic (patch-averaged, signed) deviation: within kMatchMaxSystematicToNoise x noise_level
// or below kMatchSystematicFloorShare.
inline constexpr double kMatchSystematicFloorShare = 0.004;
inline constexpr double kMatchMaxSystematicToNoise = 3.0;
// A noise-free query (BodyMetrics::noise_free: its CAD facets are still coplanar) gets no allowance for noise:
// its residual cannot be scan or export noise, so it must stay within kMatchNoiseFreeMaxChamferShare and the
// p95 and systematic floors. Without this an unrelated clean part of similar proportions (a tube, a slide),
// brought to the template's size by the scale-invariant fit, passed as a 0.5-1 %-noise copy.
inline constexpr double kMatchNoiseFreeMaxChamferShare = 0.0025;
// Modified (review): an edit (close fit, some surface missing or added) or a noise-like fit (residual spread
// evenly, as scan noise spreads it: p95 within kMatchMaxP95ToNoise x the noise level, high precision).
inline constexpr double kReviewMaxChamferShare = 0.004;
inline constexpr double kReviewMinCoverage = 0.90;
inline constexpr double kReviewMinPrecision = 0.60;
inline constexpr double kReviewNoisyMaxChamferShare = 0.009;
inline constexpr double kReviewNoisyMinPrecision = 0.92;
// Candidates whose distance-only (sample-based) Chamfer exceeds this are "no match" without full scoring.
// The exact Chamfer is 0.86-1.11x the distance-only one (20 unrelated negatives, 100 candidates), so 0.015
// keeps every candidate that could pass the review limit (0.009) with room to spare.
inline constexpr double kFullScoreMaxChamferShare = 0.015;
inline constexpr double kConclusiveChamferShare = 0.004;    // a match this close stops the verification...
inline constexpr double kConclusiveDescriptorGap = 1.5;     // ...when the next candidate is this much farther
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
  // Largest change of the principal-extent proportions sqrt(λ_k/λ_0) between query and template. A uniform
  // scale keeps them; a part with one dimension changed (a longer tube, a wider bracket) does not, even
  // when a similarity fit spreads the difference into a noise-like residual.
  double proportion_change = 0;
  MatchTier tier = MatchTier::kNoMatch;  // this candidate's own decision (the body's tier is the best one's)
  bool mirror_indeterminate = false;     // the template is achiral: mirrored cannot be told from proper
};

struct BodyMatch {
  MatchTier tier = MatchTier::kNoMatch;
  bool has_template = false;       // false when the library is empty
  CandidateResult best;            // the winning candidate (meaningful when has_template)
  std::string template_id;
  bool mirrored = false;
  bool mirror_indeterminate = false;  // the template is its own mirror image: handedness not claimed
  double scale_factor = 1.0;       // query units -> template units (mm)
  std::string unit;                // query unit read from the scale: "mm", "inch", "cm", "m", "micron", "x25.4", "x10", ""
  std::vector<CandidateResult> candidates;  // all verified candidates, best first
};

struct MatchOptions {
  size_t shortlist = 8;
  // Stop verifying once a candidate is a conclusive match (see kConclusive*): the remaining candidates are
  // farther in descriptor space and count as "no match". Off: every shortlisted candidate is verified.
  bool stop_at_conclusive_match = true;
  // Threads for verification (the proper and the reflected registration of a candidate run side by side).
  // The result does not depend on it.
  int threads = DefaultWorkerThreads();
};

// Names the unit a scale factor reveals, or "" when it is none of the known ones.
std::string UnitForScale(double query_to_template_scale);

// Whether template i is (nearly) achiral: its own mirror image fits it within the match thresholds, so a
// mirrored copy of it cannot be told from a copy. From the score `templates build` stores in descriptors.json, else
// measured once per template and cached in the library.
Result<bool> IsAchiral(TemplateLibrary& library, size_t i);

// Whether a fit may be excused as noise: kAllowNoise when the query may carry vertex noise, kNoiseFree when
// its surface shows none (BodyMetrics::noise_free).
enum class NoiseAllowance { kAllowNoise, kNoiseFree };
NoiseAllowance NoiseAllowanceFor(const BodyMetrics& query);

// Tier of one alignment from its scores (handedness aside): match, modified or no match.
MatchTier DecideFit(const AlignmentScore& score, double chamfer_share, double proportion_change = 0,
                    NoiseAllowance noise = NoiseAllowance::kAllowNoise);
// The proportion change above, from two sets of PCA eigenvalues (descending).
double ProportionChange(const Eigen::Vector3d& query_eigenvalues, const Eigen::Vector3d& template_eigenvalues);

BodyMatch MatchBody(const DescribedBody& body, TemplateLibrary& library, const MatchOptions& options);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_MATCHER_H_
