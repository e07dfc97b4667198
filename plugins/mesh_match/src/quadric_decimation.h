// Quadric-error edge-collapse decimation (Garland & Heckbert 1997), for the benchmark's "50 % decimation"
// variant: it reduces triangles the way mesh tools (MeshLab, PrusaSlicer's simplify) do, keeping the shape,
// unlike vertex clustering which rounds every corner. Collapses that would fold a triangle over or break
// the link condition (non-manifold result) are skipped. Written here because no Debian package offers it as
// a library (CGAL's Surface_mesh_simplification needs CGAL's mesh types and is far heavier).
#ifndef INTERDICT_MESH_MATCH_QUADRIC_DECIMATION_H_
#define INTERDICT_MESH_MATCH_QUADRIC_DECIMATION_H_

#include "triangle_mesh.h"

namespace interdict::mesh {

// Collapses edges until at most keep_share of the triangles remain (or no legal collapse is left).
TriangleMesh DecimateQuadric(const TriangleMesh& mesh, double keep_share);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_QUADRIC_DECIMATION_H_
