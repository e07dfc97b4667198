// ADB messages, banner, sync replies, the service and sync allowlists and the lab key, without USB.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "protocol/adb.h"
#include "protocol/adb_block_commands.h"
#include "protocol/adb_auth.h"

namespace interdict::usb {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(AdbMessage, HeaderRoundTripsAndChecksMagicCommandAndLength) {
  AdbMessage open{kAdbOpen, 7, 0, {'s', 'y', 'n', 'c', ':', 0}};
  std::vector<uint8_t> header = EncodeAdbHeader(open, true);
  ASSERT_EQ(header.size(), kAdbHeaderBytes);
  auto parsed = ParseAdbHeader(header, kAdbMaxPayload);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->command, kAdbOpen);
  EXPECT_EQ(parsed->arg0, 7u);
  EXPECT_EQ(parsed->data_length, 6u);
  EXPECT_TRUE(CheckAdbPayload(*parsed, open.data, true).ok());
  std::vector<uint8_t> tampered = open.data;
  tampered[0] ^= 1;
  EXPECT_EQ(CheckAdbPayload(*parsed, tampered, true).code(), StatusCode::kCorrupt);
  EXPECT_EQ(CheckAdbPayload(*parsed, std::span<const uint8_t>(open.data.data(), 5), false).code(), StatusCode::kCorrupt);

  std::vector<uint8_t> bad_magic = header;
  bad_magic[20] ^= 1;
  EXPECT_EQ(ParseAdbHeader(bad_magic, kAdbMaxPayload).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseAdbHeader(std::span<const uint8_t>(header.data(), 23), kAdbMaxPayload).status().code(),
            StatusCode::kCorrupt);
  EXPECT_EQ(ParseAdbHeader(header, 5).status().code(), StatusCode::kCorrupt);  // payload above the limit
  AdbMessage unknown{0x41414141, 0, 0, {}};
  EXPECT_EQ(ParseAdbHeader(EncodeAdbHeader(unknown, false), kAdbMaxPayload).status().code(), StatusCode::kCorrupt);
}

TEST(AdbMessage, BannerPropertiesAreParsed) {
  auto banner = ParseAdbBanner(Bytes(std::string_view("device::ro.product.model=Pixel 7;ro.product.name=p;features=a,b\0", 63)));
  ASSERT_TRUE(banner.ok()) << banner.status().ToString();
  EXPECT_EQ(banner->kind, "device");
  EXPECT_EQ(banner->Get("ro.product.model"), std::optional<std::string>("Pixel 7"));
  EXPECT_EQ(banner->Get("features"), std::optional<std::string>("a,b"));
  EXPECT_EQ(ParseAdbBanner(Bytes("nocolons")).status().code(), StatusCode::kCorrupt);
}

TEST(AdbAllowlist, ReadOnlyServicesPassAndEveryDeniedServiceIsRefused) {
  ReadOnlyAllowlist list = MakeAdbServiceAllowlist();
  for (const char* service : {"sync:", "exec:getprop", "exec:getprop ro.serialno", "exec:id", "shell:getprop"}) {
    EXPECT_TRUE(list.Check(AdbServiceKey(service)).ok()) << service;
  }
  for (const auto& service : AdbDeniedServiceExamples()) {
    EXPECT_EQ(list.Check(AdbServiceKey(service)).code(), StatusCode::kPermissionDenied) << service;
  }
  EXPECT_EQ(list.refused_count(), AdbDeniedServiceExamples().size());
  EXPECT_NE(list.NameOf(AdbServiceKey("reboot:recovery")).find("reboot:"), std::string::npos);
}

TEST(AdbAllowlist, BlockCommandsPassOnlyInTheirExactReadOnlySpelling) {
  ReadOnlyAllowlist list = MakeAdbServiceAllowlist();
  const std::string read = EncodeAdbBlockReadService({"/dev/block/by-name/userdata", 2048, 2048});
  EXPECT_EQ(read, "exec:dd if=/dev/block/by-name/userdata bs=512 skip=2048 count=2048 status=none");
  for (const std::string& service : {read, EncodeAdbBlockSizeService("/dev/block/sda"),
                                     EncodeAdbBlockReadService({"/dev/block/mmcblk0", 0, 1})}) {
    EXPECT_TRUE(list.Check(AdbServiceKey(service)).ok()) << service;
  }
  auto parsed = ParseAdbBlockReadService(read);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->path, "/dev/block/by-name/userdata");
  EXPECT_EQ(parsed->first_sector, 2048u);
  EXPECT_EQ(parsed->sector_count, 2048u);
  for (const char* service : {
           "exec:dd if=/dev/block/sda bs=512 skip=0 count=1 status=none of=/dev/block/sdb",
           "exec:dd if=/dev/block/sda of=/dev/block/sdb bs=512 skip=0 count=1 status=none",
           "exec:dd if=/dev/block/sda bs=512 skip=0 count=1 status=none conv=notrunc",
           "exec:dd if=/dev/block/sda bs=4096 skip=0 count=1 status=none",
           "exec:dd if=/dev/block/sda bs=512 skip=0 count=2049 status=none",  // over 1 MiB
           "exec:dd if=/dev/block/sda bs=512 skip=0 count=0 status=none",
           "exec:dd if=/dev/block/sda bs=512 skip=00 count=1 status=none",
           "exec:dd if=/dev/block/sda bs=512 skip=-1 count=1 status=none",
           "exec:dd if=/dev/block/./sda bs=512 skip=0 count=1 status=none",
           "exec:dd if=/dev/block/ bs=512 skip=0 count=1 status=none",
           "exec:dd if=/sdcard/DCIM/x.jpg bs=512 skip=0 count=1 status=none",
           "exec:dd if=/dev/block/sda bs=512 skip=0 count=1",
           "exec:dd if=/dev/block/sda bs=512 skip=0 count=1 status=none&&reboot",
           "exec:blockdev --getsize64 /dev/block/sda;reboot", "exec:blockdev --getsize64 /dev/block/../sda",
           "exec:blockdev --setrw /dev/block/sda", "shell:dd if=/dev/block/sda bs=512 skip=0 count=1 status=none"}) {
    EXPECT_EQ(list.Check(AdbServiceKey(service)).code(), StatusCode::kPermissionDenied) << service;
  }
}

TEST(AdbAllowlist, SyncSendAndDeleteAreRefused) {
  ReadOnlyAllowlist list = MakeAdbSyncAllowlist();
  for (uint32_t id : {kSyncStat, kSyncList, kSyncRecv, kSyncQuit, kSyncStat2, kSyncList2, kSyncRecv2}) {
    EXPECT_TRUE(list.Check(AdbSyncRequestKey(id)).ok()) << id;
  }
  for (uint32_t id : {kSyncSend, kSyncSend2, kSyncDelete, 0x12345678u, kSyncData}) {
    EXPECT_EQ(list.Check(AdbSyncRequestKey(id)).code(), StatusCode::kPermissionDenied) << id;
  }
  EXPECT_NE(list.NameOf(AdbSyncRequestKey(kSyncSend)).find("SEND"), std::string::npos);
}

TEST(AdbSync, RepliesSplitAnywhereAreReassembled) {
  std::vector<uint8_t> stream;
  auto append = [&](const std::vector<uint8_t>& v) { stream.insert(stream.end(), v.begin(), v.end()); };
  append(EncodeSyncDent(0100644, 5, 1700000000, "a.txt"));
  append(EncodeSyncDent(0040755, 0, 1700000001, "dir"));
  append(EncodeSyncDone(SyncExpect::kList));
  AdbSyncReader reader;
  std::vector<SyncReply> replies;
  for (uint8_t byte : stream) {
    reader.Feed(std::span<const uint8_t>(&byte, 1));
    auto next = reader.Next(SyncExpect::kList);
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    if (*next) replies.push_back(**next);
  }
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].name, "a.txt");
  EXPECT_EQ(replies[0].size, 5u);
  EXPECT_EQ(replies[0].mtime, 1700000000u);
  EXPECT_EQ(replies[1].mode, 0040755u);
  EXPECT_EQ(replies[2].id, kSyncDone);
  EXPECT_EQ(reader.buffered(), 0u);

  AdbSyncReader recv;
  const std::vector<uint8_t> data = {1, 2, 3};
  recv.Feed(EncodeSyncData(data));
  recv.Feed(EncodeSyncDone(SyncExpect::kRecv));
  EXPECT_EQ((*recv.Next(SyncExpect::kRecv))->data, data);
  EXPECT_EQ((*recv.Next(SyncExpect::kRecv))->id, kSyncDone);
  EXPECT_FALSE(recv.Next(SyncExpect::kRecv)->has_value());
}

TEST(AdbSync, HostileLengthsAndIdsAreCorrupt) {
  AdbSyncReader big_data;
  std::vector<uint8_t> data_header = EncodeSyncData(std::vector<uint8_t>(1));
  data_header[4] = 0xFF;
  data_header[5] = 0xFF;
  data_header[6] = 0xFF;  // 16 MiB DATA
  big_data.Feed(data_header);
  EXPECT_EQ(big_data.Next(SyncExpect::kRecv).status().code(), StatusCode::kCorrupt);
  AdbSyncReader long_name;
  std::vector<uint8_t> dent = EncodeSyncDent(0100644, 1, 1, "x");
  dent[16] = 0x00;
  dent[17] = 0x10;  // 4096-byte name
  long_name.Feed(dent);
  EXPECT_EQ(long_name.Next(SyncExpect::kList).status().code(), StatusCode::kCorrupt);
  AdbSyncReader wrong;
  wrong.Feed(EncodeSyncStat(1, 2, 3));
  EXPECT_EQ(wrong.Next(SyncExpect::kRecv).status().code(), StatusCode::kCorrupt);
  AdbSyncReader fail;
  fail.Feed(EncodeSyncFail("nope"));
  auto reply = fail.Next(SyncExpect::kStat);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ((*reply)->name, "nope");
}

TEST(AdbKeyTest, IsCreatedOnceKeptPrivateAndSignsVerifiably) {
  const auto path = std::filesystem::temp_directory_path() / ("adb_key_test_" + std::to_string(::getpid())) / "adbkey";
  std::filesystem::remove_all(path.parent_path());
  auto key = AdbKey::LoadOrCreate(path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = AdbKey::LoadOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*key->Fingerprint(), *again->Fingerprint());
  EXPECT_EQ(key->Fingerprint()->size(), 47u);  // 16 bytes as XX:XX:...

  auto blob = key->AndroidPublicKeyBlob();
  ASSERT_TRUE(blob.ok());
  ASSERT_EQ(blob->size(), kAndroidPublicKeyBytes);
  EXPECT_EQ((*blob)[0], 64);  // 64 words
  EXPECT_EQ((*blob)[520] | (*blob)[521] << 8 | (*blob)[522] << 16, 65537);
  auto text = key->AndroidPublicKey();
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->back(), '\0');
  EXPECT_NE(text->find(" interdict@lab"), std::string::npos);

  std::vector<uint8_t> token(20);
  for (size_t i = 0; i < token.size(); ++i) token[i] = static_cast<uint8_t>(i * 7);
  auto signature = again->Sign(token);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 256u);
  EXPECT_TRUE(VerifyAdbSignature(*text, token, *signature).ok());
  token[0] ^= 1;
  EXPECT_EQ(VerifyAdbSignature(*text, token, *signature).code(), StatusCode::kVerificationFailed);
  EXPECT_EQ(key->Sign(std::vector<uint8_t>(19)).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(VerifyAdbSignature("not base64!", token, *signature).code(), StatusCode::kCorrupt);
  std::filesystem::remove_all(path.parent_path());
}

}  // namespace
}  // namespace interdict::usb
