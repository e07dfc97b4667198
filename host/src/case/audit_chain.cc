#include "case/audit_chain.h"

#include <algorithm>

#include "core/hash.h"
#include "core/signing.h"

namespace interdict {

std::string CanonicalJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CanonicalAuditEntry(int64_t seq, std::string_view time_utc, std::string_view actor, std::string_view action,
                                const nlohmann::json& details) {
  nlohmann::json entry = {{"seq", seq},
                          {"time_utc", std::string(time_utc)},
                          {"actor", std::string(actor)},
                          {"action", std::string(action)},
                          {"details", details}};
  return CanonicalJson(entry);
}

std::string AuditEntryHash(std::string_view prev_hash, std::string_view canonical_entry) {
  std::string message;
  message.reserve(prev_hash.size() + 1 + canonical_entry.size());
  message.append(prev_hash).append("\n").append(canonical_entry);
  return Sha256Hex(message);
}

std::string SealMessage(std::string_view case_uuid, int64_t seq, std::string_view head_hash,
                        std::string_view time_utc) {
  std::string message = "interdict-audit-seal/1\n";
  message.append("case_uuid=").append(case_uuid).append("\n");
  message.append("seq=").append(std::to_string(seq)).append("\n");
  message.append("head_hash=").append(head_hash).append("\n");
  message.append("time_utc=").append(time_utc).append("\n");
  return message;
}

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<VerificationProblem> VerifyAuditRows(std::vector<StoredAuditRow> rows,
                                                 std::map<int64_t, std::string>* entry_hashes) {
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  std::vector<VerificationProblem> problems;
  std::string expected_prev = kGenesisHash;
  int64_t expected_seq = 1;
  for (const StoredAuditRow& row : rows) {
    std::string where = "audit seq " + std::to_string(row.seq);
    if (row.seq != expected_seq) {
      problems.push_back({where, row.seq > expected_seq ? "records " + std::to_string(expected_seq) + ".." +
                                                              std::to_string(row.seq - 1) + " are missing before it"
                                                        : "sequence number out of order"});
    }
    if (row.prev_hash != expected_prev) {
      problems.push_back({where, "prev_hash does not equal the previous record's entry_hash"});
    }
    nlohmann::json details = nlohmann::json::parse(row.details_json, nullptr, /*allow_exceptions=*/false);
    if (details.is_discarded()) {
      problems.push_back({where, "details are not valid JSON"});
    } else if (AuditEntryHash(row.prev_hash, CanonicalAuditEntry(row.seq, row.time_utc, row.actor, row.action,
                                                                 details)) != row.entry_hash) {
      problems.push_back({where, "entry_hash does not match the record's contents (record was altered)"});
    }
    if (entry_hashes != nullptr) (*entry_hashes)[row.seq] = row.entry_hash;
    expected_prev = row.entry_hash;
    expected_seq = row.seq + 1;
  }
  return problems;
}

std::vector<VerificationProblem> VerifySealRows(const std::vector<StoredSealRow>& seals,
                                                const std::map<int64_t, std::string>& entry_hashes,
                                                std::string_view case_uuid,
                                                const std::optional<std::string>& trusted_public_key) {
  std::vector<VerificationProblem> problems;
  int64_t previous_seq = 0;
  for (const StoredSealRow& seal : seals) {
    std::string where = "seal " + std::to_string(seal.id) + " (audit seq " + std::to_string(seal.seq) + ")";
    Status signature = VerifySignature(seal.public_key, SealMessage(case_uuid, seal.seq, seal.head_hash, seal.time_utc),
                                       seal.signature);
    if (!signature.ok()) problems.push_back({where, "signature does not verify: " + signature.message()});
    auto covered = entry_hashes.find(seal.seq);
    if (covered == entry_hashes.end()) {
      problems.push_back({where, "covers an audit record that does not exist (log truncated?)"});
    } else if (covered->second != seal.head_hash) {
      problems.push_back({where, "head_hash differs from the chain's entry_hash at that seq (history rewritten)"});
    }
    if (seal.seq < previous_seq) problems.push_back({where, "covers an earlier seq than the seal before it"});
    if (trusted_public_key.has_value() && seal.public_key != *trusted_public_key) {
      problems.push_back({where, "made with key " + seal.public_key + ", not the trusted lab key"});
    }
    previous_seq = seal.seq;
  }
  return problems;
}

}  // namespace interdict
