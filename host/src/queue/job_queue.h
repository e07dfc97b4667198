// The durable job queue: what runs which plugin over which input, and what became of it.
//
// A job is (plugin@version, input artifact, parameters, pack digest). Its life:
//
//     queued ──Lease──▶ leased ──Complete──▶ done
//       ▲                 │ └────Fail(kPermanent)──────────────▶ dead
//       │                 ├─Fail(kRetryable) / lease expired──▶ failed ──(backoff elapsed)──▶ leased ...
//       │                 │        (attempts == max_attempts)──▶ dead   (= quarantine, listed by `queue dead`)
//       └────Retry────────┴── dead | failed | cancelled          Cancel: queued | failed | leased ──▶ cancelled
//
// Promises every backend keeps (one typed test suite checks them against each):
//  - Submit is idempotent: the idempotency key (plugin@version + input SHA-256 + canonical parameters + pack
//    digest) is unique, so submitting the same work again returns the existing job, whatever its state, and
//    work already done by the same plugin version is never run again.
//  - A lease belongs to one owner and carries a fresh random token. Heartbeat, Complete and Fail are fenced on
//    (job id, owner, token, state leased): after the lease expired and was reaped, or the job was cancelled,
//    they return false and change nothing, so a worker that lost its lease can never record a result.
//  - Complete writes exactly one result row in the same transaction as the state change.
//  - attempts counts leases; a job whose attempts reach max_attempts and fails again (or whose lease expires
//    again, e.g. because the plugin crashed the worker) becomes dead: an input that crashes the same plugin
//    version N times is quarantined, never retried automatically.
//  - Retry backoff is exponential: not_before = now + min(base * 2^(attempts-1), cap).
//  - No transaction is held while a job runs: leasing and finishing are two short transactions; in between
//    the lease is kept alive by Heartbeat.
//
// Time comes from QueueOptions::now (epoch milliseconds), so tests can move it; servers sharing a PostgreSQL
// queue must keep their clocks in sync (NTP), as lease expiry compares their clocks.
//
// Thread-safety: a JobQueue may be used from several threads at once (each backend serialises its own
// connection). Several processes (and, with PostgreSQL, several machines) may share one queue.
#ifndef INTERDICT_QUEUE_JOB_QUEUE_H_
#define INTERDICT_QUEUE_JOB_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace interdict {

// Defaults and caps. A lease must outlive several heartbeats; see Worker for the heartbeat period.
inline constexpr int kDefaultMaxAttempts = 3;
inline constexpr int kMaxMaxAttempts = 100;
inline constexpr std::chrono::milliseconds kDefaultLeaseDuration{60'000};
inline constexpr std::chrono::milliseconds kDefaultRetryBackoffBase{2'000};
inline constexpr std::chrono::milliseconds kDefaultRetryBackoffCap{600'000};
inline constexpr size_t kMaxListedJobs = 10'000;       // List() never returns more rows than this
inline constexpr size_t kMaxJobErrorBytes = 4'096;     // last_error is cut to this length
inline constexpr size_t kMaxJobParamsBytes = 1 << 20;  // canonical parameters larger than this are refused
inline constexpr size_t kMaxJobResultBytes = 1 << 20;  // a result larger than this is refused

enum class JobState { kQueued, kLeased, kDone, kFailed, kDead, kCancelled };

std::string_view JobStateName(JobState state);  // "queued", "leased", ...
Result<JobState> ParseJobState(std::string_view name);

// What to run. plugin_id/version name the plugin ("org.interdict.firmware_scan", "1.0.0") or a built-in
// handler ("builtin:noop"); input_sha256 names the input artifact (empty for jobs without input).
struct JobRequest {
  std::string case_ref;       // the case folder the input lives in and results go to ("" for none)
  std::string plugin_id;
  std::string plugin_version;
  std::string input_sha256;
  std::string input_ref;      // display name / location chain of the input, for people
  nlohmann::json params = nlohmann::json::object();
  std::string pack_digest;    // SHA-256 of the rule/template packs the plugin will use ("" if none)
  int priority = 0;           // higher runs first
  int max_attempts = kDefaultMaxAttempts;
  std::optional<int64_t> parent_job_id;  // the job whose extracted artifact this job examines
};

// sha256(plugin_id "@" plugin_version "\n" input_sha256 "\n" canonical params "\n" pack_digest), hex.
// Canonical parameters: JSON with object keys sorted, no insignificant whitespace.
std::string IdempotencyKey(const JobRequest& request);

struct SubmitResult {
  int64_t job_id = 0;
  bool created = false;       // false: the same work was already on the queue (see state)
  JobState state = JobState::kQueued;
};

// A job this worker now holds. Everything needed to fence later calls is in here.
struct LeasedJob {
  int64_t job_id = 0;
  std::string owner;
  std::string lease_token;
  int attempts = 0;           // including this one
  int max_attempts = 0;
  int64_t lease_expires_ms = 0;
  std::string idempotency_key;
  JobRequest request;
};

struct JobInfo {
  int64_t job_id = 0;
  JobRequest request;
  std::string idempotency_key;
  JobState state = JobState::kQueued;
  int attempts = 0;
  int64_t not_before_ms = 0;
  std::string lease_owner;    // empty unless leased
  int64_t lease_expires_ms = 0;
  std::string last_error;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::optional<nlohmann::json> result;  // when done
};

struct QueueCounts {
  int64_t queued = 0, leased = 0, done = 0, failed = 0, dead = 0, cancelled = 0;
  int64_t results = 0;        // rows in the result table (equals done, unless something is very wrong)
  int64_t Total() const { return queued + leased + done + failed + dead + cancelled; }
};

enum class FailureKind {
  kRetryable,  // crashed, timed out, host trouble: try again after backoff, until max_attempts
  kPermanent,  // will fail the same way every time (plugin missing, refused by policy): dead now
};

struct RetryPolicy {
  std::chrono::milliseconds backoff_base = kDefaultRetryBackoffBase;
  std::chrono::milliseconds backoff_cap = kDefaultRetryBackoffCap;
  // Delay before the next attempt after `attempts` attempts (attempts >= 1).
  int64_t BackoffMs(int attempts) const;
};

struct QueueOptions {
  RetryPolicy retry;
  // Epoch milliseconds; defaults to the system clock.
  std::function<int64_t()> now;
};

struct JobFilter {
  std::optional<JobState> state;
  size_t limit = 1'000;       // capped at kMaxListedJobs
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view backend() const = 0;

  // Adds the job unless a job with the same idempotency key exists; see SubmitResult::created.
  virtual Result<SubmitResult> Submit(const JobRequest& request) = 0;

  // Takes the highest-priority, oldest runnable job (queued, or failed with its backoff elapsed) for
  // `owner` ("host:pid:slot") for `lease`; nullopt when nothing is runnable now.
  virtual Result<std::optional<LeasedJob>> Lease(const std::string& owner, std::chrono::milliseconds lease) = 0;

  // Extends the lease to now + lease. false: the lease is lost (expired and reaped, or cancelled); stop the
  // work and discard it.
  virtual Result<bool> Heartbeat(const LeasedJob& job, std::chrono::milliseconds lease) = 0;

  // Marks the job done and stores its result. false: the lease was lost and nothing was recorded.
  virtual Result<bool> Complete(const LeasedJob& job, const nlohmann::json& result) = 0;

  // Records a failed attempt: failed (retry after backoff) or dead (attempts exhausted, or kPermanent).
  // Returns the new state, or nullopt when the lease was lost and nothing changed.
  virtual Result<std::optional<JobState>> Fail(const LeasedJob& job, FailureKind kind, std::string_view error) = 0;

  // Turns every expired lease into a failed attempt (or dead, when attempts are exhausted). Returns how many.
  // Workers call it periodically; any process may.
  virtual Result<int64_t> ReapExpiredLeases() = 0;

  // dead, failed or cancelled → queued with attempts reset to 0. false when the job is in another state.
  virtual Result<bool> Retry(int64_t job_id) = 0;
  // queued, failed or leased → cancelled (a leased job's owner learns it at its next heartbeat).
  // false when the job is already done, dead or cancelled.
  virtual Result<bool> Cancel(int64_t job_id) = 0;

  virtual Result<std::optional<JobInfo>> Get(int64_t job_id) = 0;
  virtual Result<std::vector<JobInfo>> List(const JobFilter& filter) = 0;
  virtual Result<QueueCounts> Counts() = 0;

  // Blocks until work may have arrived or `timeout` passes. PostgreSQL: returns true when a NOTIFY from
  // Submit, Retry or reaping (on any server) arrived. SQLite has no notifications: it sleeps a short poll
  // interval (at most `timeout`) and returns false. Spurious wake-ups are allowed either way.
  virtual Result<bool> WaitForWork(std::chrono::milliseconds timeout) = 0;
};

// Opens (creating the schema if needed) the queue named by `url`:
//   sqlite:/path/to/queue.db            (also sqlite:relative/path)
//   postgresql://user@host:port/db?...  (also postgres://; libpq connection URI)
Result<std::unique_ptr<JobQueue>> OpenJobQueue(std::string_view url, QueueOptions options = {});

}  // namespace interdict

#endif  // INTERDICT_QUEUE_JOB_QUEUE_H_
