// Fuzz target: every parser of device replies (CSW, sense, INQUIRY, READ CAPACITY 10/16) and of what the
// simulator receives (CBW, READ CDBs). The first byte picks the parser; the rest is the reply.
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/scsi.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict::usb;
  if (size == 0) return 0;
  std::span<const uint8_t> reply(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0: (void)ParseCsw(reply); break;
    case 1: {
      auto sense = ParseSense(reply);
      if (sense.ok()) (void)sense->ToString();
      break;
    }
    case 2: (void)ParseInquiry(reply); break;
    case 3: {
      bool needs_16 = false;
      (void)ParseReadCapacity10(reply, &needs_16);
      break;
    }
    case 4: {
      auto capacity = ParseReadCapacity16(reply);
      if (capacity.ok()) (void)(capacity->sector_count() * capacity->sector_size);
      break;
    }
    case 5: {
      auto cbw = ParseCbw(reply);
      if (cbw.ok()) (void)EncodeCbw(*cbw);
      break;
    }
    default: (void)ParseReadCdb(reply); break;
  }
  return 0;
}
