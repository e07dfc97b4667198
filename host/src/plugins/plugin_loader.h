// Loading one plugin library: verify, dlopen, negotiate the ABI.
//
// Order matters and is the contract: the manifest is parsed and its ABI checked first (no loading), then the
// library file is opened once and its SHA-256 compared with the manifest, and the very file descriptor that
// was hashed is handed to dlopen (RTLD_NOW | RTLD_LOCAL) through /proc/self/fd, so the bytes that run are the
// bytes that were verified. Only then is the entry symbol called with the host's function table; the
// returned descriptor's struct_size, ABI version, id and version are checked against the manifest.
// Refusals name both ABI versions. Nothing here runs plugin code except the entry function.
//
// Thread-safety: LoadPlugin may be called from several threads; a LoadedPlugin is used from one thread.
#ifndef INTERDICT_PLUGINS_PLUGIN_LOADER_H_
#define INTERDICT_PLUGINS_PLUGIN_LOADER_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/status.h"
#include "interdict/plugin_abi.h"
#include "plugins/plugin_manifest.h"

namespace interdict {

// A plugin library larger than this is refused before hashing.
inline constexpr uint64_t kMaxPluginLibraryBytes = 1ull << 30;
// The smallest descriptor the host accepts: the ABI 1.0 layout, up to and including destroy.
inline constexpr size_t kMinPluginDescriptorSize = offsetof(interdict_plugin, destroy) + sizeof(void (*)(void*));
inline constexpr size_t kPluginEntryErrorCapacity = 512;

// A verified plugin library loaded into this process. dlcloses on destruction; the caller must have called
// the descriptor's destroy() for every state it created before that.
class LoadedPlugin {
 public:
  LoadedPlugin(void* handle, const interdict_plugin* descriptor, PluginManifest manifest);
  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const PluginManifest& manifest() const { return manifest_; }
  const interdict_plugin& descriptor() const { return *descriptor_; }

 private:
  void* handle_;
  const interdict_plugin* descriptor_;
  PluginManifest manifest_;
};

// Checks the manifest's ABI against the host and the library's SHA-256 against the manifest, without
// loading anything. kVerificationFailed on a checksum mismatch, kPermissionDenied on an ABI mismatch,
// kNotFound when the library is missing.
Status VerifyPlugin(const PluginManifest& manifest);

// Reads the manifest, verifies, dlopens and calls the entry symbol with `host_api` (which must outlive the
// returned plugin). Errors carry the manifest path and say which step refused.
Result<std::unique_ptr<LoadedPlugin>> LoadPlugin(const std::filesystem::path& manifest_path,
                                                 const interdict_host_api* host_api);

}  // namespace interdict

#endif  // INTERDICT_PLUGINS_PLUGIN_LOADER_H_
