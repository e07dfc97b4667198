#include "rule_pack.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "core/files.h"
#include "core/hash.h"
#include "scan_limits.h"

namespace interdict::fwscan {
namespace {

bool SafeRelativePath(const std::string& path) {
  if (path.empty() || path[0] == '/' || path.find('\\') != std::string::npos) return false;
  for (const auto& part : std::filesystem::path(path)) {
    if (part == ".." || part == ".") return false;
  }
  return true;
}

Status Field(const nlohmann::json& j, const char* key, std::string* out, const std::filesystem::path& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Status::Corrupt(where.string() + ": manifest field \"" + key + "\" missing or not a string");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

}  // namespace

int CompareVersions(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  for (int i = 0; i < 3; ++i) {
    long x = 0, y = 0;
    char dot;
    if (!(sa >> x)) x = 0;
    if (!(sb >> y)) y = 0;
    if (x != y) return x < y ? -1 : 1;
    sa >> dot;
    sb >> dot;
  }
  return 0;
}

Result<RulePack> LoadPack(const std::filesystem::path& dir) {
  std::filesystem::path manifest_path = dir / kPackManifestName;
  INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(manifest_path, kMaxManifestBytes));
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corrupt(manifest_path.string() + ": not a JSON object");
  RulePack pack;
  pack.dir = dir;
  INTERDICT_RETURN_IF_ERROR(Field(j, "name", &pack.name, manifest_path));
  INTERDICT_RETURN_IF_ERROR(Field(j, "version", &pack.version, manifest_path));
  INTERDICT_RETURN_IF_ERROR(Field(j, "description", &pack.description, manifest_path));
  INTERDICT_RETURN_IF_ERROR(Field(j, "min_engine", &pack.min_engine, manifest_path));
  auto authors = j.find("authors");
  if (authors == j.end() || !authors->is_array() || authors->empty()) {
    return Status::Corrupt(manifest_path.string() + ": \"authors\" must be a non-empty list");
  }
  for (const auto& a : *authors) {
    if (!a.is_string()) return Status::Corrupt(manifest_path.string() + ": author is not a string");
    pack.authors.push_back(a.get<std::string>());
  }
  auto files = j.find("files");
  if (files == j.end() || !files->is_array() || files->empty() || files->size() > kMaxPackFiles) {
    return Status::Corrupt(manifest_path.string() + ": \"files\" must list 1.." + std::to_string(kMaxPackFiles) +
                           " rule files");
  }
  for (const auto& f : *files) {
    PackFile file;
    if (!f.is_object()) return Status::Corrupt(manifest_path.string() + ": file entry is not an object");
    INTERDICT_RETURN_IF_ERROR(Field(f, "path", &file.path, manifest_path));
    INTERDICT_RETURN_IF_ERROR(Field(f, "sha256", &file.sha256, manifest_path));
    if (!SafeRelativePath(file.path)) {
      return Status::Corrupt(manifest_path.string() + ": file path \"" + file.path + "\" leaves the pack folder");
    }
    pack.files.push_back(std::move(file));
  }
  if (auto ext = j.find("externals"); ext != j.end()) {
    if (!ext->is_object()) return Status::Corrupt(manifest_path.string() + ": \"externals\" must be an object");
    for (const auto& [name, value] : ext->items()) {
      if (!(value.is_string() || value.is_boolean() || value.is_number())) {
        return Status::Corrupt(manifest_path.string() + ": external \"" + name + "\" has an unsupported type");
      }
    }
    pack.externals = *ext;
  }
  pack.manifest_bytes = std::move(bytes);
  pack.digest = Sha256Hex(pack.manifest_bytes);
  return pack;
}

Result<std::vector<std::string>> LoadTrustedKeys(const std::filesystem::path& dir) {
  std::vector<std::string> keys;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return keys;
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pub") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    INTERDICT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(p, kMaxKeyFileBytes));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text.size() != 64) return Status::Corrupt(p.string() + ": not a 64-hex-character Ed25519 public key");
    keys.push_back(text);
  }
  return keys;
}

std::filesystem::path DefaultTrustedKeysDir() {
  if (const char* env = std::getenv("INTERDICT_YARA_TRUSTED_KEYS"); env && *env) return env;
  return std::filesystem::path(INTERDICT_YARA_SIGNATURES_DIR) / "trusted-keys";
}

Status VerifyPack(RulePack& pack, const TrustPolicy& policy) {
  std::filesystem::path sig_path = pack.dir / kPackSignatureName;
  std::error_code ec;
  const std::string message = std::string(kPackSignatureDomain) + pack.manifest_bytes;
  if (!std::filesystem::exists(sig_path, ec)) {
    if (!policy.allow_unsigned) {
      return Status::PermissionDenied("rule pack \"" + pack.name + "\" (" + pack.dir.string() +
                                      ") is not signed; refusing it (use --allow-unsigned to scan with it anyway)");
    }
  } else {
    INTERDICT_ASSIGN_OR_RETURN(std::string sig_text, ReadFileToString(sig_path, kMaxKeyFileBytes));
    nlohmann::json sig = nlohmann::json::parse(sig_text, nullptr, false);
    if (sig.is_discarded() || !sig.is_object() || !sig.contains("public_key") || !sig.contains("signature") ||
        !sig["public_key"].is_string() || !sig["signature"].is_string()) {
      return Status::VerificationFailed("rule pack \"" + pack.name + "\": " + sig_path.string() + " is malformed");
    }
    std::string key = sig["public_key"].get<std::string>();
    bool trusted = std::find(policy.trusted_public_keys.begin(), policy.trusted_public_keys.end(), key) !=
                   policy.trusted_public_keys.end();
    if (!trusted) {
      return Status::VerificationFailed("rule pack \"" + pack.name + "\" is signed by key " + key.substr(0, 16) +
                                        "..., which is not in the trusted keys");
    }
    Status s = VerifySignature(key, message, sig["signature"].get<std::string>());
    if (!s.ok()) {
      return Status::VerificationFailed("rule pack \"" + pack.name + "\": signature does not match " +
                                        std::string(kPackManifestName) + " (the manifest changed after signing)");
    }
    pack.signer_key = key;
  }
  for (const PackFile& f : pack.files) {
    Result<std::string> content = ReadPackFile(pack, f);
    if (!content.ok()) return content.status();
  }
  pack.verified = true;
  return Status::Ok();
}

Result<std::string> ReadPackFile(const RulePack& pack, const PackFile& file) {
  Result<std::string> content = ReadFileToString(pack.dir / file.path, kMaxRuleFileBytes);
  if (!content.ok()) return content.status().WithContext("rule pack \"" + pack.name + "\"");
  std::string actual = Sha256Hex(*content);
  if (actual != file.sha256) {
    return Status::VerificationFailed("rule pack \"" + pack.name + "\": " + file.path + " has SHA-256 " + actual +
                                      " but the manifest lists " + file.sha256 + " (file changed after signing)");
  }
  return content;
}

Status SignPack(const std::filesystem::path& dir, const SigningKey& key) {
  std::filesystem::path manifest_path = dir / kPackManifestName;
  INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(manifest_path, kMaxManifestBytes));
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array()) {
    return Status::Corrupt(manifest_path.string() + ": not a pack manifest");
  }
  for (auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !SafeRelativePath(f["path"])) {
      return Status::Corrupt(manifest_path.string() + ": bad file entry");
    }
    INTERDICT_ASSIGN_OR_RETURN(std::string content,
                               ReadFileToString(dir / f["path"].get<std::string>(), kMaxRuleFileBytes));
    f["sha256"] = Sha256Hex(content);
  }
  std::string manifest = j.dump(2) + "\n";
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(manifest_path, manifest));
  INTERDICT_RETURN_IF_ERROR(LoadPack(dir).status());  // the rewritten manifest must be valid
  INTERDICT_ASSIGN_OR_RETURN(std::string signature, key.Sign(std::string(kPackSignatureDomain) + manifest));
  nlohmann::json sig = {{"public_key", key.public_key_hex()}, {"signature", signature}};
  return WriteFileAtomic(dir / kPackSignatureName, sig.dump(2) + "\n");
}

}  // namespace interdict::fwscan
