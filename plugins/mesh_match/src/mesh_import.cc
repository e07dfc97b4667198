#include "mesh_import.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "assimp_reader.h"
#include "mesh_limits.h"
#include "stl_reader.h"
#include "threemf_reader.h"

namespace interdict::mesh {
namespace {

std::string LowerExtension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// An OBJ has no magic; look for its statement keywords at line starts in the first few KB.
bool LooksLikeObj(std::string_view text) {
  text = text.substr(0, std::min<size_t>(text.size(), 8192));
  int vertices = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.starts_with("v ") || line.starts_with("v\t")) ++vertices;
    for (unsigned char c : line) {
      if (c == 0) return false;
    }
    pos = end + 1;
  }
  return vertices >= 3;
}

// Unmaps on scope exit.
class ReadOnlyMapping {
 public:
  ~ReadOnlyMapping() {
    if (data_ != nullptr && data_ != MAP_FAILED) munmap(data_, size_);
  }
  Status Map(const std::filesystem::path& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::IoError("cannot open " + path.string() + ": " + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      return Status::IoError("cannot stat " + path.string());
    }
    size_ = static_cast<size_t>(st.st_size);
    if (static_cast<uint64_t>(st.st_size) > kMaxMeshFileBytes) {
      close(fd);
      return Status::LimitExceeded(path.string() + " is over the model file size limit");
    }
    if (size_ > 0) {
      // MAP_POPULATE: the whole file is parsed anyway; faulting it in one call halves the system time of a
      // 10M-triangle ingest (bench/mesh_match/SPEED.md).
      data_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (data_ == MAP_FAILED) {
        close(fd);
        return Status::IoError("cannot map " + path.string());
      }
      madvise(data_, size_, MADV_SEQUENTIAL);
    }
    close(fd);
    return Status::Ok();
  }
  std::span<const uint8_t> bytes() const {
    if (data_ == nullptr || data_ == MAP_FAILED) return {};
    return {static_cast<const uint8_t*>(data_), size_};
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

MeshFormat SniffMeshFormat(std::span<const uint8_t> data, std::string_view name) {
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  const std::string ext = LowerExtension(name);
  if (text.starts_with("PK\x03\x04")) return MeshFormat::kThreeMf;
  if (text.starts_with("ply\n") || text.starts_with("ply\r\n")) return MeshFormat::kPly;
  if (text.starts_with("OFF")) return MeshFormat::kOther;
  if (ext == "obj" && !text.starts_with("solid")) return MeshFormat::kObj;
  if (LooksLikeStl(data)) return MeshFormat::kStlBinary;  // the STL reader itself decides ASCII vs binary
  if (LooksLikeObj(text)) return MeshFormat::kObj;
  if (ext == "stl") return MeshFormat::kStlBinary;
  if (ext == "3mf") return MeshFormat::kThreeMf;
  return MeshFormat::kUnknown;
}

Result<ImportedMesh> ImportMesh(std::span<const uint8_t> data, std::string_view name) {
  switch (SniffMeshFormat(data, name)) {
    case MeshFormat::kStlBinary:
    case MeshFormat::kStlAscii:
      return ReadStl(data);
    case MeshFormat::kThreeMf:
      return ReadThreeMf(data);
    case MeshFormat::kObj:
      return ReadWithAssimp(data, "obj");
    case MeshFormat::kPly:
      return ReadWithAssimp(data, "ply");
    case MeshFormat::kOther:
      return ReadWithAssimp(data, "off");
    case MeshFormat::kUnknown:
      break;
  }
  return Status::Corrupt("not a recognised model file (STL, OBJ, 3MF, PLY, OFF)");
}

Result<ImportedMesh> ImportMeshFile(const std::filesystem::path& path) {
  ReadOnlyMapping mapping;
  INTERDICT_RETURN_IF_ERROR(mapping.Map(path));
  return ImportMesh(mapping.bytes(), path.filename().string());
}

}  // namespace interdict::mesh
