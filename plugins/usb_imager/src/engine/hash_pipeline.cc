#include "engine/hash_pipeline.h"

#include <algorithm>

namespace interdict::usb {

HashPipeline::HashPipeline(std::vector<HashAlgorithm> algorithms, uint64_t window_bytes)
    : whole_(std::move(algorithms)),
      window_({HashAlgorithm::kSha256}),
      window_bytes_(window_bytes),
      thread_(&HashPipeline::Run, this) {}

HashPipeline::~HashPipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HashPipeline::Push(std::shared_ptr<const std::vector<uint8_t>> block) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return queue_.size() < kHashQueueDepth; });
  queue_.push_back(std::move(block));
  changed_.notify_all();
}

Digests HashPipeline::Finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (window_fill_ > 0) {
    windows_.push_back({window_start_, window_fill_, window_.Finish().sha256});
    window_fill_ = 0;
  }
  return whole_.Finish();
}

void HashPipeline::Run() {
  for (;;) {
    std::shared_ptr<const std::vector<uint8_t>> block;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;
      block = std::move(queue_.front());
      queue_.pop_front();
    }
    changed_.notify_all();
    Consume(*block);
  }
}

void HashPipeline::Consume(const std::vector<uint8_t>& block) {
  whole_.Update(block.data(), block.size());
  bytes_ += block.size();
  if (window_bytes_ == 0) return;
  size_t done = 0;
  while (done < block.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(block.size() - done, window_bytes_ - window_fill_));
    window_.Update(block.data() + done, n);
    window_fill_ += n;
    done += n;
    if (window_fill_ == window_bytes_) {
      windows_.push_back({window_start_, window_fill_, window_.Finish().sha256});
      window_start_ += window_fill_;
      window_fill_ = 0;
    }
  }
}

}  // namespace interdict::usb
