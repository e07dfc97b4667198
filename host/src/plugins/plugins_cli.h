// `interdict plugins ...`: list installed plugins and verify them without loading any plugin library, and
// run one over inputs.
#ifndef INTERDICT_PLUGINS_PLUGINS_CLI_H_
#define INTERDICT_PLUGINS_PLUGINS_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

// Adds `plugins list [--json]`, `plugins verify [ID...]` and, when the sandbox is built,
// `plugins run ID INPUT...`.
void RegisterPluginCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_PLUGINS_PLUGINS_CLI_H_
