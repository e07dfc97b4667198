#include "engine/acquisition_engine.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "core/files.h"
#include "core/log.h"

namespace interdict::usb {
namespace {

bool IsEvidenceReadError(const Status& status) {
  return status.code() == StatusCode::kUnreadable || status.code() == StatusCode::kTimeout ||
         status.code() == StatusCode::kCorrupt;
}

// Writes the map without fsync: a killed process loses nothing, and the durable save follows within
// durable_interval.
Status WriteFileFast(const std::filesystem::path& path, const std::string& contents) {
  const std::filesystem::path temp = path.string() + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("writing " + temp.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::IoError("writing " + temp.string() + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return Status::IoError("renaming " + temp.string());
  return Status::Ok();
}

// An ImageWriter that keeps nothing: source verification only needs the hashes.
class DiscardingWriter final : public ImageWriter {
 public:
  Status Append(std::span<const uint8_t> data) override {
    written_ += data.size();
    return Status::Ok();
  }
  uint64_t bytes_written() const override { return written_; }
  Status RecordBadRange(uint64_t, uint64_t) override { return Status::Ok(); }
  Status Checkpoint() override { return Status::Ok(); }
  Status Finish(const Digests&) override { return Status::Ok(); }
  Status ReadBack(uint64_t, std::span<uint8_t>) override { return Status::Unsupported("nothing kept"); }
  std::vector<std::filesystem::path> files() const override { return {}; }
  std::string media_type() const override { return ""; }

 private:
  uint64_t written_ = 0;
};

}  // namespace

AcquisitionEngine::AcquisitionEngine(BlockSource& source, ImageWriter& writer, AcquisitionOptions options)
    : source_(source), writer_(writer), options_(std::move(options)) {}

Status AcquisitionEngine::Run(AcquisitionResult* result) {
  *result = AcquisitionResult();
  result->started_utc = UtcNowIso8601();
  const auto start = std::chrono::steady_clock::now();
  const uint32_t sector = source_.sector_size();
  const uint64_t total = source_.identity().capacity_bytes;
  result->bytes_total = total;
  uint64_t chunk_sectors = std::max<uint64_t>(1, options_.chunk_bytes / sector);
  chunk_sectors = std::min<uint64_t>(chunk_sectors, source_.max_sectors_per_read());

  HashPipeline hashes(options_.hashes, options_.hash_window_bytes);
  uint64_t position = 0;
  if (options_.resume) {
    INTERDICT_ASSIGN_OR_RETURN(map_, RescueMap::Load(options_.map_path));
    if (map_.size() != total) {
      return Status::VerificationFailed("the map describes " + std::to_string(map_.size()) + " bytes but the source has " +
                                        std::to_string(total) + ": not the same device");
    }
    position = map_.CompletedPrefix() / sector * sector;
    if (writer_.bytes_written() != position) {
      return Status::Internal("image writer is at " + std::to_string(writer_.bytes_written()) +
                              " but the map resumes at " + std::to_string(position));
    }
    for (const auto& block : map_.BadBlocks()) {
      if (block.pos >= position) continue;
      result->bad_ranges.push_back({block.pos / sector, block.size / sector, "recorded before resume"});
      result->bad_sectors += block.size / sector;
    }
    // Anything after the completed prefix is read again: at most the chunk that was in flight.
    INTERDICT_RETURN_IF_ERROR(map_.Mark(position, total - position, BlockState::kNonTried));
    INTERDICT_RETURN_IF_ERROR(ReplayImagePrefix(position, hashes));
    result->resumed_from = position;
    LogInfo("usb", "resuming at byte " + std::to_string(position) + " of " + std::to_string(total));
  } else {
    map_ = RescueMap(total);
  }
  last_durable_ = std::chrono::steady_clock::now();
  INTERDICT_RETURN_IF_ERROR(SaveMap(true));

  auto stop = [&](std::string state, Status status) {
    (void)SaveMap(true);
    result->digests = hashes.Finish();
    result->window_hashes = hashes.windows();
    result->state = std::move(state);
    result->message = status.ToString();
    result->finished_utc = UtcNowIso8601();
    result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return status;
  };

  std::vector<uint8_t> buffer;
  while (position < total) {
    if (options_.cancel != nullptr && options_.cancel->load()) {
      return stop("cancelled", Status::Cancelled("acquisition interrupted at byte " + std::to_string(position)));
    }
    const uint32_t sectors = static_cast<uint32_t>(std::min<uint64_t>(chunk_sectors, (total - position) / sector));
    buffer.assign(static_cast<size_t>(sectors) * sector, 0);
    const size_t bad_ranges_before = result->bad_ranges.size();
    const uint64_t bad_before = result->bad_sectors;
    const BadRange last_range_before = result->bad_ranges.empty() ? BadRange{} : result->bad_ranges.back();
    Status read = ReadChunk(position / sector, sectors, buffer, result);
    if (read.code() == StatusCode::kDisconnected) {
      // Forget what the interrupted chunk recorded; it is read again from the start.
      result->bad_ranges.resize(bad_ranges_before);
      if (bad_ranges_before > 0) result->bad_ranges.back() = last_range_before;
      result->bad_sectors = bad_before;
      LogWarning("usb", "device disconnected at byte " + std::to_string(position) + " (" + read.message() +
                            "); waiting for it to return");
      Status back = WaitForReconnect(position, read.message(), result);
      if (!back.ok()) return stop(back.code() == StatusCode::kCancelled ? "cancelled" : "disconnected", back);
      result->bytes_reread_after_interruption += buffer.size();
      continue;
    }
    if (!read.ok()) return stop("failed", read);
    if (result->bad_sectors > options_.max_bad_sectors) {
      return stop("failed", Status::LimitExceeded("more than " + std::to_string(options_.max_bad_sectors) +
                                                  " bad sectors"));
    }
    Status write = writer_.Append(buffer);
    if (!write.ok()) return stop("failed", write);
    INTERDICT_RETURN_IF_ERROR(map_.Mark(position, buffer.size(), BlockState::kFinished));
    // The range before this chunk may have grown into it, so it is marked again too.
    for (size_t i = bad_ranges_before > 0 ? bad_ranges_before - 1 : 0; i < result->bad_ranges.size(); ++i) {
      const BadRange& bad = result->bad_ranges[i];
      const uint64_t first = std::max<uint64_t>(bad.first_sector * sector, position);
      const uint64_t end = (bad.first_sector + bad.sector_count) * sector;
      if (end <= first) continue;
      INTERDICT_RETURN_IF_ERROR(map_.Mark(first, end - first, BlockState::kBad));
    }
    hashes.Push(std::make_shared<const std::vector<uint8_t>>(std::move(buffer)));
    buffer = std::vector<uint8_t>();
    position += static_cast<uint64_t>(sectors) * sector;
    map_.set_current_pos(position);
    const bool durable = std::chrono::steady_clock::now() - last_durable_ >= options_.durable_interval;
    Status saved = SaveMap(durable);
    if (!saved.ok()) return stop("failed", saved);
    if (options_.progress) options_.progress(position, result->bad_sectors);
  }

  for (const auto& bad : result->bad_ranges) {
    Status recorded = writer_.RecordBadRange(bad.first_sector, bad.sector_count);
    if (!recorded.ok()) return stop("failed", recorded);
  }
  Status saved = SaveMap(true);
  result->digests = hashes.Finish();
  result->window_hashes = hashes.windows();
  if (!saved.ok()) return stop("failed", saved);
  Status finished = writer_.Finish(result->digests);
  result->finished_utc = UtcNowIso8601();
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!finished.ok()) {
    result->state = "failed";
    result->message = finished.ToString();
    return finished;
  }
  result->state = result->bad_sectors == 0 ? "complete" : "complete-with-bad-sectors";
  return Status::Ok();
}

Status AcquisitionEngine::ReadChunk(uint64_t lba, uint32_t sectors, std::vector<uint8_t>& buffer,
                                    AcquisitionResult* result) {
  const uint32_t sector = source_.sector_size();
  result->bytes_read_from_source += static_cast<uint64_t>(sectors) * sector;
  Status copy = source_.Read(lba, sectors, std::span<uint8_t>(buffer.data(), buffer.size()));
  if (copy.ok() || !IsEvidenceReadError(copy)) return copy;

  // Trim: smaller blocks; scrape: single sectors inside failed blocks.
  std::vector<uint64_t> failed;
  std::string last_error = copy.message();
  const uint32_t part = std::max<uint32_t>(1, sectors / kSplitParts);
  for (uint32_t offset = 0; offset < sectors; offset += part) {
    const uint32_t n = std::min(part, sectors - offset);
    uint8_t* out = buffer.data() + static_cast<size_t>(offset) * sector;
    result->bytes_read_from_source += static_cast<uint64_t>(n) * sector;
    Status trimmed = source_.Read(lba + offset, n, std::span<uint8_t>(out, static_cast<size_t>(n) * sector));
    if (trimmed.ok()) continue;
    if (!IsEvidenceReadError(trimmed)) return trimmed;
    last_error = trimmed.message();
    if (n == 1) {
      failed.push_back(lba + offset);
      continue;
    }
    for (uint32_t s = 0; s < n; ++s) {
      INTERDICT_RETURN_IF_ERROR(ReadOrRecord(lba + offset + s, 1, out + static_cast<size_t>(s) * sector, &failed,
                                             &last_error, result));
    }
  }
  // Retry: each remaining bad sector gets `retries` more attempts.
  for (uint32_t attempt = 0; attempt < options_.retries && !failed.empty(); ++attempt) {
    std::vector<uint64_t> still_failed;
    for (uint64_t bad : failed) {
      INTERDICT_RETURN_IF_ERROR(ReadOrRecord(bad, 1, buffer.data() + (bad - lba) * sector, &still_failed,
                                             &last_error, result));
    }
    failed = std::move(still_failed);
  }
  // Zero fill and record, merging neighbours.
  for (uint64_t bad : failed) {
    std::memset(buffer.data() + (bad - lba) * sector, 0, sector);
    ++result->bad_sectors;
    if (!result->bad_ranges.empty()) {
      BadRange& last = result->bad_ranges.back();
      if (last.first_sector + last.sector_count == bad) {
        ++last.sector_count;
        last.error = last_error;
        continue;
      }
    }
    result->bad_ranges.push_back({bad, 1, last_error});
    LogWarning("usb", "unreadable sector " + std::to_string(bad) + ": " + last_error);
  }
  return Status::Ok();
}

Status AcquisitionEngine::ReadOrRecord(uint64_t lba, uint32_t sectors, uint8_t* out, std::vector<uint64_t>* failed,
                                       std::string* last_error, AcquisitionResult* result) {
  const uint32_t sector = source_.sector_size();
  result->bytes_read_from_source += static_cast<uint64_t>(sectors) * sector;
  Status status = source_.Read(lba, sectors, std::span<uint8_t>(out, static_cast<size_t>(sectors) * sector));
  if (status.ok()) return status;
  if (!IsEvidenceReadError(status)) return status;
  *last_error = status.message();
  failed->push_back(lba);
  return Status::Ok();
}

Status AcquisitionEngine::WaitForReconnect(uint64_t offset, const std::string& reason, AcquisitionResult* result) {
  DisconnectEvent event;
  event.offset = offset;
  event.reason = reason;
  event.detected_utc = UtcNowIso8601();
  const auto start = std::chrono::steady_clock::now();
  (void)SaveMap(true);
  for (;;) {
    if (options_.cancel != nullptr && options_.cancel->load()) {
      result->disconnects.push_back(event);
      return Status::Cancelled("interrupted while waiting for the device to return");
    }
    Status back = source_.Reconnect();
    const auto waited = std::chrono::steady_clock::now() - start;
    event.paused_seconds = std::chrono::duration<double>(waited).count();
    if (back.ok()) {
      event.reconnected_utc = UtcNowIso8601();
      result->disconnects.push_back(event);
      LogInfo("usb", "device is back after " + std::to_string(event.paused_seconds) + " s; continuing");
      return Status::Ok();
    }
    if (back.code() != StatusCode::kDisconnected) {
      result->disconnects.push_back(event);
      return back;
    }
    if (waited >= options_.disconnect_wait) {
      result->disconnects.push_back(event);
      return Status::Disconnected("device did not return within " +
                                  std::to_string(options_.disconnect_wait.count()) + " ms");
    }
    std::this_thread::sleep_for(options_.reconnect_poll);
  }
}

Status AcquisitionEngine::SaveMap(bool durable) {
  if (options_.map_path.empty()) return Status::Ok();
  const std::string text = map_.ToText(options_.map_header);
  if (!durable) return WriteFileFast(options_.map_path, text);
  // The image must be on disk before a durable map says it is.
  INTERDICT_RETURN_IF_ERROR(writer_.Checkpoint());
  last_durable_ = std::chrono::steady_clock::now();
  return WriteFileAtomic(options_.map_path, text);
}

Status AcquisitionEngine::ReplayImagePrefix(uint64_t length, HashPipeline& hashes) {
  uint64_t done = 0;
  while (done < length) {
    auto block = std::make_shared<std::vector<uint8_t>>(
        static_cast<size_t>(std::min<uint64_t>(kDefaultChunkBytes, length - done)));
    INTERDICT_RETURN_IF_ERROR(writer_.ReadBack(done, *block));
    done += block->size();
    hashes.Push(std::move(block));
  }
  return Status::Ok();
}

Result<Digests> HashSource(BlockSource& source, const std::vector<HashAlgorithm>& algorithms, uint64_t chunk_bytes) {
  DiscardingWriter discard;
  AcquisitionOptions options;
  options.chunk_bytes = chunk_bytes;
  options.hash_window_bytes = 0;
  options.hashes = algorithms;
  options.disconnect_wait = std::chrono::milliseconds(0);
  AcquisitionEngine engine(source, discard, options);
  AcquisitionResult result;
  INTERDICT_RETURN_IF_ERROR(engine.Run(&result));
  return result.digests;
}

Result<Digests> HashImage(ImageWriter& writer, uint64_t length, const std::vector<HashAlgorithm>& algorithms) {
  MultiHasher hasher(algorithms);
  std::vector<uint8_t> block(kDefaultChunkBytes);
  uint64_t done = 0;
  while (done < length) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), length - done));
    INTERDICT_RETURN_IF_ERROR(writer.ReadBack(done, std::span<uint8_t>(block.data(), n)));
    hasher.Update(block.data(), n);
    done += n;
  }
  return hasher.Finish();
}

}  // namespace interdict::usb
