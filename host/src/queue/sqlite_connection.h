// SqlConnection over one SQLite connection in WAL mode with a busy timeout: the embedded queue for one
// server. WAL needs shared memory, so every process using the file must run on the same machine (never put
// the file on NFS/SMB; use PostgreSQL for several servers).
#ifndef INTERDICT_QUEUE_SQLITE_CONNECTION_H_
#define INTERDICT_QUEUE_SQLITE_CONNECTION_H_

#include <filesystem>
#include <memory>

#include "queue/sql_connection.h"

namespace interdict {

// How long a writer waits for another process's write lock before failing with kIoError.
inline constexpr int kQueueSqliteBusyTimeoutMs = 30'000;
inline constexpr int kQueueSqliteWalRetryMs = 10;  // pause between attempts to switch a new database to WAL

// Opens or creates the database file (its folder must exist).
Result<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::filesystem::path& path);

}  // namespace interdict

#endif  // INTERDICT_QUEUE_SQLITE_CONNECTION_H_
