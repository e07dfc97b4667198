// Android boot images, header versions 0 to 4 (AOSP system/tools/mkbootimg/include/bootimg/bootimg.h).
// Kernel, ramdisk, second stage, recovery DTBO and DTB become views of the image; the ramdisk (a
// compressed cpio) is unpacked by the archive unpacker one level down.
#include <algorithm>
#include <string>

#include "unpacker.h"

namespace interdict::fwscan {
namespace {

constexpr char kBootMagic[8] = {'A', 'N', 'D', 'R', 'O', 'I', 'D', '!'};
constexpr uint32_t kV3PageSize = 4096;
constexpr uint32_t kMaxHeaderVersion = 4;
constexpr size_t kBootHeaderBytes = 1660;  // largest of the v0-v4 headers we read (v2: 1660)

bool ProbeBoot(std::span<const uint8_t> head, uint64_t size) {
  return size >= 48 && head.size() >= 48 && std::equal(kBootMagic, kBootMagic + 8, head.begin());
}

uint64_t RoundUp(uint64_t value, uint64_t page) { return (value + page - 1) / page * page; }

Status UnpackBoot(const SourcePtr& layer, UnpackContext& context, const ChildSink& sink) {
  uint8_t h[kBootHeaderBytes] = {};
  INTERDICT_ASSIGN_OR_RETURN(size_t got, layer->ReadAt(0, h, sizeof(h)));
  if (got < 48) return Status::Corrupt("boot image header truncated");
  uint32_t version = Le32(h + 40);
  if (version > kMaxHeaderVersion) {
    return Status::Unsupported("boot image header version " + std::to_string(version));
  }
  struct Section {
    const char* name;
    uint64_t size;
  };
  std::vector<Section> sections;
  uint64_t page = 0;
  if (version <= 2) {
    if (got < (version == 0 ? 1632u : version == 1 ? 1648u : 1660u)) return Status::Corrupt("boot image header truncated");
    page = Le32(h + 36);
    if (page < 512 || page > kMaxBootImagePageSize || (page & (page - 1)) != 0) {
      return Status::Corrupt("boot image page size " + std::to_string(page) + " invalid");
    }
    sections = {{"kernel", Le32(h + 8)}, {"ramdisk", Le32(h + 16)}, {"second", Le32(h + 24)}};
    if (version >= 1) sections.push_back({"recovery_dtbo", Le32(h + 1632)});
    if (version >= 2) sections.push_back({"dtb", Le32(h + 1648)});
  } else {
    page = kV3PageSize;
    sections = {{"kernel", Le32(h + 8)}, {"ramdisk", Le32(h + 12)}};
    if (version == 4) {
      if (got < 1584) return Status::Corrupt("boot image v4 header truncated");
      sections.push_back({"boot_signature", Le32(h + 1580)});
    }
  }
  uint64_t offset = page;  // the header occupies the first page
  for (const Section& s : sections) {
    if (s.size == 0) continue;
    if (offset >= layer->size()) {
      return Status::Corrupt(std::string("boot image ") + s.name + " starts beyond the end of the image");
    }
    uint64_t length = s.size;
    bool cut = offset + length > layer->size();
    if (cut) length = layer->size() - offset;
    INTERDICT_RETURN_IF_ERROR(context.CheckTime());
    INTERDICT_RETURN_IF_ERROR(context.Charge(length));
    INTERDICT_RETURN_IF_ERROR(
        sink(Child{ChildKind::kView, "bootimg", s.name, offset, MakeSliceSource(layer, offset, length)}));
    if (cut) return Status::Corrupt(std::string("boot image ") + s.name + " truncated by the end of the image");
    offset += RoundUp(s.size, page);
  }
  return Status::Ok();
}

}  // namespace

const UnpackerFormat kAndroidBootFormat = {"android-boot", &ProbeBoot, &UnpackBoot};

}  // namespace interdict::fwscan
