// Test doubles shared by the engine and E01 output tests: random test data and an in-memory block source
// with injected bad sectors and a one-shot disconnect.
#ifndef INTERDICT_TESTS_USB_IMAGER_FAKE_BLOCK_SOURCE_H_
#define INTERDICT_TESTS_USB_IMAGER_FAKE_BLOCK_SOURCE_H_

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/block_source.h"

namespace interdict::usb {

inline constexpr uint32_t kSector = 512;

inline std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// A device in memory: bad sectors fail every time; a disconnect fires once, on the read that crosses
// `disconnect_at_byte`, and lasts for `reconnect_polls` Reconnect() calls.
class FakeSource final : public BlockSource {
 public:
  FakeSource(std::vector<uint8_t> data, std::set<uint64_t> bad) : data_(std::move(data)), bad_(std::move(bad)) {
    identity_.uri = "fake:";
    identity_.kind = "fake";
    identity_.serial = "FAKE1";
    identity_.sector_size = kSector;
    identity_.capacity_bytes = data_.size();
  }
  const SourceIdentity& identity() const override { return identity_; }
  uint32_t max_sectors_per_read() const override { return 256; }
  Status Read(uint64_t lba, uint32_t count, std::span<uint8_t> out) override {
    if (gone_) return Status::Disconnected("gone");
    const uint64_t end = (lba + count) * kSector;
    if (disconnect_at_byte_ && end > *disconnect_at_byte_) {
      disconnect_at_byte_.reset();
      gone_ = true;
      return Status::Disconnected("cable pulled");
    }
    bytes_read_ += static_cast<uint64_t>(count) * kSector;
    for (uint64_t s = lba; s < lba + count; ++s) {
      if (bad_.count(s)) return Status::Unreadable("medium error at " + std::to_string(s));
    }
    std::copy_n(data_.begin() + lba * kSector, out.size(), out.begin());
    return Status::Ok();
  }
  Status Reconnect() override {
    ++reconnect_calls_;
    if (reconnect_polls_ > 0) {
      --reconnect_polls_;
      return Status::Disconnected("still away");
    }
    gone_ = false;
    return Status::Ok();
  }

  std::vector<uint8_t> data_;
  std::set<uint64_t> bad_;
  std::optional<uint64_t> disconnect_at_byte_;
  int reconnect_polls_ = 0;
  int reconnect_calls_ = 0;
  bool gone_ = false;
  uint64_t bytes_read_ = 0;
  SourceIdentity identity_;
};

}  // namespace interdict::usb

#endif  // INTERDICT_TESTS_USB_IMAGER_FAKE_BLOCK_SOURCE_H_
