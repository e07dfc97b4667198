// Verification of one candidate by registration: the query body is aligned onto a template with a
// similarity transform (rotation, uniform scale, translation), once restricted to proper rotations and
// once to reflections, so chirality is decided by geometry rather than assumed.
//
// Initialisation: the 8 sign choices of the PCA frames (4 proper + 4 mirrored), plus axis permutations
// where two eigenvalues are within kAmbiguousEigenRatio (near-symmetric parts). Many starts are first
// glanced at (2 ICP steps on 100 points) and the best kGlanceKept kept; those run a few coarse ICP steps;
// up to kRefinedStarts contenders are screened by a short ICP and the best of them is refined by trimmed
// ICP (Umeyama with scale, closest kIcpTrimFraction of pairs), per handedness. Scores are in template units (mm): symmetric Chamfer, Hausdorff
// (max and 95th percentile) and coverage = share of the template surface within the tolerance of the
// aligned query, precision = the reverse. Full scores use exact point-to-triangle distances (samples of one
// side against the triangles of the other) when both meshes are at hand; the distance-only scores used to
// pick the handedness and to reject far candidates are point-to-surface approximations (point-to-plane at
// the nearest sample, with the in-plane excess beyond the sample spacing added back). Coverage, precision and
// local deviation use deviations averaged over each sample's kLocalDeviationNeighbours neighbours, so scan
// noise does not read as a difference while real edits do; Chamfer and Hausdorff are the raw distances.
// When two eigenvalues are close the frame can turn freely in their plane, so kInPlaneStarts rotations about
// the remaining axis are added to the starts.
#ifndef INTERDICT_MESH_MATCH_REGISTRATION_H_
#define INTERDICT_MESH_MATCH_REGISTRATION_H_

#include <memory>
#include <mutex>
#include <vector>

#include <Eigen/Dense>

#include "described_body.h"
#include "point_index.h"

namespace interdict::mesh {

inline constexpr double kAmbiguousEigenRatio = 0.85;  // λ_{k+1}/λ_k above this: axes may swap
inline constexpr size_t kGlanceKept = 12;        // starts kept for the coarse pass when there are more
inline constexpr int kGlanceIcpSamples = 100;
inline constexpr int kGlanceIcpIterations = 2;
inline constexpr int kCoarseIcpSamples = 250;
inline constexpr int kCoarseIcpIterations = 4;
inline constexpr size_t kRefinedStarts = 3;       // contenders screened after the coarse pass, per handedness...
inline constexpr double kRefineErrorRatio = 4.0;  // ...unless their coarse error exceeds 4x the best one's
inline constexpr int kScreenIcpSamples = 1000;    // the contenders are screened by a shorter ICP, and the best
inline constexpr int kScreenIcpIterations = 8;    // of them refined in full
inline constexpr double kIcpConvergence = 1e-4;      // relative change of the trimmed mean squared error
inline constexpr double kCoverageTolerance = 0.01;   // share of the template diagonal
// Local deviation averages the signed point-to-surface offsets of each sample's neighbours: random noise
// averages out, a systematic difference (an extra tooth, a longer tab, a filled hole) does not.
inline constexpr size_t kLocalDeviationNeighbours = 32;
inline constexpr double kLocalDeviationPercentile = 0.99;
inline constexpr int kInPlaneStarts = 6;
inline constexpr size_t kSystematicNeighbours = 256;
inline constexpr size_t kSystematicStride = 8;
// Turns tried about a near-symmetry axis by TurnAboutSymmetryAxis (10 degrees apart: a gear of up to 36 teeth
// has a start within half a tooth of every tooth). A turn is refined only when its coarse trimmed error is
// within kSymmetryTurnCoarseRatio of the original pose's (it settled onto a tooth) and it ended more than
// kSymmetryTurnSameDegrees from every pose kept, and then only the kSymmetryTurnSettled of smallest untrimmed
// error; every pose is refined by
// kSymmetryTurnRefineIterations ICP steps, and a turned pose replaces the original only when its untrimmed
// mean distance is below kSymmetryTurnGain times the original's.
inline constexpr int kSymmetryTurnSteps = 36;
inline constexpr double kSymmetryTurnCoarseRatio = 1.5;
inline constexpr double kSymmetryTurnSameDegrees = 2.0;
inline constexpr int kSymmetryTurnRefineIterations = 8;
inline constexpr size_t kSymmetryTurnSettled = 4;  // contenders refined (smallest untrimmed coarse error)
inline constexpr double kSymmetryTurnGain = 0.8;

struct Similarity {
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();  // orthogonal; det -1 when mirrored
  double scale = 1.0;
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();
  bool mirrored() const { return rotation.determinant() < 0; }
  Eigen::Vector3d Apply(const Eigen::Vector3d& p) const { return scale * (rotation * p) + translation; }
};

struct AlignmentScore {
  double chamfer = 0;        // mean of both directed mean distances
  double hausdorff = 0;      // max of both directed max distances
  double hausdorff_p95 = 0;  // max of both directed 95th percentiles
  double coverage = 0;       // template samples whose local deviation is within tolerance of the query
  double precision = 0;      // query samples whose local deviation is within tolerance of the template
  double raw_coverage = 0;   // template samples whose own distance is within tolerance
  double local_deviation = 0;  // 99th percentile of the locally averaged deviation, both directions
  double tolerance = 0;      // the tolerance used (template units)
  // Robust noise level: the larger of the two directed median distances. Scan-like noise moves every sample,
  // so the median rises with it; an edit (a longer tab, a missing hole) moves a few and leaves it near zero.
  double noise_level = 0;
  // Largest signed offset averaged over a wide patch (kSystematicNeighbours samples around every
  // kSystematicStride-th sample): random noise tilts facets both ways and averages out over a patch, a
  // changed dimension (a longer tab, a thicker wall) shifts a whole patch one way and does not.
  double systematic_deviation = 0;
};

// The neighbour tables of one sample set for the locally averaged scores (local and systematic deviation).
struct ScoringNeighbours {
  ScoringNeighbours(const std::vector<Eigen::Vector3d>& points, const PointIndex& index, bool parallel = false);
  NeighbourTable local;       // kLocalDeviationNeighbours around every point
  NeighbourTable systematic;  // kSystematicNeighbours around every kSystematicStride-th point
};

// The query side of full scores, prepared once per query and shared by all its candidates: its triangles (exact
// distances) and the neighbour tables of its samples (query.samples.points, the points that are scored), built on
// two threads when threads > 1.
struct QueryScoringSide {
  explicit QueryScoringSide(const DescribedBody& query, int threads = 1);
  TriangleIndex triangles;
  ScoringNeighbours neighbours;
};

// The template side, prepared once and reused for every query.
struct RegistrationTarget {
  std::vector<Eigen::Vector3d> points;
  std::vector<Eigen::Vector3d> normals;
  BodyMetrics metrics;
  double spacing = 0;  // typical distance between neighbouring samples
  std::unique_ptr<PointIndex> index;
  std::unique_ptr<TriangleIndex> triangles;  // exact distances for full scores

  static std::unique_ptr<RegistrationTarget> From(const DescribedBody& body, int sample_count);
  // The neighbour tables of points, built on the first full score against this template (thread-safe; on two
  // threads when DefaultWorkerThreads() allows, before the score splits into its two directions) and kept for
  // every later query (about 384 KB at kTemplateSamples; a template that is only registered never needs them).
  const ScoringNeighbours& neighbours() const;

 private:
  mutable std::once_flag neighbours_once_;
  mutable std::unique_ptr<ScoringNeighbours> neighbours_;
};

// How much of AlignmentScore to compute: kDistances fills chamfer, Hausdorff and noise_level only (no
// locally averaged deviations, no coverage or precision), for deciding handedness or rejecting a candidate
// cheaply; kFull fills everything.
enum class ScoreDetail { kDistances, kFull };

struct Registration {
  Similarity transform;  // query coordinates -> template coordinates
  AlignmentScore score;
};

struct RegistrationResult {
  Registration proper;
  Registration mirrored;
};

RegistrationResult Register(const DescribedBody& query, const RegistrationTarget& target);

// kStandard screens up to kRefinedStarts contenders after the coarse pass and keeps the one of smallest
// trimmed error. kThorough, for a second look at a close fit that is not a match, screens up to
// kThoroughRefinedStarts and keeps the one of smallest untrimmed distance: two minima of a near-symmetric part
// (a gear upside down: its faces differ slightly, its keyway tells) differ only in the pairs trimming discards.
enum class RegistrationEffort { kStandard, kThorough };
// Whether two of the template's principal extents are close and the third stands apart: the section about that
// axis may be nearly rotationally symmetric (a gear, a tube), the case TurnAboutSymmetryAxis and kThorough are for.
bool HasNearSymmetryAxis(const BodyMetrics& template_metrics);
inline constexpr size_t kThoroughRefinedStarts = 10;

// One handedness only: the best proper (mirrored = false) or reflected alignment of query onto target.
// Register() is both of these.
Registration RegisterHandedness(const DescribedBody& query, const RegistrationTarget& target, bool mirrored,
                                ScoreDetail detail = ScoreDetail::kFull,
                                RegistrationEffort effort = RegistrationEffort::kStandard);

// A part whose section is almost rotationally symmetric (a gear, a keyed shaft or tube) has one ICP minimum
// per tooth, and trimmed ICP cannot tell them apart: the few pairs that break the symmetry (a keyway, a flat)
// are the ones trimming discards, so the refined pose can sit one tooth off with only that feature misfitting.
// This turns the registration about the template's symmetry axis (the principal axis whose eigenvalue stands
// apart from two close ones) in kSymmetryTurnSteps steps, lets each turn settle onto the nearest tooth with a
// few coarse ICP steps, and scores every distinct pose by its untrimmed mean distance (which the symmetry-breaking
// feature does enter). The best one is refined and replaces *registration (transform only; the caller rescores)
// when it is clearly better. Returns whether it did; false also when the template has no such axis. With threads
// > 1 the turns are searched on two threads; the result does not depend on it.
bool TurnAboutSymmetryAxis(const DescribedBody& query, const RegistrationTarget& target, Registration* registration,
                           int threads = 1);

// Scores an alignment without optimising it (used by Register and by tests). query_side, when given, was
// prepared from the query whose samples query_points are; without it a full score uses point-to-surface
// distances from the query side and builds its neighbour tables itself.
AlignmentScore ScoreAlignment(const std::vector<Eigen::Vector3d>& query_points,
                              const std::vector<Eigen::Vector3d>& query_normals, double query_area,
                              const Similarity& transform, const RegistrationTarget& target,
                              ScoreDetail detail = ScoreDetail::kFull,
                              const QueryScoringSide* query_side = nullptr);
// Rescores a registration of query in full (after a kDistances registration was chosen). query_side, when
// given, is QueryScoringSide(query), built once by the caller for several candidates.
void ScoreFully(const DescribedBody& query, const RegistrationTarget& target, Registration* registration,
                const QueryScoringSide* query_side = nullptr);

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_REGISTRATION_H_
