#include "report/report_cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "case/case_store.h"
#include "core/files.h"
#include "core/hash.h"
#include "core/log.h"
#include "report/pdf_printer.h"
#include "report/report_format.h"
#include "report/validation.h"

namespace interdict {
namespace {

struct ReportArgs {
  std::string case_dir;
  std::string format = "html";
  std::string out;
  std::string pdf;
  std::string trusted_key;
  bool no_pictures = false;
};

struct ValidateArgs {
  std::string out_dir;
  std::string answers;
  std::string work_dir;
  std::string signatures_dir;
  std::string tools_dir;
  bool print_answers = false;
};

// The process's command line, for provenance in reports (read from /proc, since CLI11 does not keep it).
std::string OwnCommandLine() {
  Result<std::string> raw = ReadFileToString("/proc/self/cmdline", 1u << 16);
  if (!raw.ok()) return "";
  std::string line;
  for (char c : *raw) line += c == '\0' ? ' ' : c;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

Status WriteReportOutput(const std::string& out, const std::string& text) {
  if (out.empty() || out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? Status::Ok() : Status::IoError("cannot write stdout");
  }
  return WriteFileAtomic(out, text);
}

int RunReport(const ReportArgs& args, CliContext& context) {
  Result<ReportFormat> format = ParseReportFormat(args.format);
  if (!format.ok()) return context.Fail("report", format.status());
  if (!args.pdf.empty() && *format != ReportFormat::kHtml) {
    return context.Fail("report", Status::InvalidArgument("--pdf needs --format html"));
  }
  Result<std::unique_ptr<CaseStore>> store = CaseStore::Open(args.case_dir);
  if (!store.ok()) return context.Fail("report: opening " + args.case_dir, store.status());
  ReportLoadOptions options;
  options.embed_pictures = !args.no_pictures;
  options.command_line = OwnCommandLine();
  if (!args.trusted_key.empty()) options.trusted_public_key = args.trusted_key;
  Result<ReportModel> model = LoadReportModel(**store, options);
  if (!model.ok()) return context.Fail("report: reading the case", model.status());
  const std::string text = RenderReport(*model, *format);

  std::string html_path = args.out;
  std::unique_ptr<std::filesystem::path, void (*)(std::filesystem::path*)> temp_html(nullptr, [](std::filesystem::path* p) {
    std::error_code ec;
    std::filesystem::remove(*p, ec);
    delete p;
  });
  if (!args.pdf.empty() && (html_path.empty() || html_path == "-")) {
    // Chromium prints from a file: keep a temporary copy beside the PDF.
    temp_html.reset(new std::filesystem::path(args.pdf + ".tmp." + std::to_string(getpid()) + ".html"));
    html_path = temp_html->string();
    if (Status s = WriteFileAtomic(html_path, text); !s.ok()) return context.Fail("report: writing", s);
    if (!args.out.empty()) {
      if (Status s = WriteReportOutput(args.out, text); !s.ok()) return context.Fail("report: writing", s);
    }
  } else if (Status s = WriteReportOutput(args.out, text); !s.ok()) {
    return context.Fail("report: writing " + args.out, s);
  }
  if (!args.pdf.empty()) {
    if (Status s = PrintHtmlToPdf(html_path, args.pdf); !s.ok()) return context.Fail("report: printing the PDF", s);
  }

  nlohmann::json details = {{"format", ReportFormatName(*format)},
                            {"sha256", Sha256Hex(text)},
                            {"bytes", text.size()},
                            {"out", args.out.empty() ? "-" : args.out},
                            {"audit_head", model->audit.head.entry_hash}};
  if (!args.pdf.empty()) details["pdf"] = args.pdf;
  if (Status s = (*store)->Audit(CurrentUserActor(), "report.generated", details); !s.ok()) {
    return context.Fail("report: recording the report in the audit log", s);
  }
  if (!model->audit.problems.empty()) {
    LogWarning("report", "the case's audit chain did not verify: " + model->audit.problems.front().where + ": " +
                             model->audit.problems.front().what);
  }
  if (!args.out.empty() && args.out != "-" && !context.quiet) {
    std::fprintf(stderr, "report: %s\n", args.out.c_str());
  }
  if (!args.pdf.empty() && !context.quiet) std::fprintf(stderr, "pdf: %s\n", args.pdf.c_str());
  context.exit_code = model->audit.problems.empty() ? kExitOk : kExitVerificationFailed;
  return context.exit_code;
}

int RunValidate(const ValidateArgs& args, CliContext& context) {
  if (args.print_answers) {
    std::cout << DefaultKnownAnswers().dump(2) << "\n";
    context.exit_code = kExitOk;
    return context.exit_code;
  }
  ValidationOptions options;
  options.command_line = OwnCommandLine();
  options.tools_dir = args.tools_dir.empty() ? ExecutableDir() : std::filesystem::path(args.tools_dir);
  options.plugin_dir = context.plugin_dir;
  options.work_dir = args.work_dir;
  options.signatures_dir =
      args.signatures_dir.empty() ? DefaultSignatureDir() : std::filesystem::path(args.signatures_dir);
  std::string answers_path = args.answers;
  if (answers_path.empty()) {
    if (const char* env = std::getenv(kKnownAnswersEnv); env != nullptr && *env != '\0') answers_path = env;
  }
  if (answers_path.empty()) {
    options.answers = DefaultKnownAnswers()["answers"];
  } else {
    Result<nlohmann::json> answers = LoadKnownAnswers(answers_path);
    if (!answers.ok()) return context.Fail("validate: reading expected answers", answers.status());
    options.answers = *answers;
    options.answers_source = answers_path;
  }
  Result<ValidationRun> run = RunValidation(options);
  if (!run.ok()) return context.Fail("validate", run.status());
  const nlohmann::json json = ValidationRunJson(*run);
  if (!args.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    const std::filesystem::path dir = args.out_dir;
    if (Status s = WriteFileAtomic(dir / "validation.json", json.dump(2) + "\n"); !s.ok()) {
      return context.Fail("validate: writing the report", s);
    }
    if (Status s = WriteFileAtomic(dir / "validation.html", RenderValidationHtml(*run)); !s.ok()) {
      return context.Fail("validate: writing the report", s);
    }
  }
  if (context.json) {
    std::cout << json.dump(2) << "\n";
  } else if (!context.quiet) {
    for (const KnownAnswerResult& r : run->results) {
      std::printf("%-8s %s\n", std::string(KnownAnswerVerdictName(r.verdict)).c_str(), r.name.c_str());
    }
    if (!args.out_dir.empty()) std::printf("validation report: %s/validation.html\n", args.out_dir.c_str());
  }
  for (const KnownAnswerResult& r : run->results) {
    if (r.verdict != KnownAnswerVerdict::kFailed) continue;
    std::fprintf(stderr, "interdict: validate: known-answer test failed: %s (expected \"%s\", observed \"%s\")%s%s\n",
                 r.name.c_str(), r.expected.c_str(), r.observed.c_str(), r.note.empty() ? "" : ": ", r.note.c_str());
  }
  context.exit_code = run->passed() ? kExitOk : kExitVerificationFailed;
  return context.exit_code;
}

}  // namespace

void RegisterReportCommands(CLI::App& app, CliContext& context) {
  auto report_args = std::make_shared<ReportArgs>();
  CLI::App* report = app.add_subcommand("report", "Write the report of a case: HTML, JSON Lines, DFXML or CASE/UCO");
  report->add_option("case_dir", report_args->case_dir, "The case directory")->required();
  report->add_option("-f,--format", report_args->format, "html, json (JSON Lines), dfxml or case (CASE/UCO JSON-LD)")
      ->capture_default_str();
  report->add_option("-o,--out", report_args->out, "Output file (default: stdout)");
  report->add_option("--pdf", report_args->pdf, "Also print the HTML report to this PDF (headless Chromium)");
  report->add_option("--trusted-key", report_args->trusted_key,
                     "Lab public key (hex) every audit seal must have been made with");
  report->add_flag("--no-pictures", report_args->no_pictures, "Do not embed overlay and thumbnail pictures");
  report->callback([report_args, &context] { RunReport(*report_args, context); });

  auto validate_args = std::make_shared<ValidateArgs>();
  CLI::App* validate =
      app.add_subcommand("validate", "Run the known-answer tests of this installation and write a validation report");
  validate->add_option("-o,--out", validate_args->out_dir, "Folder for validation.html and validation.json");
  validate->add_option("--answers", validate_args->answers,
                       std::string("Expected-answers file (default: built in, or $") + kKnownAnswersEnv + ")");
  validate->add_option("--work-dir", validate_args->work_dir, "Scratch folder (default: a temporary folder)");
  validate->add_option("--signatures", validate_args->signatures_dir,
                       "Signature folder with rule packs and fixtures (default: $INTERDICT_SIGNATURE_DIR or the "
                       "source tree's signatures/)");
  validate->add_option("--tools-dir", validate_args->tools_dir,
                       "Folder of the installed interdict, interdict-sim and interdict-worker (default: beside this "
                       "program)");
  validate->add_flag("--print-answers", validate_args->print_answers, "Print the built-in expected answers and exit");
  validate->callback([validate_args, &context] { RunValidate(*validate_args, context); });
}

}  // namespace interdict
