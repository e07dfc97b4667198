// org.interdict.firmware_scan: the firmware scanner as a plugin. create() loads, verifies and compiles the
// rule packs named in the plugin configuration (before the worker locks itself down); process() reads the
// input only through the host (ReadAt), walks and scans it, emits every record as a finding and every
// extracted 3D model (STL/OBJ/3MF/PLY) as an artifact, so the mesh plugin receives meshes found inside
// handset images without anyone asking.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "interdict/plugin.hpp"
#include "layer_walker.h"
#include "scan_session.h"

namespace {

using namespace interdict;
using namespace interdict::fwscan;

// Extracted models larger than this are reported but not handed on as artifacts.
constexpr uint64_t kMaxModelArtifactBytes = 256ull << 20;
constexpr size_t kArtifactChunkBytes = 1 << 20;

std::string ModelMediaType(const std::string& name) {
  std::string ext = std::filesystem::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".stl") return "model/stl";
  if (ext == ".obj") return "model/obj";
  if (ext == ".3mf") return "model/3mf";
  if (ext == ".ply") return "model/ply";
  return "";
}

interdict_status ToAbiStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return INTERDICT_OK;
    case StatusCode::kCorrupt: return INTERDICT_CORRUPT_INPUT;
    case StatusCode::kUnreadable: return INTERDICT_IO_ERROR;
    case StatusCode::kCancelled: return INTERDICT_CANCELLED;
    case StatusCode::kLimitExceeded: return INTERDICT_LIMIT_EXCEEDED;
    case StatusCode::kTimeout: return INTERDICT_TIMEOUT;
    case StatusCode::kInvalidArgument: return INTERDICT_INVALID_ARGUMENT;
    case StatusCode::kUnsupported: return INTERDICT_UNSUPPORTED;
    default: return INTERDICT_INTERNAL;
  }
}

class FirmwareScanPlugin {
 public:
  static std::unique_ptr<FirmwareScanPlugin> Create(const sdk::Host& /*host*/, std::string_view config_json,
                                                    std::string* error) {
    nlohmann::json json = nlohmann::json::parse(config_json, nullptr, false);
    Result<ScanConfig> config = ScanConfigFromJson(json);
    if (!config.ok()) {
      *error = config.status().ToString();
      return nullptr;
    }
    Result<std::shared_ptr<const RuleSet>> rules = LoadVerifiedRuleSet(*config);
    if (!rules.ok()) {
      *error = rules.status().ToString();
      return nullptr;
    }
    return std::unique_ptr<FirmwareScanPlugin>(new FirmwareScanPlugin(std::move(*config), std::move(*rules)));
  }

  interdict_status Process(sdk::Job& job) {
    Result<std::unique_ptr<LayerScanner>> scanner = LayerScanner::Create(rules_, config_.scan);
    if (!scanner.ok()) {
      job.Log(INTERDICT_LOG_ERROR, scanner.status().ToString());
      return INTERDICT_INTERNAL;
    }
    SourcePtr input = MakeCallbackSource(job.input_size(), [&job](uint64_t offset, void* buffer, size_t length) -> Result<size_t> {
      size_t got = 0;
      interdict_status s = job.ReadAt(offset, buffer, length, &got);
      if (s != INTERDICT_OK) return Status::Unreadable("host read failed at offset " + std::to_string(offset));
      return got;
    });
    uint64_t layers = 0;
    WalkOptions walk;
    walk.limits = config_.limits;
    walk.report_layers = config_.report_layers;
    walk.cancelled = [&job] { return job.Cancelled(); };
    walk.on_layer = [&](const LayerVisit& visit) -> Status {
      job.Progress(++layers, 0);
      return EmitModelArtifact(job, visit);
    };
    std::string name(job.input_name());
    Result<WalkSummary> summary = WalkInput(name.empty() ? "input" : name, input, **scanner, walk,
                                            [&job](const nlohmann::json& record) -> Status {
                                              if (job.EmitFinding(record.dump()) != INTERDICT_OK) {
                                                return Status::Internal("host refused a finding");
                                              }
                                              return Status::Ok();
                                            });
    if (!summary.ok()) {
      job.Log(INTERDICT_LOG_ERROR, summary.status().ToString());
      return ToAbiStatus(summary.status());
    }
    return INTERDICT_OK;
  }

 private:
  FirmwareScanPlugin(ScanConfig config, std::shared_ptr<const RuleSet> rules)
      : config_(std::move(config)), rules_(std::move(rules)) {}

  Status EmitModelArtifact(sdk::Job& job, const LayerVisit& visit) {
    if (visit.chain.size() < 2) return Status::Ok();
    const ChainLink& self = visit.chain.back();
    std::string media_type = ModelMediaType(self.name);
    if (media_type.empty() || visit.source.size() > kMaxModelArtifactBytes) return Status::Ok();
    nlohmann::json meta = {{"name", std::filesystem::path(self.name).filename().string()},
                           {"media_type", media_type},
                           {"location", self.location},
                           {"role", "extracted"},
                           {"sha256", self.sha256},
                           {"parent_sha256", visit.chain[visit.chain.size() - 2].sha256}};
    uint64_t handle = 0;
    if (job.BeginArtifact(meta.dump(), &handle) != INTERDICT_OK) return Status::Internal("host refused an artifact");
    std::vector<uint8_t> buffer(kArtifactChunkBytes);
    for (uint64_t offset = 0; offset < visit.source.size();) {
      INTERDICT_ASSIGN_OR_RETURN(size_t got, visit.source.ReadAt(offset, buffer.data(), buffer.size()));
      if (got == 0) break;
      if (job.WriteArtifact(handle, buffer.data(), got) != INTERDICT_OK) {
        job.EndArtifact(handle);
        return Status::Internal("host refused artifact data");
      }
      offset += got;
    }
    if (job.EndArtifact(handle) != INTERDICT_OK) return Status::Internal("host refused to close an artifact");
    return Status::Ok();
  }

  ScanConfig config_;
  std::shared_ptr<const RuleSet> rules_;
};

}  // namespace

INTERDICT_DEFINE_PLUGIN(FirmwareScanPlugin, "org.interdict.firmware_scan", "1.0.0",
                        "Recursive unpacking of handset images and YARA matching with signed rule packs", "scan", "*",
                        "")
