#include "threemf_reader.h"

#include <zip.h>

#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "mesh_builder.h"
#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

constexpr char kDefaultModelPath[] = "3D/3dmodel.model";
constexpr char kModelRelationshipType[] = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";

// Row-vector affine transform as 3MF writes it: p' = [x y z 1] * M (M is 4x3).
using Affine = std::array<double, 12>;
constexpr Affine kIdentity = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};

Affine Compose(const Affine& inner, const Affine& outer) {  // apply inner, then outer
  Affine r{};
  for (int row = 0; row < 4; ++row) {
    for (int col = 0; col < 3; ++col) {
      double v = row == 3 ? outer[9 + col] : 0.0;
      for (int k = 0; k < 3; ++k) v += inner[row * 3 + k] * outer[k * 3 + col];
      r[row * 3 + col] = v;
    }
  }
  return r;
}

std::string_view LocalName(std::string_view name) {
  size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Attribute by local name, so "p:path" and "production:path" both count.
pugi::xml_attribute FindAttribute(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_attribute a : node.attributes()) {
    if (LocalName(a.name()) == local) return a;
  }
  return {};
}

pugi::xml_node FindChild(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element && LocalName(c.name()) == local) return c;
  }
  return {};
}

bool ParseDouble(std::string_view text, double* out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '+')) text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end != text.data();
}

Result<Affine> ParseTransform(std::string_view text) {
  Affine m{};
  size_t i = 0;
  size_t pos = 0;
  while (pos < text.size() && i <= 12) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n')) ++pos;
    if (pos >= text.size()) break;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n') ++end;
    if (i == 12 || !ParseDouble(text.substr(pos, end - pos), &m[i])) {
      return Status::Corrupt("3MF transform is not 12 numbers: \"" + std::string(text.substr(0, 80)) + "\"");
    }
    ++i;
    pos = end;
  }
  if (i != 12) return Status::Corrupt("3MF transform has " + std::to_string(i) + " numbers, not 12");
  return m;
}

std::string NormalisePartPath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(path);
}

DeclaredUnit ParseUnit(std::string_view unit) {
  if (unit == "micron") return DeclaredUnit::kMicron;
  if (unit == "millimeter" || unit.empty()) return DeclaredUnit::kMillimetre;  // the spec's default
  if (unit == "centimeter") return DeclaredUnit::kCentimetre;
  if (unit == "inch") return DeclaredUnit::kInch;
  if (unit == "foot") return DeclaredUnit::kFoot;
  if (unit == "meter") return DeclaredUnit::kMetre;
  return DeclaredUnit::kNone;
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};

class ThreeMfArchive {
 public:
  static Result<ThreeMfArchive> Open(std::span<const uint8_t> data) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
    if (source == nullptr) {
      zip_error_fini(&error);
      return Status::Internal("libzip could not wrap the buffer");
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive == nullptr) {
      std::string reason = zip_error_strerror(&error);
      zip_source_free(source);
      zip_error_fini(&error);
      return Status::Corrupt("3MF is not a readable zip archive: " + reason);
    }
    zip_error_fini(&error);
    ThreeMfArchive out;
    out.zip_.reset(archive);
    zip_int64_t entries = zip_get_num_entries(archive, 0);
    if (entries < 0 || static_cast<uint64_t>(entries) > kMax3mfEntries) {
      return Status::LimitExceeded("3MF zip has " + std::to_string(entries) + " entries, over the limit of " +
                                   std::to_string(kMax3mfEntries));
    }
    return out;
  }

  // Reads one entry with the bomb caps; kNotFound if it is absent.
  Result<std::string> Read(const std::string& path) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(zip_.get(), path.c_str(), ZIP_FL_NOCASE, &st) != 0) {
      return Status::NotFound("3MF part " + path + " is missing");
    }
    if ((st.valid & ZIP_STAT_SIZE) == 0 || (st.valid & ZIP_STAT_COMP_SIZE) == 0) {
      return Status::Corrupt("3MF part " + path + " has no recorded size");
    }
    if (st.size > kMax3mfEntryBytes || total_read_ + st.size > kMax3mfTotalBytes) {
      return Status::LimitExceeded("3MF part " + path + " expands to " + std::to_string(st.size) +
                                   " bytes, over the zip-bomb limit");
    }
    if (st.comp_size > 0 && st.size / st.comp_size > kMax3mfCompressionRatio) {
      return Status::LimitExceeded("3MF part " + path + " has compression ratio " +
                                   std::to_string(st.size / st.comp_size) + ":1, over the zip-bomb limit");
    }
    zip_file_t* file = zip_fopen_index(zip_.get(), st.index, 0);
    if (file == nullptr) return Status::Corrupt("3MF part " + path + " cannot be opened: " + zip_strerror(zip_.get()));
    std::string bytes(st.size, '\0');
    uint64_t got = 0;
    while (got < st.size) {
      zip_int64_t n = zip_fread(file, bytes.data() + got, st.size - got);
      if (n <= 0) break;
      got += static_cast<uint64_t>(n);
    }
    // A stream longer than its recorded size is a lie in the central directory; do not read past it.
    char probe;
    const bool longer = got == st.size && zip_fread(file, &probe, 1) > 0;
    zip_fclose(file);
    if (got != st.size || longer) {
      return Status::Corrupt("3MF part " + path + " is damaged (read " + std::to_string(got) + " of " +
                             std::to_string(st.size) + " bytes)");
    }
    total_read_ += st.size;
    return bytes;
  }

 private:
  std::unique_ptr<zip_t, ZipCloser> zip_;
  uint64_t total_read_ = 0;
};

struct ModelObject {
  std::vector<std::array<float, 3>> vertices;
  std::vector<Triangle> triangles;
  struct Component {
    std::string path;  // model part holding the object
    uint32_t object_id;
    Affine transform;
  };
  std::vector<Component> components;
};

struct ModelPart {
  pugi::xml_document doc;
  std::map<uint32_t, ModelObject> objects;
  DeclaredUnit unit = DeclaredUnit::kMillimetre;
};

class ThreeMfLoader {
 public:
  explicit ThreeMfLoader(ThreeMfArchive archive) : archive_(std::move(archive)) {}

  Result<ImportedMesh> Load() {
    std::string root = kDefaultModelPath;
    Result<std::string> rels = archive_.Read("_rels/.rels");
    if (rels.ok()) {
      pugi::xml_document doc;
      if (doc.load_buffer(rels->data(), rels->size())) {
        for (pugi::xml_node rel : FindChild(doc, "Relationships").children()) {
          if (std::string_view(FindAttribute(rel, "Type").value()) == kModelRelationshipType) {
            root = NormalisePartPath(FindAttribute(rel, "Target").value());
          }
        }
      } else {
        out_.AddAnomaly("3mf-bad-relationships", "_rels/.rels is not well-formed XML; using 3D/3dmodel.model");
      }
    } else {
      out_.AddAnomaly("3mf-no-relationships", "no _rels/.rels part; using 3D/3dmodel.model");
    }
    INTERDICT_ASSIGN_OR_RETURN(ModelPart * model, LoadPart(root));
    out_.declared_unit = model->unit;
    pugi::xml_node build = FindChild(FindChild(model->doc, "model"), "build");
    if (!build) return Status::Corrupt("3MF model has no <build> element");
    for (pugi::xml_node item : build.children()) {
      if (item.type() != pugi::node_element || LocalName(item.name()) != "item") continue;
      Affine transform = kIdentity;
      if (pugi::xml_attribute t = FindAttribute(item, "transform")) {
        INTERDICT_ASSIGN_OR_RETURN(transform, ParseTransform(t.value()));
      }
      pugi::xml_attribute path = FindAttribute(item, "path");
      std::string part = path ? NormalisePartPath(path.value()) : root;
      INTERDICT_RETURN_IF_ERROR(Instantiate(part, item.attribute("objectid").as_uint(), transform, 0));
    }
    out_.source_triangles = source_triangles_;
    out_.degenerate_triangles = builder_.degenerate_triangles();
    out_.nonfinite_triangles = builder_.nonfinite_triangles();
    out_.mesh = builder_.Finish();
    if (out_.mesh.triangles.empty()) return Status::Corrupt("3MF build holds no triangle");
    return std::move(out_);
  }

 private:
  Result<ModelPart*> LoadPart(const std::string& path) {
    auto found = parts_.find(path);
    if (found != parts_.end()) return found->second.get();
    INTERDICT_ASSIGN_OR_RETURN(std::string bytes, archive_.Read(path));
    auto part = std::make_unique<ModelPart>();
    pugi::xml_parse_result parsed = part->doc.load_buffer(bytes.data(), bytes.size());
    if (!parsed) {
      return Status::Corrupt("3MF part " + path + " is not well-formed XML: " + parsed.description() + " at byte " +
                             std::to_string(parsed.offset));
    }
    pugi::xml_node model = FindChild(part->doc, "model");
    if (!model) return Status::Corrupt("3MF part " + path + " has no <model> root");
    part->unit = ParseUnit(model.attribute("unit").value());
    if (part->unit == DeclaredUnit::kNone) {
      out_.AddAnomaly("3mf-unknown-unit", std::string("unknown unit \"") + model.attribute("unit").value() + "\"");
    }
    for (pugi::xml_node object : FindChild(model, "resources").children()) {
      if (object.type() != pugi::node_element || LocalName(object.name()) != "object") continue;
      ModelObject parsed_object;
      INTERDICT_RETURN_IF_ERROR(ParseObject(object, path, &parsed_object));
      part->objects[object.attribute("id").as_uint()] = std::move(parsed_object);
    }
    ModelPart* raw = part.get();
    parts_[path] = std::move(part);
    return raw;
  }

  Status ParseObject(const pugi::xml_node& object, const std::string& path, ModelObject* out) {
    if (pugi::xml_node mesh = FindChild(object, "mesh")) {
      for (pugi::xml_node v : FindChild(mesh, "vertices").children()) {
        if (v.type() != pugi::node_element) continue;
        double xyz[3];
        const char* names[3] = {"x", "y", "z"};
        for (int k = 0; k < 3; ++k) {
          if (!ParseDouble(v.attribute(names[k]).value(), &xyz[k])) {
            return Status::Corrupt("3MF vertex " + std::to_string(out->vertices.size()) + " in " + path +
                                   " has no readable " + names[k]);
          }
        }
        out->vertices.push_back({static_cast<float>(xyz[0]), static_cast<float>(xyz[1]), static_cast<float>(xyz[2])});
      }
      for (pugi::xml_node t : FindChild(mesh, "triangles").children()) {
        if (t.type() != pugi::node_element) continue;
        Triangle tri = {t.attribute("v1").as_uint(UINT32_MAX), t.attribute("v2").as_uint(UINT32_MAX),
                        t.attribute("v3").as_uint(UINT32_MAX)};
        for (uint32_t index : tri) {
          if (index >= out->vertices.size()) {
            return Status::Corrupt("3MF triangle " + std::to_string(out->triangles.size()) + " in " + path +
                                   " refers to vertex " + std::to_string(static_cast<int64_t>(index)) +
                                   " of " + std::to_string(out->vertices.size()));
          }
        }
        if (out->triangles.size() >= kMaxTriangles) return Status::LimitExceeded("3MF object over the triangle limit");
        out->triangles.push_back(tri);
      }
    }
    if (pugi::xml_node components = FindChild(object, "components")) {
      for (pugi::xml_node c : components.children()) {
        if (c.type() != pugi::node_element) continue;
        ModelObject::Component component{path, c.attribute("objectid").as_uint(), kIdentity};
        if (pugi::xml_attribute p = FindAttribute(c, "path")) component.path = NormalisePartPath(p.value());
        if (pugi::xml_attribute t = FindAttribute(c, "transform")) {
          INTERDICT_ASSIGN_OR_RETURN(component.transform, ParseTransform(t.value()));
        }
        out->components.push_back(std::move(component));
      }
    }
    return Status::Ok();
  }

  Status Instantiate(const std::string& path, uint32_t object_id, const Affine& transform, int depth) {
    if (depth > kMax3mfComponentDepth) {
      return Status::LimitExceeded("3MF components nest deeper than " + std::to_string(kMax3mfComponentDepth) +
                                   " (or form a cycle)");
    }
    if (++instances_ > kMax3mfObjectInstances) {
      return Status::LimitExceeded("3MF build expands to more than " + std::to_string(kMax3mfObjectInstances) +
                                   " object instances");
    }
    INTERDICT_ASSIGN_OR_RETURN(ModelPart * part, LoadPart(path));
    auto found = part->objects.find(object_id);
    if (found == part->objects.end()) {
      return Status::Corrupt("3MF refers to object " + std::to_string(object_id) + " that " + path + " does not define");
    }
    const ModelObject& object = found->second;
    if (source_triangles_ + object.triangles.size() > kMaxTriangles) {
      return Status::LimitExceeded("3MF build expands to more than " + std::to_string(kMaxTriangles) + " triangles");
    }
    std::vector<uint32_t> welded(object.vertices.size());
    for (size_t i = 0; i < object.vertices.size(); ++i) {
      const auto& v = object.vertices[i];
      float p[3];
      for (int col = 0; col < 3; ++col) {
        p[col] = static_cast<float>(v[0] * transform[col] + v[1] * transform[3 + col] + v[2] * transform[6 + col] +
                                    transform[9 + col]);
      }
      welded[i] = builder_.AddVertex(p);
    }
    for (const Triangle& t : object.triangles) builder_.AddIndexedTriangle(welded[t[0]], welded[t[1]], welded[t[2]]);
    source_triangles_ += object.triangles.size();
    // Copy: LoadPart may rehash parts_ but never moves a ModelPart (held by unique_ptr).
    for (const ModelObject::Component& c : object.components) {
      INTERDICT_RETURN_IF_ERROR(Instantiate(c.path, c.object_id, Compose(c.transform, transform), depth + 1));
    }
    return Status::Ok();
  }

  ThreeMfArchive archive_;
  std::map<std::string, std::unique_ptr<ModelPart>> parts_;
  MeshBuilder builder_{1024};
  ImportedMesh out_;
  uint64_t instances_ = 0;
  uint64_t source_triangles_ = 0;
};

}  // namespace

Result<ImportedMesh> ReadThreeMf(std::span<const uint8_t> data) {
  if (data.size() > kMaxMeshFileBytes) return Status::LimitExceeded("3MF exceeds the file size limit");
  INTERDICT_ASSIGN_OR_RETURN(ThreeMfArchive archive, ThreeMfArchive::Open(data));
  ThreeMfLoader loader(std::move(archive));
  INTERDICT_ASSIGN_OR_RETURN(ImportedMesh mesh, loader.Load());
  mesh.format = MeshFormat::kThreeMf;
  return mesh;
}

}  // namespace interdict::mesh
