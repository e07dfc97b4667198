// `interdict report` and `interdict validate` as installed binaries, on a real case made with CaseStore.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "case/case_store.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/signing.h"
#include "report_fixture.h"

namespace interdict {
namespace {

using testing::CountOf;
using testing::FreshDir;
using testing::RunCommand;

const std::string kInterdict = std::string(INTERDICT_BINARY_DIR) + "/bin/interdict";
constexpr char kActor[] = "report-test";

struct SampleCase {
  std::filesystem::path dir;
  std::string overlay_sha256;
  std::string audit_head;
};

// A case with one acquisition, a completed scan with a YARA hit, a completed mesh match with an overlay
// picture, a timed-out job and a quarantined job, sealed with a fresh key.
SampleCase MakeSampleCase(const std::string& name) {
  SampleCase sample;
  sample.dir = FreshDir(name) / "case";
  CaseInfo info;
  info.case_number = "RPT-<b>7</b>";
  info.examiner = "Examiner <i>E</i>";
  info.description = "report integration test";
  auto store = CaseStore::Create(sample.dir, info, kActor);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  CaseStore& cs = **store;
  auto image = cs.StoreArtifactBytes(std::string(8192, '\x5a'), "application/octet-stream", kActor);
  EXPECT_TRUE(image.ok());
  EvidenceRecord evidence;
  evidence.label = "EXH-<script>1</script>";
  evidence.kind = "usb-acquisition";
  evidence.source = "usb:05c6:9008:SIM1";
  evidence.artifact_sha256 = image->sha256;
  evidence.details = {{"device", {{"vendor", "SimVendor"}, {"serial", "SIM1"}}},
                      {"hashes", {{"sha256", image->sha256}}},
                      {"verification", {{"verified", true}}},
                      {"size_bytes", 8192},
                      {"bad_ranges", {{{"offset", 4096}, {"length", 512}}}}};
  auto added = cs.AddEvidence(evidence, kActor);
  EXPECT_TRUE(added.ok()) << added.status().ToString();
  const int64_t evidence_id = added->id;

  auto begin = [&](const char* plugin) {
    JobRecord job;
    job.plugin_id = plugin;
    job.plugin_version = "1.2.0";
    job.input_sha256 = image->sha256;
    job.evidence_id = evidence_id;
    job.pack_digests = {{"pack", std::string(64, 'c')}};
    auto id = cs.BeginJob(job, kActor);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  };
  const int64_t scan = begin("org.interdict.firmware_scan");
  FindingRecord hit;
  hit.job_id = scan;
  hit.evidence_id = evidence_id;
  hit.artifact_sha256 = image->sha256;
  hit.plugin_id = "org.interdict.firmware_scan";
  hit.plugin_version = "1.2.0";
  hit.kind = "yara-match";
  hit.severity = "high";
  hit.location = "handset.img@0x1000";
  hit.summary = "rule Test matched";
  hit.json = {{"rule", "Test"}, {"strings", {{{"identifier", "$z"}, {"offset", 4096}, {"data_hex", "5a5a5a5a"}}}}};
  EXPECT_TRUE(cs.AddFinding(hit).ok());
  EXPECT_TRUE(cs.FinishJob(scan, "completed", "", 1, kActor).ok());

  const int64_t mesh = begin("org.interdict.mesh_match");
  auto overlay = cs.StoreArtifactBytes(testing::TinyPng(), "image/png", kActor);
  EXPECT_TRUE(overlay.ok());
  sample.overlay_sha256 = overlay->sha256;
  ArtifactName overlay_name;
  overlay_name.artifact_sha256 = overlay->sha256;
  overlay_name.evidence_id = evidence_id;
  overlay_name.parent_sha256 = image->sha256;
  overlay_name.name = "overlay.png";
  overlay_name.role = "overlay";
  overlay_name.job_id = mesh;
  EXPECT_TRUE(cs.AddArtifactName(overlay_name).ok());
  FindingRecord match = hit;
  match.job_id = mesh;
  match.plugin_id = "org.interdict.mesh_match";
  match.kind = "mesh-match";
  match.severity = "warning";
  match.summary = "matches template T";
  match.json = {{"template", "T"}, {"rms_mm", 0.125}};
  EXPECT_TRUE(cs.AddFinding(match).ok());
  EXPECT_TRUE(cs.FinishJob(mesh, "completed", "", 1, kActor).ok());

  EXPECT_TRUE(cs.FinishJob(begin("org.interdict.firmware_scan"), "timeout", "wall-clock limit 600 s", 0, kActor).ok());
  EXPECT_TRUE(cs.FinishJob(begin("org.interdict.mesh_match"), "quarantined", "crashed twice", 0, kActor).ok());

  auto key = SigningKey::Generate();
  EXPECT_TRUE(key.ok());
  EXPECT_TRUE(cs.SealAudit(*key, kActor).ok());
  auto head = cs.AuditHead();
  EXPECT_TRUE(head.ok());
  sample.audit_head = head->entry_hash;
  return sample;
}

std::string ReadText(const std::filesystem::path& path) {
  Result<std::string> text = ReadFileToString(path, 256u << 20);
  EXPECT_TRUE(text.ok()) << path;
  return text.ok() ? *text : "";
}

TEST(ReportCli, HtmlReportOfACaseShowsTimedOutAndQuarantinedJobsOverlayAndAuditHead) {
  const SampleCase sample = MakeSampleCase("cli-html");
  const std::filesystem::path out = sample.dir.parent_path() / "report.html";
  std::string output;
  ASSERT_EQ(RunCommand(kInterdict + " report '" + sample.dir.string() + "' --format html --out '" + out.string() + "'",
                       &output),
            0)
      << output;
  const std::string html = ReadText(out);
  EXPECT_EQ(CountOf(html, "<tr class=\"problem-job\""), 2u);
  EXPECT_EQ(CountOf(html, "data-outcome=\"timeout\""), 1u);
  EXPECT_EQ(CountOf(html, "data-outcome=\"quarantined\""), 1u);
  EXPECT_NE(html.find("<section id=\"findings\" data-count=\"2\">"), std::string::npos);
  EXPECT_NE(html.find("img src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  EXPECT_NE(html.find("sha256 " + sample.overlay_sha256), std::string::npos);
  EXPECT_NE(html.find("<dt>rms_mm</dt><dd>0.125 mm</dd>"), std::string::npos);
  EXPECT_NE(html.find("id=\"audit-head\">" + sample.audit_head + "<"), std::string::npos);
  EXPECT_NE(html.find("<dt>Audit chain</dt><dd>verified</dd>"), std::string::npos);
  EXPECT_EQ(CountOf(html, "<script"), 0u);
  EXPECT_EQ(CountOf(html, "<b>"), 0u);
}

TEST(ReportCli, EveryFormatIsWrittenAndRecordedInTheAuditLog) {
  const SampleCase sample = MakeSampleCase("cli-formats");
  for (const char* format : {"json", "dfxml", "case"}) {
    const std::filesystem::path out = sample.dir.parent_path() / (std::string("report.") + format);
    std::string output;
    ASSERT_EQ(RunCommand(kInterdict + " report '" + sample.dir.string() + "' --format " + format + " --out '" +
                             out.string() + "'",
                         &output),
              0)
        << format << ": " << output;
    const std::string text = ReadText(out);
    if (std::string(format) == "json") {
      EXPECT_EQ(CountOf(text, "\n"), 1 + 1 + 1 + 4 + 2 + 1u);  // case, tool, evidence, 4 jobs, 2 findings, audit
    } else if (std::string(format) == "dfxml") {
      std::string lint;
      EXPECT_EQ(RunCommand("xmllint --noout --schema '" INTERDICT_SHARED_DIR "/data/dfxml-schema/dfxml.xsd' '" +
                               out.string() + "'",
                           &lint),
                0)
          << lint;
    } else {
      const nlohmann::json doc = nlohmann::json::parse(text);
      EXPECT_GT(doc.at("@graph").size(), 10u);
    }
  }
  auto store = CaseStore::Open(sample.dir);
  ASSERT_TRUE(store.ok());
  auto audit = (*store)->ListAudit();
  ASSERT_TRUE(audit.ok());
  int reports = 0;
  for (const AuditRecord& record : *audit) reports += record.action == "report.generated";
  EXPECT_EQ(reports, 3);
  auto verified = (*store)->Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok());
}

TEST(ReportCli, RewrittenAuditHistoryIsFlaggedAndExitsWithVerificationFailure) {
  const SampleCase sample = MakeSampleCase("cli-tampered");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((sample.dir / kCaseDbFileName).c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER audit_no_update; UPDATE audit SET actor='mallory' WHERE seq=2;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::filesystem::path out = sample.dir.parent_path() / "report.html";
  std::string output;
  EXPECT_EQ(RunCommand(kInterdict + " report '" + sample.dir.string() + "' --out '" + out.string() + "'", &output), 4)
      << output;
  const std::string html = ReadText(out);
  EXPECT_NE(html.find("VERIFICATION FAILED"), std::string::npos);
  EXPECT_NE(html.find("audit seq 2"), std::string::npos);
}

TEST(ReportCli, UnknownFormatAndMissingCaseAreRefused) {
  std::string output;
  EXPECT_EQ(RunCommand(kInterdict + " report /nonexistent/case --format html", &output), 3) << output;
  const SampleCase sample = MakeSampleCase("cli-bad-format");
  output.clear();
  EXPECT_EQ(RunCommand(kInterdict + " report '" + sample.dir.string() + "' --format pdf", &output), 2) << output;
  EXPECT_NE(output.find("unknown report format 'pdf'"), std::string::npos) << output;
}

TEST(ValidateCli, PassesOnThisInstallationAndWritesTheValidationReport) {
  const std::filesystem::path out = FreshDir("validate-pass");
  std::string output;
  ASSERT_EQ(RunCommand(kInterdict + " validate --out '" + out.string() + "'", &output), 0) << output;
  const nlohmann::json report = nlohmann::json::parse(ReadText(out / "validation.json"));
  EXPECT_TRUE(report.at("passed").get<bool>());
  ASSERT_EQ(report.at("tests").size(), 14u);
  size_t passed = 0;
  for (const auto& test : report.at("tests")) {
    const std::string name = test.at("name");
    if (test.at("verdict") == "skipped") {
      // Only tests of components this build left out may be skipped, and they say which one.
      EXPECT_TRUE(name.rfind("usb.", 0) == 0 || name.rfind("firmware.", 0) == 0 || name.rfind("mesh.", 0) == 0)
          << test.dump();
      EXPECT_EQ(test.at("note").get<std::string>().rfind("not installed: ", 0), 0u) << test.dump();
      continue;
    }
    ++passed;
    EXPECT_EQ(test.at("verdict"), "pass") << test.dump();
    EXPECT_EQ(test.at("expected"), test.at("observed")) << test.dump();
  }
  EXPECT_GE(passed, 10u);
  EXPECT_FALSE(report.at("tool").at("libraries").at("OpenSSL").get<std::string>().empty());
  const std::string html = ReadText(out / "validation.html");
  EXPECT_EQ(CountOf(html, "<tr class=\"test pass\">"), passed);
}

TEST(ValidateCli, FailsNamingTheTestWhoseAnswerWasTamperedWith) {
  const std::filesystem::path dir = FreshDir("validate-tampered");
  std::string answers_text;
  ASSERT_EQ(RunCommand(kInterdict + " validate --print-answers 2>/dev/null", &answers_text), 0);
  nlohmann::json answers = nlohmann::json::parse(answers_text);
  answers["answers"]["hash.sha256.abc"] = std::string(64, '0');
  ASSERT_TRUE(WriteFileAtomic(dir / "answers.json", answers.dump()).ok());

  std::string output;
  EXPECT_EQ(RunCommand(kInterdict + " validate --out '" + dir.string() + "' --answers '" +
                           (dir / "answers.json").string() + "'",
                       &output),
            4)
      << output;
  EXPECT_NE(output.find("known-answer test failed: hash.sha256.abc"), std::string::npos) << output;
  EXPECT_EQ(CountOf(output, "known-answer test failed"), 1u) << output;
  const nlohmann::json report = nlohmann::json::parse(ReadText(dir / "validation.json"));
  EXPECT_FALSE(report.at("passed").get<bool>());
  EXPECT_EQ(report.at("failed"), nlohmann::json::array({"hash.sha256.abc"}));

  // The same through the environment, as a lab's filed answers would be configured.
  output.clear();
  EXPECT_EQ(RunCommand("INTERDICT_VALIDATE_ANSWERS='" + (dir / "answers.json").string() + "' " + kInterdict +
                           " validate",
                       &output),
            4)
      << output;
  EXPECT_NE(output.find("known-answer test failed: hash.sha256.abc"), std::string::npos) << output;
}

TEST(ValidateCli, AMissingExpectedAnswerFailsThatTest) {
  const std::filesystem::path dir = FreshDir("validate-missing");
  nlohmann::json answers = {{"format", "interdict-known-answers/1"}, {"answers", {{"hash.md5.abc", "900150983cd24fb0d6963f7d28e17f72"}}}};
  ASSERT_TRUE(WriteFileAtomic(dir / "answers.json", answers.dump()).ok());
  std::string output;
  EXPECT_EQ(RunCommand(kInterdict + " validate --answers '" + (dir / "answers.json").string() + "'", &output), 4);
  EXPECT_EQ(output.find("known-answer test failed: hash.md5.abc"), std::string::npos) << output;
  EXPECT_NE(output.find("known-answer test failed: hash.sha1.abc"), std::string::npos) << output;
  EXPECT_NE(output.find("no expected answer"), std::string::npos) << output;
  ASSERT_TRUE(WriteFileAtomic(dir / "bad.json", "{\"answers\": 5}").ok());
  output.clear();
  EXPECT_EQ(RunCommand(kInterdict + " validate --answers '" + (dir / "bad.json").string() + "'", &output), 2) << output;
}

}  // namespace
}  // namespace interdict
