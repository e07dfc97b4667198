// Pictures for people, drawn without a GPU as SVG: a shaded thumbnail of a body, and an overlay of a match
// (the template in grey, the aligned query's surface samples coloured by deviation from green = within
// tolerance to red = 3x tolerance or more). Orthographic isometric view; painter's algorithm.
// Output size is bounded: at most kMaxSvgTriangles triangles (the largest by area) and kMaxSvgPoints points.
#ifndef INTERDICT_MESH_MATCH_SVG_RENDER_H_
#define INTERDICT_MESH_MATCH_SVG_RENDER_H_

#include <string>
#include <string_view>

#include "described_body.h"
#include "registration.h"

namespace interdict::mesh {

inline constexpr size_t kMaxSvgTriangles = 6000;
inline constexpr size_t kMaxSvgPoints = 2500;
inline constexpr int kSvgSize = 320;

std::string RenderThumbnailSvg(const TriangleMesh& mesh, std::string_view title);

// query: the query body; transform maps it onto the template; tolerance in template units.
std::string RenderOverlaySvg(const DescribedBody& query, const DescribedBody& templ, const Similarity& transform,
                             double tolerance, std::string_view title);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_SVG_RENDER_H_
