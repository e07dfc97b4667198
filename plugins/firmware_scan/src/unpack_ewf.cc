// Expert Witness containers. E01 (EWF1, also .s01 SMART): the media is decoded through libewf (see
// ewf_media.h) and offered as one child, "ewf:media", unpacked and scanned like a raw image, with the
// acquisition metadata and stored hashes as the layer's info. After the media's subtree has been walked
// the stored MD5/SHA-1 are checked against the decoded bytes: an integrity record (verified or mismatch),
// or, when chunks could not be decoded, a corruption record saying the hashes were not verified.
//
// Segment sets: when the walk reads the input from a file path, the other segments (.E02, ...) beside it
// are read too. The sandboxed worker is served one file by the host: there only the media held in that
// segment is decoded (the rest reads as zeros), and the finding says so and what to do.
//
// L01 (logical evidence) and Ex01 (EWF2) are recognised and reported unsupported: libewf 20140813 reads
// neither as media, and scanning their compressed bytes would look clean while missing almost everything.
#include <cstring>

#include <nlohmann/json.hpp>

#include "ewf_media.h"
#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr uint8_t kEwf1Signature[] = {'E', 'V', 'F', 0x09, 0x0d, 0x0a, 0xff, 0x00};
constexpr uint8_t kLogicalEwf1Signature[] = {'L', 'V', 'F', 0x09, 0x0d, 0x0a, 0xff, 0x00};
constexpr uint8_t kEwf2Signature[] = {'E', 'V', 'F', '2', 0x0d, 0x0a, 0x81, 0x00};
constexpr uint8_t kLogicalEwf2Signature[] = {'L', 'E', 'F', '2', 0x0d, 0x0a, 0x81, 0x00};
// EWF1 file header: signature, one byte, then the segment number (16-bit little-endian).
constexpr size_t kEwf1SegmentNumberOffset = 9;
constexpr size_t kEwf1FileHeaderBytes = 13;
constexpr size_t kEwf1SectionDescriptorBytes = 76;
constexpr size_t kEwf1SectionTypeBytes = 16;

bool StartsWith(std::span<const uint8_t> head, const uint8_t (&signature)[8]) {
  return head.size() >= sizeof(signature) && std::memcmp(head.data(), signature, sizeof(signature)) == 0;
}

bool ProbeEwf(std::span<const uint8_t> head, uint64_t /*size*/) {
  return StartsWith(head, kEwf1Signature) || StartsWith(head, kLogicalEwf1Signature) ||
         StartsWith(head, kEwf2Signature) || StartsWith(head, kLogicalEwf2Signature);
}

std::string SectorRanges(const std::vector<EwfSectorRange>& ranges, uint64_t total_sectors) {
  std::string text;
  for (const EwfSectorRange& r : ranges) {
    if (!text.empty()) text += ", ";
    text += std::to_string(r.first_sector) + "-" + std::to_string(r.first_sector + r.sectors - 1);
  }
  uint64_t listed = 0;
  for (const EwfSectorRange& r : ranges) listed += r.sectors;
  if (listed < total_sectors) text += ", ...";
  return text;
}

nlohmann::json LayerInfo(const EwfMetadata& m, const std::vector<EwfSegment>& segments) {
  nlohmann::json segment_names = nlohmann::json::array();
  for (const EwfSegment& s : segments) {
    if (!s.name.empty()) segment_names.push_back(s.name);  // the sandboxed worker's input has no file name
  }
  nlohmann::json info = {{"container", "EWF"},
                         {"format", m.format},
                         {"media_size", m.media_size},
                         {"bytes_per_sector", m.bytes_per_sector},
                         {"chunk_bytes", m.chunk_bytes},
                         {"segments_read", segments.size()},
                         {"segment_files", segment_names},
                         {"header", m.header},
                         {"stored_hashes", m.hashes}};
  if (m.acquiry_error_count > 0) {
    nlohmann::json ranges = nlohmann::json::array();
    for (const EwfSectorRange& r : m.acquiry_errors) ranges.push_back({r.first_sector, r.sectors});
    info["acquiry_errors"] = {{"sectors", m.acquiry_error_count}, {"ranges", ranges}};
  }
  return info;
}

uint64_t SegmentBytes(const std::vector<EwfSegment>& segments) {
  uint64_t total = 0;
  for (const EwfSegment& s : segments) {
    std::error_code ec;
    uint64_t size = s.source ? s.source->size() : std::filesystem::file_size(s.path, ec);
    if (!ec) total += size;
  }
  return total;
}

// The segments to hand libewf: the layer itself first, then (when the layer is the input file) the other
// files of its set found beside it.
Result<std::vector<EwfSegment>> CollectSegments(const SourcePtr& layer, const UnpackContext& context) {
  std::vector<EwfSegment> segments;
  std::filesystem::path path = context.FilePathOf(*layer);
  segments.push_back({path.empty() ? "" : path.filename().string(), layer, {}});
  if (path.empty()) return segments;
  INTERDICT_ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files, FindEwfSegmentFiles(path));
  std::error_code ec;
  for (const std::filesystem::path& file : files) {
    if (std::filesystem::equivalent(file, path, ec)) continue;
    segments.push_back({file.filename().string(), nullptr, file});
  }
  return segments;
}

// How an EWF1 segment file ends. Its last section descriptor (76 bytes: a 16-byte type, offsets, an
// Adler-32) is "done" in the last segment of a set and "next" in the others; anything else means the file
// was cut short. libewf only says "corrupted", so we read this one descriptor to tell the examiner which.
enum class SegmentEnd { kDone, kNext, kTruncated };

SegmentEnd LastSection(const ByteSource& segment) {
  uint8_t descriptor[kEwf1SectionDescriptorBytes];
  if (segment.size() < kEwf1FileHeaderBytes + sizeof(descriptor) ||
      !ReadExact(segment, segment.size() - sizeof(descriptor), descriptor, sizeof(descriptor)).ok()) {
    return SegmentEnd::kTruncated;
  }
  auto is = [&](const char* type) {
    uint8_t expected[kEwf1SectionTypeBytes] = {};
    std::memcpy(expected, type, std::strlen(type));
    return std::memcmp(descriptor, expected, sizeof(expected)) == 0;
  };
  return is("done") ? SegmentEnd::kDone : is("next") ? SegmentEnd::kNext : SegmentEnd::kTruncated;
}

// What is wrong with the set, in the examiner's terms; empty when every segment ends as it should.
std::string DescribeSetDamage(const std::vector<EwfSegment>& segments, const UnpackContext& context,
                              const ByteSource& layer) {
  std::string damage;
  auto add = [&](const std::string& text) { damage += (damage.empty() ? "" : "; ") + text; };
  SegmentEnd last = SegmentEnd::kDone;
  for (const EwfSegment& segment : segments) {
    SourcePtr bytes = segment.source;
    if (!bytes) {
      Result<SourcePtr> opened = OpenFileSource(segment.path);
      if (!opened.ok()) {
        add("segment file " + segment.name + " cannot be read");
        continue;
      }
      bytes = *opened;
    }
    last = LastSection(*bytes);
    if (last == SegmentEnd::kTruncated) {
      add((segment.name.empty() ? "the segment file" : "segment file " + segment.name) +
          " is truncated (it ends without a 'done' or 'next' section)");
    }
  }
  if (last == SegmentEnd::kNext) {
    uint8_t header[kEwf1FileHeaderBytes] = {};
    (void)ReadExact(layer, 0, header, sizeof(header));
    std::string where = !context.IsInput(layer) ? "it lies inside another container, so its other segment files are not there"
                        : context.FilePathOf(layer).empty()
                            ? "the sandboxed worker is given one file, so the other segment files were not available"
                            : "the next segment file of the set was not found beside it";
    add("only " + std::to_string(segments.size()) + " segment file(s) of the set could be read, starting with segment " +
        std::to_string(Le16(header + kEwf1SegmentNumberOffset)) + ", and the set goes on (" + where +
        "); media in the missing segments reads as zeros. Scan the first segment in-process with every segment "
        "beside it, or export the media (`ewfexport -t OUT -f raw IMAGE.E01`) and scan that");
  }
  return damage;
}

Status UnpackEwf(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  INTERDICT_ASSIGN_OR_RETURN(std::vector<uint8_t> head, ReadUpTo(*layer, 0, sizeof(kEwf1Signature)));
  if (StartsWith(head, kLogicalEwf1Signature) || StartsWith(head, kLogicalEwf2Signature)) {
    return Status::Unsupported(
        "logical evidence container (L01/Lx01): its files were not extracted, so only the container bytes were "
        "scanned; export the files (`ewfexport -f files`, or the imaging tool) and scan them");
  }
  if (StartsWith(head, kEwf2Signature)) {
    return Status::Unsupported(
        "Ex01 (EWF2) container: libewf 20140813 does not decode EWF2, so only the container bytes were scanned; "
        "re-export the media as E01 or raw with the acquiring tool and scan that");
  }
  INTERDICT_RETURN_IF_ERROR(context.CheckTime());
  INTERDICT_ASSIGN_OR_RETURN(std::vector<EwfSegment> segments, CollectSegments(layer, context));
  std::vector<EwfSegment> listed = segments;  // Open takes the set; the info names every file
  Result<std::shared_ptr<EwfMedia>> opened = EwfMedia::Open(std::move(segments));
  if (!opened.ok()) {
    if (opened.status().code() != StatusCode::kCorrupt) return opened.status();
    std::string damage = DescribeSetDamage(listed, context, *layer);
    return Status::Corrupt(opened.status().message() + (damage.empty() ? "" : "; " + damage));
  }
  std::shared_ptr<EwfMedia> media = std::move(*opened);
  const EwfMetadata& m = media->metadata();
  if (m.segments_corrupted) {
    std::string damage = DescribeSetDamage(listed, context, *layer);
    context.Note(StatusCode::kCorrupt, "libewf reports the segment set damaged" + (damage.empty() ? "" : ": " + damage) +
                                           "; the stored hashes were not verified");
  }
  // The decoded media counts against the extracted-bytes budget like any other expanded layer. When the
  // E01 is the input, the budget scales with its media (as it would for the raw image), unless the media
  // claims more than an E01 of this size can hold.
  if (context.IsInput(*layer) && m.media_size / kMaxEwfMediaToSegmentRatio <= SegmentBytes(listed)) {
    context.ScaleBudgetTo(m.media_size);
  }
  uint64_t remaining = context.budget_bytes() - std::min(context.extracted_bytes(), context.budget_bytes());
  if (m.media_size > remaining) {
    context.Note(StatusCode::kLimitExceeded,
                 "E01 media of " + std::to_string(m.media_size) + " bytes not decoded: only " +
                     std::to_string(remaining) + " bytes of the extracted-bytes budget (" +
                     std::to_string(context.limits().extracted_bytes_factor) +
                     "x input) remain; raise --max-extracted-factor to scan it");
    return Status::Ok();
  }
  INTERDICT_RETURN_IF_ERROR(context.Charge(m.media_size));
  Child child{ChildKind::kExtracted, "ewf", "media", 0, media};
  child.info = LayerInfo(m, listed);
  INTERDICT_RETURN_IF_ERROR(sink(std::move(child)));

  // Reading the rest of the media (if the walk did not) also reveals every damaged chunk.
  Result<EwfVerification> verified = EwfVerification{};
  if (!m.segments_corrupted) {
    verified = media->FinishDigests([&context] { return context.CheckTime(); });
    if (!verified.ok() && verified.status().code() != StatusCode::kCorrupt) return verified.status();
  }
  uint64_t bad_sectors = 0;
  std::string reason;
  std::vector<EwfSectorRange> bad = media->DamagedSectors(&bad_sectors, &reason);
  if (bad_sectors > 0) {
    // The stored hashes are of the media as acquired: with chunks read as zeros a mismatch is certain and
    // says nothing more than this note.
    context.Note(StatusCode::kCorrupt, std::to_string(bad_sectors) +
                                           " media sector(s) failed their chunk checksum or are missing and were "
                                           "read as zeros (sectors " + SectorRanges(bad, bad_sectors) +
                                           "), so the stored hashes were not verified" +
                                           (reason.empty() ? "" : "; libewf: " + reason));
  }
  if (bad_sectors > 0 || m.segments_corrupted) return Status::Ok();  // the notes say why nothing was verified
  if (!verified.ok()) {
    context.Note(StatusCode::kCorrupt, "stored hashes not verified: " + verified.status().message());
    return Status::Ok();
  }
  if (m.hashes.empty()) return Status::Ok();  // nothing to verify; the layer's info shows no stored hashes
  if (!verified->mismatched.empty()) {
    std::string text;
    for (const std::string& name : verified->mismatched) {
      if (!text.empty()) text += "; ";
      text += "stored " + name + " " + m.hashes.at(name) + ", decoded media " + verified->computed.at(name);
    }
    context.Note(StatusCode::kVerificationFailed,
                 "evidence integrity: the decoded media does not match the hash stored in the E01 (" + text + ")");
  } else {
    std::string text;
    for (const auto& [name, value] : verified->computed) text += (text.empty() ? "" : ", ") + name + " " + value;
    context.Note(StatusCode::kOk, "evidence integrity verified: the decoded media matches the hash(es) stored in the E01 (" +
                                      text + ")");
  }
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kEwfFormat = {"ewf", &ProbeEwf, &UnpackEwf};

}  // namespace interdict::fwscan
