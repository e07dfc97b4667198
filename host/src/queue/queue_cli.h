// `interdict queue submit|status|retry|cancel|dead`, `interdict worker` and `interdict analyze`.
#ifndef INTERDICT_QUEUE_QUEUE_CLI_H_
#define INTERDICT_QUEUE_QUEUE_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

void RegisterQueueCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_QUEUE_QUEUE_CLI_H_
