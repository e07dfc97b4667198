// Logical acquisition over ADB sync: walks a directory tree on the handset (LIST), copies every regular
// file (RECV) into `out_dir/files/<same relative path>` with MD5/SHA-1/SHA-256 computed while receiving and
// the handset's modification time restored, and writes `out_dir/manifest.json` (device identity, every
// file with size, mode, mtime and hashes, every file or directory that could not be read and why) plus
// `manifest.json.sha256`.
//
// Names come from the handset and are hostile: an entry named "", ".", "..", or containing '/' or NUL is
// not written anywhere and is listed as refused. Symbolic links and special files are listed, never
// followed or read. Limits: kMaxLogicalFiles entries, kMaxLogicalDepth directory levels.
// Note (reference notes §3.5): any ADB session changes device state (logs, access times); the manifest
// says so.
#ifndef INTERDICT_USB_IMAGER_ENGINE_ADB_LOGICAL_ACQUISITION_H_
#define INTERDICT_USB_IMAGER_ENGINE_ADB_LOGICAL_ACQUISITION_H_

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "protocol/adb_client.h"

namespace interdict::usb {

inline constexpr size_t kMaxLogicalFiles = 1u << 20;
inline constexpr int kMaxLogicalDepth = 64;
inline constexpr char kLogicalManifestName[] = "manifest.json";
inline constexpr char kLogicalFilesDir[] = "files";

struct LogicalFileRecord {
  std::string remote_path;
  std::string local_path;  // relative to out_dir, "" when not copied
  std::string type;        // "file", "directory", "symlink", "other"
  uint64_t size = 0;       // bytes received (files), listed size otherwise
  uint32_t mode = 0, mtime = 0;
  Digests digests;
  std::string error;       // why it was not (fully) copied
};

struct LogicalAcquisitionResult {
  std::vector<LogicalFileRecord> entries;
  uint64_t files_copied = 0, bytes_copied = 0, failures = 0;
  std::filesystem::path manifest_path;
  std::string manifest_sha256;
};

// Pulls `remote_root` (a directory or a single file) into `out_dir` (created; must not hold a manifest yet).
// Per-file read errors are recorded and the walk continues; a lost connection or a refused request stops
// it (the Status says why) after writing what was copied into the manifest.
Result<LogicalAcquisitionResult> PullTree(AdbSyncClient& sync, const std::string& remote_root,
                                          const std::filesystem::path& out_dir, const nlohmann::json& device);

// What `interdict acquire --source adb:[SERIAL] --logical` runs: finds the ADB interface (ff/42/01) of the
// device with that USB serial (any, if empty and only one), authenticates with the lab key at `key_path`
// (created on first use), and pulls `remote_root` into `out_dir`.
Result<LogicalAcquisitionResult> AcquireAdbLogical(const std::string& serial, const std::filesystem::path& key_path,
                                                   const std::string& remote_root,
                                                   const std::filesystem::path& out_dir);

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_ENGINE_ADB_LOGICAL_ACQUISITION_H_
