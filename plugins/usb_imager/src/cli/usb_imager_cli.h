// `interdict devices` and `interdict acquire`: the USB imager's commands (see docs/usb-imager.md).
#ifndef INTERDICT_USB_IMAGER_CLI_USB_IMAGER_CLI_H_
#define INTERDICT_USB_IMAGER_CLI_USB_IMAGER_CLI_H_

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"

namespace interdict {

void RegisterUsbImagerCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_USB_IMAGER_CLI_USB_IMAGER_CLI_H_
