// `interdict scan INPUT... --rules PACK...` and `interdict rules lint|test|diff|keygen|sign|verify`.
#ifndef INTERDICT_FIRMWARE_SCAN_CLI_H_
#define INTERDICT_FIRMWARE_SCAN_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

void RegisterFirmwareScanCommands(CLI::App& app, CliContext& context);

// The `rules` author tools (rules_cli.cc); registered by RegisterFirmwareScanCommands.
void RegisterRulesCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_FIRMWARE_SCAN_CLI_H_
