// E01 fixtures for the firmware-scan tests: a synthetic GPT disk with an indicator inside its "userdata"
// partition, acquired into E01 segment files with ewfacquire (ewf-tools), as a lab would.
#ifndef INTERDICT_TESTS_FIRMWARE_SCAN_EWF_TEST_SUPPORT_H_
#define INTERDICT_TESTS_FIRMWARE_SCAN_EWF_TEST_SUPPORT_H_

#include <zlib.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "fwscan_test_support.h"

namespace fwtest {

// Layout of the synthetic disk (512-byte sectors): 6 MiB, "userdata" from 1 MiB to 5 MiB.
inline constexpr uint64_t kEwfDiskSectors = 12288;
inline constexpr uint64_t kUserdataFirstLba = 2048;
inline constexpr uint64_t kUserdataLastLba = 10239;
inline constexpr uint64_t kUserdataOffset = kUserdataFirstLba * 512;
// The indicator sits in a zero-filled (so compressed) stretch of the partition: no verbatim copy of it is
// left in the E01 container bytes, so a hit can only come from the decoded media.
inline constexpr uint64_t kIndicatorInPartition = 0x12345;
inline constexpr char kEwfIndicator[] = "INTERDICT-EWF-TEST-INDICATOR-7f3a";
// The android-firmware pack's build fingerprint fixture goes here (the CLI test scans with that pack).
inline constexpr uint64_t kFingerprintInPartition = 0x20000;
// From 2 MiB of the partition on: pseudo-random bytes, so a 1 MiB segment size yields several segments.
inline constexpr uint64_t kRandomFromInPartition = 2ull << 20;

inline std::vector<uint8_t> MakeEwfTestDisk() {
  std::vector<uint8_t> disk = GptDisk(kEwfDiskSectors, {{"userdata", kUserdataFirstLba, kUserdataLastLba}});
  std::memcpy(&disk[kUserdataOffset + kIndicatorInPartition], kEwfIndicator, sizeof(kEwfIndicator) - 1);
  std::vector<uint8_t> fingerprint =
      ReadFile(SignaturesDir() / "android-firmware/fixtures/positive/build.prop");
  std::memcpy(&disk[kUserdataOffset + kFingerprintInPartition], fingerprint.data(), fingerprint.size());
  std::mt19937_64 rng(20140813);
  uint64_t end = (kUserdataLastLba + 1) * 512;
  for (uint64_t i = kUserdataOffset + kRandomFromInPartition; i + 8 <= end; i += 8) Put64(disk, i, rng());
  return disk;
}

// Acquires `raw` into `base`.E01 (and .E02, ... when segment_bytes is set) with case metadata.
// `compression` is ewfacquire's -c value ("deflate:fast", "none").
inline void AcquireE01(const std::filesystem::path& raw, const std::filesystem::path& base,
                       const std::string& compression = "deflate:fast", const std::string& segment_bytes = "") {
  std::string command = "ewfacquire -u -q -t '" + base.string() + "' -c " + compression +
                        " -C CASE-42 -E EV-7 -e 'Jane Examiner' -D 'handset userdata' -N 'seized 2026' -d sha1" +
                        (segment_bytes.empty() ? "" : " -S " + segment_bytes) + " '" + raw.string() + "' 2>&1";
  auto [rc, out] = RunCommand(command);
  ASSERT_EQ(rc, 0) << command << "\n" << out;
}

// Finds the stored (uncompressed) chunk holding media offset `media_offset` in an E01 written with
// compression "none", changes one byte of it, and, with `fix_checksum`, rewrites the chunk's Adler-32 so
// that only the stored media hash can tell.
inline void TamperChunk(std::vector<uint8_t>& e01, const std::vector<uint8_t>& disk, uint64_t media_offset, bool fix_checksum) {
  constexpr uint64_t kChunk = 32768;
  uint64_t chunk_start = media_offset - media_offset % kChunk;
  auto first = disk.begin() + static_cast<long>(chunk_start);
  auto at = std::search(e01.begin(), e01.end(), first, first + 256);
  ASSERT_NE(at, e01.end()) << "chunk not stored verbatim";
  size_t pos = static_cast<size_t>(at - e01.begin());
  ASSERT_LE(pos + kChunk + 4, e01.size());
  uLong adler = adler32(adler32(0L, Z_NULL, 0), &e01[pos], kChunk);
  ASSERT_EQ(adler, static_cast<uLong>(e01[pos + kChunk] | (e01[pos + kChunk + 1] << 8) | (e01[pos + kChunk + 2] << 16) |
                                      (static_cast<uLong>(e01[pos + kChunk + 3]) << 24)))
      << "the chunk's checksum is not where EnCase 6 stores it";
  e01[pos + (media_offset - chunk_start)] ^= 0x01;
  if (fix_checksum) Put32(e01, pos + kChunk, static_cast<uint32_t>(adler32(adler32(0L, Z_NULL, 0), &e01[pos], kChunk)));
}

}  // namespace fwtest

#endif  // INTERDICT_TESTS_FIRMWARE_SCAN_EWF_TEST_SUPPORT_H_
