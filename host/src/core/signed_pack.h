// Signed packs: the one signing scheme of YARA rule packs (signatures/yara/<pack>/) and mesh template packs
// (signatures/meshes/<pack>/), so both are verified by the same code.
//
// A pack is a folder with
//     pack.json       the manifest; whatever else it holds, it lists files [{path, sha256}]
//     pack.json.sig   {"public_key": hex, "signature": hex}: Ed25519 over kind.signature_domain + pack.json
// The signature pins the manifest and the manifest pins every listed file by SHA-256, so one changed byte
// anywhere refuses the pack. The signature domain differs per kind of pack, so a signature made for one
// kind never verifies as another (a YARA pack's signature cannot pass as a template pack's). Unsigned packs
// are refused unless the trust policy allows them explicitly. Errors name the kind, the pack and the file.
//
// The manifest's other fields belong to each kind (rule_pack.h, template_pack.h); this layer only reads
// the bytes, the file list and the signature. Thread-safe: pure functions over their arguments.
#ifndef INTERDICT_CORE_SIGNED_PACK_H_
#define INTERDICT_CORE_SIGNED_PACK_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/signing.h"
#include "core/status.h"

namespace interdict {

inline constexpr char kPackManifestFile[] = "pack.json";
inline constexpr char kPackSignatureFile[] = "pack.json.sig";

// What sets one kind of pack apart. Each kind defines one constant of this (kYaraPackKind, kTemplatePackKind).
struct PackKind {
  const char* noun;              // "rule pack", "template pack": how errors name the pack
  const char* signature_domain;  // prefixed to pack.json before signing; never shared between kinds
  uint64_t max_file_bytes;       // no pinned file of the pack may be larger
};

struct PinnedPackFile {
  std::string path;    // relative to the pack folder (IsPackRelativePath)
  std::string sha256;  // as listed in the manifest
};

struct PackTrustPolicy {
  std::vector<std::string> trusted_public_keys;  // hex
  bool allow_unsigned = false;
};

// The part of a pack the signature covers. RulePack and TemplatePack extend it with their own fields.
struct SignedPack {
  std::filesystem::path dir;
  std::string name;  // from the manifest; names the pack in errors
  std::vector<PinnedPackFile> files;
  std::string manifest_bytes;
  std::string digest;       // SHA-256 of manifest_bytes: names the exact pack
  bool verified = false;    // set by the kind once VerifySignedPack and its own checks pass
  std::string signer_key;   // public key that signed it ("" if unsigned and allowed)
};

// A path a manifest may list: relative, no "..", ".", backslash or leading "/", so it stays in the pack.
bool IsPackRelativePath(std::string_view path);

// Reads pack.json of `dir` (capped at kMaxManifestBytes) into pack.dir, manifest_bytes and digest.
Status ReadPackManifest(const std::filesystem::path& dir, SignedPack& pack);

// Checks pack.json.sig against the trust policy and every listed file against its hash; sets signer_key.
// kPermissionDenied when unsigned and not allowed; kVerificationFailed when the signature is malformed,
// made by an untrusted key or for another manifest or kind, or when a file's hash does not match.
// Leaves `verified` to the caller, which may have checks of its own.
Status VerifySignedPack(const PackKind& kind, SignedPack& pack, const PackTrustPolicy& policy);
// The same for a caller that needs the contents of the files anyway (a plugin that loads every template mesh
// of a pack): each file's bytes, once their hash matches, go to `use`, so every file is read and hashed once
// instead of once to verify and again to use it. An error from `use` stops the verification and is returned.
using VerifiedPackFileUse = std::function<Status(const PinnedPackFile& file, std::string bytes)>;
Status VerifySignedPack(const PackKind& kind, SignedPack& pack, const PackTrustPolicy& policy,
                        const VerifiedPackFileUse& use);

// Reads one listed file of the pack, re-checking its hash (a file swapped after verification is refused).
Result<std::string> ReadPinnedPackFile(const PackKind& kind, const SignedPack& pack, const PinnedPackFile& file);
// The same by path; kVerificationFailed when the manifest does not list it.
Result<std::string> ReadPinnedPackFile(const PackKind& kind, const SignedPack& pack, std::string_view path);

// Author tool: writes the manifest (JSON, 2-space indent, trailing newline) and signs it.
Status WriteSignedManifest(const PackKind& kind, const std::filesystem::path& dir, const nlohmann::json& manifest,
                           const SigningKey& key);

// Reads every "*.pub" file of a folder: 64 hex characters each, surrounding whitespace ignored. A file that
// is not a key is kCorrupt (a broken trust folder must not silently trust less). A missing folder is empty.
Result<std::vector<std::string>> LoadTrustedKeys(const std::filesystem::path& dir);
// $env_var when set and not empty, else `bundled`.
std::filesystem::path TrustedKeysDir(const char* env_var, const std::filesystem::path& bundled);

// The subfolders of `dir` that hold a pack.json, sorted by name (a missing folder has none).
std::vector<std::filesystem::path> ListPackDirs(const std::filesystem::path& dir);

// Names the exact pack without verifying it: its manifest name (the folder name if it has none) and the
// SHA-256 of its pack.json. Used to record which packs a job used and to key queued jobs.
struct PackDigest {
  std::string name;
  std::string sha256;
};
Result<PackDigest> ReadPackDigest(const std::filesystem::path& dir);
// One digest for a set of packs ({name: sha256}): "" for none, else SHA-256 of "name sha256\n" per pack in
// name order, so it changes when any pack changes, is added or removed.
std::string CombinedPackDigest(const nlohmann::json& pack_digests);

}  // namespace interdict

#endif  // INTERDICT_CORE_SIGNED_PACK_H_
