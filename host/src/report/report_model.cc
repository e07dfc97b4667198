#include "report/report_model.h"

#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>

#include "core/clock.h"
#include "core/files.h"
#include "core/hash.h"
#include "report/text_encoding.h"

namespace interdict {
namespace {

using json = nlohmann::json;

std::string Capped(std::string text) {
  if (text.size() > kMaxDetailTextBytes) text.resize(kMaxDetailTextBytes);
  return text;
}

// A JSON scalar as display text; objects and arrays as compact JSON.
std::string ScalarText(const json& value) {
  if (value.is_string()) return Capped(value.get<std::string>());
  return Capped(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::optional<uint64_t> AsUnsigned(const json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v >= 0) return static_cast<uint64_t>(v);
    return std::nullopt;
  }
  if (value.is_string()) {  // "0x1f00" or "4096"
    const std::string text = value.get<std::string>();
    if (text.empty() || text.size() > 20) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const unsigned long long parsed = std::strtoull(text.c_str(), &end, 0);
    if (errno != 0 || end == nullptr || *end != '\0' || text[0] == '-') return std::nullopt;
    return parsed;
  }
  return std::nullopt;
}

std::optional<uint64_t> Field(const json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  return AsUnsigned(*it);
}

std::string StringField(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return ScalarText(*it);
}

// Hex text to bytes, keeping at most max_bytes; tolerates spaces. Returns nullopt on non-hex text.
std::optional<std::string> HexToBytes(const std::string& hex, size_t max_bytes, bool* truncated) {
  std::string digits;
  for (char c : hex) {
    if (c == ' ' || c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    digits += c;
  }
  if (digits.size() % 2 != 0) return std::nullopt;
  *truncated = digits.size() / 2 > max_bytes;
  if (*truncated) digits.resize(max_bytes * 2);
  Result<std::vector<uint8_t>> bytes = FromHex(digits);
  if (!bytes.ok()) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

void AddExcerpt(ReportFinding& finding, std::string label, const json& hex, std::optional<uint64_t> offset) {
  if (finding.excerpts.size() >= kMaxExcerptsPerFinding || !hex.is_string()) return;
  bool truncated = false;
  std::optional<std::string> bytes = HexToBytes(hex.get<std::string>(), kMaxExcerptBytes, &truncated);
  if (!bytes.has_value()) return;
  finding.excerpts.push_back({Capped(std::move(label)), offset.value_or(0), std::move(*bytes), truncated});
}

void AddPictureReference(ReportFinding& finding, const json& value) {
  if (!value.is_string()) return;
  std::string sha = value.get<std::string>();
  if (sha.size() != 64 || !std::all_of(sha.begin(), sha.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return;
  }
  if (finding.picture_sha256.size() >= kMaxPicturesPerFinding) return;
  if (std::find(finding.picture_sha256.begin(), finding.picture_sha256.end(), sha) != finding.picture_sha256.end()) {
    return;
  }
  finding.picture_sha256.push_back(std::move(sha));
}

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}


// Sector size for sector-numbered bad ranges: source.sector_size of an acquisition log, else 512.
uint64_t SectorSize(const json& details) {
  constexpr uint64_t kDefaultSectorBytes = 512;
  constexpr uint64_t kMaxSectorBytes = 1u << 20;
  auto source = details.find("source");
  if (source == details.end() || !source->is_object()) return kDefaultSectorBytes;
  const std::optional<uint64_t> size = Field(*source, "sector_size");
  return size && *size > 0 && *size <= kMaxSectorBytes ? *size : kDefaultSectorBytes;
}

// The USB imager records its whole acquisition log (schema "interdict.acquisition-log/1") as the evidence
// details: device identity under "source", hashes under "digests", source and image re-read verification.
void ReadAcquisitionLog(const json& details, AcquisitionSummary& summary) {
  if (auto source = details.find("source"); source != details.end() && source->is_object()) {
    for (const char* key : {"uri", "kind", "serial", "sector_size"}) {
      if (std::string value = StringField(*source, key); !value.empty() && value != "\"\"") {
        summary.device.emplace_back(key, value);
      }
    }
    if (auto identity = source->find("details"); identity != source->end() && identity->is_object()) {
      for (const auto& [key, value] : identity->items()) {
        if (summary.device.size() >= kMaxDeviceFields) break;
        std::pair<std::string, std::string> field{Capped(key), ScalarText(value)};
        if (std::find(summary.device.begin(), summary.device.end(), field) == summary.device.end()) {
          summary.device.push_back(std::move(field));
        }
      }
    }
    if (!summary.size_bytes) summary.size_bytes = Field(*source, "capacity_bytes");
  }
  if (summary.hashes.empty()) {
    if (auto digests = details.find("digests"); digests != details.end() && digests->is_object()) {
      for (const auto& [key, value] : digests->items()) {
        if (summary.hashes.size() >= kMaxDeviceFields) break;
        summary.hashes.emplace_back(Capped(key), ScalarText(value));
      }
    }
  }
  auto verification = details.find("verification");
  if (verification == details.end() || !verification->is_object() || verification->contains("verified") ||
      verification->contains("status")) {
    return;
  }
  bool any_ran = false, all_match = true;
  std::string detail;
  for (const char* side : {"source", "image"}) {
    auto it = verification->find(side);
    if (it == verification->end() || !it->is_object()) continue;
    const bool ran = it->value("ran", false);
    const bool matches = it->contains("matches") && (*it)["matches"].is_boolean() && (*it)["matches"].get<bool>();
    if (!detail.empty()) detail += "; ";
    detail += std::string(side) + " re-read: " + (!ran ? "not run" : matches ? "matches" : "DOES NOT MATCH");
    any_ran = any_ran || ran;
    if (ran && !matches) all_match = false;
  }
  if (detail.empty()) return;
  summary.verification = !any_ran ? "not verified" : all_match ? "verified" : "mismatch";
  summary.verification_detail = Capped(detail);
}

}  // namespace

bool IsProblemOutcome(const std::string& outcome) { return outcome != "completed"; }
bool IsTimeoutOutcome(const std::string& outcome) { return outcome == "timeout" || outcome == "cpu-limit"; }
bool IsQuarantineOutcome(const std::string& outcome) { return outcome == "quarantined"; }

AcquisitionSummary ParseAcquisitionSummary(const json& details) {
  AcquisitionSummary summary;
  if (!details.is_object()) return summary;
  if (auto device = details.find("device"); device != details.end() && device->is_object()) {
    for (const auto& [key, value] : device->items()) {
      if (summary.device.size() >= kMaxDeviceFields) break;
      summary.device.emplace_back(Capped(key), ScalarText(value));
    }
  }
  if (auto hashes = details.find("hashes"); hashes != details.end() && hashes->is_object()) {
    for (const auto& [key, value] : hashes->items()) {
      if (summary.hashes.size() >= kMaxDeviceFields) break;
      summary.hashes.emplace_back(Capped(key), ScalarText(value));
    }
  }
  if (auto verification = details.find("verification"); verification != details.end()) {
    if (verification->is_boolean()) {
      summary.verification = verification->get<bool>() ? "verified" : "mismatch";
    } else if (verification->is_string()) {
      summary.verification = ScalarText(*verification);
    } else if (verification->is_object()) {
      if (auto verified = verification->find("verified"); verified != verification->end() && verified->is_boolean()) {
        summary.verification = verified->get<bool>() ? "verified" : "mismatch";
      }
      if (std::string status = StringField(*verification, "status"); !status.empty()) summary.verification = status;
      summary.verification_detail = StringField(*verification, "detail");
    }
  }
  summary.size_bytes = Field(details, "size_bytes");
  ReadAcquisitionLog(details, summary);
  const uint64_t sector_size = SectorSize(details);
  if (auto ranges = details.find("bad_ranges"); ranges != details.end() && ranges->is_array()) {
    for (const json& range : *ranges) {
      std::optional<uint64_t> offset, length;
      if (range.is_object() && range.contains("first_sector")) {  // the USB imager's sector ranges
        const std::optional<uint64_t> first = Field(range, "first_sector");
        const std::optional<uint64_t> count = Field(range, "sector_count");
        if (first && count && *first <= std::numeric_limits<uint64_t>::max() / sector_size &&
            *count <= std::numeric_limits<uint64_t>::max() / sector_size) {
          offset = *first * sector_size;
          length = *count * sector_size;
        }
      } else if (range.is_object()) {
        offset = Field(range, "offset");
        length = Field(range, "length");
      } else if (range.is_array() && range.size() == 2) {
        offset = AsUnsigned(range[0]);
        length = AsUnsigned(range[1]);
      }
      if (!offset || !length) continue;
      ++summary.bad_ranges_total;
      summary.bad_bytes_total = *length > std::numeric_limits<uint64_t>::max() - summary.bad_bytes_total
                                    ? std::numeric_limits<uint64_t>::max()
                                    : summary.bad_bytes_total + *length;
      if (summary.bad_ranges.size() < kMaxBadRangesListed) summary.bad_ranges.push_back({*offset, *length});
    }
  }
  if (std::optional<uint64_t> total = Field(details, "bad_ranges_total"); total && *total > summary.bad_ranges_total) {
    summary.bad_ranges_total = *total;
  }
  return summary;
}

ReportFinding InterpretFinding(FindingRecord record) {
  ReportFinding finding;
  const json& body = record.json;
  if (body.is_object()) {
    finding.rule = StringField(body, "rule");
    if (std::string ns = StringField(body, "namespace"); !ns.empty() && !finding.rule.empty()) {
      finding.rule = ns + ":" + finding.rule;
    }
    finding.template_name = StringField(body, "template");
    if (auto strings = body.find("strings"); strings != body.end() && strings->is_array()) {
      for (const json& s : *strings) {
        if (!s.is_object()) continue;
        auto data = s.find("data_hex");
        if (data == s.end()) data = s.find("hex");  // the firmware scanner's name for it
        if (data == s.end()) continue;
        AddExcerpt(finding, StringField(s, "identifier"), *data, Field(s, "offset"));
      }
    }
    if (auto hex = body.find("excerpt_hex"); hex != body.end()) {
      std::optional<uint64_t> offset = Field(body, "excerpt_offset");
      if (!offset) offset = Field(body, "offset");
      AddExcerpt(finding, "excerpt", *hex, offset);
    }
    for (const auto& [key, value] : body.items()) {
      if (!EndsWith(key, "_mm") || !value.is_number()) continue;
      if (finding.distances_mm.size() >= kMaxDistancesPerFinding) break;
      const double mm = value.get<double>();
      if (std::isfinite(mm)) finding.distances_mm.push_back({Capped(key), mm});
    }
    for (const char* key : {"overlay_sha256", "thumbnail_sha256"}) {
      if (auto it = body.find(key); it != body.end()) AddPictureReference(finding, *it);
    }
    if (auto pictures = body.find("pictures"); pictures != body.end() && pictures->is_array()) {
      for (const json& sha : *pictures) AddPictureReference(finding, sha);
    }
  }
  finding.record = std::move(record);
  return finding;
}

std::vector<PluginRun> SummarisePluginRuns(const std::vector<JobRecord>& jobs) {
  std::map<std::pair<std::string, std::string>, PluginRun> runs;
  for (const JobRecord& job : jobs) {
    PluginRun& run = runs[{job.plugin_id, job.plugin_version}];
    run.plugin_id = job.plugin_id;
    run.plugin_version = job.plugin_version;
    ++run.jobs;
    if (IsProblemOutcome(job.outcome)) {
      ++run.problems;
    } else {
      ++run.completed;
    }
    run.findings += job.findings_count;
    if (job.pack_digests.is_object()) {
      for (const auto& [pack, digest] : job.pack_digests.items()) run.pack_digests[pack] = digest;
    }
  }
  std::vector<PluginRun> out;
  for (auto& [key, run] : runs) out.push_back(std::move(run));
  return out;
}

ToolInfo CurrentToolInfo(std::string command_line) {
  ToolInfo tool;
  tool.version = INTERDICT_VERSION;
  tool.libraries = {
      {"OpenSSL", OPENSSL_FULL_VERSION_STR},
      {"SQLite", sqlite3_libversion()},
      {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." + std::to_string(NLOHMANN_JSON_VERSION_MINOR) +
                            "." + std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
      {"compiler", "g++ " __VERSION__},
  };
  struct utsname name {};
  if (uname(&name) == 0) {
    tool.os_sysname = name.sysname;
    tool.os_release = name.release;
    tool.os_version = name.version;
    tool.host = name.nodename;
    tool.arch = name.machine;
  }
  tool.command_line = std::move(command_line);
  tool.started_utc = UtcNowIso8601();
  return tool;
}

namespace {

// Embeds a picture artifact as a data: URI within the per-picture and per-report caps.
ReportPicture LoadPicture(CaseStore& store, const std::string& sha256, std::string name, std::string role,
                          uint64_t* budget) {
  ReportPicture picture;
  picture.sha256 = sha256;
  picture.name = std::move(name);
  picture.role = std::move(role);
  Result<ArtifactRecord> artifact = store.GetArtifact(sha256);
  if (!artifact.ok()) {
    picture.omitted_reason = "artifact not in the case";
    return picture;
  }
  picture.media_type = artifact->media_type;
  picture.size = artifact->size;
  if (artifact->size > kMaxPictureBytes) {
    picture.omitted_reason = "larger than " + HumanBytes(kMaxPictureBytes);
    return picture;
  }
  if (artifact->size > *budget) {
    picture.omitted_reason = "report picture budget of " + HumanBytes(kMaxPictureBytesTotal) + " used up";
    return picture;
  }
  Result<std::string> bytes = ReadFileToString(store.ArtifactPath(sha256), kMaxPictureBytes);
  if (!bytes.ok()) {
    picture.omitted_reason = "unreadable: " + bytes.status().ToString();
    return picture;
  }
  if (Sha256Hex(*bytes) != sha256) {
    picture.omitted_reason = "content does not match its SHA-256";
    return picture;
  }
  *budget -= bytes->size();
  picture.data_uri = DataUri(picture.media_type, *bytes);
  return picture;
}

bool IsPictureRole(const std::string& role) { return role == "overlay" || role == "thumbnail"; }

}  // namespace

Result<ReportModel> LoadReportModel(CaseStore& store, const ReportLoadOptions& options) {
  ReportModel model;
  model.tool = CurrentToolInfo(options.command_line);
  model.generated_utc = model.tool.started_utc;
  INTERDICT_ASSIGN_OR_RETURN(model.info, store.Info());

  INTERDICT_ASSIGN_OR_RETURN(std::vector<EvidenceRecord> evidence, store.ListEvidence());
  for (EvidenceRecord& record : evidence) {
    ReportEvidence item;
    item.acquisition = ParseAcquisitionSummary(record.details);
    if (!record.artifact_sha256.empty()) {
      Result<ArtifactRecord> artifact = store.GetArtifact(record.artifact_sha256);
      if (artifact.ok()) item.artifact = std::move(artifact).value();
    }
    item.record = std::move(record);
    model.evidence.push_back(std::move(item));
  }

  INTERDICT_ASSIGN_OR_RETURN(model.jobs, store.ListJobs());
  model.plugin_runs = SummarisePluginRuns(model.jobs);

  INTERDICT_ASSIGN_OR_RETURN(std::vector<ArtifactRecord> artifacts, store.ListArtifacts());
  // Pictures produced by a job for an input: (job id, parent sha256) -> [(sha256, name)].
  std::map<std::pair<int64_t, std::string>, std::vector<ArtifactName>> pictures_by_job;
  for (ArtifactRecord& artifact : artifacts) {
    ReportFile file;
    INTERDICT_ASSIGN_OR_RETURN(file.names, store.ArtifactNames(artifact.sha256));
    for (const ArtifactName& name : file.names) {
      if (IsPictureRole(name.role) && name.job_id.has_value()) {
        pictures_by_job[{*name.job_id, name.parent_sha256}].push_back(name);
      }
    }
    file.artifact = std::move(artifact);
    model.files.push_back(std::move(file));
  }

  INTERDICT_ASSIGN_OR_RETURN(std::vector<FindingRecord> findings, store.ListFindings());
  uint64_t picture_budget = kMaxPictureBytesTotal;
  for (FindingRecord& record : findings) {
    ReportFinding finding = InterpretFinding(std::move(record));
    std::vector<std::pair<std::string, std::pair<std::string, std::string>>> wanted;  // sha -> (name, role)
    for (const std::string& sha : finding.picture_sha256) wanted.push_back({sha, {"", "overlay"}});
    if (finding.record.job_id.has_value()) {
      auto it = pictures_by_job.find({*finding.record.job_id, finding.record.artifact_sha256});
      if (it != pictures_by_job.end()) {
        for (const ArtifactName& name : it->second) {
          // Several findings of one job on one input share the job's pictures only when the picture's
          // location names the finding's location (or the picture has none).
          if (!name.location.empty() && name.location != finding.record.location) continue;
          wanted.push_back({name.artifact_sha256, {name.name, name.role}});
        }
      }
    }
    std::set<std::string> seen;
    for (auto& [sha, name_role] : wanted) {
      if (!seen.insert(sha).second || finding.pictures.size() >= kMaxPicturesPerFinding) continue;
      ReportPicture picture;
      if (options.embed_pictures) {
        picture = LoadPicture(store, sha, name_role.first, name_role.second, &picture_budget);
      } else {
        picture.sha256 = sha;
        picture.name = name_role.first;
        picture.role = name_role.second;
        picture.omitted_reason = "pictures not embedded (option)";
      }
      if (picture.data_uri.empty()) ++model.pictures_omitted;
      finding.pictures.push_back(std::move(picture));
    }
    model.findings.push_back(std::move(finding));
  }
  std::stable_sort(model.findings.begin(), model.findings.end(), [](const ReportFinding& a, const ReportFinding& b) {
    const int64_t ea = a.record.evidence_id.value_or(std::numeric_limits<int64_t>::max());
    const int64_t eb = b.record.evidence_id.value_or(std::numeric_limits<int64_t>::max());
    return ea != eb ? ea < eb : a.record.id < b.record.id;
  });

  INTERDICT_ASSIGN_OR_RETURN(std::vector<AuditRecord> audit, store.ListAudit());
  model.audit.record_count = static_cast<int64_t>(audit.size());
  if (!audit.empty()) model.audit.head = audit.back();
  INTERDICT_ASSIGN_OR_RETURN(model.audit.seals, store.ListSeals());
  if (options.verify_audit) {
    VerifyOptions verify;
    verify.rehash_artifacts = false;
    verify.trusted_public_key = options.trusted_public_key;
    INTERDICT_ASSIGN_OR_RETURN(VerificationReport report, store.Verify(verify));
    model.audit.verification_run = true;
    model.audit.problems = std::move(report.problems);
  }
  return model;
}

}  // namespace interdict
