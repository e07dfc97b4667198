// Shared by the case tests: a scratch folder and raw SQL access to a case database (what an attacker with
// write access to the case directory could do).
#ifndef INTERDICT_TESTS_CASE_CASE_TEST_SUPPORT_H_
#define INTERDICT_TESTS_CASE_CASE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace interdict::testing {

// A fresh folder under the system temp dir, removed (with any read-only artifacts) at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "interdict-case-test-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs SQL on the case database through a separate connection; returns SQLite's error text or "".
inline std::string RawSql(const std::filesystem::path& case_dir, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open((case_dir / "case.db").c_str(), &db) != SQLITE_OK) {
    error = "cannot open";
  } else {
    char* message = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      error = message != nullptr ? message : "error";
    }
    sqlite3_free(message);
  }
  sqlite3_close(db);
  return error;
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Flips one byte of a stored (read-only) artifact the way a careless or hostile user could.
inline void FlipByte(const std::filesystem::path& path, size_t offset) {
  chmod(path.c_str(), 0644);
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekg(static_cast<std::streamoff>(offset));
  char byte = 0;
  file.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x01);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(&byte, 1);
}

}  // namespace interdict::testing

#endif  // INTERDICT_TESTS_CASE_CASE_TEST_SUPPORT_H_
