// squashfs v4 through libsquashfs (Debian's libsquashfs-dev, squashfs-tools-ng): gzip, xz, lzma, lz4 and
// zstd compression (no LZO in Debian's build: such images are reported as unsupported). Chosen over an
// own reader because the directory and fragment tables are intricate and libsquashfs is maintained and
// fuzzed; it reads through a sqfs_file_t over the parent layer, so nothing is copied to disk.
// Files become lazy views read through the data reader; like ext4, one thread at a time.
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

#include <cstring>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

bool ProbeSquashfs(std::span<const uint8_t> head, uint64_t size) {
  return size >= 96 && head.size() >= 30 && std::memcmp(head.data(), "hsqs", 4) == 0 && Le16(head.data() + 28) == 4;
}

// sqfs_file_t over a ByteSource. Must stay the first member so the C callbacks can cast back.
struct LayerFile {
  sqfs_file_t file;
  SourcePtr layer;
};

int LayerReadAt(sqfs_file_t* file, sqfs_u64 offset, void* buffer, size_t size) {
  auto* self = reinterpret_cast<LayerFile*>(file);
  Result<size_t> got = self->layer->ReadAt(offset, buffer, size);
  if (!got.ok()) return SQFS_ERROR_IO;
  return *got == size ? 0 : SQFS_ERROR_OUT_OF_BOUNDS;
}
int LayerWriteAt(sqfs_file_t*, sqfs_u64, const void*, size_t) { return SQFS_ERROR_UNSUPPORTED; }
sqfs_u64 LayerGetSize(const sqfs_file_t* file) { return reinterpret_cast<const LayerFile*>(file)->layer->size(); }
int LayerTruncate(sqfs_file_t*, sqfs_u64) { return SQFS_ERROR_UNSUPPORTED; }
void LayerDestroy(sqfs_object_t*) {}  // owned by SquashFs below, never by libsquashfs

struct SquashFs {
  LayerFile file{};
  sqfs_super_t super{};
  sqfs_compressor_t* compressor = nullptr;
  sqfs_dir_reader_t* dir_reader = nullptr;
  sqfs_data_reader_t* data_reader = nullptr;
  sqfs_id_table_t* ids = nullptr;
  sqfs_tree_node_t* root = nullptr;
  ~SquashFs() {
    sqfs_dir_tree_destroy(root);
    if (data_reader) sqfs_destroy(data_reader);
    if (dir_reader) sqfs_destroy(dir_reader);
    if (ids) sqfs_destroy(ids);
    if (compressor) sqfs_destroy(compressor);
  }
};

class SquashfsFileSource final : public ByteSource {
 public:
  SquashfsFileSource(std::shared_ptr<SquashFs> fs, const sqfs_inode_generic_t* inode, uint64_t size)
      : fs_(std::move(fs)), inode_(inode), size_(size) {}
  uint64_t size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t length) const override {
    if (offset >= size_) return size_t{0};
    length = static_cast<size_t>(std::min<uint64_t>(length, size_ - offset));
    size_t done = 0;
    while (done < length) {
      auto want = static_cast<sqfs_u32>(std::min<size_t>(length - done, 1u << 24));
      sqfs_s32 n = sqfs_data_reader_read(fs_->data_reader, inode_, offset + done, static_cast<uint8_t*>(buffer) + done, want);
      if (n < 0) return Status::Corrupt("squashfs data read failed (error " + std::to_string(n) + ")");
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  std::shared_ptr<SquashFs> fs_;
  const sqfs_inode_generic_t* inode_;
  uint64_t size_;
};

std::string NodeName(const sqfs_tree_node_t* node) { return reinterpret_cast<const char*>(node->name); }

Status UnpackSquashfs(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  auto fs = std::make_shared<SquashFs>();
  fs->file.layer = layer;
  fs->file.file.base.destroy = &LayerDestroy;
  fs->file.file.read_at = &LayerReadAt;
  fs->file.file.write_at = &LayerWriteAt;
  fs->file.file.get_size = &LayerGetSize;
  fs->file.file.truncate = &LayerTruncate;
  sqfs_file_t* file = &fs->file.file;
  if (int e = sqfs_super_read(&fs->super, file); e != 0) {
    return Status::Corrupt("squashfs superblock invalid (error " + std::to_string(e) + ")");
  }
  sqfs_compressor_config_t config{};
  if (sqfs_compressor_config_init(&config, static_cast<SQFS_COMPRESSOR>(fs->super.compression_id),
                                  fs->super.block_size, SQFS_COMP_FLAG_UNCOMPRESS) != 0 ||
      sqfs_compressor_create(&config, &fs->compressor) != 0) {
    return Status::Unsupported("squashfs compressor " + std::to_string(fs->super.compression_id) +
                               " not available in libsquashfs");
  }
  fs->ids = sqfs_id_table_create(0);
  fs->dir_reader = sqfs_dir_reader_create(&fs->super, fs->compressor, file, 0);
  fs->data_reader = sqfs_data_reader_create(file, fs->super.block_size, fs->compressor, 0);
  if (!fs->ids || !fs->dir_reader || !fs->data_reader) return Status::Internal("libsquashfs allocation failed");
  if (int e = sqfs_id_table_read(fs->ids, file, &fs->super, fs->compressor); e != 0) {
    return Status::Corrupt("squashfs id table (error " + std::to_string(e) + ")");
  }
  if (int e = sqfs_data_reader_load_fragment_table(fs->data_reader, &fs->super); e != 0) {
    return Status::Corrupt("squashfs fragment table (error " + std::to_string(e) + ")");
  }
  if (int e = sqfs_dir_reader_get_full_hierarchy(fs->dir_reader, fs->ids, nullptr, 0, &fs->root); e != 0) {
    return Status::Corrupt("squashfs directory tree (error " + std::to_string(e) + ")");
  }
  uint64_t files = 0;
  // Children lists are sorted by name in squashfs; depth-first with an explicit stack.
  std::vector<std::pair<const sqfs_tree_node_t*, std::string>> stack;
  for (const sqfs_tree_node_t* c = fs->root->children; c; c = c->next) stack.emplace_back(c, "/" + NodeName(c));
  std::reverse(stack.begin(), stack.end());
  while (!stack.empty()) {
    auto [node, path] = stack.back();
    stack.pop_back();
    INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    uint16_t type = node->inode->base.type;
    if (type == SQFS_INODE_DIR || type == SQFS_INODE_EXT_DIR) {
      std::vector<std::pair<const sqfs_tree_node_t*, std::string>> kids;
      for (const sqfs_tree_node_t* c = node->children; c; c = c->next) kids.emplace_back(c, path + "/" + NodeName(c));
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
      continue;
    }
    if (type != SQFS_INODE_FILE && type != SQFS_INODE_EXT_FILE) continue;
    sqfs_u64 size = 0;
    sqfs_inode_get_file_size(node->inode, &size);
    if (++files > context.limits().max_files_per_container) {
      return Status::LimitExceeded("squashfs holds more than " +
                                   std::to_string(context.limits().max_files_per_container) + " files");
    }
    INTERDICT_RETURN_IF_ERROR(context.Charge(size));
    INTERDICT_RETURN_IF_ERROR(
        sink(Child{ChildKind::kExtracted, "squashfs", path, 0, std::make_shared<SquashfsFileSource>(fs, node->inode, size)}));
  }
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kSquashfsFormat = {"squashfs", &ProbeSquashfs, &UnpackSquashfs};

}  // namespace interdict::fwscan
