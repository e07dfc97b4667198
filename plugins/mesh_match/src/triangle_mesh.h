// The in-memory mesh every importer produces: welded float32 positions and triangle indices, plus the
// anomalies the importer noticed. Units are whatever the file said (or did not say); nothing is rescaled.
#ifndef INTERDICT_MESH_MATCH_TRIANGLE_MESH_H_
#define INTERDICT_MESH_MATCH_TRIANGLE_MESH_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace interdict::mesh {

using Vec3 = Eigen::Vector3d;
using Triangle = std::array<uint32_t, 3>;

struct TriangleMesh {
  std::vector<Eigen::Vector3f> vertices;
  std::vector<Triangle> triangles;

  size_t triangle_count() const { return triangles.size(); }
  Vec3 Corner(size_t triangle, int corner) const { return vertices[triangles[triangle][corner]].cast<double>(); }
};

// Something a slicer would shrug off but an examiner should know about ("solid" header on a binary STL,
// face count that disagrees with the file size, trailing bytes, NaN coordinates, ...). Reported as
// "parse-anomaly" findings.
struct ImportAnomaly {
  std::string code;     // stable identifier: "stl-solid-header-binary", "stl-count-mismatch", ...
  std::string message;  // one line for people
  bool corruption = false;  // the file is damaged (cut short, malformed records), not merely unusual
};

enum class MeshFormat { kUnknown, kStlBinary, kStlAscii, kObj, kThreeMf, kPly, kOther };
const char* MeshFormatName(MeshFormat format);

// Unit as stated by the file (3MF unit attribute); STL and OBJ never state one.
enum class DeclaredUnit { kNone, kMicron, kMillimetre, kCentimetre, kInch, kFoot, kMetre };
const char* DeclaredUnitName(DeclaredUnit unit);
double DeclaredUnitToMillimetres(DeclaredUnit unit);  // 1.0 for kNone

struct ImportedMesh {
  TriangleMesh mesh;
  MeshFormat format = MeshFormat::kUnknown;
  DeclaredUnit declared_unit = DeclaredUnit::kNone;
  std::vector<ImportAnomaly> anomalies;
  uint64_t anomalies_dropped = 0;     // beyond kMaxAnomaliesPerFile
  uint64_t degenerate_triangles = 0;  // dropped: two corners welded together
  uint64_t nonfinite_triangles = 0;   // dropped: NaN or Inf coordinates
  uint64_t source_triangles = 0;      // as read from the file, before dropping

  void AddAnomaly(std::string code, std::string message, bool corruption = false);
};

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_TRIANGLE_MESH_H_
