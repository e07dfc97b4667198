#include "queue/sql_job_queue.h"

#include <openssl/rand.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "queue/pg_connection.h"
#include "queue/sqlite_connection.h"

namespace interdict {
namespace {

constexpr char kSchemaTemplate[] = R"sql(
CREATE TABLE IF NOT EXISTS queue_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_jobs (
  id               @ID_COLUMN@,
  idem_key         TEXT NOT NULL UNIQUE,
  case_ref         TEXT NOT NULL DEFAULT '',
  plugin_id        TEXT NOT NULL,
  plugin_version   TEXT NOT NULL,
  input_sha256     TEXT NOT NULL DEFAULT '',
  input_ref        TEXT NOT NULL DEFAULT '',
  params_json      TEXT NOT NULL DEFAULT '{}',
  pack_digest      TEXT NOT NULL DEFAULT '',
  parent_job_id    BIGINT,
  state            TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued','leased','done','failed','dead','cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL DEFAULT 3,
  not_before_ms    BIGINT NOT NULL,
  lease_owner      TEXT,
  lease_token      TEXT,
  lease_expires_ms BIGINT,
  last_error       TEXT NOT NULL DEFAULT '',
  created_ms       BIGINT NOT NULL,
  updated_ms       BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_jobs_runnable ON queue_jobs (state, priority DESC, id);
CREATE INDEX IF NOT EXISTS queue_jobs_leases ON queue_jobs (state, lease_expires_ms);
-- One row per completed attempt, written in the same transaction as the state change to 'done'. Keyed by
-- attempt rather than job so that a fencing bug would show up as two rows, not be hidden by a constraint.
CREATE TABLE IF NOT EXISTS queue_results (
  job_id       BIGINT NOT NULL REFERENCES queue_jobs (id),
  attempt      INTEGER NOT NULL,
  lease_owner  TEXT NOT NULL,
  result_json  TEXT NOT NULL,
  completed_ms BIGINT NOT NULL,
  PRIMARY KEY (job_id, attempt)
);
)sql";

constexpr char kJobColumns[] =
    "id, idem_key, case_ref, plugin_id, plugin_version, input_sha256, input_ref, params_json, pack_digest, "
    "parent_job_id, state, priority, attempts, max_attempts, not_before_ms, lease_owner, lease_token, "
    "lease_expires_ms, last_error, created_ms, updated_ms";
enum JobColumn : size_t {
  kColId, kColIdemKey, kColCaseRef, kColPluginId, kColPluginVersion, kColInputSha256, kColInputRef,
  kColParams, kColPackDigest, kColParentJobId, kColState, kColPriority, kColAttempts, kColMaxAttempts,
  kColNotBefore, kColLeaseOwner, kColLeaseToken, kColLeaseExpires, kColLastError, kColCreated, kColUpdated,
};

constexpr size_t kLeaseTokenBytes = 16;

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> NewLeaseToken() {
  unsigned char bytes[kLeaseTokenBytes];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Status::Internal("no random bytes for a lease token");
  return ToHex(bytes, sizeof(bytes));
}

std::string CutError(std::string_view error) {
  return std::string(error.substr(0, std::min(error.size(), kMaxJobErrorBytes)));
}

JobRequest RequestFromRow(const SqlRow& row) {
  JobRequest request;
  request.case_ref = row.Text(kColCaseRef);
  request.plugin_id = row.Text(kColPluginId);
  request.plugin_version = row.Text(kColPluginVersion);
  request.input_sha256 = row.Text(kColInputSha256);
  request.input_ref = row.Text(kColInputRef);
  // The database is ours, but a damaged row must not take the worker down: unreadable params become null,
  // which every handler refuses as a permanent failure.
  request.params = nlohmann::json::parse(row.Text(kColParams), nullptr, /*allow_exceptions=*/false);
  if (request.params.is_discarded()) request.params = nullptr;
  request.pack_digest = row.Text(kColPackDigest);
  request.priority = static_cast<int>(row.Int(kColPriority));
  request.max_attempts = static_cast<int>(row.Int(kColMaxAttempts));
  if (!row.IsNull(kColParentJobId)) request.parent_job_id = row.Int(kColParentJobId);
  return request;
}

Result<JobInfo> InfoFromRow(const SqlRow& row) {
  JobInfo info;
  info.job_id = row.Int(kColId);
  info.request = RequestFromRow(row);
  info.idempotency_key = row.Text(kColIdemKey);
  INTERDICT_ASSIGN_OR_RETURN(info.state, ParseJobState(row.Text(kColState)));
  info.attempts = static_cast<int>(row.Int(kColAttempts));
  info.not_before_ms = row.Int(kColNotBefore);
  info.lease_owner = row.Text(kColLeaseOwner);
  info.lease_expires_ms = row.Int(kColLeaseExpires);
  info.last_error = row.Text(kColLastError);
  info.created_ms = row.Int(kColCreated);
  info.updated_ms = row.Int(kColUpdated);
  return info;
}

Status ValidateRequest(const JobRequest& request, const std::string& params_text) {
  if (request.plugin_id.empty() || request.plugin_version.empty())
    return Status::InvalidArgument("a job needs a plugin id and version");
  if (request.max_attempts < 1 || request.max_attempts > kMaxMaxAttempts)
    return Status::InvalidArgument("max_attempts must be between 1 and " + std::to_string(kMaxMaxAttempts));
  if (!request.params.is_object()) return Status::InvalidArgument("job parameters must be a JSON object");
  if (params_text.size() > kMaxJobParamsBytes) return Status::LimitExceeded("job parameters are too large");
  if (!request.input_sha256.empty()) {
    bool hex = request.input_sha256.size() == 64 &&
               request.input_sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) return Status::InvalidArgument("input SHA-256 must be 64 lowercase hex digits");
  }
  return Status::Ok();
}

// Connections for one queue object. SQLite uses exactly one (its writers serialise on the file lock anyway);
// PostgreSQL opens up to kMaxPgConnectionsPerQueue on demand, so the slots of one worker talk to the server
// in parallel instead of queueing behind one connection.
class ConnectionPool {
 public:
  using Connector = std::function<Result<std::unique_ptr<SqlConnection>>()>;
  ConnectionPool(std::unique_ptr<SqlConnection> first, Connector connect, size_t max_connections)
      : connect_(std::move(connect)), max_connections_(max_connections), opened_(1) {
    idle_.push_back(std::move(first));
  }

  // A connection borrowed from the pool; returned when this goes out of scope.
  class Borrowed {
   public:
    Borrowed(ConnectionPool* pool, std::unique_ptr<SqlConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Borrowed(Borrowed&& other) noexcept = default;
    Borrowed& operator=(Borrowed&&) = delete;
    ~Borrowed() {
      if (connection_) pool_->Return(std::move(connection_));
    }
    SqlConnection* operator->() { return connection_.get(); }
    SqlConnection& operator*() { return *connection_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<SqlConnection> connection_;
  };

  Result<Borrowed> Acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty() || opened_ < max_connections_; });
    if (!idle_.empty()) {
      std::unique_ptr<SqlConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Borrowed(this, std::move(connection));
    }
    ++opened_;
    lock.unlock();
    auto connection = connect_();
    if (!connection.ok()) {
      lock.lock();
      --opened_;
      available_.notify_one();
      return connection.status();
    }
    return Borrowed(this, std::move(connection).value());
  }

 private:
  void Return(std::unique_ptr<SqlConnection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(connection));
    available_.notify_one();
  }

  Connector connect_;
  size_t max_connections_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  size_t opened_;
};

class SqlJobQueue final : public JobQueue {
 public:
  SqlJobQueue(std::unique_ptr<SqlConnection> connection, ConnectionPool::Connector connect, size_t max_connections,
              std::unique_ptr<PgConnection> listener, QueueOptions options)
      : dialect_(connection->dialect()),
        pool_(std::move(connection), std::move(connect), max_connections),
        listener_(std::move(listener)),
        options_(std::move(options)) {
    if (!options_.now) options_.now = SystemNowMs;
  }

  std::string_view backend() const override {
    return IsPostgres() ? "postgresql" : "sqlite";
  }

  Status CreateSchema() {
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    SqlTransaction transaction(*connection);
    INTERDICT_RETURN_IF_ERROR(transaction.Begin());
    if (IsPostgres()) {
      // CREATE TABLE IF NOT EXISTS is not safe against a concurrent CREATE in PostgreSQL.
      INTERDICT_RETURN_IF_ERROR(connection->Execute("SELECT pg_advisory_xact_lock(7007001)"));
    }
    INTERDICT_RETURN_IF_ERROR(connection->Execute(QueueSchemaSql(dialect_)));
    INTERDICT_ASSIGN_OR_RETURN(auto rows, connection->Query("SELECT value FROM queue_meta WHERE key = 'schema_version'", {}));
    if (rows.empty()) {
      INTERDICT_RETURN_IF_ERROR(
          connection
              ->Query("INSERT INTO queue_meta (key, value) VALUES ('schema_version', $1)",
                      {std::to_string(kQueueSchemaVersion)})
              .status());
    } else if (rows[0].Int(0) > kQueueSchemaVersion) {
      return Status::Unsupported("queue schema version " + rows[0].Text(0) + " is newer than this interdict (" +
                                 std::to_string(kQueueSchemaVersion) + "); upgrade every server");
    }
    if (listener_) INTERDICT_RETURN_IF_ERROR(listener_->Listen(kQueueNotifyChannel));
    return transaction.Commit();
  }

  Result<SubmitResult> Submit(const JobRequest& request) override {
    std::string params_text = request.params.is_object() ? request.params.dump() : std::string();
    INTERDICT_RETURN_IF_ERROR(ValidateRequest(request, params_text));
    std::string key = IdempotencyKey(request);
    int64_t now = options_.now();
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(
        auto inserted,
        connection->Query(
            "INSERT INTO queue_jobs (idem_key, case_ref, plugin_id, plugin_version, input_sha256, input_ref, "
            "params_json, pack_digest, parent_job_id, priority, max_attempts, not_before_ms, created_ms, updated_ms) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12) "
            "ON CONFLICT (idem_key) DO NOTHING RETURNING id",
            {key, request.case_ref, request.plugin_id, request.plugin_version, request.input_sha256,
             request.input_ref, params_text, request.pack_digest,
             request.parent_job_id ? SqlValue(*request.parent_job_id) : SqlValue(nullptr),
             int64_t{request.priority}, int64_t{request.max_attempts}, now}));
    if (!inserted.empty()) {
      Notify(*connection);
      return SubmitResult{inserted[0].Int(0), true, JobState::kQueued};
    }
    INTERDICT_ASSIGN_OR_RETURN(auto existing,
                               connection->Query("SELECT id, state FROM queue_jobs WHERE idem_key = $1", {key}));
    if (existing.empty()) return Status::Internal("job vanished after an idempotency conflict");
    INTERDICT_ASSIGN_OR_RETURN(JobState state, ParseJobState(existing[0].Text(1)));
    return SubmitResult{existing[0].Int(0), false, state};
  }

  Result<std::optional<LeasedJob>> Lease(const std::string& owner, std::chrono::milliseconds lease) override {
    if (owner.empty()) return Status::InvalidArgument("a lease needs an owner");
    INTERDICT_ASSIGN_OR_RETURN(std::string token, NewLeaseToken());
    int64_t now = options_.now();
    // SKIP LOCKED: concurrent PostgreSQL workers each take a different row instead of queueing behind one.
    std::string sql = std::string("UPDATE queue_jobs SET state = 'leased', lease_owner = $1, lease_token = $2, "
                                  "lease_expires_ms = $3, attempts = attempts + 1, updated_ms = $4 "
                                  "WHERE id = (SELECT id FROM queue_jobs WHERE state IN ('queued', 'failed') "
                                  "AND not_before_ms <= $4 ORDER BY priority DESC, id LIMIT 1") +
                      (IsPostgres() ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " + kJobColumns;
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(auto rows, connection->Query(sql, {owner, token, now + lease.count(), now}));
    if (rows.empty()) return std::optional<LeasedJob>();
    LeasedJob job;
    job.job_id = rows[0].Int(kColId);
    job.owner = owner;
    job.lease_token = token;
    job.attempts = static_cast<int>(rows[0].Int(kColAttempts));
    job.max_attempts = static_cast<int>(rows[0].Int(kColMaxAttempts));
    job.lease_expires_ms = rows[0].Int(kColLeaseExpires);
    job.idempotency_key = rows[0].Text(kColIdemKey);
    job.request = RequestFromRow(rows[0]);
    return std::optional<LeasedJob>(std::move(job));
  }

  Result<bool> Heartbeat(const LeasedJob& job, std::chrono::milliseconds lease) override {
    int64_t now = options_.now();
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(
        auto rows, connection->Query("UPDATE queue_jobs SET lease_expires_ms = $1, updated_ms = $2 "
                                      "WHERE id = $3 AND state = 'leased' AND lease_owner = $4 AND lease_token = $5 "
                                      "RETURNING id",
                                      {now + lease.count(), now, job.job_id, job.owner, job.lease_token}));
    return !rows.empty();
  }

  Result<bool> Complete(const LeasedJob& job, const nlohmann::json& result) override {
    std::string result_text = result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (result_text.size() > kMaxJobResultBytes) return Status::LimitExceeded("job result is too large");
    int64_t now = options_.now();
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    SqlTransaction transaction(*connection);
    INTERDICT_RETURN_IF_ERROR(transaction.Begin());
    INTERDICT_ASSIGN_OR_RETURN(
        auto rows, connection->Query("UPDATE queue_jobs SET state = 'done', lease_token = NULL, "
                                      "lease_expires_ms = NULL, last_error = '', updated_ms = $1 "
                                      "WHERE id = $2 AND state = 'leased' AND lease_owner = $3 AND lease_token = $4 "
                                      "RETURNING attempts",
                                      {now, job.job_id, job.owner, job.lease_token}));
    if (rows.empty()) return false;  // fenced out: the transaction rolls back, nothing recorded
    INTERDICT_RETURN_IF_ERROR(connection
                                  ->Query("INSERT INTO queue_results (job_id, attempt, lease_owner, result_json, "
                                          "completed_ms) VALUES ($1, $2, $3, $4, $5)",
                                          {job.job_id, rows[0].Int(0), job.owner, result_text, now})
                                  .status());
    INTERDICT_RETURN_IF_ERROR(transaction.Commit());
    return true;
  }

  Result<std::optional<JobState>> Fail(const LeasedJob& job, FailureKind kind, std::string_view error) override {
    int64_t now = options_.now();
    bool exhausted = kind == FailureKind::kPermanent || job.attempts >= job.max_attempts;
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    // attempts and max_attempts are compared again in SQL: the row, not the caller's copy, is the truth.
    INTERDICT_ASSIGN_OR_RETURN(
        auto rows,
        connection->Query("UPDATE queue_jobs SET state = CASE WHEN $1 = 1 OR attempts >= max_attempts "
                           "THEN 'dead' ELSE 'failed' END, not_before_ms = $2, lease_token = NULL, "
                           "lease_expires_ms = NULL, last_error = $3, updated_ms = $4 "
                           "WHERE id = $5 AND state = 'leased' AND lease_owner = $6 AND lease_token = $7 "
                           "RETURNING state",
                           {int64_t{exhausted ? 1 : 0}, now + options_.retry.BackoffMs(job.attempts),
                            CutError(error), now, job.job_id, job.owner, job.lease_token}));
    if (rows.empty()) return std::optional<JobState>();
    INTERDICT_ASSIGN_OR_RETURN(JobState state, ParseJobState(rows[0].Text(0)));
    return std::optional<JobState>(state);
  }

  Result<int64_t> ReapExpiredLeases() override {
    int64_t now = options_.now();
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    SqlTransaction transaction(*connection);
    INTERDICT_RETURN_IF_ERROR(transaction.Begin());
    INTERDICT_ASSIGN_OR_RETURN(
        auto expired,
        connection->Query(std::string("SELECT id, attempts, lease_owner, lease_token FROM queue_jobs "
                                       "WHERE state = 'leased' AND lease_expires_ms < $1") +
                               (IsPostgres() ? " FOR UPDATE SKIP LOCKED" : ""),
                           {now}));
    int64_t reaped = 0;
    for (const SqlRow& row : expired) {
      std::string error = "lease of " + row.Text(2) + " expired (worker died or stalled)";
      INTERDICT_ASSIGN_OR_RETURN(
          auto updated,
          connection->Query("UPDATE queue_jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' "
                             "ELSE 'failed' END, not_before_ms = $1, lease_token = NULL, lease_expires_ms = NULL, "
                             "last_error = $2, updated_ms = $3 WHERE id = $4 AND state = 'leased' "
                             "AND lease_token = $5 RETURNING id",
                             {now + options_.retry.BackoffMs(static_cast<int>(row.Int(1))), error, now, row.Int(0),
                              row.Text(3)}));
      reaped += static_cast<int64_t>(updated.size());
    }
    INTERDICT_RETURN_IF_ERROR(transaction.Commit());
    if (reaped > 0) Notify(*connection);
    return reaped;
  }

  Result<bool> Retry(int64_t job_id) override {
    int64_t now = options_.now();
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(
        auto rows, connection->Query("UPDATE queue_jobs SET state = 'queued', attempts = 0, not_before_ms = $1, "
                                      "lease_owner = NULL, lease_token = NULL, lease_expires_ms = NULL, "
                                      "updated_ms = $1 WHERE id = $2 AND state IN ('dead', 'failed', 'cancelled') "
                                      "RETURNING id",
                                      {now, job_id}));
    if (!rows.empty()) Notify(*connection);
    return !rows.empty();
  }

  Result<bool> Cancel(int64_t job_id) override {
    int64_t now = options_.now();
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(
        auto rows, connection->Query("UPDATE queue_jobs SET state = 'cancelled', lease_token = NULL, "
                                      "lease_expires_ms = NULL, last_error = 'cancelled', updated_ms = $1 "
                                      "WHERE id = $2 AND state IN ('queued', 'failed', 'leased') RETURNING id",
                                      {now, job_id}));
    return !rows.empty();
  }

  Result<std::optional<JobInfo>> Get(int64_t job_id) override {
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(
        auto rows, connection->Query(std::string("SELECT ") + kJobColumns + " FROM queue_jobs WHERE id = $1", {job_id}));
    if (rows.empty()) return std::optional<JobInfo>();
    INTERDICT_ASSIGN_OR_RETURN(JobInfo info, InfoFromRow(rows[0]));
    INTERDICT_ASSIGN_OR_RETURN(
        auto results, connection->Query("SELECT result_json FROM queue_results WHERE job_id = $1 "
                                         "ORDER BY attempt DESC LIMIT 1",
                                         {job_id}));
    if (!results.empty()) {
      nlohmann::json result = nlohmann::json::parse(results[0].Text(0), nullptr, false);
      if (!result.is_discarded()) info.result = std::move(result);
    }
    return std::optional<JobInfo>(std::move(info));
  }

  Result<std::vector<JobInfo>> List(const JobFilter& filter) override {
    int64_t limit = static_cast<int64_t>(std::min(filter.limit, kMaxListedJobs));
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    std::vector<SqlRow> rows;
    if (filter.state) {
      INTERDICT_ASSIGN_OR_RETURN(rows, connection->Query(std::string("SELECT ") + kJobColumns +
                                                              " FROM queue_jobs WHERE state = $1 ORDER BY id LIMIT $2",
                                                          {std::string(JobStateName(*filter.state)), limit}));
    } else {
      INTERDICT_ASSIGN_OR_RETURN(
          rows, connection->Query(std::string("SELECT ") + kJobColumns + " FROM queue_jobs ORDER BY id LIMIT $1",
                                   {limit}));
    }
    std::vector<JobInfo> jobs;
    jobs.reserve(rows.size());
    for (const SqlRow& row : rows) {
      INTERDICT_ASSIGN_OR_RETURN(JobInfo info, InfoFromRow(row));
      jobs.push_back(std::move(info));
    }
    return jobs;
  }

  Result<QueueCounts> Counts() override {
    INTERDICT_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    INTERDICT_ASSIGN_OR_RETURN(auto rows,
                               connection->Query("SELECT state, COUNT(*) FROM queue_jobs GROUP BY state", {}));
    QueueCounts counts;
    for (const SqlRow& row : rows) {
      INTERDICT_ASSIGN_OR_RETURN(JobState state, ParseJobState(row.Text(0)));
      int64_t n = row.Int(1);
      switch (state) {
        case JobState::kQueued: counts.queued = n; break;
        case JobState::kLeased: counts.leased = n; break;
        case JobState::kDone: counts.done = n; break;
        case JobState::kFailed: counts.failed = n; break;
        case JobState::kDead: counts.dead = n; break;
        case JobState::kCancelled: counts.cancelled = n; break;
      }
    }
    INTERDICT_ASSIGN_OR_RETURN(auto results, connection->Query("SELECT COUNT(*) FROM queue_results", {}));
    counts.results = results.empty() ? 0 : results[0].Int(0);
    return counts;
  }

  Result<bool> WaitForWork(std::chrono::milliseconds timeout) override {
    if (!listener_) {
      std::this_thread::sleep_for(std::min(timeout, kSqlitePollInterval));
      return false;
    }
    std::lock_guard<std::mutex> lock(listen_mutex_);
    return listener_->WaitForNotification(timeout);
  }

 private:
  bool IsPostgres() const { return dialect_ == SqlDialect::kPostgres; }

  // Best effort: a lost notification only delays an idle worker until its next poll.
  void Notify(SqlConnection& connection) {
    if (IsPostgres()) (void)connection.Execute(std::string("NOTIFY ") + kQueueNotifyChannel);
  }

  SqlDialect dialect_;
  ConnectionPool pool_;
  std::mutex listen_mutex_;  // guards listener_
  std::unique_ptr<PgConnection> listener_;
  QueueOptions options_;
};

}  // namespace

std::string QueueSchemaSql(SqlDialect dialect) {
  std::string schema = kSchemaTemplate;
  const std::string placeholder = "@ID_COLUMN@";
  // Both are 64-bit auto-assigned keys; SQLite needs exactly "INTEGER PRIMARY KEY" to alias the rowid.
  schema.replace(schema.find(placeholder), placeholder.size(),
                 dialect == SqlDialect::kPostgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY");
  return schema;
}

Result<std::unique_ptr<JobQueue>> OpenSqliteJobQueue(const std::string& path, QueueOptions options) {
  INTERDICT_ASSIGN_OR_RETURN(auto connection, OpenSqliteConnection(path));
  // One connection: SQLite writers serialise on the file lock, so more would only wait for each other.
  auto queue = std::make_unique<SqlJobQueue>(std::move(connection), nullptr, 1, nullptr, std::move(options));
  INTERDICT_RETURN_IF_ERROR(queue->CreateSchema());
  return std::unique_ptr<JobQueue>(std::move(queue));
}

Result<std::unique_ptr<JobQueue>> OpenPostgresJobQueue(const std::string& conninfo, QueueOptions options) {
#ifndef INTERDICT_HAVE_POSTGRESQL
  (void)conninfo;
  (void)options;
  return Status::Unsupported("this interdict was built without PostgreSQL (INTERDICT_WITH_POSTGRESQL=OFF)");
#else
  INTERDICT_ASSIGN_OR_RETURN(auto connection, PgConnection::Open(conninfo));
  // A second connection only listens, so a worker waiting for work never blocks the one that writes.
  INTERDICT_ASSIGN_OR_RETURN(auto listener, PgConnection::Open(conninfo));
  ConnectionPool::Connector connect = [conninfo]() -> Result<std::unique_ptr<SqlConnection>> {
    INTERDICT_ASSIGN_OR_RETURN(auto more, PgConnection::Open(conninfo));
    return std::unique_ptr<SqlConnection>(std::move(more));
  };
  auto queue = std::make_unique<SqlJobQueue>(std::move(connection), std::move(connect), kMaxPgConnectionsPerQueue,
                                             std::move(listener), std::move(options));
  INTERDICT_RETURN_IF_ERROR(queue->CreateSchema());
  return std::unique_ptr<JobQueue>(std::move(queue));
#endif
}

}  // namespace interdict
