// Media-type sniffing for routing inputs and extracted artifacts to the plugins that accept them, and the
// matcher between a plugin's accepted_inputs and a media type.
//
// Hand-written rather than libmagic on purpose: the host must not parse evidence, so sniffing is limited to
// fixed-offset magic checks over a bounded head (and tail, for ZIP central directories) of the input; libmagic
// would run a large interpreted rule database over hostile bytes in the host, and its MIME output has no
// names for binary STL, 3MF, Android sparse or boot images. Deeper identification belongs in plugins.
//
// Thread-safe: pure functions.
#ifndef INTERDICT_PLUGINS_MEDIA_TYPE_H_
#define INTERDICT_PLUGINS_MEDIA_TYPE_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "plugins/plugin_manifest.h"

namespace interdict {

// The media types the sniffer names; everything else is kMediaOctetStream.
inline constexpr char kMediaOctetStream[] = "application/octet-stream";
inline constexpr char kMediaStl[] = "model/stl";
inline constexpr char kMediaObj[] = "model/obj";
inline constexpr char kMedia3mf[] = "model/3mf";
inline constexpr char kMediaPly[] = "model/ply";
inline constexpr char kMediaZip[] = "application/zip";
inline constexpr char kMediaApk[] = "application/vnd.android.package-archive";
inline constexpr char kMediaGzip[] = "application/gzip";
inline constexpr char kMediaXz[] = "application/x-xz";
inline constexpr char kMediaBzip2[] = "application/x-bzip2";
inline constexpr char kMediaTar[] = "application/x-tar";
inline constexpr char kMedia7z[] = "application/x-7z-compressed";
inline constexpr char kMediaCpio[] = "application/x-cpio";
inline constexpr char kMediaAndroidSparse[] = "application/vnd.android.sparse-image";
inline constexpr char kMediaAndroidBoot[] = "application/vnd.android.boot-image";
inline constexpr char kMediaExt4[] = "application/x-ext4";
inline constexpr char kMediaSquashfs[] = "application/x-squashfs";
inline constexpr char kMediaGptDisk[] = "application/x-gpt-disk-image";
inline constexpr char kMediaElf[] = "application/x-elf";
inline constexpr char kMediaDex[] = "application/vnd.android.dex";
// Expert Witness (EnCase E01/Ex01) segment, as the USB imager writes and the firmware scanner decodes.
inline constexpr char kMediaEwf[] = "application/x-ewf";

// How much of an input the sniffer looks at: the head, and the tail where a ZIP keeps its directory.
inline constexpr size_t kSniffHeadBytes = 64 * 1024;
inline constexpr size_t kSniffTailBytes = 64 * 1024;
// An OBJ file is recognised by this many vertex lines in its head, with nothing but OBJ statements around.
inline constexpr int kObjMinVertexLines = 3;

// Sniffs from the first bytes of an input. `head` should be the first kSniffHeadBytes (or the whole input);
// `tail` the last kSniffTailBytes (may overlap head, may be empty); `total_size` the input's full size
// (needed for binary STL, whose only signature is its length).
std::string SniffMediaType(std::span<const uint8_t> head, std::span<const uint8_t> tail, uint64_t total_size);
// Sniffs a whole in-memory input.
std::string SniffMediaType(std::span<const uint8_t> bytes);
// Reads the head and tail of a file (read-only) and sniffs them.
Result<std::string> SniffMediaTypeOfFile(const std::filesystem::path& path);

// True if `media_type` matches one of the manifest's accepted_inputs ("*", "*/*", "type/*" or exact,
// case-insensitive, parameters after ';' ignored).
bool PluginAccepts(const PluginManifest& manifest, std::string_view media_type);

}  // namespace interdict

#endif  // INTERDICT_PLUGINS_MEDIA_TYPE_H_
