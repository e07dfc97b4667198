// `interdict report CASE_DIR --format html|json|dfxml|case [--out FILE] [--pdf FILE]` and
// `interdict validate [--out DIR] [--answers FILE]`.
#ifndef INTERDICT_REPORT_REPORT_CLI_H_
#define INTERDICT_REPORT_REPORT_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

void RegisterReportCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_REPORT_REPORT_CLI_H_
