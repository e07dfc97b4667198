// Small, careful file helpers for the host's own files (never for evidence sources, which are opened
// read-only by the readers that own them).
#ifndef INTERDICT_CORE_FILES_H_
#define INTERDICT_CORE_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

// Caps for files read whole into memory (manifests, keys, configuration).
inline constexpr uint64_t kMaxKeyFileBytes = 64 * 1024;
inline constexpr uint64_t kMaxManifestBytes = 4 * 1024 * 1024;

// Reads a whole file; refuses files larger than max_bytes with kLimitExceeded.
Result<std::string> ReadFileToString(const std::filesystem::path& path, uint64_t max_bytes);
// Writes to a temporary file in the same folder, fsyncs it, then renames it into place.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents, mode_t mode = 0644);

}  // namespace interdict

#endif  // INTERDICT_CORE_FILES_H_
