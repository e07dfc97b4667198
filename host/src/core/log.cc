#include "core/log.h"

#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace interdict {
namespace {

std::mutex g_mutex;
LogOptions g_options;

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void ConfigureLogging(const LogOptions& options) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_options = options;
}

void Log(LogLevel level, std::string_view component, std::string_view message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (level < g_options.min_level) return;
  std::string line;
  if (g_options.json) {
    nlohmann::json record = {{"time", UtcNowIso8601()},
                             {"level", LogLevelName(level)},
                             {"component", component},
                             {"message", message}};
    line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    line = UtcNowIso8601() + " " + std::string(LogLevelName(level)) + " [" + std::string(component) + "] " +
           std::string(message) + "\n";
  }
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace interdict
