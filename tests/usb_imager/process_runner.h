// Test helper: runs a program (no shell) with its stdout and stderr in a log file, and reads files back as
// text. Shared by the tests that drive interdict, interdict-sim and libewf's tools.
#ifndef INTERDICT_TESTS_USB_IMAGER_PROCESS_RUNNER_H_
#define INTERDICT_TESTS_USB_IMAGER_PROCESS_RUNNER_H_

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace interdict::usb::testing {

// Runs argv, stdout+stderr appended to `log`; returns the exit status (128+signal when killed).
inline int RunCommand(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace interdict::usb::testing

#endif  // INTERDICT_TESTS_USB_IMAGER_PROCESS_RUNNER_H_
