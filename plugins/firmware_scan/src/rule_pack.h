// YARA rule packs: a folder signatures/yara/<pack>/ with
//     pack.json       manifest: name, version, description, authors, min_engine, files [{path, sha256}],
//                     externals {name: default value}
//     pack.json.sig   {"public_key": hex, "signature": hex}: Ed25519 over kPackSignatureDomain + pack.json
//     rules/*.yar     the rules; each file is compiled into its own namespace "<pack>/<file>"
//     fixtures/       positive/ and negative/ samples, expected.json (see rules_author_tools.h)
// A pack is used only after VerifyPack: the manifest signature must verify with a trusted key and every
// listed file must hash to the manifest's SHA-256, so one changed byte anywhere refuses the pack.
// Unsigned packs are refused unless the trust policy allows them explicitly. The signing scheme is the one
// shared with the mesh template packs (core/signed_pack.h); kYaraPackKind gives it the YARA domain.
#ifndef INTERDICT_FIRMWARE_SCAN_RULE_PACK_H_
#define INTERDICT_FIRMWARE_SCAN_RULE_PACK_H_

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/signed_pack.h"
#include "core/signing.h"
#include "core/status.h"
#include "scan_limits.h"

namespace interdict::fwscan {

inline constexpr const auto& kPackManifestName = kPackManifestFile;    // "pack.json"
inline constexpr const auto& kPackSignatureName = kPackSignatureFile;  // "pack.json.sig"
inline constexpr char kPackSignatureDomain[] = "interdict yara pack v1\n";
inline constexpr PackKind kYaraPackKind{"rule pack", kPackSignatureDomain, kMaxRuleFileBytes};

using PackFile = PinnedPackFile;    // a rules/*.yar file and its SHA-256
using TrustPolicy = PackTrustPolicy;
using ::interdict::LoadTrustedKeys;  // every "*.pub" (64 hex) in a folder

// dir, name, files, manifest_bytes, digest, verified and signer_key come from SignedPack.
struct RulePack : SignedPack {
  std::string version;
  std::string description;
  std::vector<std::string> authors;
  std::string min_engine;  // "4.2.0": the oldest libyara the rules compile with
  nlohmann::json externals = nlohmann::json::object();  // name -> default (string, integer, boolean, float)
};

// Reads and validates the manifest (structure only; no signature or hash check).
Result<RulePack> LoadPack(const std::filesystem::path& dir);
// Checks the signature (kPermissionDenied when unsigned and not allowed, kVerificationFailed when the
// signature or a file hash does not match) and marks the pack verified.
Status VerifyPack(RulePack& pack, const TrustPolicy& policy);
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
