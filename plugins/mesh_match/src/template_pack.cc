#include "template_pack.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "bodies.h"
#include "core/files.h"
#include "core/hash.h"
#include "joining_thread.h"
#include "matcher.h"
#include "mesh_analysis.h"
#include "mesh_import.h"

namespace interdict::mesh {
namespace {

namespace fs = std::filesystem;

Result<nlohmann::json> ReadJson(const fs::path& path) {
  INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path, kMaxManifestBytes * 16));
  nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, false);
  if (doc.is_discarded()) return Status::Corrupt(path.string() + " is not valid JSON");
  return doc;
}

// Reads a pack file and checks it against the manifest's hash.
Result<std::string> ReadPinnedFile(const TemplatePack& pack, const std::string& path) {
  return ReadPinnedPackFile(kTemplatePackKind, pack, path);
}

Result<TriangleMesh> LoadSingleBody(std::string_view bytes, const std::string& name) {
  INTERDICT_ASSIGN_OR_RETURN(
      ImportedMesh imported,
      ImportMesh({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, name));
  std::vector<TriangleMesh> bodies = SplitBodies(imported.mesh);
  if (bodies.size() != 1) {
    return Status::InvalidArgument("template " + name + " holds " + std::to_string(bodies.size()) +
                                   " bodies; a template must be one body");
  }
  return std::move(bodies.front());
}

// How far a value in descriptors.json may be from what this build computes before `templates test` calls it
// stale: the L1 descriptor distance (float storage), and a score field relative to max(1, |value|) (the
// computation is deterministic; this only absorbs floating-point differences between compilers).
constexpr double kStoredDescriptorTolerance = 1e-4;
constexpr double kStoredScoreRelativeTolerance = 1e-6;

// descriptors.json's "mirror_self_fit": every field of the AlignmentScore, by name.
struct ScoreField {
  const char* name;
  double AlignmentScore::*field;
};
constexpr ScoreField kScoreFields[] = {
    {"chamfer", &AlignmentScore::chamfer},
    {"hausdorff", &AlignmentScore::hausdorff},
    {"hausdorff_p95", &AlignmentScore::hausdorff_p95},
    {"coverage", &AlignmentScore::coverage},
    {"precision", &AlignmentScore::precision},
    {"raw_coverage", &AlignmentScore::raw_coverage},
    {"local_deviation", &AlignmentScore::local_deviation},
    {"tolerance", &AlignmentScore::tolerance},
    {"noise_level", &AlignmentScore::noise_level},
    {"systematic_deviation", &AlignmentScore::systematic_deviation},
};

nlohmann::json ScoreToJson(const AlignmentScore& score) {
  nlohmann::json out = nlohmann::json::object();
  for (const ScoreField& f : kScoreFields) out[f.name] = score.*f.field;
  return out;
}

// Every field present, finite and not negative (a crafted pack is refused, not half-read).
Result<AlignmentScore> ScoreFromJson(const nlohmann::json& doc, const std::string& template_id) {
  AlignmentScore score;
  if (!doc.is_object()) return Status::Corrupt("mirror_self_fit of " + template_id + " is not an object");
  for (const ScoreField& f : kScoreFields) {
    auto it = doc.find(f.name);
    if (it == doc.end() || !it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
      return Status::Corrupt("mirror_self_fit of " + template_id + " needs a finite, non-negative " + f.name);
    }
    score.*f.field = it->get<double>();
  }
  return score;
}

// VerifyTemplatePack, handing each verified file's bytes to use (VerifySignedPack's second form).
Status VerifyTemplatePackUsing(TemplatePack& pack, const PackTrustPolicy& policy, const VerifiedPackFileUse& use) {
  pack.verified = false;
  INTERDICT_RETURN_IF_ERROR(VerifySignedPack(kTemplatePackKind, pack, policy, use));
  std::unordered_set<std::string_view> pinned;  // a set: 10,000 templates against 10,000 files is no list scan
  for (const PackFileEntry& f : pack.files) pinned.insert(f.path);
  for (const PackTemplate& t : pack.templates) {
    if (pinned.count(t.mesh) == 0) return Status::VerificationFailed(t.mesh + " is not pinned by the manifest");
  }
  if (pinned.count(kTemplatePackDescriptors) == 0) {
    return Status::VerificationFailed("descriptors.json is not pinned by the manifest");
  }
  pack.verified = true;
  return Status::Ok();
}

// The library of a verified pack from its descriptors.json bytes; loader reads a template's mesh on demand.
Result<TemplateLibrary> LibraryFromDescriptors(const TemplatePack& pack, const std::string& bytes,
                                               TemplateLibrary::MeshLoader loader) {
  // A value of the wrong type makes nlohmann::json throw: the pack is signed, but its author may be careless or
  // hostile, so that is a corrupt pack, not a crash.
  try {
    nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, false);
    if (doc.is_discarded() || doc.value("descriptor_version", 0) != kDescriptorVersion) {
      return Status::Corrupt("descriptors.json is unreadable or of another descriptor version");
    }
    // Entries by id, pointing into doc (a copy of each would double the tree: tens of MB for 10,000 templates).
    std::unordered_map<std::string, const nlohmann::json*> by_id;
    if (doc.contains("templates") && doc["templates"].is_array()) {
      for (const auto& d : doc["templates"]) {
        if (d.is_object()) by_id[d.value("id", "")] = &d;
      }
    }
    TemplateLibrary library(std::move(loader));
    for (const PackTemplate& t : pack.templates) {
      auto found = by_id.find(t.id);
      if (found == by_id.end()) return Status::Corrupt("descriptors.json has no entry for template " + t.id);
      const nlohmann::json& d = *found->second;
      TemplateRecord record;
      record.id = t.id;
      record.name = t.name;
      record.mesh_path = t.mesh;
      record.hashes = {d.value("exact_hash", ""), d.value("quantised_hash", "")};
      record.diagonal = d.value("diagonal", 0.0);
      const auto values = d.value("descriptor", std::vector<float>());
      if (values.size() != kDescriptorDims) return Status::Corrupt("descriptor of " + t.id + " has the wrong length");
      std::copy(values.begin(), values.end(), record.descriptor.begin());
      if (d.contains("mirror_self_fit")) {
        INTERDICT_ASSIGN_OR_RETURN(record.mirror_self_fit, ScoreFromJson(d["mirror_self_fit"], t.id));
      }
      library.Add(std::move(record));
    }
    library.BuildIndex();
    return library;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corrupt(std::string("descriptors.json: ") + e.what());
  }
}

// Whether a template's entry in descriptors.json is what this build computes from its mesh.
Result<bool> IsStoredTemplateFresh(const TemplatePack& pack, const TemplateRecord& record) {
  INTERDICT_ASSIGN_OR_RETURN(std::string mesh_bytes, ReadPinnedFile(pack, record.mesh_path));
  INTERDICT_ASSIGN_OR_RETURN(TriangleMesh mesh, LoadSingleBody(mesh_bytes, record.mesh_path));
  const DescribedBody body = DescribeBody(std::move(mesh));
  if (body.hashes.exact != record.hashes.exact ||
      DescriptorDistance(body.descriptor, record.descriptor) > kStoredDescriptorTolerance ||
      !record.mirror_self_fit.has_value()) {
    return false;
  }
  const AlignmentScore now = ScoreMirrorSelfFit(body, *RegistrationTarget::From(body, kTemplateSamples));
  for (const ScoreField& f : kScoreFields) {
    const double stored = (*record.mirror_self_fit).*f.field, computed = now.*f.field;
    if (std::abs(stored - computed) >
        kStoredScoreRelativeTolerance * std::max({1.0, std::abs(stored), std::abs(computed)})) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<TemplatePack> LoadTemplatePack(const fs::path& dir) {
  try {  // a value of the wrong type makes nlohmann::json throw: a corrupt manifest, not a crash
    TemplatePack pack;
    INTERDICT_RETURN_IF_ERROR(ReadPackManifest(dir, pack));
    nlohmann::json doc = nlohmann::json::parse(pack.manifest_bytes, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return Status::Corrupt("pack.json is not a JSON object");
    if (doc.value("format", "") != kTemplatePackFormat) {
      return Status::Corrupt("pack.json is not a template pack manifest");
    }
    if (doc.value("descriptor_version", 0) != kDescriptorVersion) {
      return Status::Unsupported("pack descriptors are version " + std::to_string(doc.value("descriptor_version", 0)) +
                                 ", this build computes version " + std::to_string(kDescriptorVersion));
    }
    pack.name = doc.value("name", "");
    pack.version = doc.value("version", "");
    pack.description = doc.value("description", "");
    if (pack.name.empty() || pack.version.empty()) return Status::Corrupt("pack.json needs a name and a version");
    if (!doc.contains("templates") || !doc["templates"].is_array()) {
      return Status::Corrupt("pack.json has no templates");
    }
    for (const auto& t : doc["templates"]) {
      if (!t.is_object()) return Status::Corrupt("template entry is not an object");
      PackTemplate entry{t.value("id", ""), t.value("name", ""), t.value("mesh", "")};
      if (entry.id.empty() || !IsPackRelativePath(entry.mesh)) {
        return Status::Corrupt("template entry needs an id and a pack-relative mesh path");
      }
      pack.templates.push_back(entry);
    }
    if (doc.contains("files") && doc["files"].is_array()) {
      for (const auto& f : doc["files"]) {
        PackFileEntry entry{f.value("path", ""), f.value("sha256", "")};
        if (!IsPackRelativePath(entry.path) || entry.sha256.size() != 64) {
          return Status::Corrupt("file entry needs a pack-relative path and a SHA-256");
        }
        pack.files.push_back(entry);
      }
    }
    return pack;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corrupt(std::string("pack.json: ") + e.what());
  }
}

Status VerifyTemplatePack(TemplatePack& pack, const PackTrustPolicy& policy) {
  return VerifyTemplatePackUsing(pack, policy, [](const PackFileEntry&, std::string) { return Status::Ok(); });
}

fs::path DefaultTemplateTrustedKeysDir() {
  return TrustedKeysDir("INTERDICT_MESH_TRUSTED_KEYS", fs::path(INTERDICT_MESH_SIGNATURES_DIR) / "trusted-keys");
}

Result<fs::path> DefaultTemplatePackDir() {
  if (const char* env = std::getenv("INTERDICT_MESH_PACK"); env != nullptr && *env != '\0') return fs::path(env);
  std::vector<fs::path> packs = ListPackDirs(INTERDICT_MESH_SIGNATURES_DIR);
  if (packs.empty()) return Status::NotFound(std::string("no template pack under ") + INTERDICT_MESH_SIGNATURES_DIR);
  return packs.front();
}

Status BuildTemplateDescriptors(const fs::path& dir, const TemplateProgress& progress) {
  try {  // a value of the wrong type makes nlohmann::json throw: a corrupt pack, not a crash
    INTERDICT_ASSIGN_OR_RETURN(nlohmann::json manifest, ReadJson(dir / kTemplatePackManifest));
    const nlohmann::json templates = manifest.value("templates", nlohmann::json::array());
    if (!templates.is_array()) return Status::Corrupt("pack.json's templates is not an array");
    // Each template on its own (describe, then the mirror self-fit: about 35 ms for a stand-in part), so they are
    // spread over the worker threads; each writes only its own slot, and the first error in template order wins.
    // The JSON is read here, on this thread (a wrong type throws, and must not throw on a worker thread).
    std::vector<std::pair<std::string, std::string>> id_and_mesh;
    for (const nlohmann::json& t : templates) {
      if (!t.is_object()) return Status::Corrupt("a template entry of pack.json is not an object");
      id_and_mesh.emplace_back(t.value("id", ""), t.value("mesh", ""));
    }
    std::vector<Result<nlohmann::json>> entries(templates.size(), Status::Internal("not built"));
    std::atomic<size_t> done{0};
    ForEachIndex(templates.size(), DefaultWorkerThreads() > 1, [&](size_t i) {
      entries[i] = [&]() -> Result<nlohmann::json> {
        const auto& [id, mesh_path] = id_and_mesh[i];
        if (!IsPackRelativePath(mesh_path)) {
          return Status::Corrupt("template mesh path " + mesh_path + " is not pack-relative");
        }
        INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(dir / mesh_path, kMaxTemplatePackFileBytes));
        INTERDICT_ASSIGN_OR_RETURN(TriangleMesh mesh, LoadSingleBody(bytes, mesh_path));
        DescribedBody body = DescribeBody(std::move(mesh));
        const AlignmentScore mirror_self_fit =
            ScoreMirrorSelfFit(body, *RegistrationTarget::From(body, kTemplateSamples));
        return nlohmann::json{{"id", id},
                              {"exact_hash", body.hashes.exact},
                              {"quantised_hash", body.hashes.quantised},
                              {"diagonal", body.metrics.diagonal()},
                              {"descriptor", std::vector<float>(body.descriptor.begin(), body.descriptor.end())},
                              {"mirror_self_fit", ScoreToJson(mirror_self_fit)}};
      }();
      if (progress) progress(++done, templates.size());
    });
    nlohmann::json out = {{"descriptor_version", kDescriptorVersion}, {"templates", nlohmann::json::array()}};
    for (Result<nlohmann::json>& entry : entries) {
      if (!entry.ok()) return entry.status();
      out["templates"].push_back(std::move(*entry));
    }
    return WriteFileAtomic(dir / kTemplatePackDescriptors, out.dump(1) + "\n");
  } catch (const nlohmann::json::exception& e) {
    return Status::Corrupt(std::string("pack.json: ") + e.what());
  }
}

Status SignTemplatePack(const fs::path& dir, const SigningKey& key) {
  INTERDICT_ASSIGN_OR_RETURN(nlohmann::json manifest, ReadJson(dir / kTemplatePackManifest));
  std::vector<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), dir).generic_string();
    if (rel == kTemplatePackManifest || rel == kTemplatePackSignature) continue;
    paths.push_back(rel);
  }
  std::sort(paths.begin(), paths.end());
  nlohmann::json files = nlohmann::json::array();
  for (const std::string& rel : paths) {
    INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(dir / rel, kMaxTemplatePackFileBytes));
    files.push_back({{"path", rel}, {"sha256", Sha256Hex(bytes)}});
  }
  manifest["files"] = files;
  return WriteSignedManifest(kTemplatePackKind, dir, manifest, key);
}

Result<TemplateLibrary> OpenTemplateLibrary(const TemplatePack& pack) {
  if (!pack.verified) return Status::PermissionDenied("template pack " + pack.name + " has not been verified");
  INTERDICT_ASSIGN_OR_RETURN(std::string descriptors, ReadPinnedFile(pack, kTemplatePackDescriptors));
  TemplatePack pinned = pack;  // the loader keeps its own copy of the manifest
  return LibraryFromDescriptors(pack, descriptors, [pinned](const TemplateRecord& record) -> Result<TriangleMesh> {
    INTERDICT_ASSIGN_OR_RETURN(std::string mesh_bytes, ReadPinnedFile(pinned, record.mesh_path));
    return LoadSingleBody(mesh_bytes, record.mesh_path);
  });
}

Result<TemplateLibrary> OpenVerifiedTemplateLibrary(TemplatePack& pack, const PackTrustPolicy& policy) {
  std::set<std::string> mesh_paths;
  for (const PackTemplate& t : pack.templates) mesh_paths.insert(t.mesh);
  // Each template mesh is imported as verification reads it, and the library's loader hands each out once.
  // descriptors.json becomes the library as soon as it is verified, so its text and JSON tree (tens of MB for
  // 10,000 templates) are gone before most meshes are read.
  auto meshes = std::make_shared<std::map<std::string, Result<TriangleMesh>>>();
  const TemplatePack pinned = pack;
  TemplateLibrary::MeshLoader loader = [pinned, meshes](const TemplateRecord& record) -> Result<TriangleMesh> {
    if (auto it = meshes->find(record.mesh_path); it != meshes->end()) {
      Result<TriangleMesh> mesh = std::move(it->second);
      meshes->erase(it);
      return mesh;
    }
    // A mesh that two templates share, asked for a second time: read (and checked) again.
    INTERDICT_ASSIGN_OR_RETURN(std::string mesh_bytes, ReadPinnedFile(pinned, record.mesh_path));
    return LoadSingleBody(mesh_bytes, record.mesh_path);
  };
  std::optional<TemplateLibrary> library;
  INTERDICT_RETURN_IF_ERROR(VerifyTemplatePackUsing(pack, policy, [&](const PackFileEntry& file, std::string bytes) {
    if (file.path == kTemplatePackDescriptors) {
      INTERDICT_ASSIGN_OR_RETURN(TemplateLibrary opened, LibraryFromDescriptors(pack, bytes, loader));
      library.emplace(std::move(opened));
    } else if (mesh_paths.count(file.path) != 0) {
      meshes->insert_or_assign(file.path, LoadSingleBody(bytes, file.path));
    }
    return Status::Ok();
  }));
  // Verified means descriptors.json is pinned, so it was read.
  if (!library) return Status::Internal("descriptors.json was verified but not read");
  for (size_t i = 0; i < library->size(); ++i) {
    INTERDICT_RETURN_IF_ERROR(library->LoadMesh(i).WithContext("template " + library->record(i).id));
  }
  return std::move(*library);
}

Result<FixtureReport> TestTemplatePack(const TemplatePack& pack, const TemplateProgress& progress) {
  try {  // a value of the wrong type makes nlohmann::json throw: a corrupt pack, not a crash
    INTERDICT_ASSIGN_OR_RETURN(TemplateLibrary library, OpenTemplateLibrary(pack));
    FixtureReport report;
    // What descriptors.json holds must be what this build computes from the mesh: a stale descriptor silently
    // degrades retrieval, a stale mirror self-fit decides handedness wrongly. Described here from the mesh itself
    // (the library would take the hashes and descriptor from descriptors.json), each template on its own, so
    // they are spread over the worker threads like the build; the results are collected in template order.
    std::vector<Result<bool>> fresh(library.size(), Status::Internal("not checked"));
    std::atomic<size_t> done{0};
    ForEachIndex(library.size(), DefaultWorkerThreads() > 1, [&](size_t i) {
      fresh[i] = IsStoredTemplateFresh(pack, library.record(i));
      if (progress) progress(++done, library.size());
    });
    for (size_t i = 0; i < library.size(); ++i) {
      INTERDICT_RETURN_IF_ERROR(fresh[i].status());
      if (!*fresh[i]) {
        report.failures.push_back(library.record(i).id +
                                  ": descriptors.json is stale (run `interdict templates build`)");
      }
      ++report.checked;
    }
    INTERDICT_ASSIGN_OR_RETURN(std::string fixtures_bytes, ReadPinnedFile(pack, kTemplatePackFixtures));
    nlohmann::json fixtures = nlohmann::json::parse(fixtures_bytes, nullptr, false);
    if (fixtures.is_discarded() || !fixtures.is_array()) return Status::Corrupt("fixtures.json is not a JSON array");
    for (const auto& fixture : fixtures) {
      const std::string file = "fixtures/" + fixture.value("file", "");
      INTERDICT_ASSIGN_OR_RETURN(std::string bytes, ReadPinnedFile(pack, file));
      Result<FileAnalysis> analysis =
          AnalyseMesh({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, file, &library);
      if (!analysis.ok()) {
        report.failures.push_back(file + ": " + analysis.status().ToString());
        continue;
      }
      for (const auto& expect : fixture.value("expect", nlohmann::json::array())) {
        ++report.checked;
        const std::string want = expect.value("template", ""), tier = expect.value("tier", "match"),
                          unit = expect.value("unit", "");
        bool found = false;
        for (const AnalysedBody& b : analysis->bodies) {
          if (b.match.has_template && b.match.template_id == want && MatchTierName(b.match.tier) == tier &&
              (unit.empty() || b.match.unit == unit)) {
            found = true;
          }
        }
        if (!found) {
          report.failures.push_back(file + ": expected " + want + " as " + tier +
                                    (unit.empty() ? "" : " in " + unit));
        }
      }
      if (fixture.value("expect", nlohmann::json::array()).empty()) {
        ++report.checked;
        for (const AnalysedBody& b : analysis->bodies) {
          if (b.match.tier != MatchTier::kNoMatch) {
            report.failures.push_back(file + ": expected no match, got " + b.match.template_id + " as " +
                                      MatchTierName(b.match.tier));
          }
        }
      }
    }
    return report;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corrupt(std::string("template pack: ") + e.what());
  }
}

}  // namespace interdict::mesh
