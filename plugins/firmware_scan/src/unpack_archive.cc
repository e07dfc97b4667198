// Everything libarchive reads: zip, tar, cpio, 7z, ar, iso9660, cab, rar, xar, lha, and bare gzip, xz,
// lzma, zstd, lz4, bzip2 streams. Members are decompressed into memory (bounded by the member cap and the
// extracted-bytes budget) and offered one at a time; zip bombs are stopped by the per-member ratio limit
// (decompressed bytes against bytes libarchive pulled from the layer for that member) and the budget.
#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <memory>
#include <string>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

// Small reads keep the bytes-pulled-per-member estimate (the ratio limit's denominator) close.
constexpr size_t kArchiveReadBlockBytes = 16 * 1024;
constexpr size_t kMemberReadChunkBytes = 1 << 20;

bool HasPrefix(std::span<const uint8_t> head, std::initializer_list<uint8_t> magic, size_t at = 0) {
  if (head.size() < at + magic.size()) return false;
  return std::memcmp(head.data() + at, std::data(magic), magic.size()) == 0;
}

bool ProbeArchive(std::span<const uint8_t> head, uint64_t /*size*/) {
  return HasPrefix(head, {'P', 'K', 3, 4}) || HasPrefix(head, {'P', 'K', 5, 6}) ||   // zip (or empty zip)
         HasPrefix(head, {0x1F, 0x8B, 0x08}) ||                                       // gzip
         HasPrefix(head, {0xFD, '7', 'z', 'X', 'Z', 0x00}) ||                         // xz
         HasPrefix(head, {'B', 'Z', 'h'}) ||                                          // bzip2
         HasPrefix(head, {0x28, 0xB5, 0x2F, 0xFD}) ||                                 // zstd
         HasPrefix(head, {0x04, 0x22, 0x4D, 0x18}) || HasPrefix(head, {0x02, 0x21, 0x4C, 0x18}) ||  // lz4
         HasPrefix(head, {'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}) ||                       // 7z
         HasPrefix(head, {0x5D, 0x00, 0x00}) ||                                       // lzma alone
         HasPrefix(head, {'0', '7', '0', '7', '0'}) || HasPrefix(head, {0xC7, 0x71}) ||  // cpio
         HasPrefix(head, {'u', 's', 't', 'a', 'r'}, 257) ||                           // tar
         HasPrefix(head, {'!', '<', 'a', 'r', 'c', 'h', '>', '\n'}) ||                // ar
         HasPrefix(head, {'R', 'a', 'r', '!', 0x1A, 0x07}) ||                         // rar
         HasPrefix(head, {'M', 'S', 'C', 'F'});                                       // cab
}

// libarchive's view of a ByteSource, counting the bytes it pulls (for the ratio limit).
struct ReaderState {
  SourcePtr layer;
  uint64_t position = 0;
  uint64_t consumed = 0;
  std::vector<uint8_t> block = std::vector<uint8_t>(kArchiveReadBlockBytes);
  Status error;
};

la_ssize_t ReadCallback(struct archive* a, void* opaque, const void** buffer) {
  auto* state = static_cast<ReaderState*>(opaque);
  Result<size_t> got = state->layer->ReadAt(state->position, state->block.data(), state->block.size());
  if (!got.ok()) {
    state->error = got.status();
    archive_set_error(a, EIO, "%s", got.status().message().c_str());
    return -1;
  }
  state->position += *got;
  state->consumed += *got;
  *buffer = state->block.data();
  return static_cast<la_ssize_t>(*got);
}

la_int64_t SeekCallback(struct archive*, void* opaque, la_int64_t offset, int whence) {
  auto* state = static_cast<ReaderState*>(opaque);
  int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<int64_t>(state->position)
                                                              : static_cast<int64_t>(state->layer->size());
  int64_t target = base + offset;
  if (target < 0) return ARCHIVE_FATAL;
  state->position = static_cast<uint64_t>(target);
  return target;
}

la_int64_t SkipCallback(struct archive*, void* opaque, la_int64_t request) {
  auto* state = static_cast<ReaderState*>(opaque);
  uint64_t remaining = state->layer->size() - std::min(state->position, state->layer->size());
  uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(std::max<la_int64_t>(request, 0)), remaining);
  state->position += n;
  return static_cast<la_int64_t>(n);
}

std::string FormatLabel(struct archive* a) {
  int format = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
  switch (format) {
    case ARCHIVE_FORMAT_ZIP: return "zip";
    case ARCHIVE_FORMAT_TAR: return "tar";
    case ARCHIVE_FORMAT_CPIO: return "cpio";
    case ARCHIVE_FORMAT_7ZIP: return "7z";
    case ARCHIVE_FORMAT_AR: return "ar";
    case ARCHIVE_FORMAT_ISO9660: return "iso9660";
    case ARCHIVE_FORMAT_CAB: return "cab";
    case ARCHIVE_FORMAT_RAR: return "rar";
    case ARCHIVE_FORMAT_RAR_V5: return "rar";
    case ARCHIVE_FORMAT_XAR: return "xar";
    case ARCHIVE_FORMAT_LHA: return "lha";
    case ARCHIVE_FORMAT_RAW: {
      // A bare compressed stream: name it after its outermost filter.
      const char* filter = archive_filter_count(a) > 1 ? archive_filter_name(a, 0) : nullptr;
      return filter ? filter : "raw";
    }
    default: {
      const char* name = archive_format_name(a);
      return name ? name : "archive";
    }
  }
}

using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

Status UnpackArchive(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  ArchivePtr a(archive_read_new(), &archive_read_free);
  if (!a) return Status::Internal("archive_read_new failed");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_all(a.get());
  archive_read_support_format_raw(a.get());  // bare compressed streams; bids lowest, so real formats win
  ReaderState state;
  state.layer = layer;
  archive_read_set_callback_data(a.get(), &state);
  archive_read_set_read_callback(a.get(), &ReadCallback);
  archive_read_set_seek_callback(a.get(), &SeekCallback);
  archive_read_set_skip_callback(a.get(), &SkipCallback);
  if (archive_read_open1(a.get()) != ARCHIVE_OK) {
    if (!state.error.ok()) return state.error;
    return Status::Corrupt(std::string("archive not readable: ") + (archive_error_string(a.get()) ?: "unknown"));
  }
  const UnpackLimits& limits = context.limits();
  uint64_t members = 0;
  for (;;) {
    INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    struct archive_entry* entry = nullptr;
    uint64_t consumed_before = state.consumed;
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r == ARCHIVE_WARN) {
      context.Note(StatusCode::kCorrupt, std::string("archive: ") + (archive_error_string(a.get()) ?: "warning"));
    } else if (r != ARCHIVE_OK) {
      if (!state.error.ok()) return state.error;
      return Status::Corrupt(std::string("archive header: ") + (archive_error_string(a.get()) ?: "unreadable"));
    }
    const std::string label = FormatLabel(a.get());
    const char* raw_path = archive_entry_pathname(entry);
    std::string path = raw_path ? raw_path : "";
    if (label != "zip" && archive_format(a.get()) == ARCHIVE_FORMAT_RAW) path = "(decompressed)";
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    if (++members > limits.max_files_per_container) {
      return Status::LimitExceeded(label + " holds more than " + std::to_string(limits.max_files_per_container) +
                                   " members");
    }
    if (archive_entry_size_is_set(entry) && static_cast<uint64_t>(archive_entry_size(entry)) > limits.max_member_bytes) {
      context.Note(StatusCode::kLimitExceeded, label + ":" + path + " declares " +
                                                   std::to_string(archive_entry_size(entry)) +
                                                   " bytes, over the in-memory member cap; not extracted");
      continue;
    }
    std::vector<uint8_t> data;
    Status member_status;
    for (;;) {
      size_t old_size = data.size();
      if (old_size >= limits.max_member_bytes) {
        member_status = Status::LimitExceeded(label + ":" + path + " exceeds the in-memory member cap of " +
                                              std::to_string(limits.max_member_bytes) + " bytes");
        break;
      }
      data.resize(old_size + kMemberReadChunkBytes);
      la_ssize_t n = archive_read_data(a.get(), data.data() + old_size, kMemberReadChunkBytes);
      if (n < 0) {
        data.resize(old_size);
        if (!state.error.ok()) return state.error;
        member_status = Status::Corrupt(label + ":" + path + ": " + (archive_error_string(a.get()) ?: "data error"));
        break;
      }
      data.resize(old_size + static_cast<size_t>(n));
      if (n == 0) break;
      INTERDICT_RETURN_IF_ERROR(context.Charge(static_cast<uint64_t>(n)));
      uint64_t consumed = state.consumed - consumed_before;
      if (data.size() > kEntryRatioFloorBytes && data.size() / std::max<uint64_t>(consumed, 1) > limits.max_entry_ratio) {
        member_status = Status::LimitExceeded(label + ":" + path + " expands more than " +
                                              std::to_string(limits.max_entry_ratio) + "x (" +
                                              std::to_string(data.size()) + " bytes from " + std::to_string(consumed) +
                                              "); not extracted further");
        break;
      }
      if ((data.size() & ((16u << 20) - 1)) == 0) INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    }
    if (member_status.code() == StatusCode::kLimitExceeded) {
      context.Note(StatusCode::kLimitExceeded, member_status.message());
      continue;  // skip the rest of this member; the next header read discards it
    }
    data.shrink_to_fit();
    INTERDICT_RETURN_IF_ERROR(sink(Child{ChildKind::kExtracted, label, path, 0, MakeMemorySource(std::move(data))}));
    if (!member_status.ok()) return member_status;  // damaged data: the rest of the archive is unreliable
  }
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kArchiveFormat = {"archive", &ProbeArchive, &UnpackArchive};

}  // namespace interdict::fwscan
