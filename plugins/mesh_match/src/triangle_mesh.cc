#include "triangle_mesh.h"

#include "mesh_limits.h"

namespace interdict::mesh {

const char* MeshFormatName(MeshFormat format) {
  switch (format) {
    case MeshFormat::kStlBinary: return "stl-binary";
    case MeshFormat::kStlAscii: return "stl-ascii";
    case MeshFormat::kObj: return "obj";
    case MeshFormat::kThreeMf: return "3mf";
    case MeshFormat::kPly: return "ply";
    case MeshFormat::kOther: return "other";
    case MeshFormat::kUnknown: break;
  }
  return "unknown";
}

const char* DeclaredUnitName(DeclaredUnit unit) {
  switch (unit) {
    case DeclaredUnit::kMicron: return "micron";
    case DeclaredUnit::kMillimetre: return "mm";
    case DeclaredUnit::kCentimetre: return "cm";
    case DeclaredUnit::kInch: return "inch";
    case DeclaredUnit::kFoot: return "foot";
    case DeclaredUnit::kMetre: return "m";
    case DeclaredUnit::kNone: break;
  }
  return "none";
}

double DeclaredUnitToMillimetres(DeclaredUnit unit) {
  switch (unit) {
    case DeclaredUnit::kMicron: return 0.001;
    case DeclaredUnit::kCentimetre: return 10.0;
    case DeclaredUnit::kInch: return 25.4;
    case DeclaredUnit::kFoot: return 304.8;
    case DeclaredUnit::kMetre: return 1000.0;
    case DeclaredUnit::kMillimetre:
    case DeclaredUnit::kNone: break;
  }
  return 1.0;
}

void ImportedMesh::AddAnomaly(std::string code, std::string message, bool corruption) {
  if (anomalies.size() >= kMaxAnomaliesPerFile) {
    ++anomalies_dropped;
    return;
  }
  anomalies.push_back({std::move(code), std::move(message), corruption});
}

}  // namespace interdict::mesh
