// Expert Witness (E01/L01/Ex01) containers: recognised, not decoded.
//
// The media inside an E01 is zlib-compressed in chunks, so scanning the container's bytes would miss almost
// every indicator while looking like a clean scan. Until EWF decoding lands here (libewf needs segment file
// paths, which the sandboxed worker does not have), the layer is reported as unsupported with what the
// examiner can do, and the scan summary can never read "clean" because of it.
#include <cstring>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr uint8_t kEwf1Signature[] = {'E', 'V', 'F', 0x09, 0x0d, 0x0a, 0xff, 0x00};
constexpr uint8_t kLogicalEwf1Signature[] = {'L', 'V', 'F', 0x09, 0x0d, 0x0a, 0xff, 0x00};
constexpr uint8_t kEwf2Signature[] = {'E', 'V', 'F', '2', 0x0d, 0x0a, 0x81, 0x00};

bool ProbeEwf(std::span<const uint8_t> head, uint64_t /*size*/) {
  if (head.size() < sizeof(kEwf1Signature)) return false;
  return std::memcmp(head.data(), kEwf1Signature, sizeof(kEwf1Signature)) == 0 ||
         std::memcmp(head.data(), kLogicalEwf1Signature, sizeof(kLogicalEwf1Signature)) == 0 ||
         std::memcmp(head.data(), kEwf2Signature, sizeof(kEwf2Signature)) == 0;
}

Status UnpackEwf(const SourcePtr& /*layer*/, UnpackContext& /*context*/, const ChildSink& /*sink*/) {
  return Status::Unsupported(
      "Expert Witness (E01/L01/Ex01) container: its compressed media was not decoded, so only the container "
      "bytes were scanned; acquire as raw (interdict acquire --format raw) or export the media with "
      "`ewfexport -t OUT -f raw IMAGE.E01` and scan that");
}

}  // namespace

const UnpackerFormat kEwfFormat = {"ewf", &ProbeEwf, &UnpackEwf};

}  // namespace interdict::fwscan
