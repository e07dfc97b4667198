#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace interdict {

ProgressReporter::ProgressReporter(std::string label, uint64_t total, bool quiet, std::string count_noun)
    : label_(std::move(label)),
      count_noun_(std::move(count_noun)),
      total_(total),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

ProgressReporter::~ProgressReporter() = default;

void ProgressReporter::SetTotal(uint64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  total_ = total;
}

std::string ProgressReporter::FormatBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 4) {
    bytes /= 1024.0;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buffer;
}

std::string ProgressReporter::FormatDuration(double seconds) {
  if (seconds < 0) seconds = 0;
  auto total = static_cast<long long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof(buffer), "%lldh%02lldm", total / 3600, (total % 3600) / 60);
  } else if (total >= 60) {
    std::snprintf(buffer, sizeof(buffer), "%lldm%02llds", total / 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%llds", total);
  }
  return buffer;
}

std::string ProgressReporter::Amount(double amount) const {
  if (count_noun_.empty()) return FormatBytes(amount);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.0f", amount);
  return buffer;
}

std::string ProgressReporter::Render(uint64_t done, const std::string& extra, bool final_line) const {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const std::string noun = count_noun_.empty() ? "" : " " + count_noun_;
  std::string line = label_ + ": " + Amount(static_cast<double>(done));
  if (total_ > 0) {
    double fraction = static_cast<double>(done) / static_cast<double>(total_);
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%5.1f%%", fraction * 100.0);
    if (terminal_) {
      constexpr int kBarWidth = 24;
      int filled = static_cast<int>(fraction * kBarWidth);
      line = label_ + " [" + std::string(static_cast<size_t>(filled), '#') +
             std::string(static_cast<size_t>(kBarWidth - filled), '.') + "] " + pct + " " +
             Amount(static_cast<double>(done));
    } else {
      line += std::string(" (") + pct + ")";
    }
    line += " of " + Amount(static_cast<double>(total_)) + noun;
  } else {
    line += noun;
  }
  if (count_noun_.empty()) {
    line += ", " + FormatBytes(rate) + "/s";
  } else {
    char per_second[48];
    std::snprintf(per_second, sizeof(per_second), ", %.1f%s/s", rate, noun.c_str());
    line += per_second;
  }
  if (final_line) {
    line += ", " + FormatDuration(elapsed);
  } else if (total_ > 0 && rate > 0 && done < total_) {
    line += ", ETA " + FormatDuration(static_cast<double>(total_ - done) / rate);
  }
  if (!extra.empty()) line += ", " + extra;
  return line;
}

void ProgressReporter::Update(uint64_t done, const std::string& extra) {
  if (quiet_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  auto interval = terminal_ ? std::chrono::duration_cast<std::chrono::milliseconds>(kProgressTerminalInterval)
                            : std::chrono::duration_cast<std::chrono::milliseconds>(kProgressPlainInterval);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  std::string line = Render(done, extra, false);
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

void ProgressReporter::Finish(uint64_t done, const std::string& extra) {
  if (quiet_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  std::string line = Render(done, extra, true);
  if (terminal_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace interdict
