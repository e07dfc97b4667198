#include "case/case_job.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "case/artifact_files.h"
#include "core/files.h"

namespace interdict {
namespace {

// The values of interdict_status that mean something to the case (host/include/interdict/plugin_abi.h).
constexpr int kPluginStatusOk = 0;
constexpr int kPluginStatusCorruptInput = 1;
constexpr int kPluginStatusCancelled = 5;

constexpr std::array<std::string_view, 4> kSeverities = {"info", "notice", "warning", "high"};
constexpr char kDefaultArtifactRole[] = "extracted";
// Findings are stored in batches of this many (one transaction, one fsync each): a scan with thousands of
// hits would otherwise spend most of its time waiting for the disk.
constexpr size_t kFindingBatchSize = 256;

struct PluginIdentity {
  std::string id;
  std::string version;
};

// The job record is written before the plugin starts, so the identity comes from the manifest; a
// manifest that cannot be read still gets a job record (which then ends in start-failed).
PluginIdentity ReadPluginIdentity(const std::filesystem::path& manifest) {
  PluginIdentity identity{"unknown:" + manifest.string(), "unknown"};
  auto text = ReadFileToString(manifest, kMaxManifestBytes);
  if (!text.ok()) return identity;
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return identity;
  if (json.contains("id") && json["id"].is_string()) identity.id = json["id"].get<std::string>();
  if (json.contains("version") && json["version"].is_string()) identity.version = json["version"].get<std::string>();
  return identity;
}

std::string StringField(const nlohmann::json& object, const char* key, const std::string& fallback = {}) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : fallback;
}

// The finding a failed job leaves behind, so reports list failures among the results.
std::optional<std::pair<std::string, std::string>> HostFindingFor(const std::string& outcome) {
  if (outcome == "timeout") return std::pair{"timeout", "warning"};
  if (outcome == "memory-limit" || outcome == "cpu-limit") return std::pair{"limit-exceeded", "warning"};
  if (outcome == "completed" || outcome == "cancelled" || outcome == "corrupt-input") return std::nullopt;
  return std::pair{"scan-error", "warning"};
}

}  // namespace

std::string CaseOutcomeName(const JobOutcome& outcome) {
  if (outcome.termination == JobTermination::kCompleted) {
    if (outcome.plugin_status == kPluginStatusOk) return "completed";
    if (outcome.plugin_status == kPluginStatusCorruptInput) return "corrupt-input";
    if (outcome.plugin_status == kPluginStatusCancelled) return "cancelled";
    return "plugin-error";
  }
  // The case (schema.sql, reports) says "timeout"; the runner's other names are used as they are.
  if (outcome.termination == JobTermination::kTimedOut) return "timeout";
  return std::string(JobTerminationName(outcome.termination));
}

Result<RecordedJob> RecordJobIntoCase(CaseStore& store, const JobSpec& spec, const CaseJobContext& context,
                                      const JobEvents& events) {
  const std::string actor = context.actor.empty() ? CurrentUserActor() : context.actor;
  const std::string input_sha256 = context.input_sha256.empty() ? spec.input_sha256 : context.input_sha256;
  const std::string input_location = context.input_location.empty() ? spec.input_name : context.input_location;
  const PluginIdentity plugin = ReadPluginIdentity(spec.plugin_manifest);

  JobRecord job;
  job.plugin_id = plugin.id;
  job.plugin_version = plugin.version;
  job.input_sha256 = input_sha256;
  job.evidence_id = context.evidence_id;
  job.params = spec.params;
  job.pack_digests = context.pack_digests;
  job.attempts = context.attempts;
  RecordedJob recorded;
  INTERDICT_ASSIGN_OR_RETURN(recorded.job_id, store.BeginJob(job, actor));
  const std::string job_actor = "job:" + std::to_string(recorded.job_id);
  Status store_failure;  // the first failure to write the case, which outranks whatever the plugin did

  auto make_finding = [&](const std::string& kind, const std::string& severity, const std::string& location,
                          const std::string& summary, const nlohmann::json& json) {
    FindingRecord finding;
    finding.job_id = recorded.job_id;
    finding.evidence_id = context.evidence_id;
    finding.artifact_sha256 = input_sha256;
    finding.plugin_id = plugin.id;
    finding.plugin_version = plugin.version;
    finding.kind = kind;
    finding.severity = severity;
    finding.location = location;
    finding.summary = summary;
    finding.json = json;
    return finding;
  };

  std::vector<FindingRecord> pending;
  std::vector<nlohmann::json> pending_json;
  auto flush_findings = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    auto stored = store.AddFindings(std::move(pending));
    pending.clear();
    std::vector<nlohmann::json> delivered = std::move(pending_json);
    pending_json.clear();
    if (!stored.ok()) {
      if (store_failure.ok()) store_failure = stored.status();
      return stored.status();
    }
    recorded.findings += static_cast<int64_t>(stored->size());
    if (events.on_finding) {
      for (const nlohmann::json& json : delivered) INTERDICT_RETURN_IF_ERROR(events.on_finding(json));
    }
    return Status::Ok();
  };

  JobEvents recording = events;
  recording.on_finding = [&](const nlohmann::json& json) -> Status {
    if (!json.is_object()) return Status::Corrupt("a finding must be a JSON object");
    std::string kind = StringField(json, "kind");
    std::string severity = StringField(json, "severity", "info");
    if (kind.empty()) return Status::Corrupt("a finding needs a \"kind\" string");
    if (std::find(kSeverities.begin(), kSeverities.end(), severity) == kSeverities.end()) {
      return Status::Corrupt("finding severity \"" + severity + "\" is not info|notice|warning|high");
    }
    pending.push_back(make_finding(kind, severity, StringField(json, "location", input_location),
                                   StringField(json, "summary"), json));
    pending_json.push_back(json);
    return pending.size() >= kFindingBatchSize ? flush_findings() : Status::Ok();
  };
  recording.on_artifact = [&](ProducedArtifact& artifact) -> Status {
    const nlohmann::json meta = artifact.meta.is_object() ? artifact.meta : nlohmann::json::object();
    std::string media_type = StringField(meta, "media_type", "application/octet-stream");
    auto stored = store.StoreArtifactFile(artifact.temp_path, media_type, /*move_file=*/true, job_actor);
    if (!stored.ok()) {
      if (store_failure.ok()) store_failure = stored.status();
      return stored.status();
    }
    if (!artifact.sha256.empty() && artifact.sha256 != stored->sha256) {
      // The runner's hash and ours disagree: keep the bytes (named by what they are) and say so.
      recorded.refused.push_back("artifact " + StringField(meta, "name") + ": runner reported sha256 " +
                                 artifact.sha256 + ", stored bytes hash to " + stored->sha256);
    }
    RecordedArtifact out{stored->sha256,
                         stored->size,
                         stored->media_type,
                         StringField(meta, "name"),
                         StringField(meta, "location", input_location),
                         StringField(meta, "role", kDefaultArtifactRole)};
    Status named = store.AddArtifactName({.artifact_sha256 = out.sha256,
                                          .evidence_id = context.evidence_id,
                                          .parent_sha256 = input_sha256,
                                          .name = out.name,
                                          .location = out.location,
                                          .role = out.role,
                                          .job_id = recorded.job_id});
    if (!named.ok()) {
      if (store_failure.ok()) store_failure = named;
      return named;
    }
    recorded.artifacts.push_back(out);
    return events.on_artifact ? events.on_artifact(artifact) : Status::Ok();
  };

  // Produced artifacts are streamed into the case's own staging folder, so storing them is a rename on the
  // same file system, and evidence-derived bytes never sit in a shared temporary folder.
  JobSpec staged_spec = spec;
  if (staged_spec.artifact_dir.empty()) {
    staged_spec.artifact_dir = store.dir() / kStagingDirName;
    std::error_code ec;
    std::filesystem::create_directories(staged_spec.artifact_dir, ec);
  }
  auto ran = RunJob(staged_spec, recording);
  Status flushed = flush_findings();  // failures already kept in store_failure
  (void)flushed;
  if (ran.ok()) {
    recorded.detail = *ran;
    recorded.outcome = CaseOutcomeName(*ran);
    recorded.message = ran->message;
    if (recorded.outcome == "plugin-error" && recorded.message.empty()) {
      recorded.message = "plugin returned status " + std::to_string(ran->plugin_status);
    }
  } else {
    recorded.outcome = "start-failed";
    recorded.message = "host could not run the job: " + ran.status().ToString();
  }
  if (!store_failure.ok()) {
    recorded.message += (recorded.message.empty() ? "" : "; ") + ("case write failed: " + store_failure.ToString());
  }

  if (auto host_finding = HostFindingFor(recorded.outcome)) {
    nlohmann::json json = {
        {"kind", host_finding->first}, {"severity", host_finding->second},
        {"location", input_location},  {"summary", plugin.id + " " + recorded.outcome + ": " + recorded.message},
        {"outcome", recorded.outcome}, {"source", "host"}};
    auto stored = store.AddFinding(make_finding(host_finding->first, host_finding->second, input_location,
                                                json["summary"].get<std::string>(), json));
    if (stored.ok()) ++recorded.findings;
  }
  INTERDICT_RETURN_IF_ERROR(
      store.FinishJob(recorded.job_id, recorded.outcome, recorded.message, recorded.findings, actor));
  if (!store_failure.ok()) return store_failure;
  return recorded;
}

}  // namespace interdict
