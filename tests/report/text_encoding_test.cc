#include "report/text_encoding.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace interdict {
namespace {

TEST(TextEncoding, SanitizeUtf8KeepsValidTextAndReplacesMalformedBytes) {
  EXPECT_EQ(SanitizeUtf8("plain ASCII\ttab\nline"), "plain ASCII\ttab\nline");
  EXPECT_EQ(SanitizeUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8d"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x8d");
  EXPECT_EQ(SanitizeUtf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(SanitizeUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");           // overlong '/'
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");          // truncated sequence
  EXPECT_EQ(SanitizeUtf8(std::string("nul\0bell\a", 9)), "nul\xef\xbf\xbd" "bell\xef\xbf\xbd");
}

TEST(TextEncoding, HtmlEscapeNeutralisesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
}

TEST(TextEncoding, XmlEscapeProducesWellFormedText) {
  EXPECT_EQ(XmlEscape("a<b>&'\"\r\x01"), "a&lt;b&gt;&amp;&apos;&quot;&#13;\xef\xbf\xbd");
}

TEST(TextEncoding, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(TextEncoding, DataUriOnlyEmbedsPictureTypes) {
  EXPECT_EQ(DataUri("image/png", "foo"), "data:image/png;base64,Zm9v");
  EXPECT_EQ(DataUri("text/html", "foo"), "data:application/octet-stream;base64,Zm9v");
  EXPECT_EQ(DataUri("image/svg+xml", "foo"), "data:application/octet-stream;base64,Zm9v");
}

TEST(TextEncoding, HexAsciiDumpShowsOffsetsBytesAndPrintableText) {
  EXPECT_EQ(HexAsciiDump(std::string("MZ\x90\x00<script>AB", 14), 0x1000),
            "00001000  4d 5a 90 00 3c 73 63 72  69 70 74 3e 41 42        |MZ..<script>AB|\n");
  const std::string two_lines(17, 'A');
  const std::string dump = HexAsciiDump(two_lines, 0);
  EXPECT_NE(dump.find("00000010  41 "), std::string::npos);
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '\n'), 2);
}

TEST(TextEncoding, HumanBytesGivesUnitAndExactCount) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(134217728), "128.0 MiB (134217728 bytes)");
  EXPECT_EQ(HexOffset(0x8000000), "0x8000000");
}

}  // namespace
}  // namespace interdict
