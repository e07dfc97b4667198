#include "report/validation.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "case/case_store.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/signing.h"
#include "report/text_encoding.h"

namespace interdict {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxAnswersFileBytes = 1u << 20;
constexpr char kValidationActor[] = "interdict-validate";

// RFC 8032 section 7.1, TEST 1 (empty message).
constexpr char kRfc8032Test1PublicKey[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr char kRfc8032Test1Signature[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
    "655141438e7a100b";

struct KnownAnswerTest {
  const char* name;
  const char* description;
  const char* default_answer;
  // Computes the observed answer; a non-OK status is recorded as a failure with its message.
  std::function<Result<std::string>(const std::filesystem::path& scratch)> observe;
};

std::string DigestOf(HashAlgorithm algorithm, std::string_view data) {
  MultiHasher hasher({algorithm});
  hasher.Update(data.data(), data.size());
  return hasher.Finish().Get(algorithm);
}

// The millionfold 'a' of FIPS 180-2, fed in 1000-byte pieces to exercise streaming.
std::string MillionASha256() {
  MultiHasher hasher({HashAlgorithm::kSha256});
  const std::string block(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(block.data(), block.size());
  return hasher.Finish().sha256;
}

Result<std::string> SigningRoundTrip() {
  INTERDICT_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate());
  const std::string message = "interdict known-answer test message";
  INTERDICT_ASSIGN_OR_RETURN(std::string signature, key.Sign(message));
  const bool verified = VerifySignature(key.public_key_hex(), message, signature).ok();
  const bool tampered_rejected = !VerifySignature(key.public_key_hex(), message + "!", signature).ok();
  return std::string(verified ? "verified" : "not verified") + "; " +
         (tampered_rejected ? "altered message rejected" : "altered message accepted");
}

// A small case with one artifact: the fixture for the case-store tests.
Result<std::string> MakeCaseWithArtifact(const std::filesystem::path& dir) {
  CaseInfo info;
  info.case_number = "VALIDATE-001";
  info.examiner = kValidationActor;
  info.description = "interdict validate known-answer case";
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<CaseStore> store, CaseStore::Create(dir, info, kValidationActor));
  INTERDICT_ASSIGN_OR_RETURN(ArtifactRecord artifact,
                             store->StoreArtifactBytes("known-answer artifact content\n", "text/plain", kValidationActor));
  INTERDICT_RETURN_IF_ERROR(store->Audit(kValidationActor, "validate.fixture", json{{"artifact", artifact.sha256}}));
  return artifact.sha256;
}

Result<VerificationReport> VerifyCase(const std::filesystem::path& dir) {
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<CaseStore> store, CaseStore::Open(dir));
  return store->Verify();
}

std::string DescribeVerification(const VerificationReport& report) {
  if (report.ok()) return "verified";
  return "detected: " + report.problems.front().where;
}

Result<std::string> CaseVerifyClean(const std::filesystem::path& scratch) {
  const std::filesystem::path dir = scratch / "case-clean";
  INTERDICT_RETURN_IF_ERROR(MakeCaseWithArtifact(dir).status());
  INTERDICT_ASSIGN_OR_RETURN(VerificationReport report, VerifyCase(dir));
  return DescribeVerification(report);
}

Result<std::string> CaseVerifyFlippedArtifactByte(const std::filesystem::path& scratch) {
  const std::filesystem::path dir = scratch / "case-flipped-artifact";
  INTERDICT_ASSIGN_OR_RETURN(std::string sha256, MakeCaseWithArtifact(dir));
  std::filesystem::path path;
  {
    INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<CaseStore> store, CaseStore::Open(dir));
    path = store->ArtifactPath(sha256);
  }
  chmod(path.c_str(), 0600);  // artifacts are stored read-only
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  char byte = 0;
  if (!file.get(byte)) return Status::IoError("cannot read " + path.string());
  file.seekp(0);
  file.put(static_cast<char>(byte ^ 0x01));
  file.close();
  INTERDICT_ASSIGN_OR_RETURN(VerificationReport report, VerifyCase(dir));
  // The artifact is named by its SHA-256; answers must not depend on the random case, so name its role.
  if (!report.ok() && report.problems.front().where.find(sha256.substr(0, 8)) != std::string::npos) {
    return std::string("detected: the flipped artifact");
  }
  return DescribeVerification(report);
}

Result<std::string> CaseVerifyRewrittenAuditRecord(const std::filesystem::path& scratch) {
  const std::filesystem::path dir = scratch / "case-rewritten-audit";
  INTERDICT_RETURN_IF_ERROR(MakeCaseWithArtifact(dir).status());
  // Rewrite history the way an attacker with file access would: drop the append-only trigger, edit row 1.
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((dir / kCaseDbFileName).c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return Status::IoError("cannot open the validation case database");
  }
  char* error = nullptr;
  const int rc = sqlite3_exec(db,
                              "DROP TRIGGER IF EXISTS audit_no_update;"
                              "UPDATE audit SET actor = 'someone-else' WHERE seq = 1;",
                              nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) return Status::IoError("cannot rewrite the audit record: " + message);
  INTERDICT_ASSIGN_OR_RETURN(VerificationReport report, VerifyCase(dir));
  return DescribeVerification(report);
}

const std::vector<KnownAnswerTest>& KnownAnswerTests() {
  static const std::vector<KnownAnswerTest> tests = {
      {"hash.md5.abc", "MD5(\"abc\"), RFC 1321 test suite", "900150983cd24fb0d6963f7d28e17f72",
       [](const std::filesystem::path&) -> Result<std::string> { return DigestOf(HashAlgorithm::kMd5, "abc"); }},
      {"hash.sha1.abc", "SHA-1(\"abc\"), FIPS 180-2 appendix A", "a9993e364706816aba3e25717850c26c9cd0d89d",
       [](const std::filesystem::path&) -> Result<std::string> { return DigestOf(HashAlgorithm::kSha1, "abc"); }},
      {"hash.sha256.abc", "SHA-256(\"abc\"), FIPS 180-2 appendix B",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       [](const std::filesystem::path&) -> Result<std::string> { return DigestOf(HashAlgorithm::kSha256, "abc"); }},
      {"hash.sha256.million-a", "SHA-256 of 1,000,000 'a' streamed in 1000-byte pieces, FIPS 180-2",
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
       [](const std::filesystem::path&) -> Result<std::string> { return MillionASha256(); }},
      {"hash.file.sha256.abc", "SHA-256 of a file holding \"abc\", read through the file hasher",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       [](const std::filesystem::path& scratch) -> Result<std::string> {
         const std::filesystem::path file = scratch / "abc.bin";
         INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(file, "abc"));
         return Sha256File(file);
       }},
      {"signing.ed25519.rfc8032-test1", "Ed25519 verification of RFC 8032 section 7.1 TEST 1", "verified",
       [](const std::filesystem::path&) -> Result<std::string> {
         return std::string(VerifySignature(kRfc8032Test1PublicKey, "", kRfc8032Test1Signature).ok() ? "verified"
                                                                                                      : "rejected");
       }},
      {"signing.ed25519.round-trip", "Ed25519: a new key signs and verifies; an altered message is rejected",
       "verified; altered message rejected",
       [](const std::filesystem::path&) { return SigningRoundTrip(); }},
      {"case.verify.clean", "A fresh case with one artifact verifies (audit chain, seals, artifact hashes)",
       "verified", [](const std::filesystem::path& scratch) { return CaseVerifyClean(scratch); }},
      {"case.verify.flipped-artifact-byte", "One flipped bit in a stored artifact is detected by case verify",
       "detected: the flipped artifact",
       [](const std::filesystem::path& scratch) { return CaseVerifyFlippedArtifactByte(scratch); }},
      {"case.verify.rewritten-audit-record", "A rewritten audit record is detected as the first break in the chain",
       "detected: audit seq 1",
       [](const std::filesystem::path& scratch) { return CaseVerifyRewrittenAuditRecord(scratch); }},
  };
  return tests;
}

class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& requested) {
    if (!requested.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(requested, ec);
      if (!ec) path_ = requested;
      return;
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "interdict-validate-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern, owned_ = true;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (owned_) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool owned_ = false;
};

}  // namespace

std::string_view KnownAnswerVerdictName(KnownAnswerVerdict verdict) {
  switch (verdict) {
    case KnownAnswerVerdict::kPassed: return "pass";
    case KnownAnswerVerdict::kFailed: return "FAIL";
    case KnownAnswerVerdict::kSkipped: return "skipped";
  }
  return "FAIL";
}

bool ValidationRun::passed() const { return failed_names().empty(); }

std::vector<std::string> ValidationRun::failed_names() const {
  std::vector<std::string> names;
  for (const KnownAnswerResult& r : results) {
    if (r.verdict == KnownAnswerVerdict::kFailed) names.push_back(r.name);
  }
  return names;
}

json DefaultKnownAnswers() {
  json answers = json::object();
  for (const KnownAnswerTest& test : KnownAnswerTests()) answers[test.name] = test.default_answer;
  return {{"format", kKnownAnswersFormat}, {"answers", answers}};
}

Result<json> LoadKnownAnswers(const std::filesystem::path& path) {
  INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxAnswersFileBytes));
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return Status::InvalidArgument(path.string() + ": not a JSON object");
  }
  if (document.value("format", "") != kKnownAnswersFormat) {
    return Status::InvalidArgument(path.string() + ": \"format\" must be \"" + kKnownAnswersFormat + "\"");
  }
  auto answers = document.find("answers");
  if (answers == document.end() || !answers->is_object()) {
    return Status::InvalidArgument(path.string() + ": no \"answers\" object");
  }
  return *answers;
}

Result<ValidationRun> RunValidation(const ValidationOptions& options) {
  ValidationRun run;
  run.tool = CurrentToolInfo(options.command_line);
  run.answers_source = options.answers_source;
  run.answers_sha256 = Sha256Hex(options.answers.dump());
  ScratchDir scratch(options.work_dir);
  if (scratch.path().empty()) return Status::IoError("cannot create a scratch folder for validation");
  for (const KnownAnswerTest& test : KnownAnswerTests()) {
    KnownAnswerResult result;
    result.name = test.name;
    result.description = test.description;
    auto expected = options.answers.find(test.name);
    if (expected == options.answers.end() || !expected->is_string()) {
      result.note = "no expected answer for this test in the answers file";
    } else {
      result.expected = expected->get<std::string>();
    }
    const std::filesystem::path dir = scratch.path() / test.name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    Result<std::string> observed = test.observe(dir);
    if (!observed.ok()) {
      result.observed = "error: " + observed.status().ToString();
      result.verdict = KnownAnswerVerdict::kFailed;
    } else {
      result.observed = *observed;
      result.verdict = !result.expected.empty() && result.expected == result.observed ? KnownAnswerVerdict::kPassed
                                                                                      : KnownAnswerVerdict::kFailed;
    }
    run.results.push_back(std::move(result));
  }
  run.finished_utc = UtcNowIso8601();
  return run;
}

json ValidationRunJson(const ValidationRun& run) {
  json libraries = json::object();
  for (const auto& [name, version] : run.tool.libraries) libraries[name] = version;
  json tests = json::array();
  for (const KnownAnswerResult& r : run.results) {
    tests.push_back({{"name", r.name},
                     {"description", r.description},
                     {"expected", r.expected},
                     {"observed", r.observed},
                     {"verdict", KnownAnswerVerdictName(r.verdict)},
                     {"note", r.note}});
  }
  return {{"format", "interdict-validation/1"},
          {"passed", run.passed()},
          {"failed", run.failed_names()},
          {"tool", {{"program", run.tool.program}, {"version", run.tool.version}, {"libraries", libraries}}},
          {"environment",
           {{"host", run.tool.host},
            {"os", run.tool.os_sysname + " " + run.tool.os_release + " " + run.tool.os_version},
            {"arch", run.tool.arch},
            {"command_line", run.tool.command_line}}},
          {"started_utc", run.tool.started_utc},
          {"finished_utc", run.finished_utc},
          {"answers", {{"source", run.answers_source}, {"sha256", run.answers_sha256}}},
          {"tests", tests}};
}

std::string RenderValidationHtml(const ValidationRun& run) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
      "<title>interdict validation report</title><style>"
      "body{font:14px/1.45 sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
      "table{border-collapse:collapse;width:100%}th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;"
      "vertical-align:top}.mono{font-family:monospace;overflow-wrap:anywhere}.FAIL{background:#ffebe9}"
      ".pass{background:#dafbe1}@media print{tr{break-inside:avoid}}</style></head><body>\n";
  html += "<h1>interdict validation report: " + std::string(run.passed() ? "PASSED" : "FAILED") + "</h1>\n";
  html += "<section id=\"environment\"><dl>";
  auto fact = [&html](std::string_view term, std::string_view value) {
    html += "<dt>" + HtmlEscape(term) + "</dt><dd>" + HtmlEscape(value) + "</dd>";
  };
  fact("Program", run.tool.program + " " + run.tool.version);
  for (const auto& [name, version] : run.tool.libraries) fact(name, version);
  fact("Host", run.tool.host);
  fact("Operating system", run.tool.os_sysname + " " + run.tool.os_release + " " + run.tool.arch);
  fact("Started (UTC)", run.tool.started_utc);
  fact("Finished (UTC)", run.finished_utc);
  fact("Expected answers", run.answers_source + " (SHA-256 " + run.answers_sha256 + ")");
  html += "</dl></section>\n<section id=\"tests\" data-count=\"" + std::to_string(run.results.size()) +
          "\"><table><tr><th>Test</th><th>What is checked</th><th>Expected</th><th>Observed</th><th>Verdict</th></tr>\n";
  for (const KnownAnswerResult& r : run.results) {
    const std::string verdict(KnownAnswerVerdictName(r.verdict));
    html += "<tr class=\"test " + verdict + "\"><td class=\"mono\">" + HtmlEscape(r.name) + "</td><td>" +
            HtmlEscape(r.description) + (r.note.empty() ? "" : " (" + HtmlEscape(r.note) + ")") +
            "</td><td class=\"mono\">" + HtmlEscape(r.expected) + "</td><td class=\"mono\">" + HtmlEscape(r.observed) +
            "</td><td>" + verdict + "</td></tr>\n";
  }
  html += "</table></section></body></html>\n";
  return html;
}

}  // namespace interdict
