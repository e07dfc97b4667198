#include "output/ewf_chunk_compressor.h"

#include <zlib.h>

#include <algorithm>

namespace interdict::usb {
namespace {

// One zlib deflate state per worker, reset for every chunk: deflateInit per 32 KiB chunk (what compress2
// does) would allocate and clear ~256 KiB of state each time.
class ChunkDeflater {
 public:
  explicit ChunkDeflater(int level) : level_(level) {
    if (level_ != kEwfStoreUncompressed) ready_ = deflateInit(&stream_, level_) == Z_OK;
  }
  ~ChunkDeflater() {
    if (ready_) deflateEnd(&stream_);
  }
  ChunkDeflater(const ChunkDeflater&) = delete;
  ChunkDeflater& operator=(const ChunkDeflater&) = delete;

  EwfChunk Encode(std::vector<uint8_t> data) {
    EwfChunk chunk;
    chunk.data_size = data.size();
    chunk.adler32 = static_cast<uint32_t>(
        adler32(adler32(0L, Z_NULL, 0), data.data(), static_cast<uInt>(data.size())));
    if (ready_ && deflateReset(&stream_) == Z_OK) {
      std::vector<uint8_t> out(deflateBound(&stream_, static_cast<uLong>(data.size())));
      stream_.next_in = data.data();
      stream_.avail_in = static_cast<uInt>(data.size());
      stream_.next_out = out.data();
      stream_.avail_out = static_cast<uInt>(out.size());
      // deflateBound() room means one Z_FINISH call completes the stream.
      if (deflate(&stream_, Z_FINISH) == Z_STREAM_END && stream_.total_out < data.size()) {
        out.resize(stream_.total_out);
        chunk.stored = std::move(out);
        chunk.compressed = true;
        return chunk;
      }
    }
    chunk.stored = std::move(data);
    return chunk;
  }

 private:
  int level_;
  z_stream stream_{};
  bool ready_ = false;
};

}  // namespace

EwfChunk EncodeEwfChunk(std::vector<uint8_t> data, int zlib_level) {
  ChunkDeflater deflater(zlib_level);
  return deflater.Encode(std::move(data));
}

size_t EwfChunkCompressor::DefaultThreads() {
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kEwfMaxCompressionThreads);
}

EwfChunkCompressor::EwfChunkCompressor(int zlib_level, size_t threads) : level_(zlib_level) {
  threads = std::min(threads, kEwfMaxCompressionThreads);
  max_in_flight_ = std::max<size_t>(1, threads * kEwfChunksInFlightPerThread);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

EwfChunkCompressor::~EwfChunkCompressor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void EwfChunkCompressor::Submit(std::vector<uint8_t> data) {
  auto slot = std::make_shared<Slot>();
  if (workers_.empty()) {
    slot->output = EncodeEwfChunk(std::move(data), level_);
    slot->done = true;
    slots_.push_back(std::move(slot));
    return;
  }
  slot->input = std::move(data);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_.push_back(slot);
    pending_.push_back(std::move(slot));
  }
  work_ready_.notify_one();
}

EwfChunk EwfChunkCompressor::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  chunk_done_.wait(lock, [&] { return slots_.front()->done; });
  std::shared_ptr<Slot> slot = std::move(slots_.front());
  slots_.pop_front();
  return std::move(slot->output);
}

void EwfChunkCompressor::Work() {
  ChunkDeflater deflater(level_);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    std::shared_ptr<Slot> slot = std::move(pending_.front());
    pending_.pop_front();
    lock.unlock();
    EwfChunk chunk = deflater.Encode(std::move(slot->input));
    lock.lock();
    slot->output = std::move(chunk);
    slot->done = true;
    chunk_done_.notify_all();
  }
}

}  // namespace interdict::usb
