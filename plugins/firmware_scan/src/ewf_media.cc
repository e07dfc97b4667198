#include "ewf_media.h"

// libewf's own libbfio (the Debian build bundles it and exports its symbols) is the one libewf uses, so the
// pool below is built with it: we link libewf only, never a second libbfio whose structures could differ.
// libbfio-dev's header declares the same functions (their signatures are unchanged since 2013).
#define LIBEWF_HAVE_BFIO 1
#include <libbfio.h>
#include <libewf.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace interdict::fwscan {
namespace {

constexpr size_t kDigestReadBytes = 4u << 20;
constexpr size_t kErrorMessageBytes = 2048;

// libewf's error chain as one line (its backtrace names each layer that failed), then freed.
std::string TakeEwfError(libewf_error_t*& error) {
  if (error == nullptr) return "no reason given";
  char message[kErrorMessageBytes] = {};
  libewf_error_backtrace_sprint(error, message, sizeof(message));
  libewf_error_free(&error);
  std::string text(message);
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text.empty() ? "no reason given" : text;
}


// Segment files opened from paths are held open up to kMaxOpenEwfSegmentFiles at a time; beyond that a
// read opens and closes its file. (libbfio's pool can limit open handles itself, but the copy bundled in
// libewf 20140813 corrupts its last-used list when it does, so the pool runs unlimited and we limit here.)
struct OpenFiles {
  int open = 0;
};

// One libbfio io handle: a segment read through a ByteSource (opened from a path when the pool opens it).
struct SegmentIo {
  EwfSegment segment;
  std::shared_ptr<OpenFiles> open_files;
  SourcePtr open_source;  // held open (counted in open_files when opened from a path)
  bool is_open = false;
  uint64_t size = 0;
  int64_t offset = 0;
};

SegmentIo* Io(intptr_t* handle) { return reinterpret_cast<SegmentIo*>(handle); }

void Release(SegmentIo* io) {
  if (io->open_source && !io->segment.source) io->open_files->open--;
  io->open_source.reset();
}

// The segment's bytes: the held source, or the file opened for this read only.
Result<SourcePtr> SegmentBytes(SegmentIo* io) {
  if (io->open_source) return io->open_source;
  INTERDICT_ASSIGN_OR_RETURN(SourcePtr opened, OpenFileSource(io->segment.path));
  if (io->open_files->open < kMaxOpenEwfSegmentFiles) {
    io->open_files->open++;
    io->open_source = opened;
  }
  return opened;
}

int IoFree(intptr_t** handle, libbfio_error_t** /*error*/) {
  Release(Io(*handle));
  delete Io(*handle);
  *handle = nullptr;
  return 1;
}

int IoClone(intptr_t** destination, intptr_t* source, libbfio_error_t** /*error*/) {
  auto* copy = new SegmentIo{Io(source)->segment, Io(source)->open_files, nullptr, false, 0, 0};
  *destination = reinterpret_cast<intptr_t*>(copy);
  return 1;
}

int IoOpen(intptr_t* handle, int access_flags, libbfio_error_t** /*error*/) {
  SegmentIo* io = Io(handle);
  if ((access_flags & LIBBFIO_ACCESS_FLAG_WRITE) != 0) return -1;  // evidence is never written to
  if (io->segment.source) {
    io->open_source = io->segment.source;
  } else {
    Result<SourcePtr> opened = SegmentBytes(io);
    if (!opened.ok()) return -1;
    io->size = (*opened)->size();
  }
  if (io->open_source) io->size = io->open_source->size();
  io->is_open = true;
  io->offset = 0;
  return 1;
}

int IoClose(intptr_t* handle, libbfio_error_t** /*error*/) {
  Release(Io(handle));
  Io(handle)->is_open = false;
  return 0;
}

ssize_t IoRead(intptr_t* handle, uint8_t* buffer, size_t size, libbfio_error_t** /*error*/) {
  SegmentIo* io = Io(handle);
  if (!io->is_open || io->offset < 0) return -1;
  Result<SourcePtr> bytes = SegmentBytes(io);
  if (!bytes.ok()) return -1;
  Result<size_t> got = (*bytes)->ReadAt(static_cast<uint64_t>(io->offset), buffer, size);
  if (!got.ok()) return -1;
  io->offset += static_cast<int64_t>(*got);
  return static_cast<ssize_t>(*got);
}

ssize_t IoWrite(intptr_t* /*handle*/, const uint8_t* /*buffer*/, size_t /*size*/, libbfio_error_t** /*error*/) {
  return -1;
}

off64_t IoSeek(intptr_t* handle, off64_t offset, int whence, libbfio_error_t** /*error*/) {
  SegmentIo* io = Io(handle);
  int64_t base = 0;
  if (whence == SEEK_CUR) base = io->offset;
  else if (whence == SEEK_END) base = static_cast<int64_t>(io->size);
  else if (whence != SEEK_SET) return -1;
  if (offset < 0 && base < -offset) return -1;
  io->offset = base + offset;
  return io->offset;
}

int IoExists(intptr_t* handle, libbfio_error_t** /*error*/) {
  SegmentIo* io = Io(handle);
  if (io->segment.source) return 1;
  std::error_code ec;
  return std::filesystem::is_regular_file(io->segment.path, ec) ? 1 : 0;
}

int IoIsOpen(intptr_t* handle, libbfio_error_t** /*error*/) { return Io(handle)->is_open ? 1 : 0; }

int IoGetSize(intptr_t* handle, size64_t* size, libbfio_error_t** /*error*/) {
  SegmentIo* io = Io(handle);
  if (!io->is_open) return -1;
  *size = io->size;
  return 1;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string FormatName(uint8_t format) {
  switch (format) {
    case LIBEWF_FORMAT_ENCASE1: return "EnCase 1";
    case LIBEWF_FORMAT_ENCASE2: return "EnCase 2";
    case LIBEWF_FORMAT_ENCASE3: return "EnCase 3";
    case LIBEWF_FORMAT_ENCASE4: return "EnCase 4";
    case LIBEWF_FORMAT_ENCASE5: return "EnCase 5";
    case LIBEWF_FORMAT_ENCASE6: return "EnCase 6";
    case LIBEWF_FORMAT_ENCASE7: return "EnCase 7";
    case LIBEWF_FORMAT_SMART: return "SMART";
    case LIBEWF_FORMAT_FTK_IMAGER: return "FTK Imager";
    case LIBEWF_FORMAT_LINEN5: return "linen 5";
    case LIBEWF_FORMAT_LINEN6: return "linen 6";
    case LIBEWF_FORMAT_LINEN7: return "linen 7";
    case LIBEWF_FORMAT_EWF: return "EWF";
    case LIBEWF_FORMAT_EWFX: return "EWFX";
    default: return "EWF (format " + std::to_string(format) + ")";
  }
}

// Reads one UTF-8 value through libewf's size-then-value pair (header values and hash values alike).
template <typename SizeFn, typename ValueFn>
std::optional<std::string> ReadEwfString(SizeFn size_fn, ValueFn value_fn) {
  libewf_error_t* error = nullptr;
  size_t size = 0;
  if (size_fn(&size, &error) != 1 || size == 0) {
    if (error) libewf_error_free(&error);
    return std::nullopt;
  }
  // libewf already holds the whole value, so its size is bounded by what it parsed; we cut it afterwards.
  std::vector<uint8_t> value(size);
  if (value_fn(value.data(), value.size(), &error) != 1) {
    if (error) libewf_error_free(&error);
    return std::nullopt;
  }
  std::string text(reinterpret_cast<const char*>(value.data()), strnlen(reinterpret_cast<const char*>(value.data()), value.size()));
  if (text.size() > kMaxEwfValueBytes) text.resize(kMaxEwfValueBytes);
  return text;
}

// Adds [first, first + count) to a map of disjoint sector intervals (start -> end), merging neighbours.
void AddSectorRange(std::map<uint64_t, uint64_t>& ranges, uint64_t first, uint64_t count) {
  if (count == 0) return;
  uint64_t end = first + count;
  auto it = ranges.upper_bound(first);
  if (it != ranges.begin() && std::prev(it)->second >= first) {
    --it;
    first = it->first;
    end = std::max(end, it->second);
    it = ranges.erase(it);
  }
  while (it != ranges.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges.erase(it);
  }
  ranges[first] = end;
}

}  // namespace

struct EwfMedia::Handles {
  libbfio_pool_t* pool = nullptr;
  libewf_handle_t* handle = nullptr;
  ~Handles() {
    libewf_error_t* error = nullptr;
    if (handle != nullptr) {
      libewf_handle_close(handle, &error);
      if (error) libewf_error_free(&error);
      libewf_handle_free(&handle, &error);
      if (error) libewf_error_free(&error);
    }
    if (pool != nullptr) {
      libbfio_pool_free(&pool, reinterpret_cast<libbfio_error_t**>(&error));
      if (error) libewf_error_free(&error);
    }
  }
};

EwfMedia::EwfMedia(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
EwfMedia::~EwfMedia() = default;

Result<std::shared_ptr<EwfMedia>> EwfMedia::Open(std::vector<EwfSegment> segments) {
  if (segments.empty()) return Status::InvalidArgument("no EWF segment files");
  if (segments.size() > kMaxEwfSegmentFiles) {
    return Status::LimitExceeded("EWF segment set of " + std::to_string(segments.size()) + " files exceeds " +
                                 std::to_string(kMaxEwfSegmentFiles));
  }
  auto handles = std::make_unique<Handles>();
  libewf_error_t* error = nullptr;
  libbfio_error_t** bfio_error = reinterpret_cast<libbfio_error_t**>(&error);
  if (libbfio_pool_initialize(&handles->pool, 0, LIBBFIO_POOL_UNLIMITED_NUMBER_OF_OPEN_HANDLES, bfio_error) != 1) {
    return Status::Internal("libbfio_pool_initialize: " + TakeEwfError(error));
  }
  auto open_files = std::make_shared<OpenFiles>();
  for (EwfSegment& segment : segments) {
    auto* io = new SegmentIo{std::move(segment), open_files, nullptr, false, 0, 0};
    libbfio_handle_t* bfio = nullptr;
    if (libbfio_handle_initialize(&bfio, reinterpret_cast<intptr_t*>(io), IoFree, IoClone, IoOpen, IoClose, IoRead,
                                  IoWrite, IoSeek, IoExists, IoIsOpen, IoGetSize, LIBBFIO_FLAG_IO_HANDLE_MANAGED,
                                  bfio_error) != 1) {
      delete io;
      return Status::Internal("libbfio_handle_initialize: " + TakeEwfError(error));
    }
    int entry = 0;
    if (libbfio_pool_append_handle(handles->pool, &entry, bfio, LIBBFIO_OPEN_READ, bfio_error) != 1) {
      libbfio_handle_free(&bfio, nullptr);
      return Status::Internal("libbfio_pool_append_handle: " + TakeEwfError(error));
    }
  }
  if (libewf_handle_initialize(&handles->handle, &error) != 1) {
    return Status::Internal("libewf_handle_initialize: " + TakeEwfError(error));
  }
  if (libewf_handle_open_file_io_pool(handles->handle, handles->pool, LIBEWF_OPEN_READ, &error) != 1) {
    return Status::Corrupt("libewf cannot open the segment set: " + TakeEwfError(error));
  }
  // A chunk whose checksum fails reads as zeros and is listed, instead of failing the whole layer.
  if (libewf_handle_set_read_zero_chunk_on_error(handles->handle, 1, &error) != 1 ||
      libewf_handle_set_header_values_date_format(handles->handle, LIBEWF_DATE_FORMAT_ISO8601, &error) != 1) {
    return Status::Internal("configuring libewf: " + TakeEwfError(error));
  }
  std::shared_ptr<EwfMedia> media(new EwfMedia(std::move(handles)));
  media->metadata_.segment_files = segments.size();
  INTERDICT_RETURN_IF_ERROR(media->LoadMetadata());
  std::vector<HashAlgorithm> algorithms;
  if (media->metadata_.hashes.count("md5")) algorithms.push_back(HashAlgorithm::kMd5);
  if (media->metadata_.hashes.count("sha1")) algorithms.push_back(HashAlgorithm::kSha1);
  media->hasher_.emplace(algorithms);
  return media;
}

Status EwfMedia::LoadMetadata() {
  libewf_handle_t* h = handles_->handle;
  libewf_error_t* error = nullptr;
  size64_t media_size = 0;
  uint32_t bytes_per_sector = 0;
  size32_t chunk_bytes = 0;
  uint8_t format = 0;
  if (libewf_handle_get_media_size(h, &media_size, &error) != 1 ||
      libewf_handle_get_bytes_per_sector(h, &bytes_per_sector, &error) != 1 ||
      libewf_handle_get_chunk_size(h, &chunk_bytes, &error) != 1 || libewf_handle_get_format(h, &format, &error) != 1) {
    return Status::Corrupt("E01 media values unreadable: " + TakeEwfError(error));
  }
  metadata_.media_size = media_size;
  metadata_.bytes_per_sector = bytes_per_sector;
  metadata_.chunk_bytes = chunk_bytes;
  metadata_.format = FormatName(format);
  if (chunk_bytes == 0 || chunk_bytes > kMaxEwfChunkBytes) {
    return Status::LimitExceeded("E01 chunk size of " + std::to_string(chunk_bytes) + " bytes is outside 1.." +
                                 std::to_string(kMaxEwfChunkBytes));
  }
  int corrupted = libewf_handle_segment_files_corrupted(h, &error);
  if (corrupted < 0) libewf_error_free(&error);
  metadata_.segments_corrupted = corrupted == 1;

  uint32_t count = 0;
  if (libewf_handle_get_number_of_header_values(h, &count, &error) == 1) {
    for (uint32_t i = 0; i < count; ++i) {
      std::optional<std::string> id = ReadEwfString(
          [&](size_t* size, libewf_error_t** e) { return libewf_handle_get_header_value_identifier_size(h, i, size, e); },
          [&](uint8_t* v, size_t size, libewf_error_t** e) { return libewf_handle_get_header_value_identifier(h, i, v, size, e); });
      if (!id || *id == "password") continue;  // the password hash says nothing about the media
      const auto* key = reinterpret_cast<const uint8_t*>(id->data());
      std::optional<std::string> value = ReadEwfString(
          [&](size_t* size, libewf_error_t** e) { return libewf_handle_get_utf8_header_value_size(h, key, id->size(), size, e); },
          [&](uint8_t* v, size_t size, libewf_error_t** e) { return libewf_handle_get_utf8_header_value(h, key, id->size(), v, size, e); });
      if (value && !value->empty()) metadata_.header[*id] = *value;
    }
  } else if (error) {
    libewf_error_free(&error);
  }
  if (libewf_handle_get_number_of_hash_values(h, &count, &error) == 1) {
    for (uint32_t i = 0; i < count; ++i) {
      std::optional<std::string> id = ReadEwfString(
          [&](size_t* size, libewf_error_t** e) { return libewf_handle_get_hash_value_identifier_size(h, i, size, e); },
          [&](uint8_t* v, size_t size, libewf_error_t** e) { return libewf_handle_get_hash_value_identifier(h, i, v, size, e); });
      if (!id) continue;
      const auto* key = reinterpret_cast<const uint8_t*>(id->data());
      std::optional<std::string> value = ReadEwfString(
          [&](size_t* size, libewf_error_t** e) { return libewf_handle_get_utf8_hash_value_size(h, key, id->size(), size, e); },
          [&](uint8_t* v, size_t size, libewf_error_t** e) { return libewf_handle_get_utf8_hash_value(h, key, id->size(), v, size, e); });
      if (value && !value->empty()) metadata_.hashes[Lower(*id)] = Lower(*value);
    }
  } else if (error) {
    libewf_error_free(&error);
  }
  if (libewf_handle_get_number_of_acquiry_errors(h, &count, &error) == 1) {
    for (uint32_t i = 0; i < count; ++i) {
      EwfSectorRange range;
      if (libewf_handle_get_acquiry_error(h, i, &range.first_sector, &range.sectors, &error) != 1) {
        libewf_error_free(&error);
        continue;
      }
      metadata_.acquiry_error_count += range.sectors;
      if (metadata_.acquiry_errors.size() < kMaxEwfErrorRangesListed) metadata_.acquiry_errors.push_back(range);
    }
  } else if (error) {
    libewf_error_free(&error);
  }
  return Status::Ok();
}

bool EwfMedia::ChecksumErrorAt(uint64_t sector) const {
  // libewf keeps its checksum errors as a sorted list of merged sector ranges: binary search it.
  libewf_error_t* error = nullptr;
  uint32_t count = 0;
  if (libewf_handle_get_number_of_checksum_errors(handles_->handle, &count, &error) != 1) {
    if (error) libewf_error_free(&error);
    return false;
  }
  uint32_t low = 0, high = count;
  while (low < high) {
    uint32_t middle = low + (high - low) / 2;
    uint64_t first = 0, sectors = 0;
    if (libewf_handle_get_checksum_error(handles_->handle, middle, &first, &sectors, &error) != 1) {
      if (error) libewf_error_free(&error);
      return false;
    }
    if (sector < first) high = middle;
    else if (sector >= first + sectors) low = middle + 1;
    else return true;
  }
  return false;
}

bool EwfMedia::KnownUndecodable(uint64_t sector) const {
  auto it = undecodable_.upper_bound(sector);
  return it != undecodable_.begin() && std::prev(it)->second > sector;
}

Result<size_t> EwfMedia::ReadLocked(uint64_t offset, void* buffer, size_t length) const {
  if (offset >= metadata_.media_size) return size_t{0};
  length = static_cast<size_t>(std::min<uint64_t>(length, metadata_.media_size - offset));
  uint8_t* out = static_cast<uint8_t*>(buffer);
  const uint64_t sector_bytes = metadata_.bytes_per_sector;
  size_t done = 0;
  while (done < length) {
    // One chunk per libewf call, so that a failure is pinned to the chunk that failed.
    uint64_t position = offset + done;
    uint64_t chunk_end = std::min((position / metadata_.chunk_bytes + 1) * metadata_.chunk_bytes, metadata_.media_size);
    size_t want = static_cast<size_t>(std::min<uint64_t>(chunk_end, offset + length) - position);
    bool zero = position >= zero_from_ || KnownUndecodable(position / sector_bytes);
    if (!zero) {
      libewf_error_t* error = nullptr;
      ssize_t n = libewf_handle_read_random(handles_->handle, out + done, want, static_cast<off64_t>(position), &error);
      if (n == 0) break;
      if (n > 0 && !ChecksumErrorAt(position / sector_bytes)) {
        done += static_cast<size_t>(n);
        continue;
      }
      // Failed, or returned as zeros with a checksum error (libewf's answer for missing chunk data the first
      // time, an error the next): the chunk reads as zeros from now on without asking libewf again, and is
      // listed, so the rest of the media is still examined and every read gives the same bytes.
      if (n < 0) {
        std::string reason = TakeEwfError(error);
        if (undecodable_reason_.empty()) undecodable_reason_ = reason;
      }
      uint64_t chunk_start = position - position % metadata_.chunk_bytes;
      AddSectorRange(undecodable_, chunk_start / sector_bytes, (chunk_end - chunk_start + sector_bytes - 1) / sector_bytes);
      lowest_failed_ = std::min(lowest_failed_, chunk_start);
      failed_read_bytes_ += metadata_.chunk_bytes;
      if (failed_read_bytes_ >= kMaxEwfFailedReadBytes && zero_from_ == UINT64_MAX) {
        // libewf 20140813 leaks the chunk buffer of every failed read: past this much, stop asking it.
        // Damage is almost always a suffix (a truncated segment, the segments after a missing one).
        zero_from_ = lowest_failed_;
        AddSectorRange(undecodable_, zero_from_ / sector_bytes,
                       (metadata_.media_size - zero_from_ + sector_bytes - 1) / sector_bytes);
        undecodable_reason_ += "; after " + std::to_string(failed_read_bytes_ / metadata_.chunk_bytes) +
                               " undecodable chunks the media from sector " + std::to_string(zero_from_ / sector_bytes) +
                               " on was no longer decoded (libewf 20140813 leaks memory on every failed read)";
      }
    }
    std::memset(out + done, 0, want);
    done += want;
  }
  // Hash the bytes that extend the in-order prefix (the scanner's overlapping blocks re-read some).
  if (!digests_ && offset <= hashed_ && hashed_ < offset + done) {
    hasher_->Update(out + (hashed_ - offset), static_cast<size_t>(offset + done - hashed_));
    hashed_ = offset + done;
    if (hashed_ == metadata_.media_size) digests_ = hasher_->Finish();
  }
  return done;
}

Result<size_t> EwfMedia::ReadAt(uint64_t offset, void* buffer, size_t length) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ReadLocked(offset, buffer, length);
}

Result<EwfVerification> EwfMedia::FinishDigests(const std::function<Status()>& check) {
  std::lock_guard<std::mutex> lock(mutex_);
  EwfVerification v;
  if (metadata_.hashes.count("md5") == 0 && metadata_.hashes.count("sha1") == 0) {
    v.complete = true;
    return v;
  }
  if (metadata_.media_size == 0 && !digests_) digests_ = hasher_->Finish();
  std::vector<uint8_t> buffer;
  while (!digests_) {
    INTERDICT_RETURN_IF_ERROR(check());
    if (buffer.empty()) buffer.resize(kDigestReadBytes);
    INTERDICT_ASSIGN_OR_RETURN(size_t got, ReadLocked(hashed_, buffer.data(), buffer.size()));
    if (got == 0) return Status::Corrupt("E01 media ends at " + std::to_string(hashed_) + " before its declared size");
  }
  v.complete = true;
  for (const auto& [name, algorithm] : {std::pair{"md5", HashAlgorithm::kMd5}, std::pair{"sha1", HashAlgorithm::kSha1}}) {
    auto stored = metadata_.hashes.find(name);
    if (stored == metadata_.hashes.end()) continue;
    v.computed[name] = digests_->Get(algorithm);
    if (v.computed[name] != stored->second) v.mismatched.push_back(name);
  }
  return v;
}

std::vector<EwfSectorRange> EwfMedia::DamagedSectors(uint64_t* total, std::string* reason) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<uint64_t, uint64_t> damaged = undecodable_;
  libewf_error_t* error = nullptr;
  uint32_t count = 0;
  if (libewf_handle_get_number_of_checksum_errors(handles_->handle, &count, &error) != 1) {
    if (error) libewf_error_free(&error);
    count = 0;
  }
  for (uint32_t i = 0; i < count; ++i) {
    EwfSectorRange range;
    if (libewf_handle_get_checksum_error(handles_->handle, i, &range.first_sector, &range.sectors, &error) != 1) {
      libewf_error_free(&error);
      continue;
    }
    AddSectorRange(damaged, range.first_sector, range.sectors);
  }
  std::vector<EwfSectorRange> ranges;
  *total = 0;
  for (const auto& [first, end] : damaged) {
    *total += end - first;
    if (ranges.size() < kMaxEwfErrorRangesListed) ranges.push_back({first, end - first});
  }
  *reason = undecodable_reason_;
  return ranges;
}

Result<std::vector<std::filesystem::path>> FindEwfSegmentFiles(const std::filesystem::path& first) {
  std::string name = first.string();
  char** filenames = nullptr;
  int count = 0;
  libewf_error_t* error = nullptr;
  if (libewf_glob(name.c_str(), name.size(), LIBEWF_FORMAT_UNKNOWN, &filenames, &count, &error) != 1) {
    // Not named like a segment file (e.g. renamed "evidence.bin"): the set is this one file.
    if (error) libewf_error_free(&error);
    return std::vector<std::filesystem::path>{first};
  }
  std::vector<std::filesystem::path> paths;
  for (int i = 0; i < count; ++i) {
    if (paths.size() < kMaxEwfSegmentFiles) paths.emplace_back(filenames[i]);
  }
  libewf_glob_free(filenames, count, &error);
  if (error) libewf_error_free(&error);
  if (static_cast<size_t>(count) > kMaxEwfSegmentFiles) {
    return Status::LimitExceeded("EWF segment set of " + std::to_string(count) + " files next to " + first.string() +
                                 " exceeds " + std::to_string(kMaxEwfSegmentFiles));
  }
  if (paths.empty()) paths.push_back(first);
  return paths;
}

}  // namespace interdict::fwscan
