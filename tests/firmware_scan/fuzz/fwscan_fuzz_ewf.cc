// Fuzz target: the E01 unpacker on arbitrary bytes: libewf parses the segment (through our libbfio pool),
// the decoded media is read to its end (capped), and the stored hashes are checked.
#include "fuzz_unpack_driver.h"
#include "libewf_lsan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  interdict::fwscan::fuzz::RunUnpacker(interdict::fwscan::kEwfFormat, data, size);
  return 0;
}
