// Records real plugin jobs (the example plugin, run in the sandboxed worker) into a case.
#include "case/case_job.h"

#include <gtest/gtest.h>

#include "case_test_support.h"

namespace interdict {
namespace {

using testing::ScratchDir;

constexpr char kActor[] = "tester@lab";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

class CaseJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CaseInfo info;
    info.case_number = "2026-JOB";
    info.examiner = "J. Runner";
    auto created = CaseStore::Create(scratch_.path() / "case", info, kActor);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    store_ = std::move(created).value();
    auto input = store_->StoreArtifactBytes("abc", "application/octet-stream", kActor);
    ASSERT_TRUE(input.ok());
    EvidenceRecord evidence;
    evidence.label = "EX-1";
    evidence.kind = "file";
    evidence.source = "file:/seized/abc.bin";
    evidence.artifact_sha256 = input->sha256;
    auto added = store_->AddEvidence(evidence, kActor);
    ASSERT_TRUE(added.ok());
    evidence_id_ = added->id;
  }

  JobSpec ExampleJob() const {
    JobSpec spec;
    spec.plugin_manifest = std::filesystem::path(INTERDICT_PLUGIN_DIR) / "plugin_example" / "plugin.json";
    spec.input_path = store_->ArtifactPath(kAbcSha256);
    spec.input_sha256 = kAbcSha256;
    spec.input_name = "abc.bin";
    return spec;
  }

  ScratchDir scratch_;
  std::unique_ptr<CaseStore> store_;
  int64_t evidence_id_ = 0;
};

TEST_F(CaseJobTest, CompletedJobLeavesItsFindingArtifactAndOutcomeInTheCase) {
  CaseJobContext context;
  context.evidence_id = evidence_id_;
  context.input_location = "EX-1 > abc.bin";
  auto recorded = RecordJobIntoCase(*store_, ExampleJob(), context);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->outcome, "completed") << recorded->message;
  EXPECT_EQ(recorded->findings, 1);
  ASSERT_EQ(recorded->artifacts.size(), 1u);
  const RecordedArtifact& histogram = recorded->artifacts[0];
  EXPECT_EQ(histogram.name, "byte-histogram.json");
  EXPECT_EQ(histogram.media_type, "application/json");
  EXPECT_EQ(histogram.role, "summary");

  // The histogram counts one each of 'a', 'b', 'c'.
  nlohmann::json counts = nlohmann::json::parse(testing::ReadFile(store_->ArtifactPath(histogram.sha256)));
  ASSERT_EQ(counts.size(), 256u);
  EXPECT_EQ(counts['a'], 1);
  EXPECT_EQ(counts['c'], 1);
  EXPECT_EQ(counts['z'], 0);

  auto findings = store_->ListFindings();
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  const FindingRecord& finding = (*findings)[0];
  EXPECT_EQ(finding.kind, "input-summary");
  EXPECT_EQ(finding.artifact_sha256, kAbcSha256);
  EXPECT_EQ(finding.evidence_id, evidence_id_);
  EXPECT_EQ(finding.job_id, recorded->job_id);
  EXPECT_EQ(finding.plugin_id, "org.interdict.example");
  EXPECT_EQ(finding.json["sha256"], kAbcSha256);

  auto names = store_->ArtifactNames(histogram.sha256);
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ((*names)[0].parent_sha256, kAbcSha256);
  EXPECT_EQ((*names)[0].job_id, recorded->job_id);
  EXPECT_EQ((*names)[0].evidence_id, evidence_id_);

  auto jobs = store_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].outcome, "completed");
  EXPECT_EQ((*jobs)[0].plugin_version, "1.0.0");
  EXPECT_EQ((*jobs)[0].findings_count, 1);
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  // Nothing is left behind in the case's staging folder, where the artifact was streamed.
  EXPECT_TRUE(std::filesystem::is_empty(scratch_.path() / "case" / "staging"));
}

TEST_F(CaseJobTest, JobThatCannotStartIsRecordedAsStartFailedWithAFinding) {
  JobSpec spec = ExampleJob();
  spec.plugin_manifest = scratch_.path() / "no-such-plugin" / "plugin.json";
  CaseJobContext context;
  context.evidence_id = evidence_id_;
  auto recorded = RecordJobIntoCase(*store_, spec, context);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->outcome, "start-failed");
  EXPECT_FALSE(recorded->message.empty());
  auto jobs = store_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].outcome, "start-failed");
  auto findings = store_->ListFindings();
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_EQ((*findings)[0].kind, "scan-error");
  EXPECT_EQ((*findings)[0].json["source"], "host");
}

TEST(CaseOutcome, EveryTerminationHasItsOwnOutcomeString) {
  JobOutcome outcome;
  EXPECT_EQ(CaseOutcomeName(outcome), "completed");
  outcome.plugin_status = 1;  // INTERDICT_CORRUPT_INPUT
  EXPECT_EQ(CaseOutcomeName(outcome), "corrupt-input");
  outcome.plugin_status = 4;  // INTERDICT_INTERNAL
  EXPECT_EQ(CaseOutcomeName(outcome), "plugin-error");
  const std::pair<JobTermination, const char*> expected[] = {{JobTermination::kCrashed, "crashed"},
                                                             {JobTermination::kTimedOut, "timeout"},
                                                             {JobTermination::kMemoryLimit, "memory-limit"},
                                                             {JobTermination::kCpuLimit, "cpu-limit"},
                                                             {JobTermination::kSeccompViolation, "seccomp-violation"},
                                                             {JobTermination::kProtocolError, "protocol-error"},
                                                             {JobTermination::kStartFailed, "start-failed"},
                                                             {JobTermination::kCancelled, "cancelled"}};
  for (const auto& [termination, name] : expected) {
    outcome.termination = termination;
    EXPECT_EQ(CaseOutcomeName(outcome), name);
  }
}

}  // namespace
}  // namespace interdict
