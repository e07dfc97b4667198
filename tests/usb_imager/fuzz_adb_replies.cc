// Fuzz target: every parser of what an ADB handset sends (message headers and payload checks, the CNXN
// banner and, on the same text, the service allowlist and the block-command parsers, sync replies
// reassembled from arbitrarily split WRTE payloads, Android public keys as the simulator reads them). The
// first byte picks the parser; the rest is the input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/adb.h"
#include "protocol/adb_auth.h"
#include "protocol/adb_block_commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict::usb;
  if (size < 2) return 0;
  std::span<const uint8_t> input(data + 2, size - 2);
  switch (data[0] % 4) {
    case 0: {
      if (input.size() < kAdbHeaderBytes) break;
      auto header = ParseAdbHeader(input.first(kAdbHeaderBytes), kAdbMaxPayload);
      if (header.ok()) (void)CheckAdbPayload(*header, input.subspan(kAdbHeaderBytes), true);
      break;
    }
    case 1: {
      auto banner = ParseAdbBanner(input);
      if (banner.ok()) (void)banner->Get("ro.product.model");
      // The same text as a service string (what the simulator parses from the host): the allowlist key and
      // the block-command parsers, which must accept only what their encoders produce.
      const std::string service(reinterpret_cast<const char*>(input.data()), input.size());
      (void)AdbServiceKey(service);
      if (auto read = ParseAdbBlockReadService(service); read && EncodeAdbBlockReadService(*read) != service) {
        __builtin_trap();
      }
      if (auto path = ParseAdbBlockSizeService(service); path && EncodeAdbBlockSizeService(*path) != service) {
        __builtin_trap();
      }
      break;
    }
    case 2: {
      // Second byte: the request being answered and the split size.
      const SyncExpect expect = static_cast<SyncExpect>(data[1] % 3);
      const size_t piece = 1 + data[1] / 3;
      AdbSyncReader reader;
      for (size_t at = 0; at < input.size(); at += piece) {
        reader.Feed(input.subspan(at, std::min(piece, input.size() - at)));
        while (true) {
          auto reply = reader.Next(expect);
          if (!reply.ok() || !reply->has_value()) break;
        }
      }
      break;
    }
    default: {
      const std::string key(reinterpret_cast<const char*>(input.data()), input.size());
      const uint8_t token[20] = {};
      (void)VerifyAdbSignature(key, token, input);
      break;
    }
  }
  return 0;
}
