#include "case/artifact_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "case/audit_chain.h"
#include "case/case_store.h"

namespace interdict {
namespace {

std::string Errno(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

// Closes a descriptor on every path out of a function.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Status WriteAll(int fd, const char* data, size_t length, const std::filesystem::path& path) {
  while (length > 0) {
    ssize_t written = write(fd, data, length);
    if (written < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(Errno("cannot write", path));
    }
    data += written;
    length -= static_cast<size_t>(written);
  }
  return Status::Ok();
}

// Streams `in` through the hasher, and into `out` when out >= 0.
Result<uint64_t> HashStream(int in, int out, MultiHasher& hasher, const std::filesystem::path& in_path,
                            const std::filesystem::path& out_path, const std::function<void(uint64_t)>& on_bytes = {}) {
  std::vector<char> buffer(kArtifactCopyBlockBytes);
  uint64_t total = 0;
  for (;;) {
    ssize_t got = read(in, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(Errno("cannot read", in_path));
    }
    if (got == 0) break;
    hasher.Update(buffer.data(), static_cast<size_t>(got));
    if (out >= 0) INTERDICT_RETURN_IF_ERROR(WriteAll(out, buffer.data(), static_cast<size_t>(got), out_path));
    total += static_cast<uint64_t>(got);
    if (on_bytes) on_bytes(static_cast<uint64_t>(got));
  }
  return total;
}

Result<int> OpenRegularReadOnly(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? Status::NotFound(Errno("cannot open", path)) : Status::IoError(Errno("cannot open", path));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return Status::InvalidArgument(path.string() + " is not a regular file");
  }
  return fd;
}

void SyncDirectory(const std::filesystem::path& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

}  // namespace

ArtifactFiles::ArtifactFiles(const std::filesystem::path& case_dir)
    : artifact_root_(case_dir / kArtifactDirName), staging_root_(case_dir / kStagingDirName) {}

std::filesystem::path ArtifactFiles::PathFor(std::string_view sha256) const {
  if (!IsSha256Hex(sha256)) return {};
  return artifact_root_ / std::string(sha256.substr(0, 2)) / std::string(sha256.substr(2, 2)) / std::string(sha256);
}

Status ArtifactFiles::CreateDirectories() const {
  std::error_code ec;
  std::filesystem::create_directories(artifact_root_, ec);
  if (!ec) std::filesystem::create_directories(staging_root_, ec);
  if (ec) return Status::IoError("cannot create the artifact store: " + ec.message());
  return Status::Ok();
}

Result<std::filesystem::path> ArtifactFiles::NewStagingFile(int* fd) const {
  std::error_code ec;
  std::filesystem::create_directories(staging_root_, ec);
  std::string name = (staging_root_ / "stage-XXXXXX").string();
  *fd = mkostemp(name.data(), O_CLOEXEC);
  if (*fd < 0) return Status::IoError(Errno("cannot create a staging file in", staging_root_));
  return std::filesystem::path(name);
}

Result<StagedArtifact> ArtifactFiles::StageCopy(const std::filesystem::path& source) const {
  INTERDICT_ASSIGN_OR_RETURN(int in_fd, OpenRegularReadOnly(source));
  FdCloser in(in_fd);
  int out_fd = -1;
  INTERDICT_ASSIGN_OR_RETURN(std::filesystem::path staged_path, NewStagingFile(&out_fd));
  FdCloser out(out_fd);
  StagedArtifact staged{staged_path, 0, {}};
  MultiHasher hasher;
  auto copied = HashStream(in_fd, out_fd, hasher, source, staged_path);
  Status synced = copied.ok() && fsync(out_fd) != 0 ? Status::IoError(Errno("cannot sync", staged_path)) : Status::Ok();
  if (!copied.ok() || !synced.ok()) {
    Discard(staged);
    return copied.ok() ? synced : copied.status();
  }
  staged.size = *copied;
  staged.digests = hasher.Finish();
  return staged;
}

Result<StagedArtifact> ArtifactFiles::StageMove(const std::filesystem::path& source) const {
  int placeholder_fd = -1;
  INTERDICT_ASSIGN_OR_RETURN(std::filesystem::path staged_path, NewStagingFile(&placeholder_fd));
  close(placeholder_fd);
  if (rename(source.c_str(), staged_path.c_str()) != 0) {
    int rename_errno = errno;
    unlink(staged_path.c_str());
    if (rename_errno != EXDEV) {
      errno = rename_errno;
      return rename_errno == ENOENT ? Status::NotFound(Errno("cannot move", source))
                                    : Status::IoError(Errno("cannot move", source));
    }
    INTERDICT_ASSIGN_OR_RETURN(StagedArtifact staged, StageCopy(source));
    unlink(source.c_str());
    return staged;
  }
  INTERDICT_ASSIGN_OR_RETURN(int fd, OpenRegularReadOnly(staged_path));
  FdCloser in(fd);
  StagedArtifact staged{staged_path, 0, {}};
  MultiHasher hasher;
  auto hashed = HashStream(fd, -1, hasher, staged_path, {});
  if (!hashed.ok()) {
    Discard(staged);
    return hashed.status();
  }
  staged.size = *hashed;
  staged.digests = hasher.Finish();
  return staged;
}

Result<StagedArtifact> ArtifactFiles::StageBytes(std::string_view bytes) const {
  int fd = -1;
  INTERDICT_ASSIGN_OR_RETURN(std::filesystem::path staged_path, NewStagingFile(&fd));
  FdCloser out(fd);
  StagedArtifact staged{staged_path, bytes.size(), {}};
  Status written = WriteAll(fd, bytes.data(), bytes.size(), staged_path);
  if (written.ok() && fsync(fd) != 0) written = Status::IoError(Errno("cannot sync", staged_path));
  if (!written.ok()) {
    Discard(staged);
    return written;
  }
  MultiHasher hasher;
  hasher.Update(bytes.data(), bytes.size());
  staged.digests = hasher.Finish();
  return staged;
}

Status ArtifactFiles::Place(const StagedArtifact& staged) const {
  std::filesystem::path target = PathFor(staged.digests.sha256);
  if (target.empty()) return Status::Internal("staged artifact has no SHA-256");
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return Status::IoError("cannot create " + target.parent_path().string() + ": " + ec.message());
  if (chmod(staged.staged_path.c_str(), kArtifactFileMode) != 0) {
    return Status::IoError(Errno("cannot make read-only", staged.staged_path));
  }
  if (rename(staged.staged_path.c_str(), target.c_str()) != 0) {
    return Status::IoError(Errno("cannot place artifact at", target));
  }
  SyncDirectory(target.parent_path());
  return Status::Ok();
}

void ArtifactFiles::Discard(const StagedArtifact& staged) const {
  if (!staged.staged_path.empty()) unlink(staged.staged_path.c_str());
}

Result<Digests> ArtifactFiles::Rehash(std::string_view sha256, const std::function<void(uint64_t)>& on_bytes) const {
  std::filesystem::path path = PathFor(sha256);
  if (path.empty()) return Status::InvalidArgument("not a SHA-256: " + std::string(sha256));
  INTERDICT_ASSIGN_OR_RETURN(int fd, OpenRegularReadOnly(path));
  FdCloser in(fd);
  MultiHasher hasher;
  INTERDICT_RETURN_IF_ERROR(HashStream(fd, -1, hasher, path, {}, on_bytes).status());
  return hasher.Finish();
}

}  // namespace interdict
