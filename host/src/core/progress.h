// Progress on stderr: a redrawn bar with rate and ETA when stderr is a terminal, plain lines at most every
// few seconds otherwise (logs, CI, lab servers). Thread-safe; Update may be called as often as you like.
#ifndef INTERDICT_CORE_PROGRESS_H_
#define INTERDICT_CORE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace interdict {

inline constexpr std::chrono::milliseconds kProgressTerminalInterval{200};
inline constexpr std::chrono::seconds kProgressPlainInterval{5};

class ProgressReporter {
 public:
  // `label` prefixes every line ("acquire", "scan"); total = 0 if unknown. quiet suppresses all output.
  // Amounts are bytes, or counts of `count_noun` when one is given ("templates": "120 of 10000 templates").
  ProgressReporter(std::string label, uint64_t total, bool quiet = false, std::string count_noun = "");
  ~ProgressReporter();

  // `extra` is appended (e.g. "bad sectors: 3").
  void Update(uint64_t done, const std::string& extra = "");
  void SetTotal(uint64_t total);
  // Prints the final line with the amount actually done.
  void Finish(uint64_t done, const std::string& extra = "");

  // "12.3 MiB", "4.0 GiB".
  static std::string FormatBytes(double bytes);
  // "1h02m", "3m10s", "12s".
  static std::string FormatDuration(double seconds);

 private:
  std::string Render(uint64_t done, const std::string& extra, bool final_line) const;
  std::string Amount(double amount) const;  // FormatBytes, or the count without its noun

  std::mutex mutex_;
  std::string label_;
  std::string count_noun_;
  uint64_t total_;
  bool quiet_;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace interdict

#endif  // INTERDICT_CORE_PROGRESS_H_
