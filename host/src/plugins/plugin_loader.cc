#include "plugins/plugin_loader.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/hash.h"

namespace interdict {
namespace {

constexpr size_t kHashBlockBytes = 1 << 20;
// See DlopenDescriptor: how many aliases of /proc/self/fd/N to try.
constexpr int kMaxDlopenAliases = 32;

// Owns a file descriptor for the length of one load.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<std::string> Sha256OfFd(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IoError("cannot stat " + path.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::VerificationFailed(path.string() + " is not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxPluginLibraryBytes) {
    return Status::LimitExceeded(path.string() + " is larger than " + std::to_string(kMaxPluginLibraryBytes) +
                                 " bytes");
  }
  MultiHasher hasher({HashAlgorithm::kSha256});
  std::string block(kHashBlockBytes, '\0');
  uint64_t offset = 0;
  for (;;) {
    ssize_t got = ::pread(fd, block.data(), block.size(), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IoError("cannot read " + path.string() + ": " + std::strerror(errno));
    if (got == 0) break;
    hasher.Update(block.data(), static_cast<size_t>(got));
    offset += static_cast<uint64_t>(got);
  }
  return hasher.Finish().sha256;
}

// Opens the library and checks its bytes against the manifest; returns the descriptor that was hashed.
Result<int> OpenVerifiedLibrary(const PluginManifest& manifest) {
  std::filesystem::path path = manifest.LibraryPath();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT) return Status::NotFound("plugin library " + path.string() + " does not exist");
    return Status::IoError("cannot open plugin library " + path.string() + ": " + std::strerror(error));
  }
  Result<std::string> digest = Sha256OfFd(fd, path);
  if (!digest.ok()) {
    ::close(fd);
    return digest.status();
  }
  if (*digest != manifest.sha256) {
    ::close(fd);
    return Status::VerificationFailed("plugin " + manifest.id + ": library " + path.string() + " has SHA-256 " +
                                      *digest + " but the manifest says " + manifest.sha256 + "; refusing to load it");
  }
  return fd;
}

Status CheckDescriptor(const PluginManifest& manifest, const interdict_plugin* descriptor) {
  if (descriptor == nullptr) return Status::Corrupt("plugin " + manifest.id + " returned no descriptor");
  if (descriptor->struct_size < kMinPluginDescriptorSize) {
    return Status::Corrupt("plugin " + manifest.id + " descriptor is " + std::to_string(descriptor->struct_size) +
                           " bytes, smaller than the ABI 1.0 minimum of " + std::to_string(kMinPluginDescriptorSize));
  }
  INTERDICT_RETURN_IF_ERROR(
      CheckAbiCompatible(manifest.id, {descriptor->abi_major, descriptor->abi_minor}, HostAbiVersion()));
  if (descriptor->id == nullptr || manifest.id != descriptor->id) {
    return Status::Corrupt("plugin library says its id is \"" +
                           std::string(descriptor->id ? descriptor->id : "(null)") + "\" but the manifest says \"" +
                           manifest.id + "\"");
  }
  if (descriptor->version == nullptr || manifest.version != descriptor->version) {
    return Status::Corrupt("plugin " + manifest.id + " library says version \"" +
                           std::string(descriptor->version ? descriptor->version : "(null)") +
                           "\" but the manifest says \"" + manifest.version + "\"");
  }
  if (descriptor->create == nullptr || descriptor->process == nullptr || descriptor->destroy == nullptr) {
    return Status::Corrupt("plugin " + manifest.id + " descriptor lacks create, process or destroy");
  }
  return Status::Ok();
}

// True if the object behind `handle` was mapped from the same file as `fd` (device and inode, read from
// /proc/self/maps at the object's dynamic section).
bool IsLoadedFrom(void* handle, int fd) {
  struct stat st {};
  link_map* map = nullptr;
  if (::fstat(fd, &st) != 0 || ::dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return false;
  auto address = reinterpret_cast<uintptr_t>(map->l_ld);
  FILE* maps = std::fopen("/proc/self/maps", "re");
  if (maps == nullptr) return false;
  bool same = false;
  char line[4096];
  while (std::fgets(line, sizeof(line), maps) != nullptr) {
    unsigned long long start = 0, end = 0, offset = 0, inode = 0;
    unsigned int major_number = 0, minor_number = 0;
    char perms[8];
    if (std::sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &offset, &major_number, &minor_number,
                    &inode) != 7) {
      continue;
    }
    if (address >= start && address < end) {
      same = inode == st.st_ino && major_number == major(st.st_dev) && minor_number == minor(st.st_dev);
      break;
    }
  }
  std::fclose(maps);
  return same;
}

// dlopens the descriptor that was hashed. glibc finds an already loaded object by any name it was opened
// under before it compares files, and never unloads a C++ plugin with STB_GNU_UNIQUE symbols, so
// /proc/self/fd/N may still name an older plugin that had the same descriptor number. The loaded object is
// therefore checked against the descriptor, and other spellings of the path are tried on a mismatch:
// /proc/self/fd/N, /proc/self/fd/../fd/N, ...
Result<void*> DlopenDescriptor(int fd, const PluginManifest& manifest) {
  std::string prefix = "/proc/self/fd/";
  for (int alias = 0; alias < kMaxDlopenAliases; ++alias, prefix += "../fd/") {
    std::string name = prefix + std::to_string(fd);
    void* handle = ::dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* error = ::dlerror();
      return Status::Corrupt("plugin " + manifest.id + ": dlopen of " + manifest.LibraryPath().string() +
                             " failed: " + (error ? error : "unknown error"));
    }
    if (IsLoadedFrom(handle, fd)) return handle;
    ::dlclose(handle);
  }
  return Status::Internal("plugin " + manifest.id + ": every name for its library is taken by another plugin");
}

}  // namespace

LoadedPlugin::LoadedPlugin(void* handle, const interdict_plugin* descriptor, PluginManifest manifest)
    : handle_(handle), descriptor_(descriptor), manifest_(std::move(manifest)) {}

LoadedPlugin::~LoadedPlugin() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

Status VerifyPlugin(const PluginManifest& manifest) {
  INTERDICT_RETURN_IF_ERROR(CheckAbiCompatible(manifest.id, manifest.abi, HostAbiVersion()));
  INTERDICT_ASSIGN_OR_RETURN(int fd, OpenVerifiedLibrary(manifest));
  ::close(fd);
  return Status::Ok();
}

Result<std::unique_ptr<LoadedPlugin>> LoadPlugin(const std::filesystem::path& manifest_path,
                                                 const interdict_host_api* host_api) {
  INTERDICT_ASSIGN_OR_RETURN(PluginManifest manifest, ReadPluginManifest(manifest_path));
  INTERDICT_RETURN_IF_ERROR(CheckAbiCompatible(manifest.id, manifest.abi, HostAbiVersion()));
  INTERDICT_ASSIGN_OR_RETURN(int raw_fd, OpenVerifiedLibrary(manifest));
  ScopedFd fd(raw_fd);

  // dlopen the descriptor that was hashed, not the path, so the file cannot be swapped in between.
  INTERDICT_ASSIGN_OR_RETURN(void* handle, DlopenDescriptor(fd.get(), manifest));
  auto entry = reinterpret_cast<interdict_plugin_entry_fn>(::dlsym(handle, INTERDICT_ENTRY_SYMBOL));
  if (entry == nullptr) {
    ::dlclose(handle);
    return Status::Corrupt("plugin " + manifest.id + " does not export " + INTERDICT_ENTRY_SYMBOL);
  }
  const interdict_plugin* descriptor = nullptr;
  char error[kPluginEntryErrorCapacity] = {0};
  interdict_status status = entry(host_api, &descriptor, error, sizeof(error));
  error[sizeof(error) - 1] = '\0';
  if (status != INTERDICT_OK) {
    ::dlclose(handle);
    std::string reason = error[0] != '\0' ? error : "no reason given";
    if (status == INTERDICT_ABI_MISMATCH) {
      return Status::PermissionDenied("plugin " + manifest.id + " refused this host's plugin ABI " +
                                      HostAbiVersion().ToString() + ": " + reason);
    }
    return Status::Internal("plugin " + manifest.id + " entry failed with status " + std::to_string(status) + ": " +
                            reason);
  }
  Status checked = CheckDescriptor(manifest, descriptor);
  if (!checked.ok()) {
    ::dlclose(handle);
    return checked;
  }
  return std::make_unique<LoadedPlugin>(handle, descriptor, std::move(manifest));
}

}  // namespace interdict
