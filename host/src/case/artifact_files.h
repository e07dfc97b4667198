// The file side of the content-addressed artifact store: CASE_DIR/artifacts/ab/cd/<sha256>, read-only
// (0444) once in place. Bytes are staged in CASE_DIR/staging/ (same file system, so placing them is an
// atomic rename), hashed with MD5, SHA-1 and SHA-256 on the way, and only then named by their SHA-256.
// Placing the same bytes twice is harmless: the rename replaces identical content.
//
// Sources are only ever opened read-only, except that StageMove renames (or, across file systems, copies
// and then unlinks) a file the caller handed over for moving.
// Thread-safe: every call works on its own files.
#ifndef INTERDICT_CASE_ARTIFACT_FILES_H_
#define INTERDICT_CASE_ARTIFACT_FILES_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"

namespace interdict {

inline constexpr char kStagingDirName[] = "staging";
inline constexpr size_t kArtifactCopyBlockBytes = 1u << 20;
inline constexpr mode_t kArtifactFileMode = 0444;

struct StagedArtifact {
  std::filesystem::path staged_path;
  uint64_t size = 0;
  Digests digests;  // md5, sha1, sha256 (lowercase hex)
};

class ArtifactFiles {
 public:
  explicit ArtifactFiles(const std::filesystem::path& case_dir);

  // artifacts/<sha256[0:2]>/<sha256[2:4]>/<sha256>; empty if sha256 is not 64 lowercase hex digits.
  std::filesystem::path PathFor(std::string_view sha256) const;
  // Creates artifacts/ and staging/.
  Status CreateDirectories() const;

  // Copies a regular file (opened O_RDONLY) into staging, hashing while copying.
  Result<StagedArtifact> StageCopy(const std::filesystem::path& source) const;
  // Moves the file into staging (rename; copy + unlink across file systems) and hashes it there.
  Result<StagedArtifact> StageMove(const std::filesystem::path& source) const;
  Result<StagedArtifact> StageBytes(std::string_view bytes) const;
  // Renames the staged file to its content address and makes it read-only.
  Status Place(const StagedArtifact& staged) const;
  // Removes a staged file that is not needed (already stored, or the transaction failed).
  void Discard(const StagedArtifact& staged) const;
  // Re-reads a stored artifact and returns its digests (kNotFound if the file is missing). on_bytes, when
  // set, is called after each block with the number of bytes just read.
  Result<Digests> Rehash(std::string_view sha256, const std::function<void(uint64_t)>& on_bytes = {}) const;

 private:
  Result<std::filesystem::path> NewStagingFile(int* fd) const;
  std::filesystem::path artifact_root_;
  std::filesystem::path staging_root_;
};

}  // namespace interdict

#endif  // INTERDICT_CASE_ARTIFACT_FILES_H_
