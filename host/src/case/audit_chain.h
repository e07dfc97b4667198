// The audit chain's definitions, kept apart from storage so that they can be tested, fuzzed and
// re-implemented by other tools (docs/case-store.md gives the same recipe for sqlite3 + sha256sum).
//
//   canonical(x)  = nlohmann::json(x).dump() : no whitespace, object keys sorted bytewise (std::map order),
//                   UTF-8 output, non-ASCII not escaped, invalid UTF-8 replaced by U+FFFD.
//   entry         = {"action":..,"actor":..,"details":{..},"seq":N,"time_utc":".."}
//   entry_hash(N) = lowercase hex SHA-256( prev_hash || "\n" || canonical(entry) )
//   prev_hash(1)  = 64 zeros (kGenesisHash); prev_hash(N) = entry_hash(N-1)
//
// A seal signs SealMessage(case_uuid, seq, head_hash, time_utc) with Ed25519; it is valid only if the
// signature verifies AND head_hash equals the chain's entry_hash at that seq (a seal belongs to its own
// point in the chain, so rewritten history cannot borrow an older seal: the systemd FSS lesson).
//
// All functions are pure and thread-safe.
#ifndef INTERDICT_CASE_AUDIT_CHAIN_H_
#define INTERDICT_CASE_AUDIT_CHAIN_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "case/case_store.h"
#include "core/status.h"

namespace interdict {

// An audit row exactly as stored, details still as text (verification must not trust the parse).
struct StoredAuditRow {
  int64_t seq = 0;
  std::string time_utc;
  std::string actor;
  std::string action;
  std::string details_json;
  std::string prev_hash;
  std::string entry_hash;
};

struct StoredSealRow {
  int64_t id = 0;
  int64_t seq = 0;
  std::string head_hash;
  std::string public_key;
  std::string signature;
  std::string time_utc;
};

// canonical(x) as defined above.
std::string CanonicalJson(const nlohmann::json& value);
// canonical(entry) for one record.
std::string CanonicalAuditEntry(int64_t seq, std::string_view time_utc, std::string_view actor, std::string_view action,
                                const nlohmann::json& details);
// entry_hash from prev_hash and canonical(entry).
std::string AuditEntryHash(std::string_view prev_hash, std::string_view canonical_entry);
// The exact bytes a seal signs.
std::string SealMessage(std::string_view case_uuid, int64_t seq, std::string_view head_hash, std::string_view time_utc);

// Checks the rows (any order; they are sorted by seq) from seq 1 to the last: contiguous sequence numbers,
// each prev_hash equal to the previous entry_hash, each entry_hash equal to its recomputed value. Problems
// come in chain order, so problems[0] is the first break. Fills `entry_hashes` (seq -> stored entry_hash)
// for seal checks when given.
std::vector<VerificationProblem> VerifyAuditRows(std::vector<StoredAuditRow> rows,
                                                 std::map<int64_t, std::string>* entry_hashes = nullptr);

// Checks every seal: signature, that it covers an existing record whose entry_hash equals head_hash, that
// seals never go backwards, and (when trusted_public_key is set) that the lab's key made it.
std::vector<VerificationProblem> VerifySealRows(const std::vector<StoredSealRow>& seals,
                                                const std::map<int64_t, std::string>& entry_hashes,
                                                std::string_view case_uuid,
                                                const std::optional<std::string>& trusted_public_key);

// True for 64 lowercase hex digits (the only form a SHA-256 takes in a case).
bool IsSha256Hex(std::string_view text);

}  // namespace interdict

#endif  // INTERDICT_CASE_AUDIT_CHAIN_H_
