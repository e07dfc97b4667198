#include "queue/watch_folder.h"

#include <ctime>

#include "core/log.h"
#include "plugins/media_type.h"

namespace interdict {
namespace {

std::string UtcStamp() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

bool Ignored(const std::filesystem::path& file) {
  std::string name = file.filename().string();
  return name.empty() || name[0] == '.' || name.ends_with(".partial");
}

}  // namespace

WatchFolder::WatchFolder(std::filesystem::path watch_dir, std::filesystem::path case_root, PluginJobRunner& runner,
                         std::string actor)
    : watch_dir_(std::move(watch_dir)), case_root_(std::move(case_root)), runner_(runner), actor_(std::move(actor)) {}

Result<std::unique_ptr<WatchFolder>> WatchFolder::Open(const std::filesystem::path& watch_dir,
                                                       const std::filesystem::path& case_root,
                                                       PluginJobRunner& runner, std::string actor) {
  std::error_code ec;
  if (!std::filesystem::is_directory(watch_dir, ec)) return Status::NotFound("no watch folder " + watch_dir.string());
  std::filesystem::create_directories(case_root, ec);
  if (ec) return Status::IoError("cannot create case root " + case_root.string() + ": " + ec.message());
  std::filesystem::create_directories(watch_dir / kWatchIngestedDirName, ec);
  if (ec) return Status::IoError("cannot create " + (watch_dir / kWatchIngestedDirName).string() + ": " + ec.message());
  return std::unique_ptr<WatchFolder>(
      new WatchFolder(std::filesystem::absolute(watch_dir), std::filesystem::absolute(case_root), runner,
                      std::move(actor)));
}

int WatchFolder::PollOnce() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_poll_) return 0;
  next_poll_ = now + kWatchPollInterval;
  std::error_code ec;
  std::map<std::filesystem::path, Seen> current;
  int ingested = 0;
  std::filesystem::directory_iterator it(watch_dir_, ec);
  for (; !ec && it != std::filesystem::directory_iterator() && current.size() < kMaxWatchFilesPerPoll;
       it.increment(ec)) {
    const std::filesystem::path& file = it->path();
    if (Ignored(file) || !it->is_regular_file(ec)) continue;
    Seen seen{it->file_size(ec), it->last_write_time(ec)};
    if (ec) continue;
    auto previous = seen_.find(file);
    if (previous != seen_.end() && previous->second.size == seen.size && previous->second.mtime == seen.mtime) {
      auto case_dir = Ingest(file);
      if (case_dir.ok()) {
        ++ingested;
        LogInfo("queue", "watch: " + file.filename().string() + " became case " + case_dir->string());
      } else {
        LogWarning("queue", "watch: cannot ingest " + file.string() + ": " + case_dir.status().ToString());
      }
      continue;
    }
    current[file] = seen;
  }
  seen_ = std::move(current);
  return ingested;
}

Result<std::filesystem::path> WatchFolder::Ingest(const std::filesystem::path& file) {
  std::string stem = file.stem().string();
  std::filesystem::path case_dir = case_root_ / (stem + "-" + UtcStamp());
  for (int n = 2; std::filesystem::exists(case_dir); ++n) {
    case_dir = case_root_ / (stem + "-" + UtcStamp() + "-" + std::to_string(n));
  }
  CaseInfo info;
  info.case_number = stem;
  // Nobody examined it yet: the lab server that took it in stands in, so the audit log says who made the case.
  info.examiner = "lab server " + actor_;
  info.description = "evidence dropped into watch folder " + watch_dir_.string();
  INTERDICT_ASSIGN_OR_RETURN(auto store, CaseStore::Create(case_dir, info, actor_));
  INTERDICT_ASSIGN_OR_RETURN(std::string media_type, SniffMediaTypeOfFile(file));
  INTERDICT_ASSIGN_OR_RETURN(ArtifactRecord artifact, store->StoreArtifactFile(file, media_type, /*move_file=*/false, actor_));
  EvidenceRecord evidence;
  evidence.label = file.filename().string();
  evidence.kind = "image-file";
  evidence.source = "file:" + file.string();
  evidence.artifact_sha256 = artifact.sha256;
  INTERDICT_ASSIGN_OR_RETURN(EvidenceRecord added, store->AddEvidence(evidence, actor_));
  ArtifactName name;
  name.artifact_sha256 = artifact.sha256;
  name.evidence_id = added.id;
  name.name = evidence.label;
  name.location = evidence.label;
  name.role = "evidence";
  INTERDICT_RETURN_IF_ERROR(store->AddArtifactName(name));
  store.reset();
  // Moved aside only once the case holds a verified copy; the bytes themselves are never touched.
  std::filesystem::path done = watch_dir_ / kWatchIngestedDirName / file.filename();
  for (int n = 2; std::filesystem::exists(done); ++n) {
    done = watch_dir_ / kWatchIngestedDirName / (file.filename().string() + "." + std::to_string(n));
  }
  std::error_code ec;
  std::filesystem::rename(file, done, ec);
  if (ec) return Status::IoError("cannot move " + file.string() + " aside: " + ec.message());
  INTERDICT_ASSIGN_OR_RETURN(int queued, runner_.EnqueueCaseEvidence(case_dir));
  LogInfo("queue", "watch: queued " + std::to_string(queued) + " job(s) for " + evidence.label);
  return case_dir;
}

}  // namespace interdict
