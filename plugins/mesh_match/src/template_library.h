// The templates a query is matched against: per template its id, geometry hashes and descriptor in memory,
// a k-d tree over the descriptors for retrieval (nanoflann, L1 metric: sublinear in the number of templates
// when descriptors cluster, never worse than a scan), and registration targets built on first use from the
// template's mesh (so a 10,000-template library costs descriptors, not meshes, in RAM).
// Not thread-safe: Target(), Body() and MirrorSelfFit() fill caches. One library per thread, or guard it.
#ifndef INTERDICT_MESH_MATCH_TEMPLATE_LIBRARY_H_
#define INTERDICT_MESH_MATCH_TEMPLATE_LIBRARY_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "described_body.h"
#include "registration.h"

namespace interdict::mesh {

struct TemplateRecord {
  std::string id;        // stable, e.g. "bracket-003"
  std::string name;      // for people
  std::string mesh_path; // where the loader finds the reference mesh (pack-relative or absolute)
  GeometryHashes hashes;
  ShapeDescriptor descriptor{};
  double diagonal = 0;   // template units (mm)
  // The score of the template's best reflected alignment onto itself (ScoreMirrorSelfFit), precomputed by
  // `interdict templates build`. Empty for a pack built before it was stored: then computed on first use.
  std::optional<AlignmentScore> mirror_self_fit = std::nullopt;
};

// The score of the best reflected alignment of a template onto itself (target built from body). If it fits
// within the match thresholds the template is (nearly) achiral, its mirror image is itself, and "mirrored" cannot
// be decided for it (the matcher interprets this; see IsAchiral in matcher.h). Deterministic. About 30 ms for a
// stand-in part, which is why `templates build` stores it rather than every job computing it.
AlignmentScore ScoreMirrorSelfFit(const DescribedBody& body, const RegistrationTarget& target);

class TemplateLibrary {
 public:
  using MeshLoader = std::function<Result<TriangleMesh>(const TemplateRecord&)>;
  explicit TemplateLibrary(MeshLoader loader);
  ~TemplateLibrary();
  TemplateLibrary(TemplateLibrary&&) noexcept;
  TemplateLibrary& operator=(TemplateLibrary&&) noexcept;

  // Adds a template; call BuildIndex() after the last one.
  void Add(TemplateRecord record);
  // Adds a template whose body is already described (its registration target is kept ready).
  void AddDescribed(TemplateRecord record, const DescribedBody& body);
  void BuildIndex();

  size_t size() const { return records_.size(); }
  const TemplateRecord& record(size_t i) const { return records_[i]; }

  // The k templates nearest by descriptor (index, L1 distance), nearest first.
  std::vector<std::pair<size_t, double>> Shortlist(const ShapeDescriptor& query, size_t k) const;
  std::optional<size_t> FindByExactHash(const std::string& hash) const;
  std::optional<size_t> FindByQuantisedHash(const std::string& hash) const;

  // Reads template i's mesh now, through the loader, and keeps it until the template is first used, when it is
  // described. For a caller that may not open files later (the plugin, whose sandbox forbids it after create()):
  // reading is cheap, describing is the costly part and is left to the parts that need the template.
  Status LoadMesh(size_t i);
  // The registration target (and described body) of template i, loading and describing its mesh once. The body's
  // hashes and descriptor are the record's (DescribeKnownBody): only what registration needs is computed.
  Result<const RegistrationTarget*> Target(size_t i);
  Result<const DescribedBody*> Body(size_t i);
  // ScoreMirrorSelfFit of template i: the record's precomputed score, else computed once on first use and cached.
  Result<const AlignmentScore*> MirrorSelfFit(size_t i);

 private:
  struct DescriptorTree;
  MeshLoader loader_;
  std::vector<TemplateRecord> records_;
  std::vector<float> descriptors_;  // row-major, kDescriptorDims per template
  std::unique_ptr<DescriptorTree> tree_;
  std::map<std::string, size_t> by_exact_;
  std::map<std::string, size_t> by_quantised_;
  std::map<size_t, TriangleMesh> loaded_meshes_;  // read by LoadMesh, not yet described
  std::map<size_t, std::unique_ptr<DescribedBody>> bodies_;
  std::map<size_t, std::unique_ptr<RegistrationTarget>> targets_;
  std::map<size_t, AlignmentScore> mirror_fits_;
};

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_TEMPLATE_LIBRARY_H_
