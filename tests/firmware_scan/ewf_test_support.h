// E01 fixtures for the firmware-scan tests: a synthetic GPT disk with an indicator inside its "userdata"
// partition, acquired into E01 segment files with ewfacquire (ewf-tools), as a lab would.
#ifndef INTERDICT_TESTS_FIRMWARE_SCAN_EWF_TEST_SUPPORT_H_
#define INTERDICT_TESTS_FIRMWARE_SCAN_EWF_TEST_SUPPORT_H_

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

}  // namespace fwtest

#endif  // INTERDICT_TESTS_FIRMWARE_SCAN_EWF_TEST_SUPPORT_H_
