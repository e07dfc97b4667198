#include "template_library.h"

#include <nanoflann.hpp>

#include "mesh_limits.h"

namespace interdict::mesh {
namespace {

struct DescriptorAdaptor {
  const std::vector<float>* rows;
  size_t kdtree_get_point_count() const { return rows->size() / kDescriptorDims; }
  float kdtree_get_pt(size_t i, size_t dim) const { return (*rows)[i * kDescriptorDims + dim]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const { return false; }
};

using DescriptorKd = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L1_Adaptor<float, DescriptorAdaptor, double>,
                                                         DescriptorAdaptor, kDescriptorDims>;
constexpr size_t kDescriptorLeafSize = 8;

}  // namespace

// Owns its copy of the rows, so moving the library (which moves descriptors_) never leaves the tree pointing
// at a moved-from vector.
struct TemplateLibrary::DescriptorTree {
  explicit DescriptorTree(const std::vector<float>& source)
      : rows(source), adaptor{&rows}, kd(kDescriptorDims, adaptor, nanoflann::KDTreeSingleIndexAdaptorParams(kDescriptorLeafSize)) {
    kd.buildIndex();
  }
  std::vector<float> rows;
  DescriptorAdaptor adaptor;
  DescriptorKd kd;
};

TemplateLibrary::TemplateLibrary(MeshLoader loader) : loader_(std::move(loader)) {}
TemplateLibrary::~TemplateLibrary() = default;
TemplateLibrary::TemplateLibrary(TemplateLibrary&&) noexcept = default;
TemplateLibrary& TemplateLibrary::operator=(TemplateLibrary&&) noexcept = default;

void TemplateLibrary::Add(TemplateRecord record) {
  by_exact_.emplace(record.hashes.exact, records_.size());
  by_quantised_.emplace(record.hashes.quantised, records_.size());
  descriptors_.insert(descriptors_.end(), record.descriptor.begin(), record.descriptor.end());
  records_.push_back(std::move(record));
  tree_.reset();
}

void TemplateLibrary::AddDescribed(TemplateRecord record, const DescribedBody& body) {
  const size_t i = records_.size();
  Add(std::move(record));
  bodies_[i] = std::make_unique<DescribedBody>(body);
  targets_[i] = RegistrationTarget::From(*bodies_[i], kTemplateSamples);
}

void TemplateLibrary::BuildIndex() {
  tree_.reset();
  if (!records_.empty()) tree_ = std::make_unique<DescriptorTree>(descriptors_);
}

std::vector<std::pair<size_t, double>> TemplateLibrary::Shortlist(const ShapeDescriptor& query, size_t k) const {
  std::vector<std::pair<size_t, double>> out;
  if (!tree_ || records_.empty()) return out;
  k = std::min(k, records_.size());
  std::vector<uint32_t> indices(k);
  std::vector<double> distances(k);
  size_t found = tree_->kd.knnSearch(query.data(), k, indices.data(), distances.data());
  for (size_t i = 0; i < found; ++i) out.emplace_back(indices[i], distances[i]);
  return out;
}

std::optional<size_t> TemplateLibrary::FindByExactHash(const std::string& hash) const {
  auto it = by_exact_.find(hash);
  return it == by_exact_.end() ? std::nullopt : std::optional<size_t>(it->second);
}

std::optional<size_t> TemplateLibrary::FindByQuantisedHash(const std::string& hash) const {
  auto it = by_quantised_.find(hash);
  return it == by_quantised_.end() ? std::nullopt : std::optional<size_t>(it->second);
}

Status TemplateLibrary::LoadMesh(size_t i) {
  if (i >= records_.size()) return Status::InvalidArgument("no template " + std::to_string(i));
  if (bodies_.count(i) != 0 || loaded_meshes_.count(i) != 0) return Status::Ok();
  INTERDICT_ASSIGN_OR_RETURN(TriangleMesh mesh, loader_(records_[i]));
  loaded_meshes_.emplace(i, std::move(mesh));
  return Status::Ok();
}

Result<const DescribedBody*> TemplateLibrary::Body(size_t i) {
  if (i >= records_.size()) return Status::InvalidArgument("no template " + std::to_string(i));
  auto found = bodies_.find(i);
  if (found != bodies_.end()) return found->second.get();
  TriangleMesh mesh;
  if (auto loaded = loaded_meshes_.find(i); loaded != loaded_meshes_.end()) {
    mesh = std::move(loaded->second);
    loaded_meshes_.erase(loaded);
  } else {
    INTERDICT_ASSIGN_OR_RETURN(mesh, loader_(records_[i]));
  }
  const TemplateRecord& record = records_[i];
  // A record without an exact hash (built in memory by hand) cannot seed the samples: describe it fully.
  auto body = std::make_unique<DescribedBody>(
      record.hashes.exact.empty() ? DescribeBody(std::move(mesh))
                                  : DescribeKnownBody(std::move(mesh), record.hashes, record.descriptor));
  const DescribedBody* raw = body.get();
  bodies_[i] = std::move(body);
  return raw;
}

Result<const RegistrationTarget*> TemplateLibrary::Target(size_t i) {
  auto found = targets_.find(i);
  if (found != targets_.end()) return found->second.get();
  INTERDICT_ASSIGN_OR_RETURN(const DescribedBody* body, Body(i));
  auto target = RegistrationTarget::From(*body, kTemplateSamples);
  const RegistrationTarget* raw = target.get();
  targets_[i] = std::move(target);
  return raw;
}

AlignmentScore ScoreMirrorSelfFit(const DescribedBody& body, const RegistrationTarget& target) {
  return RegisterHandedness(body, target, true).score;
}

Result<const AlignmentScore*> TemplateLibrary::MirrorSelfFit(size_t i) {
  if (i >= records_.size()) return Status::InvalidArgument("no template " + std::to_string(i));
  if (records_[i].mirror_self_fit) return &*records_[i].mirror_self_fit;
  auto found = mirror_fits_.find(i);
  if (found != mirror_fits_.end()) return &found->second;
  INTERDICT_ASSIGN_OR_RETURN(const RegistrationTarget* target, Target(i));
  INTERDICT_ASSIGN_OR_RETURN(const DescribedBody* body, Body(i));
  return &mirror_fits_.emplace(i, ScoreMirrorSelfFit(*body, *target)).first->second;
}

}  // namespace interdict::mesh
