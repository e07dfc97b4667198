// Findings per second into a fresh case: AddFinding (one transaction and fsync each) against AddFindings in
// batches (what RecordJobIntoCase does), then how long Verify takes over the resulting audit chain.
// Usage: case_store_rate CASE_DIR [FINDINGS] [BATCH]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "case/case_store.h"

namespace {

constexpr int kDefaultFindings = 2000;
constexpr size_t kDefaultBatch = 256;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

interdict::FindingRecord SyntheticHit(int64_t job_id, int index) {
  interdict::FindingRecord finding;
  finding.job_id = job_id;
  finding.plugin_id = "org.interdict.bench";
  finding.plugin_version = "1.0.0";
  finding.kind = "yara-match";
  finding.severity = "notice";
  finding.location = "bench.img@0x" + std::to_string(index * 4096);
  finding.json = {{"kind", "yara-match"}, {"rule", "synthetic_" + std::to_string(index % 17)}, {"offset", index * 4096}};
  return finding;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace interdict;
  if (argc < 2) {
    std::fprintf(stderr, "usage: case_store_rate CASE_DIR [FINDINGS] [BATCH]\n");
    return 2;
  }
  const int count = argc > 2 ? std::atoi(argv[2]) : kDefaultFindings;
  const size_t batch_size = argc > 3 ? static_cast<size_t>(std::atoi(argv[3])) : kDefaultBatch;
  CaseInfo info;
  info.case_number = "bench";
  info.examiner = "bench";
  auto store = CaseStore::Create(argv[1], info, "bench");
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  JobRecord job;
  job.plugin_id = "org.interdict.bench";
  job.plugin_version = "1.0.0";
  auto job_id = (*store)->BeginJob(job, "bench");
  if (!job_id.ok()) return 1;

  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    if (!(*store)->AddFinding(SyntheticHit(*job_id, i)).ok()) return 1;
  }
  double single = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  std::vector<FindingRecord> batch;
  for (int i = 0; i < count; ++i) {
    batch.push_back(SyntheticHit(*job_id, i));
    if (batch.size() == batch_size || i == count - 1) {
      if (!(*store)->AddFindings(std::move(batch)).ok()) return 1;
      batch.clear();
    }
  }
  double batched = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  auto report = (*store)->Verify();
  double verify = SecondsSince(start);
  if (!report.ok() || !report->ok()) return 1;
  std::printf("findings\t%d\nsingle_s\t%.3f\nsingle_per_s\t%.0f\nbatch\t%zu\nbatched_s\t%.3f\nbatched_per_s\t%.0f\n"
              "audit_records\t%lld\nverify_s\t%.3f\n",
              count, single, count / single, batch_size, batched, count / batched,
              static_cast<long long>(report->audit_records_checked), verify);
  return 0;
}
