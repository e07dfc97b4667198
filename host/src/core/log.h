// Process-wide structured logging to stderr: human text by default, one JSON object per line with
// --log-json (for lab servers). Thread-safe.
#ifndef INTERDICT_CORE_LOG_H_
#define INTERDICT_CORE_LOG_H_

#include <string>
#include <string_view>

namespace interdict {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

struct LogOptions {
  LogLevel min_level = LogLevel::kInfo;
  bool json = false;
};

void ConfigureLogging(const LogOptions& options);
// `component` names the part of the system ("usb", "scan", "queue"); `message` is one line.
void Log(LogLevel level, std::string_view component, std::string_view message);

inline void LogDebug(std::string_view component, std::string_view message) {
  Log(LogLevel::kDebug, component, message);
}
inline void LogInfo(std::string_view component, std::string_view message) {
  Log(LogLevel::kInfo, component, message);
}
inline void LogWarning(std::string_view component, std::string_view message) {
  Log(LogLevel::kWarning, component, message);
}
inline void LogError(std::string_view component, std::string_view message) {
  Log(LogLevel::kError, component, message);
}

std::string_view LogLevelName(LogLevel level);

}  // namespace interdict

#endif  // INTERDICT_CORE_LOG_H_
