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

Status Field(const nlohmann::json& j, const char* key, std::string* out, const std::filesystem::path& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Status::Corrupt(where.string() + ": manifest field \"" + key + "\" missing or not a string");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

// Fills the manifest's fields from pack.manifest_bytes (structure only).
Status ParseManifest(RulePack& pack) {
  const std::filesystem::path manifest_path = pack.dir / kPackManifestName;
  nlohmann::json j = nlohmann::json::parse(pack.manifest_bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corrupt(manifest_path.string() + ": not a JSON object");
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
    if (!IsPackRelativePath(file.path)) {
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
  RulePack pack;
  INTERDICT_RETURN_IF_ERROR(ReadPackManifest(dir, pack));
  INTERDICT_RETURN_IF_ERROR(ParseManifest(pack));
  return pack;
}

std::filesystem::path DefaultTrustedKeysDir() {
  return TrustedKeysDir("INTERDICT_YARA_TRUSTED_KEYS", std::filesystem::path(INTERDICT_YARA_SIGNATURES_DIR) / "trusted-keys");
}

Status VerifyPack(RulePack& pack, const TrustPolicy& policy) {
  pack.verified = false;
  INTERDICT_RETURN_IF_ERROR(VerifySignedPack(kYaraPackKind, pack, policy));
  pack.verified = true;
  return Status::Ok();
}

Result<std::string> ReadPackFile(const RulePack& pack, const PackFile& file) {
  return ReadPinnedPackFile(kYaraPackKind, pack, file);
}

Status SignPack(const std::filesystem::path& dir, const SigningKey& key) {
  std::filesystem::path manifest_path = dir / kPackManifestName;
  INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(manifest_path, kMaxManifestBytes));
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array()) {
    return Status::Corrupt(manifest_path.string() + ": not a pack manifest");
  }
  for (auto& f : j["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() ||
        !IsPackRelativePath(f["path"].get<std::string>())) {
      return Status::Corrupt(manifest_path.string() + ": bad file entry");
    }
    INTERDICT_ASSIGN_OR_RETURN(std::string content,
                               ReadFileToString(dir / f["path"].get<std::string>(), kMaxRuleFileBytes));
    f["sha256"] = Sha256Hex(content);
  }
  RulePack rewritten;  // the rewritten manifest must be valid before it is signed
  rewritten.dir = dir;
  rewritten.manifest_bytes = j.dump(2) + "\n";
  INTERDICT_RETURN_IF_ERROR(ParseManifest(rewritten));
  return WriteSignedManifest(kYaraPackKind, dir, j, key);
}

}  // namespace interdict::fwscan
