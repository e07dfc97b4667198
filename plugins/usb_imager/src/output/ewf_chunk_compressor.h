// EwfChunkCompressor: deflates E01 chunks on a small pool of threads and hands them back in the order they
// were submitted, each ready for libewf_handle_write_chunk.
//
// Why by hand: libewf 20140813 compresses inside libewf_handle_write_buffer on the calling thread, and its
// handle must not be used from several threads at once, so "fast" compression used to cap the whole
// acquisition at one core (bench/usb_imager/RESULTS.md). zlib does the deflate; this class only schedules it,
// as Guymager's compression threads do. The E01 rules it follows (libewf segment_file_write_chunk and the
// EWF format notes):
//   - a compressed chunk is a complete zlib stream (header + deflate + zlib's own Adler-32 trailer);
//   - a chunk whose zlib stream is not smaller than the data is stored uncompressed, and an uncompressed
//     chunk is followed in the segment file by the Adler-32 of its data, little-endian (libewf writes those
//     4 bytes when told write_checksum);
//   - level "none" stores every chunk uncompressed (no empty-block compression).
//
// Bounds: at most max_in_flight() chunks are queued, being compressed or done but not yet taken, so memory
// is max_in_flight() × (chunk + deflateBound(chunk)). Thread-safety: Submit() and Next() are called from one
// thread (the image writer); the workers never touch libewf.
#ifndef INTERDICT_USB_IMAGER_OUTPUT_EWF_CHUNK_COMPRESSOR_H_
#define INTERDICT_USB_IMAGER_OUTPUT_EWF_CHUNK_COMPRESSOR_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace interdict::usb {

// Worker threads never exceed this, whatever the machine reports.
inline constexpr size_t kEwfMaxCompressionThreads = 8;
// Chunks allowed in flight per worker: enough to keep every worker busy while the writer thread stores
// the oldest one, small enough to bound memory (32 KiB chunks: 8 workers × 4 × ~64 KiB = 2 MiB).
inline constexpr size_t kEwfChunksInFlightPerThread = 4;
// zlib levels matching libewf's own mapping of LIBEWF_COMPRESSION_FAST / _BEST.
inline constexpr int kEwfZlibLevelFast = 1;
inline constexpr int kEwfZlibLevelBest = 9;
// Level meaning "store every chunk uncompressed".
inline constexpr int kEwfStoreUncompressed = 0;

// One chunk as it goes into the segment file.
struct EwfChunk {
  std::vector<uint8_t> stored;  // the zlib stream when compressed, otherwise the data itself
  size_t data_size = 0;         // bytes of media data in the chunk
  bool compressed = false;
  uint32_t adler32 = 0;  // Adler-32 of the media data (written after an uncompressed chunk)
};

// Encodes one chunk on the calling thread (what each worker runs). `zlib_level` is kEwfStoreUncompressed
// or 1..9. If zlib fails (it can only run out of memory here) the chunk is stored uncompressed, which is
// an equally valid E01 chunk.
EwfChunk EncodeEwfChunk(std::vector<uint8_t> data, int zlib_level);

class EwfChunkCompressor {
 public:
  // `threads` = 0 encodes inside Submit() on the caller's thread (used for level "none", where there is
  // nothing worth a thread: only the Adler-32). Otherwise clamped to kEwfMaxCompressionThreads.
  EwfChunkCompressor(int zlib_level, size_t threads);
  ~EwfChunkCompressor();
  EwfChunkCompressor(const EwfChunkCompressor&) = delete;
  EwfChunkCompressor& operator=(const EwfChunkCompressor&) = delete;

  // Default worker count: the machine's cores, at least 1, at most kEwfMaxCompressionThreads.
  static size_t DefaultThreads();

  size_t threads() const { return workers_.size(); }
  size_t max_in_flight() const { return max_in_flight_; }
  // Chunks submitted and not yet returned by Next().
  size_t in_flight() const { return slots_.size(); }
  // Queues a chunk. Requires in_flight() < max_in_flight(): the caller takes finished chunks with Next()
  // first, which is what keeps memory bounded.
  void Submit(std::vector<uint8_t> data);
  // Waits for the oldest submitted chunk and returns it. Requires in_flight() > 0.
  EwfChunk Next();

 private:
  struct Slot {
    std::vector<uint8_t> input;
    EwfChunk output;
    bool done = false;
  };
  void Work();

  const int level_;
  size_t max_in_flight_ = 1;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable chunk_done_;
  std::deque<std::shared_ptr<Slot>> slots_;    // submission order; owned by the writer thread's calls
  std::deque<std::shared_ptr<Slot>> pending_;  // not yet picked up by a worker
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_OUTPUT_EWF_CHUNK_COMPRESSOR_H_
