#include "layer_walker.h"

#include <cstdio>

#include "unpacker.h"

namespace interdict::fwscan {

std::string HexOffset(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

namespace {

// A hit outranks a damaged or unsupported container, but either outranks "clean": a scan that could not
// open something it found never reads as clean.
// An integrity mismatch (decoded media differs from the hash its container stores) outranks a hit.
constexpr const char* kOutcomeSeverityOrder[] = {"error",   "timeout", "limit-exceeded", "too-many-matches", "mismatch",
                                                 "matched", "corrupt", "unsupported",    "clean"};

std::string MatchSeverity(const nlohmann::json& meta) {
  if (auto it = meta.find("severity"); it != meta.end() && it->is_string()) {
    std::string s = it->get<std::string>();
    if (s == "info" || s == "notice" || s == "warning" || s == "high") return s;
  }
  return "warning";
}

class Walker {
 public:
  Walker(LayerScanner& scanner, const WalkOptions& options, const RecordSink& sink, const SourcePtr& input)
      : scanner_(scanner), options_(options), sink_(sink), context_(options.limits, input->size(), options.cancelled) {
    context_.SetInputFile(input.get(), options.input_path);
  }

  Status Visit(std::vector<ChainLink>& chain, const SourcePtr& layer, int depth, bool carved);
  WalkSummary& summary() { return summary_; }
  const UnpackContext& context() const { return context_; }

 private:
  nlohmann::json ChainJson(const std::vector<ChainLink>& chain) const {
    nlohmann::json layers = nlohmann::json::array();
    for (const ChainLink& l : chain) {
      nlohmann::json j = {{"location", l.location}, {"sha256", l.sha256}, {"size", l.size}};
      if (!l.format.empty()) j["format"] = l.format;
      if (!l.name.empty()) j["name"] = l.name;
      if (l.offset_in_parent) j["offset"] = *l.offset_in_parent;
      if (!l.info.is_null()) j["info"] = l.info;
      layers.push_back(std::move(j));
    }
    return layers;
  }

  Status Emit(const std::string& kind, const std::string& severity, const std::string& outcome,
              const std::vector<ChainLink>& chain, const std::string& summary, nlohmann::json extra = {}) {
    nlohmann::json record = extra.is_object() ? std::move(extra) : nlohmann::json::object();
    record["kind"] = kind;
    record["severity"] = severity;
    record["outcome"] = outcome;
    if (!record.contains("location")) record["location"] = chain.back().location;
    record["summary"] = summary;
    record["layers"] = ChainJson(chain);
    if (kind != "layer") summary_.outcomes[outcome]++;
    return sink_(record);
  }

  // Offset of the layer inside the input when every step down was a view (partitions, carving, boot
  // image sections), so an examiner can seek straight to it in the image.
  static std::optional<uint64_t> InputOffset(const std::vector<ChainLink>& chain) {
    uint64_t total = 0;
    for (size_t i = 1; i < chain.size(); ++i) {
      if (!chain[i].offset_in_parent) return std::nullopt;
      total += *chain[i].offset_in_parent;
    }
    return total;
  }

  Status ReportMatches(const std::vector<ChainLink>& chain, const LayerScanResult& scan) {
    std::optional<uint64_t> base = InputOffset(chain);
    for (const RuleMatch& m : scan.matches) {
      summary_.matches++;
      nlohmann::json strings = nlohmann::json::array();
      for (const StringMatch& s : m.strings) {
        nlohmann::json j = {{"identifier", s.identifier}, {"offset", s.offset}, {"length", s.length},
                            {"hex", s.hex},               {"ascii", s.ascii}};
        if (base) j["input_offset"] = *base + s.offset;
        strings.push_back(std::move(j));
      }
      std::string location = chain.back().location;
      if (!m.strings.empty()) location += "@" + HexOffset(m.strings.front().offset);
      nlohmann::json extra = {{"location", location},    {"rule", m.rule},           {"namespace", m.ns},
                              {"pack", m.pack},          {"tags", m.tags},           {"meta", m.meta},
                              {"strings", strings},      {"strings_total", m.strings_total}};
      std::string description = m.meta.contains("description") && m.meta["description"].is_string()
                                    ? ": " + m.meta["description"].get<std::string>()
                                    : "";
      INTERDICT_RETURN_IF_ERROR(Emit("yara-match", MatchSeverity(m.meta), "matched", chain,
                                     "YARA rule " + m.ns + ":" + m.rule + " matched " + location + description, extra));
    }
    return Status::Ok();
  }

  Status ReportStop(const std::vector<ChainLink>& chain, const Status& status) {
    if (stop_reported_) return Status::Ok();
    stop_reported_ = true;
    if (status.code() == StatusCode::kTimeout) {
      return Emit("timeout", "warning", "timeout", chain, "input wall time reached; the rest was not examined: " + status.message());
    }
    if (status.code() == StatusCode::kLimitExceeded) {
      return Emit("limit-exceeded", "warning", "limit-exceeded", chain,
                  "extraction stopped: " + status.message() + "; layers not yet reached were not examined",
                  {{"limit", "extracted-bytes"}});
    }
    return Emit("scan-error", "notice", "error", chain, "scan stopped: " + status.ToString());
  }

  LayerScanner& scanner_;
  const WalkOptions& options_;
  const RecordSink& sink_;
  UnpackContext context_;
  WalkSummary summary_;
  bool stopped_ = false;
  bool stop_reported_ = false;
};

Status Walker::Visit(std::vector<ChainLink>& chain, const SourcePtr& layer, int depth, bool carved) {
  if (Status t = context_.CheckTime(); !t.ok()) {
    stopped_ = true;
    INTERDICT_RETURN_IF_ERROR(ReportStop(chain, t));
    return t;
  }
  ChainLink& self = chain.back();
  self.size = layer->size();
  LayerNames names;
  names.filepath = self.name;
  names.filename = std::filesystem::path(self.name).filename().string();
  Result<LayerScanResult> scanned = scanner_.Scan(*layer, names);
  if (!scanned.ok()) {
    if (!scanned.status().IsEvidenceProblem()) return scanned.status();
    summary_.layers++;
    return Emit("scan-error", "notice", "error", chain, "layer could not be read: " + scanned.status().ToString());
  }
  const LayerScanResult& scan = *scanned;
  self.sha256 = scan.sha256;
  summary_.layers++;
  INTERDICT_RETURN_IF_ERROR(ReportMatches(chain, scan));
  switch (scan.outcome) {
    case ScanOutcome::kTimeout:
      INTERDICT_RETURN_IF_ERROR(Emit("timeout", "warning", "timeout", chain, "YARA " + scan.message + " on " + self.location));
      break;
    case ScanOutcome::kTooManyMatches:
      INTERDICT_RETURN_IF_ERROR(Emit("limit-exceeded", "notice", "too-many-matches", chain, scan.message + " (" + self.location + ")",
                                     {{"limit", "matches-per-string"}}));
      break;
    case ScanOutcome::kError:
      INTERDICT_RETURN_IF_ERROR(Emit("scan-error", "notice", "error", chain, scan.message + " on " + self.location));
      break;
    case ScanOutcome::kClean:
      summary_.outcomes["clean"]++;
      break;
    case ScanOutcome::kMatched:
      break;
  }

  INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> head, ReadUpTo(*layer, 0, kProbeBytes));
  const UnpackerFormat* format = IdentifyFormat(head, layer->size());
  if (options_.on_layer) {
    INTERDICT_RETURN_IF_ERROR(options_.on_layer(LayerVisit{chain, *layer, scan, format ? format->name : ""}));
  }
  if (options_.report_layers) {
    INTERDICT_RETURN_IF_ERROR(Emit("layer", "info", std::string(ScanOutcomeName(scan.outcome)), chain,
                                   "layer " + self.location + " (" + std::to_string(self.size) + " bytes)",
                                   {{"container", format ? format->name : ""}, {"depth", depth}}));
  }
  if (stopped_ || layer->size() == 0) return Status::Ok();
  if (!format && carved) return Status::Ok();  // a carved stream nobody can open is a leaf
  if (depth >= options_.limits.max_depth) {
    if (format) {
      return Emit("limit-exceeded", "notice", "limit-exceeded", chain,
                  std::string(format->name) + " container at depth " + std::to_string(depth) +
                      " not opened: depth limit " + std::to_string(options_.limits.max_depth),
                  {{"limit", "depth"}});
    }
    return Status::Ok();
  }
  const UnpackerFormat& unpacker = format ? *format : kCarveFormat;
  uint64_t children = 0;
  ChildSink sink = [&](Child child) -> Status {
    ++children;
    ChainLink link;
    link.format = child.format;
    link.name = child.name;
    link.info = std::move(child.info);
    const std::string& parent = chain.back().location;
    if (child.kind == ChildKind::kView) {
      link.offset_in_parent = child.offset_in_parent;
      link.location = parent + "@" + HexOffset(child.offset_in_parent) + "[" + child.format + ":" + child.name + "]";
    } else {
      link.location = parent + " > " + child.format + ":" + child.name;
    }
    std::vector<UnpackNote> pending = context_.TakeNotes();
    chain.push_back(std::move(link));
    Status s = Visit(chain, child.source, depth + 1, child.format == "carve");
    chain.pop_back();
    context_.RestoreNotes(std::move(pending));
    return s;
  };
  Status status = unpacker.unpack(layer, context_, sink);
  for (const UnpackNote& note : context_.TakeNotes()) {
    if (note.code == StatusCode::kLimitExceeded) {
      INTERDICT_RETURN_IF_ERROR(Emit("limit-exceeded", "notice", "limit-exceeded", chain, note.message, {{"limit", "member"}}));
    } else if (note.code == StatusCode::kVerificationFailed) {
      INTERDICT_RETURN_IF_ERROR(Emit("integrity", "high", "mismatch", chain, note.message));
    } else if (note.code == StatusCode::kOk) {
      INTERDICT_RETURN_IF_ERROR(Emit("integrity", "info", "verified", chain, note.message));
    } else {
      INTERDICT_RETURN_IF_ERROR(Emit("corruption", "notice", "corrupt", chain,
                                     std::string(unpacker.name) + " damaged: " + note.message));
    }
  }
  if (status.ok()) return Status::Ok();
  if (stopped_) return status;  // already reported where it happened
  switch (status.code()) {
    case StatusCode::kCorrupt:
    case StatusCode::kUnreadable:
      if (carved && children == 0) return Status::Ok();  // a false magic, not damaged evidence
      return Emit("corruption", "notice", "corrupt", chain,
                  std::string(unpacker.name) + " damaged: " + status.message() + "; " + std::to_string(children) +
                      " item(s) before the damage were examined");
    case StatusCode::kUnsupported:
      return Emit("parse-anomaly", "info", "unsupported", chain, std::string(unpacker.name) + ": " + status.message());
    case StatusCode::kLimitExceeded:
      if (context_.budget_exhausted()) {
        stopped_ = true;
        INTERDICT_RETURN_IF_ERROR(ReportStop(chain, status));
        return status;
      }
      return Emit("limit-exceeded", "warning", "limit-exceeded", chain, status.message(), {{"limit", "files-per-container"}});
    case StatusCode::kTimeout:
    case StatusCode::kCancelled:
      stopped_ = true;
      INTERDICT_RETURN_IF_ERROR(ReportStop(chain, status));
      return status;
    default:
      return status;
  }
}

}  // namespace

Result<WalkSummary> WalkInput(const std::string& input_name, const SourcePtr& input, LayerScanner& scanner,
                              const WalkOptions& options, const RecordSink& sink) {
  Walker walker(scanner, options, sink, input);
  std::vector<ChainLink> chain(1);
  chain[0].location = input_name;
  Status status = walker.Visit(chain, input, 0, false);
  switch (status.code()) {
    case StatusCode::kOk:
    case StatusCode::kLimitExceeded:
    case StatusCode::kTimeout:
    case StatusCode::kCancelled:
      break;  // recorded as findings
    default:
      return status;
  }
  WalkSummary summary = walker.summary();
  summary.extracted_bytes = walker.context().extracted_bytes();
  summary.outcome = "clean";
  for (const char* o : kOutcomeSeverityOrder) {
    if (summary.outcomes.count(o) && summary.outcomes[o] > 0) {
      summary.outcome = o;
      break;
    }
  }
  nlohmann::json record = {{"kind", "scan-summary"},
                           {"severity", "info"},
                           {"location", input_name},
                           {"outcome", summary.outcome},
                           {"layers_scanned", summary.layers},
                           {"matches", summary.matches},
                           {"outcome_counts", summary.outcomes},
                           {"extracted_bytes", summary.extracted_bytes},
                           {"input_sha256", chain[0].sha256},
                           {"input_size", input->size()},
                           {"rule_packs", nlohmann::json::array()},
                           {"engine", "libyara " + YaraVersion()}};
  for (const PackSummary& p : scanner.rules().packs()) {
    record["rule_packs"].push_back({{"name", p.name}, {"version", p.version}, {"digest", p.digest}});
  }
  record["summary"] = input_name + ": " + std::to_string(summary.layers) + " layers scanned, " +
                      std::to_string(summary.matches) + " rule matches, outcome " + summary.outcome;
  INTERDICT_RETURN_IF_ERROR(sink(record));
  return summary;
}

}  // namespace interdict::fwscan
