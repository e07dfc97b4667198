#include "protocol/firehose.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <nlohmann/json.hpp>

namespace interdict::usb {
namespace {

constexpr std::string_view kDataOpen = "<data>";
constexpr std::string_view kDataClose = "</data>";
constexpr std::string_view kDeclarationOpen = "<?xml";
constexpr std::string_view kDeclarationClose = "?>";
constexpr std::string_view kStorageInfoKey = "storage_info";
constexpr std::string_view kDigestPrefix = "Digest";
constexpr size_t kSha256HexLength = 64;
constexpr uint32_t kSectorSize512 = 512;
constexpr uint32_t kSectorSize4096 = 4096;
constexpr uint64_t kMaxTotalBlocks = 1ull << 40;

// Known tags, read-only first; the index is the allowlist key.
constexpr std::array<std::string_view, 7> kAllowedTags = {"nop", "configure", "getstorageinfo", "read",
                                                          "getsha256digest", "getcrc16digest", "peek"};
const std::vector<std::string> kDeniedTags = {
    "program", "erase", "patch", "poke", "firmwarewrite", "setbootablestoragedrive", "ufs", "emmc", "fixgpt",
    "eraseuserdata", "benchmark", "power", "demacia", "setprojmodel"};

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':'; }

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Consume(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool Peek(std::string_view token) const { return text_.substr(pos_, token.size()) == token; }
  Result<std::string> Name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_]) && pos_ - start < kMaxFirehoseNameBytes) ++pos_;
    if (pos_ == start) return Corrupt("expected a name");
    if (pos_ < text_.size() && IsNameChar(text_[pos_])) return Corrupt("name too long");
    return std::string(text_.substr(start, pos_ - start));
  }
  Result<std::string> QuotedValue() {
    if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) return Corrupt("expected a quote");
    const char quote = text_[pos_++];
    const size_t end = text_.find(quote, pos_);
    if (end == std::string_view::npos) return Corrupt("unterminated attribute value");
    std::string_view raw = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    if (raw.find('<') != std::string_view::npos) return Corrupt("'<' inside an attribute value");
    return Unescape(raw);
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  Status Corrupt(std::string_view what) const {
    return Status::Corrupt("Firehose XML: " + std::string(what) + " at byte " + std::to_string(pos_));
  }
  size_t position() const { return pos_; }
  void Skip(size_t n) { pos_ = std::min(text_.size(), pos_ + n); }
  std::string_view rest() const { return text_.substr(pos_); }

 private:
  Result<std::string> Unescape(std::string_view raw) const {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out.push_back(raw[i]);
        continue;
      }
      const size_t semicolon = raw.find(';', i);
      if (semicolon == std::string_view::npos) return Corrupt("unterminated entity");
      std::string_view entity = raw.substr(i + 1, semicolon - i - 1);
      if (entity == "amp") out.push_back('&');
      else if (entity == "lt") out.push_back('<');
      else if (entity == "gt") out.push_back('>');
      else if (entity == "quot") out.push_back('"');
      else if (entity == "apos") out.push_back('\'');
      else return Corrupt("unknown entity &" + std::string(entity.substr(0, kMaxFirehoseNameBytes)) + ";");
      i = semicolon;
    }
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Result<FirehoseElement> ParseElement(Reader& reader) {
  FirehoseElement element;
  INTERDICT_ASSIGN_OR_RETURN(element.tag, reader.Name());
  while (true) {
    reader.SkipSpace();
    if (reader.Consume("/>")) return element;
    if (reader.Consume(">")) {
      // Only an immediately closed element (<log ...></log>) is accepted: Firehose has no content.
      reader.SkipSpace();
      if (!reader.Consume("</") ) return reader.Corrupt("content inside <" + element.tag + ">");
      INTERDICT_ASSIGN_OR_RETURN(std::string closing, reader.Name());
      reader.SkipSpace();
      if (closing != element.tag || !reader.Consume(">")) return reader.Corrupt("mismatched closing tag");
      return element;
    }
    if (element.attributes.size() >= kMaxFirehoseAttributes) return reader.Corrupt("too many attributes");
    INTERDICT_ASSIGN_OR_RETURN(std::string name, reader.Name());
    reader.SkipSpace();
    if (!reader.Consume("=")) return reader.Corrupt("expected '=' after " + name);
    reader.SkipSpace();
    INTERDICT_ASSIGN_OR_RETURN(std::string value, reader.QuotedValue());
    element.attributes.emplace_back(std::move(name), std::move(value));
  }
}

}  // namespace

std::optional<std::string> FirehoseElement::Get(std::string_view name) const {
  for (const auto& [key, value] : attributes) {
    if (key == name) return value;
  }
  return std::nullopt;
}

Result<uint64_t> FirehoseElement::GetNumber(std::string_view name, uint64_t max) const {
  auto text = Get(name);
  if (!text) return Status::Corrupt("Firehose <" + tag + "> lacks " + std::string(name));
  uint64_t value = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || text->empty()) {
    return Status::Corrupt("Firehose <" + tag + "> " + std::string(name) + " is not a number");
  }
  if (value > max) {
    return Status::Corrupt("Firehose <" + tag + "> " + std::string(name) + "=" + *text + " exceeds " +
                           std::to_string(max));
  }
  return value;
}

FirehoseElement& FirehoseElement::Set(std::string name, std::string value) {
  attributes.emplace_back(std::move(name), std::move(value));
  return *this;
}

Result<FirehoseDocument> ParseFirehoseXml(std::string_view text) {
  if (text.size() > kMaxFirehoseDocumentBytes) {
    return Status::Corrupt("Firehose document of " + std::to_string(text.size()) + " bytes exceeds the limit");
  }
  Reader reader(text);
  reader.SkipSpace();
  if (reader.Consume(kDeclarationOpen)) {
    const size_t end = reader.rest().find(kDeclarationClose);
    if (end == std::string_view::npos) return reader.Corrupt("unterminated XML declaration");
    reader.Skip(end + kDeclarationClose.size());
    reader.SkipSpace();
  }
  if (!reader.Consume(kDataOpen)) return reader.Corrupt("expected <data>");
  FirehoseDocument document;
  while (true) {
    reader.SkipSpace();
    if (reader.Consume(kDataClose)) break;
    if (reader.AtEnd()) return reader.Corrupt("missing </data>");
    if (!reader.Consume("<")) return reader.Corrupt("text outside an element");
    if (document.elements.size() >= kMaxFirehoseElements) return reader.Corrupt("too many elements");
    INTERDICT_ASSIGN_OR_RETURN(FirehoseElement element, ParseElement(reader));
    document.elements.push_back(std::move(element));
  }
  reader.SkipSpace();
  if (!reader.AtEnd()) return reader.Corrupt("bytes after </data>");
  return document;
}

size_t FirehoseDocumentEnd(std::string_view buffer) {
  const size_t close = buffer.find(kDataClose);
  return close == std::string_view::npos ? std::string_view::npos : close + kDataClose.size();
}

std::string EncodeFirehoseCommand(const FirehoseElement& element) {
  std::string out = "<?xml version=\"1.0\" ?><data><" + element.tag;
  for (const auto& [name, value] : element.attributes) out += " " + name + "=\"" + Escape(value) + "\"";
  out += " /></data>";
  return out;
}

uint32_t FirehoseTagKey(std::string_view tag) {
  for (size_t i = 0; i < kAllowedTags.size(); ++i) {
    if (kAllowedTags[i] == tag) return static_cast<uint32_t>(i);
  }
  for (size_t i = 0; i < kDeniedTags.size(); ++i) {
    if (kDeniedTags[i] == tag) return static_cast<uint32_t>(kAllowedTags.size() + i);
  }
  return kUnknownFirehoseTag;
}

ReadOnlyAllowlist MakeFirehoseReadOnlyAllowlist() {
  ReadOnlyAllowlist list("firehose");
  for (auto tag : kAllowedTags) list.Allow(FirehoseTagKey(tag), "<" + std::string(tag) + ">");
  for (const auto& tag : kDeniedTags) list.NameDenied(FirehoseTagKey(tag), "<" + tag + ">");
  return list;
}

const std::vector<std::string>& FirehoseDeniedTags() { return kDeniedTags; }

Result<FirehoseStorageInfo> ParseFirehoseStorageInfo(const std::vector<std::string>& logs) {
  for (const auto& line : logs) {
    const size_t brace = line.find('{');
    if (brace == std::string::npos || line.find(kStorageInfoKey) == std::string::npos) continue;
    nlohmann::json document = nlohmann::json::parse(line.substr(brace), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object()) continue;
    auto it = document.find(kStorageInfoKey);
    if (it == document.end() || !it->is_object()) continue;
    const nlohmann::json& info = *it;
    auto number = [&](const char* key, uint64_t max) -> Result<uint64_t> {
      auto field = info.find(key);
      if (field == info.end() || !field->is_number_unsigned() || field->get<uint64_t>() > max) {
        return Status::Corrupt(std::string("Firehose storage_info.") + key + " missing or out of range");
      }
      return field->get<uint64_t>();
    };
    auto text = [&](const char* key) -> std::string {
      auto field = info.find(key);
      return field != info.end() && field->is_string() ? field->get<std::string>().substr(0, kMaxFirehoseNameBytes)
                                                       : "";
    };
    FirehoseStorageInfo out;
    INTERDICT_ASSIGN_OR_RETURN(out.total_blocks, number("total_blocks", kMaxTotalBlocks));
    INTERDICT_ASSIGN_OR_RETURN(uint64_t block_size, number("block_size", kSectorSize4096));
    INTERDICT_ASSIGN_OR_RETURN(uint64_t luns, number("num_physical", kMaxFirehoseLuns));
    if (block_size != kSectorSize512 && block_size != kSectorSize4096) {
      return Status::Corrupt("Firehose block_size " + std::to_string(block_size) + " is neither 512 nor 4096");
    }
    if (out.total_blocks == 0) return Status::Corrupt("Firehose storage_info.total_blocks is 0");
    out.block_size = static_cast<uint32_t>(block_size);
    out.num_physical = static_cast<uint32_t>(luns);
    out.memory_type = text("mem_type");
    out.product_name = text("prod_name");
    out.serial_number = info.contains("serial_num") && info["serial_num"].is_number_unsigned()
                            ? std::to_string(info["serial_num"].get<uint64_t>())
                            : text("serial_num");
    return out;
  }
  return Status::Corrupt("no storage_info in the getstorageinfo answer");
}

Result<std::string> ParseFirehoseSha256Digest(const std::vector<std::string>& logs) {
  for (const auto& line : logs) {
    const size_t at = line.find(kDigestPrefix);
    if (at == std::string::npos) continue;
    size_t pos = at + kDigestPrefix.size();
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == ':')) ++pos;
    if (line.compare(pos, 2, "0x") == 0) pos += 2;
    if (line.size() - pos < kSha256HexLength) continue;
    std::string hex = line.substr(pos, kSha256HexLength);
    if (!std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
      continue;
    }
    std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) { return std::tolower(static_cast<unsigned char>(c)); });
    return hex;
  }
  return Status::Corrupt("no SHA-256 digest in the getsha256digest answer");
}

}  // namespace interdict::usb
