#include "sandbox/result_validation.h"

#include <algorithm>
#include <array>

#include "sandbox/frame.h"
#include "sandbox/job_runner.h"

namespace interdict {
namespace {

constexpr std::array<std::string_view, 4> kSeverities = {"info", "notice", "warning", "high"};

Result<nlohmann::json> ParseObject(std::string_view what, std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Status::Corrupt(std::string(what) + " of " + std::to_string(text.size()) + " bytes exceeds " +
                           std::to_string(max_bytes));
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corrupt(std::string(what) + " is not valid JSON");
  if (!doc.is_object()) return Status::Corrupt(std::string(what) + " is not a JSON object");
  return doc;
}

Status RequireString(std::string_view what, const nlohmann::json& doc, std::string_view key, size_t max_length,
                     bool allow_empty) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) {
    return Status::Corrupt(std::string(what) + " needs a string \"" + std::string(key) + "\"");
  }
  const auto& value = it->get_ref<const std::string&>();
  if ((!allow_empty && value.empty()) || value.size() > max_length) {
    return Status::Corrupt(std::string(what) + " field \"" + std::string(key) + "\" is empty or longer than " +
                           std::to_string(max_length));
  }
  return Status::Ok();
}

}  // namespace

Result<nlohmann::json> ValidateFinding(std::string_view json_text) {
  INTERDICT_ASSIGN_OR_RETURN(nlohmann::json doc, ParseObject("finding", json_text, kMaxFindingBytes));
  INTERDICT_RETURN_IF_ERROR(RequireString("finding", doc, "kind", kMaxFindingKindLength, false));
  const auto& kind = doc["kind"].get_ref<const std::string&>();
  if (!std::all_of(kind.begin(), kind.end(),
                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; })) {
    return Status::Corrupt("finding kind \"" + kind + "\" is not a lowercase token");
  }
  INTERDICT_RETURN_IF_ERROR(RequireString("finding", doc, "severity", 16, false));
  const auto& severity = doc["severity"].get_ref<const std::string&>();
  if (std::find(kSeverities.begin(), kSeverities.end(), severity) == kSeverities.end()) {
    return Status::Corrupt("finding severity \"" + severity + "\" is not one of info, notice, warning, high");
  }
  INTERDICT_RETURN_IF_ERROR(RequireString("finding", doc, "location", kMaxLocationLength, true));
  INTERDICT_RETURN_IF_ERROR(RequireString("finding", doc, "summary", kMaxFindingSummaryLength, false));
  if (doc["summary"].get_ref<const std::string&>().find_first_of("\r\n") != std::string::npos) {
    return Status::Corrupt("finding summary must be one line");
  }
  return doc;
}

Result<nlohmann::json> ValidateArtifactMeta(std::string_view json_text) {
  INTERDICT_ASSIGN_OR_RETURN(nlohmann::json doc, ParseObject("artifact metadata", json_text, kMaxArtifactMetaBytes));
  INTERDICT_RETURN_IF_ERROR(RequireString("artifact metadata", doc, "name", kMaxArtifactNameLength, false));
  INTERDICT_RETURN_IF_ERROR(RequireString("artifact metadata", doc, "media_type", 255, true));
  INTERDICT_RETURN_IF_ERROR(RequireString("artifact metadata", doc, "location", kMaxLocationLength, true));
  if (doc.contains("role")) INTERDICT_RETURN_IF_ERROR(RequireString("artifact metadata", doc, "role", 64, false));
  return doc;
}

}  // namespace interdict
