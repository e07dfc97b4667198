#include "assimp_reader.h"

#include <assimp/BaseImporter.h>
#include <assimp/Importer.hpp>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mesh_builder.h"
#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

constexpr const char* kAllowedExtensions[] = {"obj", "ply", "off"};

bool ImporterIsAllowed(Assimp::BaseImporter* importer) {
  std::set<std::string> extensions;
  importer->GetExtensionList(extensions);
  for (const std::string& ext : extensions) {
    for (const char* allowed : kAllowedExtensions) {
      if (ext == allowed) return true;
    }
  }
  return false;
}

}  // namespace

Result<ImportedMesh> ReadWithAssimp(std::span<const uint8_t> data, std::string_view format_hint) {
  if (data.size() > kMaxMeshFileBytes) return Status::LimitExceeded("model exceeds the file size limit");
  if (data.empty()) return Status::Corrupt("empty model file");
  Assimp::Importer importer;
  // Keep the loaders we unregister: Assimp deletes only registered loaders at destruction.
  std::vector<std::unique_ptr<Assimp::BaseImporter>> owned;
  {
    std::vector<Assimp::BaseImporter*> refused;
    for (size_t i = 0; i < importer.GetImporterCount(); ++i) {
      Assimp::BaseImporter* loader = importer.GetImporter(i);
      if (loader != nullptr && !ImporterIsAllowed(loader)) refused.push_back(loader);
    }
    for (Assimp::BaseImporter* loader : refused) {
      importer.UnregisterLoader(loader);
      owned.emplace_back(loader);
    }
  }
  importer.SetPropertyInteger(AI_CONFIG_PP_SBP_REMOVE, aiPrimitiveType_POINT | aiPrimitiveType_LINE);
  const unsigned flags = aiProcess_Triangulate | aiProcess_PreTransformVertices | aiProcess_SortByPType;
  std::string hint(format_hint);
  const aiScene* scene = importer.ReadFileFromMemory(data.data(), data.size(), flags, hint.c_str());
  if (scene == nullptr) {
    return Status::Corrupt(std::string("model could not be read (") + hint + "): " + importer.GetErrorString());
  }
  ImportedMesh out;
  out.format = hint == "obj" ? MeshFormat::kObj : hint == "ply" ? MeshFormat::kPly : MeshFormat::kOther;
  if (scene->mFlags & AI_SCENE_FLAGS_INCOMPLETE) {
    out.AddAnomaly("model-incomplete", "the reader flagged the scene as incomplete", true);
  }
  uint64_t total = 0;
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) total += scene->mMeshes[m]->mNumFaces;
  if (total > kMaxTriangles) {
    return Status::LimitExceeded("model holds " + std::to_string(total) + " faces, over the limit");
  }
  MeshBuilder builder(total);
  uint64_t skipped = 0;
  for (unsigned m = 0; m < scene->mNumMeshes; ++m) {
    const aiMesh* mesh = scene->mMeshes[m];
    std::vector<uint32_t> welded(mesh->mNumVertices);
    for (unsigned v = 0; v < mesh->mNumVertices; ++v) {
      const aiVector3D& p = mesh->mVertices[v];
      float xyz[3] = {p.x, p.y, p.z};
      if (!std::isfinite(xyz[0]) || !std::isfinite(xyz[1]) || !std::isfinite(xyz[2])) {
        welded[v] = UINT32_MAX;
        continue;
      }
      welded[v] = builder.AddVertex(xyz);
    }
    for (unsigned f = 0; f < mesh->mNumFaces; ++f) {
      const aiFace& face = mesh->mFaces[f];
      if (face.mNumIndices != 3) {
        ++skipped;
        continue;
      }
      bool valid = true;
      for (int k = 0; k < 3; ++k) valid = valid && face.mIndices[k] < welded.size() && welded[face.mIndices[k]] != UINT32_MAX;
      if (!valid) {
        ++skipped;
        continue;
      }
      builder.AddIndexedTriangle(welded[face.mIndices[0]], welded[face.mIndices[1]], welded[face.mIndices[2]]);
    }
  }
  if (skipped > 0) {
    out.AddAnomaly("model-bad-faces", std::to_string(skipped) + " face(s) with invalid or non-finite corners dropped",
                   true);
  }
  out.source_triangles = total;
  out.degenerate_triangles = builder.degenerate_triangles();
  out.mesh = builder.Finish();
  if (out.mesh.triangles.empty()) return Status::Corrupt("model (" + hint + ") holds no triangle");
  return out;
}

}  // namespace interdict::mesh
