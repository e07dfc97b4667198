// A case: one directory holding case.db (SQLite, schema in schema.sql), a content-addressed artifact store
// (artifacts/ab/cd/<sha256>) and the hash-chained audit log inside case.db.
//
//     CASE_DIR/case.db
//     CASE_DIR/artifacts/<sha256[0:2]>/<sha256[2:4]>/<sha256>   (read-only once stored)
//     CASE_DIR/acquisitions/<evidence-uuid>/...               (image segments, map files, logs in progress)
//
// Every mutating call appends an audit record (actor, action, details) in the same transaction, so the
// database never holds a change without its audit entry. Artifacts are immutable: storing the same bytes
// twice stores them once.
//
// Thread-safety: a CaseStore object may be used from several threads (calls are serialised internally);
// several processes may open the same case (SQLite WAL, busy timeout), e.g. workers of one lab server.
#ifndef INTERDICT_CASE_CASE_STORE_H_
#define INTERDICT_CASE_CASE_STORE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict {

// v2 added jobs.runner; a v1 case is migrated when opened for writing (and read as it is otherwise).
inline constexpr int kCaseSchemaVersion = 2;
inline constexpr char kCaseDbFileName[] = "case.db";
inline constexpr char kArtifactDirName[] = "artifacts";
inline constexpr char kGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

struct CaseInfo {
  std::string case_uuid;
  std::string case_number;
  std::string examiner;
  std::string description;
  std::string created_utc;
  std::string tool_version;
};

struct ArtifactRecord {
  std::string sha256;
  uint64_t size = 0;
  std::string md5;
  std::string sha1;
  std::string media_type;
  std::string created_utc;
};

struct EvidenceRecord {
  int64_t id = 0;
  std::string uuid;
  std::string label;
  std::string kind;    // 'usb-acquisition', 'image-file', 'file', 'folder'
  std::string source;  // 'usb:VID:PID:SERIAL', 'file:/path'
  std::string artifact_sha256;
  std::string added_utc;
  nlohmann::json details = nlohmann::json::object();
};

struct ArtifactName {
  std::string artifact_sha256;
  std::optional<int64_t> evidence_id;
  std::string parent_sha256;
  std::string name;
  std::string location;
  std::string role = "evidence";
  std::optional<int64_t> job_id;
};

struct JobRecord {
  int64_t id = 0;
  std::string plugin_id;
  std::string plugin_version;
  std::string input_sha256;
  std::optional<int64_t> evidence_id;
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json pack_digests = nlohmann::json::object();
  std::string outcome = "running";
  int attempts = 1;
  std::string message;
  std::string started_utc;
  std::string finished_utc;
  int64_t findings_count = 0;
  // The process that began the job (host, boot_id, pid_namespace, pid, pid_start_ticks); filled in by
  // BeginJob. Empty for jobs recorded before schema v2.
  nlohmann::json runner = nlohmann::json::object();
};

// Outcome given to a job whose process ended without recording one (killed, host crash or power loss).
inline constexpr char kInterruptedJobOutcome[] = "interrupted";

struct FindingRecord {
  int64_t id = 0;
  std::optional<int64_t> job_id;
  std::optional<int64_t> evidence_id;
  std::string artifact_sha256;
  std::string plugin_id;
  std::string plugin_version;
  std::string kind;
  std::string severity = "info";
  std::string location;
  std::string summary;
  nlohmann::json json = nlohmann::json::object();
  std::string created_utc;
};

struct AuditRecord {
  int64_t seq = 0;
  std::string time_utc;
  std::string actor;
  std::string action;
  nlohmann::json details = nlohmann::json::object();
  std::string prev_hash;
  std::string entry_hash;
};

struct AuditSeal {
  int64_t seq = 0;
  std::string head_hash;
  std::string public_key;
  std::string signature;
  std::string time_utc;
};

// One problem found by Verify: which record or artifact, and what is wrong with it.
struct VerificationProblem {
  std::string where;  // "audit seq 17", "artifact 3fa1...", "seal 2"
  std::string what;   // "entry hash does not match its contents", "content hash differs", ...
};

// What Verify checks beyond the chain and the artifacts.
struct VerifyOptions {
  // When set, every seal must have been made with this public key (hex), e.g. the lab key from
  // `interdict keys show`; otherwise each seal is checked against the public key it carries.
  std::optional<std::string> trusted_public_key;
  bool rehash_artifacts = true;  // re-read and re-hash every artifact file (slow for large images)
  // Called while re-hashing with the bytes re-read so far and the total size of all artifacts.
  std::function<void(uint64_t bytes_done, uint64_t bytes_total)> on_progress;
};

struct VerificationReport {
  int64_t audit_records_checked = 0;
  int64_t artifacts_checked = 0;
  int64_t seals_checked = 0;
  std::vector<VerificationProblem> problems;  // empty when everything verified; first break first
  bool ok() const { return problems.empty(); }
};

class CaseStore {
 public:
  // Creates a new case in an empty or non-existent directory. Refuses (kPermissionDenied) a directory that
  // already holds a case; never touches an existing case.db.
  static Result<std::unique_ptr<CaseStore>> Create(const std::filesystem::path& dir, const CaseInfo& info,
                                                   const std::string& actor);
  // Opens an existing case for writing. A case of an older schema is migrated (with an audit record), and
  // jobs left 'running' by a process of this host that no longer exists (killed, or from before a reboot)
  // are finished as kInterruptedJobOutcome with an audit record, so that no report shows them as still
  // running. Jobs begun on other hosts are left alone: this host cannot tell whether they are alive.
  static Result<std::unique_ptr<CaseStore>> Open(const std::filesystem::path& dir);
  // Opens an existing case without ever writing to it (verification, reports, a case on read-only media).
  // Every mutating call then fails with kPermissionDenied.
  static Result<std::unique_ptr<CaseStore>> OpenReadOnly(const std::filesystem::path& dir);
  virtual ~CaseStore() = default;

  virtual const std::filesystem::path& dir() const = 0;
  virtual Result<CaseInfo> Info() = 0;

  // Moves (or copies, if moving fails) the file into the artifact store, hashing it with MD5, SHA-1 and
  // SHA-256 on the way; returns the record. Storing bytes already present is a no-op returning the record.
  virtual Result<ArtifactRecord> StoreArtifactFile(const std::filesystem::path& file, const std::string& media_type,
                                                   bool move_file, const std::string& actor) = 0;
  virtual Result<ArtifactRecord> StoreArtifactBytes(std::string_view bytes, const std::string& media_type,
                                                    const std::string& actor) = 0;
  virtual Result<ArtifactRecord> GetArtifact(const std::string& sha256) = 0;
  virtual std::filesystem::path ArtifactPath(const std::string& sha256) const = 0;
  virtual Status AddArtifactName(const ArtifactName& name) = 0;
  virtual Result<std::vector<ArtifactName>> ArtifactNames(const std::string& sha256) = 0;

  virtual Result<EvidenceRecord> AddEvidence(EvidenceRecord evidence, const std::string& actor) = 0;
  virtual Status UpdateEvidenceDetails(int64_t evidence_id, const nlohmann::json& details,
                                       const std::string& actor) = 0;
  virtual Result<std::vector<EvidenceRecord>> ListEvidence() = 0;

  virtual Result<int64_t> BeginJob(JobRecord job, const std::string& actor) = 0;
  virtual Status FinishJob(int64_t job_id, const std::string& outcome, const std::string& message,
                           int64_t findings_count, const std::string& actor) = 0;
  virtual Result<std::vector<JobRecord>> ListJobs() = 0;

  virtual Result<int64_t> AddFinding(FindingRecord finding) = 0;
  virtual Result<std::vector<FindingRecord>> ListFindings() = 0;

  // Appends an audit record outside any other change (e.g. "report.generated").
  virtual Status Audit(const std::string& actor, const std::string& action, const nlohmann::json& details) = 0;
  virtual Result<std::vector<AuditRecord>> ListAudit() = 0;
  // Signs the current chain head with the lab key and stores the seal.
  virtual Result<AuditSeal> SealAudit(const class SigningKey& key, const std::string& actor) = 0;
  virtual Result<std::vector<AuditSeal>> ListSeals() = 0;

  // Recomputes the audit chain, every seal signature and every artifact's SHA-256.
  virtual Result<VerificationReport> Verify() = 0;

  // --- Additions (additive to the first interface) ---
  // Verify with options. Problems come in this order: audit chain (first break first), seals, artifacts.
  virtual Result<VerificationReport> Verify(const VerifyOptions& options) = 0;
  virtual Result<std::vector<ArtifactRecord>> ListArtifacts() = 0;
  // The last audit record (seq 0 and kGenesisHash for an empty log, which a created case never has).
  virtual Result<AuditRecord> AuditHead() = 0;
  // Adds many findings in one transaction (each with its own audit record): a commit costs an fsync, so a
  // scan with thousands of hits should batch them. All or none are stored. Returns the ids in order.
  virtual Result<std::vector<int64_t>> AddFindings(std::vector<FindingRecord> findings) = 0;
};

// "user@host" of the calling process: the default actor for commands run by a person.
std::string CurrentUserActor();

}  // namespace interdict

#endif  // INTERDICT_CASE_CASE_STORE_H_
