#include "unpacker.h"

#include <algorithm>
#include <limits>

namespace interdict::fwscan {

UnpackContext::UnpackContext(const UnpackLimits& limits, uint64_t input_size, std::function<bool()> cancelled)
    : limits_(limits),
      deadline_(std::chrono::steady_clock::now() + limits.wall_time),
      cancelled_(std::move(cancelled)) {
  budget_ = std::max(BudgetFor(input_size), kMinExtractedBytesBudget);
}

uint64_t UnpackContext::BudgetFor(uint64_t size) const {
  uint64_t factor = limits_.extracted_bytes_factor;
  return size > std::numeric_limits<uint64_t>::max() / std::max<uint64_t>(factor, 1) ? std::numeric_limits<uint64_t>::max()
                                                                                    : size * factor;
}

void UnpackContext::ScaleBudgetTo(uint64_t size) { budget_ = std::max(budget_, BudgetFor(size)); }

Status UnpackContext::Charge(uint64_t bytes) {
  if (exhausted_ || bytes > budget_ - std::min(extracted_, budget_)) {
    exhausted_ = true;
    return Status::LimitExceeded("extracted-bytes budget of " + std::to_string(budget_) + " bytes (" +
                                 std::to_string(limits_.extracted_bytes_factor) + "x input) spent");
  }
  extracted_ += bytes;
  return Status::Ok();
}

Status UnpackContext::CheckTime() const {
  if (cancelled_ && cancelled_()) return Status::Cancelled("cancelled");
  if (std::chrono::steady_clock::now() > deadline_) {
    return Status::Timeout("wall time of " + std::to_string(limits_.wall_time.count()) + " s reached");
  }
  return Status::Ok();
}

std::span<const UnpackerFormat> UnpackerFormats() {
  // GPT before MBR: a GPT disk also carries a protective MBR.
  static const UnpackerFormat* const kTable[] = {&kEwfFormat, &kGptFormat,      &kMbrFormat,  &kAndroidSparseFormat,
                                                 &kAndroidBootFormat, &kSquashfsFormat, &kExt4Format,
                                                 &kArchiveFormat};
  static const std::vector<UnpackerFormat> kFormats = [] {
    std::vector<UnpackerFormat> v;
    for (const UnpackerFormat* f : kTable) v.push_back(*f);
    return v;
  }();
  return kFormats;
}

const UnpackerFormat* IdentifyFormat(std::span<const uint8_t> head, uint64_t size) {
  for (const UnpackerFormat& format : UnpackerFormats()) {
    if (format.probe(head, size)) return &format;
  }
  return nullptr;
}

}  // namespace interdict::fwscan
