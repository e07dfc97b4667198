#include "registration.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <span>

#include <Eigen/Geometry>

#include "joining_thread.h"
#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

// Offset of a point from the surface around the nearest sample: the signed point-to-plane part, and the
// part of the in-plane offset beyond the sample spacing (so a point past the edge of the surface counts).
struct SurfaceOffset {
  double along = 0;   // signed, along the sample's normal
  double excess = 0;  // unsigned
  double distance() const { return std::sqrt(along * along + excess * excess); }
};

SurfaceOffset OffsetFromSurface(const Eigen::Vector3d& offset, const Eigen::Vector3d& normal, double spacing) {
  SurfaceOffset out;
  out.along = offset.dot(normal);
  const double in_plane = std::sqrt(std::max(0.0, offset.squaredNorm() - out.along * out.along));
  out.excess = std::max(0.0, in_plane - spacing);
  return out;
}

// Deviation of each point averaged over its neighbours (in its own set; table has stride 1).
std::vector<double> LocalDeviations(const NeighbourTable& table, const std::vector<SurfaceOffset>& offsets) {
  std::vector<double> out(table.rows());
  for (size_t i = 0; i < out.size(); ++i) {
    double along = 0, excess = 0;
    const std::span<const uint16_t> neighbours = table.Row(i);
    for (uint16_t j : neighbours) {
      along += offsets[j].along;
      excess += offsets[j].excess;
    }
    const double n = static_cast<double>(std::max<size_t>(1, neighbours.size()));
    out[i] = std::hypot(along / n, excess / n);
  }
  return out;
}

// Largest |mean signed offset| over the neighbours in each row of table (kSystematicNeighbours around every
// kSystematicStride-th point).
double SystematicDeviation(const NeighbourTable& table, const std::vector<SurfaceOffset>& offsets) {
  double worst = 0;
  for (size_t r = 0; r < table.rows(); ++r) {
    const std::span<const uint16_t> neighbours = table.Row(r);
    if (neighbours.empty()) continue;
    double along = 0;
    for (uint16_t j : neighbours) along += offsets[j].along;
    worst = std::max(worst, std::abs(along) / static_cast<double>(neighbours.size()));
  }
  return worst;
}

double Percentile(std::vector<double> values, double share) {
  if (values.empty()) return 0;
  size_t k = std::min(values.size() - 1, static_cast<size_t>(share * (values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

// Two PCA eigenvalues (a >= b) too close to order the axes reliably.
bool EigenvaluesClose(double a, double b) { return a > 0 && b / a > kAmbiguousEigenRatio; }

// ICP fits proper rotations only: a mirrored alignment is found for the query reflected through x -> -x and
// the reflection folded back into the rotation (rotation * ReflectX()).
Eigen::Matrix3d ReflectX() { return Eigen::Vector3d(-1, 1, 1).asDiagonal(); }
std::vector<Eigen::Vector3d> ReflectedX(const std::vector<Eigen::Vector3d>& points) {
  std::vector<Eigen::Vector3d> out(points.size());
  const Eigen::Matrix3d flip = ReflectX();
  for (size_t i = 0; i < points.size(); ++i) out[i] = flip * points[i];
  return out;
}

struct IcpState {
  Similarity transform;
  double error = std::numeric_limits<double>::infinity();  // trimmed mean squared distance
};

// Trimmed ICP with a similarity (Umeyama) update. points are in query coordinates.
IcpState RunIcp(const std::vector<Eigen::Vector3d>& points, size_t count, Similarity start, int iterations,
                const RegistrationTarget& target) {
  count = std::min(count, points.size());
  IcpState state{start, std::numeric_limits<double>::infinity()};
  std::vector<std::pair<double, size_t>> pairs(count);
  std::vector<size_t> matched(count);
  for (int it = 0; it < iterations; ++it) {
    for (size_t i = 0; i < count; ++i) {
      double d2;
      // After the first step a point's previous nearest is a close start: the pose moves little per step.
      const Eigen::Vector3d moved = state.transform.Apply(points[i]);
      matched[i] = it == 0 ? target.index->Nearest(moved, &d2) : target.index->NearestFrom(moved, matched[i], &d2);
      pairs[i] = {d2, i};
    }
    const size_t keep = std::max<size_t>(3, static_cast<size_t>(count * kIcpTrimFraction));
    std::nth_element(pairs.begin(), pairs.begin() + (keep - 1), pairs.end());
    double error = 0;
    Eigen::Matrix3Xd src(3, keep), dst(3, keep);
    for (size_t k = 0; k < keep; ++k) {
      error += pairs[k].first;
      src.col(k) = points[pairs[k].second];
      dst.col(k) = target.points[matched[pairs[k].second]];
    }
    error /= keep;
    const bool converged = std::isfinite(state.error) && std::abs(state.error - error) <= kIcpConvergence * state.error;
    state.error = error;
    if (converged || error == 0) break;
    const Eigen::Matrix4d m = Eigen::umeyama(src, dst, true);
    const Eigen::Matrix3d linear = m.topLeftCorner<3, 3>();
    const double scale = std::cbrt(linear.determinant());
    if (!(scale > 0) || !std::isfinite(scale)) break;
    state.transform.rotation = linear / scale;
    state.transform.scale = scale;
    state.transform.translation = m.topRightCorner<3, 1>();
  }
  return state;
}

// Untrimmed mean distance from the transformed points to the template surface: exact (point to triangle) when
// the template mesh is at hand, else to the nearest template sample.
double UntrimmedMeanDistance(const std::vector<Eigen::Vector3d>& points, size_t count, const Similarity& transform,
                             const RegistrationTarget& target) {
  count = std::min(count, points.size());
  if (count == 0) return std::numeric_limits<double>::infinity();
  const bool exact = target.triangles != nullptr && !target.triangles->empty();
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    const Eigen::Vector3d p = transform.Apply(points[i]);
    if (exact) {
      sum += target.triangles->ClosestTo(p).distance;
    } else {
      double d2;
      target.index->Nearest(p, &d2);
      sum += std::sqrt(d2);
    }
  }
  return sum / count;
}

// Best proper alignment of `points` (whose PCA frame is `axes`, centroid `centroid`) onto the target.
Similarity AlignProper(const std::vector<Eigen::Vector3d>& points, const Eigen::Vector3d& centroid,
                       const Eigen::Matrix3d& axes, const Eigen::Vector3d& eigenvalues, double rms,
                       const RegistrationTarget& target, RegistrationEffort effort) {
  const BodyMetrics& t = target.metrics;
  const double scale = rms > 0 ? t.rms_radius / rms : 1.0;
  // Which neighbouring axes may swap (eigenvalues too close to order them reliably).
  const bool swap01 =
      EigenvaluesClose(eigenvalues[0], eigenvalues[1]) || EigenvaluesClose(t.eigenvalues[0], t.eigenvalues[1]);
  const bool swap12 =
      EigenvaluesClose(eigenvalues[1], eigenvalues[2]) || EigenvaluesClose(t.eigenvalues[1], t.eigenvalues[2]);
  std::array<int, 3> perm = {0, 1, 2};
  std::vector<Similarity> starts;
  do {
    const bool identity = perm == std::array<int, 3>{0, 1, 2};
    const bool only01 = perm == std::array<int, 3>{1, 0, 2};
    const bool only12 = perm == std::array<int, 3>{0, 2, 1};
    if (!(identity || (swap01 && swap12) || (swap01 && only01) || (swap12 && only12))) continue;
    for (int signs = 0; signs < 8; ++signs) {
      Eigen::Matrix3d m = Eigen::Matrix3d::Zero();
      for (int k = 0; k < 3; ++k) m(perm[k], k) = (signs >> k) & 1 ? -1.0 : 1.0;
      const int turns = (swap01 || swap12) ? kInPlaneStarts : 1;
      const Eigen::Vector3d turn_axis = swap01 ? Eigen::Vector3d::UnitZ() : Eigen::Vector3d::UnitX();
      for (int turn = 0; turn < turns; ++turn) {
        const Eigen::Matrix3d spin = Eigen::AngleAxisd(std::numbers::pi * turn / turns, turn_axis).toRotationMatrix();
        Similarity s;
        s.rotation = t.axes * m * spin * axes.transpose();
        if (s.rotation.determinant() < 0) continue;
        s.scale = scale;
        s.translation = t.centroid - scale * (s.rotation * centroid);
        starts.push_back(s);
      }
    }
  } while (std::next_permutation(perm.begin(), perm.end()));

  // Coarse pass over the starts; the best few are screened as contenders below (one coarse pass is not enough
  // when two starts end close but only one of them is the true pose).
  std::vector<IcpState> coarse;
  // Many starts (up to 144 for a part with two close eigenvalues) get a glance of kGlanceIcpIterations steps
  // on kGlanceIcpSamples points first; only the kGlanceKept best go through the coarse pass.
  if (starts.size() > kGlanceKept) {
    std::vector<IcpState> glanced;
    glanced.reserve(starts.size());
    for (const Similarity& start : starts) glanced.push_back(RunIcp(points, kGlanceIcpSamples, start, kGlanceIcpIterations, target));
    std::partial_sort(glanced.begin(), glanced.begin() + kGlanceKept, glanced.end(),
                      [](const IcpState& a, const IcpState& b) { return a.error < b.error; });
    starts.clear();
    for (size_t i = 0; i < kGlanceKept; ++i) starts.push_back(glanced[i].transform);
  }
  for (const Similarity& start : starts) coarse.push_back(RunIcp(points, kCoarseIcpSamples, start, kCoarseIcpIterations, target));
  std::sort(coarse.begin(), coarse.end(), [](const IcpState& a, const IcpState& b) { return a.error < b.error; });
  // The contenders are screened by a shorter ICP on fewer points, and only the best is refined in full: the
  // screen separates two poses that ended close after the coarse pass at a fraction of a full refinement.
  // A thorough registration screens more contenders and picks by the untrimmed distance (see
  // RegistrationEffort).
  const bool thorough = effort == RegistrationEffort::kThorough;
  IcpState best;
  size_t contenders = 0;
  for (size_t i = 0; i < coarse.size() && i < (thorough ? kThoroughRefinedStarts : kRefinedStarts); ++i) {
    // A start whose coarse error is far above the best one's is another pose, not a contender.
    if (i > 0 && coarse[i].error > kRefineErrorRatio * coarse[0].error) break;
    ++contenders;
  }
  if (contenders == 1) {
    best = coarse[0];
  } else {
    double best_untrimmed = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < contenders; ++i) {
      IcpState screened = RunIcp(points, kScreenIcpSamples, coarse[i].transform, kScreenIcpIterations, target);
      if (thorough) {
        const double untrimmed = UntrimmedMeanDistance(points, kScreenIcpSamples, screened.transform, target);
        if (untrimmed < best_untrimmed) {
          best_untrimmed = untrimmed;
          best = screened;
        }
      } else if (screened.error < best.error) {
        best = screened;
      }
    }
  }
  best = RunIcp(points, kVerificationSamples, best.transform, kIcpIterations, target);
  return best.transform;
}

// The template's symmetry axis (unit, template coordinates), or nullopt when no single axis stands apart.
std::optional<Eigen::Vector3d> NearSymmetryAxis(const BodyMetrics& t) {
  const bool close01 = EigenvaluesClose(t.eigenvalues[0], t.eigenvalues[1]);
  const bool close12 = EigenvaluesClose(t.eigenvalues[1], t.eigenvalues[2]);
  if (close01 == close12) return std::nullopt;  // no close pair, or all three close (no single axis)
  return Eigen::Vector3d(t.axes.col(close01 ? 2 : 0).normalized());
}

}  // namespace

bool HasNearSymmetryAxis(const BodyMetrics& template_metrics) { return NearSymmetryAxis(template_metrics).has_value(); }

bool TurnAboutSymmetryAxis(const DescribedBody& query, const RegistrationTarget& target, Registration* registration,
                           int threads) {
  const std::optional<Eigen::Vector3d> axis = NearSymmetryAxis(target.metrics);
  if (!axis || target.points.empty()) return false;
  const bool parallel = threads > 1;
  // A mirrored registration is searched on the reflected query, as RegisterHandedness does.
  const bool mirrored = registration->transform.mirrored();
  const Eigen::Matrix3d flip = ReflectX();
  const std::vector<Eigen::Vector3d> reflected =
      mirrored ? ReflectedX(query.samples.points) : std::vector<Eigen::Vector3d>{};
  const std::vector<Eigen::Vector3d>& points = mirrored ? reflected : query.samples.points;
  Similarity original = registration->transform;
  if (mirrored) original.rotation = original.rotation * flip;
  const double original_trimmed = RunIcp(points, kCoarseIcpSamples, original, 1, target).error;
  // Every turn settles onto its nearest tooth by a few coarse ICP steps (the turns are independent: two threads).
  const Eigen::Vector3d& centre = target.metrics.centroid;
  std::vector<IcpState> coarse(kSymmetryTurnSteps);  // [0] unused: the original pose
  ForEachIndex(kSymmetryTurnSteps - 1, parallel, [&](size_t i) {
    const int step = static_cast<int>(i) + 1;
    const Eigen::Matrix3d turn =
        Eigen::AngleAxisd(2 * std::numbers::pi * step / kSymmetryTurnSteps, *axis).toRotationMatrix();
    Similarity start = original;
    start.rotation = turn * original.rotation;
    start.translation = centre + turn * (original.translation - centre);
    coarse[step] = RunIcp(points, kCoarseIcpSamples, start, kCoarseIcpIterations, target);
  });
  // Only turns that settled onto another tooth (a trimmed error like the original's) are contenders, and each
  // tooth once (the first turn, in turn order, that reached it).
  const double same_cos = std::cos(kSymmetryTurnSameDegrees * std::numbers::pi / 180.0);
  std::vector<Eigen::Matrix3d> seen = {original.rotation};
  std::vector<std::pair<double, Similarity>> turned;  // untrimmed error on the coarse points, pose
  for (int step = 1; step < kSymmetryTurnSteps; ++step) {
    if (!(coarse[step].error <= kSymmetryTurnCoarseRatio * original_trimmed)) continue;
    auto same_pose = [&](const Eigen::Matrix3d& r) {
      return ((r.transpose() * coarse[step].transform.rotation).trace() - 1) / 2 > same_cos;
    };
    if (std::any_of(seen.begin(), seen.end(), same_pose)) continue;
    seen.push_back(coarse[step].transform.rotation);
    turned.emplace_back(0.0, coarse[step].transform);
  }
  if (turned.empty()) return false;
  ForEachIndex(turned.size(), parallel, [&](size_t i) {
    turned[i].first = UntrimmedMeanDistance(points, kCoarseIcpSamples, turned[i].second, target);
  });
  // A part without teeth (a tube keyed by a flat) leaves a contender at nearly every turn: only the
  // kSymmetryTurnSettled with the smallest untrimmed error are refined and compared on all points, with the
  // original pose. Every pose gets the same short refinement, so that none wins by being better converged.
  const size_t settled_count = std::min(turned.size(), kSymmetryTurnSettled);
  std::partial_sort(turned.begin(), turned.begin() + settled_count, turned.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<double, Similarity>> settled(settled_count + 1);  // [0]: the original pose
  ForEachIndex(settled.size(), parallel, [&](size_t i) {
    const Similarity& start = i == 0 ? original : turned[i - 1].second;
    const Similarity pose =
        RunIcp(points, kVerificationSamples, start, kSymmetryTurnRefineIterations, target).transform;
    settled[i] = {UntrimmedMeanDistance(points, kVerificationSamples, pose, target), pose};
  });
  const double original_error = settled[0].first;
  const auto best = std::min_element(settled.begin() + 1, settled.end(),
                                     [](const auto& a, const auto& b) { return a.first < b.first; });
  if (!(best->first < kSymmetryTurnGain * original_error)) return false;
  registration->transform = RunIcp(points, kVerificationSamples, best->second, kIcpIterations, target).transform;
  if (mirrored) registration->transform.rotation = registration->transform.rotation * flip;
  return true;
}

static_assert(kDescriptorSamples <= NeighbourTable::kMaxPoints && kTemplateSamples <= NeighbourTable::kMaxPoints,
              "the scored sample sets must fit a NeighbourTable");

ScoringNeighbours::ScoringNeighbours(const std::vector<Eigen::Vector3d>& points, const PointIndex& index,
                                     bool parallel)
    : local(points, index, kLocalDeviationNeighbours, 1, parallel),
      systematic(points, index, kSystematicNeighbours, kSystematicStride, parallel) {}

QueryScoringSide::QueryScoringSide(const DescribedBody& query, int threads)
    : triangles(query.mesh), neighbours(query.samples.points, PointIndex(query.samples.points), threads > 1) {}

const ScoringNeighbours& RegistrationTarget::neighbours() const {
  std::call_once(neighbours_once_, [&] {
    neighbours_ = std::make_unique<ScoringNeighbours>(points, *index, DefaultWorkerThreads() > 1);
  });
  return *neighbours_;
}

std::unique_ptr<RegistrationTarget> RegistrationTarget::From(const DescribedBody& body, int sample_count) {
  auto target = std::make_unique<RegistrationTarget>();
  const size_t n = std::min(body.samples.points.size(), static_cast<size_t>(sample_count));
  target->points.assign(body.samples.points.begin(), body.samples.points.begin() + n);
  target->normals.assign(body.samples.normals.begin(), body.samples.normals.begin() + n);
  target->metrics = body.metrics;
  target->spacing = n > 0 ? std::sqrt(body.metrics.area / n) : 0;
  target->index = std::make_unique<PointIndex>(target->points);
  target->triangles = std::make_unique<TriangleIndex>(body.mesh);
  return target;
}

AlignmentScore ScoreAlignment(const std::vector<Eigen::Vector3d>& query_points,
                              const std::vector<Eigen::Vector3d>& query_normals, double query_area,
                              const Similarity& transform, const RegistrationTarget& target, ScoreDetail detail,
                              const QueryScoringSide* query_side) {
  AlignmentScore score;
  const size_t n = query_points.size();
  if (n == 0 || target.points.empty()) return score;
  score.tolerance = kCoverageTolerance * target.metrics.diagonal();
  std::vector<Eigen::Vector3d> moved(n), moved_normals(n);
  for (size_t i = 0; i < n; ++i) {
    moved[i] = transform.Apply(query_points[i]);
    moved_normals[i] = transform.rotation * query_normals[i];
  }
  const double query_spacing = std::sqrt(query_area * transform.scale * transform.scale / n);
  const bool exact = detail == ScoreDetail::kFull && query_side != nullptr && !query_side->triangles.empty() &&
                     target.triangles != nullptr && !target.triangles->empty() && transform.scale > 0;
  const bool full = detail == ScoreDetail::kFull;
  // An exact offset is signed (along the face normal) inside a face, so that noise averages out locally;
  // past an edge or corner (a gap, a missing face) it is unsigned and does not.
  auto exact_offset = [](const TriangleIndex::Closest& c, const Eigen::Vector3d& p, double scale) {
    SurfaceOffset o;
    if (c.on_face_interior) o.along = scale * (p - c.point).dot(c.normal);
    else o.excess = scale * c.distance;
    return o;
  };
  auto distances = [](const std::vector<SurfaceOffset>& offsets) {
    std::vector<double> d(offsets.size());
    for (size_t i = 0; i < offsets.size(); ++i) d[i] = offsets[i].distance();
    return d;
  };
  // A k-d tree over the moved query points, for the point-to-surface distances from the template side and for
  // neighbour tables the caller did not prepare; an exact score (query_side given) needs neither.
  std::optional<PointIndex> moved_index;
  if (!exact) moved_index.emplace(moved);
  // The query's neighbour tables: prepared by the caller, or built here on the moved points (the same lists).
  std::unique_ptr<ScoringNeighbours> own_neighbours;
  if (full && query_side == nullptr) own_neighbours = std::make_unique<ScoringNeighbours>(moved, *moved_index);
  const ScoringNeighbours* query_neighbours = query_side != nullptr ? &query_side->neighbours : own_neighbours.get();
  // The two directions are independent; a full score runs the template-to-query one on a helper thread
  // (kDistances scores run inside the per-handedness threads of the matcher, so they stay on one).
  struct Direction {
    std::vector<SurfaceOffset> offsets;
    std::vector<double> distances, local;
    double systematic = 0;
  };
  Direction forward, backward;
  // The template's tables, on its first full score: built here on both threads, not inside the backward
  // direction on one while the forward direction waits for it.
  if (full) target.neighbours();
  auto run_forward = [&] {
    forward.offsets.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (exact) {
        forward.offsets[i] = exact_offset(target.triangles->ClosestTo(moved[i]), moved[i], 1.0);
        continue;
      }
      double d2;
      size_t j = target.index->Nearest(moved[i], &d2);
      forward.offsets[i] = OffsetFromSurface(moved[i] - target.points[j], target.normals[j], target.spacing);
    }
    forward.distances = distances(forward.offsets);
    if (!full) return;
    forward.local = LocalDeviations(query_neighbours->local, forward.offsets);
    forward.systematic = SystematicDeviation(query_neighbours->systematic, forward.offsets);
  };
  auto run_backward = [&] {
    backward.offsets.resize(target.points.size());
    const Eigen::Matrix3d inverse_rotation = transform.rotation.transpose();
    for (size_t j = 0; j < target.points.size(); ++j) {
      if (exact) {
        const Eigen::Vector3d p = inverse_rotation * (target.points[j] - transform.translation) / transform.scale;
        backward.offsets[j] = exact_offset(query_side->triangles.ClosestTo(p), p, transform.scale);
        continue;
      }
      double d2;
      size_t i = moved_index->Nearest(target.points[j], &d2);
      backward.offsets[j] = OffsetFromSurface(target.points[j] - moved[i], moved_normals[i], query_spacing);
    }
    backward.distances = distances(backward.offsets);
    if (!full) return;
    const ScoringNeighbours& target_neighbours = target.neighbours();
    backward.local = LocalDeviations(target_neighbours.local, backward.offsets);
    backward.systematic = SystematicDeviation(target_neighbours.systematic, backward.offsets);
  };
  {
    JoiningThread helper;
    const bool helped = full && DefaultWorkerThreads() > 1 && helper.Start(run_backward);
    run_forward();
    if (helped) helper.Join();
    else run_backward();
  }
  const std::vector<double>& forward_d = forward.distances;
  const std::vector<double>& backward_d = backward.distances;
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  score.chamfer = 0.5 * (mean(forward_d) + mean(backward_d));
  score.hausdorff = std::max(*std::max_element(forward_d.begin(), forward_d.end()),
                             *std::max_element(backward_d.begin(), backward_d.end()));
  score.hausdorff_p95 = std::max(Percentile(forward_d, 0.95), Percentile(backward_d, 0.95));
  score.noise_level = std::max(Percentile(forward_d, 0.5), Percentile(backward_d, 0.5));
  if (!full) return score;
  auto within = [&](const std::vector<double>& v) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), [&](double d) { return d <= score.tolerance; })) /
           v.size();
  };
  score.coverage = within(backward.local);
  score.precision = within(forward.local);
  score.raw_coverage = within(backward_d);
  score.systematic_deviation = std::max(forward.systematic, backward.systematic);
  score.local_deviation = std::max(Percentile(forward.local, kLocalDeviationPercentile),
                                   Percentile(backward.local, kLocalDeviationPercentile));
  return score;
}

Registration RegisterHandedness(const DescribedBody& query, const RegistrationTarget& target, bool mirrored,
                                ScoreDetail detail, RegistrationEffort effort) {
  Registration out;
  const BodyMetrics& q = query.metrics;
  const std::vector<Eigen::Vector3d>& points = query.samples.points;
  if (!mirrored) {
    out.transform = AlignProper(points, q.centroid, q.axes, q.eigenvalues, q.rms_radius, target, effort);
  } else {
    // Reflect the query (x -> -x), align properly, then fold the reflection back in.
    const Eigen::Matrix3d flip = ReflectX();
    const std::vector<Eigen::Vector3d> reflected = ReflectedX(points);
    out.transform =
        AlignProper(reflected, flip * q.centroid, flip * q.axes, q.eigenvalues, q.rms_radius, target, effort);
    out.transform.rotation = out.transform.rotation * flip;
  }
  if (detail == ScoreDetail::kFull) {
    ScoreFully(query, target, &out);
  } else {
    out.score = ScoreAlignment(points, query.samples.normals, q.area, out.transform, target, detail);
  }
  return out;
}

void ScoreFully(const DescribedBody& query, const RegistrationTarget& target, Registration* registration,
                const QueryScoringSide* query_side) {
  std::unique_ptr<QueryScoringSide> own;
  if (query_side == nullptr) {
    own = std::make_unique<QueryScoringSide>(query);
    query_side = own.get();
  }
  registration->score = ScoreAlignment(query.samples.points, query.samples.normals, query.metrics.area,
                                       registration->transform, target, ScoreDetail::kFull, query_side);
}

RegistrationResult Register(const DescribedBody& query, const RegistrationTarget& target) {
  return {RegisterHandedness(query, target, false), RegisterHandedness(query, target, true)};
}

}  // namespace interdict::mesh
