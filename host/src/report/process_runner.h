// Runs an external program (headless Chromium, the installed interdict commands for known-answer tests)
// without a shell: stdin from /dev/null, stdout captured up to a cap, stderr discarded or merged into the
// captured output, killed (SIGKILL) at the deadline. Thread-compatible; each call waits for its child.
#ifndef INTERDICT_REPORT_PROCESS_RUNNER_H_
#define INTERDICT_REPORT_PROCESS_RUNNER_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict {

inline constexpr size_t kDefaultMaxProcessOutputBytes = 256u << 20;

struct ProcessOptions {
  std::chrono::seconds timeout{120};
  bool merge_stderr = false;  // false: stderr goes to /dev/null
  size_t max_output_bytes = kDefaultMaxProcessOutputBytes;
};

struct ProcessResult {
  int exit_code = -1;      // the exit status, or 128 + signal number when killed by a signal
  std::string output;      // stdout (and stderr when merged)
};

// Fails with kNotFound when argv[0] cannot be executed, kTimeout at the deadline, kLimitExceeded when the
// output is larger than the cap; otherwise returns how the program ended, whatever its exit code.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options);

}  // namespace interdict

#endif  // INTERDICT_REPORT_PROCESS_RUNNER_H_
