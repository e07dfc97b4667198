// Fuzzes what Verify reads back from a case database an attacker may have edited: audit rows with
// arbitrary details text, prev/entry hashes and seq numbers, and seal rows with arbitrary keys and
// signatures, cross-checked against table rows. Input layout: fields separated by '\x1f', rows by '\x1e';
// an audit row is seq, time, details, prev_hash, entry_hash, action; a seal row starts with 'S'.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "case/audit_chain.h"
#include "case/audit_crosscheck.h"

namespace {

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

int64_t ToSeq(const std::string& text) {
  int64_t value = 0;
  for (char c : text.substr(0, 12)) value = value * 31 + static_cast<unsigned char>(c);
  return value % 64;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<StoredAuditRow> rows;
  std::vector<StoredSealRow> seals;
  for (const std::string& line : Split(text, '\x1e')) {
    auto fields = Split(line, '\x1f');
    fields.resize(6);
    if (!fields[0].empty() && fields[0][0] == 'S') {
      seals.push_back(
          {static_cast<int64_t>(seals.size() + 1), ToSeq(fields[1]), fields[2], fields[3], fields[4], fields[5]});
    } else {
      rows.push_back({ToSeq(fields[0]), fields[1], "fuzzer", fields[5], fields[2], fields[3], fields[4]});
    }
  }
  std::map<int64_t, std::string> hashes;
  VerifyAuditRows(rows, &hashes);
  VerifySealRows(seals, hashes, "fuzz-case", std::nullopt);
  // The same rows against tables holding one row of each kind whose ids the fuzzer may hit.
  StoredTables tables;
  tables.findings.push_back({1, text.substr(0, 64)});
  tables.jobs.push_back({1, "p", "1", "", "completed", "", 1, text.substr(0, 48)});
  tables.evidence.push_back({1, "u", "l", "file", "s", "", text.substr(0, 32)});
  tables.artifacts.push_back({std::string(64, 'a'), 3, "", "", "", ""});
  CrossCheckTablesWithAudit(rows, tables);
  return 0;
}
