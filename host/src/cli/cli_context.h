// What every `interdict` subcommand shares: global flags, where plugins live, how errors are printed.
// Components add their subcommands through a Register<Component>Commands(CLI::App&, CliContext&) function
// in their own `<component>_cli.h`; main.cc calls each one that was built.
#ifndef INTERDICT_CLI_CLI_CONTEXT_H_
#define INTERDICT_CLI_CLI_CONTEXT_H_

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "core/exit_codes.h"
#include "core/status.h"

namespace interdict {

struct CliContext {
  bool json = false;       // --json: machine-readable output on stdout
  bool quiet = false;      // --quiet: no progress output
  bool log_json = false;   // --log-json: structured logs on stderr
  bool verbose = false;    // --verbose: debug logs
  bool in_process = false; // --in-process: run plugins in this process (debugging only)
  int exit_code = kExitOk; // set by the subcommand that ran
  std::filesystem::path plugin_dir;  // where plugin folders live (each with plugin.json)

  // Prints "interdict: <what>: <status>" on stderr and records the matching exit code.
  int Fail(const std::string& what, const Status& status);
};

// The plugin folder: $INTERDICT_PLUGIN_DIR, else <dir of this executable>/../plugins,
// else /usr/lib/interdict/plugins.
std::filesystem::path DefaultPluginDir();
// The folder holding this executable (for finding interdict-worker and interdict-sim beside it).
std::filesystem::path ExecutableDir();

}  // namespace interdict

#endif  // INTERDICT_CLI_CLI_CONTEXT_H_
