// Time stamps in one format everywhere: UTC, ISO 8601, "2026-11-29T21:31:25.123Z".
#ifndef INTERDICT_CORE_CLOCK_H_
#define INTERDICT_CORE_CLOCK_H_

#include <chrono>
#include <string>

namespace interdict {

std::string UtcNowIso8601();
std::string ToIso8601(std::chrono::system_clock::time_point time);

}  // namespace interdict

#endif  // INTERDICT_CORE_CLOCK_H_
