// Template packs: a folder signatures/meshes/<pack>/ with
//     pack.json         manifest: format, name, version, description, unit ("mm"), descriptor_version,
//                       templates [{id, name, mesh}], files [{path, sha256}] (every other file of the pack)
//     pack.json.sig     {"public_key": hex, "signature": hex}: Ed25519 over kTemplatePackSignatureDomain + pack.json
//     descriptors.json  precomputed per template: exact/quantised hash, diagonal, descriptor and mirror self-fit
//                       score (built by `interdict templates build`, checked against the meshes by `templates test`;
//                       a pack without mirror self-fits still opens, and each is then computed on first use)
//     meshes/           reference meshes (generated stand-ins in this repository; labs load their own)
//     fixtures/fixtures.json  [{file, expect: [{template, tier, unit?}]}] plus the fixture meshes
// Signed and verified by the code the YARA packs use (core/signed_pack.h): one signed manifest that pins
// every file by SHA-256, so one changed byte anywhere refuses the pack. kTemplatePackKind gives it its own
// signature domain (a YARA signature can never pass as a template-pack signature). Unsigned packs are
// refused unless the policy allows them.
#ifndef INTERDICT_MESH_MATCH_TEMPLATE_PACK_H_
#define INTERDICT_MESH_MATCH_TEMPLATE_PACK_H_

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/signed_pack.h"
#include "core/signing.h"
#include "core/status.h"
#include "template_library.h"

namespace interdict::mesh {

inline constexpr const auto& kTemplatePackManifest = kPackManifestFile;    // "pack.json"
inline constexpr const auto& kTemplatePackSignature = kPackSignatureFile;  // "pack.json.sig"
inline constexpr char kTemplatePackDescriptors[] = "descriptors.json";
inline constexpr char kTemplatePackFixtures[] = "fixtures/fixtures.json";
inline constexpr char kTemplatePackFormat[] = "interdict-template-pack";
inline constexpr char kTemplatePackSignatureDomain[] = "interdict mesh template pack v1\n";
inline constexpr uint64_t kMaxTemplatePackFileBytes = 256ull << 20;
inline constexpr PackKind kTemplatePackKind{"template pack", kTemplatePackSignatureDomain, kMaxTemplatePackFileBytes};

struct PackTemplate {
  std::string id;
  std::string name;
  std::string mesh;  // pack-relative path
};

using PackFileEntry = PinnedPackFile;
using PackTrustPolicy = ::interdict::PackTrustPolicy;

// dir, name, files, manifest_bytes, digest (names the exact pack in findings), verified and signer_key come
// from SignedPack.
struct TemplatePack : SignedPack {
  std::string version;
  std::string description;
  std::vector<PackTemplate> templates;
};

Result<TemplatePack> LoadTemplatePack(const std::filesystem::path& dir);
// kPermissionDenied when unsigned and not allowed; kVerificationFailed when the signature, the signer or a
// file hash does not match.
Status VerifyTemplatePack(TemplatePack& pack, const PackTrustPolicy& policy);
// Every "*.pub" (64 hex) in a folder (core/signed_pack.h's LoadTrustedKeys).
inline Result<std::vector<std::string>> LoadTrustedPackKeys(const std::filesystem::path& dir) {
  return LoadTrustedKeys(dir);
}
// signatures/meshes/trusted-keys of this source tree, or $INTERDICT_MESH_TRUSTED_KEYS.
std::filesystem::path DefaultTemplateTrustedKeysDir();
// The pack a job uses when its configuration names none (queued jobs, `interdict analyze`):
// $INTERDICT_MESH_PACK, else the first pack (by folder name) under signatures/meshes of this source tree.
// kNotFound when there is none.
Result<std::filesystem::path> DefaultTemplatePackDir();

// Author tools.
// progress(done, total) is called after each template, from whichever of the worker threads did it (so it must
// be thread-safe; core/progress.h's ProgressReporter is).
using TemplateProgress = std::function<void(size_t done, size_t total)>;
// Describes every template mesh (and its mirror self-fit) and writes descriptors.json, on the worker threads.
// Each template must hold exactly one body.
Status BuildTemplateDescriptors(const std::filesystem::path& dir, const TemplateProgress& progress = nullptr);
// Lists every file but the manifest and signature with its hash into pack.json, then signs it.
Status SignTemplatePack(const std::filesystem::path& dir, const SigningKey& key);

// A verified pack as a matchable library (descriptors from descriptors.json; meshes loaded on first use and
// re-hashed against the manifest then). Refuses a pack that is not verified.
Result<TemplateLibrary> OpenTemplateLibrary(const TemplatePack& pack);
// VerifyTemplatePack, then OpenTemplateLibrary with every template mesh read (TemplateLibrary::LoadMesh), in one
// pass over the files: each is read and hashed once, its mesh imported as it is verified. What a job does before
// its sandbox forbids opening files; the separate steps read and hash every mesh twice.
Result<TemplateLibrary> OpenVerifiedTemplateLibrary(TemplatePack& pack, const PackTrustPolicy& policy);

// Checks every template's entry in descriptors.json against what this build computes from its mesh (on the
// worker threads; progress as for the build), then runs the pack's fixtures through the matcher; each stale
// entry and each failed expectation is one line in the result.
struct FixtureReport {
  int checked = 0;
  std::vector<std::string> failures;
};
Result<FixtureReport> TestTemplatePack(const TemplatePack& pack, const TemplateProgress& progress = nullptr);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_TEMPLATE_PACK_H_
