#include "svg_render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "point_index.h"

namespace interdict::mesh {
namespace {

constexpr double kMargin = 10.0;

// Isometric view: rotate so that (1,1,1) points at the viewer.
Eigen::Matrix3d ViewRotation() {
  const Eigen::Vector3d forward = Eigen::Vector3d(1, 1, 1).normalized();
  const Eigen::Vector3d right = Eigen::Vector3d::UnitZ().cross(forward).normalized();
  const Eigen::Vector3d up = forward.cross(right);
  Eigen::Matrix3d m;
  m.row(0) = right;
  m.row(1) = up;
  m.row(2) = forward;
  return m;
}

std::string EscapeXml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Maps view-space points into the picture.
struct Frame {
  Eigen::Vector2d min, max;
  double scale = 1;
  void Fit(const std::vector<Eigen::Vector3d>& view_points) {
    min = Eigen::Vector2d::Constant(1e300);
    max = -min;
    for (const auto& p : view_points) {
      min = min.cwiseMin(p.head<2>());
      max = max.cwiseMax(p.head<2>());
    }
    const double extent = std::max({max.x() - min.x(), max.y() - min.y(), 1e-12});
    scale = (kSvgSize - 2 * kMargin) / extent;
  }
  Eigen::Vector2d Map(const Eigen::Vector3d& p) const {
    return {kMargin + (p.x() - min.x()) * scale, kSvgSize - kMargin - (p.y() - min.y()) * scale};
  }
};

std::string Header(std::string_view title) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                kSvgSize, kSvgSize + 20, kSvgSize, kSvgSize + 20);
  return std::string(buffer) + "<title>" + EscapeXml(title) + "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

std::string Caption(std::string_view text) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "<text x=\"%g\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\">", kMargin,
                kSvgSize + 12);
  return std::string(buffer) + EscapeXml(text) + "</text>\n";
}

// Shaded triangles, back to front. Returns the frame used so overlays can share it.
std::string DrawTriangles(const TriangleMesh& mesh, const Eigen::Matrix3d& view, Frame* frame, bool fit, int base_grey) {
  std::vector<size_t> order(mesh.triangles.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto area = [&](size_t i) { return (mesh.Corner(i, 1) - mesh.Corner(i, 0)).cross(mesh.Corner(i, 2) - mesh.Corner(i, 0)).norm(); };
  if (order.size() > kMaxSvgTriangles) {
    std::partial_sort(order.begin(), order.begin() + kMaxSvgTriangles, order.end(),
                      [&](size_t a, size_t b) { return area(a) > area(b); });
    order.resize(kMaxSvgTriangles);
  }
  std::vector<Eigen::Vector3d> view_points(mesh.vertices.size());
  for (size_t i = 0; i < mesh.vertices.size(); ++i) view_points[i] = view * mesh.vertices[i].cast<double>();
  if (fit) frame->Fit(view_points);
  auto depth = [&](size_t i) {
    const Triangle& t = mesh.triangles[i];
    return view_points[t[0]].z() + view_points[t[1]].z() + view_points[t[2]].z();
  };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return depth(a) < depth(b); });
  const Eigen::Vector3d light = Eigen::Vector3d(0.3, 0.5, 1.0).normalized();
  std::string out;
  char buffer[200];
  for (size_t i : order) {
    const Triangle& t = mesh.triangles[i];
    Eigen::Vector3d n = (view_points[t[1]] - view_points[t[0]]).cross(view_points[t[2]] - view_points[t[0]]);
    if (n.norm() == 0) continue;
    const double shade = 0.35 + 0.65 * std::abs(n.normalized().dot(light));
    const int g = std::clamp(static_cast<int>(base_grey * shade), 0, 255);
    const Eigen::Vector2d a = frame->Map(view_points[t[0]]), b = frame->Map(view_points[t[1]]), c = frame->Map(view_points[t[2]]);
    std::snprintf(buffer, sizeof buffer, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"rgb(%d,%d,%d)\"/>\n",
                  a.x(), a.y(), b.x(), b.y(), c.x(), c.y(), g, g, std::min(255, g + 20));
    out += buffer;
  }
  return out;
}

}  // namespace

std::string RenderThumbnailSvg(const TriangleMesh& mesh, std::string_view title) {
  Frame frame;
  std::string out = Header(title);
  out += DrawTriangles(mesh, ViewRotation(), &frame, true, 230);
  out += Caption(title);
  out += "</svg>\n";
  return out;
}

std::string RenderOverlaySvg(const DescribedBody& query, const DescribedBody& templ, const Similarity& transform,
                             double tolerance, std::string_view title) {
  const Eigen::Matrix3d view = ViewRotation();
  Frame frame;
  std::string out = Header(title);
  out += DrawTriangles(templ.mesh, view, &frame, true, 200);
  // Deviation of each aligned query sample from the template's samples.
  PointIndex template_index(templ.samples.points);
  char buffer[160];
  const size_t n = std::min(query.samples.points.size(), kMaxSvgPoints);
  std::vector<std::pair<double, std::string>> dots;
  for (size_t i = 0; i < n; ++i) {
    const Eigen::Vector3d p = transform.Apply(query.samples.points[i]);
    double d2;
    template_index.Nearest(p, &d2);
    const double ratio = std::clamp((std::sqrt(d2) / std::max(tolerance, 1e-12) - 1.0) / 2.0, 0.0, 1.0);
    const Eigen::Vector3d v = view * p;
    const Eigen::Vector2d m = frame.Map(v);
    std::snprintf(buffer, sizeof buffer, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" fill=\"rgb(%d,%d,40)\"/>\n", m.x(),
                  m.y(), static_cast<int>(40 + 215 * ratio), static_cast<int>(200 - 160 * ratio));
    dots.emplace_back(v.z(), buffer);
  }
  std::sort(dots.begin(), dots.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& d : dots) out += d.second;
  out += Caption(title);
  out += "</svg>\n";
  return out;
}

}  // namespace interdict::mesh
