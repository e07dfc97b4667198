// The little the queue needs from a SQL database, so that one implementation of the queue's rules
// (sql_job_queue.cc) runs on both SQLite and PostgreSQL with the same schema and the same statements.
//
// Statements use PostgreSQL's numbered placeholders ($1, $2, ...); the SQLite connection rewrites them to
// ?1, ?2. Values travel as text or integers; every cell comes back as text (or NULL).
//
// Not thread-safe: SqlJobQueue serialises calls on one connection.
#ifndef INTERDICT_QUEUE_SQL_CONNECTION_H_
#define INTERDICT_QUEUE_SQL_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace interdict {

using SqlValue = std::variant<std::nullptr_t, int64_t, std::string>;

struct SqlRow {
  std::vector<std::optional<std::string>> cells;

  bool IsNull(size_t column) const { return column >= cells.size() || !cells[column].has_value(); }
  std::string Text(size_t column) const { return IsNull(column) ? std::string() : *cells[column]; }
  int64_t Int(size_t column) const;  // 0 for NULL or text that is not a number
};

enum class SqlDialect { kSqlite, kPostgres };

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlDialect dialect() const = 0;

  // Runs SQL text without parameters (may hold several statements).
  virtual Status Execute(const std::string& sql) = 0;
  // Runs one statement with parameters and returns its rows (for UPDATE/INSERT: the RETURNING rows).
  virtual Result<std::vector<SqlRow>> Query(const std::string& sql, const std::vector<SqlValue>& params) = 0;

  // A transaction that will write: SQLite BEGIN IMMEDIATE (takes the write lock up front, so no
  // SQLITE_BUSY half-way through), PostgreSQL BEGIN.
  virtual Status BeginWrite() = 0;
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

// Rolls back unless Commit() was reached: keeps every early return in a transaction safe.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlConnection& connection) : connection_(connection) {}
  ~SqlTransaction() {
    if (open_) connection_.Rollback();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;

  Status Begin() {
    Status status = connection_.BeginWrite();
    open_ = status.ok();
    return status;
  }
  Status Commit() {
    open_ = false;
    return connection_.Commit();
  }

 private:
  SqlConnection& connection_;
  bool open_ = false;
};

}  // namespace interdict

#endif  // INTERDICT_QUEUE_SQL_CONNECTION_H_
