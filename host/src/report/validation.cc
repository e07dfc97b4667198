#include "report/validation.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>

#include "case/case_store.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/signing.h"
#include "report/process_runner.h"
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
  std::function<Result<std::string>(const ValidationOptions& options, const std::filesystem::path& scratch)>
      observe;
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


// --- Known answers from the installed commands (skipped when a command is not installed) ---

constexpr std::chrono::seconds kCommandTimeout{300};
// The simulated handset: 4 MiB from xorshift64* seeded with "INTERDIC", little-endian words.
constexpr uint64_t kSimulatedHandsetBytes = 4u << 20;
constexpr uint64_t kSimulatedHandsetSeed = 0x494e544552444943ull;
constexpr uint32_t kSectorBytes = 512;
constexpr char kSimulatedUsbSource[] = "usb:3412:cdab";  // interdict-sim's mass-storage identity
constexpr char kNotInstalledPrefix[] = "not installed: ";

Status NotInstalled(const std::string& what) { return Status::Unsupported(kNotInstalledPrefix + what); }
bool IsNotInstalled(const Status& status) {
  return status.code() == StatusCode::kUnsupported && status.message().rfind(kNotInstalledPrefix, 0) == 0;
}

// Whether `interdict --help` lists the subcommand (`interdict X --help` falls back to the main help when X
// was not built, so it cannot tell).
bool HasSubcommand(const std::filesystem::path& interdict, const std::string& name) {
  Result<ProcessResult> help = RunProcess({interdict.string(), "--help"}, ProcessOptions{});
  return help.ok() && help->exit_code == 0 && help->output.find("\n  " + name + " ") != std::string::npos;
}

std::string SimulatedHandsetImage() {
  std::string image(kSimulatedHandsetBytes, '\0');
  uint64_t x = kSimulatedHandsetSeed;
  for (size_t i = 0; i + 8 <= image.size(); i += 8) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    const uint64_t word = x * 0x2545F4914F6CDD1Dull;
    for (int b = 0; b < 8; ++b) image[i + b] = static_cast<char>((word >> (8 * b)) & 0xFF);
  }
  return image;
}

// Acquires the simulated handset (with the given unreadable sectors) through interdict-sim and
// `interdict acquire`; the answer names the exit code, the image's SHA-256 and the bad ranges logged.
Result<std::string> AcquireSimulatedHandset(const ValidationOptions& options, const std::filesystem::path& scratch,
                                            const std::vector<uint64_t>& bad_sectors) {
  const std::filesystem::path sim = options.tools_dir / "interdict-sim";
  const std::filesystem::path interdict = options.tools_dir / "interdict";
  if (access(sim.c_str(), X_OK) != 0) return NotInstalled(sim.string());
  if (!HasSubcommand(interdict, "acquire")) return NotInstalled("interdict acquire");
  const std::filesystem::path backing = scratch / "handset.img";
  const std::filesystem::path out = scratch / "acquired";
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(backing, SimulatedHandsetImage(), 0444));
  std::vector<std::string> argv = {sim.string(), "--mass-storage", backing.string()};
  for (uint64_t lba : bad_sectors) argv.insert(argv.end(), {"--bad-lba", std::to_string(lba)});
  argv.insert(argv.end(), {"--", interdict.string(), "--quiet", "acquire", "--source", kSimulatedUsbSource, "--out",
                           out.string(), "--format", "raw", "--hash", "sha256"});
  ProcessOptions run_options;
  run_options.timeout = kCommandTimeout;
  run_options.merge_stderr = true;
  INTERDICT_ASSIGN_OR_RETURN(ProcessResult run, RunProcess(argv, run_options));
  std::string answer = "exit " + std::to_string(run.exit_code);
  Result<std::string> image_sha256 = Sha256File(out / "image.raw");
  answer += "; image sha256 " + (image_sha256.ok() ? *image_sha256 : std::string("missing"));
  Result<std::string> log_text = ReadFileToString(out / "image.log.json", kMaxAnswersFileBytes);
  const json log = log_text.ok() ? json::parse(*log_text, nullptr, false) : json();
  if (!log.is_object()) return answer + "; no acquisition log";
  const std::string logged = log.contains("digests") ? log["digests"].value("sha256", "") : "";
  if (!image_sha256.ok() || logged != *image_sha256) answer += "; log says sha256 " + logged;
  if (!bad_sectors.empty()) {
    answer += "; bad ranges";
    for (const json& range : log.value("bad_ranges", json::array())) {
      if (!range.is_object()) continue;
      answer += " " + std::to_string(range.value("first_sector", -1)) + "+" +
                std::to_string(range.value("sector_count", -1));
    }
  }
  return answer;
}

// Scans each fixture of the crypto-constants pack with `interdict scan` (sandboxed worker) and lists the
// rules that hit, per fixture, sorted: "aes_tables.bin: Crypto_AES_InverseSBox Crypto_AES_SBox; ...".
// Calls `visit` for every JSON object of the given "kind" in a command's JSON Lines output.
void ForEachRecordOfKind(const std::string& output, const std::string& kind,
                         const std::function<void(const json&)>& visit) {
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const json record = json::parse(output.substr(start, end - start), nullptr, false);
    if (record.is_object() && record.value("kind", "") == kind) visit(record);
    start = end + 1;
  }
}

Result<std::string> ScanCryptoConstantsFixtures(const ValidationOptions& options) {
  const std::filesystem::path pack = options.signatures_dir / "yara/crypto-constants";
  const std::filesystem::path keys = options.signatures_dir / "yara/trusted-keys";
  const std::filesystem::path interdict = options.tools_dir / "interdict";
  if (!std::filesystem::is_directory(pack / "fixtures")) return NotInstalled(pack.string());
  if (!HasSubcommand(interdict, "scan")) return NotInstalled("interdict scan");
  std::vector<std::filesystem::path> fixtures;
  for (const char* kind : {"positive", "negative"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(pack / "fixtures" / kind, ec)) {
      if (entry.is_regular_file()) fixtures.push_back(entry.path());
    }
  }
  std::sort(fixtures.begin(), fixtures.end(),
            [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
  std::string answer;
  for (const std::filesystem::path& fixture : fixtures) {
    ProcessOptions run_options;
    run_options.timeout = kCommandTimeout;
    INTERDICT_ASSIGN_OR_RETURN(
        ProcessResult run,
        RunProcess({interdict.string(), "--json", "--quiet", "--plugin-dir", options.plugin_dir.string(), "scan",
                    fixture.string(), "--rules", pack.string(), "--trusted-keys", keys.string(), "--no-cache"},
                   run_options));
    std::set<std::string> rules;
    ForEachRecordOfKind(run.output, "yara-match", [&](const json& record) { rules.insert(record.value("rule", "?")); });
    if (!answer.empty()) answer += "; ";
    answer += fixture.filename().string() + ":";
    if (rules.empty()) answer += " none";
    for (const std::string& rule : rules) answer += " " + rule;
    if (run.exit_code != 0 && run.exit_code != 1) answer += " (exit " + std::to_string(run.exit_code) + ")";
  }
  return answer;
}

// The mesh pack's fixture models matched through `interdict mesh match` (sandboxed plugin, signed pack):
// "<body location>: <tier> <template>[ <unit>]" per match, "<file>: none" for a file without one.
Result<std::string> MatchMeshFixtures(const ValidationOptions& options) {
  const std::filesystem::path pack = options.signatures_dir / "meshes/standin-parts";
  const std::filesystem::path keys = options.signatures_dir / "meshes/trusted-keys";
  const std::filesystem::path interdict = options.tools_dir / "interdict";
  if (!std::filesystem::is_directory(pack / "fixtures")) return NotInstalled(pack.string());
  if (!HasSubcommand(interdict, "mesh")) return NotInstalled("interdict mesh");
  std::vector<std::filesystem::path> models;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(pack / "fixtures", ec)) {
    if (entry.is_regular_file() && entry.path().extension() != ".json") models.push_back(entry.path());
  }
  std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.filename() < b.filename(); });
  std::string answer;
  for (const std::filesystem::path& model : models) {
    ProcessOptions run_options;
    run_options.timeout = kCommandTimeout;
    INTERDICT_ASSIGN_OR_RETURN(
        ProcessResult run,
        RunProcess({interdict.string(), "--json", "--quiet", "--plugin-dir", options.plugin_dir.string(), "mesh",
                    "match", model.string(), "--templates", pack.string(), "--trusted-keys", keys.string()},
                   run_options));
    std::vector<std::string> matches;
    ForEachRecordOfKind(run.output, "mesh-match", [&](const json& record) {
      std::string line = record.value("location", "?") + ": " + record.value("tier", "?") + " " +
                         record.value("template", "?");
      if (record.contains("unit") && record["unit"].is_string()) line += " " + record["unit"].get<std::string>();
      matches.push_back(std::move(line));
    });
    std::sort(matches.begin(), matches.end());
    if (matches.empty()) matches.push_back(model.filename().string() + ": none");
    for (const std::string& m : matches) answer += (answer.empty() ? "" : "; ") + m;
    if (run.exit_code != 0 && run.exit_code != 1) answer += " (exit " + std::to_string(run.exit_code) + ")";
  }
  return answer;
}

const std::vector<KnownAnswerTest>& KnownAnswerTests() {
  static const std::vector<KnownAnswerTest> tests = {
      {"hash.md5.abc", "MD5(\"abc\"), RFC 1321 test suite", "900150983cd24fb0d6963f7d28e17f72",
       [](const ValidationOptions&, const std::filesystem::path&) -> Result<std::string> { return DigestOf(HashAlgorithm::kMd5, "abc"); }},
      {"hash.sha1.abc", "SHA-1(\"abc\"), FIPS 180-2 appendix A", "a9993e364706816aba3e25717850c26c9cd0d89d",
       [](const ValidationOptions&, const std::filesystem::path&) -> Result<std::string> { return DigestOf(HashAlgorithm::kSha1, "abc"); }},
      {"hash.sha256.abc", "SHA-256(\"abc\"), FIPS 180-2 appendix B",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       [](const ValidationOptions&, const std::filesystem::path&) -> Result<std::string> { return DigestOf(HashAlgorithm::kSha256, "abc"); }},
      {"hash.sha256.million-a", "SHA-256 of 1,000,000 'a' streamed in 1000-byte pieces, FIPS 180-2",
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
       [](const ValidationOptions&, const std::filesystem::path&) -> Result<std::string> { return MillionASha256(); }},
      {"hash.file.sha256.abc", "SHA-256 of a file holding \"abc\", read through the file hasher",
       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
       [](const ValidationOptions&, const std::filesystem::path& scratch) -> Result<std::string> {
         const std::filesystem::path file = scratch / "abc.bin";
         INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(file, "abc"));
         return Sha256File(file);
       }},
      {"signing.ed25519.rfc8032-test1", "Ed25519 verification of RFC 8032 section 7.1 TEST 1", "verified",
       [](const ValidationOptions&, const std::filesystem::path&) -> Result<std::string> {
         return std::string(VerifySignature(kRfc8032Test1PublicKey, "", kRfc8032Test1Signature).ok() ? "verified"
                                                                                                      : "rejected");
       }},
      {"signing.ed25519.round-trip", "Ed25519: a new key signs and verifies; an altered message is rejected",
       "verified; altered message rejected",
       [](const ValidationOptions&, const std::filesystem::path&) { return SigningRoundTrip(); }},
      {"case.verify.clean", "A fresh case with one artifact verifies (audit chain, seals, artifact hashes)",
       "verified", [](const ValidationOptions&, const std::filesystem::path& scratch) { return CaseVerifyClean(scratch); }},
      {"case.verify.flipped-artifact-byte", "One flipped bit in a stored artifact is detected by case verify",
       "detected: the flipped artifact",
       [](const ValidationOptions&, const std::filesystem::path& scratch) { return CaseVerifyFlippedArtifactByte(scratch); }},
      {"case.verify.rewritten-audit-record", "A rewritten audit record is detected as the first break in the chain",
       "detected: audit seq 1",
       [](const ValidationOptions&, const std::filesystem::path& scratch) { return CaseVerifyRewrittenAuditRecord(scratch); }},
      {"usb.acquire.simulated-handset",
       "interdict acquire of a simulated 4 MiB handset (interdict-sim, real libusb): exit code and image SHA-256",
       "exit 0; image sha256 ab25cca0ce4efdf7f59f7b01153bc5d2e099b87a969abe6269625c14b95bc398",
       [](const ValidationOptions& options, const std::filesystem::path& scratch) {
         return AcquireSimulatedHandset(options, scratch, {});
       }},
      {"usb.acquire.bad-sectors",
       "Fault-injected acquisition (sectors 5-7 and 1000 unreadable): incomplete exit, zero-filled image, ranges logged",
       "exit 5; image sha256 a3d5510ed9195c2acc59074e22847c9715c742adb2cab6220246e50bb42bdbb6; bad ranges 5+3 1000+1",
       [](const ValidationOptions& options, const std::filesystem::path& scratch) {
         return AcquireSimulatedHandset(options, scratch, {5, 6, 7, 1000});
       }},
      {"firmware.scan.crypto-constants-fixtures",
       "interdict scan (sandboxed plugin, signed pack) of the crypto-constants pack's fixtures: rules hit per file",
       "aes_tables.bin: Crypto_AES_InverseSBox Crypto_AES_SBox; blowfish_p.bin: Crypto_Blowfish_Tables; "
       "chacha.bin: Crypto_ChaCha_Salsa_Sigma; curve25519_prime.bin: Crypto_Curve25519_Constants; filler.bin: none; "
       "md5_iv.bin: Crypto_MD5_Constants; near_miss.bin: none; sha256_iv.bin: Crypto_SHA256_Constants; "
       "sha512_iv_be.bin: Crypto_SHA512_Constants",
       [](const ValidationOptions& options, const std::filesystem::path&) {
         return ScanCryptoConstantsFixtures(options);
       }},
      {"mesh.match.standin-fixtures",
       "interdict mesh match (sandboxed plugin, signed pack) of the stand-in pack's fixtures: identical file, inch "
       "copy, mirrored copy, 3-part plate, unrelated part",
       "identical-solid-header.stl > body:1: identical gear-1; inch-copy.stl > body:1: match slide-3 inch; "
       "mirrored-copy.stl > body:1: mirrored-match housing-5 mm; plate-3-parts.3mf > body:1: match tube-2 mm; "
       "plate-3-parts.3mf > body:2: match hinge-4 mm; plate-3-parts.3mf > body:3: match bracket-6 mm; "
       "unrelated.stl: none",
       [](const ValidationOptions& options, const std::filesystem::path&) { return MatchMeshFixtures(options); }},
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

std::filesystem::path DefaultSignatureDir() {
  if (const char* env = std::getenv("INTERDICT_SIGNATURE_DIR"); env != nullptr && *env != '\0') return env;
  return INTERDICT_DEFAULT_SIGNATURE_DIR;
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
    Result<std::string> observed = test.observe(options, dir);
    if (!observed.ok() && IsNotInstalled(observed.status())) {
      result.verdict = KnownAnswerVerdict::kSkipped;
      result.note = observed.status().message();
    } else if (!observed.ok()) {
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
