// The `interdict` command: a thin layer over the host and plugin libraries.
#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "core/log.h"

// Each component that was built contributes its subcommands (see CMakeLists.txt beside this file).
#ifdef INTERDICT_HAVE_CASE_CLI
#include "case/case_cli.h"
#endif
#ifdef INTERDICT_HAVE_PLUGINS_CLI
#include "plugins/plugins_cli.h"
#endif
#ifdef INTERDICT_HAVE_USB_IMAGER_CLI
#include "usb_imager_cli.h"
#endif
#ifdef INTERDICT_HAVE_FIRMWARE_SCAN_CLI
#include "firmware_scan_cli.h"
#endif
#ifdef INTERDICT_HAVE_MESH_MATCH_CLI
#include "mesh_match_cli.h"
#endif
#ifdef INTERDICT_HAVE_QUEUE_CLI
#include "queue/queue_cli.h"
#endif
#ifdef INTERDICT_HAVE_REPORT_CLI
#include "report/report_cli.h"
#endif

int main(int argc, char** argv) {
  using namespace interdict;
  CliContext context;
  context.plugin_dir = DefaultPluginDir();

  CLI::App app{"interdict: forensic acquisition and analysis of seized handsets, firmware and 3D-printing files"};
  app.set_version_flag("--version", std::string("interdict ") + INTERDICT_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_flag("--json", context.json, "Machine-readable JSON on stdout");
  app.add_flag("-q,--quiet", context.quiet, "No progress output");
  app.add_flag("--log-json", context.log_json, "Structured JSON logs on stderr");
  app.add_flag("-v,--verbose", context.verbose, "Debug logging");
  app.add_flag("--in-process", context.in_process, "Run plugins inside this process (debugging only, never for evidence)");
  app.add_option("--plugin-dir", context.plugin_dir, "Folder of installed plugins")->capture_default_str();
  app.footer("Exit codes: 0 ok, 1 findings, 2 usage, 3 input error, 4 verification failed, 5 incomplete,\n"
             "6 device error, 7 refused by policy, 70 internal error, 130 interrupted. See docs/cli.md.");
  app.parse_complete_callback([&context] {
    ConfigureLogging({context.verbose ? LogLevel::kDebug : LogLevel::kInfo, context.log_json});
  });

#ifdef INTERDICT_HAVE_CASE_CLI
  RegisterCaseCommands(app, context);
#endif
#ifdef INTERDICT_HAVE_PLUGINS_CLI
  RegisterPluginCommands(app, context);
#endif
#ifdef INTERDICT_HAVE_USB_IMAGER_CLI
  RegisterUsbImagerCommands(app, context);
#endif
#ifdef INTERDICT_HAVE_FIRMWARE_SCAN_CLI
  RegisterFirmwareScanCommands(app, context);
#endif
#ifdef INTERDICT_HAVE_MESH_MATCH_CLI
  RegisterMeshMatchCommands(app, context);
#endif
#ifdef INTERDICT_HAVE_QUEUE_CLI
  RegisterQueueCommands(app, context);
#endif
#ifdef INTERDICT_HAVE_REPORT_CLI
  RegisterReportCommands(app, context);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return context.exit_code;
}
