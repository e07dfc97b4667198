// Small shared helpers for the mesh tests: a unit cube, bytes views, and temporary folders.
#ifndef INTERDICT_TESTS_MESH_MATCH_MESH_TEST_UTIL_H_
#define INTERDICT_TESTS_MESH_MATCH_MESH_TEST_UTIL_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "triangle_mesh.h"

namespace interdict::mesh::testing {

// Axis-aligned cube [0, size]^3, 12 outward-facing triangles.
TriangleMesh Cube(float size = 1.0f, Eigen::Vector3f offset = Eigen::Vector3f::Zero());
std::span<const uint8_t> Bytes(const std::string& s);
// A fresh empty folder under the system temp dir, removed by the caller's fixture.
std::filesystem::path FreshTempDir(const std::string& name);

}  // namespace interdict::mesh::testing

#endif  // INTERDICT_TESTS_MESH_MATCH_MESH_TEST_UTIL_H_
