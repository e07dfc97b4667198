// Carving: finds embedded streams in a raw blob (a kernel, a bootloader, an unrecognised partition) and
// offers each as a view from its magic onwards (ELF files as exactly their extent). The walker hands the
// view to the format that owns the magic; a view nobody can open is a false magic, not damage.
// Hand-written: binwalk is Python and libmagic only identifies offset 0; this is a small magic table.
#include <array>
#include <cstring>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr size_t kMagicWindowBytes = 64;  // bytes needed to validate any magic below

struct Magic {
  const char* name;
  std::array<uint8_t, 8> bytes;
  size_t length;
};

constexpr Magic kMagics[] = {
    {"gzip", {0x1F, 0x8B, 0x08}, 3},
    {"xz", {0xFD, '7', 'z', 'X', 'Z', 0x00}, 6},
    {"bzip2", {'B', 'Z', 'h'}, 3},
    {"zstd", {0x28, 0xB5, 0x2F, 0xFD}, 4},
    {"lz4", {0x04, 0x22, 0x4D, 0x18}, 4},
    {"7z", {'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}, 6},
    {"zip", {'P', 'K', 0x03, 0x04}, 4},
    {"elf", {0x7F, 'E', 'L', 'F'}, 4},
    {"squashfs", {'h', 's', 'q', 's'}, 4},
    {"android-sparse", {0x3A, 0xFF, 0x26, 0xED}, 4},
    {"android-boot", {'A', 'N', 'D', 'R', 'O', 'I', 'D', '!'}, 8},
};

// Extra checks that keep random bytes from looking like a stream header.
bool Plausible(const Magic& m, const uint8_t* p, size_t avail) {
  std::string_view name = m.name;
  if (name == "gzip") return avail >= 10 && p[3] < 0x20 && (p[8] == 0 || p[8] == 2 || p[8] == 4);
  if (name == "bzip2") {
    static const uint8_t kBlock[] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
    return avail >= 10 && p[3] >= '1' && p[3] <= '9' && std::memcmp(p + 4, kBlock, 6) == 0;
  }
  if (name == "elf") return avail >= 64 && (p[4] == 1 || p[4] == 2) && (p[5] == 1 || p[5] == 2) && p[6] == 1;
  if (name == "zip") return avail >= 30 && Le16(p + 26) > 0 && Le16(p + 26) < 1024;
  if (name == "squashfs") return avail >= 30 && Le16(p + 28) == 4;  // major version 4
  return true;
}

// The extent of an ELF file from its headers: the furthest of section headers and segment data.
uint64_t ElfExtent(const ByteSource& blob, uint64_t at) {
  uint8_t h[64];
  if (!ReadExact(blob, at, h, sizeof(h)).ok()) return 0;
  bool is64 = h[4] == 2;
  if (h[5] != 1) return blob.size() - at;  // big-endian ELF: keep the rest of the blob
  uint64_t phoff = is64 ? Le64(h + 32) : Le32(h + 28);
  uint64_t shoff = is64 ? Le64(h + 40) : Le32(h + 32);
  uint16_t phentsize = Le16(h + (is64 ? 54 : 42));
  uint16_t phnum = Le16(h + (is64 ? 56 : 44));
  uint16_t shentsize = Le16(h + (is64 ? 58 : 46));
  uint16_t shnum = Le16(h + (is64 ? 60 : 48));
  uint64_t remaining = blob.size() - at;
  uint64_t end = shoff + static_cast<uint64_t>(shentsize) * shnum;
  if (phoff < remaining && phentsize >= (is64 ? 56 : 32)) {
    for (uint16_t i = 0; i < phnum; ++i) {
      uint8_t ph[56];
      uint64_t where = at + phoff + static_cast<uint64_t>(i) * phentsize;
      if (!ReadExact(blob, where, ph, is64 ? 56 : 32).ok()) break;
      uint64_t off = is64 ? Le64(ph + 8) : Le32(ph + 4);
      uint64_t filesz = is64 ? Le64(ph + 32) : Le32(ph + 16);
      if (off < remaining && filesz <= remaining - off) end = std::max(end, off + filesz);
    }
  }
  return std::min(std::max<uint64_t>(end, 64), remaining);
}

Status Carve(const SourcePtr& blob, UnpackContext& context, const ChildSink& sink) {
  std::array<bool, 256> first_byte{};
  for (const Magic& m : kMagics) first_byte[m.bytes[0]] = true;
  std::vector<uint8_t> chunk(kCarveReadChunkBytes + kMagicWindowBytes);
  uint32_t carved = 0;
  uint64_t skip_until = 0;
  for (uint64_t base = 0; base < blob->size(); base += kCarveReadChunkBytes) {
    INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    INTERDICT_ASSIGN_OR_RETURN(size_t got, blob->ReadAt(base, chunk.data(), chunk.size()));
    size_t scan_end = std::min<size_t>(got, kCarveReadChunkBytes);
    for (size_t i = 0; i < scan_end; ++i) {
      uint64_t at = base + i;
      if (!first_byte[chunk[i]] || at == 0 || at < skip_until) continue;
      for (const Magic& m : kMagics) {
        if (i + m.length > got || std::memcmp(chunk.data() + i, m.bytes.data(), m.length) != 0) continue;
        if (!Plausible(m, chunk.data() + i, got - i)) continue;
        if (++carved > kMaxCarvedStreamsPerBlob) {
          context.Note(StatusCode::kLimitExceeded, "more than " + std::to_string(kMaxCarvedStreamsPerBlob) +
                                                       " embedded streams; carving stopped at offset " +
                                                       std::to_string(at));
          return Status::Ok();
        }
        uint64_t length = blob->size() - at;
        if (std::string_view(m.name) == "elf") {
          length = ElfExtent(*blob, at);
          skip_until = at + length;  // an ELF's own sections are not separate streams
        }
        // Views cost no bytes; what they decompress to is charged by the unpacker that opens them.
        INTERDICT_RETURN_IF_ERROR(sink(Child{ChildKind::kView, "carve", m.name, at, MakeSliceSource(blob, at, length)}));
        break;
      }
    }
  }
  return Status::Ok();
}

bool NeverProbe(std::span<const uint8_t>, uint64_t) { return false; }

}  // namespace

const UnpackerFormat kCarveFormat = {"carve", &NeverProbe, &Carve};

}  // namespace interdict::fwscan
