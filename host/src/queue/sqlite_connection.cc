#include "queue/sqlite_connection.h"

#include <sqlite3.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace interdict {

int64_t SqlRow::Int(size_t column) const {
  if (IsNull(column)) return 0;
  const std::string& text = *cells[column];
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

namespace {

// "$12" -> "?12" outside string literals, so one statement text serves both backends.
std::string ToSqlitePlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  bool in_literal = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') in_literal = !in_literal;
    if (!in_literal && c == '$' && i + 1 < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      out.push_back('?');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }

  Status Execute(const std::string& sql) override {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return Status::Ok();
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return ErrorFor(rc, text);
  }

  Result<std::vector<SqlRow>> Query(const std::string& sql, const std::vector<SqlValue>& params) override {
    INTERDICT_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    // Reset even on early return, so a cached statement never stays half-run holding a lock.
    struct Resetter {
      sqlite3_stmt* stmt;
      ~Resetter() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } resetter{stmt};
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(params[i])) {
        rc = sqlite3_bind_null(stmt, index);
      } else if (const auto* number = std::get_if<int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, index, *number);
      } else {
        const std::string& text = std::get<std::string>(params[i]);
        rc = sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return ErrorFor(rc, "binding a parameter");
    }
    std::vector<SqlRow> rows;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return ErrorFor(rc, sqlite3_errmsg(db_));
      SqlRow row;
      int columns = sqlite3_column_count(stmt);
      row.cells.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.cells.emplace_back(std::nullopt);
          continue;
        }
        const unsigned char* text = sqlite3_column_text(stmt, c);
        row.cells.emplace_back(std::string(reinterpret_cast<const char*>(text),
                                           static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status BeginWrite() override { return Execute("BEGIN IMMEDIATE"); }
  Status Commit() override { return Execute("COMMIT"); }
  void Rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  Result<sqlite3_stmt*> Prepare(const std::string& sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    std::string rewritten = ToSqlitePlaceholders(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, rewritten.c_str(), static_cast<int>(rewritten.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return ErrorFor(rc, std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    statements_.emplace(sql, stmt);
    return stmt;
  }

  static Status ErrorFor(int rc, const std::string& what) {
    int primary = rc & 0xff;
    std::string message = "sqlite: " + what;
    if (primary == SQLITE_CONSTRAINT) return Status::InvalidArgument(message);
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::IoError(message);
    if (primary == SQLITE_ERROR) return Status::Internal(message);
    return Status::IoError(message);
  }

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenSqliteConnection(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::IoError("opening queue " + path.string() + ": " + message);
  }
  sqlite3_busy_timeout(db, kQueueSqliteBusyTimeoutMs);
  auto connection = std::make_unique<SqliteConnection>(db);
  // WAL: readers never block the writer. NORMAL sync is durable across process crashes in WAL mode (only a
  // power loss can drop the last commits), and the queue's fencing makes a lost completion a harmless re-run.
  // Switching a new database to WAL needs it alone for a moment, and when several processes open it at once (a
  // worker starting while `queue status` runs) SQLite answers SQLITE_BUSY at once, without the busy handler; a
  // worker then died at start. So the switch is retried, within the same busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kQueueSqliteBusyTimeoutMs);
  for (;;) {
    rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kQueueSqliteWalRetryMs));
  }
  if (rc != SQLITE_OK) {
    return Status::IoError("opening queue " + path.string() + ": setting WAL mode: " + sqlite3_errmsg(db));
  }
  return std::unique_ptr<SqlConnection>(std::move(connection));
}

}  // namespace interdict
