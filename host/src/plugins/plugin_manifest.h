// PluginManifest: what a plugin is, read from the plugin.json beside its library without loading it.
//
// The manifest is hostile input until verified: ParsePluginManifest validates every field (types, lengths,
// character sets, known capability names, limits within caps) and refuses unknown top-level keys, so a
// typo never silently weakens the sandbox. It never touches the library; VerifyPluginLibrary (loader.h)
// checks the library's SHA-256 against the manifest.
//
// Format (docs/plugin-abi.md):
//   {"id":"org.interdict.example","version":"1.0.0","abi":"1.0","library":"plugin_example.so",
//    "sha256":"<64 hex>","description":"...","kinds":["scan"],"accepted_inputs":["*"],"needs":[],
//    "limits":{"timeout_s":3600,"address_space_mb":4096,"cpu_s":7200,"open_files":64}}
// Thread-safe: pure functions.
#ifndef INTERDICT_PLUGINS_PLUGIN_MANIFEST_H_
#define INTERDICT_PLUGINS_PLUGIN_MANIFEST_H_

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace interdict {

inline constexpr char kPluginManifestName[] = "plugin.json";
// A manifest is a few hundred bytes; anything near this cap is not a manifest.
inline constexpr uint64_t kMaxPluginManifestBytes = 64 * 1024;
inline constexpr size_t kMaxPluginIdLength = 128;
inline constexpr size_t kMaxPluginVersionLength = 64;
inline constexpr size_t kMaxPluginDescriptionLength = 1024;
inline constexpr size_t kMaxPluginLibraryNameLength = 255;
inline constexpr size_t kMaxManifestListEntries = 64;
inline constexpr size_t kMaxManifestListEntryLength = 128;
// Upper bounds a manifest may ask for; a caller may still lower them.
inline constexpr uint64_t kMaxManifestTimeoutSeconds = 7 * 24 * 3600;
inline constexpr uint64_t kMaxManifestAddressSpaceMb = 64 * 1024;
inline constexpr uint64_t kMaxManifestCpuSeconds = 7 * 24 * 3600;
inline constexpr uint64_t kMaxManifestOpenFiles = 4096;

// Capabilities beyond the default sandbox profile that a manifest may declare in "needs".
inline constexpr char kNeedUsb[] = "usb";  // USB device access (libusb, umockdev): see sandbox_policy.h

struct AbiVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string ToString() const;  // "1.0"
};

// The ABI version this host implements (INTERDICT_ABI_MAJOR/MINOR of plugin_abi.h).
AbiVersion HostAbiVersion();
// The version rule: major equal, plugin minor <= host minor. On refusal the message names both versions.
Status CheckAbiCompatible(std::string_view plugin_id, AbiVersion plugin, AbiVersion host);

struct PluginLimits {
  uint64_t timeout_s = 0;         // 0: not given, the host default applies
  uint64_t address_space_mb = 0;  // 0: not given
  uint64_t cpu_s = 0;             // 0: not given
  uint64_t open_files = 0;        // 0: not given
};

struct PluginManifest {
  std::filesystem::path manifest_path;  // where it was read from (empty when parsed from text)
  std::string id;
  std::string version;
  AbiVersion abi;
  std::string library;  // a plain file name in the manifest's folder
  std::string sha256;   // lowercase hex of the library's bytes
  std::string description;
  std::vector<std::string> kinds;
  std::vector<std::string> accepted_inputs;  // media types, "type/*" or "*"
  std::vector<std::string> needs;            // capability names (kNeedUsb)
  PluginLimits limits;

  std::filesystem::path LibraryPath() const { return manifest_path.parent_path() / library; }
  bool Needs(std::string_view capability) const;
  nlohmann::json ToJson() const;
};

// Parses and validates manifest text. kCorrupt with a message naming the field on any violation.
Result<PluginManifest> ParsePluginManifest(std::string_view text);
// Reads (capped at kMaxPluginManifestBytes) and parses a plugin.json; sets manifest_path.
Result<PluginManifest> ReadPluginManifest(const std::filesystem::path& manifest_path);

}  // namespace interdict

#endif  // INTERDICT_PLUGINS_PLUGIN_MANIFEST_H_
