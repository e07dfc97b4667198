#include "mesh_test_util.h"

#include <unistd.h>

namespace interdict::mesh::testing {

TriangleMesh Cube(float size, Eigen::Vector3f offset) {
  TriangleMesh m;
  for (int i = 0; i < 8; ++i) {
    m.vertices.push_back(offset + size * Eigen::Vector3f(i & 1, (i >> 1) & 1, (i >> 2) & 1));
  }
  m.triangles = {{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4},
                 {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}};
  return m;
}

std::span<const uint8_t> Bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::filesystem::path FreshTempDir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("interdict-mesh-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace interdict::mesh::testing
