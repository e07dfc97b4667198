#include "plugins/media_type.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace interdict {
namespace {

std::vector<uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::string Sniff(const std::vector<uint8_t>& bytes) { return SniffMediaType(bytes); }

std::vector<uint8_t> At(size_t offset, std::string_view magic, size_t total) {
  std::vector<uint8_t> bytes(std::max(total, offset + magic.size()), 0);
  std::copy(magic.begin(), magic.end(), bytes.begin() + static_cast<long>(offset));
  return bytes;
}

std::vector<uint8_t> BinaryStl(uint32_t triangles, std::string_view header) {
  std::vector<uint8_t> bytes(84 + 50 * static_cast<size_t>(triangles), 0);
  std::copy(header.begin(), header.end(), bytes.begin());
  for (int i = 0; i < 4; ++i) bytes[80 + i] = static_cast<uint8_t>(triangles >> (8 * i));
  return bytes;
}

// A ZIP with one stored member, just enough structure for the sniffer (local header + central directory).
std::vector<uint8_t> Zip(std::string_view member) {
  std::string data = "PK\x03\x04";
  data += std::string(22, '\0');
  data.push_back(static_cast<char>(member.size()));
  data += std::string(3, '\0');
  data += member;
  data += "PK\x05\x06" + std::string(18, '\0');
  return Bytes(data);
}

TEST(SniffMediaType, RecognisesModelFormats) {
  EXPECT_EQ(Sniff(BinaryStl(2, "binary header")), kMediaStl);
  // A binary STL whose header starts with "solid" is still binary: the length decides.
  EXPECT_EQ(Sniff(BinaryStl(3, "solid but binary")), kMediaStl);
  EXPECT_EQ(Sniff(Bytes("  solid cube\n facet normal 0 0 1\n outer loop\n")), kMediaStl);
  EXPECT_EQ(Sniff(Bytes("# cube\nmtllib cube.mtl\no cube\nv 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 3\n")), kMediaObj);
  EXPECT_EQ(Sniff(Bytes("ply\nformat ascii 1.0\nelement vertex 3\n")), kMediaPly);
  EXPECT_EQ(Sniff(Zip("3D/3dmodel.model")), kMedia3mf);
  EXPECT_EQ(Sniff(Zip("AndroidManifest.xml")), kMediaApk);
  EXPECT_EQ(Sniff(Zip("readme.txt")), kMediaZip);
}

TEST(SniffMediaType, RecognisesArchivesAndFirmwareContainers) {
  EXPECT_EQ(Sniff(Bytes("\x1f\x8b\x08\x00rest")), kMediaGzip);
  EXPECT_EQ(Sniff(At(0,
                     std::string_view("\xfd"
                                      "7zXZ\x00",
                                      6),
                     32)),
            kMediaXz);
  EXPECT_EQ(Sniff(Bytes("7z\xbc\xaf\x27\x1c\x00\x04")), kMedia7z);
  EXPECT_EQ(Sniff(Bytes("BZh91AY&SY")), kMediaBzip2);
  EXPECT_EQ(Sniff(At(257, "ustar", 512)), kMediaTar);
  EXPECT_EQ(Sniff(Bytes("070701000000")), kMediaCpio);
  EXPECT_EQ(Sniff(At(0, std::string_view("\x3a\xff\x26\xed\x01\x00", 6), 28)), kMediaAndroidSparse);
  EXPECT_EQ(Sniff(At(0, "ANDROID!", 2048)), kMediaAndroidBoot);
  EXPECT_EQ(Sniff(At(1080, "\x53\xef", 2048)), kMediaExt4);
  EXPECT_EQ(Sniff(At(512, "EFI PART", 1024)), kMediaGptDisk);
  EXPECT_EQ(Sniff(At(0,
                     "\x7f"
                     "ELF",
                     64)),
            kMediaElf);
  EXPECT_EQ(Sniff(At(0, "hsqs", 96)), kMediaSquashfs);
  EXPECT_EQ(Sniff(At(0, std::string_view("dex\n035\0", 8), 112)), kMediaDex);
  EXPECT_EQ(Sniff(At(0, std::string_view("EVF\x09\x0d\x0a\xff\x00\x01\x01\x00", 11), 13)), kMediaEwf);
  EXPECT_EQ(Sniff(At(0, std::string_view("EVF2\x0d\x0a\x81\x00", 8), 32)), kMediaEwf);
  EXPECT_EQ(Sniff(At(0, std::string_view("EVF\x09\x0d\x0a\xfe\x00", 8), 32)), kMediaOctetStream);
}

TEST(SniffMediaType, FallsBackToOctetStreamForNearMisses) {
  EXPECT_EQ(Sniff({}), kMediaOctetStream);
  EXPECT_EQ(Sniff(Bytes("hello world\n")), kMediaOctetStream);
  // STL length off by one byte.
  std::vector<uint8_t> stl = BinaryStl(2, "x");
  stl.push_back(0);
  EXPECT_EQ(Sniff(stl), kMediaOctetStream);
  // Only two vertices, or a non-OBJ statement.
  EXPECT_EQ(Sniff(Bytes("v 0 0 0\nv 1 1 1\nf 1 2 2\n")), kMediaOctetStream);
  EXPECT_EQ(Sniff(Bytes("v 0 0 0\nv 1 0 0\nv 1 1 0\nhello there\n")), kMediaOctetStream);
  EXPECT_EQ(Sniff(Bytes("solid but nothing else")), kMediaOctetStream);
  EXPECT_EQ(Sniff(Bytes("BZh0")), kMediaOctetStream);
  EXPECT_EQ(Sniff(At(1080, "\x53\xee", 2048)), kMediaOctetStream);
}

TEST(SniffMediaType, FileVariantFinds3mfMemberInTheCentralDirectoryAtTheTail) {
  // Member name only in the central directory, far beyond the head.
  std::string data = "PK\x03\x04" + std::string(26, '\0') + std::string(kSniffHeadBytes * 2, 'x');
  data += "PK\x01\x02" + std::string(42, '\0') + "3D/3dmodel.model" + "PK\x05\x06" + std::string(18, '\0');
  char path[] = "/tmp/interdict-sniff-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
  Result<std::string> sniffed = SniffMediaTypeOfFile(path);
  ::unlink(path);
  ASSERT_TRUE(sniffed.ok()) << sniffed.status().ToString();
  EXPECT_EQ(*sniffed, kMedia3mf);
  EXPECT_EQ(SniffMediaTypeOfFile("/nonexistent/interdict").status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace interdict
