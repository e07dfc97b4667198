#include "cli/acquisition.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "core/clock.h"
#include "core/files.h"
#include "core/log.h"
#include "core/progress.h"
#include "protocol/mass_storage.h"
#include "transport/libusb_transport.h"
#include "engine/adb_block_source.h"
#include "engine/adb_logical_acquisition.h"
#include "engine/file_block_source.h"
#include "engine/firehose_block_source.h"

#ifdef INTERDICT_HAVE_CASE_STORE
#include "case/case_store.h"
#endif

namespace interdict::usb {
namespace {

constexpr char kMapSuffix[] = ".map";
constexpr char kTextLogSuffix[] = ".log.txt";
constexpr char kJsonLogSuffix[] = ".log.json";
constexpr char kAcquisitionsDir[] = "acquisitions";

[[maybe_unused]] std::string Slug(const std::string& text) {
  std::string out;
  for (char c : text) out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
  return out;
}

bool DigestsMatch(const Digests& a, const Digests& b, const std::vector<HashAlgorithm>& algorithms) {
  for (auto algorithm : algorithms) {
    if (a.Get(algorithm) != b.Get(algorithm)) return false;
  }
  return true;
}

ExitCode ExitCodeForRun(const Status& status) {
  switch (status.code()) {
    case StatusCode::kCancelled: return kExitInterrupted;
    case StatusCode::kDisconnected:
    case StatusCode::kVerificationFailed: return kExitDeviceError;
    case StatusCode::kLimitExceeded: return kExitIncomplete;
    default: return ExitCodeFor(status);
  }
}

#ifdef INTERDICT_HAVE_CASE_STORE
// Stores image segments, map and logs as artifacts of a new evidence record. Every CaseStore call audits.
Status RegisterWithCase(const AcquireRequest& request, const std::filesystem::path& work_dir,
                        const std::vector<std::filesystem::path>& image_files, const std::filesystem::path& map_path,
                        const std::filesystem::path& text_log, const std::filesystem::path& json_log,
                        const std::string& media_type, AcquireOutcome* outcome) {
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<CaseStore> store, CaseStore::Open(request.case_dir));
  const std::string& actor = request.examiner_actor;
  struct Stored {
    ArtifactRecord record;
    std::string name;
    std::string role;
  };
  std::vector<Stored> stored;
  for (const auto& file : image_files) {
    INTERDICT_ASSIGN_OR_RETURN(ArtifactRecord record, store->StoreArtifactFile(file, media_type, true, actor));
    stored.push_back({record, file.filename().string(), "evidence"});
  }
  for (const auto& [file, type, role] :
       {std::tuple{map_path, std::string("text/x-ddrescue-map"), std::string("acquisition-map")},
        std::tuple{text_log, std::string("text/plain"), std::string("acquisition-log")},
        std::tuple{json_log, std::string("application/json"), std::string("acquisition-log")}}) {
    INTERDICT_ASSIGN_OR_RETURN(ArtifactRecord record, store->StoreArtifactFile(file, type, false, actor));
    stored.push_back({record, file.filename().string(), role});
  }
  EvidenceRecord evidence;
  evidence.label = request.metadata.evidence_number.empty() ? outcome->report.source.uri : request.metadata.evidence_number;
  evidence.kind = outcome->report.source.kind.rfind("usb-", 0) == 0 ? "usb-acquisition" : "image-file";
  evidence.source = outcome->report.source.uri;
  evidence.artifact_sha256 = stored.front().record.sha256;
  evidence.details = ReportToJson(outcome->report);
  evidence.details["work_dir"] = work_dir.string();
  INTERDICT_ASSIGN_OR_RETURN(EvidenceRecord added, store->AddEvidence(evidence, actor));
  outcome->evidence_uuid = added.uuid;
  for (const auto& s : stored) {
    ArtifactName name;
    name.artifact_sha256 = s.record.sha256;
    name.evidence_id = added.id;
    name.name = s.name;
    name.location = outcome->report.source.uri;
    name.role = s.role;
    INTERDICT_RETURN_IF_ERROR(store->AddArtifactName(name));
  }
  return store->Audit(actor, "usb.acquisition.finished",
                      {{"evidence_uuid", added.uuid}, {"source", outcome->report.source.uri},
                       {"state", outcome->report.final_state}, {"digests", evidence.details["digests"]},
                       {"bad_sectors", outcome->report.result.bad_sectors}});
}
#endif

// --adb-key, or ${XDG_CONFIG_HOME:-~/.config}/interdict/adbkey.
std::filesystem::path AdbKeyPath(const AcquireRequest& request) {
  if (!request.adb_key.empty()) return request.adb_key;
  const char* config = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  return std::filesystem::path(config != nullptr ? config : std::string(home != nullptr ? home : ".") + "/.config") /
         "interdict" / "adbkey";
}

// adb:[SERIAL] --logical: files over sync into the output folder, with a manifest (no image, no map).
Result<AcquireOutcome> AcquireAdbFiles(const AcquireRequest& request) {
  if (!request.logical) {
    return Status::InvalidArgument("adb: sources need --logical (copy files) or --block /dev/block/NAME (image it)");
  }
  if (request.out_dir.empty()) return Status::Unsupported("adb --logical writes to --out DIR (case import: later)");
  INTERDICT_ASSIGN_OR_RETURN(
      LogicalAcquisitionResult pulled,
      AcquireAdbLogical(request.source.substr(4), AdbKeyPath(request), request.remote_root, request.out_dir));
  AcquireOutcome outcome;
  outcome.work_dir = request.out_dir;
  outcome.report.command_line = request.command_line;
  outcome.report.source.uri = request.source;
  outcome.report.source.kind = "usb-android-adb-logical";
  outcome.report.source.details = {{"manifest", pulled.manifest_path.string()},
                                   {"manifest_sha256", pulled.manifest_sha256},
                                   {"files_copied", pulled.files_copied},
                                   {"bytes_copied", pulled.bytes_copied},
                                   {"failures", pulled.failures}};
  outcome.exit_code = pulled.failures == 0 ? kExitOk : kExitIncomplete;
  outcome.report.final_state = "copied " + std::to_string(pulled.files_copied) + " files (" +
                               std::to_string(pulled.bytes_copied) + " bytes), " + std::to_string(pulled.failures) +
                               " not copied; manifest " + pulled.manifest_path.string();
  outcome.report.exit_code = outcome.exit_code;
  return outcome;
}

#ifdef INTERDICT_HAVE_CASE_STORE
// Records a step of an acquisition that is not (yet) an evidence record: start, and a stop before the end,
// so that interrupted and failed acquisitions are in the audit chain too.
Status AuditCaseStep(const AcquireRequest& request, const std::string& action, const nlohmann::json& details) {
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<CaseStore> store, CaseStore::Open(request.case_dir));
  return store->Audit(request.examiner_actor, action, details);
}
#endif

}  // namespace

Result<std::unique_ptr<BlockSource>> OpenSource(const std::string& source, const std::filesystem::path& programmer) {
  if (source.rfind("edl:", 0) == 0) {
    INTERDICT_ASSIGN_OR_RETURN(auto edl, OpenEdlSource(std::string_view(source).substr(4), programmer));
    return std::unique_ptr<BlockSource>(std::move(edl));
  }
  if (source.rfind("file:", 0) == 0) {
    INTERDICT_ASSIGN_OR_RETURN(auto file, FileBlockSource::Open(source.substr(5)));
    return std::unique_ptr<BlockSource>(std::move(file));
  }
  if (source.rfind("usb:", 0) == 0) {
    INTERDICT_ASSIGN_OR_RETURN(DeviceSelector selector, ParseDeviceSelector(source.substr(4)));
    selector.interface_class = kUsbClassMassStorage;
    TransportOpener opener = [selector]() -> Result<std::unique_ptr<UsbTransport>> {
      INTERDICT_ASSIGN_OR_RETURN(auto transport, LibusbTransport::Open(selector));
      return std::unique_ptr<UsbTransport>(std::move(transport));
    };
    INTERDICT_ASSIGN_OR_RETURN(auto device, MassStorageDevice::Open(opener));
    return std::unique_ptr<BlockSource>(std::move(device));
  }
  return Status::InvalidArgument("source must start with usb: or file:, got '" + source + "'");
}

Result<AcquireOutcome> Acquire(const AcquireRequest& request) {
  if (request.out_dir.empty() == request.case_dir.empty()) {
    return Status::InvalidArgument("give exactly one of --out DIR and --case DIR");
  }
  if (request.chunk_bytes == 0) return Status::InvalidArgument("chunk size must be positive");
  const bool adb = request.source.rfind("adb:", 0) == 0;
  if (adb && request.block_device.empty()) return AcquireAdbFiles(request);
  if (adb && request.logical) return Status::InvalidArgument("give either --logical or --block, not both");
  std::unique_ptr<BlockSource> source;
  if (adb) {
    INTERDICT_ASSIGN_OR_RETURN(source,
                               AdbBlockSource::Open(request.source.substr(4), AdbKeyPath(request), request.block_device));
  } else {
    INTERDICT_ASSIGN_OR_RETURN(source, OpenSource(request.source, request.programmer));
  }
  const SourceIdentity identity = source->identity();

  AcquireOutcome outcome;
  if (!request.out_dir.empty()) {
    outcome.work_dir = request.out_dir;
  } else {
#ifndef INTERDICT_HAVE_CASE_STORE
    return Status::Unsupported("this build has no case store; use --out DIR");
#else
    if (!std::filesystem::exists(request.case_dir / "case.db")) {
      return Status::NotFound(request.case_dir.string() + " is not a case (no case.db)");
    }
    std::string slug = Slug(identity.uri);
    if (!request.metadata.evidence_number.empty()) slug += "-" + Slug(request.metadata.evidence_number);
    outcome.work_dir = request.case_dir / kAcquisitionsDir / slug;
#endif
  }
  std::error_code ec;
  std::filesystem::create_directories(outcome.work_dir, ec);
  if (ec) return Status::IoError("creating " + outcome.work_dir.string() + ": " + ec.message());
  const std::filesystem::path base = outcome.work_dir / request.image_name;
  const std::filesystem::path map_path = base.string() + kMapSuffix;
  const std::filesystem::path text_log = base.string() + kTextLogSuffix;
  const std::filesystem::path json_log = base.string() + kJsonLogSuffix;

  ImageWriterOptions writer_options;
  writer_options.format = request.format;
  writer_options.base = base;
  writer_options.media_size = identity.capacity_bytes;
  writer_options.sector_size = identity.sector_size;
  writer_options.split_bytes = request.split_bytes;
  writer_options.compression = request.compression;
  writer_options.metadata = request.metadata;

  std::unique_ptr<ImageWriter> writer;
  if (request.resume) {
    if (!std::filesystem::exists(map_path)) {
      return Status::NotFound("nothing to resume: no map at " + map_path.string());
    }
    INTERDICT_ASSIGN_OR_RETURN(RescueMap map, RescueMap::Load(map_path));
    INTERDICT_ASSIGN_OR_RETURN(writer, ResumeImageWriter(writer_options, map.CompletedPrefix()));
  } else {
    if (std::filesystem::exists(map_path)) {
      return Status::InvalidArgument("an acquisition already exists in " + outcome.work_dir.string() +
                                     " (use --resume to continue it, or another folder)");
    }
    INTERDICT_ASSIGN_OR_RETURN(writer, CreateImageWriter(writer_options));
  }

  ProgressReporter progress("acquire", identity.capacity_bytes, request.quiet);
  AcquisitionOptions options;
  options.chunk_bytes = request.chunk_bytes;
  options.hash_window_bytes = request.hash_window_bytes;
  options.retries = request.retries;
  options.max_bad_sectors = request.max_bad_sectors;
  options.hashes = request.hashes;
  options.map_path = map_path;
  options.map_header = {"Command line: " + request.command_line, "Source: " + identity.uri};
  options.resume = request.resume;
  options.disconnect_wait = request.disconnect_wait;
  options.cancel = request.cancel;
  options.progress = [&progress](uint64_t done, uint64_t bad) {
    progress.Update(done, "bad sectors: " + std::to_string(bad));
  };

  AcquisitionReport& report = outcome.report;
  report.command_line = request.command_line;
  report.source = identity;
  report.format = request.format;
  report.metadata = request.metadata;
  report.map_file = map_path.string();
  report.hashes = request.hashes;

#ifdef INTERDICT_HAVE_CASE_STORE
  if (!request.case_dir.empty()) {
    INTERDICT_RETURN_IF_ERROR(AuditCaseStep(request, "usb.acquisition.started",
                                            {{"source", identity.uri}, {"serial", identity.serial},
                                             {"capacity_bytes", identity.capacity_bytes},
                                             {"work_dir", outcome.work_dir.string()}, {"resume", request.resume},
                                             {"command_line", request.command_line}}));
  }
#endif
  AcquisitionEngine engine(*source, *writer, options);
  Status run = engine.Run(&report.result);
  progress.Finish(run.ok() ? identity.capacity_bytes : report.result.bytes_total,
                  "bad sectors: " + std::to_string(report.result.bad_sectors));
  report.source_statistics = source->Statistics();
  if (auto* edl = dynamic_cast<FirehoseBlockSource*>(source.get()); edl != nullptr && run.ok()) {
    // The programmer's own SHA-256 of what it read, against ours of what arrived.
    auto device = edl->DeviceSha256();
    report.source_statistics["device_sha256"] = device.ok() ? *device : device.status().ToString();
    report.source_statistics["device_sha256_matches"] =
        device.ok() && *device == report.result.digests.Get(HashAlgorithm::kSha256);
  }
  for (const auto& f : writer->files()) report.image_files.push_back(f.string());

  if (run.ok() && request.verify) {
    auto record = [&](VerificationOutcome* verification, const Result<Digests>& digests) {
      verification->ran = digests.ok();
      if (!digests.ok()) {
        verification->error = digests.status().ToString();
        return;
      }
      verification->digests = *digests;
      verification->matches = DigestsMatch(*digests, report.result.digests, request.hashes);
    };
    LogInfo("usb", "verifying: reading the source again");
    record(&report.source_verification, HashSource(*source, request.hashes, request.chunk_bytes));
    LogInfo("usb", "verifying: reading the image back");
    record(&report.image_verification, HashImage(*writer, identity.capacity_bytes, request.hashes));
  }

  if (!run.ok()) {
    outcome.exit_code = ExitCodeForRun(run);
    report.final_state = "aborted (" + report.result.state + "): " + run.ToString();
  } else if ((report.source_verification.ran && !report.source_verification.matches) ||
             (report.image_verification.ran && !report.image_verification.matches) ||
             (request.verify && (!report.source_verification.ran || !report.image_verification.ran))) {
    outcome.exit_code = kExitVerificationFailed;
    report.final_state = "finished, verification FAILED";
  } else if (report.result.bad_sectors > 0) {
    outcome.exit_code = kExitIncomplete;
    report.final_state = "finished successfully with " + std::to_string(report.result.bad_sectors) + " bad sectors";
  } else {
    outcome.exit_code = kExitOk;
    report.final_state = "finished successfully";
  }
  report.exit_code = outcome.exit_code;

  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(text_log, ReportToText(report)));
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(json_log, ReportToJson(report).dump(2) + "\n"));

#ifdef INTERDICT_HAVE_CASE_STORE
  if (!request.case_dir.empty() && !run.ok()) {
    INTERDICT_RETURN_IF_ERROR(AuditCaseStep(request, "usb.acquisition.stopped",
                                            {{"source", identity.uri}, {"state", report.final_state},
                                             {"map", map_path.string()}, {"exit_code", outcome.exit_code}}));
  }
  if (!request.case_dir.empty() && run.ok()) {
    Status registered = RegisterWithCase(request, outcome.work_dir, writer->files(), map_path, text_log, json_log,
                                         writer->media_type(), &outcome);
    if (!registered.ok()) return registered.WithContext("adding the acquisition to the case");
  }
#endif
  return outcome;
}

}  // namespace interdict::usb
