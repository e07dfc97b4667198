#include "layer_scanner.h"

#include <yara.h>

#include <algorithm>
#include <cstring>

#include "core/hash.h"

namespace interdict::fwscan {

std::string_view ScanOutcomeName(ScanOutcome outcome) {
  switch (outcome) {
    case ScanOutcome::kClean: return "clean";
    case ScanOutcome::kMatched: return "matched";
    case ScanOutcome::kTimeout: return "timeout";
    case ScanOutcome::kTooManyMatches: return "too-many-matches";
    case ScanOutcome::kError: return "error";
  }
  return "error";
}

namespace {

// Feeds a ByteSource to libyara as overlapping owned blocks. Keeps the two most recent blocks so that
// conditions reading the header (uint32(0)) after the scan do not re-read a whole block each time.
class BlockFeeder {
 public:
  BlockFeeder(const ByteSource& source, uint64_t block_bytes)
      : source_(source),
        block_bytes_(std::max<uint64_t>(block_bytes, 2 * kScanBlockOverlapBytes)),
        step_(block_bytes_ - kScanBlockOverlapBytes) {
    iterator_.context = this;
    iterator_.first = &First;
    iterator_.next = &Next;
    iterator_.file_size = &FileSize;
    iterator_.last_error = ERROR_SUCCESS;
  }

  YR_MEMORY_BLOCK_ITERATOR* iterator() { return &iterator_; }
  const Status& error() const { return error_; }

  // Finishes the layer hash, reading whatever the scan did not (a timeout stops it early).
  Result<std::string> FinishHash() {
    std::vector<uint8_t> buffer(1 << 20);
    while (hashed_ < source_.size()) {
      INTERDICT_ASSIGN_OR_RETURN(size_t got, source_.ReadAt(hashed_, buffer.data(), buffer.size()));
      if (got == 0) return Status::Unreadable("layer ended early while hashing");
      hasher_.Update(buffer.data(), got);
      hashed_ += got;
    }
    return hasher_.Finish().sha256;
  }

 private:
  struct Cached {
    uint64_t base = UINT64_MAX;
    std::vector<uint8_t> data;
  };

  static YR_MEMORY_BLOCK* First(YR_MEMORY_BLOCK_ITERATOR* it) {
    auto* self = static_cast<BlockFeeder*>(it->context);
    return self->MakeBlock(0);
  }
  static YR_MEMORY_BLOCK* Next(YR_MEMORY_BLOCK_ITERATOR* it) {
    auto* self = static_cast<BlockFeeder*>(it->context);
    uint64_t base = self->block_.base + self->step_;
    if (self->block_.base + self->block_.size >= self->source_.size()) return nullptr;
    return self->MakeBlock(base);
  }
  static uint64_t FileSize(YR_MEMORY_BLOCK_ITERATOR* it) { return static_cast<BlockFeeder*>(it->context)->source_.size(); }
  static const uint8_t* Fetch(YR_MEMORY_BLOCK* block) {
    auto* self = static_cast<BlockFeeder*>(block->context);
    return self->FetchBlock(block->base, block->size);
  }

  YR_MEMORY_BLOCK* MakeBlock(uint64_t base) {
    if (base > source_.size() || (base == source_.size() && base != 0)) return nullptr;
    block_.base = base;
    block_.size = static_cast<size_t>(std::min<uint64_t>(block_bytes_, source_.size() - base));
    block_.context = this;
    block_.fetch_data = &Fetch;
    return &block_;
  }

  const uint8_t* FetchBlock(uint64_t base, size_t size) {
    static const uint8_t kEmpty[1] = {0};
    if (size == 0) return kEmpty;
    const uint8_t* data = nullptr;
    if (const uint8_t* resident = source_.resident_data()) {
      data = resident + base;
    } else {
      Cached* slot = nullptr;
      for (Cached& c : cache_) {
        if (c.base == base && c.data.size() == size) slot = &c;
      }
      if (slot == nullptr) {
        slot = &cache_[next_slot_];
        next_slot_ ^= 1;
        slot->data.resize(size);
        slot->base = UINT64_MAX;
        Result<size_t> got = source_.ReadAt(base, slot->data.data(), size);
        if (!got.ok() || *got != size) {
          error_ = got.ok() ? Status::Unreadable("layer shorter than its size") : got.status();
          iterator_.last_error = ERROR_COULD_NOT_READ_FILE;
          return nullptr;
        }
        slot->base = base;
      }
      data = slot->data.data();
    }
    // Hash the part of this block not hashed yet, while the blocks arrive in order.
    if (base <= hashed_ && base + size > hashed_) {
      hasher_.Update(data + (hashed_ - base), static_cast<size_t>(base + size - hashed_));
      hashed_ = base + size;
    }
    return data;
  }

  const ByteSource& source_;
  uint64_t block_bytes_;
  uint64_t step_;
  YR_MEMORY_BLOCK_ITERATOR iterator_{};
  YR_MEMORY_BLOCK block_{};
  Cached cache_[2];
  int next_slot_ = 0;
  MultiHasher hasher_{{HashAlgorithm::kSha256}};
  uint64_t hashed_ = 0;
  Status error_;
};

struct CallbackState {
  const RuleSet* rules;
  std::vector<RuleMatch>* matches;
  bool too_many = false;
  std::string too_many_detail;
};

std::string Excerpt(const uint8_t* data, size_t length, bool hex) {
  std::string out;
  size_t n = std::min<size_t>(length, kMatchExcerptBytes);
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    if (hex) {
      out.push_back(kHex[data[i] >> 4]);
      out.push_back(kHex[data[i] & 15]);
    } else {
      out.push_back(data[i] >= 0x20 && data[i] < 0x7F ? static_cast<char>(data[i]) : '.');
    }
  }
  return out;
}

int ScanCallback(YR_SCAN_CONTEXT* context, int message, void* message_data, void* user) {
  auto* state = static_cast<CallbackState*>(user);
  if (message == CALLBACK_MSG_TOO_MANY_MATCHES) {
    auto* string = static_cast<YR_STRING*>(message_data);
    state->too_many = true;
    if (state->too_many_detail.empty()) {
      state->too_many_detail = std::string("string ") + string->identifier + " hit libyara's limit of " +
                               std::to_string(YR_MAX_STRING_MATCHES) + " matches; results of its rule may be incomplete";
    }
    return CALLBACK_CONTINUE;
  }
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  auto* rule = static_cast<YR_RULE*>(message_data);
  RuleMatch m;
  m.rule = rule->identifier;
  m.ns = rule->ns->name;
  m.pack = state->rules->PackOfNamespace(m.ns);
  const char* tag = nullptr;
  yr_rule_tags_foreach(rule, tag) { m.tags.emplace_back(tag); }
  const YR_META* meta = nullptr;
  yr_rule_metas_foreach(rule, meta) {
    if (meta->type == META_TYPE_INTEGER) m.meta[meta->identifier] = meta->integer;
    else if (meta->type == META_TYPE_BOOLEAN) m.meta[meta->identifier] = meta->integer != 0;
    else m.meta[meta->identifier] = meta->string;
  }
  const YR_STRING* string = nullptr;
  yr_rule_strings_foreach(rule, string) {
    int listed = 0;
    // libyara 4.2.3 allocates YR_MATCH records at unaligned addresses in its notebook, so each record is
    // copied out before its fields are read (yr_string_matches_foreach would read them in place).
    const YR_MATCH* next = context->matches[string->idx].head;
    while (next != nullptr) {
      YR_MATCH match;
      std::memcpy(&match, next, sizeof(match));
      next = match.next;
      if (match.is_private) continue;
      m.strings_total++;
      if (listed++ >= kMaxMatchesListedPerString) continue;
      StringMatch sm;
      sm.identifier = string->identifier;
      sm.offset = static_cast<uint64_t>(match.base + match.offset);
      sm.length = static_cast<uint32_t>(match.match_length);
      sm.hex = Excerpt(match.data, static_cast<size_t>(match.data_length), true);
      sm.ascii = Excerpt(match.data, static_cast<size_t>(match.data_length), false);
      m.strings.push_back(std::move(sm));
    }
  }
  std::sort(m.strings.begin(), m.strings.end(), [](const StringMatch& a, const StringMatch& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.identifier < b.identifier;
  });
  state->matches->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

}  // namespace

Result<std::unique_ptr<LayerScanner>> LayerScanner::Create(std::shared_ptr<const RuleSet> rules,
                                                           const ScanOptions& options) {
  YR_SCANNER* scanner = nullptr;
  if (yr_scanner_create(rules->rules(), &scanner) != ERROR_SUCCESS) return Status::Internal("yr_scanner_create failed");
  yr_scanner_set_flags(scanner, SCAN_FLAGS_NO_TRYCATCH);
  yr_scanner_set_timeout(scanner, std::max(1, options.timeout_seconds));
  return std::unique_ptr<LayerScanner>(new LayerScanner(std::move(rules), scanner, options));
}

LayerScanner::~LayerScanner() { yr_scanner_destroy(scanner_); }

Result<LayerScanResult> LayerScanner::Scan(const ByteSource& layer, const LayerNames& names) {
  LayerScanResult result;
  CallbackState state{rules_.get(), &result.matches, false, {}};
  yr_scanner_set_callback(scanner_, &ScanCallback, &state);
  const nlohmann::json& externals = rules_->externals();
  auto set_external = [&](const char* name, const std::string& value) {
    if (externals.contains(name) && externals[name].is_string()) {
      yr_scanner_define_string_variable(scanner_, name, value.c_str());
    }
  };
  std::string extension = std::filesystem::path(names.filename).extension().string();
  if (!extension.empty()) extension.erase(0, 1);
  set_external("filename", names.filename);
  set_external("filepath", names.filepath);
  set_external("extension", extension);

  BlockFeeder feeder(layer, options_.block_bytes);
  int rc = yr_scanner_scan_mem_blocks(scanner_, feeder.iterator());
  if (!feeder.error().ok()) return feeder.error();
  std::sort(result.matches.begin(), result.matches.end(), [](const RuleMatch& a, const RuleMatch& b) {
    return a.ns != b.ns ? a.ns < b.ns : a.rule < b.rule;
  });
  if (rc == ERROR_SCAN_TIMEOUT) {
    result.outcome = ScanOutcome::kTimeout;
    const YR_RULE* slow = yr_scanner_last_error_rule(scanner_);
    result.message = "scan exceeded " + std::to_string(options_.timeout_seconds) + " s" +
                     (slow ? std::string(" (in rule ") + slow->identifier + ")" : "");
    result.matches.clear();  // a timed-out scan evaluated no conditions: nothing it says is reliable
  } else if (rc != ERROR_SUCCESS) {
    result.outcome = ScanOutcome::kError;
    const YR_RULE* rule = yr_scanner_last_error_rule(scanner_);
    result.message = "libyara error " + std::to_string(rc) + (rule ? std::string(" in rule ") + rule->identifier : "");
  } else if (state.too_many) {
    result.outcome = ScanOutcome::kTooManyMatches;
    result.message = state.too_many_detail;
  } else {
    result.outcome = result.matches.empty() ? ScanOutcome::kClean : ScanOutcome::kMatched;
  }
  INTERDICT_ASSIGN_OR_RETURN(result.sha256, feeder.FinishHash());
  return result;
}

}  // namespace interdict::fwscan
