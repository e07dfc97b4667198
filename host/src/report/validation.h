// `interdict validate`: known-answer tests of this installation, written up as a validation report a lab
// can file as method-validation evidence (ISO/IEC 17025, Forensic Science Regulator Code).
//
// Each test computes an observed answer and compares it with the expected answer for its name. Expected
// answers come built in (DefaultKnownAnswers) or from a file (--answers FILE or $INTERDICT_VALIDATE_ANSWERS),
// so a lab can pin the answers it filed; a test whose expected answer is missing or different fails, and
// the failing test is named. Tests of components that are not installed are recorded as "skipped", never
// as passed.
//
// Answers file: {"format": "interdict-known-answers/1", "answers": {"<test name>": "<expected>", ...}}.
#ifndef INTERDICT_REPORT_VALIDATION_H_
#define INTERDICT_REPORT_VALIDATION_H_

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "report/report_model.h"

namespace interdict {

inline constexpr char kKnownAnswersFormat[] = "interdict-known-answers/1";
inline constexpr char kKnownAnswersEnv[] = "INTERDICT_VALIDATE_ANSWERS";

enum class KnownAnswerVerdict { kPassed, kFailed, kSkipped };
std::string_view KnownAnswerVerdictName(KnownAnswerVerdict verdict);  // "pass", "FAIL", "skipped"

struct KnownAnswerResult {
  std::string name;         // "hash.sha256.abc"
  std::string description;  // what is checked and where the answer comes from
  std::string expected;
  std::string observed;
  KnownAnswerVerdict verdict = KnownAnswerVerdict::kFailed;
  std::string note;         // why skipped, or what went wrong
};

struct ValidationRun {
  ToolInfo tool;
  std::string answers_source;  // "built-in" or the answers file path
  std::string answers_sha256;  // of the canonical answers JSON used
  std::string finished_utc;
  std::vector<KnownAnswerResult> results;
  bool passed() const;  // no test failed (skipped tests do not fail the run)
  std::vector<std::string> failed_names() const;
};

struct ValidationOptions {
  nlohmann::json answers;              // the "answers" object
  std::string answers_source = "built-in";
  std::filesystem::path work_dir;      // scratch space (a temporary folder when empty)
  std::filesystem::path tools_dir;     // where interdict, interdict-sim and interdict-worker live
  std::filesystem::path plugin_dir;
  std::filesystem::path signatures_dir;  // signatures/ (rule packs with fixtures)
  std::string command_line;
};

// $INTERDICT_SIGNATURE_DIR, else the source tree's signatures/ this build was made from.
std::filesystem::path DefaultSignatureDir();

// The built-in expected answers, as an answers file (see above).
nlohmann::json DefaultKnownAnswers();
// Reads and checks an answers file; returns its "answers" object.
Result<nlohmann::json> LoadKnownAnswers(const std::filesystem::path& path);

// Runs every known-answer test. Fails only if the tests cannot run at all (e.g. no scratch space).
Result<ValidationRun> RunValidation(const ValidationOptions& options);

nlohmann::json ValidationRunJson(const ValidationRun& run);
std::string RenderValidationHtml(const ValidationRun& run);

}  // namespace interdict

#endif  // INTERDICT_REPORT_VALIDATION_H_
