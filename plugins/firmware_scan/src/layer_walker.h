// Walks one input: scans every layer with YARA, identifies containers, unpacks them depth-first within
// the limits, carves raw blobs, and reports everything as JSON records through a sink, in a deterministic
// order (same input and rules, same bytes out).
//
// Records (one JSON object each; keys sorted):
//   yara-match      a rule matched a layer: location chain, layer SHA-256s, rule, namespace, pack, tags,
//                   meta, strings (identifier, offset, length, hex and ASCII excerpt)
//   corruption      a container is damaged; what could be read was still scanned
//   limit-exceeded  depth, extracted bytes, members per container, member ratio or size, too-many-matches
//   timeout         a per-layer scan or the input's wall time ran out
//   scan-error      the tool failed on one layer (libyara error, unreadable evidence)
//   integrity       a container's stored hash checked against its decoded bytes (E01 MD5/SHA-1): outcome
//                   "verified" (info) or "mismatch" (severity high)
//   layer           (only with report_layers) one per layer: location, format, size, SHA-256, outcome
//   scan-summary    last record: layers, outcome counts, extracted bytes, overall outcome
// Every record has kind, severity, location, summary and outcome.
#ifndef INTERDICT_FIRMWARE_SCAN_LAYER_WALKER_H_
#define INTERDICT_FIRMWARE_SCAN_LAYER_WALKER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "byte_source.h"
#include "layer_scanner.h"
#include "scan_limits.h"

namespace interdict::fwscan {

struct ChainLink {
  std::string location;  // the chain up to and including this layer
  std::string format;    // how this layer was obtained ("" for the input)
  std::string name;
  std::optional<uint64_t> offset_in_parent;
  std::string sha256;
  uint64_t size = 0;
  nlohmann::json info = nullptr;  // from the container (E01 case metadata, stored hashes), else null
};

struct LayerVisit {
  const std::vector<ChainLink>& chain;
  const ByteSource& source;
  const LayerScanResult& scan;
  std::string container;  // format that will unpack it, "" for a leaf
};

struct WalkOptions {
  UnpackLimits limits;
  bool report_layers = false;
  // The input's file path when it is read from a file: lets multi-file formats (EWF segment sets) read
  // the other files beside it. Empty in the sandboxed worker.
  std::filesystem::path input_path;
  std::function<bool()> cancelled;
  // Called for every layer after it was scanned (the plugin emits extracted files as artifacts here).
  std::function<Status(const LayerVisit&)> on_layer;
};

struct WalkSummary {
  uint64_t layers = 0;
  std::map<std::string, uint64_t> outcomes;  // outcome name -> count of layers / records
  uint64_t matches = 0;
  uint64_t extracted_bytes = 0;
  std::string outcome;  // the most serious of error, timeout, limit-exceeded, too-many-matches, matched, clean
};

using RecordSink = std::function<Status(const nlohmann::json& record)>;

// Returns a non-OK status only when the tool failed or the sink refused a record; evidence problems are
// records.
Result<WalkSummary> WalkInput(const std::string& input_name, const SourcePtr& input, LayerScanner& scanner,
                              const WalkOptions& options, const RecordSink& sink);

// "0x1f0"
std::string HexOffset(uint64_t value);

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_LAYER_WALKER_H_
