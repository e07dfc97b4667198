#include "plugins/plugins_run_command.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/progress.h"
#include "plugins/media_type.h"
#include "plugins/plugin_discovery.h"
#include "sandbox/job_runner.h"

namespace interdict {
namespace {

struct RunOptions {
  std::string plugin_id;
  std::vector<std::filesystem::path> inputs;
  std::string config_json = "{}";
  std::string params_json = "{}";
  uint64_t timeout_s = 0;
  std::filesystem::path keep_artifacts;
  bool force = false;
};

Result<nlohmann::json> ParseObjectOption(const std::string& name, const std::string& text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return Status::InvalidArgument(name + " must be a JSON object");
  return value;
}

// Prints one job's results as they arrive and keeps artifacts when asked.
JobEvents MakeEvents(const CliContext& context, const RunOptions& options, ProgressReporter& progress,
                     uint64_t& bytes_done, const std::string& input) {
  JobEvents events;
  events.on_log = [&context](LogLevel level, const std::string& message) {
    if (!context.quiet || level >= LogLevel::kWarning) Log(level, "plugin", message);
  };
  events.on_progress = [&progress, &bytes_done](uint64_t done, uint64_t total) {
    bytes_done = done;
    progress.SetTotal(total);
    progress.Update(done);
  };
  events.on_finding = [&context, input](const nlohmann::json& finding) {
    if (context.json) {
      std::printf("%s\n", nlohmann::json{{"input", input}, {"finding", finding}}.dump().c_str());
    } else {
      std::printf("[%s] %s: %s: %s\n", finding["severity"].get<std::string>().c_str(),
                  finding["kind"].get<std::string>().c_str(), finding["location"].get<std::string>().c_str(),
                  finding["summary"].get<std::string>().c_str());
    }
    return Status::Ok();
  };
  events.on_artifact = [&context, &options, input](ProducedArtifact& artifact) -> Status {
    std::filesystem::path kept;
    if (!options.keep_artifacts.empty()) {
      // Named by content, never by the plugin's "name", which is evidence-controlled.
      kept = options.keep_artifacts / artifact.sha256;
      std::error_code ec;
      std::filesystem::rename(artifact.temp_path, kept, ec);
      if (ec)
        return Status::IoError("cannot keep artifact in " + options.keep_artifacts.string() + ": " + ec.message());
    }
    if (context.json) {
      std::printf("%s\n", nlohmann::json{{"input", input},
                                         {"artifact", artifact.meta},
                                         {"sha256", artifact.sha256},
                                         {"size", artifact.size},
                                         {"path", kept.string()}}
                              .dump()
                              .c_str());
    } else {
      std::printf("artifact %s (%llu bytes, SHA-256 %s)%s\n", artifact.meta["name"].get<std::string>().c_str(),
                  static_cast<unsigned long long>(artifact.size), artifact.sha256.c_str(),
                  kept.empty() ? "" : (" kept as " + kept.string()).c_str());
    }
    return Status::Ok();
  };
  return events;
}

int ExitCodeForOutcome(const JobOutcome& outcome) {
  switch (outcome.termination) {
    case JobTermination::kCompleted:
      if (outcome.plugin_status != 0) return kExitIncomplete;
      return outcome.findings > 0 ? kExitFindings : kExitOk;
    case JobTermination::kStartFailed:
      return kExitRefused;
    case JobTermination::kCancelled:
      return kExitInterrupted;
    default:
      return kExitIncomplete;
  }
}

void RunPlugin(CliContext& context, const RunOptions& options) {
  Result<std::vector<DiscoveredPlugin>> plugins = DiscoverPlugins(context.plugin_dir);
  if (!plugins.ok()) {
    context.Fail("plugins run", plugins.status());
    return;
  }
  std::optional<DiscoveredPlugin> plugin = FindVerifiedPlugin(*plugins, options.plugin_id);
  if (!plugin) {
    context.Fail("plugins run", Status::NotFound("no verified plugin " + options.plugin_id + " in " +
                                                 context.plugin_dir.string() + " (see `interdict plugins list`)"));
    return;
  }
  Result<nlohmann::json> config = ParseObjectOption("--config", options.config_json);
  Result<nlohmann::json> params = ParseObjectOption("--params", options.params_json);
  if (!config.ok() || !params.ok()) {
    context.Fail("plugins run", config.ok() ? params.status() : config.status());
    return;
  }
  int worst = kExitOk;
  for (const auto& input : options.inputs) {
    Result<std::string> media_type = SniffMediaTypeOfFile(input);
    if (!media_type.ok()) {
      context.Fail("plugins run", media_type.status());
      return;
    }
    if (!options.force && !PluginAccepts(*plugin->manifest, *media_type)) {
      std::fprintf(stderr, "interdict: %s is %s, which %s does not accept (use --force)\n", input.c_str(),
                   media_type->c_str(), options.plugin_id.c_str());
      worst = std::max(worst, static_cast<int>(kExitInputError));
      continue;
    }
    JobSpec spec;
    spec.plugin_manifest = plugin->manifest_path;
    spec.input_path = input;
    spec.input_name = input.filename().string();
    spec.media_type = *media_type;
    spec.plugin_config = *config;
    spec.params = *params;
    spec.in_process = context.in_process;
    if (options.timeout_s > 0) spec.limits.wall_timeout = std::chrono::seconds(options.timeout_s);
    ProgressReporter progress(options.plugin_id, 0, context.quiet || context.json);
    uint64_t bytes_done = 0;
    Result<JobOutcome> outcome = RunJob(spec, MakeEvents(context, options, progress, bytes_done, input.string()));
    if (!outcome.ok()) {
      context.Fail("plugins run", outcome.status());
      return;
    }
    progress.Finish(bytes_done, std::string(JobTerminationName(outcome->termination)));
    if (context.json) {
      std::printf("%s\n", nlohmann::json{{"input", input.string()},
                                         {"outcome",
                                          {{"termination", JobTerminationName(outcome->termination)},
                                           {"message", outcome->message},
                                           {"plugin_status", outcome->plugin_status},
                                           {"signal", outcome->signal_number},
                                           {"findings", outcome->findings},
                                           {"artifacts", outcome->artifacts},
                                           {"wall_seconds", outcome->wall_seconds},
                                           {"plugin", outcome->plugin_id + "@" + outcome->plugin_version}}}}
                              .dump()
                              .c_str());
    } else {
      std::printf("%s: %s (%s)\n", input.c_str(), std::string(JobTerminationName(outcome->termination)).c_str(),
                  outcome->message.c_str());
    }
    int code = ExitCodeForOutcome(*outcome);
    // Failures outrank findings: report the most serious result over all inputs.
    if (code != kExitFindings || worst == kExitOk) worst = std::max(worst, code);
  }
  context.exit_code = worst;
}

}  // namespace

void AddPluginsRunCommand(CLI::App& plugins, CliContext& context) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* run =
      plugins.add_subcommand("run",
                             "Run one plugin over inputs in the sandbox (--in-process for debugging); print findings. "
                             "Exit 0 no findings, 1 findings, 3 input not accepted, 5 a job failed, 7 refused");
  run->add_option("plugin", options->plugin_id, "Plugin id (see `interdict plugins list`)")->required();
  run->add_option("inputs", options->inputs, "Input files")->required()->check(CLI::ExistingFile);
  run->add_option("--config", options->config_json, "Plugin configuration as a JSON object");
  run->add_option("--params", options->params_json, "Job parameters as a JSON object");
  run->add_option("--timeout", options->timeout_s, "Wall-clock seconds per input (default: the plugin's limit)");
  run->add_option("--keep-artifacts", options->keep_artifacts, "Folder to keep artifacts in, named by SHA-256")
      ->check(CLI::ExistingDirectory);
  run->add_flag("--force", options->force, "Run even if the plugin does not accept the input's media type");
  run->callback([&context, options] { RunPlugin(context, *options); });
}

}  // namespace interdict
