// YARA rule packs: a folder signatures/yara/<pack>/ with
//     pack.json       manifest: name, version, description, authors, min_engine, files [{path, sha256}],
//                     externals {name: default value}
//     pack.json.sig   {"public_key": hex, "signature": hex}: Ed25519 over kPackSignatureDomain + pack.json
//     rules/*.yar     the rules; each file is compiled into its own namespace "<pack>/<file>"
//     fixtures/       positive/ and negative/ samples, expected.json (see rules_author_tools.h)
// A pack is used only after VerifyPack: the manifest signature must verify with a trusted key and every
// listed file must hash to the manifest's SHA-256, so one changed byte anywhere refuses the pack.
// Unsigned packs are refused unless the trust policy allows them explicitly.
#ifndef INTERDICT_FIRMWARE_SCAN_RULE_PACK_H_
#define INTERDICT_FIRMWARE_SCAN_RULE_PACK_H_

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/signing.h"
#include "core/status.h"

namespace interdict::fwscan {

inline constexpr char kPackManifestName[] = "pack.json";
inline constexpr char kPackSignatureName[] = "pack.json.sig";
inline constexpr char kPackSignatureDomain[] = "interdict yara pack v1\n";

struct PackFile {
  std::string path;    // relative to the pack folder, no "..", no absolute paths
  std::string sha256;  // as listed in the manifest
};

struct RulePack {
  std::filesystem::path dir;
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> authors;
  std::string min_engine;  // "4.2.0": the oldest libyara the rules compile with
  std::vector<PackFile> files;
  nlohmann::json externals = nlohmann::json::object();  // name -> default (string, integer, boolean, float)
  std::string manifest_bytes;
  std::string digest;        // SHA-256 of manifest_bytes: names the exact pack
  bool verified = false;     // VerifyPack succeeded
  std::string signer_key;    // public key that signed it ("" if unsigned and allowed)
};

struct TrustPolicy {
  std::vector<std::string> trusted_public_keys;  // hex
  bool allow_unsigned = false;
};

// Reads and validates the manifest (structure only; no signature or hash check).
Result<RulePack> LoadPack(const std::filesystem::path& dir);
// Checks the signature (kPermissionDenied when unsigned and not allowed, kVerificationFailed when the
// signature or a file hash does not match) and marks the pack verified.
Status VerifyPack(RulePack& pack, const TrustPolicy& policy);
// Reads every "*.pub" file (64 hex characters) in a folder.
Result<std::vector<std::string>> LoadTrustedKeys(const std::filesystem::path& dir);
// Trusted keys folder: $INTERDICT_YARA_TRUSTED_KEYS, else the project's signatures/yara/trusted-keys.
std::filesystem::path DefaultTrustedKeysDir();
// Recomputes the file hashes into the manifest, rewrites it and signs it (author tool).
Status SignPack(const std::filesystem::path& dir, const SigningKey& key);
// Reads a verified pack's rule file (re-checking its hash, so a file swapped after verification is refused).
Result<std::string> ReadPackFile(const RulePack& pack, const PackFile& file);
// Semantic version comparison ("4.2.3" vs "4.2.0"): negative, zero or positive.
int CompareVersions(const std::string& a, const std::string& b);

}  // namespace interdict::fwscan

#endif  // INTERDICT_FIRMWARE_SCAN_RULE_PACK_H_
