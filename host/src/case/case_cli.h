// `interdict case init|info|add|verify|seal` and `interdict keys generate|show|path`.
#ifndef INTERDICT_CASE_CASE_CLI_H_
#define INTERDICT_CASE_CASE_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

void RegisterCaseCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_CASE_CASE_CLI_H_
