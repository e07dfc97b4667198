#include "case/lab_key.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "core/files.h"

namespace interdict {
namespace {

constexpr size_t kPublicKeyHexChars = 64;
constexpr mode_t kKeyDirMode = 0700;

std::filesystem::path EnvPath(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::filesystem::path(value) : std::filesystem::path();
}

}  // namespace

std::filesystem::path DefaultKeyDir() {
  if (auto dir = EnvPath("INTERDICT_KEY_DIR"); !dir.empty()) return dir;
  if (auto config = EnvPath("XDG_CONFIG_HOME"); !config.empty()) return config / "interdict" / "keys";
  if (auto home = EnvPath("HOME"); !home.empty()) return home / ".config" / "interdict" / "keys";
  return std::filesystem::path(".interdict") / "keys";
}

std::filesystem::path LabKeyPath(const std::filesystem::path& key_dir) { return key_dir / kLabKeyFileName; }
std::filesystem::path LabPublicKeyPath(const std::filesystem::path& key_dir) { return key_dir / kLabPublicKeyFileName; }

Result<SigningKey> GenerateLabKey(const std::filesystem::path& key_dir, bool replace) {
  std::error_code ec;
  if (!replace && std::filesystem::exists(LabKeyPath(key_dir), ec)) {
    return Status::PermissionDenied("a lab key already exists at " + LabKeyPath(key_dir).string() +
                                    " (use --force to replace it)");
  }
  std::filesystem::create_directories(key_dir, ec);
  if (ec) return Status::IoError("cannot create " + key_dir.string() + ": " + ec.message());
  chmod(key_dir.c_str(), kKeyDirMode);
  INTERDICT_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate());
  INTERDICT_RETURN_IF_ERROR(key.Save(LabKeyPath(key_dir)));
  return key;
}

Result<SigningKey> LoadLabKey(const std::filesystem::path& key_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(LabKeyPath(key_dir), ec)) {
    return Status::NotFound("no lab key at " + LabKeyPath(key_dir).string() + " (run `interdict keys generate`)");
  }
  return SigningKey::Load(LabKeyPath(key_dir));
}

Result<std::string> LoadLabPublicKey(const std::filesystem::path& key_dir) {
  auto text = ReadFileToString(LabPublicKeyPath(key_dir), kMaxKeyFileBytes);
  if (!text.ok()) {
    return Status::NotFound("no lab public key at " + LabPublicKeyPath(key_dir).string() + ": " +
                            text.status().message());
  }
  std::string hex = *text;
  hex.erase(std::remove_if(hex.begin(), hex.end(), [](char c) { return c == '\n' || c == '\r' || c == ' '; }),
            hex.end());
  bool is_hex =
      std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (hex.size() != kPublicKeyHexChars || !is_hex) {
    return Status::Corrupt(LabPublicKeyPath(key_dir).string() + " does not hold a 64-hex-digit Ed25519 public key");
  }
  return hex;
}

}  // namespace interdict
