// ReportModel: everything a report shows, as plain values, loaded once from a case.
//
// The writers (HTML, JSON Lines, DFXML, CASE/UCO) only read a ReportModel; they never touch the case
// store, so they can be tested from a model built in memory. The model keeps what came from evidence as
// given (hostile strings included): escaping is each writer's job.
//
// What the loader reads from a case, beyond the typed columns (docs/reports.md lists it for plugin authors):
//  - evidence.details: "device" {k: v}, "hashes" {md5|sha1|sha256: hex}, "verification" {"status" or
//    "verified", "detail"}, "size_bytes", "bad_ranges" [{"offset","length"}] (or [offset, length] pairs),
//    "bad_ranges_total";
//  - finding JSON: "rule", "namespace", "template", "strings" [{"identifier","offset","data_hex" or "hex"}] or
//    "excerpt_hex" + "excerpt_offset" (YARA excerpts), any number whose key ends in "_mm" (mesh
//    distances), "overlay_sha256" / "thumbnail_sha256" / "pictures" [sha256] (pictures to embed);
//  - artifact names with role "overlay" or "thumbnail" produced by the finding's job for its input.
// Everything is capped (constants below); what was left out is counted, never silently dropped.
#ifndef INTERDICT_REPORT_REPORT_MODEL_H_
#define INTERDICT_REPORT_REPORT_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "case/case_store.h"
#include "core/status.h"

namespace interdict {

// Limits on what one report holds.
inline constexpr size_t kMaxExcerptBytes = 256;            // bytes shown per hex/ASCII excerpt
inline constexpr size_t kMaxExcerptsPerFinding = 16;
inline constexpr size_t kMaxDistancesPerFinding = 16;
inline constexpr size_t kMaxPicturesPerFinding = 8;
inline constexpr uint64_t kMaxPictureBytes = 8ull << 20;    // one embedded picture
inline constexpr uint64_t kMaxPictureBytesTotal = 96ull << 20;  // all embedded pictures of one report
inline constexpr size_t kMaxBadRangesListed = 10000;
inline constexpr size_t kMaxDeviceFields = 64;
inline constexpr size_t kMaxDetailTextBytes = 4096;         // any one string taken from details JSON

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// The acquisition summary of one evidence item, read from evidence.details.
struct AcquisitionSummary {
  std::vector<std::pair<std::string, std::string>> device;  // identity: vendor, model, serial, usb id...
  std::vector<std::pair<std::string, std::string>> hashes;  // algorithm -> hex, as recorded at acquisition
  std::string verification = "not recorded";  // "verified", "mismatch", "not verified", "not recorded"
  std::string verification_detail;
  std::optional<uint64_t> size_bytes;
  std::vector<ByteRange> bad_ranges;  // at most kMaxBadRangesListed
  uint64_t bad_ranges_total = 0;      // including those not listed
  uint64_t bad_bytes_total = 0;       // sum of listed range lengths (saturating)
};

struct ReportEvidence {
  EvidenceRecord record;
  AcquisitionSummary acquisition;
  std::optional<ArtifactRecord> artifact;  // the stored image or file, when there is one
};

struct HexExcerpt {
  std::string label;   // YARA string identifier ("$mz") or "excerpt"
  uint64_t offset = 0; // offset of the first byte within the scanned layer
  std::string bytes;   // raw bytes, at most kMaxExcerptBytes
  bool truncated = false;
};

struct DistanceMm {
  std::string name;  // "rms_mm", "hausdorff_mm"
  double value = 0;
};

struct ReportPicture {
  std::string sha256;
  std::string name;
  std::string role;        // "overlay", "thumbnail"
  std::string media_type;
  uint64_t size = 0;
  std::string data_uri;    // empty when not embedded
  std::string omitted_reason;  // why it was not embedded ("larger than 8 MiB", "artifact missing")
};

struct ReportFinding {
  FindingRecord record;
  std::string rule;       // YARA rule (with namespace when given)
  std::string template_name;  // mesh template
  std::vector<HexExcerpt> excerpts;
  std::vector<DistanceMm> distances_mm;
  std::vector<std::string> picture_sha256;  // referenced by the finding JSON (resolved by the loader)
  std::vector<ReportPicture> pictures;
};

struct PluginRun {  // one plugin at one version, over all its jobs
  std::string plugin_id;
  std::string plugin_version;
  nlohmann::json pack_digests = nlohmann::json::object();  // union over its jobs: pack -> sha256
  int64_t jobs = 0;
  int64_t completed = 0;
  int64_t problems = 0;  // jobs whose outcome is not "completed"
  int64_t findings = 0;
};

struct ReportFile {  // an artifact with its names, for inventories (DFXML fileobjects, CASE Files)
  ArtifactRecord artifact;
  std::vector<ArtifactName> names;
};

struct AuditSummary {
  int64_t record_count = 0;
  AuditRecord head;                  // the last record: seq and entry_hash are the chain head
  std::vector<AuditSeal> seals;
  bool verification_run = false;     // the loader checked chain and seals when making the report
  std::vector<VerificationProblem> problems;
};

struct ToolInfo {
  std::string program = "interdict";
  std::string version;
  std::vector<std::pair<std::string, std::string>> libraries;  // name -> version
  std::string os_sysname, os_release, os_version, host, arch;
  std::string command_line;
  std::string started_utc;
};

struct ReportModel {
  CaseInfo info;
  ToolInfo tool;
  std::string generated_utc;
  std::vector<ReportEvidence> evidence;
  std::vector<JobRecord> jobs;
  std::vector<PluginRun> plugin_runs;
  std::vector<ReportFinding> findings;  // ordered by evidence id (none last), then finding id
  std::vector<ReportFile> files;
  AuditSummary audit;
  uint64_t pictures_omitted = 0;        // pictures not embedded because of the caps
};

// True when a job outcome means the plugin did not finish normally (failure, timeout, quarantine, ...).
// Such jobs are listed in every report.
bool IsProblemOutcome(const std::string& outcome);
// "timeout" and the resource limits that end a job the same way ("cpu-limit").
bool IsTimeoutOutcome(const std::string& outcome);
// "quarantined": the input failed the same plugin version repeatedly and is not retried.
bool IsQuarantineOutcome(const std::string& outcome);

// Reads the acquisition summary from evidence.details. Never fails: what is missing or malformed is
// left at its default ("not recorded").
AcquisitionSummary ParseAcquisitionSummary(const nlohmann::json& details);
// Reads rule, excerpts, distances and picture references from a finding's JSON. Never fails.
ReportFinding InterpretFinding(FindingRecord record);
// Groups jobs by plugin and version, with pack digests and finding counts.
std::vector<PluginRun> SummarisePluginRuns(const std::vector<JobRecord>& jobs);

// This tool: version, library versions, uname, the given command line and start time.
ToolInfo CurrentToolInfo(std::string command_line);

struct ReportLoadOptions {
  bool embed_pictures = true;
  bool verify_audit = true;  // check the chain and seals (artifacts are not re-hashed)
  std::optional<std::string> trusted_public_key;
  std::string command_line;
};

// Loads the whole model from an open case. Fails only when the case cannot be read.
Result<ReportModel> LoadReportModel(CaseStore& store, const ReportLoadOptions& options);

}  // namespace interdict

#endif  // INTERDICT_REPORT_REPORT_MODEL_H_
