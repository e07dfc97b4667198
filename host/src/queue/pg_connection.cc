#include "queue/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <memory>
#include <string>
#include <vector>

namespace interdict {
namespace {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

class LibpqConnection final : public PgConnection {
 public:
  explicit LibpqConnection(PGconn* conn) : conn_(conn) {}
  ~LibpqConnection() override { PQfinish(conn_); }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  Status Execute(const std::string& sql) override {
    PgResultPtr result(PQexec(conn_, sql.c_str()));
    return CheckResult(result.get(), sql);
  }

  Result<std::vector<SqlRow>> Query(const std::string& sql, const std::vector<SqlValue>& params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* number = std::get_if<int64_t>(&params[i])) {
        texts[i] = std::to_string(*number);
        values[i] = texts[i].c_str();
      } else if (const auto* text = std::get_if<std::string>(&params[i])) {
        values[i] = text->c_str();
      }
    }
    PgResultPtr result(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                    nullptr, nullptr, 0));
    INTERDICT_RETURN_IF_ERROR(CheckResult(result.get(), sql));
    std::vector<SqlRow> rows;
    int row_count = PQntuples(result.get());
    int column_count = PQnfields(result.get());
    rows.reserve(static_cast<size_t>(row_count));
    for (int r = 0; r < row_count; ++r) {
      SqlRow row;
      for (int c = 0; c < column_count; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.cells.emplace_back(std::nullopt);
        } else {
          row.cells.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                             static_cast<size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status BeginWrite() override { return Execute("BEGIN"); }
  Status Commit() override { return Execute("COMMIT"); }
  void Rollback() override { PgResultPtr(PQexec(conn_, "ROLLBACK")); }

  Status Listen(const std::string& channel) override {
    char* quoted = PQescapeIdentifier(conn_, channel.c_str(), channel.size());
    if (quoted == nullptr) return Status::InvalidArgument("bad channel name " + channel);
    std::string sql = std::string("LISTEN ") + quoted;
    PQfreemem(quoted);
    return Execute(sql);
  }

  Result<bool> WaitForNotification(std::chrono::milliseconds timeout) override {
    if (TakeNotifications()) return true;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (fd.fd < 0) return Status::IoError("postgresql: connection has no socket");
    int ready = poll(&fd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) return false;  // EINTR: treat as a spurious wake-up
    if (ready == 0) return false;
    if (PQconsumeInput(conn_) == 0) return Status::IoError(std::string("postgresql: ") + PQerrorMessage(conn_));
    return TakeNotifications();
  }

 private:
  bool TakeNotifications() {
    bool any = false;
    while (PGnotify* notify = PQnotifies(conn_)) {
      any = true;
      PQfreemem(notify);
    }
    return any;
  }

  Status CheckResult(PGresult* result, const std::string& sql) {
    ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
    std::string message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string text = "postgresql: " + message + " (in: " + sql.substr(0, 120) + ")";
    // Class 23: integrity constraint violation (the caller's data); 08: connection trouble.
    if (sqlstate != nullptr && std::string_view(sqlstate).starts_with("23")) return Status::InvalidArgument(text);
    if (PQstatus(conn_) != CONNECTION_OK) {
      PQreset(conn_);  // so the next call can work again once the server is back
      return Status::IoError(text);
    }
    return Status::IoError(text);
  }

  PGconn* conn_;
};

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo) {
  // Later keys win, so the defaults come first and the caller's URI (expanded from dbname) overrides them.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  std::string timeout = std::to_string(kPgConnectTimeoutSeconds);
  const char* values[] = {timeout.c_str(), "interdict", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return Status::IoError("postgresql: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::IoError("postgresql: cannot connect: " + message);
  }
  auto connection = std::make_unique<LibpqConnection>(conn);
  // Warnings about existing schema objects are noise in the worker's log.
  INTERDICT_RETURN_IF_ERROR(connection->Execute("SET client_min_messages = warning"));
  return std::unique_ptr<PgConnection>(std::move(connection));
}

}  // namespace interdict
