// Exit codes of every interdict command. Documented in docs/cli.md; scripts depend on them, so the
// numbers never change meaning.
#ifndef INTERDICT_CORE_EXIT_CODES_H_
#define INTERDICT_CORE_EXIT_CODES_H_

#include "core/status.h"

namespace interdict {

enum ExitCode : int {
  kExitOk = 0,                  // done; nothing of note (scan: no hits)
  kExitFindings = 1,            // done; findings reported (scan/match hits)
  kExitUsage = 2,               // bad command line
  kExitInputError = 3,          // input missing, unreadable or malformed beyond use
  kExitVerificationFailed = 4,  // a hash, signature, audit chain or known answer did not verify
  kExitIncomplete = 5,          // finished, but not everything was covered (bad sectors, timeouts, limits)
  kExitDeviceError = 6,         // device not found, disconnected and did not return, or refused
  kExitRefused = 7,             // refused by policy (unsigned pack, write-class command, ABI mismatch)
  kExitInternal = 70,           // the tool is broken (EX_SOFTWARE)
  kExitInterrupted = 130,       // SIGINT/SIGTERM; partial work kept, resumable
};

// Maps a failed Status to the exit code a command should return.
ExitCode ExitCodeFor(const Status& status);

}  // namespace interdict

#endif  // INTERDICT_CORE_EXIT_CODES_H_
