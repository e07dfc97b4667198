#include "scan_session.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>

namespace interdict::fwscan {

nlohmann::json ScanConfigToJson(const ScanConfig& c) {
  nlohmann::json packs = nlohmann::json::array();
  for (const auto& p : c.packs) packs.push_back(p.string());
  nlohmann::json j = {{"packs", packs},
                      {"allow_unsigned", c.allow_unsigned},
                      {"trusted_keys_dir", c.trusted_keys_dir.string()},
                      {"scan_timeout_s", c.scan.timeout_seconds},
                      {"scan_block_bytes", c.scan.block_bytes},
                      {"report_layers", c.report_layers},
                      {"limits",
                       {{"max_depth", c.limits.max_depth},
                        {"extracted_bytes_factor", c.limits.extracted_bytes_factor},
                        {"max_files_per_container", c.limits.max_files_per_container},
                        {"max_entry_ratio", c.limits.max_entry_ratio},
                        {"wall_time_s", c.limits.wall_time.count()},
                        {"max_member_bytes", c.limits.max_member_bytes}}}};
  if (c.cache_dir) j["cache_dir"] = c.cache_dir->string();
  return j;
}

std::filesystem::path DefaultPacksDir() {
  if (const char* env = std::getenv("INTERDICT_YARA_PACKS"); env && *env) return env;
  return INTERDICT_YARA_SIGNATURES_DIR;
}

std::vector<std::filesystem::path> PacksIn(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> packs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / kPackManifestName)) packs.push_back(entry.path());
  }
  std::sort(packs.begin(), packs.end());
  return packs;
}

Result<ScanConfig> ScanConfigFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("scan configuration is not a JSON object");
  ScanConfig c;
  try {
    if (j.contains("packs")) {
      for (const auto& p : j.at("packs")) c.packs.emplace_back(p.get<std::string>());
    } else {
      c.packs = PacksIn(DefaultPacksDir());
      c.cache_dir = DefaultRuleCacheDir();
    }
    c.allow_unsigned = j.value("allow_unsigned", false);
    if (j.contains("trusted_keys_dir")) c.trusted_keys_dir = j["trusted_keys_dir"].get<std::string>();
    if (j.contains("cache_dir")) c.cache_dir = j["cache_dir"].get<std::string>();
    c.scan.timeout_seconds = j.value("scan_timeout_s", kDefaultScanTimeoutSeconds);
    c.scan.block_bytes = j.value("scan_block_bytes", kDefaultScanBlockBytes);
    c.report_layers = j.value("report_layers", false);
    if (j.contains("limits")) {
      const auto& l = j["limits"];
      c.limits.max_depth = l.value("max_depth", kDefaultMaxDepth);
      c.limits.extracted_bytes_factor = l.value("extracted_bytes_factor", kDefaultExtractedBytesFactor);
      c.limits.max_files_per_container = l.value("max_files_per_container", kDefaultMaxFilesPerContainer);
      c.limits.max_entry_ratio = l.value("max_entry_ratio", kDefaultMaxEntryRatio);
      c.limits.wall_time = std::chrono::seconds(l.value("wall_time_s", static_cast<int64_t>(kDefaultWallTime.count())));
      c.limits.max_member_bytes = l.value("max_member_bytes", kMaxInMemoryMemberBytes);
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("scan configuration: ") + e.what());
  }
  if (c.packs.empty()) return Status::InvalidArgument("no rule packs configured");
  return c;
}

Result<std::shared_ptr<const RuleSet>> LoadVerifiedRuleSet(const ScanConfig& config) {
  TrustPolicy policy;
  policy.allow_unsigned = config.allow_unsigned;
  INTERDICT_ASSIGN_OR_RETURN(policy.trusted_public_keys, LoadTrustedKeys(config.trusted_keys_dir));
  std::vector<RulePack> packs;
  for (const auto& dir : config.packs) {
    INTERDICT_ASSIGN_OR_RETURN(RulePack pack, LoadPack(dir));
    INTERDICT_RETURN_IF_ERROR(VerifyPack(pack, policy));
    packs.push_back(std::move(pack));
  }
  RuleSetOptions options;
  options.cache_dir = config.cache_dir;
  std::vector<CompileDiagnostic> diagnostics;
  return BuildRuleSet(packs, options, &diagnostics);
}

std::vector<InputResult> ScanFiles(const std::vector<std::filesystem::path>& inputs,
                                   std::shared_ptr<const RuleSet> rules, const ScanConfig& config, int threads) {
  std::vector<InputResult> results(inputs.size());
  std::atomic<size_t> next{0};
  auto work = [&]() {
    Result<std::unique_ptr<LayerScanner>> scanner = LayerScanner::Create(rules, config.scan);
    for (size_t i = next++; i < inputs.size(); i = next++) {
      InputResult& r = results[i];
      r.name = inputs[i].filename().string();
      if (!scanner.ok()) {
        r.status = scanner.status();
        continue;
      }
      Result<SourcePtr> source = OpenFileSource(inputs[i]);
      if (!source.ok()) {
        r.status = source.status();
        continue;
      }
      WalkOptions walk;
      walk.limits = config.limits;
      walk.report_layers = config.report_layers;
      walk.input_path = inputs[i];
      Result<WalkSummary> summary = WalkInput(r.name, *source, **scanner, walk, [&](const nlohmann::json& record) {
        r.lines.push_back(record.dump());
        return Status::Ok();
      });
      if (summary.ok()) r.summary = *summary;
      else r.status = summary.status();
    }
  };
  int n = std::max(1, std::min<int>(threads, static_cast<int>(inputs.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return results;
}

}  // namespace interdict::fwscan
