// A watch folder for lab servers: evidence files dropped into it become a case each, with jobs queued for
// every applicable plugin.
//
// A file is taken once its size and modification time stay the same across two polls (so a copy still in
// progress is left alone). It is copied, read-only, into a new case under case_root (named after the file and
// the UTC time), recorded as evidence with its hashes, and then moved into <watch>/ingested/ so it is not
// taken twice; its bytes are never changed. Hidden files and names ending in .partial are ignored.
//
// Thread-safety: PollOnce from one thread at a time.
#ifndef INTERDICT_QUEUE_WATCH_FOLDER_H_
#define INTERDICT_QUEUE_WATCH_FOLDER_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "queue/plugin_job_runner.h"

namespace interdict {

inline constexpr std::chrono::milliseconds kWatchPollInterval{2'000};
inline constexpr char kWatchIngestedDirName[] = "ingested";
inline constexpr size_t kMaxWatchFilesPerPoll = 1'000;

class WatchFolder {
 public:
  static Result<std::unique_ptr<WatchFolder>> Open(const std::filesystem::path& watch_dir,
                                                   const std::filesystem::path& case_root, PluginJobRunner& runner,
                                                   std::string actor);
  // Looks at the folder if kWatchPollInterval has passed since the last look; ingests stable files.
  // Returns how many files became cases.
  int PollOnce();
  // Ingests one file now (no stability check). Returns the new case folder.
  Result<std::filesystem::path> Ingest(const std::filesystem::path& file);

 private:
  WatchFolder(std::filesystem::path watch_dir, std::filesystem::path case_root, PluginJobRunner& runner,
              std::string actor);

  struct Seen {
    uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
  };
  std::filesystem::path watch_dir_;
  std::filesystem::path case_root_;
  PluginJobRunner& runner_;
  std::string actor_;
  std::map<std::filesystem::path, Seen> seen_;
  std::chrono::steady_clock::time_point next_poll_;
};

}  // namespace interdict

#endif  // INTERDICT_QUEUE_WATCH_FOLDER_H_
