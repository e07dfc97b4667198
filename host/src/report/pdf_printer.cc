#include "report/pdf_printer.h"

#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include "core/files.h"
#include "report/process_runner.h"

namespace interdict {
namespace {

constexpr char kPdfMagic[] = "%PDF-";

class TempProfileDir {
 public:
  TempProfileDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "interdict-chromium-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempProfileDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempProfileDir(const TempProfileDir&) = delete;
  TempProfileDir& operator=(const TempProfileDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::filesystem::path ChromiumPath() {
  if (const char* env = std::getenv("INTERDICT_CHROMIUM"); env != nullptr && *env != '\0') return env;
  return kDefaultChromiumPath;
}

std::vector<std::string> HeadlessChromiumFlags(const std::filesystem::path& profile_dir) {
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-extensions",
          "--disable-default-apps",
          "--no-pdf-header-footer",
          "--user-data-dir=" + profile_dir.string()};
}

Status RunHeadlessChromium(const std::filesystem::path& html, const std::vector<std::string>& extra_args,
                           std::string* stdout_text) {
  const std::filesystem::path chromium = ChromiumPath();
  if (access(chromium.c_str(), X_OK) != 0) {
    return Status::NotFound("headless Chromium not found at " + chromium.string() +
                            " (install Debian's chromium package or set INTERDICT_CHROMIUM)");
  }
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(html, ec);
  if (ec || !std::filesystem::is_regular_file(absolute)) return Status::NotFound("no HTML file " + html.string());
  TempProfileDir profile;
  if (profile.path().empty()) return Status::IoError("cannot create a temporary Chromium profile");

  std::vector<std::string> args = {chromium.string()};
  for (std::string& flag : HeadlessChromiumFlags(profile.path())) args.push_back(std::move(flag));
  for (const std::string& arg : extra_args) args.push_back(arg);
  args.push_back("file://" + absolute.string());
  ProcessOptions options;
  options.timeout = kChromiumTimeout;
  INTERDICT_ASSIGN_OR_RETURN(ProcessResult run, RunProcess(args, options));
  if (run.exit_code != 0) return Status::Internal("Chromium failed (exit " + std::to_string(run.exit_code) + ")");
  if (stdout_text != nullptr) *stdout_text = std::move(run.output);
  return Status::Ok();
}

Status PrintHtmlToPdf(const std::filesystem::path& html, const std::filesystem::path& pdf) {
  std::error_code ec;
  const std::filesystem::path absolute_pdf = std::filesystem::absolute(pdf, ec);
  if (ec) return Status::InvalidArgument("bad PDF path " + pdf.string());
  std::filesystem::remove(absolute_pdf, ec);
  INTERDICT_RETURN_IF_ERROR(RunHeadlessChromium(html, {"--print-to-pdf=" + absolute_pdf.string()}, nullptr));
  Result<std::string> head = ReadFileToString(absolute_pdf, 1ull << 30);
  if (!head.ok()) return Status::Internal("Chromium wrote no PDF: " + head.status().ToString());
  if (head->compare(0, sizeof kPdfMagic - 1, kPdfMagic) != 0) return Status::Internal("Chromium's output is not a PDF");
  return Status::Ok();
}

}  // namespace interdict
