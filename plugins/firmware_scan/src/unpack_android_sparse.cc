// Android sparse images (the format of img2simg/fastboot). The expanded image is an extent map over the
// sparse file: raw chunks point into the parent, fill chunks repeat a 32-bit value, don't-care chunks
// read as zeros. Nothing is expanded in memory.
// Hand-written rather than android-libsparse: libsparse wants a file descriptor and writes the expanded
// image out, where we want a zero-copy view over a parent layer that may itself be a view.
#include <string>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr uint32_t kSparseMagic = 0xED26FF3A;
constexpr uint16_t kChunkRaw = 0xCAC1;
constexpr uint16_t kChunkFill = 0xCAC2;
constexpr uint16_t kChunkDontCare = 0xCAC3;
constexpr uint16_t kChunkCrc32 = 0xCAC4;
constexpr uint16_t kFileHeaderBytes = 28;
constexpr uint16_t kChunkHeaderBytes = 12;

bool ProbeSparse(std::span<const uint8_t> head, uint64_t size) {
  return size >= kFileHeaderBytes && head.size() >= kFileHeaderBytes && Le32(head.data()) == kSparseMagic &&
         Le16(head.data() + 4) == 1;
}

Status UnpackSparse(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  uint8_t header[kFileHeaderBytes];
  INTERDICT_RETURN_IF_ERROR(ReadExact(*layer, 0, header, sizeof(header)));
  uint16_t file_header_size = Le16(header + 8);
  uint16_t chunk_header_size = Le16(header + 10);
  uint32_t block_size = Le32(header + 12);
  uint32_t total_blocks = Le32(header + 16);
  uint32_t total_chunks = Le32(header + 20);
  if (file_header_size < kFileHeaderBytes || chunk_header_size < kChunkHeaderBytes) {
    return Status::Corrupt("sparse header sizes " + std::to_string(file_header_size) + "/" +
                           std::to_string(chunk_header_size) + " too small");
  }
  if (block_size == 0 || block_size % 4 != 0 || block_size > (64u << 20)) {
    return Status::Corrupt("sparse block size " + std::to_string(block_size) + " invalid");
  }
  if (total_chunks > kMaxSparseChunks) {
    return Status::LimitExceeded("sparse image lists " + std::to_string(total_chunks) + " chunks");
  }
  uint64_t image_size = static_cast<uint64_t>(total_blocks) * block_size;
  std::vector<Extent> extents;
  uint64_t position = file_header_size;
  uint64_t logical_block = 0;
  bool truncated = false;
  for (uint32_t i = 0; i < total_chunks; ++i) {
    uint8_t chunk[kChunkHeaderBytes];
    if (!ReadExact(*layer, position, chunk, sizeof(chunk)).ok()) {
      context.Note(StatusCode::kCorrupt, "sparse image truncated at chunk " + std::to_string(i) + " of " +
                                             std::to_string(total_chunks));
      truncated = true;
      break;
    }
    uint16_t type = Le16(chunk);
    uint64_t blocks = Le32(chunk + 4);
    uint64_t total_bytes = Le32(chunk + 8);
    uint64_t data_offset = position + chunk_header_size;
    uint64_t length = blocks * block_size;
    if (total_bytes < chunk_header_size) {
      context.Note(StatusCode::kCorrupt, "sparse chunk " + std::to_string(i) + " has a size smaller than its header");
      truncated = true;
      break;
    }
    if (logical_block + blocks > total_blocks) {
      context.Note(StatusCode::kCorrupt, "sparse chunk " + std::to_string(i) + " runs past the image's block count");
      truncated = true;
      break;
    }
    Extent extent;
    extent.logical_offset = logical_block * block_size;
    extent.length = length;
    switch (type) {
      case kChunkRaw:
        if (total_bytes - chunk_header_size != length) {
          context.Note(StatusCode::kCorrupt, "sparse raw chunk " + std::to_string(i) + " size mismatch");
          truncated = true;
        } else if (data_offset + length > layer->size()) {
          context.Note(StatusCode::kCorrupt, "sparse raw chunk " + std::to_string(i) + " truncated by end of file");
          truncated = true;
        }
        extent.kind = Extent::Kind::kParent;
        extent.parent_offset = data_offset;
        break;
      case kChunkFill: {
        uint8_t fill[4];
        if (total_bytes - chunk_header_size < 4 || !ReadExact(*layer, data_offset, fill, 4).ok()) {
          context.Note(StatusCode::kCorrupt, "sparse fill chunk " + std::to_string(i) + " has no fill value");
          truncated = true;
          break;
        }
        extent.kind = Extent::Kind::kFill;
        extent.fill = Le32(fill);
        break;
      }
      case kChunkDontCare:
        extent.kind = Extent::Kind::kZero;
        break;
      case kChunkCrc32:
        length = 0;
        break;
      default:
        context.Note(StatusCode::kCorrupt, "sparse chunk " + std::to_string(i) + " has unknown type 0x" +
                                               std::to_string(type));
        truncated = true;
    }
    if (truncated) break;
    if (length > 0) extents.push_back(extent);
    logical_block += blocks;
    position += total_bytes;
  }
  INTERDICT_RETURN_IF_ERROR(context.Charge(image_size));
  // Even a damaged sparse image yields what its intact chunks describe; the rest reads as zeros.
  INTERDICT_RETURN_IF_ERROR(sink(Child{ChildKind::kExtracted, "sparse", "expanded", 0,
                                       MakeExtentSource(layer, std::move(extents), image_size)}));
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kAndroidSparseFormat = {"android-sparse", &ProbeSparse, &UnpackSparse};

}  // namespace interdict::fwscan
