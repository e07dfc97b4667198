// SqlConnection over one libpq connection (PostgreSQL 15): the queue for many servers.
// Hand-written over libpq rather than libpqxx 6.4 because the queue needs Status values instead of
// exceptions, and LISTEN/NOTIFY on a raw socket it can poll with a timeout.
#ifndef INTERDICT_QUEUE_PG_CONNECTION_H_
#define INTERDICT_QUEUE_PG_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>

#include "queue/sql_connection.h"

namespace interdict {

// The channel Submit/Retry/reaping NOTIFY and idle workers LISTEN on.
inline constexpr char kQueueNotifyChannel[] = "interdict_queue";
// Connecting gives up after this long (libpq connect_timeout).
inline constexpr int kPgConnectTimeoutSeconds = 10;

class PgConnection : public SqlConnection {
 public:
  // `conninfo` is a libpq connection URI or key=value string.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo);

  // LISTEN on `channel` (idempotent).
  virtual Status Listen(const std::string& channel) = 0;
  // Waits up to `timeout` for a notification on a listened channel; true if one (or more) arrived.
  virtual Result<bool> WaitForNotification(std::chrono::milliseconds timeout) = 0;
};

}  // namespace interdict

#endif  // INTERDICT_QUEUE_PG_CONNECTION_H_
