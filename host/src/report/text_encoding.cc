#include "report/text_encoding.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace interdict {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";
// Picture types a report may embed as data: URIs (never text/html, image/svg+xml or anything scriptable).
constexpr std::array<std::string_view, 4> kEmbeddablePictureTypes = {"image/png", "image/jpeg", "image/gif",
                                                                     "image/webp"};

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is malformed (overlong forms,
// surrogates and code points above U+10FFFF count as malformed).
size_t ValidSequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t min_code_point = 0;
  uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1F, min_code_point = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0F, min_code_point = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07, min_code_point = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (code_point < min_code_point || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  // U+FFFE and U+FFFF are not allowed in XML 1.0.
  if (code_point == 0xFFFE || code_point == 0xFFFF) return 0;
  return length;
}

bool IsAllowedControl(unsigned char c) { return c == '\t' || c == '\n' || c == '\r'; }

// HTML and XML escape the same five characters; they differ only in the apostrophe entity, and XML keeps
// a literal carriage return (attribute normalisation would otherwise turn it into a space).
std::string EscapeMarkup(std::string_view text, const char* apostrophe, bool escape_carriage_return) {
  const std::string clean = SanitizeUtf8(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += apostrophe; break;
      case '\r':
        if (escape_carriage_return) {
          out += "&#13;";
          break;
        }
        [[fallthrough]];
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && !IsAllowedControl(c)) {
      out += kReplacementCharacter;
      ++i;
      continue;
    }
    if (c == 0x7F) {
      out += kReplacementCharacter;
      ++i;
      continue;
    }
    const size_t length = ValidSequenceLength(text, i);
    if (length == 0) {
      out += kReplacementCharacter;
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string HtmlEscape(std::string_view text) { return EscapeMarkup(text, "&#39;", false); }

std::string XmlEscape(std::string_view text) { return EscapeMarkup(text, "&apos;", true); }

std::string Base64Encode(std::string_view bytes) {
  // EVP_EncodeBlock takes an int length; encode in blocks that are a multiple of 3 bytes.
  constexpr size_t kBlock = 3 * 1024 * 1024;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t pos = 0; pos < bytes.size(); pos += kBlock) {
    const size_t n = std::min(kBlock, bytes.size() - pos);
    std::string chunk((n + 2) / 3 * 4 + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(chunk.data()),
                                        reinterpret_cast<const unsigned char*>(bytes.data() + pos),
                                        static_cast<int>(n));
    out.append(chunk.data(), static_cast<size_t>(written));
  }
  return out;
}

std::string DataUri(std::string_view media_type, std::string_view bytes) {
  std::string_view type = "application/octet-stream";
  for (std::string_view allowed : kEmbeddablePictureTypes) {
    if (media_type == allowed) type = allowed;
  }
  std::string out = "data:";
  out += type;
  out += ";base64,";
  out += Base64Encode(bytes);
  return out;
}

std::string HexAsciiDump(std::string_view bytes, uint64_t base_offset) {
  std::string out;
  char buffer[32];
  for (size_t line = 0; line < bytes.size(); line += kHexDumpBytesPerLine) {
    std::snprintf(buffer, sizeof buffer, "%08llx  ", static_cast<unsigned long long>(base_offset + line));
    out += buffer;
    std::string ascii;
    for (size_t k = 0; k < kHexDumpBytesPerLine; ++k) {
      if (line + k < bytes.size()) {
        const unsigned char c = static_cast<unsigned char>(bytes[line + k]);
        std::snprintf(buffer, sizeof buffer, "%02x ", c);
        out += buffer;
        ascii += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '.';
      } else {
        out += "   ";
      }
      if (k == kHexDumpBytesPerLine / 2 - 1) out += ' ';
    }
    out += " |" + ascii + "|\n";
  }
  return out;
}

std::string HexOffset(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  char buffer[64];
  if (unit == 0) {
    std::snprintf(buffer, sizeof buffer, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f %s (%llu bytes)", value, kUnits[unit],
                  static_cast<unsigned long long>(bytes));
  }
  return buffer;
}

}  // namespace interdict
