// Helpers shared by the firmware-scan tests: temporary folders, archives built with libarchive's writer,
// a walk that collects its records, and the paths of the bundled packs.
#ifndef INTERDICT_TESTS_FIRMWARE_SCAN_FWSCAN_TEST_SUPPORT_H_
#define INTERDICT_TESTS_FIRMWARE_SCAN_FWSCAN_TEST_SUPPORT_H_

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "byte_source.h"
#include "layer_scanner.h"
#include "layer_walker.h"
#include "rule_set.h"
#include "scan_session.h"

namespace fwtest {

using namespace interdict;
using namespace interdict::fwscan;

inline std::filesystem::path SignaturesDir() { return std::filesystem::path(INTERDICT_SOURCE_DIR) / "signatures/yara"; }
inline std::vector<std::string> BundledPacks() { return {"android-firmware", "crypto-constants", "example-comms-indicators"}; }

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("fwscan-" + std::string(info->test_suite_name()) + "-" + info->name() + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Little-endian stores into a byte vector (the caller sized it).
inline void Put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
inline void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void Put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  Put32(b, at, static_cast<uint32_t>(v));
  Put32(b, at + 4, static_cast<uint32_t>(v >> 32));
}

// A GPT disk of `sectors` sectors with partitions (name, first LBA, last LBA); no CRCs (the unpacker
// does not require them).
inline std::vector<uint8_t> GptDisk(uint64_t sectors, const std::vector<std::tuple<std::string, uint64_t, uint64_t>>& parts) {
  std::vector<uint8_t> disk(sectors * 512);
  disk[510] = 0x55;
  disk[511] = 0xAA;
  std::memcpy(&disk[512], "EFI PART", 8);
  Put32(disk, 512 + 12, 92);
  Put64(disk, 512 + 72, 2);
  Put32(disk, 512 + 80, 128);
  Put32(disk, 512 + 84, 128);
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t e = 1024 + 128 * i;
    disk[e] = 0xAF;  // a non-zero type GUID
    Put64(disk, e + 32, std::get<1>(parts[i]));
    Put64(disk, e + 40, std::get<2>(parts[i]));
    const std::string& name = std::get<0>(parts[i]);
    for (size_t k = 0; k < name.size(); ++k) disk[e + 56 + 2 * k] = static_cast<uint8_t>(name[k]);
  }
  return disk;
}

inline void WriteFile(const std::filesystem::path& path, const std::vector<uint8_t>& data) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline std::vector<uint8_t> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// An archive in memory, written with libarchive (format e.g. ARCHIVE_FORMAT_ZIP, filter e.g.
// ARCHIVE_FILTER_GZIP or ARCHIVE_FILTER_NONE).
inline std::vector<uint8_t> MakeArchive(int format, int filter,
                                        const std::vector<std::pair<std::string, std::vector<uint8_t>>>& members) {
  std::vector<uint8_t> out(64 << 20);
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format(a, format);
  archive_write_add_filter(a, filter);
  if (format == ARCHIVE_FORMAT_ZIP) archive_write_set_options(a, "zip:compression=deflate");
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& [name, data] : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

// The bundled packs, verified against the bundled trusted keys and compiled.
inline std::shared_ptr<const RuleSet> BundledRules() {
  ScanConfig config;
  for (const auto& name : BundledPacks()) config.packs.push_back(SignaturesDir() / name);
  config.trusted_keys_dir = SignaturesDir() / "trusted-keys";
  auto rules = LoadVerifiedRuleSet(config);
  EXPECT_TRUE(rules.ok()) << rules.status().ToString();
  return rules.ok() ? *rules : nullptr;
}

inline std::shared_ptr<const RuleSet> CompileOrDie(const std::string& rules) {
  std::vector<CompileDiagnostic> diagnostics;
  Result<std::shared_ptr<const RuleSet>> compiled = CompileRuleText(rules, "test", &diagnostics);
  EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
  return compiled.ok() ? *compiled : nullptr;
}

struct WalkResult {
  std::vector<nlohmann::json> records;
  WalkSummary summary;
  std::vector<nlohmann::json> OfKind(const std::string& kind) const {
    std::vector<nlohmann::json> out;
    for (const auto& r : records) {
      if (r["kind"] == kind) out.push_back(r);
    }
    return out;
  }
};

inline WalkResult Walk(const std::string& name, SourcePtr input, std::shared_ptr<const RuleSet> rules,
                       WalkOptions options = {}, ScanOptions scan = {}) {
  WalkResult result;
  auto scanner = LayerScanner::Create(std::move(rules), scan);
  EXPECT_TRUE(scanner.ok());
  if (!scanner.ok()) return result;
  Result<WalkSummary> summary = WalkInput(name, input, **scanner, options, [&](const nlohmann::json& r) {
    result.records.push_back(r);
    return Status::Ok();
  });
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  if (summary.ok()) result.summary = *summary;
  return result;
}

// Runs a shell command, returning its exit status and standard output.
inline std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {-1, ""};
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace fwtest

#endif  // INTERDICT_TESTS_FIRMWARE_SCAN_FWSCAN_TEST_SUPPORT_H_
