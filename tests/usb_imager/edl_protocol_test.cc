// Sahara packets, Firehose XML, storage info, digests, GPT and the two allowlists, without USB.
#include <gtest/gtest.h>

#include "edl_test_support.h"
#include "protocol/firehose.h"
#include "protocol/gpt.h"
#include "protocol/sahara.h"

namespace interdict::usb {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Sahara, HelloRoundTripsWithItsFields) {
  auto packet = ParseSaharaPacket(EncodeSaharaHello(SaharaMode::kCommand, 0x400));
  ASSERT_TRUE(packet.ok()) << packet.status().ToString();
  EXPECT_EQ(packet->command, SaharaCommand::kHello);
  EXPECT_EQ(packet->length, kSaharaHelloBytes);
  EXPECT_EQ(packet->version, kSaharaVersion);
  EXPECT_EQ(packet->max_packet_length, 0x400u);
  EXPECT_EQ(packet->mode, SaharaMode::kCommand);
}

TEST(Sahara, ReadData64AndExecuteResponseCarryTheirValues) {
  auto read = ParseSaharaPacket(EncodeSaharaReadData64(0x0D, 0x123456789ull, 0x1000));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->image_id, 0x0Du);
  EXPECT_EQ(read->offset, 0x123456789ull);
  EXPECT_EQ(read->data_length, 0x1000u);
  auto exec = ParseSaharaPacket(EncodeSaharaExecuteResponse(2, 8));
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ(exec->exec_command, 2u);
  EXPECT_EQ(exec->data_length, 8u);
}

TEST(Sahara, MalformedPacketsAreCorrupt) {
  std::vector<uint8_t> hello = EncodeSaharaHello(SaharaMode::kImageTransferPending, 0x400);
  EXPECT_EQ(ParseSaharaPacket(std::span<const uint8_t>(hello.data(), 7)).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseSaharaPacket(std::span<const uint8_t>(hello.data(), 40)).status().code(), StatusCode::kCorrupt);
  std::vector<uint8_t> wrong_length = hello;
  wrong_length[4] = 0x2C;  // 44 bytes: not HELLO's layout
  EXPECT_EQ(ParseSaharaPacket(wrong_length).status().code(), StatusCode::kCorrupt);
  std::vector<uint8_t> huge = hello;
  huge[5] = 0xFF;  // claims more than arrived
  EXPECT_EQ(ParseSaharaPacket(huge).status().code(), StatusCode::kCorrupt);
  std::vector<uint8_t> unknown = EncodeSaharaDone();
  unknown[0] = 0x77;
  EXPECT_EQ(ParseSaharaPacket(unknown).status().code(), StatusCode::kCorrupt);
}

TEST(Sahara, MemoryTableRoundTripsAndRejectsPartialOrWrappingEntries) {
  auto table = EncodeSaharaMemoryTable({{0x80000000ull, 4096, "DDR CS0", "DDRCS0.BIN"}, {0x1000, 16, "OCIMEM", "OCIMEM.BIN"}});
  auto regions = ParseSaharaMemoryTable(table);
  ASSERT_TRUE(regions.ok()) << regions.status().ToString();
  ASSERT_EQ(regions->size(), 2u);
  EXPECT_EQ((*regions)[0].base, 0x80000000ull);
  EXPECT_EQ((*regions)[1].filename, "OCIMEM.BIN");
  EXPECT_EQ(ParseSaharaMemoryTable(std::span<const uint8_t>(table.data(), 63)).status().code(), StatusCode::kCorrupt);
  auto wrapping = EncodeSaharaMemoryTable({{UINT64_MAX - 10, 100, "X", "X"}});
  EXPECT_EQ(ParseSaharaMemoryTable(wrapping).status().code(), StatusCode::kCorrupt);
}

TEST(Sahara, AllowlistAcceptsIdentityReadsAndRefusesEverythingElse) {
  ReadOnlyAllowlist list = MakeSaharaReadOnlyAllowlist();
  for (uint32_t id : {1u, 2u, 3u, 7u, 8u, 0xAu}) {
    EXPECT_TRUE(list.Check(SaharaCommandKey(SaharaCommand::kCommandExecute, id)).ok()) << id;
  }
  for (uint32_t id : {0u, 4u, 5u, 6u, 9u, 0xBu, 0xFFu}) {
    EXPECT_EQ(list.Check(SaharaCommandKey(SaharaCommand::kCommandExecute, id)).code(),
              StatusCode::kPermissionDenied) << id;
  }
  EXPECT_TRUE(list.Check(SaharaCommandKey(SaharaCommand::kHelloResponse, 3)).ok());
  EXPECT_EQ(list.Check(SaharaCommandKey(SaharaCommand::kHelloResponse, 1)).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list.Check(SaharaCommandKey(SaharaCommand::kCommandSwitchMode, 3)).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list.refused_count(), 9u);
  EXPECT_NE(list.NameOf(SaharaCommandKey(SaharaCommand::kCommandExecute, 4)).find("DMSS"), std::string::npos);
}

TEST(FirehoseXml, ParsesLogsAndResponseWithEntities) {
  auto doc = ParseFirehoseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<data>\n<log value=\"a &lt;b&gt; &amp; &quot;c&quot;\" />"
      "<response value='ACK' rawmode=\"true\"></response></data>\n");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->elements.size(), 2u);
  EXPECT_EQ(doc->elements[0].tag, "log");
  EXPECT_EQ(doc->elements[0].Get("value"), std::optional<std::string>("a <b> & \"c\""));
  EXPECT_EQ(doc->elements[1].Get("rawmode"), std::optional<std::string>("true"));
  EXPECT_FALSE(doc->elements[1].Get("missing").has_value());
}

TEST(FirehoseXml, RejectsMalformedDocuments) {
  for (const char* text : {"", "<data>", "<dat></dat>", "<data><log value=\"x\"></data>",
                           "<data><log value=\"x\">text</log></data>", "<data><log value=\"&bogus;\"/></data>",
                           "<data><log value=\"x\"/></data>trailing", "<data>text</data>",
                           "<data><log value=\"unterminated/></data>", "<data><log value=x/></data>",
                           "<data><a></b></data>"}) {
    EXPECT_EQ(ParseFirehoseXml(text).status().code(), StatusCode::kCorrupt) << text;
  }
  std::string many = "<data>";
  for (size_t i = 0; i <= kMaxFirehoseElements; ++i) many += "<nop/>";
  EXPECT_EQ(ParseFirehoseXml(many + "</data>").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseFirehoseXml(std::string(kMaxFirehoseDocumentBytes + 1, ' ')).status().code(), StatusCode::kCorrupt);
}

TEST(FirehoseXml, NumbersAreCheckedAgainstTheirLimit) {
  FirehoseElement e;
  e.tag = "response";
  e.Set("a", "4096").Set("b", "12x").Set("c", "99999999999999999999999").Set("d", "");
  EXPECT_EQ(*e.GetNumber("a", 4096), 4096u);
  EXPECT_EQ(e.GetNumber("a", 4095).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(e.GetNumber("b", UINT64_MAX).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(e.GetNumber("c", UINT64_MAX).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(e.GetNumber("d", UINT64_MAX).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(e.GetNumber("z", UINT64_MAX).status().code(), StatusCode::kCorrupt);
}

TEST(FirehoseXml, EncodedCommandsParseBackAndDocumentEndIsFound) {
  FirehoseElement read;
  read.tag = "read";
  read.Set("start_sector", "5").Set("label", "a\"<&");
  const std::string text = EncodeFirehoseCommand(read);
  auto doc = ParseFirehoseXml(text);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->elements[0].Get("label"), std::optional<std::string>("a\"<&"));
  EXPECT_EQ(FirehoseDocumentEnd(text + "<?xml"), text.size());
  EXPECT_EQ(FirehoseDocumentEnd("<data><log value=\"x\"/>"), std::string_view::npos);
}

TEST(FirehoseAllowlist, ReadTagsPassAndEveryWriteClassOrUnknownTagIsRefused) {
  ReadOnlyAllowlist list = MakeFirehoseReadOnlyAllowlist();
  for (const char* tag : {"nop", "configure", "getstorageinfo", "read", "getsha256digest", "getcrc16digest", "peek"}) {
    EXPECT_TRUE(list.Check(FirehoseTagKey(tag)).ok()) << tag;
  }
  const auto& denied = FirehoseDeniedTags();
  for (const char* required : {"program", "erase", "patch", "poke", "firmwarewrite", "setbootablestoragedrive",
                               "ufs", "emmc", "fixgpt", "eraseuserdata", "benchmark", "demacia", "setprojmodel"}) {
    EXPECT_NE(std::find(denied.begin(), denied.end(), required), denied.end()) << required;
  }
  for (const auto& tag : denied) {
    Status refused = list.Check(FirehoseTagKey(tag));
    EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied) << tag;
    EXPECT_NE(refused.message().find("<" + tag + ">"), std::string::npos) << refused.message();
  }
  EXPECT_EQ(list.Check(FirehoseTagKey("Program")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list.Check(FirehoseTagKey("somethingnew")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(list.refused_count(), denied.size() + 2);
}

TEST(FirehoseReplies, StorageInfoIsReadFromTheLogJson) {
  auto info = ParseFirehoseStorageInfo({"INFO: hello", "INFO: {\"storage_info\": {\"total_blocks\": 1024, "
                                        "\"block_size\": 4096, \"num_physical\": 2, \"mem_type\": \"UFS\", "
                                        "\"prod_name\": \"X\", \"serial_num\": 305441741}}"});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->total_blocks, 1024u);
  EXPECT_EQ(info->block_size, 4096u);
  EXPECT_EQ(info->num_physical, 2u);
  EXPECT_EQ(info->memory_type, "UFS");
  EXPECT_EQ(info->serial_number, "305441741");
  for (const char* bad : {"{\"storage_info\": {\"total_blocks\": 1, \"block_size\": 1000, \"num_physical\": 1}}",
                          "{\"storage_info\": {\"total_blocks\": 0, \"block_size\": 512, \"num_physical\": 1}}",
                          "{\"storage_info\": {\"total_blocks\": -5, \"block_size\": 512, \"num_physical\": 1}}",
                          "{\"storage_info\": {\"total_blocks\": 8, \"block_size\": 512, \"num_physical\": 99}}"}) {
    EXPECT_EQ(ParseFirehoseStorageInfo({bad}).status().code(), StatusCode::kCorrupt) << bad;
  }
  EXPECT_EQ(ParseFirehoseStorageInfo({"{\"storage_info\": [1,2"}).status().code(), StatusCode::kCorrupt);
}

TEST(FirehoseReplies, DigestIsLowercaseHexOf64Characters) {
  const std::string hex(64, 'A');
  auto digest = ParseFirehoseSha256Digest({"INFO: start", "Digest 0x" + hex});
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, std::string(64, 'a'));
  EXPECT_FALSE(ParseFirehoseSha256Digest({"Digest " + std::string(63, 'a')}).ok());
  EXPECT_FALSE(ParseFirehoseSha256Digest({"Digest " + std::string(63, 'a') + "g"}).ok());
}

TEST(Gpt, NamesPartitionsAndChecksBothCrcs) {
  constexpr uint32_t kSector = 4096;
  auto image = testing::MakeLunImage(256, kSector, 7, {{"modem", 6, 37}, {"userdata", 38, 249}});
  auto header = ParseGptHeader(std::span<const uint8_t>(image.data() + kSector, kSector), 256);
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  EXPECT_EQ(header->entries_lba, 2u);
  EXPECT_EQ(header->entry_count, 32u);
  auto parts = ParseGptEntries(*header, std::span<const uint8_t>(image.data() + 2 * kSector, kSector));
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "modem");
  EXPECT_EQ((*parts)[0].sector_count(), 32u);
  EXPECT_EQ((*parts)[1].name, "userdata");
  EXPECT_EQ((*parts)[1].last_lba, 249u);

  std::vector<uint8_t> entries(image.begin() + 2 * kSector, image.begin() + 3 * kSector);
  entries[40] ^= 1;
  EXPECT_EQ(ParseGptEntries(*header, entries).status().code(), StatusCode::kCorrupt);
  std::vector<uint8_t> sector(image.begin() + kSector, image.begin() + 2 * kSector);
  sector[80] ^= 1;
  EXPECT_EQ(ParseGptHeader(sector, 256).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseGptHeader(std::vector<uint8_t>(kSector, 0), 256).status().code(), StatusCode::kNotFound);
  // The same header on a smaller device points past its end.
  EXPECT_EQ(ParseGptHeader(std::span<const uint8_t>(image.data() + kSector, kSector), 100).status().code(),
            StatusCode::kCorrupt);
}

TEST(Gpt, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32(Bytes("123456789")), 0xCBF43926u);
}

}  // namespace
}  // namespace interdict::usb
