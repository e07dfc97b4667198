// `interdict plugins run`: one plugin over one or more inputs, through the sandbox (or --in-process), with
// findings printed and artifacts optionally kept. For trying a plugin and for debugging; casework goes
// through the case store and the queue.
#ifndef INTERDICT_PLUGINS_PLUGINS_RUN_COMMAND_H_
#define INTERDICT_PLUGINS_PLUGINS_RUN_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

// Adds `run` under the given `plugins` subcommand.
void AddPluginsRunCommand(CLI::App& plugins, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_PLUGINS_PLUGINS_RUN_COMMAND_H_
