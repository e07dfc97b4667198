#include "case/case_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "case/audit_chain.h"
#include "case_test_support.h"
#include "core/hash.h"
#include "core/signing.h"

namespace interdict {
namespace {

using testing::FlipByte;
using testing::RawSql;
using testing::ScratchDir;
using testing::WriteFile;

constexpr char kActor[] = "tester@lab";
// Known digests of "abc" (FIPS 180 / RFC 1321 test vectors).
constexpr char kAbcMd5[] = "900150983cd24fb0d6963f7d28e17f72";
constexpr char kAbcSha1[] = "a9993e364706816aba3e25717850c26c9cd0d89d";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

CaseInfo TestInfo() {
  CaseInfo info;
  info.case_number = "2026-0042";
  info.examiner = "A. Examiner";
  info.description = "unit test case";
  return info;
}

JobRecord ScanJob(const std::string& input_sha256, std::optional<int64_t> evidence_id) {
  JobRecord job;
  job.plugin_id = "org.interdict.firmware_scan";
  job.plugin_version = "1.0.0";
  job.input_sha256 = input_sha256;
  job.evidence_id = evidence_id;
  return job;
}

FindingRecord YaraFinding(int64_t job_id, const std::string& rule) {
  FindingRecord finding;
  finding.job_id = job_id;
  finding.plugin_id = "org.interdict.firmware_scan";
  finding.plugin_version = "1.0.0";
  finding.kind = "yara-match";
  finding.severity = "high";
  finding.json = {{"kind", "yara-match"}, {"rule", rule}, {"offset", 4096}};
  return finding;
}

VerifyOptions RequiringKey(const std::string& public_key) {
  VerifyOptions options;
  options.trusted_public_key = public_key;
  return options;
}

class CaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = CaseStore::Create(case_dir(), TestInfo(), kActor);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    store_ = std::move(created).value();
  }
  std::filesystem::path case_dir() const { return scratch_.path() / "case"; }
  int64_t HeadSeq() {
    auto head = store_->AuditHead();
    EXPECT_TRUE(head.ok());
    return head->seq;
  }
  VerificationReport VerifyCase(const VerifyOptions& options = {}) {
    auto report = store_->Verify(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerificationReport{};
  }

  ScratchDir scratch_;
  std::unique_ptr<CaseStore> store_;
};

TEST_F(CaseStoreTest, CreatedCaseReopensWithItsFacts) {
  store_.reset();
  auto opened = CaseStore::Open(case_dir());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto info = (*opened)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->case_number, "2026-0042");
  EXPECT_EQ(info->examiner, "A. Examiner");
  EXPECT_EQ(info->description, "unit test case");
  EXPECT_EQ(info->case_uuid.size(), 36u);
  EXPECT_EQ(info->tool_version, INTERDICT_VERSION);
  auto audit = (*opened)->ListAudit();
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].action, "case.created");
  EXPECT_EQ((*audit)[0].actor, kActor);
  EXPECT_EQ((*audit)[0].prev_hash, kGenesisHash);
  EXPECT_EQ((*audit)[0].details["case_number"], "2026-0042");
}

TEST_F(CaseStoreTest, CreateRefusesADirectoryThatHoldsACaseAndLeavesItAlone) {
  auto again = CaseStore::Create(case_dir(), TestInfo(), "intruder");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(HeadSeq(), 1);
  EXPECT_TRUE(VerifyCase().ok());
}

TEST_F(CaseStoreTest, ReadOnlyOpenVerifiesAndWritesNothing) {
  ASSERT_TRUE(store_->StoreArtifactBytes("abc", "", kActor).ok());
  store_.reset();
  const std::string db_before = testing::ReadFile(case_dir() / "case.db");
  auto reader = CaseStore::OpenReadOnly(case_dir());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto report = (*reader)->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->audit_records_checked, 2);
  EXPECT_EQ((*reader)->Audit(kActor, "note", {}).code(), StatusCode::kPermissionDenied);
  auto stored = (*reader)->StoreArtifactBytes("new bytes", "", kActor);
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(std::filesystem::is_empty(case_dir() / "staging"));
  reader->reset();
  EXPECT_EQ(testing::ReadFile(case_dir() / "case.db"), db_before);
}

TEST(CaseStoreOpen, RefusesAFolderWithoutACase) {
  ScratchDir scratch;
  auto opened = CaseStore::Open(scratch.path());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
}

TEST(CaseStoreOpen, RefusesAFileThatIsNotADatabase) {
  ScratchDir scratch;
  WriteFile(scratch.path() / "case.db", std::string(4096, 'x'));
  auto opened = CaseStore::Open(scratch.path());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorrupt) << opened.status().ToString();
}

TEST(CaseStoreCreate, RequiresCaseNumberAndExaminer) {
  ScratchDir scratch;
  CaseInfo info = TestInfo();
  info.examiner.clear();
  auto created = CaseStore::Create(scratch.path() / "c", info, kActor);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "c" / "case.db"));
}

TEST_F(CaseStoreTest, StoredBytesGetAllThreeDigestsAndAReadOnlyContentAddress) {
  auto stored = store_->StoreArtifactBytes("abc", "text/plain", kActor);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->sha256, kAbcSha256);
  EXPECT_EQ(stored->sha1, kAbcSha1);
  EXPECT_EQ(stored->md5, kAbcMd5);
  EXPECT_EQ(stored->size, 3u);
  EXPECT_EQ(stored->media_type, "text/plain");
  std::filesystem::path path = store_->ArtifactPath(kAbcSha256);
  EXPECT_EQ(path, case_dir() / "artifacts" / "ba" / "78" / kAbcSha256);
  EXPECT_EQ(testing::ReadFile(path), "abc");
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0444u);
  auto fetched = store_->GetArtifact(kAbcSha256);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->md5, kAbcMd5);
}

TEST_F(CaseStoreTest, SameBytesAreStoredOnceWhateverTheRoute) {
  auto first = store_->StoreArtifactBytes("abc", "text/plain", kActor);
  ASSERT_TRUE(first.ok());
  int64_t seq_after_first = HeadSeq();
  std::filesystem::path source = scratch_.path() / "copy-of-abc.txt";
  WriteFile(source, "abc");
  auto second = store_->StoreArtifactFile(source, "application/octet-stream", /*move_file=*/false, kActor);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->sha256, kAbcSha256);
  EXPECT_EQ(second->media_type, "text/plain");  // the first record stands
  EXPECT_EQ(HeadSeq(), seq_after_first);        // nothing changed, nothing audited
  auto all = store_->ListArtifacts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(case_dir() / "staging"));
}

TEST_F(CaseStoreTest, CopyLeavesTheSourceAndMoveTakesIt) {
  std::filesystem::path evidence = scratch_.path() / "evidence.bin";
  WriteFile(evidence, "seized bytes");
  auto copied = store_->StoreArtifactFile(evidence, "", /*move_file=*/false, kActor);
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(testing::ReadFile(evidence), "seized bytes");
  EXPECT_EQ(copied->media_type, "application/octet-stream");

  std::filesystem::path produced = scratch_.path() / "produced.bin";
  WriteFile(produced, "extracted by a plugin");
  auto moved = store_->StoreArtifactFile(produced, "application/zip", /*move_file=*/true, kActor);
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(std::filesystem::exists(produced));
  EXPECT_EQ(testing::ReadFile(store_->ArtifactPath(moved->sha256)), "extracted by a plugin");
  EXPECT_EQ(moved->sha256, Sha256Hex(std::string_view("extracted by a plugin")));
}

TEST_F(CaseStoreTest, StoringAMissingFileFailsWithoutAuditing) {
  auto stored = store_->StoreArtifactFile(scratch_.path() / "nope", "", false, kActor);
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(HeadSeq(), 1);
}

TEST_F(CaseStoreTest, EveryMutationExtendsTheChainByOneLinkedRecord) {
  auto artifact = store_->StoreArtifactBytes("image bytes", "application/octet-stream", kActor);
  ASSERT_TRUE(artifact.ok());
  EvidenceRecord evidence;
  evidence.label = "EX-1";
  evidence.kind = "image-file";
  evidence.source = "file:/seized/handset.img";
  evidence.artifact_sha256 = artifact->sha256;
  auto added = store_->AddEvidence(evidence, kActor);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_TRUE(
      store_->AddArtifactName({artifact->sha256, added->id, "", "handset.img", "handset.img", "image", std::nullopt})
          .ok());
  ASSERT_TRUE(store_->UpdateEvidenceDetails(added->id, {{"verified", true}}, kActor).ok());
  auto job_id = store_->BeginJob(ScanJob(artifact->sha256, added->id), kActor);
  ASSERT_TRUE(job_id.ok());
  FindingRecord finding = YaraFinding(*job_id, "synthetic_test");
  ASSERT_TRUE(store_->AddFinding(finding).ok());
  ASSERT_TRUE(store_->FinishJob(*job_id, "completed", "", 1, kActor).ok());
  ASSERT_TRUE(store_->Audit(kActor, "report.generated", {{"format", "html"}}).ok());

  auto audit = store_->ListAudit();
  ASSERT_TRUE(audit.ok());
  std::vector<std::string> actions;
  for (const auto& record : *audit) actions.push_back(record.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"case.created", "artifact.stored", "evidence.added", "artifact.named",
                                               "evidence.updated", "job.started", "finding.added", "job.finished",
                                               "report.generated"}));
  for (size_t i = 0; i < audit->size(); ++i) {
    EXPECT_EQ((*audit)[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ((*audit)[i].prev_hash, i == 0 ? std::string(kGenesisHash) : (*audit)[i - 1].entry_hash);
  }
  EXPECT_EQ((*audit)[6].details["json_sha256"], Sha256Hex(CanonicalJson(finding.json)));
  auto jobs = store_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].outcome, "completed");
  EXPECT_EQ((*jobs)[0].findings_count, 1);
  EXPECT_FALSE((*jobs)[0].finished_utc.empty());
  auto names = store_->ArtifactNames(artifact->sha256);
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 1u);
  EXPECT_EQ((*names)[0].role, "image");
  EXPECT_EQ((*names)[0].evidence_id, added->id);
  auto evidence_list = store_->ListEvidence();
  ASSERT_TRUE(evidence_list.ok());
  EXPECT_EQ((*evidence_list)[0].details["verified"], true);
  EXPECT_TRUE(VerifyCase().ok());
}

TEST_F(CaseStoreTest, FindingsAddedInABatchAreAllOrNothing) {
  auto job_id = store_->BeginJob(ScanJob("", std::nullopt), kActor);
  ASSERT_TRUE(job_id.ok());
  int64_t seq_before = HeadSeq();
  std::vector<FindingRecord> batch = {YaraFinding(*job_id, "one"), YaraFinding(*job_id + 99, "no such job"),
                                      YaraFinding(*job_id, "three")};
  auto refused = store_->AddFindings(batch);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);  // foreign key
  EXPECT_EQ(HeadSeq(), seq_before);
  auto none = store_->ListFindings();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  batch[1].job_id = *job_id;
  auto ids = store_->AddFindings(batch);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ((*ids)[2], (*ids)[0] + 2);
  EXPECT_EQ(HeadSeq(), seq_before + 3);
  auto all = store_->ListFindings();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].json["rule"], "no such job");
  EXPECT_TRUE(VerifyCase().ok());
}

TEST_F(CaseStoreTest, AFinishedJobCannotBeRewritten) {
  JobRecord job;
  job.plugin_id = "org.interdict.mesh_match";
  job.plugin_version = "1.0.0";
  auto job_id = store_->BeginJob(job, kActor);
  ASSERT_TRUE(job_id.ok());
  ASSERT_TRUE(store_->FinishJob(*job_id, "timeout", "timed out after 600 s", 0, kActor).ok());
  Status again = store_->FinishJob(*job_id, "completed", "", 0, kActor);
  EXPECT_EQ(again.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->FinishJob(*job_id + 100, "completed", "", 0, kActor).code(), StatusCode::kInvalidArgument);
  auto jobs = store_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ((*jobs)[0].outcome, "timeout");
}

TEST_F(CaseStoreTest, ReferencesToUnknownRowsAreRefused) {
  EXPECT_EQ(store_->UpdateEvidenceDetails(77, {{"x", 1}}, kActor).code(), StatusCode::kNotFound);
  Status named =
      store_->AddArtifactName({std::string(64, 'e'), std::nullopt, "", "ghost", "", "extracted", std::nullopt});
  EXPECT_EQ(named.code(), StatusCode::kInvalidArgument);  // foreign key: no such artifact
  EXPECT_EQ(HeadSeq(), 1);
}

TEST_F(CaseStoreTest, FlippedByteInAnArtifactIsNamed) {
  auto kept = store_->StoreArtifactBytes("untouched artifact", "", kActor);
  auto damaged = store_->StoreArtifactBytes("artifact that will be damaged", "", kActor);
  ASSERT_TRUE(kept.ok() && damaged.ok());
  ASSERT_TRUE(VerifyCase().ok());
  FlipByte(store_->ArtifactPath(damaged->sha256), 5);
  VerificationReport report = VerifyCase();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].where, "artifact " + damaged->sha256);
  EXPECT_NE(report.problems[0].what.find("content hash differs"), std::string::npos);
  EXPECT_EQ(report.artifacts_checked, 2);
}

TEST_F(CaseStoreTest, RehashProgressCountsEveryStoredByte) {
  ASSERT_TRUE(store_->StoreArtifactBytes(std::string(3000, 'x'), "", kActor).ok());
  ASSERT_TRUE(store_->StoreArtifactBytes("abc", "", kActor).ok());
  VerifyOptions options;
  uint64_t last_done = 0, last_total = 0;
  options.on_progress = [&](uint64_t done, uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  EXPECT_TRUE(VerifyCase(options).ok());
  EXPECT_EQ(last_total, 3003u);
  EXPECT_EQ(last_done, 3003u);
}

TEST_F(CaseStoreTest, MissingArtifactFileIsNamedAndStoringTheBytesAgainHealsIt) {
  auto stored = store_->StoreArtifactBytes("abc", "", kActor);
  ASSERT_TRUE(stored.ok());
  std::filesystem::remove(store_->ArtifactPath(kAbcSha256));
  VerificationReport report = VerifyCase();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].where, std::string("artifact ") + kAbcSha256);
  EXPECT_EQ(report.problems[0].what, "file is missing from the artifact store");
  ASSERT_TRUE(store_->StoreArtifactBytes("abc", "", kActor).ok());
  EXPECT_TRUE(VerifyCase().ok());
}

TEST_F(CaseStoreTest, TriggersRefuseUpdatesAndDeletesOfTheAudit) {
  EXPECT_NE(RawSql(case_dir(), "UPDATE audit SET actor = 'x' WHERE seq = 1").find("append-only"), std::string::npos);
  EXPECT_NE(RawSql(case_dir(), "DELETE FROM audit").find("append-only"), std::string::npos);
  EXPECT_TRUE(VerifyCase().ok());
}

TEST_F(CaseStoreTest, EditedAuditRecordIsNamedBySeq) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->Audit(kActor, "note", {{"n", i}}).ok());
  // An attacker with the file drops the trigger first.
  ASSERT_EQ(RawSql(case_dir(),
                   "DROP TRIGGER audit_no_update;"
                   "UPDATE audit SET details_json = '{\"n\":42}' WHERE seq = 3"),
            "");
  VerificationReport report = VerifyCase();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.problems[0].where, "audit seq 3");
  EXPECT_NE(report.problems[0].what.find("entry_hash does not match"), std::string::npos);
  EXPECT_EQ(report.audit_records_checked, 5);
}

// Rewrites every record from `from_seq` on with freshly computed hashes: a chain that is consistent in
// itself, which only a seal can expose.
void RewriteChainFrom(const std::filesystem::path& case_dir, CaseStore& store, int64_t from_seq) {
  auto audit = store.ListAudit();
  ASSERT_TRUE(audit.ok());
  std::string prev = (*audit)[static_cast<size_t>(from_seq - 2)].entry_hash;
  std::string sql = "DROP TRIGGER audit_no_update;";
  for (const AuditRecord& record : *audit) {
    if (record.seq < from_seq) continue;
    nlohmann::json details = record.details;
    if (record.seq == from_seq) details["forged"] = true;
    std::string hash =
        AuditEntryHash(prev, CanonicalAuditEntry(record.seq, record.time_utc, record.actor, record.action, details));
    sql += "UPDATE audit SET details_json = '" + CanonicalJson(details) + "', prev_hash = '" + prev +
           "', entry_hash = '" + hash + "' WHERE seq = " + std::to_string(record.seq) + ";";
    prev = hash;
  }
  ASSERT_EQ(RawSql(case_dir, sql), "");
}

TEST_F(CaseStoreTest, RewrittenHistoryIsExposedBySeal) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_->Audit(kActor, "note", {{"n", i}}).ok());
  auto seal = store_->SealAudit(*key, kActor);
  ASSERT_TRUE(seal.ok()) << seal.status().ToString();
  EXPECT_EQ(seal->seq, 4);
  EXPECT_TRUE(VerifyCase(RequiringKey(key->public_key_hex())).ok());

  RewriteChainFrom(case_dir(), *store_, 2);
  VerificationReport report = VerifyCase();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].where, "seal 1 (audit seq 4)");
  EXPECT_NE(report.problems[0].what.find("history rewritten"), std::string::npos);
}

TEST_F(CaseStoreTest, TruncatedLogIsExposedBySeal) {
  auto key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(store_->Audit(kActor, "note", {}).ok());
  ASSERT_TRUE(store_->SealAudit(*key, kActor).ok());
  ASSERT_EQ(RawSql(case_dir(), "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq >= 2"), "");
  VerificationReport report = VerifyCase();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].where, "seal 1 (audit seq 2)");
  EXPECT_NE(report.problems[0].what.find("does not exist"), std::string::npos);
}

TEST_F(CaseStoreTest, ForgedSealIsRefused) {
  auto lab = SigningKey::Generate();
  auto forger = SigningKey::Generate();
  ASSERT_TRUE(lab.ok() && forger.ok());
  ASSERT_TRUE(store_->SealAudit(*lab, kActor).ok());
  auto head = store_->AuditHead();
  ASSERT_TRUE(head.ok());
  // Claims the lab's public key but is signed by the forger.
  auto info = store_->Info();
  ASSERT_TRUE(info.ok());
  const std::string time_utc = "2026-11-29T23:00:00.000Z";
  auto forged_signature = forger->Sign(SealMessage(info->case_uuid, head->seq, head->entry_hash, time_utc));
  ASSERT_TRUE(forged_signature.ok());
  ASSERT_EQ(RawSql(case_dir(), "INSERT INTO audit_seals(seq, head_hash, public_key, signature, time_utc) VALUES (" +
                                   std::to_string(head->seq) + ", '" + head->entry_hash + "', '" +
                                   lab->public_key_hex() + "', '" + *forged_signature + "', '" + time_utc + "')"),
            "");
  VerificationReport report = VerifyCase();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].where, "seal 2 (audit seq 2)");
  EXPECT_NE(report.problems[0].what.find("signature does not verify"), std::string::npos);
  EXPECT_EQ(report.seals_checked, 2);

  // A validly signed seal by a key that is not the lab's is refused once the lab key is required.
  ASSERT_EQ(RawSql(case_dir(), "DELETE FROM audit_seals WHERE id = 2"), "");
  ASSERT_TRUE(store_->SealAudit(*forger, "forger").ok());
  EXPECT_TRUE(VerifyCase().ok());
  VerificationReport strict = VerifyCase(RequiringKey(lab->public_key_hex()));
  ASSERT_EQ(strict.problems.size(), 1u);
  EXPECT_NE(strict.problems[0].what.find("not the trusted lab key"), std::string::npos);
}

// Fills the case with one of each row type, through the store, and returns the finding's id.
int64_t PopulateCase(CaseStore& store) {
  auto artifact = store.StoreArtifactBytes("firmware image", "application/octet-stream", kActor);
  EXPECT_TRUE(artifact.ok());
  EvidenceRecord evidence;
  evidence.label = "EX-7";
  evidence.kind = "image-file";
  evidence.source = "file:/seized/fw.bin";
  evidence.artifact_sha256 = artifact->sha256;
  auto added = store.AddEvidence(evidence, kActor);
  EXPECT_TRUE(added.ok());
  auto job_id = store.BeginJob(ScanJob(artifact->sha256, added->id), kActor);
  EXPECT_TRUE(job_id.ok());
  auto finding_id = store.AddFinding(YaraFinding(*job_id, "synthetic_backdoor_marker"));
  EXPECT_TRUE(finding_id.ok());
  EXPECT_TRUE(store.FinishJob(*job_id, "timeout", "timed out after 600 s", 1, kActor).ok());
  return *finding_id;
}

std::vector<std::string> ProblemsAt(const VerificationReport& report) {
  std::vector<std::string> out;
  for (const auto& problem : report.problems) out.push_back(problem.where + ": " + problem.what);
  return out;
}

TEST_F(CaseStoreTest, TablesEditedBehindTheStoresBackAreCaughtByTheAudit) {
  int64_t finding_id = PopulateCase(*store_);
  ASSERT_TRUE(VerifyCase().ok()) << ProblemsAt(VerifyCase())[0];
  const std::string finding = "finding " + std::to_string(finding_id);

  // Hiding a hit: the finding's JSON is rewritten.
  ASSERT_EQ(RawSql(case_dir(), "UPDATE findings SET json = '{\"kind\":\"yara-match\",\"rule\":\"benign\"}'"), "");
  auto problems = ProblemsAt(VerifyCase());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].rfind(finding + ": JSON differs from what was audited (audit seq ", 0), 0u) << problems[0];

  // Hiding a failure: the timed-out job is made to look completed.
  ASSERT_EQ(RawSql(case_dir(), "UPDATE jobs SET outcome = 'completed', message = ''"), "");
  problems = ProblemsAt(VerifyCase());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[1].rfind("job 1: outcome, message differ from what was audited", 0), 0u) << problems[1];

  // Relabelling evidence, deleting the finding, adding a job nobody ran.
  ASSERT_EQ(RawSql(case_dir(),
                   "UPDATE evidence SET label = 'EX-8';"
                   "DELETE FROM findings;"
                   "INSERT INTO jobs(plugin_id, plugin_version, outcome, started_utc) "
                   "VALUES ('org.interdict.mesh_match', '1.0.0', 'completed', 'then')"),
            "");
  problems = ProblemsAt(VerifyCase());
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].rfind(finding + ": audited (audit seq ", 0), 0u) << problems[0];
  EXPECT_NE(problems[0].find("the row is gone"), std::string::npos);
  EXPECT_EQ(problems[1].rfind("job 1: outcome, message differ", 0), 0u);
  EXPECT_EQ(problems[2], "job 2: has no audit record (inserted out of sight)");
  EXPECT_EQ(problems[3].rfind("evidence 1: label differs from what was audited", 0), 0u) << problems[3];
}

// --- Jobs left 'running' by a process that died ---

JobRecord MeshJob() {
  JobRecord job;
  job.plugin_id = "org.interdict.mesh_match";
  job.plugin_version = "1.0.0";
  return job;
}

JobRecord JobNumbered(CaseStore& store, int64_t id) {
  auto jobs = store.ListJobs();
  EXPECT_TRUE(jobs.ok());
  for (const JobRecord& job : *jobs) {
    if (job.id == id) return job;
  }
  ADD_FAILURE() << "no job " << id;
  return {};
}

TEST_F(CaseStoreTest, AJobWhoseProcessWasKilledIsRecordedAsInterruptedWhenTheCaseIsNextOpened) {
  store_.reset();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    auto store = CaseStore::Open(case_dir());
    if (!store.ok()) _exit(100);
    auto job_id = (*store)->BeginJob(MeshJob(), "worker");
    if (!job_id.ok()) _exit(101);
    const int64_t id = *job_id;
    if (write(pipe_fds[1], &id, sizeof(id)) != sizeof(id)) _exit(102);
    pause();  // killed here, mid-job, as a host crash or `kill -9` would
    _exit(103);
  }
  close(pipe_fds[1]);
  int64_t job_id = 0;
  ASSERT_EQ(read(pipe_fds[0], &job_id, sizeof(job_id)), static_cast<ssize_t>(sizeof(job_id)));
  close(pipe_fds[0]);

  // While the child lives, opening the case leaves its job alone.
  auto while_alive = CaseStore::Open(case_dir());
  ASSERT_TRUE(while_alive.ok()) << while_alive.status().ToString();
  JobRecord running = JobNumbered(**while_alive, job_id);
  EXPECT_EQ(running.outcome, "running");
  EXPECT_EQ(running.runner["pid"], child);
  while_alive->reset();

  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);

  auto after = CaseStore::Open(case_dir());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  store_ = std::move(after).value();
  JobRecord interrupted = JobNumbered(*store_, job_id);
  EXPECT_EQ(interrupted.outcome, kInterruptedJobOutcome);
  EXPECT_NE(interrupted.message.find("pid " + std::to_string(child)), std::string::npos) << interrupted.message;
  EXPECT_FALSE(interrupted.finished_utc.empty());
  auto head = store_->AuditHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->action, "job.finished");
  EXPECT_EQ(head->details["outcome"], kInterruptedJobOutcome);
  VerificationReport report = VerifyCase();
  EXPECT_TRUE(report.ok()) << report.problems[0].where << ": " << report.problems[0].what;
  // A read-only open never writes, and a second writable open has nothing left to recover.
  const int64_t seq = head->seq;
  store_.reset();
  ASSERT_TRUE(CaseStore::Open(case_dir()).ok());
  store_ = std::move(CaseStore::Open(case_dir())).value();
  EXPECT_EQ(HeadSeq(), seq);
}

TEST_F(CaseStoreTest, JobsOfThisLiveProcessAndOfOtherHostsAreLeftRunning) {
  auto mine = store_->BeginJob(MeshJob(), kActor);
  auto elsewhere = store_->BeginJob(MeshJob(), kActor);
  auto old_boot = store_->BeginJob(MeshJob(), kActor);
  ASSERT_TRUE(mine.ok() && elsewhere.ok() && old_boot.ok());
  store_.reset();
  // What another server sharing the case (or this host before a reboot) would have recorded. Edited behind
  // the store's back, so Verify will name the two rows; the point here is what Open does with them.
  ASSERT_EQ(RawSql(case_dir(), "UPDATE jobs SET runner = json_set(runner, '$.host', 'lab-server-7') WHERE id = " +
                                   std::to_string(*elsewhere)),
            "");
  ASSERT_EQ(RawSql(case_dir(), "UPDATE jobs SET runner = json_set(runner, '$.boot_id', 'an-earlier-boot') "
                               "WHERE id = " + std::to_string(*old_boot)),
            "");
  auto reopened = CaseStore::Open(case_dir());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  EXPECT_EQ(JobNumbered(*store_, *mine).outcome, "running");
  EXPECT_EQ(JobNumbered(*store_, *elsewhere).outcome, "running");
  EXPECT_EQ(JobNumbered(*store_, *old_boot).outcome, kInterruptedJobOutcome);
  VerificationReport report = VerifyCase();
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_EQ(report.problems[0].where, "job " + std::to_string(*elsewhere));
  EXPECT_NE(report.problems[0].what.find("runner differs"), std::string::npos);
}

TEST_F(CaseStoreTest, AVersionOneCaseIsReadAsItIsAndMigratedWhenOpenedForWriting) {
  store_.reset();
  // A case made by the first release: no runner column, schema_version 1.
  ASSERT_EQ(RawSql(case_dir(), "ALTER TABLE jobs DROP COLUMN runner; "
                               "UPDATE case_info SET value = '1' WHERE key = 'schema_version'"),
            "");
  auto read_only = CaseStore::OpenReadOnly(case_dir());
  ASSERT_TRUE(read_only.ok()) << read_only.status().ToString();
  auto jobs = (*read_only)->ListJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  EXPECT_TRUE(jobs->empty());
  auto verified = (*read_only)->Verify();
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_TRUE(verified->ok());
  read_only->reset();

  auto writable = CaseStore::Open(case_dir());
  ASSERT_TRUE(writable.ok()) << writable.status().ToString();
  store_ = std::move(writable).value();
  auto head = store_->AuditHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->action, "case.migrated");
  EXPECT_EQ(head->details["from_schema_version"], 1);
  EXPECT_EQ(head->details["to_schema_version"], kCaseSchemaVersion);
  auto next = store_->BeginJob(MeshJob(), kActor);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(JobNumbered(*store_, *next).runner["pid"], getpid());
  VerificationReport report = VerifyCase();
  EXPECT_TRUE(report.ok()) << report.problems[0].where << ": " << report.problems[0].what;
}

TEST_F(CaseStoreTest, TwoProcessesWritingAtOnceKeepTheChainIntact) {
  constexpr int kWritesPerProcess = 40;
  store_.reset();
  std::vector<pid_t> children;
  for (int worker = 0; worker < 2; ++worker) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failures = 0;
      auto store = CaseStore::Open(case_dir());
      if (!store.ok()) _exit(100);
      for (int i = 0; i < kWritesPerProcess; ++i) {
        if (!(*store)->Audit("worker" + std::to_string(worker), "note", {{"i", i}}).ok()) ++failures;
        std::string bytes = "worker " + std::to_string(worker) + " artifact " + std::to_string(i % 5);
        if (!(*store)->StoreArtifactBytes(bytes, "", "worker").ok()) ++failures;
      }
      _exit(failures == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto reopened = CaseStore::Open(case_dir());
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(reopened).value();
  VerificationReport report = VerifyCase();
  EXPECT_TRUE(report.ok()) << report.problems[0].where << ": " << report.problems[0].what;
  // 1 creation + 2 x 40 notes + 2 x 5 distinct artifacts.
  EXPECT_EQ(report.audit_records_checked, 1 + 2 * kWritesPerProcess + 2 * 5);
  EXPECT_EQ(report.artifacts_checked, 10);
}

}  // namespace
}  // namespace interdict
