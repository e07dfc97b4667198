#include "report/pdf_printer.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include "core/files.h"

extern char** environ;

namespace interdict {
namespace {

// --dump-dom output larger than this is refused (a report is a few MiB at most; pictures are capped).
constexpr size_t kMaxChromiumStdoutBytes = 256u << 20;
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
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::IoError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawn_error != 0) {
    close(pipe_fds[0]);
    return Status::IoError("cannot start " + chromium.string() + ": " + std::system_category().message(spawn_error));
  }

  const auto deadline = std::chrono::steady_clock::now() + kChromiumTimeout;
  std::string output;
  bool timed_out = false;
  bool too_large = false;
  char buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fd{pipe_fds[0], POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: Chromium closed stdout
    if (output.size() + static_cast<size_t>(n) > kMaxChromiumStdoutBytes) {
      too_large = true;
      break;
    }
    output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  if (timed_out || too_large) kill(pid, SIGKILL);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return Status::Timeout("Chromium did not finish within " + std::to_string(kChromiumTimeout.count()) + " s");
  if (too_large) return Status::LimitExceeded("Chromium output larger than the cap");
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    return Status::Internal("Chromium failed (wait status " + std::to_string(wait_status) + ")");
  }
  if (stdout_text != nullptr) *stdout_text = std::move(output);
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
