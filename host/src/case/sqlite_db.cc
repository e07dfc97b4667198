#include "case/sqlite_db.h"

#include <cstdio>
#include <string>

namespace interdict {

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

SqliteStatement& SqliteStatement::Bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->Error(rc, "binding a parameter");
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->Error(rc, "binding a parameter");
  return *this;
}

SqliteStatement& SqliteStatement::Bind(int index, std::optional<int64_t> value) {
  return value.has_value() ? Bind(index, *value) : BindNull(index);
}

SqliteStatement& SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_status_.ok()) bind_status_ = db_->Error(rc, "binding a parameter");
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "running a statement");
}

Status SqliteStatement::Run() {
  INTERDICT_ASSIGN_OR_RETURN(bool row, Step());
  if (row) return Status::Internal("statement returned a row where none was expected");
  return Status::Ok();
}

int64_t SqliteStatement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool SqliteStatement::ColumnIsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::optional<int64_t> SqliteStatement::ColumnOptionalInt(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt(column);
}

namespace {

// file: URI for a path (RFC 3986 escaping of the characters SQLite's URI parser treats specially).
std::string FileUri(const std::filesystem::path& path, std::string_view query) {
  std::string uri = "file:";
  for (char c : path.string()) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", static_cast<unsigned char>(c));
      uri += escaped;
    } else {
      uri += c;
    }
  }
  return uri.append("?").append(query);
}

Result<sqlite3*> OpenHandle(const std::string& name, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  if (rc == SQLITE_OK) return raw;
  std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
  sqlite3_close(raw);
  return Status::IoError("cannot open " + name + ": " + message);
}

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::filesystem::path& path, SqliteOpenMode mode) {
  if (mode == SqliteOpenMode::kReadWrite) {
    INTERDICT_ASSIGN_OR_RETURN(sqlite3 * raw, OpenHandle(path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX));
    std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
    db->Configure();
    // WAL lets readers (verify, reports) run beside one writer; FULL sync because a case record that
    // vanishes on power loss is worse than a slower write.
    INTERDICT_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"));
    return db;
  }
  const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  std::unique_ptr<SqliteDb> db;
  auto read_only = OpenHandle(FileUri(path, "mode=ro"), flags);
  if (read_only.ok()) {
    db.reset(new SqliteDb(*read_only));
    db->Configure();
    // A WAL database opened read-only still needs its shared-memory index; where that cannot be created
    // the first read fails, and the file is then read as immutable.
    if (db->Exec("SELECT count(*) FROM sqlite_schema").ok()) return db;
    db.reset();
  }
  INTERDICT_ASSIGN_OR_RETURN(sqlite3 * raw, OpenHandle(FileUri(path, "mode=ro&immutable=1"), flags));
  db.reset(new SqliteDb(raw));
  db->Configure();
  return db;
}

void SqliteDb::Configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kSqliteBusyTimeoutMs);
  sqlite3_exec(db_, "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;", nullptr, nullptr, nullptr);
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  Status status = Error(rc, "executing SQL");
  return Status(status.code(), "executing SQL: " + text);
}

Result<SqliteStatement> SqliteDb::Prepare(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "preparing '" + sql + "'");
    found = statements_.emplace(sql, stmt).first;
  }
  return SqliteStatement(this, found->second);
}

void SqliteDb::Rollback() {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status SqliteDb::Error(int rc, std::string_view what) const {
  std::string message = std::string(what) + ": " + sqlite3_errmsg(db_);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corrupt(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(message);
    default:
      return Status::IoError(message);
  }
}

}  // namespace interdict
