// `interdict queue submit|status|retry|cancel|dead`: examine and steer a queue from the command line.
#include "queue/queue_cli.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/signed_pack.h"
#include "queue/job_queue.h"
#include "queue/plugin_packs.h"
#include "queue/queue_commands.h"

namespace interdict {
namespace {

// The largest --count a single submit accepts (benchmarks and load tests).
constexpr int64_t kMaxSubmitCount = 1'000'000;

struct QueueCommandOptions {
  std::string queue_url;
  std::string plugin_id;
  std::string plugin_version;
  std::string input_sha256;
  std::string input_ref;
  std::string case_dir;
  std::string params_json = "{}";
  std::string pack_digest;
  int priority = 0;
  int max_attempts = kDefaultMaxAttempts;
  int64_t count = 1;
  std::vector<int64_t> job_ids;
  std::string state;
  size_t limit = 100;
};

std::string MsToIso(int64_t ms) {
  if (ms == 0) return "";
  return ToIso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

nlohmann::json JobJson(const JobInfo& info) {
  nlohmann::json out = {{"id", info.job_id},
                        {"state", JobStateName(info.state)},
                        {"plugin_id", info.request.plugin_id},
                        {"plugin_version", info.request.plugin_version},
                        {"input_sha256", info.request.input_sha256},
                        {"input_ref", info.request.input_ref},
                        {"case", info.request.case_ref},
                        {"params", info.request.params},
                        {"pack_digest", info.request.pack_digest},
                        {"priority", info.request.priority},
                        {"attempts", info.attempts},
                        {"max_attempts", info.request.max_attempts},
                        {"idempotency_key", info.idempotency_key},
                        {"lease_owner", info.lease_owner},
                        {"lease_expires", MsToIso(info.lease_expires_ms)},
                        {"not_before", MsToIso(info.not_before_ms)},
                        {"last_error", info.last_error},
                        {"created", MsToIso(info.created_ms)},
                        {"updated", MsToIso(info.updated_ms)}};
  if (info.request.parent_job_id) out["parent_job_id"] = *info.request.parent_job_id;
  if (info.result) out["result"] = *info.result;
  return out;
}

nlohmann::json CountsJson(const QueueCounts& counts) {
  return {{"queued", counts.queued}, {"leased", counts.leased}, {"done", counts.done},
          {"failed", counts.failed}, {"dead", counts.dead},     {"cancelled", counts.cancelled},
          {"results", counts.results}, {"total", counts.Total()}};
}

void PrintJobLine(const JobInfo& info) {
  std::cout << info.job_id << "  " << JobStateName(info.state) << "  " << info.request.plugin_id << "@"
            << info.request.plugin_version << "  attempts " << info.attempts << "/" << info.request.max_attempts
            << "  " << (info.request.input_ref.empty() ? info.request.input_sha256 : info.request.input_ref);
  if (!info.last_error.empty()) std::cout << "  [" << info.last_error << "]";
  std::cout << "\n";
}

int RunSubmit(const QueueCommandOptions& options, CliContext& context) {
  nlohmann::json params = nlohmann::json::parse(options.params_json, nullptr, false);
  if (params.is_discarded() || !params.is_object()) {
    return context.Fail("queue submit", Status::InvalidArgument("--params must be a JSON object"));
  }
  if (options.count < 1 || options.count > kMaxSubmitCount) {
    return context.Fail("queue submit", Status::InvalidArgument("--count must be between 1 and " +
                                                                std::to_string(kMaxSubmitCount)));
  }
  auto queue = OpenQueueForCli(options.queue_url);
  if (!queue.ok()) return context.Fail("queue submit", queue.status());
  JobRequest request;
  request.case_ref = options.case_dir;
  request.plugin_id = options.plugin_id;
  request.plugin_version = options.plugin_version;
  request.input_sha256 = options.input_sha256;
  request.input_ref = options.input_ref;
  request.pack_digest = options.pack_digest;
  if (request.pack_digest.empty()) {
    // Keyed by the packs the plugin will load, as jobs queued by `analyze` and the workers are.
    auto packs = PluginPackDigests(options.plugin_id, params);
    if (!packs.ok()) return context.Fail("queue submit", packs.status());
    request.pack_digest = CombinedPackDigest(*packs);
  }
  request.priority = options.priority;
  request.max_attempts = options.max_attempts;
  nlohmann::json submitted = nlohmann::json::array();
  for (int64_t i = 0; i < options.count; ++i) {
    request.params = params;
    // --count N makes N distinct jobs: the copy number is part of the parameters, so of the key.
    if (options.count > 1) request.params["copy"] = i;
    auto result = (*queue)->Submit(request);
    if (!result.ok()) return context.Fail("queue submit", result.status());
    submitted.push_back({{"id", result->job_id}, {"created", result->created}, {"state", JobStateName(result->state)}});
  }
  if (context.json) {
    std::cout << (options.count == 1 ? submitted[0] : submitted).dump(2) << "\n";
  } else if (options.count == 1) {
    std::cout << "job " << submitted[0]["id"].get<int64_t>()
              << (submitted[0]["created"].get<bool>() ? " queued" : " already known, " + submitted[0]["state"].get<std::string>())
              << "\n";
  } else {
    std::cout << "submitted " << options.count << " jobs\n";
  }
  return context.exit_code = kExitOk;
}

int RunStatus(const QueueCommandOptions& options, CliContext& context) {
  auto queue = OpenQueueForCli(options.queue_url);
  if (!queue.ok()) return context.Fail("queue status", queue.status());
  if (!options.job_ids.empty()) {
    nlohmann::json jobs = nlohmann::json::array();
    for (int64_t id : options.job_ids) {
      auto info = (*queue)->Get(id);
      if (!info.ok()) return context.Fail("queue status", info.status());
      if (!info->has_value()) {
        return context.Fail("queue status", Status::NotFound("no job " + std::to_string(id)));
      }
      if (context.json) {
        jobs.push_back(JobJson(**info));
      } else {
        PrintJobLine(**info);
      }
    }
    if (context.json) std::cout << (jobs.size() == 1 ? jobs[0] : jobs).dump(2) << "\n";
    return context.exit_code = kExitOk;
  }
  auto counts = (*queue)->Counts();
  if (!counts.ok()) return context.Fail("queue status", counts.status());
  if (context.json) {
    nlohmann::json out = CountsJson(*counts);
    out["backend"] = std::string((*queue)->backend());
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << (*queue)->backend() << " queue: " << counts->queued << " queued, " << counts->leased
              << " leased, " << counts->done << " done, " << counts->failed << " failed (waiting to retry), "
              << counts->dead << " dead, " << counts->cancelled << " cancelled\n";
  }
  return context.exit_code = kExitOk;
}

// retry and cancel: one verb applied to each id; exit code 3 if any id was in the wrong state.
int RunTransition(const QueueCommandOptions& options, CliContext& context, const std::string& verb) {
  auto queue = OpenQueueForCli(options.queue_url);
  if (!queue.ok()) return context.Fail("queue " + verb, queue.status());
  nlohmann::json out = nlohmann::json::array();
  bool all_changed = true;
  for (int64_t id : options.job_ids) {
    auto changed = verb == "retry" ? (*queue)->Retry(id) : (*queue)->Cancel(id);
    if (!changed.ok()) return context.Fail("queue " + verb, changed.status());
    all_changed = all_changed && *changed;
    out.push_back({{"id", id}, {"changed", *changed}});
    if (!context.json) {
      std::cout << "job " << id << (*changed ? (verb == "retry" ? ": queued again" : ": cancelled")
                                             : ": not changed (no such job, or not in a state that allows " + verb + ")")
                << "\n";
    }
  }
  if (context.json) std::cout << out.dump(2) << "\n";
  return context.exit_code = all_changed ? kExitOk : kExitInputError;
}

int RunList(const QueueCommandOptions& options, CliContext& context, std::optional<JobState> state) {
  auto queue = OpenQueueForCli(options.queue_url);
  if (!queue.ok()) return context.Fail("queue", queue.status());
  auto jobs = (*queue)->List({state, options.limit});
  if (!jobs.ok()) return context.Fail("queue", jobs.status());
  if (context.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const JobInfo& info : *jobs) out.push_back(JobJson(info));
    std::cout << out.dump(2) << "\n";
  } else {
    if (jobs->empty()) std::cout << "no " << (state ? std::string(JobStateName(*state)) + " " : "") << "jobs\n";
    for (const JobInfo& info : *jobs) PrintJobLine(info);
  }
  return context.exit_code = kExitOk;
}

}  // namespace

Result<std::unique_ptr<JobQueue>> OpenQueueForCli(const std::string& url) {
  std::string chosen = url;
  if (chosen.empty()) {
    const char* env = std::getenv("INTERDICT_QUEUE");
    if (env != nullptr) chosen = env;
  }
  if (chosen.empty()) return Status::InvalidArgument("no queue: pass --queue sqlite:PATH|postgresql://... or set INTERDICT_QUEUE");
  return OpenJobQueue(chosen);
}

void RegisterQueueCommands(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<QueueCommandOptions>();
  CLI::App* queue = app.add_subcommand("queue", "Examine and steer the job queue");
  queue->require_subcommand(1);
  queue->add_option("--queue", options->queue_url, "sqlite:PATH or postgresql://... (default: $INTERDICT_QUEUE)");

  CLI::App* submit = queue->add_subcommand("submit", "Queue a job (a no-op if the same work is already queued or done)");
  submit->add_option("--plugin", options->plugin_id, "Plugin id (org.interdict.firmware_scan) or builtin:noop")->required();
  submit->add_option("--plugin-version", options->plugin_version, "Plugin version the result must come from")->required();
  submit->add_option("--input-sha256", options->input_sha256, "SHA-256 of the input artifact in the case");
  submit->add_option("--input-ref", options->input_ref, "Name or location chain of the input, for people");
  submit->add_option("--case", options->case_dir, "Case folder the input lives in and results go to");
  submit->add_option("--params", options->params_json, "Job parameters as a JSON object")->capture_default_str();
  submit->add_option("--pack-digest", options->pack_digest, "SHA-256 of the rule/template packs (default: of the packs the plugin will load)");
  submit->add_option("--priority", options->priority, "Higher runs first")->capture_default_str();
  submit->add_option("--max-attempts", options->max_attempts, "Attempts before the job is quarantined")->capture_default_str();
  submit->add_option("--count", options->count, "Submit this many distinct copies (load tests)")->capture_default_str();
  submit->callback([options, &context] { RunSubmit(*options, context); });

  CLI::App* status = queue->add_subcommand("status", "Counts per state, or the details of the given jobs");
  status->add_option("job_ids", options->job_ids, "Job ids");
  status->callback([options, &context] { RunStatus(*options, context); });

  CLI::App* retry = queue->add_subcommand("retry", "Queue dead, failed or cancelled jobs again (attempts reset)");
  retry->add_option("job_ids", options->job_ids, "Job ids")->required();
  retry->callback([options, &context] { RunTransition(*options, context, "retry"); });

  CLI::App* cancel = queue->add_subcommand("cancel", "Cancel queued, waiting or running jobs");
  cancel->add_option("job_ids", options->job_ids, "Job ids")->required();
  cancel->callback([options, &context] { RunTransition(*options, context, "cancel"); });

  CLI::App* dead = queue->add_subcommand("dead", "List quarantined jobs: inputs that failed every attempt");
  dead->add_option("--limit", options->limit, "At most this many")->capture_default_str();
  dead->callback([options, &context] { RunList(*options, context, JobState::kDead); });

  CLI::App* list = queue->add_subcommand("list", "List jobs, optionally of one state");
  list->add_option("--state", options->state, "queued, leased, done, failed, dead or cancelled");
  list->add_option("--limit", options->limit, "At most this many")->capture_default_str();
  list->callback([options, &context] {
    std::optional<JobState> state;
    if (!options->state.empty()) {
      auto parsed = ParseJobState(options->state);
      if (!parsed.ok()) {
        context.Fail("queue list", parsed.status());
        return;
      }
      state = *parsed;
    }
    RunList(*options, context, state);
  });

  RegisterWorkerCommands(app, context);
}

}  // namespace interdict
