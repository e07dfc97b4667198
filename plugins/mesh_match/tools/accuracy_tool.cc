// Runs the accuracy benchmark and prints top-1 per variant, the false-positive rate and the score
// distributions used to calibrate the matcher's thresholds. bench/mesh_match/run.sh drives it.
//   interdict-mesh-accuracy [--templates N] [--queries N] [--seed S] [--scores FILE]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "accuracy_benchmark.h"

int main(int argc, char** argv) {
  interdict::mesh::AccuracyConfig config;
  const char* scores_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--templates") == 0) config.templates = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--queries") == 0) config.queries_per_variant = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--seed") == 0) config.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--scores") == 0) scores_path = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--templates N] [--queries N] [--seed S] [--scores FILE]\n", argv[0]);
      return 2;
    }
  }
  const interdict::mesh::AccuracyReport report = interdict::mesh::RunAccuracyBenchmark(config);
  std::printf("| variant | trials | top-1 correct | rate | tiers |\n|---|---|---|---|---|\n");
  for (const auto& [variant, outcome] : report.outcomes) {
    std::string tiers;
    for (const auto& [tier, count] : outcome.tiers) tiers += tier + ":" + std::to_string(count) + " ";
    std::printf("| %s | %d | %d | %.1f%% | %s|\n", interdict::mesh::VariantName(variant), outcome.trials,
                outcome.correct, 100.0 * outcome.rate(), tiers.c_str());
  }
  std::printf("\nfalse-positive rate (negatives + near misses): %.3f%%\n", 100.0 * report.false_positive_rate());
  for (const auto& [variant, outcome] : report.outcomes) {
    for (const std::string& f : outcome.failures) std::printf("  %s: %s\n", interdict::mesh::VariantName(variant), f.c_str());
  }
  if (scores_path != nullptr) {
    FILE* out = std::fopen(scores_path, "w");
    if (out == nullptr) return 3;
    std::fprintf(out, "variant,positive,chamfer_share,coverage,p95_share,local_share\n");
    for (const auto& sample : report.scores) {
      std::fprintf(out, "%s,%d,%.6f,%.4f,%.6f,%.6f\n", interdict::mesh::VariantName(sample.variant), sample.positive ? 1 : 0,
                   sample.chamfer_share, sample.coverage, sample.p95_share, sample.local_share);
    }
    std::fclose(out);
  }
  return 0;
}
