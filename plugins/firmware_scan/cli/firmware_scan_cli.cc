// `interdict scan`: verifies and compiles the rule packs on the host (so a refused pack is reported with a
// clear message before any job starts, and the worker finds the compiled rules in the cache), then runs
// one job per input: in a sandboxed worker through RunJob by default, in this process with --in-process,
// and into a case with --case DIR. Up to --threads jobs run at once; output is in input order.
#include "firmware_scan_cli.h"

#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "core/hash.h"
#include "scan_session.h"

#ifdef INTERDICT_HAVE_SANDBOX
#include "sandbox/job_runner.h"
#endif
#ifdef INTERDICT_HAVE_CASE
#include "case/case_job.h"
#include "case/case_store.h"
#endif

namespace interdict {
namespace {

using fwscan::InputResult;
using fwscan::ScanConfig;

constexpr char kPluginFolder[] = "plugin_firmware_scan";

struct ScanArgs {
  std::vector<std::string> inputs;
  std::vector<std::string> packs;
  int threads = 1;
  std::string case_dir;
  bool allow_unsigned = false;
  std::string trusted_keys;
  std::string cache_dir;
  bool no_cache = false;
  bool layers = false;
  int timeout_s = fwscan::kDefaultScanTimeoutSeconds;
  int max_depth = fwscan::kDefaultMaxDepth;
  uint64_t extracted_factor = fwscan::kDefaultExtractedBytesFactor;
  uint64_t max_files = fwscan::kDefaultMaxFilesPerContainer;
  uint64_t max_ratio = fwscan::kDefaultMaxEntryRatio;
  int64_t wall_time_s = fwscan::kDefaultWallTime.count();
};

void PrintRecord(const CliContext& context, const std::string& line) {
  if (context.json) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  nlohmann::json r = nlohmann::json::parse(line, nullptr, false);
  if (r.is_discarded() || r.value("kind", "") == "layer") return;
  std::string kind = r.value("kind", "?");
  std::string where = kind == "yara-match" || kind == "scan-summary" ? "" : r.value("location", "") + ": ";
  std::printf("[%s] %s: %s%s\n", r.value("severity", "?").c_str(), kind.c_str(), where.c_str(),
              r.value("summary", "").c_str());
}

// Exit code from the records: incomplete beats findings beats ok.
int ExitCodeFromRecords(const std::vector<InputResult>& results) {
  bool findings = false, incomplete = false;
  for (const InputResult& r : results) {
    if (!r.status.ok()) incomplete = true;
    for (const std::string& line : r.lines) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      std::string kind = j.is_object() ? j.value("kind", "") : "";
      // A container whose decoded bytes differ from its stored hash (E01) is a finding about the evidence.
      if (kind == "yara-match" || (kind == "integrity" && j.value("outcome", "") == "mismatch")) findings = true;
      if (kind == "timeout" || kind == "limit-exceeded" || kind == "scan-error") incomplete = true;
    }
  }
  return incomplete ? kExitIncomplete : findings ? kExitFindings : kExitOk;
}

#ifdef INTERDICT_HAVE_SANDBOX
JobSpec MakeSpec(const CliContext& context, const ScanConfig& config, const std::filesystem::path& input) {
  JobSpec spec;
  spec.plugin_manifest = context.plugin_dir / kPluginFolder / "plugin.json";
  spec.input_path = input;
  spec.input_name = input.filename().string();
  spec.plugin_config = fwscan::ScanConfigToJson(config);
  spec.in_process = context.in_process;
  spec.limits.wall_timeout = std::chrono::seconds(config.limits.wall_time.count() + 60);
  return spec;
}

InputResult RunOneJob(const CliContext& context, const ScanConfig& config, const std::filesystem::path& input) {
  InputResult r;
  r.name = input.filename().string();
  JobEvents events;
  events.on_finding = [&r](const nlohmann::json& finding) {
    r.lines.push_back(finding.dump());
    return Status::Ok();
  };
  events.on_artifact = [](ProducedArtifact&) { return Status::Ok(); };  // without a case, nothing keeps them
  Result<JobOutcome> outcome = RunJob(MakeSpec(context, config, input), events);
  if (!outcome.ok()) {
    r.status = outcome.status();
  } else if (outcome->termination != JobTermination::kCompleted || outcome->plugin_status != 0) {
    r.status = Status::Internal(r.name + ": job ended " + std::string(JobTerminationName(outcome->termination)) +
                                (outcome->message.empty() ? "" : ": " + outcome->message));
  }
  return r;
}
#endif

#ifdef INTERDICT_HAVE_CASE
Result<InputResult> RunIntoCase(CaseStore& store, const CliContext& context, const ScanConfig& config,
                                const std::filesystem::path& input, const nlohmann::json& pack_digests) {
  InputResult r;
  r.name = input.filename().string();
  // The case keeps its own copy of the evidence; the source file is only read.
  INTERDICT_ASSIGN_OR_RETURN(ArtifactRecord artifact,
                             store.StoreArtifactFile(input, "application/octet-stream", /*move_file=*/false, CurrentUserActor()));
  CaseJobContext job_context;
  job_context.input_sha256 = artifact.sha256;
  job_context.input_location = r.name;
  job_context.pack_digests = pack_digests;
  INTERDICT_ASSIGN_OR_RETURN(std::vector<EvidenceRecord> evidence, store.ListEvidence());
  for (const EvidenceRecord& e : evidence) {
    if (e.artifact_sha256 == artifact.sha256) job_context.evidence_id = e.id;
  }
  if (!job_context.evidence_id) {
    EvidenceRecord e;
    e.label = r.name;
    e.kind = "image-file";
    e.source = "file:" + std::filesystem::absolute(input).string();
    e.artifact_sha256 = artifact.sha256;
    INTERDICT_ASSIGN_OR_RETURN(EvidenceRecord added, store.AddEvidence(e, CurrentUserActor()));
    job_context.evidence_id = added.id;
  }
  JobSpec spec = MakeSpec(context, config, store.ArtifactPath(artifact.sha256));
  spec.input_name = r.name;
  spec.input_sha256 = artifact.sha256;
  JobEvents events;
  events.on_finding = [&r](const nlohmann::json& finding) {
    r.lines.push_back(finding.dump());
    return Status::Ok();
  };
  INTERDICT_ASSIGN_OR_RETURN(RecordedJob job, RecordJobIntoCase(store, spec, job_context, events));
  if (job.outcome != "completed") r.status = Status::Internal(r.name + ": job " + job.outcome + ": " + job.message);
  return r;
}
#endif

int RunScan(CliContext& context, const ScanArgs& args) {
  ScanConfig config;
  for (const auto& p : args.packs) config.packs.push_back(std::filesystem::absolute(p));
  config.allow_unsigned = args.allow_unsigned;
  if (!args.trusted_keys.empty()) config.trusted_keys_dir = std::filesystem::absolute(args.trusted_keys);
  if (!args.no_cache) {
    config.cache_dir = args.cache_dir.empty() ? fwscan::DefaultRuleCacheDir() : std::filesystem::absolute(args.cache_dir);
  }
  config.scan.timeout_seconds = args.timeout_s;
  config.report_layers = args.layers;
  config.limits.max_depth = args.max_depth;
  config.limits.extracted_bytes_factor = args.extracted_factor;
  config.limits.max_files_per_container = args.max_files;
  config.limits.max_entry_ratio = args.max_ratio;
  config.limits.wall_time = std::chrono::seconds(args.wall_time_s);

  Result<std::shared_ptr<const fwscan::RuleSet>> rules = fwscan::LoadVerifiedRuleSet(config);
  if (!rules.ok()) return context.Fail("rule packs", rules.status());
  std::vector<std::filesystem::path> inputs;
  for (const auto& i : args.inputs) inputs.emplace_back(i);

  std::vector<InputResult> results;
  if (!args.case_dir.empty()) {
#ifdef INTERDICT_HAVE_CASE
    Result<std::unique_ptr<CaseStore>> store = CaseStore::Open(args.case_dir);
    if (!store.ok()) return context.Fail("opening case " + args.case_dir, store.status());
    nlohmann::json digests = nlohmann::json::object();
    for (const auto& p : (*rules)->packs()) digests[p.name] = p.digest;
    for (const auto& input : inputs) {  // one at a time: the case serialises writes anyway
      Result<InputResult> r = RunIntoCase(**store, context, config, input, digests);
      if (!r.ok()) return context.Fail("recording the scan of " + input.string(), r.status());
      results.push_back(std::move(*r));
    }
#else
    return context.Fail("scan --case", Status::Unsupported("this build has no case store"));
#endif
  } else {
#ifdef INTERDICT_HAVE_SANDBOX
    results.resize(inputs.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < inputs.size(); i = next++) results[i] = RunOneJob(context, config, inputs[i]);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < std::min<int>(args.threads, static_cast<int>(inputs.size())); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
#else
    // No sandbox layer in this build: the library path, in this process.
    results = fwscan::ScanFiles(inputs, *rules, config, args.threads);
#endif
  }
  for (const InputResult& r : results) {
    for (const std::string& line : r.lines) PrintRecord(context, line);
    if (!r.status.ok()) std::fprintf(stderr, "interdict: scan %s: %s\n", r.name.c_str(), r.status.ToString().c_str());
  }
  std::fflush(stdout);
  context.exit_code = ExitCodeFromRecords(results);
  return context.exit_code;
}

}  // namespace

void RegisterFirmwareScanCommands(CLI::App& app, CliContext& context) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* scan = app.add_subcommand("scan", "Unpack inputs layer by layer and match every layer against YARA rule packs");
  scan->add_option("inputs", args->inputs, "Image files or files to scan")->required()->check(CLI::ExistingFile);
  // One folder per --rules, so that inputs may follow it on the command line.
  scan->add_option("--rules", args->packs, "Rule pack folder (signatures/yara/<pack>); repeat for more packs")
      ->required()
      ->allow_extra_args(false)
      ->check(CLI::ExistingDirectory);
  scan->add_option("--threads", args->threads, "Inputs scanned at once")->check(CLI::Range(1, 64))->capture_default_str();
  scan->add_option("--case", args->case_dir, "Record the scan, its findings and extracted files into this case");
  scan->add_flag("--allow-unsigned", args->allow_unsigned, "Accept rule packs without a signature (never for casework)");
  scan->add_option("--trusted-keys", args->trusted_keys, "Folder of trusted pack-signing public keys (*.pub)");
  scan->add_option("--cache-dir", args->cache_dir, "Compiled-rules cache folder");
  scan->add_flag("--no-cache", args->no_cache, "Compile the rules afresh and cache nothing");
  scan->add_flag("--layers", args->layers, "Also report one record per layer (location, format, size, SHA-256)");
  scan->add_option("--timeout", args->timeout_s, "YARA timeout per layer, seconds")->check(CLI::Range(1, 86400))->capture_default_str();
  scan->add_option("--max-depth", args->max_depth, "Container layers opened below the input")->check(CLI::Range(0, 64))->capture_default_str();
  scan->add_option("--max-extracted-factor", args->extracted_factor, "Extracted bytes allowed, as a multiple of the input size")->capture_default_str();
  scan->add_option("--max-files", args->max_files, "Members per container")->capture_default_str();
  scan->add_option("--max-ratio", args->max_ratio, "Decompressed/compressed ratio allowed per member")->capture_default_str();
  scan->add_option("--wall-time", args->wall_time_s, "Seconds allowed per input")->capture_default_str();
  scan->callback([&context, args] { RunScan(context, *args); });
  RegisterRulesCommands(app, context);
}

}  // namespace interdict
