// Runs the accuracy benchmark and prints top-1 per variant, the false-positive rate and the score
// distributions used to calibrate the matcher's thresholds. bench/mesh_match/run.sh drives it.
//   interdict-mesh-accuracy [--templates N] [--queries N] [--negatives N] [--seed S] [--scores FILE]
//                           [--threads N] [--verify-all]
// --negatives: queries per negative variant (default: --queries); --verify-all: no early stop at a
// conclusive match (every shortlisted candidate is verified); --threads: verification threads (default: the
// machine's, at most kMaxDescribeThreads).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "accuracy_benchmark.h"

int main(int argc, char** argv) {
  interdict::mesh::AccuracyConfig config;
  const char* scores_path = nullptr;
  for (int i = 1; i < argc; i += 2) {
    if (std::strcmp(argv[i], "--verify-all") == 0) {
      config.match.stop_at_conclusive_match = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    if (std::strcmp(argv[i], "--templates") == 0) config.templates = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--queries") == 0) config.queries_per_variant = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--negatives") == 0) config.negative_queries = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seed") == 0) config.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--scores") == 0) scores_path = argv[i + 1];
    else if (std::strcmp(argv[i], "--threads") == 0) config.match.threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--templates N] [--queries N] [--negatives N] [--seed S] [--scores FILE] [--threads N] [--verify-all]\n", argv[0]);
      return 2;
    }
  }
  const interdict::mesh::AccuracyReport report = interdict::mesh::RunAccuracyBenchmark(config);
  std::printf("| variant | trials | top-1 correct | rate | right template (any tier) | tiers |\n|---|---|---|---|---|---|\n");
  for (const auto& [variant, outcome] : report.outcomes) {
    std::string tiers;
    for (const auto& [tier, count] : outcome.tiers) tiers += tier + ":" + std::to_string(count) + " ";
    std::printf("| %s | %d | %d | %.1f%% | %d | %s|\n", interdict::mesh::VariantName(variant), outcome.trials,
                outcome.correct, 100.0 * outcome.rate(), outcome.identified, tiers.c_str());
  }
  std::printf("\nfalse-positive rate over (query, template) decisions of negatives + near misses: %ld / %ld = %.3f%%\n",
              report.false_positive_decisions, report.negative_decisions, 100.0 * report.false_positive_rate());
  for (const auto& [variant, outcome] : report.outcomes) {
    if (outcome.decisions == 0) continue;
    std::printf("  %s: %ld / %ld = %.3f%%\n", interdict::mesh::VariantName(variant), outcome.false_positive_decisions,
                outcome.decisions, 100.0 * outcome.false_positive_decisions / outcome.decisions);
  }
  std::printf("achiral templates (mirror indeterminate): %zu:", report.achiral_templates.size());
  for (const std::string& id : report.achiral_templates) std::printf(" %s", id.c_str());
  std::printf("\n");
  auto summary = [](const char* what, std::vector<double> v) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (double x : v) sum += x;
    std::printf("MatchBody %s per body (ms, %zu bodies): mean %.1f, median %.1f, p95 %.1f, max %.1f\n", what, v.size(),
                sum / v.size(), v[v.size() / 2], v[std::min(v.size() - 1, v.size() * 95 / 100)], v.back());
  };
  summary("wall", report.match_wall_ms);
  summary("process CPU", report.match_cpu_ms);
  std::vector<double> verified(report.verified_candidates.begin(), report.verified_candidates.end());
  double verified_sum = 0;
  for (double v : verified) verified_sum += v;
  if (!verified.empty()) std::printf("candidates verified per body: mean %.2f\n", verified_sum / verified.size());
  for (const auto& [variant, outcome] : report.outcomes) {
    for (const std::string& f : outcome.failures) std::printf("  %s: %s\n", interdict::mesh::VariantName(variant), f.c_str());
  }
  if (scores_path != nullptr) {
    FILE* out = std::fopen(scores_path, "w");
    if (out == nullptr) return 3;
    std::fprintf(out, "variant,positive,tier,descriptor_distance,chamfer_share,coverage,precision,p95_share,local_share,noise_share,proportion_change,systematic_share\n");
    for (const auto& sample : report.scores) {
      std::fprintf(out, "%s,%d,%s,%.5f,%.6f,%.4f,%.4f,%.6f,%.6f,%.6f,%.5f,%.6f\n", interdict::mesh::VariantName(sample.variant),
                   sample.positive ? 1 : 0, sample.tier.c_str(), sample.descriptor_distance, sample.chamfer_share,
                   sample.coverage, sample.precision, sample.p95_share, sample.local_share, sample.noise_share, sample.proportion_change,
                   sample.systematic_share);
    }
    std::fclose(out);
  }
  return 0;
}
