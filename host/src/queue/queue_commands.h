// Shared between the queue command files (not a public header).
#ifndef INTERDICT_QUEUE_QUEUE_COMMANDS_H_
#define INTERDICT_QUEUE_QUEUE_COMMANDS_H_

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/cli_context.h"
#include "queue/job_queue.h"

namespace interdict {

// Opens the queue named by --queue, else by $INTERDICT_QUEUE.
Result<std::unique_ptr<JobQueue>> OpenQueueForCli(const std::string& url);
// `interdict worker` and `interdict analyze`.
void RegisterWorkerCommands(CLI::App& app, CliContext& context);

}  // namespace interdict

#endif  // INTERDICT_QUEUE_QUEUE_COMMANDS_H_
