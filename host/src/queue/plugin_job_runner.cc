#include "queue/plugin_job_runner.h"

#include <set>

#include "case/case_job.h"
#include "core/log.h"
#include "core/signed_pack.h"
#include "plugins/media_type.h"
#include "queue/builtin_handlers.h"
#include "queue/plugin_packs.h"

namespace interdict {
namespace {

// Outcomes after which the job is finished: the plugin ran to its end (findings describe any corruption).
bool IsFinishedOutcome(const std::string& outcome) {
  return outcome == "completed" || outcome == "corrupt-input" || outcome == "plugin-error";
}

JobHandlerResult Permanent(std::string error) { return {JobDisposition::kPermanent, {}, std::move(error)}; }
JobHandlerResult Retry(std::string error) { return {JobDisposition::kRetry, {}, std::move(error)}; }

}  // namespace

PluginJobRunner::PluginJobRunner(JobQueue& queue, PluginJobRunnerOptions options)
    : queue_(queue), options_(std::move(options)) {}

Status PluginJobRunner::ReloadPlugins() {
  auto discovered = DiscoverPlugins(options_.plugin_dir);
  if (!discovered.ok()) return discovered.status().WithContext("discovering plugins in " + options_.plugin_dir.string());
  size_t verified = 0;
  for (const DiscoveredPlugin& plugin : *discovered) {
    if (plugin.verified()) {
      ++verified;
    } else {
      LogWarning("queue", "plugin " + plugin.manifest_path.string() + " refused: " + plugin.verification.ToString());
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  plugins_ = std::move(discovered).value();
  LogInfo("queue", "loaded " + std::to_string(verified) + " verified plugin(s) from " + options_.plugin_dir.string());
  return Status::Ok();
}

std::vector<DiscoveredPlugin> PluginJobRunner::Plugins() {
  std::lock_guard<std::mutex> lock(mutex_);
  return plugins_;
}

Result<CaseStore*> PluginJobRunner::OpenCase(const std::string& case_dir) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = cases_.find(case_dir); it != cases_.end()) return it->second.get();
  INTERDICT_ASSIGN_OR_RETURN(auto store, CaseStore::Open(case_dir));
  CaseStore* raw = store.get();
  cases_.emplace(case_dir, std::move(store));
  return raw;
}

JobHandlerResult PluginJobRunner::Run(const LeasedJob& job, const std::atomic<bool>& lease_lost) {
  const JobRequest& request = job.request;
  if (IsBuiltinPlugin(request.plugin_id)) return RunBuiltinJob(job, lease_lost);
  if (!request.params.is_object()) return Permanent("job parameters are not a JSON object");
  if (request.case_ref.empty()) return Permanent("plugin job without a case");

  std::optional<DiscoveredPlugin> plugin;
  std::string installed_versions;
  for (const DiscoveredPlugin& candidate : Plugins()) {
    if (!candidate.verified() || candidate.manifest->id != request.plugin_id) continue;
    if (candidate.manifest->version == request.plugin_version) plugin = candidate;
    installed_versions += " " + candidate.manifest->version;
  }
  if (!plugin) {
    return Permanent("plugin " + request.plugin_id + "@" + request.plugin_version + " is not installed" +
                     (installed_versions.empty() ? "" : " (installed:" + installed_versions + ")"));
  }

  auto store = OpenCase(request.case_ref);
  if (!store.ok()) return Retry("cannot open case " + request.case_ref + ": " + store.status().ToString());
  CaseStore& cases = **store;

  JobSpec spec;
  spec.plugin_manifest = plugin->manifest_path;
  spec.input_name = request.input_ref;
  spec.input_sha256 = request.input_sha256;
  spec.params = request.params;
  spec.in_process = options_.in_process;
  CaseJobContext context;
  context.attempts = job.attempts;
  context.actor = options_.actor;
  // The packs the plugin loads now, which may differ from those the job was queued with (the key keeps those).
  Result<nlohmann::json> packs = PluginPackDigests(request.plugin_id, request.params);
  if (packs.ok()) {
    context.pack_digests = *packs;
  } else {
    LogWarning("queue", "job " + std::to_string(job.job_id) + ": " + packs.status().ToString());
  }
  const std::string used_pack_digest = CombinedPackDigest(context.pack_digests);
  if (used_pack_digest != request.pack_digest) {
    LogInfo("queue", "job " + std::to_string(job.job_id) + ": the packs changed since it was queued; recording " +
                         "the packs it runs with");
  }
  if (!request.input_sha256.empty()) {
    spec.input_path = cases.ArtifactPath(request.input_sha256);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(spec.input_path, ec)) {
      return Permanent("input artifact " + request.input_sha256 + " is not in case " + request.case_ref);
    }
    auto record = cases.GetArtifact(request.input_sha256);
    if (record.ok()) spec.media_type = record->media_type;
    auto names = cases.ArtifactNames(request.input_sha256);
    if (names.ok()) {
      for (const ArtifactName& name : *names) {
        if (name.evidence_id) {
          context.evidence_id = name.evidence_id;
          break;
        }
      }
    }
  }
  if (auto it = request.params.find("media_type"); it != request.params.end() && it->is_string()) {
    spec.media_type = it->get<std::string>();
  }
  int depth = 0;
  if (auto it = request.params.find("depth"); it != request.params.end() && it->is_number_integer()) {
    depth = it->get<int>();
  }

  JobEvents events;
  events.should_cancel = [&lease_lost] { return lease_lost.load(); };
  events.on_log = [&job](LogLevel level, const std::string& message) {
    Log(level, "plugin", "job " + std::to_string(job.job_id) + ": " + message);
  };
  auto recorded = RecordJobIntoCase(cases, spec, context, events);
  if (!recorded.ok()) return Retry("cannot record into case: " + recorded.status().ToString());
  if (recorded->outcome == "start-failed") return Permanent("start-failed: " + recorded->message);
  if (!IsFinishedOutcome(recorded->outcome)) return Retry(recorded->outcome + ": " + recorded->message);

  int queued_children = 0;
  if (depth + 1 <= kMaxExtractionDepth) {
    for (const RecordedArtifact& artifact : recorded->artifacts) {
      if (artifact.role != "extracted") continue;
      auto queued = EnqueueArtifact(request.case_ref, artifact.sha256, artifact.media_type, artifact.location,
                                    job.job_id, depth + 1);
      if (!queued.ok()) return Retry("cannot queue extracted artifact: " + queued.status().ToString());
      queued_children += *queued;
    }
  }
  return {JobDisposition::kDone,
          {{"outcome", recorded->outcome},
           {"case_job_id", recorded->job_id},
           {"findings", recorded->findings},
           {"artifacts", recorded->artifacts.size()},
           {"queued_children", queued_children},
           {"pack_digests", context.pack_digests}},
          {}};
}

void PluginJobRunner::RecordQuarantine(const LeasedJob& job, const std::string& error) {
  const JobRequest& request = job.request;
  if (IsBuiltinPlugin(request.plugin_id) || request.case_ref.empty()) return;
  auto store = OpenCase(request.case_ref);
  if (!store.ok()) {
    LogWarning("queue", "cannot note quarantine of job " + std::to_string(job.job_id) + ": " + store.status().ToString());
    return;
  }
  JobRecord record;
  record.plugin_id = request.plugin_id;
  record.plugin_version = request.plugin_version;
  record.input_sha256 = request.input_sha256;
  record.params = request.params.is_object() ? request.params : nlohmann::json::object();
  record.attempts = job.attempts;
  if (auto packs = PluginPackDigests(request.plugin_id, record.params); packs.ok()) record.pack_digests = *packs;
  auto names = (*store)->ArtifactNames(request.input_sha256);
  if (names.ok()) {
    for (const ArtifactName& name : *names) {
      if (name.evidence_id) {
        record.evidence_id = name.evidence_id;
        break;
      }
    }
  }
  std::string message = "quarantined after " + std::to_string(job.attempts) + " attempt(s) (queue job " +
                        std::to_string(job.job_id) + "): " + error;
  auto case_job = (*store)->BeginJob(record, options_.actor);
  Status status = case_job.ok() ? (*store)->FinishJob(*case_job, "quarantined", message, 0, options_.actor)
                                : case_job.status();
  if (!status.ok()) LogWarning("queue", "cannot note quarantine of job " + std::to_string(job.job_id) + ": " + status.ToString());
}

Result<int> PluginJobRunner::EnqueueArtifact(const std::filesystem::path& case_dir, const std::string& sha256,
                                             const std::string& media_type, const std::string& location,
                                             std::optional<int64_t> parent_job_id, int depth) {
  std::string type = media_type;
  if (type.empty() || type == kMediaOctetStream) {
    INTERDICT_ASSIGN_OR_RETURN(CaseStore * store, OpenCase(case_dir.string()));
    auto sniffed = SniffMediaTypeOfFile(store->ArtifactPath(sha256));
    if (sniffed.ok()) type = *sniffed;
  }
  int created = 0;
  for (const DiscoveredPlugin& plugin : Plugins()) {
    if (!plugin.verified()) continue;
    const PluginManifest& manifest = *plugin.manifest;
    if (manifest.Needs(kNeedUsb)) continue;  // acquisition plugins talk to devices, not to artifacts
    if (!options_.plugins.empty() &&
        std::find(options_.plugins.begin(), options_.plugins.end(), manifest.id) == options_.plugins.end()) {
      continue;
    }
    if (!PluginAccepts(manifest, type)) continue;
    const nlohmann::json params = {{"media_type", type}, {"depth", depth}};
    Result<nlohmann::json> packs = PluginPackDigests(manifest.id, params);
    if (!packs.ok()) return packs.status();
    JobRequest request;
    request.case_ref = case_dir.string();
    request.plugin_id = manifest.id;
    request.plugin_version = manifest.version;
    request.input_sha256 = sha256;
    request.input_ref = location;
    request.params = params;
    request.pack_digest = CombinedPackDigest(*packs);
    request.max_attempts = options_.max_attempts;
    request.parent_job_id = parent_job_id;
    INTERDICT_ASSIGN_OR_RETURN(SubmitResult submitted, queue_.Submit(request));
    if (submitted.created) ++created;
  }
  return created;
}

Result<int> PluginJobRunner::EnqueueCaseEvidence(const std::filesystem::path& case_dir) {
  INTERDICT_ASSIGN_OR_RETURN(CaseStore * store, OpenCase(case_dir.string()));
  INTERDICT_ASSIGN_OR_RETURN(auto evidence, store->ListEvidence());
  std::set<std::string> seen;
  int created = 0;
  for (const EvidenceRecord& item : evidence) {
    if (item.artifact_sha256.empty() || !seen.insert(item.artifact_sha256).second) continue;
    auto record = store->GetArtifact(item.artifact_sha256);
    std::string media_type = record.ok() ? record->media_type : std::string();
    INTERDICT_ASSIGN_OR_RETURN(int queued, EnqueueArtifact(case_dir, item.artifact_sha256, media_type, item.label,
                                                           std::nullopt, 0));
    created += queued;
  }
  // Files of a folder acquisition are stored as artifacts named with role "evidence".
  INTERDICT_ASSIGN_OR_RETURN(auto artifacts, store->ListArtifacts());
  for (const ArtifactRecord& artifact : artifacts) {
    if (seen.count(artifact.sha256) != 0) continue;
    INTERDICT_ASSIGN_OR_RETURN(auto names, store->ArtifactNames(artifact.sha256));
    for (const ArtifactName& name : names) {
      if (name.role != "evidence") continue;
      seen.insert(artifact.sha256);
      INTERDICT_ASSIGN_OR_RETURN(int queued,
                                 EnqueueArtifact(case_dir, artifact.sha256, artifact.media_type,
                                                 name.location.empty() ? name.name : name.location, std::nullopt, 0));
      created += queued;
      break;
    }
  }
  return created;
}

}  // namespace interdict
