#include "mesh_writer.h"

#include <zip.h>

#include <cstdio>
#include <cstring>

namespace interdict::mesh {
namespace {

Eigen::Vector3f FaceNormal(const TriangleMesh& mesh, const Triangle& t) {
  const Eigen::Vector3f n = (mesh.vertices[t[1]] - mesh.vertices[t[0]]).cross(mesh.vertices[t[2]] - mesh.vertices[t[0]]);
  const float len = n.norm();
  return len > 0 ? Eigen::Vector3f(n / len) : Eigen::Vector3f::Zero();
}

void AppendFloat(std::string& out, float f) { out.append(reinterpret_cast<const char*>(&f), sizeof f); }

constexpr char kContentTypes[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
    "<Default Extension=\"model\" ContentType=\"application/vnd.ms-package.3dmanufacturing-3dmodel+xml\"/></Types>";
constexpr char kRels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Target=\"/3D/3dmodel.model\" Id=\"rel0\" "
    "Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/></Relationships>";

}  // namespace

std::string ToBinaryStl(const TriangleMesh& mesh, std::string_view header) {
  std::string out(80, ' ');
  std::memcpy(out.data(), header.data(), std::min<size_t>(header.size(), 80));
  const uint32_t count = static_cast<uint32_t>(mesh.triangles.size());
  out.append(reinterpret_cast<const char*>(&count), sizeof count);
  out.reserve(84 + 50 * mesh.triangles.size());
  for (const Triangle& t : mesh.triangles) {
    const Eigen::Vector3f n = FaceNormal(mesh, t);
    for (int k = 0; k < 3; ++k) AppendFloat(out, n[k]);
    for (uint32_t v : t) {
      for (int k = 0; k < 3; ++k) AppendFloat(out, mesh.vertices[v][k]);
    }
    out.append(2, '\0');
  }
  return out;
}

std::string ToAsciiStl(const TriangleMesh& mesh, std::string_view name) {
  std::string out = "solid " + std::string(name) + "\n";
  char line[160];
  for (const Triangle& t : mesh.triangles) {
    const Eigen::Vector3f n = FaceNormal(mesh, t);
    std::snprintf(line, sizeof line, "  facet normal %e %e %e\n    outer loop\n", n.x(), n.y(), n.z());
    out += line;
    for (uint32_t v : t) {
      const Eigen::Vector3f& p = mesh.vertices[v];
      std::snprintf(line, sizeof line, "      vertex %e %e %e\n", p.x(), p.y(), p.z());
      out += line;
    }
    out += "    endloop\n  endfacet\n";
  }
  out += "endsolid " + std::string(name) + "\n";
  return out;
}

std::string ToObj(const TriangleMesh& mesh) {
  std::string out = "# interdict stand-in part\n";
  char line[128];
  for (const Eigen::Vector3f& p : mesh.vertices) {
    std::snprintf(line, sizeof line, "v %.9g %.9g %.9g\n", p.x(), p.y(), p.z());
    out += line;
  }
  for (const Triangle& t : mesh.triangles) {
    std::snprintf(line, sizeof line, "f %u %u %u\n", t[0] + 1, t[1] + 1, t[2] + 1);
    out += line;
  }
  return out;
}

Result<std::string> ToThreeMf(const TriangleMesh& mesh, std::string_view unit) {
  std::string model = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model unit=\"" + std::string(unit) +
                      "\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n"
                      "<resources><object id=\"1\" type=\"model\"><mesh><vertices>\n";
  char line[160];
  for (const Eigen::Vector3f& p : mesh.vertices) {
    std::snprintf(line, sizeof line, "<vertex x=\"%.9g\" y=\"%.9g\" z=\"%.9g\"/>\n", p.x(), p.y(), p.z());
    model += line;
  }
  model += "</vertices><triangles>\n";
  for (const Triangle& t : mesh.triangles) {
    std::snprintf(line, sizeof line, "<triangle v1=\"%u\" v2=\"%u\" v3=\"%u\"/>\n", t[0], t[1], t[2]);
    model += line;
  }
  model += "</triangles></mesh></object></resources>\n<build><item objectid=\"1\"/></build>\n</model>\n";

  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (buffer == nullptr) return Status::Internal("libzip: cannot create a buffer");
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(buffer);
    return Status::Internal("libzip: cannot open a buffer archive");
  }
  const std::pair<const char*, std::string_view> parts[] = {
      {"[Content_Types].xml", kContentTypes}, {"_rels/.rels", kRels}, {"3D/3dmodel.model", model}};
  for (const auto& [name, content] : parts) {
    zip_source_t* s = zip_source_buffer(archive, content.data(), content.size(), 0);
    if (s == nullptr || zip_file_add(archive, name, s, ZIP_FL_OVERWRITE) < 0) {
      zip_source_free(s);
      zip_discard(archive);
      zip_source_free(buffer);
      return Status::Internal("libzip: cannot add a part");
    }
  }
  if (zip_close(archive) != 0) {
    zip_discard(archive);
    zip_source_free(buffer);
    return Status::Internal("libzip: cannot finish the archive");
  }
  std::string out;
  zip_stat_t st;
  if (zip_source_stat(buffer, &st) == 0 && zip_source_open(buffer) == 0) {
    out.resize(st.size);
    zip_int64_t n = zip_source_read(buffer, out.data(), st.size);
    zip_source_close(buffer);
    if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) out.clear();
  }
  zip_source_free(buffer);
  zip_error_fini(&error);
  if (out.empty()) return Status::Internal("libzip: cannot read the archive back");
  return out;
}

}  // namespace interdict::mesh
