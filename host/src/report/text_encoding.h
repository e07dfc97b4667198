// Turning untrusted text and bytes from evidence into safe output for the report writers.
//
// Every string that reaches a report (file names, rule names, device strings, plugin messages) may be
// hostile: invalid UTF-8, control characters, markup. Writers pass each one through exactly one of the
// escapers below; nothing from a case is ever written raw. All functions are pure and thread-safe.
#ifndef INTERDICT_REPORT_TEXT_ENCODING_H_
#define INTERDICT_REPORT_TEXT_ENCODING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace interdict {

// Bytes shown per line in a hex/ASCII excerpt.
inline constexpr size_t kHexDumpBytesPerLine = 16;

// Valid UTF-8 with every malformed sequence replaced by U+FFFD, and the C0 controls other than tab,
// newline and carriage return (and DEL) replaced by U+FFFD too: the result is safe in XML 1.0 and JSON.
std::string SanitizeUtf8(std::string_view text);

// For HTML text and attribute values (both quote kinds escaped). Sanitizes first.
std::string HtmlEscape(std::string_view text);
// For XML text and attribute values. Sanitizes first.
std::string XmlEscape(std::string_view text);

// RFC 4648 base64 (OpenSSL EVP_EncodeBlock).
std::string Base64Encode(std::string_view bytes);
// "data:<media type>;base64,<...>"; the media type must be one of the picture types a report embeds,
// otherwise application/octet-stream is used so a browser never interprets it as markup.
std::string DataUri(std::string_view media_type, std::string_view bytes);

// The classic hex dump: "00001000  4d 5a 90 00 ...  |MZ..|", one line per kHexDumpBytesPerLine bytes,
// offsets starting at base_offset. Non-printable bytes show as '.'.
std::string HexAsciiDump(std::string_view bytes, uint64_t base_offset);

// "0x1f00" for offsets in location chains and tables.
std::string HexOffset(uint64_t value);
// "1.5 GiB (1610612736 bytes)".
std::string HumanBytes(uint64_t bytes);

}  // namespace interdict

#endif  // INTERDICT_REPORT_TEXT_ENCODING_H_
