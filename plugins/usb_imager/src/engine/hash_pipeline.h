// HashPipeline: MD5/SHA-1/SHA-256 of the whole image plus a SHA-256 per window (e.g. per 1 MiB), computed
// on its own thread so that hashing overlaps with USB reads and image writes. Blocks are fed in image
// order; the queue is bounded (kHashQueueDepth blocks), so a slow hash thread slows the reader instead of
// growing memory. Push() and Finish() are called from one producer thread.
#ifndef INTERDICT_USB_IMAGER_ENGINE_HASH_PIPELINE_H_
#define INTERDICT_USB_IMAGER_ENGINE_HASH_PIPELINE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/hash.h"

namespace interdict::usb {

inline constexpr size_t kHashQueueDepth = 8;

struct WindowHash {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string sha256;
};

class HashPipeline {
 public:
  HashPipeline(std::vector<HashAlgorithm> algorithms, uint64_t window_bytes);
  ~HashPipeline();
  HashPipeline(const HashPipeline&) = delete;
  HashPipeline& operator=(const HashPipeline&) = delete;

  void Push(std::shared_ptr<const std::vector<uint8_t>> block);
  // Waits for the queue to drain; returns the whole-image digests. The window list is then complete.
  Digests Finish();
  const std::vector<WindowHash>& windows() const { return windows_; }
  uint64_t bytes_hashed() const { return bytes_; }

 private:
  void Run();
  void Consume(const std::vector<uint8_t>& block);

  MultiHasher whole_;
  MultiHasher window_;
  uint64_t window_bytes_;
  uint64_t window_start_ = 0;
  uint64_t window_fill_ = 0;
  uint64_t bytes_ = 0;
  std::vector<WindowHash> windows_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<const std::vector<uint8_t>>> queue_;
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_HASH_PIPELINE_H_
