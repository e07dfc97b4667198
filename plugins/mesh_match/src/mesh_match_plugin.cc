// org.interdict.mesh_match: the mesh analyser as a plugin. create() verifies the template pack named in the
// configuration and opens its library (before the worker locks itself down, so no file is opened after);
// process() reads the model only through the host (ReadAt), analyses it, and emits findings, a thumbnail per
// body and an overlay per match as artifacts.
//
// Configuration: {"templates": "/abs/pack", "trusted_keys": ["hex", ...], "allow_unsigned": false,
//                 "shortlist": 8, "render": true}; without "templates" it uses the bundled pack
//                 (DefaultTemplatePackDir) and its trust keys, and only describes if there is no pack at all.
// Job parameters: {"mode": "match" | "describe"}; describe emits one "mesh-description" info finding.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "interdict/plugin.hpp"
#include "mesh_analysis.h"
#include "mesh_limits.h"
#include "svg_render.h"
#include "template_pack.h"

namespace {

using namespace interdict;
using namespace interdict::mesh;

constexpr size_t kReadChunkBytes = 8u << 20;

interdict_status ToAbiStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return INTERDICT_OK;
    case StatusCode::kCorrupt: return INTERDICT_CORRUPT_INPUT;
    case StatusCode::kLimitExceeded: return INTERDICT_LIMIT_EXCEEDED;
    case StatusCode::kCancelled: return INTERDICT_CANCELLED;
    case StatusCode::kUnreadable:
    case StatusCode::kIoError: return INTERDICT_IO_ERROR;
    default: return INTERDICT_INTERNAL;
  }
}

class MeshMatchPlugin {
 public:
  static std::unique_ptr<MeshMatchPlugin> Create(const sdk::Host& /*host*/, std::string_view config_json,
                                                 std::string* error) {
    nlohmann::json config = nlohmann::json::parse(config_json, nullptr, false);
    if (config.is_discarded() || !config.is_object()) config = nlohmann::json::object();
    auto plugin = std::unique_ptr<MeshMatchPlugin>(new MeshMatchPlugin());
    plugin->options_.shortlist = config.value("shortlist", static_cast<size_t>(kShortlistSize));
    plugin->render_ = config.value("render", true);
    std::string pack_dir = config.value("templates", "");
    if (pack_dir.empty()) {
      // Queued jobs (interdict analyze, lab servers) carry no configuration: match against the bundled pack
      // with the bundled trust keys rather than silently only describing.
      Result<std::filesystem::path> bundled = DefaultTemplatePackDir();
      if (!bundled.ok()) return plugin;
      pack_dir = bundled->string();
      if (!config.contains("trusted_keys")) {
        Result<std::vector<std::string>> keys = LoadTrustedPackKeys(DefaultTemplateTrustedKeysDir());
        if (!keys.ok()) {  // a damaged key folder must not read as "the pack's signer is not trusted"
          *error = "trusted template-pack keys: " + keys.status().ToString();
          return nullptr;
        }
        config["trusted_keys"] = *keys;
      }
    }
    Result<TemplatePack> pack = LoadTemplatePack(pack_dir);
    if (!pack.ok()) {
      *error = "template pack " + pack_dir + ": " + pack.status().ToString();
      return nullptr;
    }
    PackTrustPolicy policy;
    policy.allow_unsigned = config.value("allow_unsigned", false);
    policy.trusted_public_keys = config.value("trusted_keys", std::vector<std::string>());
    // Verifies the pack and reads every template mesh now, in one pass (after create() the sandbox forbids
    // opening files); each template is described when a part first needs it, so a job pays only for the
    // templates its parts are checked against.
    Result<TemplateLibrary> library = OpenVerifiedTemplateLibrary(*pack, policy);
    if (!library.ok()) {
      *error = "template pack " + pack_dir + ": " + library.status().ToString();
      return nullptr;
    }
    plugin->pack_ = PackIdentity{pack->name, pack->version, pack->digest};
    plugin->library_.emplace(std::move(*library));
    return plugin;
  }

  interdict_status Process(sdk::Job& job) {
    const std::string location(job.input_name());
    if (job.input_size() > kMaxMeshFileBytes) {
      return Emit(job, ImportFailureFinding(Status::LimitExceeded("model file of " + std::to_string(job.input_size()) +
                                                                  " bytes is over the limit"),
                                            location));
    }
    std::vector<uint8_t> bytes(job.input_size());
    for (uint64_t offset = 0; offset < bytes.size();) {
      size_t got = 0;
      const size_t want = std::min<uint64_t>(kReadChunkBytes, bytes.size() - offset);
      interdict_status s = job.ReadAt(offset, bytes.data() + offset, want, &got);
      if (s != INTERDICT_OK) return s;
      if (got == 0) break;
      offset += got;
      job.Progress(offset, bytes.size() * 2);
    }
    if (job.Cancelled()) return INTERDICT_CANCELLED;
    nlohmann::json params = nlohmann::json::parse(job.config_json(), nullptr, false);
    const bool describe = params.is_object() && params.value("mode", "match") == "describe";
    TemplateLibrary* library = (describe || !library_) ? nullptr : &*library_;
    Result<FileAnalysis> analysis = AnalyseMesh(bytes, location, library, options_);
    if (!analysis.ok()) {
      if (!analysis.status().IsEvidenceProblem()) return ToAbiStatus(analysis.status());
      return Emit(job, ImportFailureFinding(analysis.status(), location));
    }
    interdict_status status = INTERDICT_OK;
    if (describe) {
      nlohmann::json d = DescribeAnalysis(*analysis);
      status = Emit(job, {{"kind", "mesh-description"},
                          {"severity", "info"},
                          {"location", location},
                          {"summary", std::string(MeshFormatName(analysis->format)) + " with " +
                                          std::to_string(analysis->bodies.size()) + " bodies"},
                          {"description", d}});
    }
    for (const nlohmann::json& f : AnalysisFindings(*analysis, location, pack_, library)) {
      interdict_status s = Emit(job, f);
      if (s != INTERDICT_OK) status = s;
    }
    if (render_) RenderPictures(job, *analysis, location, library);
    job.Progress(1, 1);
    return status;
  }

 private:
  MeshMatchPlugin() = default;

  static interdict_status Emit(sdk::Job& job, const nlohmann::json& finding) { return job.EmitFinding(finding.dump()); }

  void RenderPictures(sdk::Job& job, const FileAnalysis& analysis, const std::string& location, TemplateLibrary* library) {
    for (const AnalysedBody& b : analysis.bodies) {
      const std::string body_location = BodyLocation(location, b.index);
      const std::string thumbnail = RenderThumbnailSvg(b.body.mesh, body_location);
      nlohmann::json meta = {{"name", "body-" + std::to_string(b.index) + ".svg"}, {"media_type", "image/svg+xml"},
                             {"location", body_location}, {"role", "thumbnail"}};
      job.EmitArtifact(meta.dump(), thumbnail.data(), thumbnail.size());
      if (library == nullptr || !b.match.has_template || b.match.tier == MatchTier::kNoMatch ||
          b.match.tier == MatchTier::kIdentical) {
        continue;
      }
      Result<const DescribedBody*> templ = library->Body(b.match.best.template_index);
      if (!templ.ok()) continue;
      const std::string overlay = RenderOverlaySvg(b.body, **templ, b.match.best.registration.transform,
                                                   b.match.best.registration.score.tolerance,
                                                   body_location + " vs " + b.match.template_id);
      nlohmann::json overlay_meta = {{"name", "body-" + std::to_string(b.index) + "-vs-" + b.match.template_id + ".svg"},
                                     {"media_type", "image/svg+xml"}, {"location", body_location}, {"role", "overlay"},
                                     {"template", b.match.template_id}};
      job.EmitArtifact(overlay_meta.dump(), overlay.data(), overlay.size());
    }
  }

  MatchOptions options_;
  bool render_ = true;
  PackIdentity pack_;
  std::optional<TemplateLibrary> library_;
};

}  // namespace

INTERDICT_DEFINE_PLUGIN(MeshMatchPlugin, "org.interdict.mesh_match", "1.0.0",
                        "Geometric matching of 3D-printing files against signed template packs", "match",
                        "model/stl,model/obj,model/3mf,model/ply", "")
