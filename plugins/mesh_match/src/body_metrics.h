// Measurements of one body, in the file's own units: area, enclosed volume, watertightness, bounding box,
// principal axes (PCA of the surface, eigenvalues descending, axis signs fixed by the third moment so the
// frame is reproducible), RMS radius (the scale used to normalise descriptors) and a unit guess.
#ifndef INTERDICT_MESH_MATCH_BODY_METRICS_H_
#define INTERDICT_MESH_MATCH_BODY_METRICS_H_

#include <string>

#include <Eigen/Dense>

#include "triangle_mesh.h"

namespace interdict::mesh {

struct BodyMetrics {
  uint64_t triangles = 0;
  uint64_t vertices = 0;
  double area = 0;
  double volume = 0;             // |signed volume|; meaningful when watertight
  bool watertight = false;       // every edge shared by exactly two triangles with opposite directions
  uint64_t boundary_edges = 0;   // edges used once (holes)
  uint64_t nonmanifold_edges = 0;  // edges used more than twice or twice in the same direction
  // Manifold edges (two triangles, opposite directions) and those of them whose two triangles are coplanar
  // (normals within kFlatEdgeRadians). A CAD export tessellates every plane and every planar quad into
  // coplanar triangle pairs; noise on the vertices (a scan, a perturbed copy) leaves no pair coplanar.
  uint64_t interior_edges = 0;
  uint64_t flat_edges = 0;
  Eigen::Vector3d bbox_min = Eigen::Vector3d::Zero();
  Eigen::Vector3d bbox_max = Eigen::Vector3d::Zero();
  Eigen::Vector3d centroid = Eigen::Vector3d::Zero();  // area-weighted surface centroid
  Eigen::Matrix3d axes = Eigen::Matrix3d::Identity();  // columns: principal axes, right-handed
  Eigen::Vector3d eigenvalues = Eigen::Vector3d::Zero();  // surface covariance, descending
  double rms_radius = 0;          // sqrt(trace of the surface covariance)

  double diagonal() const { return (bbox_max - bbox_min).norm(); }
  double flat_edge_share() const { return interior_edges == 0 ? 0.0 : static_cast<double>(flat_edges) / interior_edges; }
  // No sign of vertex noise: at least kNoiseFreeFlatEdgeShare of the manifold edges are flat. The matcher
  // then allows no noise in a fit (see matcher.h).
  bool noise_free() const;
};

// Two triangles whose unit normals differ by less than this (radians) are coplanar. float32 coordinates
// (STL, 3MF) tilt a 1 mm triangle 200 mm from the origin by ~1e-5 rad; 0.2 % vertex noise by ~1e-2.
inline constexpr double kFlatEdgeRadians = 1e-3;
// Stand-ins (bench/mesh_match): clean, rigid, unit-scaled, decimated and subdivided copies 0.034-0.80 of their
// edges flat; 0.2 % vertex noise at most 0.015.
inline constexpr double kNoiseFreeFlatEdgeShare = 0.025;

BodyMetrics MeasureBody(const TriangleMesh& body);

// A unit guess from size alone, for a file that does not state its unit: "mm" for parts 15-1500 units across,
// "inch?" for 0.4-15, "m?" below 0.4, "micron?" above 1500. A match's scale factor is better evidence.
std::string GuessUnitFromSize(double diagonal);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_BODY_METRICS_H_
