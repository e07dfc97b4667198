// AcquisitionEngine: copies a BlockSource into an ImageWriter, in order, chunk by chunk, the way a careful
// examiner would:
//   copy    read a whole chunk (default 1 MiB) in one command;
//   trim    if that fails, read it again in kSplitParts smaller blocks;
//   scrape  read each failed smaller block one sector at a time;
//   retry   give each sector that still fails `retries` more attempts;
// then fill what stayed unreadable with zeros and record it as bad (map '-', log, E01 error2). Working in
// image order (rather than ddrescue's skip-ahead passes) keeps hashing streaming and E01 writing
// sequential; the cost is that a large bad area is walked sector by sector in place.
//
// Hashes: MD5/SHA-1/SHA-256 and a per-window SHA-256 on a separate thread (HashPipeline).
// Map: a ddrescue-format map (RescueMap) rewritten after every chunk (rename, cheap) and made durable with
// the image (fdatasync) at least every `durable_interval`; a killed run therefore resumes re-reading at
// most the one chunk that was in flight.
// Disconnect: the engine pauses, calls Reconnect() every `reconnect_poll` until the same device is back
// or `disconnect_wait` has passed, then re-reads the chunk that was interrupted.
// Cancellation: set *cancel; the engine stops after the current chunk, saves the map, returns kCancelled.
//
// Run() is called once per engine; the engine does not own the source or writer.
#ifndef INTERDICT_USB_IMAGER_ENGINE_ACQUISITION_ENGINE_H_
#define INTERDICT_USB_IMAGER_ENGINE_ACQUISITION_ENGINE_H_

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/hash.h"
#include "engine/block_source.h"
#include "engine/hash_pipeline.h"
#include "engine/rescue_map.h"
#include "output/image_writer.h"

namespace interdict::usb {

inline constexpr uint64_t kDefaultChunkBytes = 1024 * 1024;
inline constexpr uint64_t kDefaultHashWindowBytes = 1024 * 1024;
inline constexpr uint32_t kSplitParts = 16;
inline constexpr uint32_t kDefaultRetries = 1;
inline constexpr std::chrono::milliseconds kDefaultDurableInterval{2000};
inline constexpr std::chrono::seconds kDefaultDisconnectWait{120};
inline constexpr std::chrono::milliseconds kDefaultReconnectPoll{250};

struct AcquisitionOptions {
  uint64_t chunk_bytes = kDefaultChunkBytes;          // rounded down to whole sectors
  uint64_t hash_window_bytes = kDefaultHashWindowBytes;  // 0 = no per-window hashes
  uint32_t retries = kDefaultRetries;
  std::vector<HashAlgorithm> hashes = {HashAlgorithm::kMd5, HashAlgorithm::kSha1, HashAlgorithm::kSha256};
  std::filesystem::path map_path;                     // required
  std::vector<std::string> map_header;                // comment lines for the map (command line, ...)
  bool resume = false;                                // continue from an existing map and image
  std::chrono::milliseconds durable_interval = kDefaultDurableInterval;
  std::chrono::milliseconds disconnect_wait = kDefaultDisconnectWait;
  std::chrono::milliseconds reconnect_poll = kDefaultReconnectPoll;
  uint64_t max_bad_sectors = UINT64_MAX;              // abort (kLimitExceeded) beyond this
  const std::atomic<bool>* cancel = nullptr;
  // Called after each chunk: bytes done, bad sectors so far.
  std::function<void(uint64_t done, uint64_t bad_sectors)> progress;
};

struct BadRange {
  uint64_t first_sector = 0;
  uint64_t sector_count = 0;
  std::string error;  // the last error seen for the range ("READ(10) failed: sense 03/11/00 ...")
};

struct DisconnectEvent {
  uint64_t offset = 0;          // byte offset of the chunk that was interrupted
  std::string reason;           // what the source said ("LIBUSB_ERROR_NO_DEVICE ...", "programmer stopped answering")
  std::string detected_utc;
  std::string reconnected_utc;  // empty if it never came back
  double paused_seconds = 0;
};

struct AcquisitionResult {
  Digests digests;
  std::vector<WindowHash> window_hashes;
  std::vector<BadRange> bad_ranges;
  uint64_t bad_sectors = 0;
  uint64_t bytes_total = 0;
  uint64_t bytes_read_from_source = 0;  // includes re-reads, trims, scrapes, retries
  uint64_t bytes_reread_after_interruption = 0;
  uint64_t resumed_from = 0;            // 0 unless resumed
  std::vector<DisconnectEvent> disconnects;
  std::string started_utc;
  std::string finished_utc;
  double seconds = 0;
  // "complete", "complete-with-bad-sectors", "cancelled", "disconnected", "failed".
  std::string state;
  std::string message;  // why it stopped, when it did not finish
};

class AcquisitionEngine {
 public:
  AcquisitionEngine(BlockSource& source, ImageWriter& writer, AcquisitionOptions options);

  // Runs to the end. The result is also returned (with state "cancelled"/"disconnected"/"failed") when the
  // run stops early, so the log can record it; the Status says why.
  Status Run(AcquisitionResult* result);

 private:
  Status ReadChunk(uint64_t lba, uint32_t sectors, std::vector<uint8_t>& buffer, AcquisitionResult* result);
  Status ReadOrRecord(uint64_t lba, uint32_t sectors, uint8_t* out, std::vector<uint64_t>* failed,
                      std::string* last_error, AcquisitionResult* result);
  Status WaitForReconnect(uint64_t offset, const std::string& reason, AcquisitionResult* result);
  Status SaveMap(bool durable);
  Status ReplayImagePrefix(uint64_t length, HashPipeline& hashes);

  BlockSource& source_;
  ImageWriter& writer_;
  AcquisitionOptions options_;
  RescueMap map_;
  std::chrono::steady_clock::time_point last_durable_;
};

// Re-reads the whole source (same copy/trim/scrape/retry and zero fill) and hashes it: "source verification".
Result<Digests> HashSource(BlockSource& source, const std::vector<HashAlgorithm>& algorithms, uint64_t chunk_bytes);
// Reads the finished image back and hashes it: "image verification".
Result<Digests> HashImage(ImageWriter& writer, uint64_t length, const std::vector<HashAlgorithm>& algorithms);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_ACQUISITION_ENGINE_H_
