#include "core/signed_pack.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/files.h"
#include "core/hash.h"

namespace interdict {
namespace {

constexpr size_t kEd25519PublicKeyHexChars = 64;

std::string Named(const PackKind& kind, const SignedPack& pack) {
  return std::string(kind.noun) + " \"" + pack.name + "\"";
}

std::string SignedMessage(const PackKind& kind, std::string_view manifest) {
  return std::string(kind.signature_domain) + std::string(manifest);
}

}  // namespace

bool IsPackRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos) return false;
  for (const auto& part : std::filesystem::path(path)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

Status ReadPackManifest(const std::filesystem::path& dir, SignedPack& pack) {
  INTERDICT_ASSIGN_OR_RETURN(pack.manifest_bytes, ReadFileToString(dir / kPackManifestFile, kMaxManifestBytes));
  pack.dir = dir;
  pack.digest = Sha256Hex(pack.manifest_bytes);
  return Status::Ok();
}

Status VerifySignedPack(const PackKind& kind, SignedPack& pack, const PackTrustPolicy& policy) {
  return VerifySignedPack(kind, pack, policy, [](const PinnedPackFile&, std::string) { return Status::Ok(); });
}

Status VerifySignedPack(const PackKind& kind, SignedPack& pack, const PackTrustPolicy& policy,
                        const VerifiedPackFileUse& use) {
  pack.signer_key.clear();
  const std::filesystem::path sig_path = pack.dir / kPackSignatureFile;
  std::error_code ec;
  if (!std::filesystem::exists(sig_path, ec)) {
    if (!policy.allow_unsigned) {
      return Status::PermissionDenied(Named(kind, pack) + " (" + pack.dir.string() + ") is not signed (" +
                                      kPackSignatureFile + " missing); refusing it (use --allow-unsigned to " +
                                      "use it anyway)");
    }
  } else {
    INTERDICT_ASSIGN_OR_RETURN(std::string sig_text, ReadFileToString(sig_path, kMaxKeyFileBytes));
    nlohmann::json sig = nlohmann::json::parse(sig_text, nullptr, /*allow_exceptions=*/false);
    if (sig.is_discarded() || !sig.is_object() || !sig.contains("public_key") || !sig.contains("signature") ||
        !sig["public_key"].is_string() || !sig["signature"].is_string()) {
      return Status::VerificationFailed(Named(kind, pack) + ": " + sig_path.string() + " is malformed");
    }
    const std::string key = sig["public_key"].get<std::string>();
    if (std::find(policy.trusted_public_keys.begin(), policy.trusted_public_keys.end(), key) ==
        policy.trusted_public_keys.end()) {
      return Status::VerificationFailed(Named(kind, pack) + " is signed by key " + key.substr(0, 16) +
                                        "..., which is not in the trusted keys");
    }
    if (!VerifySignature(key, SignedMessage(kind, pack.manifest_bytes), sig["signature"].get<std::string>()).ok()) {
      return Status::VerificationFailed(Named(kind, pack) + ": signature does not match " + kPackManifestFile +
                                        " (the manifest changed after signing, or it was signed as another kind "
                                        "of pack)");
    }
    pack.signer_key = key;
  }
  for (const PinnedPackFile& file : pack.files) {
    INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadPinnedPackFile(kind, pack, file));
    INTERDICT_RETURN_IF_ERROR(use(file, std::move(bytes)));
  }
  return Status::Ok();
}

Result<std::string> ReadPinnedPackFile(const PackKind& kind, const SignedPack& pack, const PinnedPackFile& file) {
  if (!IsPackRelativePath(file.path)) {
    return Status::VerificationFailed(Named(kind, pack) + ": file path \"" + file.path + "\" leaves the pack folder");
  }
  Result<std::string> content = ReadFileToString(pack.dir / file.path, kind.max_file_bytes);
  if (!content.ok()) return content.status().WithContext(Named(kind, pack));
  const std::string actual = Sha256Hex(*content);
  if (actual != file.sha256) {
    return Status::VerificationFailed(Named(kind, pack) + ": " + file.path + " has SHA-256 " + actual +
                                      " but the manifest lists " + file.sha256 + " (file changed after signing)");
  }
  return content;
}

Result<std::string> ReadPinnedPackFile(const PackKind& kind, const SignedPack& pack, std::string_view path) {
  for (const PinnedPackFile& file : pack.files) {
    if (file.path == path) return ReadPinnedPackFile(kind, pack, file);
  }
  return Status::VerificationFailed(Named(kind, pack) + ": " + std::string(path) +
                                    " is not listed in the signed manifest");
}

Status WriteSignedManifest(const PackKind& kind, const std::filesystem::path& dir, const nlohmann::json& manifest,
                           const SigningKey& key) {
  const std::string bytes = manifest.dump(2) + "\n";
  INTERDICT_ASSIGN_OR_RETURN(std::string signature, key.Sign(SignedMessage(kind, bytes)));
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(dir / kPackManifestFile, bytes));
  nlohmann::json sig = {{"public_key", key.public_key_hex()}, {"signature", signature}};
  return WriteFileAtomic(dir / kPackSignatureFile, sig.dump(2) + "\n");
}

Result<std::vector<std::string>> LoadTrustedKeys(const std::filesystem::path& dir) {
  std::vector<std::string> keys;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return keys;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pub") paths.push_back(entry.path());
  }
  if (ec) return Status::IoError("cannot list trusted keys in " + dir.string() + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(p, kMaxKeyFileBytes));
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && space(text.back())) text.pop_back();
    text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
    Result<std::vector<uint8_t>> raw = FromHex(text);
    if (text.size() != kEd25519PublicKeyHexChars || !raw.ok()) {
      return Status::Corrupt(p.string() + ": not a 64-hex-character Ed25519 public key");
    }
    keys.push_back(text);
  }
  return keys;
}

std::filesystem::path TrustedKeysDir(const char* env_var, const std::filesystem::path& bundled) {
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') return env;
  return bundled;
}

std::vector<std::filesystem::path> ListPackDirs(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> packs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code entry_ec;
    if (entry.is_directory(entry_ec) && std::filesystem::exists(entry.path() / kPackManifestFile, entry_ec)) {
      packs.push_back(entry.path());
    }
  }
  std::sort(packs.begin(), packs.end());
  return packs;
}

Result<PackDigest> ReadPackDigest(const std::filesystem::path& dir) {
  SignedPack pack;
  INTERDICT_RETURN_IF_ERROR(ReadPackManifest(dir, pack));
  PackDigest out;
  out.sha256 = pack.digest;
  nlohmann::json manifest = nlohmann::json::parse(pack.manifest_bytes, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_object()) {
    if (auto name = manifest.find("name"); name != manifest.end() && name->is_string()) out.name = *name;
  }
  if (out.name.empty()) out.name = dir.filename().string();
  return out;
}

std::string CombinedPackDigest(const nlohmann::json& pack_digests) {
  if (!pack_digests.is_object() || pack_digests.empty()) return "";
  std::string material;
  for (const auto& [name, digest] : pack_digests.items()) {
    material += name + " " + (digest.is_string() ? digest.get<std::string>() : digest.dump()) + "\n";
  }
  return Sha256Hex(material);
}

}  // namespace interdict
