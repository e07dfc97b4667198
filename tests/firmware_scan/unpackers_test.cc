// Unpackers on bytes built in the test: partition tables, Android sparse and boot images, archives,
// ext4 and squashfs (made with mke2fs/mksquashfs), carving; damaged variants of each.
#include <cstring>

#include "fwscan_test_support.h"
#include "unpacker.h"

namespace fwtest {
namespace {


struct Collected {
  std::vector<Child> children;
  std::vector<UnpackNote> notes;
  Status status;
};

Collected Unpack(const UnpackerFormat& format, std::vector<uint8_t> bytes, UnpackLimits limits = {}) {
  Collected c;
  SourcePtr source = MakeMemorySource(std::move(bytes));
  UnpackContext context(limits, source->size());
  c.status = format.unpack(source, context, [&](Child child) {
    c.children.push_back(std::move(child));
    return Status::Ok();
  });
  c.notes = context.TakeNotes();
  return c;
}

std::vector<std::string> Names(const Collected& c) {
  std::vector<std::string> names;
  for (const Child& ch : c.children) names.push_back(ch.name);
  return names;
}

std::string Content(const Child& child) {
  auto bytes = ReadUpTo(*child.source, 0, 1 << 20);
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : "<unreadable>";
}

TEST(Partitions, GptPartitionsBecomeViewsAtTheirOffsets) {
  std::vector<uint8_t> disk = GptDisk(200, {{"boot", 40, 59}, {"userdata", 60, 99}});
  std::memcpy(&disk[40 * 512], "BOOTDATA", 8);
  std::memcpy(&disk[60 * 512], "USERDATA", 8);
  ASSERT_TRUE(kGptFormat.probe(disk, disk.size()));
  Collected c = Unpack(kGptFormat, disk);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  ASSERT_EQ(c.children.size(), 2u);
  EXPECT_EQ(c.children[0].name, "boot");
  EXPECT_EQ(c.children[0].offset_in_parent, 40u * 512);
  EXPECT_EQ(c.children[0].source->size(), 20u * 512);
  EXPECT_EQ(Content(c.children[0]).substr(0, 8), "BOOTDATA");
  EXPECT_EQ(c.children[1].name, "userdata");
  EXPECT_EQ(Content(c.children[1]).substr(0, 8), "USERDATA");
  EXPECT_TRUE(c.notes.empty());
}

TEST(Partitions, GptPartitionPastTheDiskEndIsTruncatedAndNoted) {
  Collected c = Unpack(kGptFormat, GptDisk(100, {{"big", 40, 500}, {"gone", 300, 400}}));
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.children.size(), 1u);
  EXPECT_EQ(c.children[0].source->size(), 60u * 512);
  ASSERT_EQ(c.notes.size(), 2u);
  EXPECT_NE(c.notes[0].message.find("ends beyond the disk"), std::string::npos);
  EXPECT_NE(c.notes[1].message.find("outside the disk"), std::string::npos);
}

TEST(Partitions, GptWithAbsurdEntrySizeIsCorrupt) {
  std::vector<uint8_t> disk = GptDisk(100, {{"a", 40, 50}});
  Put32(disk, 512 + 84, 7);
  EXPECT_EQ(Unpack(kGptFormat, disk).status.code(), StatusCode::kCorrupt);
}

TEST(Partitions, MbrPrimaryAndLogicalPartitions) {
  std::vector<uint8_t> disk(256 * 512);
  auto entry = [&](size_t sector, int slot, uint8_t type, uint32_t lba, uint32_t count) {
    size_t e = sector * 512 + 446 + 16 * slot;
    disk[e + 4] = type;
    Put32(disk, e + 8, lba);
    Put32(disk, e + 12, count);
    disk[sector * 512 + 510] = 0x55;
    disk[sector * 512 + 511] = 0xAA;
  };
  entry(0, 0, 0x83, 8, 16);
  entry(0, 1, 0x05, 64, 128);
  entry(64, 0, 0x83, 2, 10);   // logical p5 at 66
  entry(64, 1, 0x05, 32, 40);  // next EBR at 64+32
  entry(96, 0, 0x0B, 4, 20);   // logical p6 at 100
  ASSERT_TRUE(kMbrFormat.probe(disk, disk.size()));
  Collected c = Unpack(kMbrFormat, disk);
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.children.size(), 3u);
  EXPECT_EQ(c.children[0].name, "p1");
  EXPECT_EQ(c.children[0].offset_in_parent, 8u * 512);
  EXPECT_EQ(c.children[1].name, "p5");
  EXPECT_EQ(c.children[1].offset_in_parent, 66u * 512);
  EXPECT_EQ(c.children[2].name, "p6");
  EXPECT_EQ(c.children[2].offset_in_parent, 100u * 512);
}

TEST(Partitions, MbrExtendedChainLoopIsStoppedAndNoted) {
  std::vector<uint8_t> disk(128 * 512);
  auto entry = [&](size_t sector, int slot, uint8_t type, uint32_t lba, uint32_t count) {
    size_t e = sector * 512 + 446 + 16 * slot;
    disk[e + 4] = type;
    Put32(disk, e + 8, lba);
    Put32(disk, e + 12, count);
    disk[sector * 512 + 510] = 0x55;
    disk[sector * 512 + 511] = 0xAA;
  };
  entry(0, 0, 0x05, 10, 100);
  entry(10, 0, 0x83, 1, 4);
  entry(10, 1, 0x05, 0, 100);  // points back at itself
  Collected c = Unpack(kMbrFormat, disk);
  ASSERT_TRUE(c.status.ok());
  EXPECT_EQ(c.children.size(), 1u);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].message.find("loops"), std::string::npos);
}

std::vector<uint8_t> SparseImage(bool truncate_last) {
  // 4 blocks of 4096: raw "RAWDATA...", fill 0x11223344, don't care, raw "TAIL".
  std::vector<uint8_t> b(28);
  Put32(b, 0, 0xED26FF3A);
  Put16(b, 4, 1);
  Put16(b, 8, 28);
  Put16(b, 10, 12);
  Put32(b, 12, 4096);
  Put32(b, 16, 4);
  Put32(b, 20, 4);
  auto chunk = [&](uint16_t type, uint32_t blocks, const std::vector<uint8_t>& data) {
    size_t at = b.size();
    b.resize(at + 12);
    Put16(b, at, type);
    Put32(b, at + 4, blocks);
    Put32(b, at + 8, static_cast<uint32_t>(12 + data.size()));
    b.insert(b.end(), data.begin(), data.end());
  };
  std::vector<uint8_t> raw(4096, 'r');
  std::memcpy(raw.data(), "RAWDATA", 7);
  chunk(0xCAC1, 1, raw);
  chunk(0xCAC2, 1, {0x44, 0x33, 0x22, 0x11});
  chunk(0xCAC3, 1, {});
  std::vector<uint8_t> tail(4096, 't');
  std::memcpy(tail.data(), "TAIL", 4);
  chunk(0xCAC1, 1, tail);
  if (truncate_last) b.resize(b.size() - 2048);
  return b;
}

TEST(AndroidSparse, ExpandsRawFillAndDontCareChunksWithoutCopying) {
  Collected c = Unpack(kAndroidSparseFormat, SparseImage(false));
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.children.size(), 1u);
  const ByteSource& image = *c.children[0].source;
  ASSERT_EQ(image.size(), 4u * 4096);
  auto bytes = ReadUpTo(image, 0, image.size());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(std::string(bytes->begin(), bytes->begin() + 7), "RAWDATA");
  EXPECT_EQ((*bytes)[4096], 0x44);
  EXPECT_EQ((*bytes)[4099], 0x11);
  EXPECT_EQ((*bytes)[4096 + 4092 + 3], 0x11);
  EXPECT_EQ((*bytes)[2 * 4096 + 100], 0);
  EXPECT_EQ(std::string(bytes->begin() + 3 * 4096, bytes->begin() + 3 * 4096 + 4), "TAIL");
  EXPECT_TRUE(c.notes.empty());
}

TEST(AndroidSparse, TruncatedImageYieldsWhatItHasAndANote) {
  Collected c = Unpack(kAndroidSparseFormat, SparseImage(true));
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.children.size(), 1u);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0].code, StatusCode::kCorrupt);
  EXPECT_NE(c.notes[0].message.find("truncated"), std::string::npos);
  auto head = ReadUpTo(*c.children[0].source, 0, 7);
  EXPECT_EQ(std::string(head->begin(), head->end()), "RAWDATA");
}

std::vector<uint8_t> BootImage(uint32_t version, uint32_t kernel_size, uint32_t ramdisk_size) {
  uint32_t page = version >= 3 ? 4096 : 2048;
  std::vector<uint8_t> b(page);
  std::memcpy(b.data(), "ANDROID!", 8);
  Put32(b, 8, kernel_size);
  Put32(b, 40, version);
  if (version >= 3) {
    Put32(b, 12, ramdisk_size);
    if (version == 4) Put32(b, 1580, 0);
  } else {
    Put32(b, 16, ramdisk_size);
    Put32(b, 36, page);
  }
  auto round = [&](uint32_t n) { return (n + page - 1) / page * page; };
  std::vector<uint8_t> kernel(round(kernel_size), 'k');
  std::memcpy(kernel.data(), "KERNEL", 6);
  std::vector<uint8_t> ramdisk(round(ramdisk_size), 'r');
  std::memcpy(ramdisk.data(), "RAMDISK", 7);
  b.insert(b.end(), kernel.begin(), kernel.end());
  b.insert(b.end(), ramdisk.begin(), ramdisk.end());
  return b;
}

TEST(AndroidBoot, VersionsZeroToFourPlaceKernelAndRamdisk) {
  for (uint32_t version : {0u, 1u, 2u, 3u, 4u}) {
    SCOPED_TRACE(version);
    Collected c = Unpack(kAndroidBootFormat, BootImage(version, 5000, 3000));
    ASSERT_TRUE(c.status.ok()) << c.status.ToString();
    ASSERT_EQ(c.children.size(), 2u);
    uint64_t page = version >= 3 ? 4096 : 2048;
    EXPECT_EQ(c.children[0].name, "kernel");
    EXPECT_EQ(c.children[0].offset_in_parent, page);
    EXPECT_EQ(c.children[0].source->size(), 5000u);
    EXPECT_EQ(Content(c.children[0]).substr(0, 6), "KERNEL");
    EXPECT_EQ(c.children[1].name, "ramdisk");
    EXPECT_EQ(c.children[1].offset_in_parent, page + (5000 + page - 1) / page * page);
    EXPECT_EQ(Content(c.children[1]).substr(0, 7), "RAMDISK");
  }
}

TEST(AndroidBoot, RamdiskCutByTheEndIsCorruptAfterOfferingThePart) {
  std::vector<uint8_t> image = BootImage(2, 5000, 3000);
  image.resize(image.size() - 4000);
  Collected c = Unpack(kAndroidBootFormat, image);
  EXPECT_EQ(c.status.code(), StatusCode::kCorrupt);
  ASSERT_EQ(c.children.size(), 2u);
  EXPECT_LT(c.children[1].source->size(), 3000u);
}

TEST(AndroidBoot, UnknownHeaderVersionIsUnsupported) {
  EXPECT_EQ(Unpack(kAndroidBootFormat, BootImage(9, 100, 100)).status.code(), StatusCode::kUnsupported);
}

TEST(Archive, ZipTarGzAndBareXzMembersAreExtracted) {
  auto zip = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, {{"a/one.txt", Bytes("first")}, {"two.bin", Bytes("second")}});
  ASSERT_TRUE(kArchiveFormat.probe(zip, zip.size()));
  Collected c = Unpack(kArchiveFormat, zip);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  ASSERT_EQ(c.children.size(), 2u);
  EXPECT_EQ(c.children[0].format, "zip");
  EXPECT_EQ(c.children[0].name, "a/one.txt");
  EXPECT_EQ(Content(c.children[0]), "first");
  EXPECT_EQ(Content(c.children[1]), "second");

  auto tgz = MakeArchive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, {{"x.txt", Bytes("in a tarball")}});
  Collected t = Unpack(kArchiveFormat, tgz);
  ASSERT_EQ(t.children.size(), 1u);
  EXPECT_EQ(t.children[0].format, "tar");
  EXPECT_EQ(Content(t.children[0]), "in a tarball");

  auto xz = MakeArchive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_XZ, {{"data", Bytes("bare xz stream")}});
  ASSERT_TRUE(kArchiveFormat.probe(xz, xz.size()));
  Collected x = Unpack(kArchiveFormat, xz);
  ASSERT_EQ(x.children.size(), 1u);
  EXPECT_EQ(x.children[0].format, "xz");
  EXPECT_EQ(Content(x.children[0]), "bare xz stream");
}

TEST(Archive, TruncatedZipIsCorruptAfterTheIntactMembers) {
  std::vector<uint8_t> big(200000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  auto zip = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, {{"ok.txt", Bytes("intact")}, {"big.bin", big}});
  zip.resize(zip.size() / 2);
  Collected c = Unpack(kArchiveFormat, zip);
  EXPECT_EQ(c.status.code(), StatusCode::kCorrupt) << c.status.ToString();
  ASSERT_GE(c.children.size(), 1u);
  EXPECT_EQ(Content(c.children[0]), "intact");
}

TEST(Carve, FindsEmbeddedGzipAndElfAtTheirOffsets) {
  std::vector<uint8_t> blob(3000, 'x');
  auto gz = MakeArchive(ARCHIVE_FORMAT_RAW, ARCHIVE_FILTER_GZIP, {{"data", Bytes("hidden payload")}});
  blob.insert(blob.end(), gz.begin(), gz.end());
  size_t elf_at = blob.size() + 100;
  blob.resize(elf_at, 'y');
  std::vector<uint8_t> elf(64 + 56 + 32, 0);
  std::memcpy(elf.data(), "\x7f" "ELF\x02\x01\x01", 7);
  Put64(elf, 32, 64);    // phoff
  Put16(elf, 54, 56);    // phentsize
  Put16(elf, 56, 1);     // phnum
  Put64(elf, 64 + 8, 0);                 // p_offset
  Put64(elf, 64 + 32, elf.size());       // p_filesz
  blob.insert(blob.end(), elf.begin(), elf.end());
  blob.resize(blob.size() + 500, 'z');
  Collected c = Unpack(kCarveFormat, blob);
  ASSERT_TRUE(c.status.ok());
  ASSERT_EQ(c.children.size(), 2u);
  EXPECT_EQ(c.children[0].name, "gzip");
  EXPECT_EQ(c.children[0].offset_in_parent, 3000u);
  EXPECT_EQ(c.children[1].name, "elf");
  EXPECT_EQ(c.children[1].offset_in_parent, elf_at);
  EXPECT_EQ(c.children[1].source->size(), elf.size());
}

class FileSystemImages : public testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_ / "root/etc/hosts.txt", Bytes("127.0.0.1 localhost\n"));
    WriteFile(dir_ / "root/app/data.bin", std::vector<uint8_t>(70000, 0x5A));
    WriteFile(dir_ / "root/zz.txt", Bytes("last"));
  }
  TempDir dir_;
};

TEST_F(FileSystemImages, Ext4FilesAreListedDepthFirstWithTheirContent) {
  std::string cmd = "mke2fs -q -F -t ext4 -b 1024 -d " + (dir_ / "root").string() + " " + (dir_ / "fs.ext4").string() +
                    " 2M >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto image = ReadFile(dir_ / "fs.ext4");
  ASSERT_TRUE(kExt4Format.probe(image, image.size()));
  Collected c = Unpack(kExt4Format, image);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(Names(c), (std::vector<std::string>{"/zz.txt", "/app/data.bin", "/etc/hosts.txt"}));
  EXPECT_EQ(Content(c.children[2]), "127.0.0.1 localhost\n");
  EXPECT_EQ(c.children[1].source->size(), 70000u);
  auto tail = ReadUpTo(*c.children[1].source, 69990, 100);
  EXPECT_EQ(*tail, std::vector<uint8_t>(10, 0x5A));
}

TEST_F(FileSystemImages, Ext4WithDamagedSuperblockIsCorrupt) {
  std::string cmd = "mke2fs -q -F -t ext4 -b 1024 " + (dir_ / "fs.ext4").string() + " 1M >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto image = ReadFile(dir_ / "fs.ext4");
  Put32(image, 1024 + 24, 30);  // s_log_block_size: absurd
  EXPECT_EQ(Unpack(kExt4Format, image).status.code(), StatusCode::kCorrupt);
}

TEST_F(FileSystemImages, SquashfsFilesAreListedWithTheirContent) {
  std::string cmd = "mksquashfs " + (dir_ / "root").string() + " " + (dir_ / "fs.sqfs").string() +
                    " -quiet -noappend -all-root -no-xattrs >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto image = ReadFile(dir_ / "fs.sqfs");
  ASSERT_TRUE(kSquashfsFormat.probe(image, image.size()));
  Collected c = Unpack(kSquashfsFormat, image);
  ASSERT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_EQ(Names(c), (std::vector<std::string>{"/app/data.bin", "/etc/hosts.txt", "/zz.txt"}));
  EXPECT_EQ(Content(c.children[1]), "127.0.0.1 localhost\n");
  EXPECT_EQ(c.children[0].source->size(), 70000u);
}

TEST(Walker, CorruptMemberIsRecordedAndTheNextMemberIsStillScanned) {
  std::vector<uint8_t> big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 2654435761u) >> 11);
  auto damaged = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, {{"big.bin", big}});
  damaged.resize(damaged.size() / 2);
  auto outer = MakeArchive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE,
                           {{"damaged.zip", damaged}, {"after.txt", Bytes("marker-after-damage")}});
  auto rules = CompileOrDie("rule after { meta: severity = \"high\" strings: $a = \"marker-after-damage\" condition: $a }");
  WalkResult r = Walk("outer.tar", MakeMemorySource(outer), rules);
  auto corrupt = r.OfKind("corruption");
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0]["location"], "outer.tar > tar:damaged.zip");
  EXPECT_EQ(corrupt[0]["outcome"], "corrupt");
  auto matches = r.OfKind("yara-match");
  ASSERT_EQ(matches.size(), 2u);  // the tar itself and the member
  EXPECT_EQ(matches[1]["location"], "outer.tar > tar:after.txt@0x0");
  EXPECT_EQ(matches[1]["severity"], "high");
  EXPECT_EQ(r.records.back()["kind"], "scan-summary");
}

TEST(Walker, ExpertWitnessContainerThatCannotBeDecodedIsCorruptAndTheScanIsNeverClean) {
  // An E01 signature over garbage: libewf cannot decode it, and scanning the container bytes alone must
  // not read as a clean scan of the media. (Decodable E01s: ewf_test.cc.)
  std::vector<uint8_t> e01 = {'E', 'V', 'F', 0x09, 0x0d, 0x0a, 0xff, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00};
  e01.resize(8192, 0x5a);
  auto rules = CompileOrDie("rule never { strings: $a = \"zz-not-present-zz\" condition: $a }");
  WalkResult r = Walk("seized.E01", MakeMemorySource(e01), rules);
  auto corrupt = r.OfKind("corruption");
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0]["location"], "seized.E01");
  EXPECT_EQ(corrupt[0]["outcome"], "corrupt");
  EXPECT_NE(corrupt[0]["summary"].get<std::string>().find("the segment file is truncated"), std::string::npos)
      << corrupt[0]["summary"];
  EXPECT_EQ(r.summary.outcome, "corrupt");
}

TEST(Walker, DamagedContainerWithoutHitsSummarisesAsCorruptNotClean) {
  std::vector<uint8_t> big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 2654435761u) >> 11);
  auto damaged = MakeArchive(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, {{"big.bin", big}});
  damaged.resize(damaged.size() / 2);
  auto outer = MakeArchive(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, {{"damaged.zip", damaged}});
  auto rules = CompileOrDie("rule never { strings: $a = \"zz-not-present-zz\" condition: $a }");
  WalkResult r = Walk("outer.tar", MakeMemorySource(outer), rules);
  ASSERT_EQ(r.OfKind("corruption").size(), 1u);
  EXPECT_TRUE(r.OfKind("yara-match").empty());
  EXPECT_EQ(r.summary.outcome, "corrupt");
}

}  // namespace
}  // namespace fwtest
