// The lab's Ed25519 key, which seals case audit chains. One key per lab (or examiner workstation):
//
//   <key dir>/lab.key      PEM private key, mode 0600, folder mode 0700
//   <key dir>/lab.key.pub  the public key as 64 hex characters (what verifiers are given)
//
// The key folder is $INTERDICT_KEY_DIR, else $XDG_CONFIG_HOME/interdict/keys, else ~/.config/interdict/keys.
#ifndef INTERDICT_CASE_LAB_KEY_H_
#define INTERDICT_CASE_LAB_KEY_H_

#include <filesystem>
#include <string>

#include "core/signing.h"
#include "core/status.h"

namespace interdict {

inline constexpr char kLabKeyFileName[] = "lab.key";
inline constexpr char kLabPublicKeyFileName[] = "lab.key.pub";

std::filesystem::path DefaultKeyDir();
std::filesystem::path LabKeyPath(const std::filesystem::path& key_dir);
std::filesystem::path LabPublicKeyPath(const std::filesystem::path& key_dir);

// Creates a new lab key. Refuses (kPermissionDenied) to replace an existing one unless replace is true:
// a replaced key cannot be recovered, and seals made with it can then only be checked by its public key.
Result<SigningKey> GenerateLabKey(const std::filesystem::path& key_dir, bool replace);
// Loads the private key (kNotFound with a hint to run `interdict keys generate` if absent).
Result<SigningKey> LoadLabKey(const std::filesystem::path& key_dir);
// Reads the public key (hex) from lab.key.pub, checking its form.
Result<std::string> LoadLabPublicKey(const std::filesystem::path& key_dir);

}  // namespace interdict

#endif  // INTERDICT_CASE_LAB_KEY_H_
