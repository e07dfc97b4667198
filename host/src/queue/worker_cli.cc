// `interdict worker` (a headless lab-server worker) and `interdict analyze CASE_DIR` (every applicable plugin
// over every evidence item of a case, recursively, through an embedded queue in the case folder).
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "queue/builtin_handlers.h"
#include "queue/metrics_endpoint.h"
#include "queue/queue_commands.h"
#include "queue/worker.h"
#ifdef INTERDICT_QUEUE_HAVE_PLUGIN_JOBS
#include "queue/plugin_job_runner.h"
#include "queue/watch_folder.h"
#endif

namespace interdict {
namespace {

constexpr std::chrono::milliseconds kSignalPollInterval{100};
constexpr char kAnalyzeQueueFile[] = "queue.db";
// analyze runs on one machine for one examiner: retry sooner than a lab server would.
constexpr std::chrono::milliseconds kAnalyzeBackoffBase{500};
constexpr std::chrono::milliseconds kAnalyzeBackoffCap{5'000};

volatile std::sig_atomic_t g_drain_requested = 0;
volatile std::sig_atomic_t g_reload_requested = 0;

extern "C" void OnDrainSignal(int) { g_drain_requested = 1; }
extern "C" void OnReloadSignal(int) { g_reload_requested = 1; }

// Handlers (not a blocked mask, which sandboxed children would inherit across exec) that only set flags;
// the signal monitor thread acts on them.
void InstallSignalHandlers() {
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  action.sa_handler = OnDrainSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  action.sa_handler = OnReloadSignal;
  sigaction(SIGHUP, &action, nullptr);
}

struct WorkerCommandOptions {
  std::string queue_url;
  int concurrency = 2;
  std::filesystem::path case_root;
  std::filesystem::path watch_dir;
  int metrics_port = -1;
  int lease_seconds = static_cast<int>(kDefaultLeaseDuration.count() / 1000);
  int lease_ms = 0;  // tests: a short lease so that killed workers' jobs come back quickly
  std::vector<std::string> plugins;
  int max_attempts = kDefaultMaxAttempts;
  bool until_idle = false;
  std::filesystem::path case_dir;  // analyze
};

std::string WorkerOwner() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown-host");
  return std::string(host) + ":" + std::to_string(getpid());
}

std::string PrometheusText(const WorkerMetrics& metrics, const Result<QueueCounts>& counts) {
  std::ostringstream out;
  out << "# HELP interdict_worker_jobs_total Attempts this worker finished, by result.\n"
      << "# TYPE interdict_worker_jobs_total counter\n"
      << "interdict_worker_jobs_total{result=\"done\"} " << metrics.done << "\n"
      << "interdict_worker_jobs_total{result=\"retried\"} " << metrics.retried << "\n"
      << "interdict_worker_jobs_total{result=\"dead\"} " << metrics.dead << "\n"
      << "interdict_worker_jobs_total{result=\"lease_lost\"} " << metrics.lease_lost << "\n"
      << "# HELP interdict_worker_jobs_leased_total Jobs this worker leased.\n"
      << "# TYPE interdict_worker_jobs_leased_total counter\n"
      << "interdict_worker_jobs_leased_total " << metrics.leased << "\n"
      << "# HELP interdict_worker_queue_errors_total Queue calls that failed (database unreachable, ...).\n"
      << "# TYPE interdict_worker_queue_errors_total counter\n"
      << "interdict_worker_queue_errors_total " << metrics.queue_errors << "\n"
      << "# HELP interdict_worker_in_flight Jobs running now.\n"
      << "# TYPE interdict_worker_in_flight gauge\n"
      << "interdict_worker_in_flight " << metrics.in_flight << "\n"
      << "# HELP interdict_worker_slots Configured concurrency.\n"
      << "# TYPE interdict_worker_slots gauge\n"
      << "interdict_worker_slots " << metrics.concurrency << "\n"
      << "# HELP interdict_worker_draining 1 once SIGTERM asked the worker to drain.\n"
      << "# TYPE interdict_worker_draining gauge\n"
      << "interdict_worker_draining " << (metrics.draining ? 1 : 0) << "\n";
  if (counts.ok()) {
    out << "# HELP interdict_queue_jobs Jobs on the whole queue, by state.\n"
        << "# TYPE interdict_queue_jobs gauge\n";
    const std::pair<const char*, int64_t> states[] = {{"queued", counts->queued}, {"leased", counts->leased},
                                                      {"done", counts->done},     {"failed", counts->failed},
                                                      {"dead", counts->dead},     {"cancelled", counts->cancelled}};
    for (const auto& [state, n] : states) out << "interdict_queue_jobs{state=\"" << state << "\"} " << n << "\n";
  }
  out << "# HELP interdict_queue_up 1 if the queue answered this scrape.\n"
      << "# TYPE interdict_queue_up gauge\n"
      << "interdict_queue_up " << (counts.ok() ? 1 : 0) << "\n";
  return out.str();
}

nlohmann::json MetricsJson(const WorkerMetrics& metrics) {
  return {{"leased", metrics.leased}, {"done", metrics.done},
          {"retried", metrics.retried}, {"dead", metrics.dead},
          {"lease_lost", metrics.lease_lost}, {"queue_errors", metrics.queue_errors}};
}

// Everything both commands share: signals, metrics, the worker run, the periodic duties.
struct WorkerRun {
  JobQueue* queue = nullptr;
  JobHandler handler;
  WorkerOptions worker;
  int metrics_port = -1;
  std::function<void()> on_reload;  // SIGHUP
  std::function<void()> on_tick;    // every signal poll (watch folder)
};

Result<WorkerMetrics> RunWorker(const WorkerRun& run) {
  Worker worker(*run.queue, run.handler, run.worker);
  std::unique_ptr<MetricsEndpoint> endpoint;
  if (run.metrics_port >= 0) {
    if (run.metrics_port > 65535) return Status::InvalidArgument("--metrics-port must be 0..65535");
    JobQueue* queue = run.queue;
    auto started = MetricsEndpoint::Start(
        static_cast<uint16_t>(run.metrics_port),
        {[&worker, queue] { return PrometheusText(worker.Metrics(), queue->Counts()); },
         [&worker] { return !worker.Metrics().draining; }});
    if (!started.ok()) return started.status();
    endpoint = std::move(started).value();
    LogInfo("queue", "metrics on http://127.0.0.1:" + std::to_string(endpoint->port()) + "/metrics");
  }
  g_drain_requested = 0;
  g_reload_requested = 0;
  InstallSignalHandlers();
  std::atomic<bool> finished{false};
  std::thread monitor([&] {
    bool drain_sent = false;
    while (!finished) {
      std::this_thread::sleep_for(kSignalPollInterval);
      if (g_drain_requested && !drain_sent) {
        drain_sent = true;
        LogInfo("queue", "draining: finishing the jobs in flight, taking no new ones");
        worker.RequestDrain();
      }
      if (g_reload_requested) {
        g_reload_requested = 0;
        if (run.on_reload) run.on_reload();
      }
      if (!drain_sent && run.on_tick) run.on_tick();
    }
  });
  LogInfo("queue", "worker " + run.worker.owner + " on the " + std::string(run.queue->backend()) + " queue with " +
                       std::to_string(run.worker.concurrency) + " slot(s)");
  Status status = worker.Run();
  finished = true;
  monitor.join();
  if (!status.ok()) return status;
  WorkerMetrics metrics = worker.Metrics();
  LogInfo("queue", "worker stopped: " + MetricsJson(metrics).dump());
  return metrics;
}

std::chrono::milliseconds LeaseOf(const WorkerCommandOptions& options) {
  if (options.lease_ms > 0) return std::chrono::milliseconds(options.lease_ms);
  return std::chrono::seconds(options.lease_seconds);
}

int RunWorkerCommand(const WorkerCommandOptions& options, CliContext& context) {
  auto queue = OpenQueueForCli(options.queue_url);
  if (!queue.ok()) return context.Fail("worker", queue.status());
  WorkerRun run;
  run.queue = queue->get();
  run.worker.owner = WorkerOwner();
  run.worker.concurrency = options.concurrency;
  run.worker.lease = LeaseOf(options);
  run.worker.exit_when_idle = options.until_idle;
  run.metrics_port = options.metrics_port;
#ifdef INTERDICT_QUEUE_HAVE_PLUGIN_JOBS
  PluginJobRunnerOptions runner_options;
  runner_options.plugin_dir = context.plugin_dir;
  runner_options.in_process = context.in_process;
  runner_options.actor = "worker@" + run.worker.owner;
  runner_options.plugins = options.plugins;
  runner_options.max_attempts = options.max_attempts;
  PluginJobRunner runner(**queue, runner_options);
  Status loaded = runner.ReloadPlugins();
  if (!loaded.ok()) LogWarning("queue", "no plugins: " + loaded.ToString() + " (built-in jobs still run)");
  run.handler = [&runner](const LeasedJob& job, const std::atomic<bool>& lost) { return runner.Run(job, lost); };
  run.worker.on_dead = [&runner](const LeasedJob& job, const std::string& error) { runner.RecordQuarantine(job, error); };
  run.on_reload = [&runner] {
    LogInfo("queue", "SIGHUP: reloading plugins and their rule/template packs");
    Status reloaded = runner.ReloadPlugins();
    if (!reloaded.ok()) LogWarning("queue", "reload failed, keeping the previous set: " + reloaded.ToString());
  };
  std::unique_ptr<WatchFolder> watch;
  if (!options.watch_dir.empty()) {
    if (options.case_root.empty()) {
      return context.Fail("worker", Status::InvalidArgument("--watch needs --case-root for the new cases"));
    }
    auto opened = WatchFolder::Open(options.watch_dir, options.case_root, runner, runner_options.actor);
    if (!opened.ok()) return context.Fail("worker", opened.status());
    watch = std::move(opened).value();
    run.on_tick = [&watch] { watch->PollOnce(); };
  }
#else
  if (!options.watch_dir.empty()) {
    return context.Fail("worker", Status::Unsupported("--watch needs the case, plugins and sandbox layers"));
  }
  run.handler = RunBuiltinJob;
#endif
  auto metrics = RunWorker(run);
  if (!metrics.ok()) return context.Fail("worker", metrics.status());
  if (context.json) std::cout << MetricsJson(*metrics).dump(2) << "\n";
  return context.exit_code = kExitOk;
}

#ifdef INTERDICT_QUEUE_HAVE_PLUGIN_JOBS
int RunAnalyzeCommand(const WorkerCommandOptions& options, CliContext& context) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.case_dir, ec)) {
    return context.Fail("analyze", Status::NotFound("no case folder " + options.case_dir.string()));
  }
  std::filesystem::path case_dir = std::filesystem::absolute(options.case_dir);
  QueueOptions queue_options;
  queue_options.retry.backoff_base = kAnalyzeBackoffBase;
  queue_options.retry.backoff_cap = kAnalyzeBackoffCap;
  auto queue = OpenJobQueue("sqlite:" + (case_dir / kAnalyzeQueueFile).string(), queue_options);
  if (!queue.ok()) return context.Fail("analyze", queue.status());
  PluginJobRunnerOptions runner_options;
  runner_options.plugin_dir = context.plugin_dir;
  runner_options.in_process = context.in_process;
  runner_options.actor = CurrentUserActor();
  runner_options.plugins = options.plugins;
  runner_options.max_attempts = options.max_attempts;
  PluginJobRunner runner(**queue, runner_options);
  Status loaded = runner.ReloadPlugins();
  if (!loaded.ok()) return context.Fail("analyze", loaded);
  auto queued = runner.EnqueueCaseEvidence(case_dir);
  if (!queued.ok()) return context.Fail("analyze", queued.status());
  LogInfo("queue", "analyze: " + std::to_string(*queued) + " new job(s) for the evidence of " + case_dir.string());

  WorkerRun run;
  run.queue = queue->get();
  run.handler = [&runner](const LeasedJob& job, const std::atomic<bool>& lost) { return runner.Run(job, lost); };
  run.worker.owner = WorkerOwner();
  run.worker.concurrency = options.concurrency;
  run.worker.lease = LeaseOf(options);
  run.worker.exit_when_idle = true;
  run.worker.on_dead = [&runner](const LeasedJob& job, const std::string& error) { runner.RecordQuarantine(job, error); };
  auto metrics = RunWorker(run);
  if (!metrics.ok()) return context.Fail("analyze", metrics.status());
  auto counts = (*queue)->Counts();
  if (!counts.ok()) return context.Fail("analyze", counts.status());
  auto dead = (*queue)->List({JobState::kDead, kMaxListedJobs});
  if (!dead.ok()) return context.Fail("analyze", dead.status());
  bool interrupted = g_drain_requested != 0;
  if (context.json) {
    nlohmann::json out = {{"case_dir", case_dir.string()}, {"queue", (case_dir / kAnalyzeQueueFile).string()},
                          {"this_run", MetricsJson(*metrics)}, {"interrupted", interrupted}};
    out["jobs"] = {{"done", counts->done}, {"dead", counts->dead}, {"queued", counts->queued},
                   {"failed", counts->failed}, {"cancelled", counts->cancelled}};
    nlohmann::json quarantined = nlohmann::json::array();
    for (const JobInfo& info : *dead) {
      quarantined.push_back({{"id", info.job_id}, {"plugin", info.request.plugin_id + "@" + info.request.plugin_version},
                             {"input", info.request.input_ref}, {"attempts", info.attempts}, {"error", info.last_error}});
    }
    out["quarantined"] = quarantined;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "analyze: " << counts->done << " job(s) done, " << counts->dead << " quarantined"
              << (interrupted ? " (interrupted; run again to resume)" : "") << "\n";
    for (const JobInfo& info : *dead) {
      std::cout << "  quarantined job " << info.job_id << ": " << info.request.plugin_id << "@"
                << info.request.plugin_version << " on " << info.request.input_ref << " after " << info.attempts
                << " attempt(s): " << info.last_error << "\n";
    }
  }
  if (interrupted) return context.exit_code = kExitInterrupted;
  return context.exit_code = counts->dead > 0 ? kExitIncomplete : kExitOk;
}
#endif

}  // namespace

void RegisterWorkerCommands(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<WorkerCommandOptions>();
  CLI::App* worker = app.add_subcommand("worker", "Run queued jobs headless (lab servers); SIGTERM drains, SIGHUP reloads packs");
  worker->add_option("--queue", options->queue_url, "sqlite:PATH or postgresql://... (default: $INTERDICT_QUEUE)");
  worker->add_option("--concurrency", options->concurrency, "Jobs run at once")->capture_default_str();
  worker->add_option("--case-root", options->case_root, "Where --watch creates cases");
  worker->add_option("--watch", options->watch_dir, "Turn evidence files dropped here into a case and jobs");
  worker->add_option("--metrics-port", options->metrics_port, "Health and Prometheus metrics on 127.0.0.1:PORT (0: any free port)");
  worker->add_option("--lease-seconds", options->lease_seconds, "Lease length; heartbeats renew it every third")->capture_default_str();
  worker->add_option("--lease-ms", options->lease_ms, "Lease length in milliseconds (tests)")->group("");
  worker->add_flag("--until-idle", options->until_idle, "Exit once nothing is queued, running or waiting to retry");
  worker->add_option("--plugins", options->plugins, "Only queue follow-up jobs for these plugin ids")->delimiter(',');
  worker->add_option("--max-attempts", options->max_attempts, "Attempts for follow-up jobs before quarantine")->capture_default_str();
  worker->callback([options, &context] { RunWorkerCommand(*options, context); });

#ifdef INTERDICT_QUEUE_HAVE_PLUGIN_JOBS
  CLI::App* analyze = app.add_subcommand(
      "analyze", "Run every applicable plugin over every evidence item of a case, and over what they extract");
  analyze->add_option("case_dir", options->case_dir, "Case folder")->required();
  analyze->add_option("--plugins", options->plugins, "Only these plugin ids (comma-separated)")->delimiter(',');
  analyze->add_option("--concurrency", options->concurrency, "Jobs run at once")->capture_default_str();
  analyze->add_option("--max-attempts", options->max_attempts, "Attempts before an input is quarantined")->capture_default_str();
  analyze->add_option("--lease-seconds", options->lease_seconds, "Lease length")->capture_default_str();
  analyze->callback([options, &context] { RunAnalyzeCommand(*options, context); });
#endif
}

}  // namespace interdict
