// The shape every plugin result must have before the host accepts it. Used twice: by the worker's host API
// (so a plugin author gets INTERDICT_INVALID_ARGUMENT at once) and by the host on every frame (the check that
// counts, since the worker may be compromised).
//
// A finding is a JSON object with at least
//   "kind"     short lowercase token ([a-z0-9-], e.g. "yara-match", "mesh-match", "corruption")
//   "severity" one of "info", "notice", "warning", "high"
//   "location" location chain string ("handset.img@0x8000000[gpt:userdata] > ext4:/system/x.apk")
//   "summary"  one line for people (no line breaks)
// plus kind-specific fields. Artifact metadata is a JSON object with a non-empty "name" and string
// "media_type" and "location"; "role" is optional ("extracted", "thumbnail", "overlay", ...).
// Thread-safe: pure functions.
#ifndef INTERDICT_SANDBOX_RESULT_VALIDATION_H_
#define INTERDICT_SANDBOX_RESULT_VALIDATION_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/status.h"

namespace interdict {

inline constexpr size_t kMaxFindingKindLength = 64;
inline constexpr size_t kMaxFindingSummaryLength = 4096;
inline constexpr size_t kMaxLocationLength = 16 * 1024;
inline constexpr size_t kMaxArtifactNameLength = 4096;

// Parses and checks a finding; kCorrupt naming the first problem.
Result<nlohmann::json> ValidateFinding(std::string_view json_text);
// Parses and checks artifact metadata; kCorrupt naming the first problem.
Result<nlohmann::json> ValidateArtifactMeta(std::string_view json_text);

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_RESULT_VALIDATION_H_
