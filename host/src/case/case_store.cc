// CaseStore on SQLite: one connection per object, every mutation in one BEGIN IMMEDIATE transaction
// together with its audit record, so the audit head is read and extended under the write lock even when
// several processes share the case.
#include "case/case_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>

#include "case/artifact_files.h"
#include "case/audit_chain.h"
#include "case/audit_crosscheck.h"
#include "case/sqlite_db.h"
#include "core/clock.h"
#include "core/hash.h"
#include "core/signing.h"

namespace interdict {

extern const char kCaseSchemaSql[];  // schema.sql, compiled in (case_schema_sql.cc is generated)

namespace {

constexpr size_t kUuidBytes = 16;
constexpr size_t kMaxHostNameBytes = 256;
// The actor of changes the store makes by itself when a case is opened (migration, abandoned jobs).
constexpr char kCaseMaintenanceActor[] = "interdict case-store";

Result<std::string> NewUuid() {
  unsigned char bytes[kUuidBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Status::Internal("no random bytes for a UUID");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = ToHex(bytes, sizeof(bytes));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

// A JSON column as stored; a value that does not parse (a tampered or foreign database) is returned as
// {"unparsed": text} so that readers such as reports still show it. Verify reports it separately.
nlohmann::json ParseJsonColumn(const std::string& text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return nlohmann::json{{"unparsed", text}};
  return value;
}

// --- Which process runs a job, and whether it still exists ---
// A job's runner is named by host name, kernel boot id, pid namespace, pid and the process's start time in
// clock ticks since boot: a pid can be reused, the (pid, start time) pair cannot within one boot, and a
// different boot id on the same host means every process of the old boot is gone.

std::string FirstLineOf(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 (starttime) of /proc/<pid>/stat, or "" when the process does not exist. The command name
// (field 2) may hold spaces and parentheses, so fields are counted after the last ')'.
std::string ProcessStartTicks(int64_t pid) {
  const std::string stat = FirstLineOf("/proc/" + std::to_string(pid) + "/stat");
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return "";
  std::istringstream fields(stat.substr(name_end + 1));
  constexpr int kFieldsBeforeStartTime = 19;  // fields 3..21
  std::string field;
  for (int i = 0; i < kFieldsBeforeStartTime && fields >> field; ++i) {
  }
  std::string start_ticks;
  fields >> start_ticks;
  return start_ticks;
}

std::string HostName() {
  char host[kMaxHostNameBytes] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return host[0] != '\0' ? host : "localhost";
}

nlohmann::json CurrentProcessRunner() {
  std::error_code ec;
  const auto pid_namespace = std::filesystem::read_symlink("/proc/self/ns/pid", ec);
  const int64_t pid = getpid();
  return {{"host", HostName()},
          {"boot_id", FirstLineOf("/proc/sys/kernel/random/boot_id")},
          {"pid_namespace", ec ? "" : pid_namespace.string()},
          {"pid", pid},
          {"pid_start_ticks", ProcessStartTicks(pid)}};
}

// True when `runner` names a process of this host that no longer exists; false when it is alive or when
// this host cannot know (another host, another pid namespace, or no runner recorded).
bool RunnerIsGone(const nlohmann::json& runner, const nlohmann::json& self) {
  auto text = [](const nlohmann::json& json, const char* key) {
    return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : std::string();
  };
  if (!runner.is_object() || !runner.contains("pid") || !runner["pid"].is_number_integer()) return false;
  if (text(runner, "host").empty() || text(runner, "host") != text(self, "host")) return false;
  if (text(runner, "boot_id") != text(self, "boot_id")) return !text(runner, "boot_id").empty();  // rebooted
  if (text(runner, "pid_namespace") != text(self, "pid_namespace")) return false;
  return ProcessStartTicks(runner["pid"].get<int64_t>()) != text(runner, "pid_start_ticks");
}

nlohmann::json OptionalToJson(const std::optional<int64_t>& value) {
  return value.has_value() ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

class SqliteCaseStore final : public CaseStore {
 public:
  SqliteCaseStore(std::filesystem::path dir, std::unique_ptr<SqliteDb> db, bool read_only)
      : dir_(std::move(dir)), files_(dir_), db_(std::move(db)), read_only_(read_only) {}

  const std::filesystem::path& dir() const override { return dir_; }

  Status Initialise(const CaseInfo& info, const std::string& actor) {
    std::lock_guard lock(mutex_);
    INTERDICT_RETURN_IF_ERROR(db_->Exec(kCaseSchemaSql));
    return InTransaction([&]() -> Status {
      const std::pair<const char*, std::string> facts[] = {{"schema_version", std::to_string(kCaseSchemaVersion)},
                                                           {"case_uuid", info.case_uuid},
                                                           {"case_number", info.case_number},
                                                           {"examiner", info.examiner},
                                                           {"description", info.description},
                                                           {"created_utc", info.created_utc},
                                                           {"tool_version", info.tool_version}};
      for (const auto& [key, value] : facts) {
        INTERDICT_ASSIGN_OR_RETURN(SqliteStatement insert,
                                   db_->Prepare("INSERT INTO case_info(key, value) VALUES (?1, ?2)"));
        INTERDICT_RETURN_IF_ERROR(insert.BindAll(key, value).Run());
      }
      case_uuid_ = info.case_uuid;
      return AppendAudit(actor, "case.created",
                         {{"case_uuid", info.case_uuid},
                          {"case_number", info.case_number},
                          {"examiner", info.examiner},
                          {"description", info.description},
                          {"tool_version", info.tool_version},
                          {"schema_version", kCaseSchemaVersion}});
    });
  }

  Status CheckSchema() {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(CaseInfo info, InfoLocked());
    auto version = Fact("schema_version");
    if (!version.ok()) return Status::Corrupt(dir_.string() + " is not an interdict case (no schema_version)");
    if (std::atoi(version->c_str()) > kCaseSchemaVersion) {
      return Status::Unsupported("case schema version " + *version + " is newer than this tool's " +
                                 std::to_string(kCaseSchemaVersion));
    }
    case_uuid_ = info.case_uuid;
    schema_version_ = std::atoi(version->c_str());
    return Status::Ok();
  }

  // Brings a case of an older schema up to kCaseSchemaVersion, with an audit record of the change.
  Status Migrate(const std::string& actor) {
    INTERDICT_RETURN_IF_ERROR(RefuseIfReadOnly());
    std::lock_guard lock(mutex_);
    if (schema_version_ >= kCaseSchemaVersion) return Status::Ok();
    const int from = schema_version_;
    Status status = InTransaction([&]() -> Status {
      if (from < 2) INTERDICT_RETURN_IF_ERROR(db_->Exec("ALTER TABLE jobs ADD COLUMN runner TEXT NOT NULL DEFAULT ''"));
      INTERDICT_ASSIGN_OR_RETURN(SqliteStatement update,
                                 db_->Prepare("UPDATE case_info SET value = ?1 WHERE key = 'schema_version'"));
      INTERDICT_RETURN_IF_ERROR(update.BindAll(std::to_string(kCaseSchemaVersion)).Run());
      return AppendAudit(actor, "case.migrated",
                         {{"from_schema_version", from}, {"to_schema_version", kCaseSchemaVersion}});
    });
    if (status.ok()) schema_version_ = kCaseSchemaVersion;
    return status;
  }

  // Finishes as kInterruptedJobOutcome every 'running' job whose runner is a process of this host that no
  // longer exists. Returns how many were finished.
  Result<int> RecoverAbandonedJobs(const std::string& actor) {
    INTERDICT_RETURN_IF_ERROR(RefuseIfReadOnly());
    // Every writable open runs this: read only the running jobs, not the case's whole job history.
    INTERDICT_ASSIGN_OR_RETURN(std::vector<JobRecord> running, SelectJobs("outcome = 'running'"));
    const nlohmann::json self = CurrentProcessRunner();
    int recovered = 0;
    for (const JobRecord& job : running) {
      if (!RunnerIsGone(job.runner, self)) continue;
      const std::string message = "the process that ran this job (pid " + job.runner["pid"].dump() + " on " +
                                  job.runner.value("host", std::string("?")) +
                                  ") ended without recording an outcome; the job's results are incomplete, "
                                  "run it again";
      Status finished = FinishJob(job.id, kInterruptedJobOutcome, message, job.findings_count, actor);
      // Another process may have recovered (or finished) the same job a moment ago: not an error.
      if (finished.code() == StatusCode::kInvalidArgument) continue;
      INTERDICT_RETURN_IF_ERROR(finished);
      ++recovered;
    }
    return recovered;
  }

  Result<CaseInfo> Info() override {
    std::lock_guard lock(mutex_);
    return InfoLocked();
  }

  Result<ArtifactRecord> StoreArtifactFile(const std::filesystem::path& file, const std::string& media_type,
                                           bool move_file, const std::string& actor) override {
    INTERDICT_RETURN_IF_ERROR(RefuseIfReadOnly());
    // Hashing and copying happen outside the lock and the transaction: they may take minutes.
    INTERDICT_ASSIGN_OR_RETURN(StagedArtifact staged, move_file ? files_.StageMove(file) : files_.StageCopy(file));
    return StoreStaged(staged, media_type, actor, {{"source", file.string()}, {"moved", move_file}});
  }

  Result<ArtifactRecord> StoreArtifactBytes(std::string_view bytes, const std::string& media_type,
                                            const std::string& actor) override {
    INTERDICT_RETURN_IF_ERROR(RefuseIfReadOnly());
    INTERDICT_ASSIGN_OR_RETURN(StagedArtifact staged, files_.StageBytes(bytes));
    return StoreStaged(staged, media_type, actor, nlohmann::json::object());
  }

  Result<ArtifactRecord> GetArtifact(const std::string& sha256) override {
    std::lock_guard lock(mutex_);
    return GetArtifactLocked(sha256);
  }

  Result<std::vector<ArtifactRecord>> ListArtifacts() override {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(SqliteStatement select,
                               db_->Prepare("SELECT sha256, size, md5, sha1, media_type, created_utc FROM artifacts "
                                            "ORDER BY created_utc, sha256"));
    std::vector<ArtifactRecord> out;
    INTERDICT_RETURN_IF_ERROR(
        select.ForEachRow([&](const SqliteStatement& row) { out.push_back(ReadArtifactRow(row)); }));
    return out;
  }

  std::filesystem::path ArtifactPath(const std::string& sha256) const override { return files_.PathFor(sha256); }

  Status AddArtifactName(const ArtifactName& name) override {
    std::lock_guard lock(mutex_);
    return InTransaction([&]() -> Status {
      INTERDICT_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare("INSERT INTO artifact_names(artifact_sha256, evidence_id, parent_sha256, name, location, "
                       "role, job_id, created_utc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
      INTERDICT_RETURN_IF_ERROR(insert
                                    .BindAll(name.artifact_sha256, name.evidence_id, name.parent_sha256, name.name,
                                             name.location, name.role, name.job_id, UtcNowIso8601())
                                    .Run());
      return AppendAudit(ActorFor(name.job_id), "artifact.named",
                         {{"name_id", db_->LastInsertRowId()},
                          {"artifact_sha256", name.artifact_sha256},
                          {"evidence_id", OptionalToJson(name.evidence_id)},
                          {"parent_sha256", name.parent_sha256},
                          {"name", name.name},
                          {"location", name.location},
                          {"role", name.role},
                          {"job_id", OptionalToJson(name.job_id)}});
    });
  }

  Result<std::vector<ArtifactName>> ArtifactNames(const std::string& sha256) override {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT artifact_sha256, evidence_id, parent_sha256, name, location, role, job_id "
                     "FROM artifact_names WHERE artifact_sha256 = ?1 ORDER BY id"));
    select.Bind(1, sha256);
    std::vector<ArtifactName> out;
    INTERDICT_RETURN_IF_ERROR(select.ForEachRow([&](const SqliteStatement& row) {
      ArtifactName name;
      name.artifact_sha256 = row.ColumnText(0);
      name.evidence_id = row.ColumnOptionalInt(1);
      name.parent_sha256 = row.ColumnText(2);
      name.name = row.ColumnText(3);
      name.location = row.ColumnText(4);
      name.role = row.ColumnText(5);
      name.job_id = row.ColumnOptionalInt(6);
      out.push_back(std::move(name));
    }));
    return out;
  }

  Result<EvidenceRecord> AddEvidence(EvidenceRecord evidence, const std::string& actor) override {
    if (evidence.uuid.empty()) {
      INTERDICT_ASSIGN_OR_RETURN(evidence.uuid, NewUuid());
    }
    evidence.added_utc = UtcNowIso8601();
    if (!evidence.details.is_object()) return Status::InvalidArgument("evidence details must be a JSON object");
    std::lock_guard lock(mutex_);
    Status status = InTransaction([&]() -> Status {
      INTERDICT_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare("INSERT INTO evidence(uuid, label, kind, source, artifact_sha256, added_utc, details_json) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
      insert.Bind(1, evidence.uuid).Bind(2, evidence.label).Bind(3, evidence.kind).Bind(4, evidence.source);
      if (evidence.artifact_sha256.empty()) {
        insert.BindNull(5);
      } else {
        insert.Bind(5, evidence.artifact_sha256);
      }
      INTERDICT_RETURN_IF_ERROR(insert.Bind(6, evidence.added_utc).Bind(7, CanonicalJson(evidence.details)).Run());
      evidence.id = db_->LastInsertRowId();
      return AppendAudit(actor, "evidence.added",
                         {{"evidence_id", evidence.id},
                          {"uuid", evidence.uuid},
                          {"label", evidence.label},
                          {"kind", evidence.kind},
                          {"source", evidence.source},
                          {"artifact_sha256", evidence.artifact_sha256},
                          {"details", evidence.details}});
    });
    if (!status.ok()) return status;
    return evidence;
  }

  Status UpdateEvidenceDetails(int64_t evidence_id, const nlohmann::json& details, const std::string& actor) override {
    if (!details.is_object()) return Status::InvalidArgument("evidence details must be a JSON object");
    std::lock_guard lock(mutex_);
    return InTransaction([&]() -> Status {
      INTERDICT_ASSIGN_OR_RETURN(SqliteStatement update,
                                 db_->Prepare("UPDATE evidence SET details_json = ?1 WHERE id = ?2"));
      INTERDICT_RETURN_IF_ERROR(update.BindAll(CanonicalJson(details), evidence_id).Run());
      if (db_->Changes() != 1) return Status::NotFound("no evidence with id " + std::to_string(evidence_id));
      return AppendAudit(actor, "evidence.updated", {{"evidence_id", evidence_id}, {"details", details}});
    });
  }

  Result<std::vector<EvidenceRecord>> ListEvidence() override {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT id, uuid, label, kind, source, artifact_sha256, added_utc, details_json FROM evidence "
                     "ORDER BY id"));
    std::vector<EvidenceRecord> out;
    INTERDICT_RETURN_IF_ERROR(select.ForEachRow([&](const SqliteStatement& row) {
      EvidenceRecord evidence;
      evidence.id = row.ColumnInt(0);
      evidence.uuid = row.ColumnText(1);
      evidence.label = row.ColumnText(2);
      evidence.kind = row.ColumnText(3);
      evidence.source = row.ColumnText(4);
      evidence.artifact_sha256 = row.ColumnText(5);
      evidence.added_utc = row.ColumnText(6);
      evidence.details = ParseJsonColumn(row.ColumnText(7));
      out.push_back(std::move(evidence));
    }));
    return out;
  }

  Result<int64_t> BeginJob(JobRecord job, const std::string& actor) override {
    job.started_utc = UtcNowIso8601();
    job.runner = CurrentProcessRunner();
    std::lock_guard lock(mutex_);
    int64_t job_id = 0;
    Status status = InTransaction([&]() -> Status {
      INTERDICT_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare("INSERT INTO jobs(plugin_id, plugin_version, input_sha256, evidence_id, params_json, "
                       "pack_digests, outcome, attempts, message, started_utc, runner) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, '', ?8, ?9)"));
      INTERDICT_RETURN_IF_ERROR(insert
                                    .BindAll(job.plugin_id, job.plugin_version, job.input_sha256, job.evidence_id,
                                             CanonicalJson(job.params), CanonicalJson(job.pack_digests),
                                             static_cast<int64_t>(job.attempts), job.started_utc,
                                             CanonicalJson(job.runner))
                                    .Run());
      job_id = db_->LastInsertRowId();
      return AppendAudit(actor, "job.started",
                         {{"job_id", job_id},
                          {"plugin_id", job.plugin_id},
                          {"plugin_version", job.plugin_version},
                          {"input_sha256", job.input_sha256},
                          {"evidence_id", OptionalToJson(job.evidence_id)},
                          {"params", job.params},
                          {"pack_digests", job.pack_digests},
                          {"attempts", job.attempts},
                          {"runner", job.runner}});
    });
    if (!status.ok()) return status;
    return job_id;
  }

  Status FinishJob(int64_t job_id, const std::string& outcome, const std::string& message, int64_t findings_count,
                   const std::string& actor) override {
    if (outcome.empty() || outcome == "running") return Status::InvalidArgument("a finished job needs an outcome");
    std::lock_guard lock(mutex_);
    return InTransaction([&]() -> Status {
      INTERDICT_ASSIGN_OR_RETURN(
          SqliteStatement update,
          db_->Prepare("UPDATE jobs SET outcome = ?1, message = ?2, findings_count = ?3, finished_utc = ?4 "
                       "WHERE id = ?5 AND outcome = 'running'"));
      INTERDICT_RETURN_IF_ERROR(update.BindAll(outcome, message, findings_count, UtcNowIso8601(), job_id).Run());
      if (db_->Changes() != 1) {
        return Status::InvalidArgument("job " + std::to_string(job_id) + " does not exist or has already finished");
      }
      return AppendAudit(
          actor, "job.finished",
          {{"job_id", job_id}, {"outcome", outcome}, {"message", message}, {"findings_count", findings_count}});
    });
  }

  Result<std::vector<JobRecord>> ListJobs() override { return SelectJobs(""); }

  // The job rows matching `where` (an SQL condition without user input, "" for all), in id order.
  Result<std::vector<JobRecord>> SelectJobs(const std::string& where) {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare(std::string("SELECT id, plugin_id, plugin_version, input_sha256, evidence_id, params_json, "
                                 "pack_digests, outcome, attempts, message, started_utc, finished_utc, "
                                 "findings_count, ") +
                     // A v1 case opened read-only has no runner column.
                     (schema_version_ >= 2 ? "runner" : "''") + " FROM jobs " +
                     (where.empty() ? "" : "WHERE " + where + " ") + "ORDER BY id"));
    std::vector<JobRecord> out;
    INTERDICT_RETURN_IF_ERROR(select.ForEachRow([&](const SqliteStatement& row) {
      JobRecord job;
      job.id = row.ColumnInt(0);
      job.plugin_id = row.ColumnText(1);
      job.plugin_version = row.ColumnText(2);
      job.input_sha256 = row.ColumnText(3);
      job.evidence_id = row.ColumnOptionalInt(4);
      job.params = ParseJsonColumn(row.ColumnText(5));
      job.pack_digests = ParseJsonColumn(row.ColumnText(6));
      job.outcome = row.ColumnText(7);
      job.attempts = static_cast<int>(row.ColumnInt(8));
      job.message = row.ColumnText(9);
      job.started_utc = row.ColumnText(10);
      job.finished_utc = row.ColumnText(11);
      job.findings_count = row.ColumnInt(12);
      const std::string runner = row.ColumnText(13);
      if (!runner.empty()) job.runner = ParseJsonColumn(runner);
      out.push_back(std::move(job));
    }));
    return out;
  }

  Result<int64_t> AddFinding(FindingRecord finding) override {
    std::vector<FindingRecord> one;
    one.push_back(std::move(finding));
    INTERDICT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, AddFindings(std::move(one)));
    return ids.front();
  }

  Result<std::vector<int64_t>> AddFindings(std::vector<FindingRecord> findings) override {
    std::lock_guard lock(mutex_);
    std::vector<int64_t> ids;
    Status status = InTransaction([&]() -> Status {
      for (FindingRecord& finding : findings) {
        INTERDICT_ASSIGN_OR_RETURN(int64_t id, InsertFinding(finding));
        ids.push_back(id);
      }
      return Status::Ok();
    });
    if (!status.ok()) return status;
    return ids;
  }

  Result<std::vector<FindingRecord>> ListFindings() override {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT id, job_id, evidence_id, artifact_sha256, plugin_id, plugin_version, kind, severity, "
                     "location, summary, json, created_utc FROM findings ORDER BY id"));
    std::vector<FindingRecord> out;
    INTERDICT_RETURN_IF_ERROR(select.ForEachRow([&](const SqliteStatement& row) {
      FindingRecord finding;
      finding.id = row.ColumnInt(0);
      finding.job_id = row.ColumnOptionalInt(1);
      finding.evidence_id = row.ColumnOptionalInt(2);
      finding.artifact_sha256 = row.ColumnText(3);
      finding.plugin_id = row.ColumnText(4);
      finding.plugin_version = row.ColumnText(5);
      finding.kind = row.ColumnText(6);
      finding.severity = row.ColumnText(7);
      finding.location = row.ColumnText(8);
      finding.summary = row.ColumnText(9);
      finding.json = ParseJsonColumn(row.ColumnText(10));
      finding.created_utc = row.ColumnText(11);
      out.push_back(std::move(finding));
    }));
    return out;
  }

  Status Audit(const std::string& actor, const std::string& action, const nlohmann::json& details) override {
    if (action.empty()) return Status::InvalidArgument("an audit record needs an action");
    std::lock_guard lock(mutex_);
    return InTransaction([&]() -> Status { return AppendAudit(actor, action, details); });
  }

  Result<std::vector<AuditRecord>> ListAudit() override {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(std::vector<StoredAuditRow> rows, ReadAuditRows());
    std::vector<AuditRecord> out;
    out.reserve(rows.size());
    for (StoredAuditRow& row : rows) {
      out.push_back({row.seq, std::move(row.time_utc), std::move(row.actor), std::move(row.action),
                     ParseJsonColumn(row.details_json), std::move(row.prev_hash), std::move(row.entry_hash)});
    }
    return out;
  }

  Result<AuditRecord> AuditHead() override {
    std::lock_guard lock(mutex_);
    return AuditHeadLocked();
  }

  Result<AuditSeal> SealAudit(const SigningKey& key, const std::string& actor) override {
    std::lock_guard lock(mutex_);
    AuditSeal seal;
    Status status = InTransaction([&]() -> Status {
      INTERDICT_ASSIGN_OR_RETURN(AuditRecord head, AuditHeadLocked());
      seal.seq = head.seq;
      seal.head_hash = head.entry_hash;
      seal.public_key = key.public_key_hex();
      seal.time_utc = UtcNowIso8601();
      INTERDICT_ASSIGN_OR_RETURN(seal.signature,
                                 key.Sign(SealMessage(case_uuid_, seal.seq, seal.head_hash, seal.time_utc)));
      INTERDICT_ASSIGN_OR_RETURN(
          SqliteStatement insert,
          db_->Prepare("INSERT INTO audit_seals(seq, head_hash, public_key, signature, time_utc) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)"));
      INTERDICT_RETURN_IF_ERROR(
          insert.BindAll(seal.seq, seal.head_hash, seal.public_key, seal.signature, seal.time_utc).Run());
      return AppendAudit(actor, "audit.sealed",
                         {{"seal_id", db_->LastInsertRowId()},
                          {"seq", seal.seq},
                          {"head_hash", seal.head_hash},
                          {"public_key", seal.public_key}});
    });
    if (!status.ok()) return status;
    return seal;
  }

  Result<std::vector<AuditSeal>> ListSeals() override {
    std::lock_guard lock(mutex_);
    INTERDICT_ASSIGN_OR_RETURN(std::vector<StoredSealRow> rows, ReadSealRows());
    std::vector<AuditSeal> out;
    for (StoredSealRow& row : rows) {
      out.push_back({row.seq, std::move(row.head_hash), std::move(row.public_key), std::move(row.signature),
                     std::move(row.time_utc)});
    }
    return out;
  }

  Result<VerificationReport> Verify() override { return Verify(VerifyOptions{}); }

  Result<VerificationReport> Verify(const VerifyOptions& options) override {
    VerificationReport report;
    std::vector<ArtifactRecord> artifacts;
    {
      // One read transaction: chain, seals and artifact list from the same snapshot. The slow re-hashing
      // happens afterwards, without the lock, so other writers are not held up.
      std::lock_guard lock(mutex_);
      INTERDICT_RETURN_IF_ERROR(db_->BeginRead());
      auto snapshot = [&]() -> Status {
        INTERDICT_ASSIGN_OR_RETURN(std::vector<StoredAuditRow> rows, ReadAuditRows());
        INTERDICT_ASSIGN_OR_RETURN(std::vector<StoredSealRow> seals, ReadSealRows());
        INTERDICT_ASSIGN_OR_RETURN(StoredTables tables, ReadTables());
        INTERDICT_ASSIGN_OR_RETURN(std::string case_uuid, Fact("case_uuid"));
        report.audit_records_checked = static_cast<int64_t>(rows.size());
        report.seals_checked = static_cast<int64_t>(seals.size());
        std::map<int64_t, std::string> entry_hashes;
        auto append = [&report](std::vector<VerificationProblem> problems) {
          report.problems.insert(report.problems.end(), problems.begin(), problems.end());
        };
        if (rows.empty()) report.problems.push_back({"audit", "the audit log is empty"});
        append(VerifyAuditRows(rows, &entry_hashes));
        append(VerifySealRows(seals, entry_hashes, case_uuid, options.trusted_public_key));
        append(CrossCheckTablesWithAudit(rows, tables));
        artifacts = std::move(tables.artifacts);
        return Status::Ok();
      }();
      db_->Rollback();
      INTERDICT_RETURN_IF_ERROR(snapshot);
    }
    if (options.rehash_artifacts) {
      uint64_t total = 0;
      uint64_t done = 0;
      for (const ArtifactRecord& artifact : artifacts) total += artifact.size;
      auto on_bytes = [&](uint64_t bytes) {
        done += bytes;
        if (options.on_progress) options.on_progress(done, total);
      };
      for (const ArtifactRecord& artifact : artifacts) {
        CheckArtifact(artifact, on_bytes, report);
        ++report.artifacts_checked;
      }
    }
    return report;
  }

 private:
  void CheckArtifact(const ArtifactRecord& artifact, const std::function<void(uint64_t)>& on_bytes,
                     VerificationReport& report) const {
    std::string where = "artifact " + artifact.sha256;
    auto digests = files_.Rehash(artifact.sha256, on_bytes);
    if (!digests.ok()) {
      report.problems.push_back({where, digests.status().code() == StatusCode::kNotFound
                                            ? "file is missing from the artifact store"
                                            : "cannot be re-read: " + digests.status().message()});
      return;
    }
    if (digests->sha256 != artifact.sha256) {
      report.problems.push_back({where, "content hash differs: the file now hashes to " + digests->sha256});
    } else if ((!artifact.md5.empty() && digests->md5 != artifact.md5) ||
               (!artifact.sha1.empty() && digests->sha1 != artifact.sha1)) {
      report.problems.push_back({where, "recorded MD5/SHA-1 differ from the file's"});
    }
  }

  Result<ArtifactRecord> StoreStaged(const StagedArtifact& staged, const std::string& media_type,
                                     const std::string& actor, nlohmann::json origin) {
    std::lock_guard lock(mutex_);
    ArtifactRecord record;
    Status status = InTransaction([&]() -> Status {
      auto existing = GetArtifactLocked(staged.digests.sha256);
      if (existing.ok()) {
        record = *existing;
        // Heal a missing file with the identical bytes; otherwise the staged copy is not needed.
        std::error_code ec;
        if (!std::filesystem::exists(files_.PathFor(record.sha256), ec)) return files_.Place(staged);
        files_.Discard(staged);
        return Status::Ok();
      }
      if (existing.status().code() != StatusCode::kNotFound) return existing.status();
      record = {staged.digests.sha256,
                staged.size,
                staged.digests.md5,
                staged.digests.sha1,
                media_type.empty() ? "application/octet-stream" : media_type,
                UtcNowIso8601()};
      INTERDICT_ASSIGN_OR_RETURN(SqliteStatement insert,
                                 db_->Prepare("INSERT INTO artifacts(sha256, size, md5, sha1, media_type, created_utc) "
                                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      INTERDICT_RETURN_IF_ERROR(insert
                                    .BindAll(record.sha256, static_cast<int64_t>(record.size), record.md5, record.sha1,
                                             record.media_type, record.created_utc)
                                    .Run());
      INTERDICT_RETURN_IF_ERROR(AppendAudit(actor, "artifact.stored",
                                            {{"sha256", record.sha256},
                                             {"size", record.size},
                                             {"md5", record.md5},
                                             {"sha1", record.sha1},
                                             {"media_type", record.media_type},
                                             {"origin", origin}}));
      // Placed last: if the commit then fails, an unreferenced file named by its own hash is harmless.
      return files_.Place(staged);
    });
    if (!status.ok()) {
      files_.Discard(staged);
      return status;
    }
    return record;
  }

  // Inserts one finding and its audit record. Must run inside InTransaction.
  Result<int64_t> InsertFinding(FindingRecord& finding) {
    finding.created_utc = UtcNowIso8601();
    std::string json_text = CanonicalJson(finding.json);
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db_->Prepare("INSERT INTO findings(job_id, evidence_id, artifact_sha256, plugin_id, plugin_version, kind, "
                     "severity, location, summary, json, created_utc) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    INTERDICT_RETURN_IF_ERROR(insert
                                  .BindAll(finding.job_id, finding.evidence_id, finding.artifact_sha256,
                                           finding.plugin_id, finding.plugin_version, finding.kind, finding.severity,
                                           finding.location, finding.summary, json_text, finding.created_utc)
                                  .Run());
    int64_t finding_id = db_->LastInsertRowId();
    // The audit holds a digest of the finding, not the finding: the chain stays small and still pins it.
    INTERDICT_RETURN_IF_ERROR(AppendAudit("plugin:" + finding.plugin_id + "@" + finding.plugin_version, "finding.added",
                                          {{"finding_id", finding_id},
                                           {"job_id", OptionalToJson(finding.job_id)},
                                           {"kind", finding.kind},
                                           {"severity", finding.severity},
                                           {"artifact_sha256", finding.artifact_sha256},
                                           {"json_sha256", Sha256Hex(json_text)}}));
    return finding_id;
  }

  static ArtifactRecord ReadArtifactRow(const SqliteStatement& select) {
    ArtifactRecord record;
    record.sha256 = select.ColumnText(0);
    record.size = static_cast<uint64_t>(select.ColumnInt(1));
    record.md5 = select.ColumnText(2);
    record.sha1 = select.ColumnText(3);
    record.media_type = select.ColumnText(4);
    record.created_utc = select.ColumnText(5);
    return record;
  }

  Result<ArtifactRecord> GetArtifactLocked(const std::string& sha256) {
    INTERDICT_ASSIGN_OR_RETURN(SqliteStatement select,
                               db_->Prepare("SELECT sha256, size, md5, sha1, media_type, created_utc FROM artifacts "
                                            "WHERE sha256 = ?1"));
    select.Bind(1, sha256);
    INTERDICT_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return Status::NotFound("no artifact " + sha256 + " in the case");
    return ReadArtifactRow(select);
  }

  Result<std::string> Fact(const std::string& key) {
    INTERDICT_ASSIGN_OR_RETURN(SqliteStatement select, db_->Prepare("SELECT value FROM case_info WHERE key = ?1"));
    select.Bind(1, key);
    INTERDICT_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return Status::NotFound("case_info has no " + key);
    return select.ColumnText(0);
  }

  Result<CaseInfo> InfoLocked() {
    CaseInfo info;
    INTERDICT_ASSIGN_OR_RETURN(info.case_uuid, Fact("case_uuid"));
    INTERDICT_ASSIGN_OR_RETURN(info.case_number, Fact("case_number"));
    INTERDICT_ASSIGN_OR_RETURN(info.examiner, Fact("examiner"));
    INTERDICT_ASSIGN_OR_RETURN(info.description, Fact("description"));
    INTERDICT_ASSIGN_OR_RETURN(info.created_utc, Fact("created_utc"));
    INTERDICT_ASSIGN_OR_RETURN(info.tool_version, Fact("tool_version"));
    return info;
  }

  Result<AuditRecord> AuditHeadLocked() {
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT seq, time_utc, actor, action, details_json, prev_hash, entry_hash FROM audit "
                     "ORDER BY seq DESC LIMIT 1"));
    INTERDICT_ASSIGN_OR_RETURN(bool row, select.Step());
    AuditRecord head;
    head.entry_hash = kGenesisHash;
    if (!row) return head;
    head.seq = select.ColumnInt(0);
    head.time_utc = select.ColumnText(1);
    head.actor = select.ColumnText(2);
    head.action = select.ColumnText(3);
    head.details = ParseJsonColumn(select.ColumnText(4));
    head.prev_hash = select.ColumnText(5);
    head.entry_hash = select.ColumnText(6);
    return head;
  }

  Result<std::vector<StoredAuditRow>> ReadAuditRows() {
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare(
            "SELECT seq, time_utc, actor, action, details_json, prev_hash, entry_hash FROM audit ORDER BY seq"));
    std::vector<StoredAuditRow> rows;
    INTERDICT_RETURN_IF_ERROR(select.ForEachRow([&](const SqliteStatement& row) {
      rows.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3), row.ColumnText(4),
                      row.ColumnText(5), row.ColumnText(6)});
    }));
    return rows;
  }

  Result<StoredTables> ReadTables() {
    StoredTables tables;
    INTERDICT_ASSIGN_OR_RETURN(SqliteStatement findings, db_->Prepare("SELECT id, json FROM findings ORDER BY id"));
    INTERDICT_RETURN_IF_ERROR(findings.ForEachRow([&](const SqliteStatement& row) {
      tables.findings.push_back({row.ColumnInt(0), row.ColumnText(1)});
    }));
    INTERDICT_ASSIGN_OR_RETURN(SqliteStatement artifacts,
                               db_->Prepare("SELECT sha256, size, md5, sha1, media_type, created_utc "
                                            "FROM artifacts ORDER BY sha256"));
    INTERDICT_RETURN_IF_ERROR(
        artifacts.ForEachRow([&](const SqliteStatement& row) { tables.artifacts.push_back(ReadArtifactRow(row)); }));
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement jobs,
        db_->Prepare(std::string("SELECT id, plugin_id, plugin_version, input_sha256, outcome, message, "
                                 "findings_count, ") +
                     (schema_version_ >= 2 ? "runner" : "''") + " FROM jobs ORDER BY id"));
    INTERDICT_RETURN_IF_ERROR(jobs.ForEachRow([&](const SqliteStatement& row) {
      tables.jobs.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3),
                             row.ColumnText(4), row.ColumnText(5), row.ColumnInt(6), row.ColumnText(7)});
    }));
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement evidence,
        db_->Prepare("SELECT id, uuid, label, kind, source, artifact_sha256, details_json FROM evidence ORDER BY id"));
    INTERDICT_RETURN_IF_ERROR(evidence.ForEachRow([&](const SqliteStatement& row) {
      tables.evidence.push_back({row.ColumnInt(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3),
                                 row.ColumnText(4), row.ColumnText(5), row.ColumnText(6)});
    }));
    return tables;
  }

  Result<std::vector<StoredSealRow>> ReadSealRows() {
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement select,
        db_->Prepare("SELECT id, seq, head_hash, public_key, signature, time_utc FROM audit_seals ORDER BY id"));
    std::vector<StoredSealRow> rows;
    INTERDICT_RETURN_IF_ERROR(select.ForEachRow([&](const SqliteStatement& row) {
      rows.push_back({row.ColumnInt(0), row.ColumnInt(1), row.ColumnText(2), row.ColumnText(3), row.ColumnText(4),
                      row.ColumnText(5)});
    }));
    return rows;
  }

  // Appends one record after the current head. Must run inside InTransaction (the write lock is held).
  Status AppendAudit(const std::string& actor, const std::string& action, const nlohmann::json& details) {
    INTERDICT_ASSIGN_OR_RETURN(AuditRecord head, AuditHeadLocked());
    int64_t seq = head.seq + 1;
    std::string time_utc = UtcNowIso8601();
    // Stored exactly as hashed, so a verifier re-parsing details_json gets the same canonical text.
    std::string details_text = CanonicalJson(details);
    std::string entry_hash =
        AuditEntryHash(head.entry_hash, CanonicalAuditEntry(seq, time_utc, actor, action, details));
    INTERDICT_ASSIGN_OR_RETURN(
        SqliteStatement insert,
        db_->Prepare("INSERT INTO audit(seq, time_utc, actor, action, details_json, prev_hash, entry_hash) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    return insert.BindAll(seq, time_utc, actor, action, details_text, head.entry_hash, entry_hash).Run();
  }

  // Other mutations are refused by SQLite itself; storing files is refused before anything is staged.
  Status RefuseIfReadOnly() const {
    if (read_only_) return Status::PermissionDenied("case " + dir_.string() + " is open read-only");
    return Status::Ok();
  }

  Status InTransaction(const std::function<Status()>& body) {
    INTERDICT_RETURN_IF_ERROR(db_->BeginImmediate());
    Status status = body();
    if (status.ok()) status = db_->Commit();
    if (!status.ok()) db_->Rollback();
    return status;
  }

  static std::string ActorFor(const std::optional<int64_t>& job_id) {
    return job_id.has_value() ? "job:" + std::to_string(*job_id) : CurrentUserActor();
  }

  std::filesystem::path dir_;
  ArtifactFiles files_;
  std::mutex mutex_;
  std::unique_ptr<SqliteDb> db_;
  const bool read_only_;
  int schema_version_ = kCaseSchemaVersion;
  std::string case_uuid_;
};

}  // namespace

std::string CurrentUserActor() {
  std::string user = "uid" + std::to_string(geteuid());
  if (const passwd* entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) user = entry->pw_name;
  return user + "@" + HostName();
}

Result<std::unique_ptr<CaseStore>> CaseStore::Create(const std::filesystem::path& dir, const CaseInfo& info,
                                                     const std::string& actor) {
  if (info.case_number.empty()) return Status::InvalidArgument("a case needs a case number");
  if (info.examiner.empty()) return Status::InvalidArgument("a case needs an examiner");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::path db_path = dir / kCaseDbFileName;
  // O_EXCL: of two processes creating the same case, exactly one wins; an existing case is never touched.
  int fd = open(db_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Status::PermissionDenied(dir.string() + " already holds a case");
    return Status::IoError("cannot create " + db_path.string() + ": " + std::strerror(errno));
  }
  close(fd);
  CaseInfo filled = info;
  if (filled.case_uuid.empty()) {
    INTERDICT_ASSIGN_OR_RETURN(filled.case_uuid, NewUuid());
  }
  if (filled.created_utc.empty()) filled.created_utc = UtcNowIso8601();
  if (filled.tool_version.empty()) filled.tool_version = INTERDICT_VERSION;

  auto created = [&]() -> Result<std::unique_ptr<CaseStore>> {
    INTERDICT_RETURN_IF_ERROR(ArtifactFiles(dir).CreateDirectories());
    INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(db_path, SqliteOpenMode::kReadWrite));
    auto store = std::make_unique<SqliteCaseStore>(dir, std::move(db), /*read_only=*/false);
    INTERDICT_RETURN_IF_ERROR(store->Initialise(filled, actor));
    return std::unique_ptr<CaseStore>(std::move(store));
  }();
  if (!created.ok()) {
    // Leave no half-made case behind to be mistaken for a real one.
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path.string() + suffix, ec);
  }
  return created;
}

namespace {

Result<std::unique_ptr<CaseStore>> OpenCase(const std::filesystem::path& dir, SqliteOpenMode mode) {
  std::filesystem::path db_path = dir / kCaseDbFileName;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path, ec)) {
    return Status::NotFound(dir.string() + " is not a case directory (no " + kCaseDbFileName + ")");
  }
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(db_path, mode));
  auto store = std::make_unique<SqliteCaseStore>(dir, std::move(db), mode == SqliteOpenMode::kReadOnly);
  INTERDICT_RETURN_IF_ERROR(store->CheckSchema());
  if (mode == SqliteOpenMode::kReadWrite) {
    INTERDICT_RETURN_IF_ERROR(store->Migrate(kCaseMaintenanceActor));
    INTERDICT_RETURN_IF_ERROR(store->RecoverAbandonedJobs(kCaseMaintenanceActor).status());
  }
  return std::unique_ptr<CaseStore>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<CaseStore>> CaseStore::Open(const std::filesystem::path& dir) {
  return OpenCase(dir, SqliteOpenMode::kReadWrite);
}

Result<std::unique_ptr<CaseStore>> CaseStore::OpenReadOnly(const std::filesystem::path& dir) {
  return OpenCase(dir, SqliteOpenMode::kReadOnly);
}

}  // namespace interdict
