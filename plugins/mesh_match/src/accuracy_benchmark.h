// The accuracy benchmark: a library of generated stand-in templates, queries made from them by each variant
// of issue 6 (rigid, scale, unit, mirror, remesh, decimation, noise, plates, edits) and negatives (other
// stand-ins and near misses), all matched through the production matcher. Top-1 accuracy per variant and the
// false-positive rate come out; the same code runs the fixed-seed test subset and bench/mesh_match.
#ifndef INTERDICT_MESH_MATCH_ACCURACY_BENCHMARK_H_
#define INTERDICT_MESH_MATCH_ACCURACY_BENCHMARK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "matcher.h"

namespace interdict::mesh {

enum class Variant {
  kRigid, kScale, kUnitInch, kUnitTimes25_4, kUnitCentimetre, kMirror, kSubdivide, kDecimate50,
  kNoise02, kNoise05, kNoise1, kPlate, kHole5, kBoss, kNegative, kNearMiss,
  kNoisyNearMiss,  // a near miss carrying 1 % vertex noise: what the noise allowance risks
};
const char* VariantName(Variant variant);
std::vector<Variant> AllVariants();

struct VariantOutcome {
  int trials = 0;
  int correct = 0;                       // top-1 template right with the expected tier (negatives: no match)
  int identified = 0;                    // top-1 template right, whatever its tier (positives only)
  std::map<std::string, int> tiers;      // tier name -> count
  std::vector<std::string> failures;     // "query-id: got template/tier" (first few)
  long decisions = 0;                    // negative variants: (body, template) decisions, and the false
  long false_positive_decisions = 0;     // positives among them (see AccuracyReport)
  double rate() const { return trials == 0 ? 0.0 : static_cast<double>(correct) / trials; }
};

struct AccuracyConfig {
  int templates = 24;         // library size (stand-ins seeded 1..templates)
  int queries_per_variant = 24;
  int negative_queries = 0;   // queries per negative variant (negative, near miss); 0 = queries_per_variant
  uint64_t seed = 1;
  std::vector<Variant> variants = AllVariants();
  MatchOptions match;
};

struct AccuracyReport {
  std::map<Variant, VariantOutcome> outcomes;
  // Scores of the best candidate for every positive (right template) and negative query, for calibration.
  // Negatives contribute every verified candidate; positives the right template's candidate.
  struct ScoreSample {
    Variant variant;
    bool positive;
    std::string tier;
    double descriptor_distance;
    double chamfer_share;
    double coverage;
    double precision;
    double p95_share;    // 95th-percentile distance / template diagonal
    double local_share;  // local deviation / template diagonal
    double noise_share;  // robust noise level (median distance) / template diagonal
    double proportion_change;
    double systematic_share;  // systematic deviation / template diagonal
  };
  std::vector<ScoreSample> scores;
  // False positives over (query, template) decisions: every body of a negative or near-miss query against
  // every template of the library is one decision (a template left out of the shortlist is a "no match");
  // a decision is false positive when that template's candidate is identical, match or mirrored match.
  // These totals are over the negatives (unrelated parts and near misses); the noisy near misses
  // are counted in their own VariantOutcome only.
  long negative_decisions = 0;
  long false_positive_decisions = 0;
  double false_positive_rate() const;
  // MatchBody cost per body (shortlist + verification), over every query body.
  std::vector<double> match_wall_ms;
  std::vector<double> match_cpu_ms;
  std::vector<int> verified_candidates;
  std::vector<std::string> achiral_templates;  // templates whose mirror image fits them (IsAchiral)
};

AccuracyReport RunAccuracyBenchmark(const AccuracyConfig& config);

// Builds the library the benchmark uses (also used by the speed bench and the pack builder tests).
TemplateLibrary BuildStandInLibrary(int templates);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_ACCURACY_BENCHMARK_H_
