#include "accuracy_benchmark.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "bodies.h"
#include "quadric_decimation.h"
#include "standin_generator.h"
#include "surface_sampler.h"

namespace interdict::mesh {
namespace {

constexpr size_t kMaxRecordedFailures = 8;
constexpr uint64_t kNegativeSeedBase = 1'000'000;  // negatives never collide with template seeds

bool IsNegative(Variant v) {
  return v == Variant::kNegative || v == Variant::kNearMiss || v == Variant::kNoisyNearMiss;
}

struct Query {
  TriangleMesh mesh;
  std::vector<int> expected;  // template index per expected part (plates have several); empty for negatives
  MatchTier expected_tier = MatchTier::kMatch;
  std::string expected_unit;  // "" = not checked
};

Query MakeQuery(Variant variant, int template_index, int other_a, int other_b, uint64_t seed) {
  const StandInPart part = GenerateStandIn(static_cast<uint64_t>(template_index) + 1);
  SplitMix64 rng(seed);
  const RigidMotion motion = RandomRigidMotion(seed, 200.0);
  Query q;
  q.expected = {template_index};
  switch (variant) {
    case Variant::kRigid: q.mesh = TransformMesh(part.mesh, motion, 1.0, false); break;
    case Variant::kScale: q.mesh = TransformMesh(part.mesh, motion, 0.5 + 1.5 * rng.Uniform(), false); break;
    case Variant::kUnitInch:
      q.mesh = TransformMesh(part.mesh, motion, 1.0 / 25.4, false);
      q.expected_unit = "inch";
      break;
    case Variant::kUnitTimes25_4:
      q.mesh = TransformMesh(part.mesh, motion, 25.4, false);
      q.expected_unit = "x25.4";
      break;
    case Variant::kUnitCentimetre:
      q.mesh = TransformMesh(part.mesh, motion, 0.1, false);
      q.expected_unit = "cm";
      break;
    case Variant::kMirror:
      q.mesh = TransformMesh(part.mesh, motion, 1.0, true);
      q.expected_tier = MatchTier::kMirroredMatch;
      break;
    case Variant::kSubdivide: q.mesh = TransformMesh(SubdivideMidpoint(part.mesh, 2), motion, 1.0, false); break;
    case Variant::kDecimate50: q.mesh = TransformMesh(DecimateQuadric(part.mesh, 0.5), motion, 1.0, false); break;
    case Variant::kNoise02: q.mesh = TransformMesh(AddVertexNoise(part.mesh, 0.002, seed), motion, 1.0, false); break;
    case Variant::kNoise05: q.mesh = TransformMesh(AddVertexNoise(part.mesh, 0.005, seed), motion, 1.0, false); break;
    case Variant::kNoise1: q.mesh = TransformMesh(AddVertexNoise(part.mesh, 0.01, seed), motion, 1.0, false); break;
    case Variant::kPlate: {
      q.mesh = LayOutPlate({part.mesh, GenerateStandIn(static_cast<uint64_t>(other_a) + 1).mesh,
                            GenerateStandIn(static_cast<uint64_t>(other_b) + 1).mesh},
                           seed);
      q.expected = {template_index, other_a, other_b};
      break;
    }
    case Variant::kHole5:
      q.mesh = TransformMesh(RemovePatch(part.mesh, 0.05, seed), motion, 1.0, false);
      q.expected_tier = MatchTier::kModified;
      break;
    case Variant::kBoss:
      q.mesh = TransformMesh(AddBoss(part.mesh, 0.08, 0.03, seed), motion, 1.0, false);
      q.expected_tier = MatchTier::kModified;
      break;
    case Variant::kNegative:
      q.mesh = TransformMesh(GenerateStandIn(kNegativeSeedBase + seed % 100'000).mesh, motion, 0.5 + rng.Uniform(), false);
      q.expected.clear();
      break;
    case Variant::kNearMiss:
      q.mesh = TransformMesh(GenerateStandIn(static_cast<uint64_t>(template_index) + 1, true).mesh, motion, 1.0, false);
      q.expected.clear();
      break;
    case Variant::kNoisyNearMiss:
      q.mesh = TransformMesh(AddVertexNoise(GenerateStandIn(static_cast<uint64_t>(template_index) + 1, true).mesh, 0.01, seed),
                             motion, 1.0, false);
      q.expected.clear();
      break;
  }
  return q;
}

bool IsPositiveTier(MatchTier t) {
  return t == MatchTier::kIdentical || t == MatchTier::kMatch || t == MatchTier::kMirroredMatch;
}

AccuracyReport::ScoreSample Sample(Variant variant, bool positive, const CandidateResult& c, const TemplateLibrary& library) {
  const double diagonal = std::max(library.record(c.template_index).diagonal, 1e-12);
  const AlignmentScore& s = c.registration.score;
  return {variant, positive, MatchTierName(c.tier), c.descriptor_distance, c.chamfer_share, s.coverage, s.precision,
          s.hausdorff_p95 / diagonal, s.local_deviation / diagonal, s.noise_level / diagonal, c.proportion_change,
          s.systematic_deviation / diagonal};
}

// Process CPU: verification runs the reflected registration and half of each full score on helper threads.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

}  // namespace

const char* VariantName(Variant variant) {
  switch (variant) {
    case Variant::kRigid: return "rigid";
    case Variant::kScale: return "scale";
    case Variant::kUnitInch: return "unit-inch";
    case Variant::kUnitTimes25_4: return "unit-x25.4";
    case Variant::kUnitCentimetre: return "unit-x0.1";
    case Variant::kMirror: return "mirror";
    case Variant::kSubdivide: return "remesh-subdivide";
    case Variant::kDecimate50: return "decimate-50";
    case Variant::kNoise02: return "noise-0.2";
    case Variant::kNoise05: return "noise-0.5";
    case Variant::kNoise1: return "noise-1";
    case Variant::kPlate: return "plate";
    case Variant::kHole5: return "edit-hole-5";
    case Variant::kBoss: return "edit-boss";
    case Variant::kNegative: return "negative";
    case Variant::kNearMiss: return "near-miss";
    case Variant::kNoisyNearMiss: return "noisy-near-miss";
  }
  return "?";
}

std::vector<Variant> AllVariants() {
  std::vector<Variant> all;
  for (int v = 0; v <= static_cast<int>(Variant::kNoisyNearMiss); ++v) all.push_back(static_cast<Variant>(v));
  return all;
}

double AccuracyReport::false_positive_rate() const {
  return negative_decisions == 0 ? 0.0 : static_cast<double>(false_positive_decisions) / negative_decisions;
}

TemplateLibrary BuildStandInLibrary(int templates) {
  TemplateLibrary library([](const TemplateRecord& record) -> Result<TriangleMesh> {
    return GenerateStandIn(std::stoull(record.mesh_path)).mesh;
  });
  for (int i = 0; i < templates; ++i) {
    StandInPart part = GenerateStandIn(static_cast<uint64_t>(i) + 1);
    DescribedBody body = DescribeBody(std::move(part.mesh));
    TemplateRecord record{part.id, part.id, std::to_string(i + 1), body.hashes, body.descriptor, body.metrics.diagonal()};
    library.AddDescribed(std::move(record), body);
  }
  library.BuildIndex();
  return library;
}

AccuracyReport RunAccuracyBenchmark(const AccuracyConfig& config) {
  AccuracyReport report;
  TemplateLibrary library = BuildStandInLibrary(config.templates);
  for (Variant variant : config.variants) {
    VariantOutcome& outcome = report.outcomes[variant];
    const int queries =
        IsNegative(variant) && config.negative_queries > 0 ? config.negative_queries : config.queries_per_variant;
    for (int i = 0; i < queries; ++i) {
      const uint64_t seed = config.seed * 1'000'003ull + static_cast<uint64_t>(variant) * 10'007ull + i;
      const int t = static_cast<int>((seed * 2654435761ull) % config.templates);
      const int a = (t + 1 + static_cast<int>(seed % 7)) % config.templates;
      const int b = (a + 1 + static_cast<int>(seed % 5)) % config.templates;
      Query query = MakeQuery(variant, t, a, b, seed);
      std::vector<TriangleMesh> parts = SplitBodies(query.mesh);
      std::vector<BodyMatch> matches;
      for (TriangleMesh& body : parts) {
        const DescribedBody described = DescribeBody(std::move(body));
        const auto wall_start = std::chrono::steady_clock::now();
        const double cpu_start = CpuMs();
        matches.push_back(MatchBody(described, library, config.match));
        report.match_cpu_ms.push_back(CpuMs() - cpu_start);
        report.match_wall_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start).count());
        report.verified_candidates.push_back(static_cast<int>(matches.back().candidates.size()));
      }
      auto record_failure = [&](const std::string& what) {
        if (outcome.failures.size() < kMaxRecordedFailures) outcome.failures.push_back(what);
      };
      if (IsNegative(variant)) {
        ++outcome.trials;
        bool false_positive = false;
        for (const BodyMatch& m : matches) {
          ++outcome.tiers[MatchTierName(m.tier)];
          outcome.decisions += static_cast<long>(library.size());
          if (m.tier == MatchTier::kIdentical) ++outcome.false_positive_decisions;
          for (const CandidateResult& c : m.candidates) {
            report.scores.push_back(Sample(variant, false, c, library));
            if (IsPositiveTier(c.tier)) ++outcome.false_positive_decisions;
          }
          if (IsPositiveTier(m.tier)) {
            false_positive = true;
            record_failure("seed " + std::to_string(seed) + ": matched " + m.template_id + " as " + MatchTierName(m.tier));
          }
        }
        if (!false_positive) ++outcome.correct;
        continue;
      }
      // Each expected template must be the top-1 of exactly one body with the expected tier.
      for (int expected : query.expected) {
        ++outcome.trials;
        const std::string& want = library.record(expected).id;
        bool found = false;
        std::string got;
        for (const BodyMatch& m : matches) {
          if (!m.has_template || m.template_id != want) continue;
          got = std::string(MatchTierName(m.tier)) + " unit=" + m.unit;
          ++outcome.identified;
          ++outcome.tiers[MatchTierName(m.tier)];
          if (m.tier != MatchTier::kIdentical) report.scores.push_back(Sample(variant, true, m.best, library));
          // A mirrored copy of an achiral template is the template itself: "match" is the right answer.
          const bool achiral = m.mirror_indeterminate;
          const bool tier_ok = m.tier == query.expected_tier ||
                               (query.expected_tier == MatchTier::kMatch && m.tier == MatchTier::kIdentical) ||
                               (query.expected_tier == MatchTier::kMirroredMatch && achiral && m.tier == MatchTier::kMatch) ||
                               (query.expected_tier == MatchTier::kModified && m.tier == MatchTier::kMatch);
          bool unit_ok = query.expected_unit.empty() || m.unit == query.expected_unit;
          if (tier_ok && unit_ok) found = true;
          break;
        }
        if (found) {
          ++outcome.correct;
        } else {
          std::string top = matches.empty() ? "nothing" : matches.front().template_id + "/" + MatchTierName(matches.front().tier);
          record_failure("seed " + std::to_string(seed) + " want " + want + ": " + (got.empty() ? "top-1 " + top : got));
        }
      }
    }
  }
  for (Variant v : {Variant::kNegative, Variant::kNearMiss}) {
    if (!report.outcomes.contains(v)) continue;
    report.negative_decisions += report.outcomes[v].decisions;
    report.false_positive_decisions += report.outcomes[v].false_positive_decisions;
  }
  for (size_t i = 0; i < library.size(); ++i) {
    Result<bool> achiral = IsAchiral(library, i);
    if (achiral.ok() && *achiral) report.achiral_templates.push_back(library.record(i).id);
  }
  return report;
}

}  // namespace interdict::mesh
