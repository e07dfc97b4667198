// A thin RAII layer over the SQLite C API for the case store: one connection, a cache of prepared
// statements, and errors turned into Status. Hand-written rather than SQLiteCpp because we need
// BEGIN IMMEDIATE transactions with the busy handler, a statement cache and Status values, not exceptions.
//
// Not thread-safe: the owner (CaseStore) serialises calls.
#ifndef INTERDICT_CASE_SQLITE_DB_H_
#define INTERDICT_CASE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

// How long a connection waits for another process's write lock before giving up with kIoError.
inline constexpr int kSqliteBusyTimeoutMs = 60'000;

class SqliteDb;

// A prepared statement borrowed from the connection's cache; reset and unbound when it goes out of scope.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement(SqliteStatement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

  // Binds by 1-based index. Text is copied by SQLite.
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::optional<int64_t> value);  // NULL when empty
  SqliteStatement& BindNull(int index);
  // Binds every argument in order to ?1, ?2, ...
  template <typename... Args>
  SqliteStatement& BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
    return *this;
  }

  // Runs one step: true when a row is available, false when done; an error otherwise.
  Result<bool> Step();
  // Runs to completion, expecting no rows.
  Status Run();
  // Steps through every row, calling on_row for each.
  template <typename OnRow>
  Status ForEachRow(OnRow&& on_row) {
    for (;;) {
      INTERDICT_ASSIGN_OR_RETURN(bool row, Step());
      if (!row) return Status::Ok();
      on_row(static_cast<const SqliteStatement&>(*this));
    }
  }

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  Status bind_status_;
};

enum class SqliteOpenMode {
  kReadWrite,  // the file must exist; WAL journaling, FULL sync
  kReadOnly,   // never writes: mode=ro, or immutable=1 where even the shared-memory file cannot be made
               // (a case archived on read-only media)
};

class SqliteDb {
 public:
  // Opens an existing database with foreign keys on and the busy timeout set.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::filesystem::path& path, SqliteOpenMode mode);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Executes SQL text that returns no rows (may hold several statements).
  Status Exec(const std::string& sql);
  // Returns a cached prepared statement for the SQL text.
  Result<SqliteStatement> Prepare(const std::string& sql);

  // BEGIN IMMEDIATE takes the write lock up front so that reading the audit head and appending to it
  // cannot interleave with another process.
  Status BeginImmediate() { return Exec("BEGIN IMMEDIATE"); }
  Status BeginRead() { return Exec("BEGIN DEFERRED"); }
  Status Commit() { return Exec("COMMIT"); }
  void Rollback();

  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  int64_t Changes() const { return sqlite3_changes64(db_); }
  // "<what>: <sqlite message>" as a Status (busy/locked become kIoError; constraint kInvalidArgument).
  Status Error(int rc, std::string_view what) const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  void Configure();  // extended result codes, busy timeout, foreign keys, untrusted schema
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace interdict

#endif  // INTERDICT_CASE_SQLITE_DB_H_
