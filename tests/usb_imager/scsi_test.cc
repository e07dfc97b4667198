// Reply parsers, CBW/CSW encoding and the SCSI read-only allowlist.
#include <gtest/gtest.h>

#include <set>

#include "protocol/read_only_allowlist.h"
#include "protocol/scsi.h"

namespace interdict::usb {
namespace {

// The write-class opcodes of the reference notes §3.6 (deny column), written out independently of the
// implementation's table so that a missing entry there cannot hide here.
const std::vector<uint8_t> kNotesWriteClass = {0x0A, 0x2A, 0xAA, 0x8A, 0x2E, 0xAE, 0x8E, 0x41, 0x93, 0x42,
                                               0x04, 0x07, 0x35, 0x91, 0x15, 0x55, 0x1B, 0x3B, 0xB5, 0xA1,
                                               0x85, 0x48, 0x89, 0x3F, 0x9F, 0x4C, 0x5F, 0xA4};

TEST(ScsiAllowlist, RefusesEveryWriteClassAndVendorOpcode) {
  ReadOnlyAllowlist allowlist = MakeScsiReadOnlyAllowlist();
  std::vector<uint8_t> opcodes = kNotesWriteClass;
  for (int op = 0xC0; op <= 0xFF; ++op) opcodes.push_back(static_cast<uint8_t>(op));
  for (uint8_t op : opcodes) {
    uint8_t cdb[16] = {op};
    Status s = allowlist.Check(ScsiCommandKey(cdb, sizeof(cdb)));
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << "opcode " << int(op);
  }
  EXPECT_EQ(allowlist.refused_count(), opcodes.size());
  uint8_t write10[10] = {0x2A};
  EXPECT_NE(allowlist.Check(ScsiCommandKey(write10, 10)).message().find("WRITE(10)"), std::string::npos);
}

TEST(ScsiAllowlist, AllowsTheReadCommandsTheImagerSends) {
  ReadOnlyAllowlist allowlist = MakeScsiReadOnlyAllowlist();
  for (const auto& cdb : {CdbInquiry(36), CdbRequestSense(18), CdbTestUnitReady(), CdbReadCapacity10(),
                          CdbReadCapacity16(32), CdbRead10(5, 8), CdbRead16(1ull << 33, 8)}) {
    EXPECT_TRUE(allowlist.Check(ScsiCommandKey(cdb.data(), cdb.size())).ok()) << int(cdb[0]);
  }
  EXPECT_EQ(allowlist.refused_count(), 0u);
}

TEST(ScsiAllowlist, ServiceActionIn16IsAllowedOnlyForReadCapacity) {
  ReadOnlyAllowlist allowlist = MakeScsiReadOnlyAllowlist();
  uint8_t other_action[16] = {0x9E, 0x12};  // GET LBA STATUS: not needed, not allowed
  EXPECT_FALSE(allowlist.Check(ScsiCommandKey(other_action, 16)).ok());
}

TEST(BulkOnly, CbwRoundTripsAndRejectsBadCdbLength) {
  CommandBlockWrapper cbw{0x1234, 4096, true, 2, CdbRead10(0x01020304, 8)};
  auto bytes = EncodeCbw(cbw);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ((*bytes)[0], 'U');
  EXPECT_EQ((*bytes)[3], 'C');
  EXPECT_EQ((*bytes)[12], 0x80);
  EXPECT_EQ((*bytes)[14], 10);
  auto parsed = ParseCbw(*bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->tag, 0x1234u);
  EXPECT_EQ(parsed->data_transfer_length, 4096u);
  EXPECT_EQ(parsed->lun, 2);
  EXPECT_EQ(parsed->cdb, cbw.cdb);
  cbw.cdb.assign(17, 0);
  EXPECT_EQ(EncodeCbw(cbw).status().code(), StatusCode::kInvalidArgument);
}

TEST(BulkOnly, CswParserChecksLengthSignatureAndStatus) {
  auto csw = EncodeCsw({77, 512, CswStatus::kFailed});
  auto parsed = ParseCsw(csw);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->tag, 77u);
  EXPECT_EQ(parsed->data_residue, 512u);
  EXPECT_EQ(parsed->status, CswStatus::kFailed);
  EXPECT_EQ(ParseCsw(std::span<const uint8_t>(csw.data(), 12)).status().code(), StatusCode::kCorrupt);
  auto bad_signature = csw;
  bad_signature[0] = 'X';
  EXPECT_EQ(ParseCsw(bad_signature).status().code(), StatusCode::kCorrupt);
  auto bad_status = csw;
  bad_status[12] = 3;
  EXPECT_EQ(ParseCsw(bad_status).status().code(), StatusCode::kCorrupt);
}

TEST(ScsiReplies, SenseFixedAndDescriptorFormats) {
  auto fixed = ParseSense(EncodeFixedSense(0x03, 0x11, 0x00));
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->key, 0x03);
  EXPECT_EQ(fixed->asc, 0x11);
  EXPECT_EQ(fixed->ToString(), "sense 03/11/00 (medium error)");
  const uint8_t descriptor[8] = {0x72, 0x07, 0x27, 0x00, 0, 0, 0, 0};
  auto d = ParseSense(descriptor);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->key, 0x07);
  EXPECT_EQ(d->asc, 0x27);
  const uint8_t truncated[5] = {0x70, 0, 3, 0, 0};
  EXPECT_EQ(ParseSense(truncated).status().code(), StatusCode::kCorrupt);
  const uint8_t unknown[18] = {0x10};
  EXPECT_EQ(ParseSense(unknown).status().code(), StatusCode::kCorrupt);
}

TEST(ScsiReplies, InquiryTrimsAndSanitisesText) {
  auto bytes = EncodeInquiry({0, true, "ACME", "PHONE\x01X", "1.2"});
  auto inquiry = ParseInquiry(bytes);
  ASSERT_TRUE(inquiry.ok());
  EXPECT_EQ(inquiry->vendor, "ACME");
  EXPECT_EQ(inquiry->product, "PHONE?X");
  EXPECT_EQ(inquiry->revision, "1.2");
  EXPECT_TRUE(inquiry->removable);
  EXPECT_EQ(ParseInquiry(std::span<const uint8_t>(bytes.data(), 35)).status().code(), StatusCode::kCorrupt);
}

TEST(ScsiReplies, ReadCapacityTenAndSixteen) {
  bool needs_16 = false;
  auto ten = ParseReadCapacity10(EncodeReadCapacity10({131071, 512}), &needs_16);
  ASSERT_TRUE(ten.ok());
  EXPECT_FALSE(needs_16);
  EXPECT_EQ(ten->sector_count(), 131072u);
  auto big = ParseReadCapacity10(EncodeReadCapacity10({0xFFFFFFFFull + 10, 4096}), &needs_16);
  ASSERT_TRUE(big.ok());
  EXPECT_TRUE(needs_16);
  auto sixteen = ParseReadCapacity16(EncodeReadCapacity16({0x1'0000'0000ull, 4096}));
  ASSERT_TRUE(sixteen.ok());
  EXPECT_EQ(sixteen->sector_count(), 0x1'0000'0001ull);
  EXPECT_EQ(sixteen->sector_size, 4096u);
  EXPECT_EQ(ParseReadCapacity16(EncodeReadCapacity16({100, 513})).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseReadCapacity10(EncodeReadCapacity10({100, 0}), &needs_16).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseReadCapacity16(EncodeReadCapacity16({UINT64_MAX, 512})).status().code(), StatusCode::kCorrupt);
}

TEST(ScsiReplies, ReadCdbsDecodeToTheLbaAndCountEncoded) {
  auto r10 = ParseReadCdb(CdbRead10(0xDEADBEEF, 0x1234));
  ASSERT_TRUE(r10.ok());
  EXPECT_EQ(r10->lba, 0xDEADBEEFull);
  EXPECT_EQ(r10->count, 0x1234u);
  auto r16 = ParseReadCdb(CdbRead16(0x0102030405060708ull, 0x10000));
  ASSERT_TRUE(r16.ok());
  EXPECT_EQ(r16->lba, 0x0102030405060708ull);
  EXPECT_EQ(r16->count, 0x10000u);
  EXPECT_EQ(ParseReadCdb(CdbInquiry(36)).status().code(), StatusCode::kUnsupported);
  const uint8_t short10[5] = {0x28};
  EXPECT_EQ(ParseReadCdb(short10).status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace interdict::usb
