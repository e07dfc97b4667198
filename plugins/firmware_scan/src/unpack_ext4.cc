// ext2/3/4 through libext2fs, read-only, over an I/O manager that reads the parent layer directly: no
// temporary copy of the partition, which may itself be a view of a sparse image inside a partition.
// Regular files become lazy views (read through libext2fs on demand). libext2fs is not thread-safe: the
// sources handed out here are used by one thread, the walker's.
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr uint64_t kSuperblockOffset = 1024;
constexpr uint16_t kExtMagic = 0xEF53;

bool ProbeExt4(std::span<const uint8_t> head, uint64_t size) {
  return size >= 2048 && head.size() >= kSuperblockOffset + 58 && Le16(head.data() + kSuperblockOffset + 56) == kExtMagic;
}

// --- an io_manager over a ByteSource ---------------------------------------------------------------
// libext2fs opens channels by name, so layers are registered under a unique name for the open call.
std::mutex g_registry_mutex;
std::map<std::string, const ByteSource*>& Registry() {
  static std::map<std::string, const ByteSource*> registry;
  return registry;
}

errcode_t LayerOpen(const char* name, int flags, io_channel* channel);
errcode_t LayerClose(io_channel channel) {
  if (--channel->refcount > 0) return 0;
  std::free(channel->name);
  std::free(channel);
  return 0;
}
errcode_t LayerSetBlockSize(io_channel channel, int block_size) {
  channel->block_size = block_size;
  return 0;
}
errcode_t LayerRead64(io_channel channel, unsigned long long block, int count, void* data) {
  const auto* source = static_cast<const ByteSource*>(channel->private_data);
  size_t length = count < 0 ? static_cast<size_t>(-static_cast<int64_t>(count))
                            : static_cast<size_t>(count) * static_cast<size_t>(channel->block_size);
  uint64_t offset = static_cast<uint64_t>(block) * static_cast<uint64_t>(channel->block_size);
  Result<size_t> got = source->ReadAt(offset, data, length);
  if (!got.ok()) return EXT2_ET_SHORT_READ;
  if (*got < length) {
    std::memset(static_cast<uint8_t*>(data) + *got, 0, length - *got);
    return EXT2_ET_SHORT_READ;
  }
  return 0;
}
errcode_t LayerRead(io_channel channel, unsigned long block, int count, void* data) {
  return LayerRead64(channel, block, count, data);
}
errcode_t LayerWrite(io_channel, unsigned long, int, const void*) { return EXT2_ET_OP_NOT_SUPPORTED; }
errcode_t LayerWrite64(io_channel, unsigned long long, int, const void*) { return EXT2_ET_OP_NOT_SUPPORTED; }
errcode_t LayerWriteByte(io_channel, unsigned long, int, const void*) { return EXT2_ET_OP_NOT_SUPPORTED; }
errcode_t LayerFlush(io_channel) { return 0; }
errcode_t LayerSetOption(io_channel, const char*, const char*) { return EXT2_ET_INVALID_ARGUMENT; }

struct struct_io_manager g_layer_io_manager = [] {
  struct struct_io_manager m {};
  m.magic = EXT2_ET_MAGIC_IO_MANAGER;
  m.name = "interdict read-only layer";
  m.open = &LayerOpen;
  m.close = &LayerClose;
  m.set_blksize = &LayerSetBlockSize;
  m.read_blk = &LayerRead;
  m.write_blk = &LayerWrite;
  m.flush = &LayerFlush;
  m.write_byte = &LayerWriteByte;
  m.set_option = &LayerSetOption;
  m.read_blk64 = &LayerRead64;
  m.write_blk64 = &LayerWrite64;
  return m;
}();

errcode_t LayerOpen(const char* name, int flags, io_channel* channel) {
  if (flags & IO_FLAG_RW) return EXT2_ET_OP_NOT_SUPPORTED;  // never write to evidence
  const ByteSource* source = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    auto it = Registry().find(name);
    if (it == Registry().end()) return EXT2_ET_BAD_DEVICE_NAME;
    source = it->second;
  }
  auto* ch = static_cast<io_channel>(std::calloc(1, sizeof(struct struct_io_channel)));
  if (ch == nullptr) return EXT2_ET_NO_MEMORY;
  ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
  ch->manager = &g_layer_io_manager;
  ch->name = strdup(name);
  ch->block_size = 1024;
  ch->refcount = 1;
  ch->private_data = const_cast<ByteSource*>(source);
  *channel = ch;
  return 0;
}

std::string Ext2Error(errcode_t code) { return error_message(code); }

// Keeps the file system open for as long as any member view exists.
struct FileSystem {
  ext2_filsys fs = nullptr;
  SourcePtr layer;
  ~FileSystem() {
    if (fs) ext2fs_close_free(&fs);
  }
};

class Ext4FileSource final : public ByteSource {
 public:
  Ext4FileSource(std::shared_ptr<FileSystem> fs, ext2_ino_t ino, uint64_t size) : fs_(std::move(fs)), ino_(ino), size_(size) {}
  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= size_) return size_t{0};
    length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
    ext2_file_t file = nullptr;
    errcode_t err = ext2fs_file_open(fs_->fs, ino_, 0, &file);
    if (err) return Status::Corrupt("ext4 inode " + std::to_string(ino_) + ": " + Ext2Error(err));
    size_t done = 0;
    err = ext2fs_file_llseek(file, offset, EXT2_SEEK_SET, nullptr);
    while (!err && done < length) {
      unsigned int want = static_cast<unsigned int>(std::min<size_t>(length - done, 1u << 30));
      unsigned int got = 0;
      err = ext2fs_file_read(file, static_cast<uint8_t*>(buffer) + done, want, &got);
      if (got == 0) break;
      done += got;
    }
    ext2fs_file_close(file);
    if (err) return Status::Corrupt("ext4 inode " + std::to_string(ino_) + " read: " + Ext2Error(err));
    // A file whose blocks run out early reads as zeros (holes) to its recorded size.
    if (done < length) std::memset(static_cast<uint8_t*>(buffer) + done, 0, length - done);
    return length;
  }

 private:
  std::shared_ptr<FileSystem> fs_;
  ext2_ino_t ino_;
  uint64_t size_;
};

struct DirEntry {
  std::string name;
  ext2_ino_t ino;
};

int CollectEntry(ext2_ino_t, int, struct ext2_dir_entry* dirent, int, int, char*, void* priv) {
  auto* out = static_cast<std::vector<DirEntry>*>(priv);
  int len = ext2fs_dirent_name_len(dirent);
  std::string name(dirent->name, static_cast<size_t>(len));
  if (name != "." && name != ".." && dirent->inode != 0) out->push_back({std::move(name), dirent->inode});
  return 0;
}

Status UnpackExt4(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  static std::atomic<uint64_t> counter{0};
  std::string name = "interdict-layer:" + std::to_string(counter.fetch_add(1));
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    Registry()[name] = layer.get();
  }
  auto fs = std::make_shared<FileSystem>();
  fs->layer = layer;
  errcode_t err = ext2fs_open2(name.c_str(), nullptr,
                               EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP | EXT2_FLAG_IGNORE_CSUM_ERRORS, 0, 0,
                               &g_layer_io_manager, &fs->fs);
  {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    Registry().erase(name);  // the channel keeps its own pointer; `fs` keeps the layer alive
  }
  if (err) {
    fs->fs = nullptr;
    return Status::Corrupt("ext4 superblock: " + Ext2Error(err));
  }
  // Depth-first, names sorted per directory; directories seen once (a corrupt tree may loop).
  struct Pending {
    ext2_ino_t ino;
    std::string path;
    int depth;
  };
  std::vector<Pending> stack{{EXT2_ROOT_INO, "", 0}};
  std::set<ext2_ino_t> seen_dirs;
  uint64_t files = 0;
  while (!stack.empty()) {
    Pending dir = std::move(stack.back());
    stack.pop_back();
    if (!seen_dirs.insert(dir.ino).second) {
      context.Note(StatusCode::kCorrupt, "ext4 directory " + dir.path + "/ reached twice (loop)");
      continue;
    }
    std::vector<DirEntry> entries;
    err = ext2fs_dir_iterate2(fs->fs, dir.ino, 0, nullptr, &CollectEntry, &entries);
    if (err) {
      context.Note(StatusCode::kCorrupt, "ext4 directory " + dir.path + "/: " + Ext2Error(err));
      continue;
    }
    std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    std::vector<Pending> subdirs;
    for (const DirEntry& e : entries) {
      INTERDICT_RETURN_IF_ERROR(context.CheckTime());
      struct ext2_inode inode {};
      std::string path = dir.path + "/" + e.name;
      err = ext2fs_read_inode(fs->fs, e.ino, &inode);
      if (err) {
        context.Note(StatusCode::kCorrupt, "ext4 " + path + ": inode " + std::to_string(e.ino) + ": " + Ext2Error(err));
        continue;
      }
      if (LINUX_S_ISDIR(inode.i_mode)) {
        if (dir.depth + 1 >= kMaxDirectoryDepth) {
          context.Note(StatusCode::kLimitExceeded, "ext4 " + path + "/ nested deeper than " +
                                                       std::to_string(kMaxDirectoryDepth) + " directories; skipped");
        } else {
          subdirs.push_back({e.ino, path, dir.depth + 1});
        }
        continue;
      }
      if (!LINUX_S_ISREG(inode.i_mode)) continue;
      if (++files > context.limits().max_files_per_container) {
        return Status::LimitExceeded("ext4 holds more than " + std::to_string(context.limits().max_files_per_container) +
                                     " files");
      }
      uint64_t size = EXT2_I_SIZE(&inode);
      INTERDICT_RETURN_IF_ERROR(context.Charge(size));
      INTERDICT_RETURN_IF_ERROR(
          sink(Child{ChildKind::kExtracted, "ext4", path, 0, std::make_shared<Ext4FileSource>(fs, e.ino, size)}));
    }
    // Push in reverse so that the alphabetically first directory is visited first.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
  }
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kExt4Format = {"ext4", &ProbeExt4, &UnpackExt4};

}  // namespace interdict::fwscan
