// The two queue backends as test fixtures, so every queue test runs against both with one body.
// PostgreSQL tests need INTERDICT_TEST_PG_URL (scripts/run-tests starts a server and sets it); each test
// gets its own schema, so tests may run in parallel against one server.
#ifndef INTERDICT_TESTS_QUEUE_QUEUE_BACKENDS_H_
#define INTERDICT_TESTS_QUEUE_QUEUE_BACKENDS_H_

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "queue/job_queue.h"
#include "queue/pg_connection.h"

namespace interdict::testing {

inline std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  if (info != nullptr) {
    for (char c : std::string(info->name())) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  std::string lowered;
  for (char c : name) lowered += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lowered.substr(0, 60);
}

// A SQLite queue file in a fresh temporary folder.
class SqliteBackend {
 public:
  static constexpr const char* kName = "sqlite";
  // Returns false (and the reason) when this backend cannot run here.
  bool SetUp(std::string* /*skip_reason*/) {
    dir_ = std::filesystem::temp_directory_path() / UniqueName("interdict_queue");
    std::filesystem::create_directories(dir_);
    return true;
  }
  ~SqliteBackend() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string Url() const { return "sqlite:" + (dir_ / "queue.db").string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// A schema of its own in the test PostgreSQL database.
class PostgresBackend {
 public:
  static constexpr const char* kName = "postgresql";
  bool SetUp(std::string* skip_reason) {
    const char* url = std::getenv("INTERDICT_TEST_PG_URL");
    dir_ = std::filesystem::temp_directory_path() / UniqueName("interdict_queue_pg");
    std::filesystem::create_directories(dir_);
    if (url == nullptr || *url == '\0') {
      *skip_reason = "INTERDICT_TEST_PG_URL is not set: run through scripts/run-tests, which starts PostgreSQL";
      return false;
    }
    base_url_ = url;
    schema_ = UniqueName("q");
    auto admin = PgConnection::Open(base_url_);
    EXPECT_TRUE(admin.ok()) << admin.status().ToString();
    if (!admin.ok()) return false;
    Status created = (*admin)->Execute("CREATE SCHEMA " + schema_);
    EXPECT_TRUE(created.ok()) << created.ToString();
    return created.ok();
  }
  ~PostgresBackend() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    if (schema_.empty()) return;
    auto admin = PgConnection::Open(base_url_);
    if (admin.ok()) (void)(*admin)->Execute("DROP SCHEMA " + schema_ + " CASCADE");
  }
  // libpq URI with the schema as search_path for every connection made from it.
  std::string Url() const {
    return base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string base_url_;
  std::string schema_;
  std::filesystem::path dir_;
};

// Every queue test suite is typed over these, named "sqlite" and "postgresql" in test names.
using QueueBackends = ::testing::Types<SqliteBackend, PostgresBackend>;
class QueueBackendNames {
 public:
  template <typename T>
  static std::string GetName(int) { return T::kName; }
};

}  // namespace interdict::testing

#endif  // INTERDICT_TESTS_QUEUE_QUEUE_BACKENDS_H_
