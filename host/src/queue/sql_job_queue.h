// The queue's rules written once, in SQL both backends understand, over a SqlConnection. The SQLite and
// PostgreSQL backends differ only in the connection, in how the oldest runnable job is locked (PostgreSQL
// adds FOR UPDATE SKIP LOCKED so that concurrent workers never wait on each other's rows) and in how idle
// workers are woken (PostgreSQL LISTEN/NOTIFY; SQLite polls).
#ifndef INTERDICT_QUEUE_SQL_JOB_QUEUE_H_
#define INTERDICT_QUEUE_SQL_JOB_QUEUE_H_

#include <chrono>
#include <memory>
#include <string>

#include "queue/job_queue.h"
#include "queue/sql_connection.h"

namespace interdict {

inline constexpr int kQueueSchemaVersion = 1;
// How often an idle SQLite worker looks for new work (it has no notifications).
inline constexpr std::chrono::milliseconds kSqlitePollInterval{100};
// A PostgreSQL queue object opens at most this many connections (plus one that only listens).
inline constexpr size_t kMaxPgConnectionsPerQueue = 16;

// The schema, with the one dialect difference (the id column) filled in.
std::string QueueSchemaSql(SqlDialect dialect);

// Opens the SQLite queue at `path`, creating the file and schema if needed.
Result<std::unique_ptr<JobQueue>> OpenSqliteJobQueue(const std::string& path, QueueOptions options);
// Opens the PostgreSQL queue at `conninfo`, creating the schema if needed (serialised by an advisory lock
// so that many servers starting at once do not race).
Result<std::unique_ptr<JobQueue>> OpenPostgresJobQueue(const std::string& conninfo, QueueOptions options);

}  // namespace interdict

#endif  // INTERDICT_QUEUE_SQL_JOB_QUEUE_H_
