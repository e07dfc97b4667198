#include "matcher.h"

#include <algorithm>
#include <cmath>

namespace interdict::mesh {
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

MatchTier Decide(const CandidateResult& c) {
  const AlignmentScore& s = c.registration.score;
  const bool mirrored = c.registration.transform.mirrored();
  const double diagonal = s.tolerance / kCoverageTolerance;
  const double local_share = diagonal > 0 ? s.local_deviation / diagonal : 1.0;
  if (c.chamfer_share <= kMatchMaxChamferShare && s.coverage >= kMatchMinCoverage &&
      local_share <= kMatchMaxLocalDeviationShare) {
    return mirrored ? MatchTier::kMirroredMatch : MatchTier::kMatch;
  }
  if (c.chamfer_share <= kReviewMaxChamferShare && s.coverage >= kReviewMinCoverage) return MatchTier::kModified;
  return MatchTier::kNoMatch;
}

}  // namespace

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
  for (const auto& [index, distance] : library.Shortlist(body.descriptor, options.shortlist)) {
    Result<const RegistrationTarget*> target = library.Target(index);
    if (!target.ok()) continue;  // a template that cannot be loaded is skipped (the pack verifier reports it)
    const RegistrationResult reg = Register(body, **target);
    const double diagonal = std::max((*target)->metrics.diagonal(), 1e-12);
    CandidateResult c;
    c.template_index = index;
    c.descriptor_distance = distance;
    c.proper_chamfer_share = reg.proper.score.chamfer / diagonal;
    c.mirrored_chamfer_share = reg.mirrored.score.chamfer / diagonal;
    const bool mirrored = c.mirrored_chamfer_share < kMirrorDecisionRatio * c.proper_chamfer_share;
    c.registration = mirrored ? reg.mirrored : reg.proper;
    c.chamfer_share = mirrored ? c.mirrored_chamfer_share : c.proper_chamfer_share;
    out.candidates.push_back(c);
  }
  if (out.candidates.empty()) return out;
  std::stable_sort(out.candidates.begin(), out.candidates.end(),
                   [](const CandidateResult& a, const CandidateResult& b) { return a.chamfer_share < b.chamfer_share; });
  out.has_template = true;
  out.best = out.candidates.front();
  out.template_id = library.record(out.best.template_index).id;
  out.mirrored = out.best.registration.transform.mirrored();
  out.scale_factor = out.best.registration.transform.scale;
  out.unit = UnitForScale(out.scale_factor);
  out.tier = Decide(out.best);
  return out;
}

}  // namespace interdict::mesh
