// Scans one layer with a shared RuleSet. One LayerScanner per thread (it owns a YR_SCANNER, its timeout
// and its external variables); the RuleSet is shared read-only.
//
// Memory stays bounded whatever the layer size: the layer is fed to libyara as owned blocks of
// block_bytes, each overlapping the previous by kScanBlockOverlapBytes, through a memory-block iterator,
// so offsets are absolute (a string at 2^32 + k is reported at 2^32 + k), `filesize` is the layer size
// and conditions are evaluated once over the whole layer. SCAN_FLAGS_NO_TRYCATCH is safe because libyara
// only ever sees buffers this process owns (libyara 4.2.3's signal handlers are racy across threads).
// The layer's SHA-256 is computed from the same reads.
#ifndef INTERDICT_FIRMWARE_SCAN_LAYER_SCANNER_H_
#define INTERDICT_FIRMWARE_SCAN_LAYER_SCANNER_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "byte_source.h"
#include "core/status.h"
#include "scan_limits.h"
#include "rule_set.h"

struct YR_SCAN_CONTEXT;

namespace interdict::fwscan {

enum class ScanOutcome { kClean, kMatched, kTimeout, kTooManyMatches, kError };
std::string_view ScanOutcomeName(ScanOutcome outcome);  // "clean", "matched", "timeout", ...

struct StringMatch {
  std::string identifier;  // "$a"
  uint64_t offset = 0;     // within the layer
  uint32_t length = 0;
  std::string hex;    // first kMatchExcerptBytes bytes, lowercase hex
  std::string ascii;  // same bytes, non-printables as '.'
};

struct RuleMatch {
  std::string rule;
  std::string ns;    // "<pack>/<file>"
  std::string pack;
  std::vector<std::string> tags;
  nlohmann::json meta = nlohmann::json::object();
  std::vector<StringMatch> strings;  // sorted by offset, then identifier; capped per string
  uint64_t strings_total = 0;        // before the cap
};

struct LayerScanResult {
  ScanOutcome outcome = ScanOutcome::kClean;
  std::vector<RuleMatch> matches;  // sorted by namespace, then rule
  std::string sha256;              // of the whole layer
  std::string message;             // for timeout / too-many-matches / error: what and which rule
};

struct ScanOptions {
  int timeout_seconds = kDefaultScanTimeoutSeconds;
  uint64_t block_bytes = kDefaultScanBlockBytes;
};

// Values for string externals the packs declared ("filename", "filepath", "extension").
struct LayerNames {
  std::string filename;
  std::string filepath;
};

class LayerScanner {
 public:
  static Result<std::unique_ptr<LayerScanner>> Create(std::shared_ptr<const RuleSet> rules, const ScanOptions& options);
  ~LayerScanner();
  LayerScanner(const LayerScanner&) = delete;
  LayerScanner& operator=(const LayerScanner&) = delete;

  // Scans the layer. A non-OK Result means the evidence could not be read (kUnreadable) or the tool
  // failed; timeouts and too-many-matches are outcomes, not errors.
  Result<LayerScanResult> Scan(const ByteSource& layer, const LayerNames& names = {});
  const RuleSet& rules() const { return *rules_; }

 private:
  LayerScanner(std::shared_ptr<const RuleSet> rules, YR_SCAN_CONTEXT* scanner, const ScanOptions& options)
      : rules_(std::move(rules)), scanner_(scanner), options_(options) {}
  std::shared_ptr<const RuleSet> rules_;
  YR_SCAN_CONTEXT* scanner_;  // a YR_SCANNER
  ScanOptions options_;
};

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_LAYER_SCANNER_H_
