#include "report_fixture.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "core/hash.h"
#include "report/text_encoding.h"

namespace interdict::testing {

std::string TinyPng() {
  Result<std::vector<uint8_t>> bytes = FromHex(
      "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154789c63f8cfc000470cc47100ae"
      "930ff1d05f239e0000000049454e44ae426082");
  return std::string(bytes->begin(), bytes->end());
}

ReportModel HostileSampleModel() {
  ReportModel model;
  model.info = {"2b0c5f9e-4a51-4c1e-9a53-6f1f0f3b7c11", "CASE-<script>alert(1)</script>", "Dr. O'Brien & \"Co\"",
                "Seized handset\x01 and printer files", "2026-11-29T10:00:00.000Z", "0.1.0"};
  model.tool = CurrentToolInfo("interdict report case --format html");
  model.generated_utc = "2026-11-29T12:00:00.000Z";

  ReportEvidence handset;
  handset.record.id = 1;
  handset.record.uuid = "6f0d2a8e-1111-4b2c-8d3e-000000000001";
  handset.record.label = kHostileLabel;
  handset.record.kind = "usb-acquisition";
  handset.record.source = "usb:05c6:9008:SER<b>1";
  handset.record.added_utc = "2026-11-29T10:05:00.000Z";
  handset.record.details = {
      {"device", {{"vendor", "Qualcomm"}, {"model", "<b>HS-9</b>"}, {"serial", "SER1"}}},
      {"hashes", {{"md5", "9e107d9d372bb6826bd81d3542a419d6"}, {"sha256", std::string(64, 'a')}}},
      {"verification", {{"verified", true}, {"detail", "re-read matched"}}},
      {"size_bytes", 134217728},
      {"bad_ranges", {{{"offset", 4096}, {"length", 512}}, {{"offset", "0x10000"}, {"length", 1024}}}}};
  handset.acquisition = ParseAcquisitionSummary(handset.record.details);
  model.evidence.push_back(handset);

  ReportEvidence folder;
  folder.record.id = 2;
  folder.record.uuid = "6f0d2a8e-1111-4b2c-8d3e-000000000002";
  folder.record.label = "EXH-2";
  folder.record.kind = "folder";
  folder.record.source = "file:/evidence/printer";
  folder.acquisition = ParseAcquisitionSummary(folder.record.details);
  model.evidence.push_back(folder);

  auto job = [](int64_t id, const char* plugin, const char* outcome, int attempts, const char* message) {
    JobRecord j;
    j.id = id;
    j.plugin_id = plugin;
    j.plugin_version = "1.0.0";
    j.input_sha256 = std::string(64, 'b');
    j.evidence_id = 1;
    j.outcome = outcome;
    j.attempts = attempts;
    j.message = message;
    j.started_utc = "2026-11-29T11:00:00.000Z";
    j.finished_utc = "2026-11-29T11:01:00.000Z";
    return j;
  };
  model.jobs = {job(1, "org.interdict.firmware_scan", "completed", 1, ""),
                job(2, "org.interdict.mesh_match", "completed", 1, ""),
                job(3, "org.interdict.firmware_scan", "timeout", 1, "wall-clock limit of 600 s"),
                job(4, "org.interdict.mesh_match", "quarantined", 3, "crashed 3 times on <this> input"),
                job(5, "org.interdict.mesh_match", "crashed", 1, "SIGSEGV")};
  model.jobs[0].pack_digests = {{"android-malware", std::string(64, 'c')}};
  model.jobs[0].findings_count = 1;
  model.jobs[1].pack_digests = {{"firearm-parts", std::string(64, 'd')}};
  model.jobs[1].findings_count = 1;
  model.plugin_runs = SummarisePluginRuns(model.jobs);

  FindingRecord yara;
  yara.id = 10;
  yara.job_id = 1;
  yara.evidence_id = 1;
  yara.artifact_sha256 = std::string(64, 'e');
  yara.plugin_id = "org.interdict.firmware_scan";
  yara.plugin_version = "1.0.0";
  yara.kind = "yara-match";
  yara.severity = "high";
  yara.location = std::string("handset.img@0x8000000[gpt:userdata] > ext4:/system/") + kHostileFileName;
  yara.summary = "rule <Dropper> matched";
  yara.json = {{"rule", "Dropper"},
               {"namespace", "android-malware"},
               {"strings", {{{"identifier", "$mz"}, {"offset", 4096}, {"data_hex", "4d5a90003c7363726970743e"}}}}};
  model.findings.push_back(InterpretFinding(yara));

  FindingRecord mesh;
  mesh.id = 11;
  mesh.job_id = 2;
  mesh.evidence_id = 1;
  mesh.artifact_sha256 = std::string(64, 'f');
  mesh.plugin_id = "org.interdict.mesh_match";
  mesh.plugin_version = "1.0.0";
  mesh.kind = "mesh-match";
  mesh.severity = "warning";
  mesh.location = "handset.img@0x8000000[gpt:userdata] > ext4:/sdcard/part.stl";
  mesh.summary = "matches template trigger-housing";
  mesh.json = {{"template", "trigger-housing"}, {"rms_mm", 0.042}, {"hausdorff_mm", 0.31}};
  ReportFinding mesh_finding = InterpretFinding(mesh);
  const std::string png = TinyPng();
  mesh_finding.pictures.push_back(
      {Sha256Hex(png), "overlay.png", "overlay", "image/png", png.size(), DataUri("image/png", png), ""});
  model.findings.push_back(mesh_finding);

  FindingRecord corruption;
  corruption.id = 12;
  corruption.evidence_id = 2;
  corruption.plugin_id = "org.interdict.mesh_match";
  corruption.plugin_version = "1.0.0";
  corruption.kind = "parse-anomaly";
  corruption.severity = "notice";
  corruption.location = "printer/broken.stl";
  corruption.summary = "binary STL face count disagrees with file size";
  model.findings.push_back(InterpretFinding(corruption));

  ReportFile image;
  image.artifact = {std::string(64, 'b'), 134217728, "9e107d9d372bb6826bd81d3542a419d6",
                    "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "application/octet-stream", "2026-11-29T10:05:00.000Z"};
  image.names.push_back({image.artifact.sha256, 1, "", "handset.img", "handset.img", "image", std::nullopt});
  ReportFile extracted;
  extracted.artifact = {std::string(64, 'e'), 2048, "", "", "application/vnd.android.package-archive", ""};
  extracted.names.push_back({extracted.artifact.sha256, 1, image.artifact.sha256, kHostileFileName,
                             yara.location, "extracted", 1});
  ReportFile partition;
  partition.artifact = {std::string(64, '1'), 65536, "", "", "application/octet-stream", ""};
  partition.names.push_back({partition.artifact.sha256, 1, image.artifact.sha256, "userdata",
                             "handset.img@0x8000000[gpt:userdata]", "extracted", 1});
  model.files = {image, extracted, partition};

  model.audit.record_count = 12;
  model.audit.head.seq = 12;
  model.audit.head.entry_hash = std::string(60, '7') + "abcd";
  model.audit.seals.push_back({12, model.audit.head.entry_hash, std::string(64, '9'), std::string(128, '8'),
                               "2026-11-29T11:59:00.000Z"});
  model.audit.verification_run = true;
  return model;
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    if (output != nullptr) output->append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::filesystem::path FreshDir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("interdict-report-test-" + std::to_string(getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++count;
  return count;
}

}  // namespace interdict::testing
