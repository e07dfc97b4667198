#include "engine/adb_logical_acquisition.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "core/clock.h"
#include "core/files.h"
#include "engine/adb_handset.h"

namespace interdict::usb {
namespace {

constexpr uint32_t kTypeMask = 0170000, kDirectory = 0040000, kRegular = 0100000, kSymlink = 0120000;
constexpr char kStateChangeNote[] =
    "ADB logical acquisition: the handset's adbd ran and its logs and access times may have changed";

std::string TypeOf(uint32_t mode) {
  switch (mode & kTypeMask) {
    case kDirectory: return "directory";
    case kRegular: return "file";
    case kSymlink: return "symlink";
    default: return "other";
  }
}

bool SafeName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

std::string JoinRemote(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Copies one file; fills size, digests and error of `record`.
Status CopyFile(AdbSyncClient& sync, const std::filesystem::path& out_dir, LogicalFileRecord* record) {
  const std::filesystem::path local = out_dir / record->local_path;
  std::error_code ec;
  std::filesystem::create_directories(local.parent_path(), ec);
  if (ec) return Status::IoError("creating " + local.parent_path().string() + ": " + ec.message());
  const int fd = ::open(local.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Status::IoError("creating " + local.string());
  MultiHasher hasher;
  uint64_t received = 0;
  Status write_error;
  Status got = sync.Recv(record->remote_path, [&](std::span<const uint8_t> bytes) -> Status {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) return write_error = Status::IoError("writing " + local.string());
      done += static_cast<size_t>(n);
    }
    hasher.Update(bytes.data(), bytes.size());
    received += bytes.size();
    return Status::Ok();
  });
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  record->size = received;
  record->digests = hasher.Finish();
  if (!write_error.ok()) return write_error;
  if (!synced) return Status::IoError("syncing " + local.string());
  const struct timespec times[2] = {{record->mtime, 0}, {record->mtime, 0}};
  ::utimensat(AT_FDCWD, local.c_str(), times, 0);
  return got;
}

nlohmann::json RecordJson(const LogicalFileRecord& r) {
  char mode[16];
  std::snprintf(mode, sizeof(mode), "%06o", r.mode);
  nlohmann::json j = {{"remote_path", r.remote_path}, {"type", r.type}, {"size", r.size}, {"mode", mode},
                      {"mtime", r.mtime}};
  if (!r.local_path.empty()) j["local_path"] = r.local_path;
  // A file cut short keeps what arrived: its hashes cover those `size` bytes and it is marked partial.
  if (r.type == "file" && (r.error.empty() || r.size > 0)) {
    j["md5"] = r.digests.Get(HashAlgorithm::kMd5);
    j["sha1"] = r.digests.Get(HashAlgorithm::kSha1);
    j["sha256"] = r.digests.Get(HashAlgorithm::kSha256);
  }
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.error.empty() && r.size > 0) j["partial"] = true;
  return j;
}

}  // namespace

Result<LogicalAcquisitionResult> PullTree(AdbSyncClient& sync, const std::string& remote_root,
                                          const std::filesystem::path& out_dir, const nlohmann::json& device) {
  LogicalAcquisitionResult result;
  result.manifest_path = out_dir / kLogicalManifestName;
  if (std::filesystem::exists(result.manifest_path)) {
    return Status::InvalidArgument(out_dir.string() + " already holds a logical acquisition");
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir / kLogicalFilesDir, ec);
  if (ec) return Status::IoError("creating " + out_dir.string() + ": " + ec.message());
  const std::string started = UtcNowIso8601();

  INTERDICT_ASSIGN_OR_RETURN(SyncEntry root, sync.Stat(remote_root));
  if (root.mode == 0) return Status::NotFound(remote_root + " does not exist on the handset (or is not readable)");

  struct Pending {
    std::string remote;
    std::string relative;
    int depth;
  };
  std::vector<Pending> directories;
  Status stopped;
  auto visit = [&](const std::string& remote, const std::string& relative, const SyncEntry& entry, int depth) {
    if (result.entries.size() >= kMaxLogicalFiles) {
      stopped = Status::LimitExceeded("more than " + std::to_string(kMaxLogicalFiles) + " entries");
      return;
    }
    LogicalFileRecord record;
    record.remote_path = remote;
    record.type = TypeOf(entry.mode);
    record.mode = entry.mode;
    record.mtime = entry.mtime;
    record.size = entry.size;
    if (record.type == "directory") {
      if (depth >= kMaxLogicalDepth) {
        record.error = "deeper than " + std::to_string(kMaxLogicalDepth) + " levels: not descended";
        ++result.failures;
      } else {
        directories.push_back({remote, relative, depth + 1});
      }
    } else if (record.type == "file") {
      record.local_path = (std::filesystem::path(kLogicalFilesDir) / relative).string();
      Status copied = CopyFile(sync, out_dir, &record);
      if (copied.ok()) {
        if (record.size != entry.size) {
          record.error = "received " + std::to_string(record.size) + " bytes, listed size " + std::to_string(entry.size);
          ++result.failures;
        }
        ++result.files_copied;
        result.bytes_copied += record.size;
      } else {
        record.error = copied.ToString();
        ++result.failures;
        if (copied.code() != StatusCode::kUnreadable) stopped = copied;
      }
    }
    result.entries.push_back(std::move(record));
  };

  const bool root_is_directory = (root.mode & kTypeMask) == kDirectory;
  if (root_is_directory) {
    directories.push_back({remote_root, "", 0});
  } else {
    const std::string name = std::filesystem::path(remote_root).filename().string();
    visit(remote_root, SafeName(name) ? name : "file", root, 0);
  }
  while (!directories.empty() && stopped.ok()) {
    Pending dir = directories.back();
    directories.pop_back();
    auto listing = sync.List(dir.remote, kMaxLogicalFiles);
    if (!listing.ok()) {
      LogicalFileRecord failed{dir.remote, "", "directory", 0, 0, 0, {}, listing.status().ToString()};
      result.entries.push_back(std::move(failed));
      ++result.failures;
      if (listing.status().code() != StatusCode::kUnreadable) stopped = listing.status();
      continue;
    }
    for (const auto& entry : *listing) {
      if (!stopped.ok()) break;
      const std::string remote = JoinRemote(dir.remote, entry.name);
      if (!SafeName(entry.name)) {
        LogicalFileRecord refused{remote, "", TypeOf(entry.mode), entry.size, entry.mode, entry.mtime, {},
                                  "unsafe name from the handset: not written"};
        result.entries.push_back(std::move(refused));
        ++result.failures;
        continue;
      }
      visit(remote, dir.relative.empty() ? entry.name : dir.relative + "/" + entry.name, entry, dir.depth);
    }
  }

  nlohmann::json manifest = {{"kind", "adb-logical-acquisition"},
                             {"device", device},
                             {"remote_root", remote_root},
                             {"started_utc", started},
                             {"finished_utc", UtcNowIso8601()},
                             {"state", !stopped.ok()            ? "stopped: " + stopped.ToString()
                                       : result.failures == 0 ? std::string("complete")
                                                              : "incomplete: " + std::to_string(result.failures) +
                                                                    " entries not copied (see their errors)"},
                             {"note", kStateChangeNote},
                             {"files_copied", result.files_copied},
                             {"bytes_copied", result.bytes_copied},
                             {"failures", result.failures},
                             {"entries", nlohmann::json::array()}};
  for (const auto& record : result.entries) manifest["entries"].push_back(RecordJson(record));
  const std::string text = manifest.dump(2) + "\n";
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(result.manifest_path, text));
  result.manifest_sha256 = Sha256Hex(text);
  INTERDICT_RETURN_IF_ERROR(WriteFileAtomic(result.manifest_path.string() + ".sha256",
                                            result.manifest_sha256 + "  " + kLogicalManifestName + "\n"));
  if (!stopped.ok()) return stopped;
  return result;
}

Result<LogicalAcquisitionResult> AcquireAdbLogical(const std::string& serial, const std::filesystem::path& key_path,
                                                   const std::string& remote_root,
                                                   const std::filesystem::path& out_dir) {
  INTERDICT_ASSIGN_OR_RETURN(AdbHandset handset, ConnectAdbHandset(serial, key_path));
  INTERDICT_ASSIGN_OR_RETURN(std::unique_ptr<AdbSyncClient> sync, AdbSyncClient::Open(*handset.connection));
  nlohmann::json device = handset.details;
  device["protocol"] = "android-adb/sync";
  auto result = PullTree(*sync, remote_root, out_dir, device);
  (void)sync->Quit();
  return result;
}

}  // namespace interdict::usb
