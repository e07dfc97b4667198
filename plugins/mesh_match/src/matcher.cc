#include "matcher.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "joining_thread.h"

namespace interdict::mesh {
Result<bool> IsAchiral(TemplateLibrary& library, size_t i) {
  INTERDICT_ASSIGN_OR_RETURN(const AlignmentScore* self, library.MirrorSelfFit(i));
  const double diagonal = self->tolerance / kCoverageTolerance;
  // With the noise allowance: a template is called chiral only when its mirror image is clearly another part,
  // so that "mirrored" is never claimed on a difference as small as noise.
  return diagonal > 0 && DecideFit(*self, self->chamfer / diagonal, 0, NoiseAllowance::kAllowNoise) ==
                             MatchTier::kMatch;
}

double ProportionChange(const Eigen::Vector3d& q, const Eigen::Vector3d& t) {
  if (!(q[0] > 0) || !(t[0] > 0)) return 1.0;
  double change = 0;
  for (int k = 1; k < 3; ++k) {
    change = std::max(change, std::abs(std::sqrt(std::max(0.0, q[k] / q[0])) - std::sqrt(std::max(0.0, t[k] / t[0]))));
  }
  return change;
}

namespace {

struct KnownScale {
  double query_to_template;
  const char* unit;
};
// A query in inches needs ×25.4 to reach the template's millimetres, and so on.
constexpr KnownScale kKnownScales[] = {
    {1.0, "mm"}, {25.4, "inch"}, {10.0, "cm"}, {1000.0, "m"}, {0.001, "micron"},
    {1.0 / 25.4, "x25.4"},  // mm values multiplied by 25.4 (an inch->mm conversion applied to mm)
    {0.1, "x10"},           // mm values multiplied by 10
};

}  // namespace

NoiseAllowance NoiseAllowanceFor(const BodyMetrics& query) {
  return query.noise_free() ? NoiseAllowance::kNoiseFree : NoiseAllowance::kAllowNoise;
}

MatchTier DecideFit(const AlignmentScore& s, double chamfer_share, double proportion_change, NoiseAllowance noise) {
  const double diagonal = s.tolerance / kCoverageTolerance;
  if (!(diagonal > 0)) return MatchTier::kNoMatch;
  const double local_share = s.local_deviation / diagonal;
  const bool allow_noise = noise == NoiseAllowance::kAllowNoise;
  const double noise_level = allow_noise ? s.noise_level : 0.0;
  const double chamfer_limit = allow_noise ? kMatchMaxChamferShare : kMatchNoiseFreeMaxChamferShare;
  const double p95_limit = std::max(kMatchP95FloorShare * diagonal, kMatchMaxP95ToNoise * noise_level);
  const double systematic_limit =
      std::max(kMatchSystematicFloorShare * diagonal, kMatchMaxSystematicToNoise * noise_level);
  if (chamfer_share <= chamfer_limit && s.coverage >= kMatchMinCoverage && s.precision >= kMatchMinPrecision &&
      local_share <= kMatchMaxLocalDeviationShare && proportion_change <= kMatchMaxProportionChange &&
      s.hausdorff_p95 <= p95_limit && s.systematic_deviation <= systematic_limit) {
    return MatchTier::kMatch;
  }
  if (s.coverage >= kReviewMinCoverage &&
      ((chamfer_share <= kReviewMaxChamferShare && s.precision >= kReviewMinPrecision) ||
       (chamfer_share <= kReviewNoisyMaxChamferShare && s.precision >= kReviewNoisyMinPrecision &&
        s.hausdorff_p95 <= kMatchMaxP95ToNoise * s.noise_level))) {
    return MatchTier::kModified;
  }
  return MatchTier::kNoMatch;
}

const char* MatchTierName(MatchTier tier) {
  switch (tier) {
    case MatchTier::kIdentical: return "identical";
    case MatchTier::kMatch: return "match";
    case MatchTier::kMirroredMatch: return "mirrored-match";
    case MatchTier::kModified: return "modified";
    case MatchTier::kNoMatch: break;
  }
  return "no-match";
}

std::string UnitForScale(double query_to_template_scale) {
  for (const KnownScale& known : kKnownScales) {
    if (std::abs(query_to_template_scale / known.query_to_template - 1.0) <= kUnitSnapTolerance) return known.unit;
  }
  return "";
}

namespace {

// What the candidates of one query share: the query, its noise allowance, and its side of full scores (built on
// the first full score).
class QueryVerification {
 public:
  QueryVerification(const DescribedBody& body, const MatchOptions& options)
      : body_(body), options_(options), noise_(NoiseAllowanceFor(body.metrics)) {}
  const DescribedBody& body() const { return body_; }
  int threads() const { return options_.threads; }
  NoiseAllowance noise() const { return noise_; }
  void ScoreFully(const RegistrationTarget& target, Registration* registration) {
    if (!side_) side_ = std::make_unique<QueryScoringSide>(body_, options_.threads);
    interdict::mesh::ScoreFully(body_, target, registration, side_.get());
  }

 private:
  const DescribedBody& body_;
  const MatchOptions& options_;
  const NoiseAllowance noise_;
  std::unique_ptr<QueryScoringSide> side_;
};

// The proper and the reflected registration of one candidate, with distance scores only (the locally averaged
// scores, the costly part, are computed later for the chosen one, and only when it is close enough to be more
// than "no match"). The two are independent: the reflected one runs on a helper thread where one is to be had
// (the target and the query are read-only; PointIndex queries are thread-safe).
std::pair<Registration, Registration> RegisterBothHandednesses(const QueryVerification& query,
                                                               const RegistrationTarget& target) {
  Registration proper, reflected;
  JoiningThread helper;
  auto register_reflected = [&] {
    reflected = RegisterHandedness(query.body(), target, true, ScoreDetail::kDistances);
  };
  const bool helped = query.threads() > 1 && helper.Start(register_reflected);
  proper = RegisterHandedness(query.body(), target, false, ScoreDetail::kDistances);
  if (helped) helper.Join();
  else register_reflected();
  return {proper, reflected};
}

// A registration that settled a tooth off on a near-symmetric template (a gear, a keyed tube) is turned onto the
// right tooth (see TurnAboutSymmetryAxis); the turned pose is kept when its distance-only Chamfer is smaller.
void TurnOntoTheRightTooth(const QueryVerification& query, const RegistrationTarget& target,
                           Registration* registration) {
  Registration turned = *registration;
  if (!TurnAboutSymmetryAxis(query.body(), target, &turned, query.threads())) return;
  const DescribedBody& body = query.body();
  turned.score = ScoreAlignment(body.samples.points, body.samples.normals, body.metrics.area, turned.transform,
                                target, ScoreDetail::kDistances);
  if (turned.score.chamfer < registration->score.chamfer) *registration = turned;
}

// The running state of the candidate loop that the thorough second registration depends on.
struct VerificationProgress {
  bool matched = false;                                            // a candidate so far is a (mirrored) match
  double closest_share = std::numeric_limits<double>::infinity();  // smallest fully scored Chamfer so far
};

// The closest fit so far, on a near-symmetric template, that is not a match while nothing else is, gets a second,
// thorough registration of the same handedness (more contenders, chosen by untrimmed distance: it finds a gear
// lying upside down, which the turn search about the axis cannot reach); it is kept when it decides better. Only
// the closest so far: in a library of near-family parts most candidates are close fits, and a second
// registration of each would cost as much as the first.
void SecondLookAtTheClosestFit(QueryVerification& query, const RegistrationTarget& target, double diagonal,
                               VerificationProgress* progress, CandidateResult* c) {
  const bool closest_so_far = !progress->matched && c->chamfer_share < progress->closest_share;
  progress->closest_share = std::min(progress->closest_share, c->chamfer_share);
  if (!closest_so_far || c->tier == MatchTier::kMatch || c->chamfer_share > kMatchMaxChamferShare ||
      !HasNearSymmetryAxis(target.metrics)) {
    return;
  }
  Registration second = RegisterHandedness(query.body(), target, c->registration.transform.mirrored(),
                                           ScoreDetail::kDistances, RegistrationEffort::kThorough);
  query.ScoreFully(target, &second);
  const double second_share = second.score.chamfer / diagonal;
  const MatchTier second_tier = DecideFit(second.score, second_share, c->proportion_change, query.noise());
  if (second_tier < c->tier) {
    c->registration = second;
    c->chamfer_share = second_share;
    c->tier = second_tier;
  }
}

// Handedness of a match is only claimed for a chiral template; an achiral one keeps its better-fitting
// alignment. A template whose mirror fit cannot be computed is treated as chiral (handedness decided as
// measured).
void DecideHandedness(QueryVerification& query, TemplateLibrary& library, const RegistrationTarget& target,
                      double diagonal, const Registration& proper, const Registration& reflected, bool mirrored,
                      CandidateResult* c) {
  Result<bool> achiral = IsAchiral(library, c->template_index);
  c->mirror_indeterminate = achiral.ok() && *achiral;
  const bool other_fits_better = mirrored ? c->proper_chamfer_share < c->mirrored_chamfer_share
                                          : c->mirrored_chamfer_share < c->proper_chamfer_share;
  if (c->mirror_indeterminate && other_fits_better) {
    Registration other = mirrored ? proper : reflected;
    query.ScoreFully(target, &other);
    const double other_share = other.score.chamfer / diagonal;
    if (DecideFit(other.score, other_share, c->proportion_change, query.noise()) == MatchTier::kMatch) {
      c->registration = other;
      c->chamfer_share = other_share;
    }
  } else if (!c->mirror_indeterminate && mirrored) {
    c->tier = MatchTier::kMirroredMatch;
  }
}

// Verifies one shortlisted candidate: both handednesses registered, close fits turned about a symmetry axis,
// handedness chosen, the chosen fit fully scored when it is close enough, and its tier decided.
CandidateResult VerifyCandidate(QueryVerification& query, TemplateLibrary& library, size_t index, double distance,
                                const RegistrationTarget& target, VerificationProgress* progress) {
  auto [proper, reflected] = RegisterBothHandednesses(query, target);
  const double diagonal = std::max(target.metrics.diagonal(), 1e-12);
  // Claiming "mirrored" needs more than a better reflected fit: the proper registration may only have settled a
  // tooth off, so it is turned before handedness is decided. (The reflected one is not turned before a proper
  // win: a true mirrored copy stuck a tooth off has not been seen, and it would double the turn searches of
  // every positive.)
  bool proper_turned = false;
  if (reflected.score.chamfer <= kMatchMaxChamferShare * diagonal &&
      reflected.score.chamfer < kMirrorDecisionRatio * proper.score.chamfer) {
    TurnOntoTheRightTooth(query, target, &proper);
    proper_turned = true;
  }
  CandidateResult c;
  c.template_index = index;
  c.descriptor_distance = distance;
  c.proportion_change = ProportionChange(query.body().metrics.eigenvalues, target.metrics.eigenvalues);
  c.proper_chamfer_share = proper.score.chamfer / diagonal;
  c.mirrored_chamfer_share = reflected.score.chamfer / diagonal;
  const bool mirrored = c.mirrored_chamfer_share < kMirrorDecisionRatio * c.proper_chamfer_share;
  c.registration = mirrored ? reflected : proper;
  c.chamfer_share = mirrored ? c.mirrored_chamfer_share : c.proper_chamfer_share;
  // Every close fit is checked for a better tooth: a fit a tooth off can still pass as a match, with a scale a
  // percent off (enough to miss the unit) and the deviation near the keyway.
  if (c.chamfer_share <= kMatchMaxChamferShare && !(proper_turned && !mirrored)) {
    TurnOntoTheRightTooth(query, target, &c.registration);
    c.chamfer_share = c.registration.score.chamfer / diagonal;
    (mirrored ? c.mirrored_chamfer_share : c.proper_chamfer_share) = c.chamfer_share;
  }
  if (c.chamfer_share <= kFullScoreMaxChamferShare) {
    query.ScoreFully(target, &c.registration);
    c.chamfer_share = c.registration.score.chamfer / diagonal;
    c.tier = DecideFit(c.registration.score, c.chamfer_share, c.proportion_change, query.noise());
    SecondLookAtTheClosestFit(query, target, diagonal, progress, &c);
  }
  if (c.tier == MatchTier::kMatch) DecideHandedness(query, library, target, diagonal, proper, reflected, mirrored, &c);
  progress->matched = progress->matched || c.tier == MatchTier::kMatch || c.tier == MatchTier::kMirroredMatch;
  return c;
}

}  // namespace

BodyMatch MatchBody(const DescribedBody& body, TemplateLibrary& library, const MatchOptions& options) {
  BodyMatch out;
  if (library.size() == 0) return out;
  std::optional<size_t> same = library.FindByExactHash(body.hashes.exact);
  if (!same) same = library.FindByQuantisedHash(body.hashes.quantised);
  if (same) {
    out.tier = MatchTier::kIdentical;
    out.has_template = true;
    out.best.template_index = *same;
    out.template_id = library.record(*same).id;
    out.unit = "mm";
    return out;
  }
  const std::vector<std::pair<size_t, double>> shortlist = library.Shortlist(body.descriptor, options.shortlist);
  QueryVerification query(body, options);
  VerificationProgress progress;
  for (size_t k = 0; k < shortlist.size(); ++k) {
    const auto& [index, distance] = shortlist[k];
    Result<const RegistrationTarget*> target = library.Target(index);
    if (!target.ok()) continue;  // a template that cannot be loaded is skipped (the pack verifier reports it)
    const CandidateResult& c =
        out.candidates.emplace_back(VerifyCandidate(query, library, index, distance, **target, &progress));
    const bool is_match = c.tier == MatchTier::kMatch || c.tier == MatchTier::kMirroredMatch;
    const bool conclusive = is_match && c.chamfer_share <= kConclusiveChamferShare;
    if (options.stop_at_conclusive_match && conclusive && k + 1 < shortlist.size() &&
        shortlist[k + 1].second >= kConclusiveDescriptorGap * std::max(distance, 1e-12)) {
      break;
    }
  }
  if (out.candidates.empty()) return out;
  std::stable_sort(
      out.candidates.begin(), out.candidates.end(),
      [](const CandidateResult& a, const CandidateResult& b) { return a.chamfer_share < b.chamfer_share; });
  out.has_template = true;
  out.best = out.candidates.front();
  if (out.best.chamfer_share > kFullScoreMaxChamferShare) {
    // Rejected on distances alone; the report still shows its coverage and local deviation.
    Result<const RegistrationTarget*> target = library.Target(out.best.template_index);
    if (target.ok()) query.ScoreFully(**target, &out.best.registration);
  }
  out.template_id = library.record(out.best.template_index).id;
  out.mirror_indeterminate = out.best.mirror_indeterminate;
  out.mirrored = !out.mirror_indeterminate && out.best.registration.transform.mirrored();
  out.scale_factor = out.best.registration.transform.scale;
  out.unit = UnitForScale(out.scale_factor);
  out.tier = out.best.tier;
  return out;
}

}  // namespace interdict::mesh
