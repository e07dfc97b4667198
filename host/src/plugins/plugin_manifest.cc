#include "plugins/plugin_manifest.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "core/files.h"
#include "interdict/plugin_abi.h"

namespace interdict {
namespace {

constexpr std::array<std::string_view, 10> kKnownKeys = {
    "id", "version", "abi", "library", "sha256", "description", "kinds", "accepted_inputs", "needs", "limits"};
constexpr std::array<std::string_view, 4> kKnownLimitKeys = {"timeout_s", "address_space_mb", "cpu_s", "open_files"};
constexpr std::array<std::string_view, 1> kKnownNeeds = {kNeedUsb};

Status FieldError(std::string_view field, std::string_view problem) {
  return Status::Corrupt("plugin manifest field \"" + std::string(field) + "\": " + std::string(problem));
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reverse-DNS: at least two dot-separated labels of [a-z0-9_-], each starting with a letter or digit.
bool IsValidPluginId(std::string_view id) {
  if (id.empty() || id.size() > kMaxPluginIdLength) return false;
  size_t labels = 0;
  size_t start = 0;
  while (start <= id.size()) {
    size_t end = id.find('.', start);
    if (end == std::string_view::npos) end = id.size();
    std::string_view label = id.substr(start, end - start);
    if (label.empty() || !IsLowerAlnum(label.front())) return false;
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '_' && c != '-') return false;
    }
    ++labels;
    start = end + 1;
  }
  return labels >= 2;
}

// Parses a non-negative decimal without sign or leading zeros ("0" itself is fine).
bool ParseDecimal(std::string_view text, uint32_t* value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Semantic version: MAJOR.MINOR.PATCH with an optional -prerelease of [0-9A-Za-z.-].
bool IsValidSemver(std::string_view version) {
  if (version.empty() || version.size() > kMaxPluginVersionLength) return false;
  std::string_view core = version.substr(0, version.find('-'));
  if (core.size() < version.size()) {
    std::string_view pre = version.substr(core.size() + 1);
    if (pre.empty()) return false;
    for (char c : pre) {
      if (!IsLowerAlnum(c) && !(c >= 'A' && c <= 'Z') && c != '.' && c != '-') return false;
    }
  }
  uint32_t parts[3];
  size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = i < 2 ? core.find('.', start) : core.size();
    if (end == std::string_view::npos) return false;
    if (!ParseDecimal(core.substr(start, end - start), &parts[i])) return false;
    start = end + 1;
  }
  return start == core.size() + 1;
}

Result<AbiVersion> ParseAbi(std::string_view text) {
  size_t dot = text.find('.');
  AbiVersion abi;
  if (dot == std::string_view::npos || !ParseDecimal(text.substr(0, dot), &abi.major) ||
      !ParseDecimal(text.substr(dot + 1), &abi.minor)) {
    return FieldError("abi", "must be \"MAJOR.MINOR\", got \"" + std::string(text.substr(0, 32)) + "\"");
  }
  return abi;
}

bool IsValidLibraryName(std::string_view name) {
  if (name.empty() || name.size() > kMaxPluginLibraryNameLength || name == "." || name == "..") return false;
  if (name.size() < 4 || name.substr(name.size() - 3) != ".so") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' || c == '.';
  });
}

bool IsLowerHex(std::string_view text, size_t length) {
  return text.size() == length &&
         std::all_of(text.begin(), text.end(), [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
}

// Media-type pattern: "*", "*/*", "type/*" or "type/subtype" of RFC 6838 restricted-name characters.
bool IsValidMediaPattern(std::string_view pattern) {
  if (pattern == "*" || pattern == "*/*") return true;
  size_t slash = pattern.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= pattern.size()) return false;
  auto is_name = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) {
      return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-' || c == '_';
    });
  };
  std::string_view subtype = pattern.substr(slash + 1);
  return is_name(pattern.substr(0, slash)) && (subtype == "*" || is_name(subtype));
}

bool IsValidKind(std::string_view kind) {
  return !kind.empty() && std::all_of(kind.begin(), kind.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

Result<std::string> GetString(const nlohmann::json& doc, std::string_view key, size_t max_length,
                              bool required = true) {
  auto it = doc.find(key);
  if (it == doc.end()) {
    if (!required) return std::string();
    return FieldError(key, "missing");
  }
  if (!it->is_string()) return FieldError(key, "must be a string");
  const std::string& value = it->get_ref<const std::string&>();
  if (value.size() > max_length) return FieldError(key, "longer than " + std::to_string(max_length) + " bytes");
  return value;
}

template <typename Predicate>
Result<std::vector<std::string>> GetStringList(const nlohmann::json& doc, std::string_view key, bool non_empty,
                                               Predicate valid) {
  auto it = doc.find(key);
  if (it == doc.end()) return FieldError(key, "missing");
  if (!it->is_array()) return FieldError(key, "must be an array of strings");
  if (it->size() > kMaxManifestListEntries) return FieldError(key, "too many entries");
  if (non_empty && it->empty()) return FieldError(key, "must not be empty");
  std::vector<std::string> values;
  for (const auto& entry : *it) {
    if (!entry.is_string()) return FieldError(key, "must be an array of strings");
    const std::string& value = entry.get_ref<const std::string&>();
    if (value.size() > kMaxManifestListEntryLength || !valid(value)) {
      return FieldError(key, "invalid entry \"" + value.substr(0, 64) + "\"");
    }
    if (std::find(values.begin(), values.end(), value) != values.end()) {
      return FieldError(key, "duplicate entry \"" + value + "\"");
    }
    values.push_back(value);
  }
  return values;
}

Result<PluginLimits> GetLimits(const nlohmann::json& doc) {
  PluginLimits limits;
  auto it = doc.find("limits");
  if (it == doc.end()) return limits;
  if (!it->is_object()) return FieldError("limits", "must be an object");
  for (const auto& [key, value] : it->items()) {
    if (std::find(kKnownLimitKeys.begin(), kKnownLimitKeys.end(), key) == kKnownLimitKeys.end()) {
      return FieldError("limits." + key.substr(0, 64), "unknown limit");
    }
    if (!value.is_number_unsigned() || value.get<uint64_t>() == 0) {
      return FieldError("limits." + key, "must be a positive integer");
    }
  }
  struct Entry {
    const char* key;
    uint64_t PluginLimits::*field;
    uint64_t cap;
  };
  const Entry entries[] = {{"timeout_s", &PluginLimits::timeout_s, kMaxManifestTimeoutSeconds},
                           {"address_space_mb", &PluginLimits::address_space_mb, kMaxManifestAddressSpaceMb},
                           {"cpu_s", &PluginLimits::cpu_s, kMaxManifestCpuSeconds},
                           {"open_files", &PluginLimits::open_files, kMaxManifestOpenFiles}};
  for (const Entry& entry : entries) {
    auto value = it->find(entry.key);
    if (value == it->end()) continue;
    uint64_t number = value->get<uint64_t>();
    if (number > entry.cap) {
      return FieldError(std::string("limits.") + entry.key, "above the cap of " + std::to_string(entry.cap));
    }
    limits.*entry.field = number;
  }
  return limits;
}

}  // namespace

std::string AbiVersion::ToString() const { return std::to_string(major) + "." + std::to_string(minor); }

AbiVersion HostAbiVersion() { return {INTERDICT_ABI_MAJOR, INTERDICT_ABI_MINOR}; }

Status CheckAbiCompatible(std::string_view plugin_id, AbiVersion plugin, AbiVersion host) {
  if (plugin.major == host.major && plugin.minor <= host.minor) return Status::Ok();
  return Status::PermissionDenied("plugin " + std::string(plugin_id) + " was built for plugin ABI " +
                                  plugin.ToString() + " but this host provides ABI " + host.ToString() +
                                  " (the major must be equal and the plugin's minor at most the host's)");
}

bool PluginManifest::Needs(std::string_view capability) const {
  return std::find(needs.begin(), needs.end(), capability) != needs.end();
}

nlohmann::json PluginManifest::ToJson() const {
  nlohmann::json limits_json = nlohmann::json::object();
  if (limits.timeout_s) limits_json["timeout_s"] = limits.timeout_s;
  if (limits.address_space_mb) limits_json["address_space_mb"] = limits.address_space_mb;
  if (limits.cpu_s) limits_json["cpu_s"] = limits.cpu_s;
  if (limits.open_files) limits_json["open_files"] = limits.open_files;
  return {
      {"id", id},         {"version", version},         {"abi", abi.ToString()}, {"library", library},
      {"sha256", sha256}, {"description", description}, {"kinds", kinds},        {"accepted_inputs", accepted_inputs},
      {"needs", needs},   {"limits", limits_json}};
}

Result<PluginManifest> ParsePluginManifest(std::string_view text) {
  if (text.size() > kMaxPluginManifestBytes) {
    return Status::LimitExceeded("plugin manifest is larger than " + std::to_string(kMaxPluginManifestBytes) +
                                 " bytes");
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Corrupt("plugin manifest is not valid JSON");
  if (!doc.is_object()) return Status::Corrupt("plugin manifest must be a JSON object");
  for (const auto& item : doc.items()) {
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), item.key()) == kKnownKeys.end()) {
      return FieldError(item.key().substr(0, 64), "unknown field");
    }
  }

  PluginManifest manifest;
  INTERDICT_ASSIGN_OR_RETURN(manifest.id, GetString(doc, "id", kMaxPluginIdLength));
  if (!IsValidPluginId(manifest.id)) return FieldError("id", "must be reverse-DNS such as org.interdict.example");
  INTERDICT_ASSIGN_OR_RETURN(manifest.version, GetString(doc, "version", kMaxPluginVersionLength));
  if (!IsValidSemver(manifest.version)) return FieldError("version", "must be a semantic version MAJOR.MINOR.PATCH");
  INTERDICT_ASSIGN_OR_RETURN(std::string abi_text, GetString(doc, "abi", 16));
  INTERDICT_ASSIGN_OR_RETURN(manifest.abi, ParseAbi(abi_text));
  INTERDICT_ASSIGN_OR_RETURN(manifest.library, GetString(doc, "library", kMaxPluginLibraryNameLength));
  if (!IsValidLibraryName(manifest.library)) {
    return FieldError("library", "must be a plain .so file name in the manifest's folder");
  }
  INTERDICT_ASSIGN_OR_RETURN(manifest.sha256, GetString(doc, "sha256", 64));
  if (!IsLowerHex(manifest.sha256, 64)) return FieldError("sha256", "must be 64 lowercase hex digits");
  INTERDICT_ASSIGN_OR_RETURN(manifest.description,
                             GetString(doc, "description", kMaxPluginDescriptionLength, /*required=*/false));
  INTERDICT_ASSIGN_OR_RETURN(manifest.kinds, GetStringList(doc, "kinds", true, IsValidKind));
  INTERDICT_ASSIGN_OR_RETURN(manifest.accepted_inputs,
                             GetStringList(doc, "accepted_inputs", true, IsValidMediaPattern));
  INTERDICT_ASSIGN_OR_RETURN(manifest.needs, GetStringList(doc, "needs", false, [](std::string_view need) {
                               return std::find(kKnownNeeds.begin(), kKnownNeeds.end(), need) != kKnownNeeds.end();
                             }));
  INTERDICT_ASSIGN_OR_RETURN(manifest.limits, GetLimits(doc));
  return manifest;
}

Result<PluginManifest> ReadPluginManifest(const std::filesystem::path& manifest_path) {
  Result<std::string> text = ReadFileToString(manifest_path, kMaxPluginManifestBytes);
  if (!text.ok()) return text.status().WithContext(manifest_path.string());
  Result<PluginManifest> manifest = ParsePluginManifest(*text);
  if (!manifest.ok()) return manifest.status().WithContext(manifest_path.string());
  manifest->manifest_path = manifest_path;
  return manifest;
}

}  // namespace interdict
