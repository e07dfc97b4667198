// `interdict mesh match FILE... --templates PACK [--json] [--case DIR]`, `interdict mesh describe FILE...`
// and `interdict templates build|test|sign|verify PACK`.
#ifndef INTERDICT_MESH_MATCH_CLI_H_
#define INTERDICT_MESH_MATCH_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

void RegisterMeshMatchCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_MESH_MATCH_CLI_H_
