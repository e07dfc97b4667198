// One acquisition from start to finish, as `interdict acquire` runs it: open the source (usb: or file:),
// create or resume the image, run the AcquisitionEngine with progress, verify (re-read the source, read the
// image back), write the text and JSON logs, and with a case directory, store image, map and logs as case
// artifacts with an evidence record and audit entries. The acquisition runs in this process: it parses
// only protocol replies (CSW, sense, INQUIRY, capacity), never the content it copies.
#ifndef INTERDICT_USB_IMAGER_CLI_ACQUISITION_H_
#define INTERDICT_USB_IMAGER_CLI_ACQUISITION_H_

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/exit_codes.h"
#include "engine/acquisition_engine.h"
#include "engine/block_source.h"
#include "output/acquisition_log.h"
#include "output/image_writer.h"

namespace interdict::usb {

inline constexpr char kDefaultImageName[] = "image";

struct AcquireRequest {
  std::string source;                 // "usb:VID:PID[:SERIAL]", "usb:BUS-ADDR", "file:PATH", "edl:...", "adb:..."
  std::filesystem::path programmer;   // edl: the signed Firehose programmer (its SHA-256 goes into the log)
  bool logical = false;               // adb: copy files over sync instead of imaging
  std::string remote_root = "/sdcard";  // adb --logical: the tree to copy
  std::filesystem::path adb_key;      // adb: the lab key ("" = ~/.config/interdict/adbkey, created once)
  std::string block_device;           // adb: image this /dev/block/... with exec:dd instead of copying files
  std::filesystem::path out_dir;      // either this ...
  std::filesystem::path case_dir;     // ... or this
  std::string image_name = kDefaultImageName;
  ImageFormat format = ImageFormat::kRaw;
  EwfCompression compression = EwfCompression::kFast;
  uint64_t split_bytes = 0;
  std::vector<HashAlgorithm> hashes = {HashAlgorithm::kMd5, HashAlgorithm::kSha1, HashAlgorithm::kSha256};
  bool verify = false;
  bool resume = false;
  CaseMetadata metadata;
  uint64_t chunk_bytes = kDefaultChunkBytes;
  uint64_t hash_window_bytes = kDefaultHashWindowBytes;
  uint32_t retries = kDefaultRetries;
  uint64_t max_bad_sectors = UINT64_MAX;  // stop (exit 5) beyond this many
  std::chrono::milliseconds disconnect_wait = kDefaultDisconnectWait;
  bool quiet = false;
  std::string command_line;
  std::string examiner_actor = "interdict acquire";
  const std::atomic<bool>* cancel = nullptr;
};

struct AcquireOutcome {
  AcquisitionReport report;
  ExitCode exit_code = kExitOk;
  std::filesystem::path work_dir;  // where image, map and logs were written
  std::string evidence_uuid;       // with a case
};

// Opens "usb:..." or "file:..." as a BlockSource.
// "edl:[VID:PID[:SERIAL]]/lunN|/PARTITION" needs `programmer` (docs/usb-edl-adb.md).
Result<std::unique_ptr<BlockSource>> OpenSource(const std::string& source,
                                                const std::filesystem::path& programmer = {});

// Runs the acquisition. A Status is returned only when nothing useful could start (bad arguments, source
// not found, output not writable); everything after that ends in an outcome with its exit code and logs.
Result<AcquireOutcome> Acquire(const AcquireRequest& request);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_CLI_ACQUISITION_H_
