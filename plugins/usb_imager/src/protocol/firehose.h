// Qualcomm Firehose: the XML protocol the uploaded programmer speaks. The host sends one document
// `<?xml version="1.0" ?><data><TAG attr="..." /></data>`; the device answers with documents holding
// `<log value="..."/>` lines and one `<response value="ACK|NAK" .../>`. A read is answered with
// `<response value="ACK" rawmode="true"/>`, then the sector bytes raw, then a closing response.
//
// This file holds the pure parts: the bounded XML reader for what the device sends (flat elements with
// attributes inside <data>, nothing else), the encoder, the tag allowlist (reference notes §3.7) and the
// interpreters of storage information and digests found in log lines. Every limit is a named constant; the
// device is hostile, so every length and number is checked before use.
#ifndef INTERDICT_USB_IMAGER_PROTOCOL_FIREHOSE_H_
#define INTERDICT_USB_IMAGER_PROTOCOL_FIREHOSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "protocol/read_only_allowlist.h"

namespace interdict::usb {

inline constexpr size_t kMaxFirehoseDocumentBytes = 64 * 1024;
inline constexpr size_t kMaxFirehoseElements = 256;
inline constexpr size_t kMaxFirehoseAttributes = 64;
inline constexpr size_t kMaxFirehoseNameBytes = 64;
inline constexpr uint32_t kMaxFirehoseLuns = 8;
inline constexpr uint32_t kUnknownFirehoseTag = 0xFFFF;

struct FirehoseElement {
  std::string tag;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::optional<std::string> Get(std::string_view name) const;
  // A decimal attribute; kCorrupt when missing, not a number or above `max`.
  Result<uint64_t> GetNumber(std::string_view name, uint64_t max) const;
  FirehoseElement& Set(std::string name, std::string value);
};

struct FirehoseDocument {
  std::vector<FirehoseElement> elements;
};

// Parses one `<?xml ...?><data>...</data>` document (the declaration is optional). kCorrupt for anything
// else: unbalanced markup, text outside attributes, nesting, unknown entities, limits exceeded.
Result<FirehoseDocument> ParseFirehoseXml(std::string_view text);
// Where the first complete document in a byte stream ends (just after "</data>"), or npos if none yet.
size_t FirehoseDocumentEnd(std::string_view buffer);
// `<?xml version="1.0" ?><data><TAG a="v" ... /></data>` with attribute values escaped.
std::string EncodeFirehoseCommand(const FirehoseElement& element);

// The device's answer to one command: its log lines and the <response> element.
struct FirehoseResponse {
  bool ack = false;
  bool raw_mode = false;
  FirehoseElement response;
  std::vector<std::string> logs;
};

// Allowlist keys: the index of a tag in the known-tag table, kUnknownFirehoseTag otherwise.
uint32_t FirehoseTagKey(std::string_view tag);
// Allows nop, configure, getstorageinfo, read, getsha256digest, getcrc16digest, peek. Names (and refuses)
// program, erase, patch, poke, firmwarewrite, setbootablestoragedrive, ufs, emmc, fixgpt, eraseuserdata,
// benchmark, power, demacia, setprojmodel and any tag nobody listed.
ReadOnlyAllowlist MakeFirehoseReadOnlyAllowlist();
// The write-class tags named above, for tests and documentation.
const std::vector<std::string>& FirehoseDeniedTags();

struct FirehoseStorageInfo {
  uint64_t total_blocks = 0;
  uint32_t block_size = 0;
  uint32_t num_physical = 0;
  std::string memory_type, product_name, serial_number;
};
// Finds the `{"storage_info": {...}}` JSON in the log lines of a getstorageinfo answer.
Result<FirehoseStorageInfo> ParseFirehoseStorageInfo(const std::vector<std::string>& logs);
// Finds "Digest <64 hex>" in the log lines of a getsha256digest answer; returns lowercase hex.
Result<std::string> ParseFirehoseSha256Digest(const std::vector<std::string>& logs);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_PROTOCOL_FIREHOSE_H_
