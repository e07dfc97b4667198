// Fuzz target: every parser of what an EDL handset sends (Sahara packets, Firehose XML documents and the
// storage-info / digest log lines inside them, the GPT header and entry array). The first byte picks the
// parser; the rest is the reply.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/firehose.h"
#include "protocol/gpt.h"
#include "protocol/sahara.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict::usb;
  if (size == 0) return 0;
  std::span<const uint8_t> reply(data + 1, size - 1);
  const std::string text(reinterpret_cast<const char*>(reply.data()), reply.size());
  switch (data[0] % 5) {
    case 0: {
      auto packet = ParseSaharaPacket(reply);
      if (packet.ok()) (void)SaharaCommandName(static_cast<uint32_t>(packet->command));
      (void)ParseSaharaMemoryTable(reply);
      break;
    }
    case 1: {
      (void)FirehoseDocumentEnd(text);
      auto document = ParseFirehoseXml(text);
      if (document.ok()) {
        for (const auto& element : document->elements) {
          (void)element.GetNumber("value", UINT64_MAX);
          (void)FirehoseTagKey(element.tag);
        }
      }
      break;
    }
    case 2: (void)ParseFirehoseStorageInfo({text}); break;
    case 3: (void)ParseFirehoseSha256Digest({text}); break;
    default: {
      // The header sector, then the entry array, from one input; a fixed device size.
      constexpr uint64_t kSectors = 1 << 20;
      const size_t split = reply.size() < 512 ? reply.size() : 512;
      auto header = ParseGptHeader(reply.first(split), kSectors);
      if (header.ok()) (void)ParseGptEntries(*header, reply.subspan(split));
      break;
    }
  }
  return 0;
}
