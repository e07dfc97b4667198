// Fuzz target: the host's parsing of a worker's result stream (frames, finding and artifact validation).
#include <cstddef>
#include <cstdint>

#include "sandbox/frame.h"
#include "sandbox/result_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  interdict::FrameReader reader;
  // Two halves, so frames split across reads are exercised too.
  reader.Append(data, size / 2);
  for (int pass = 0; pass < 2; ++pass) {
    for (;;) {
      interdict::Result<std::optional<interdict::Frame>> next = reader.Next();
      if (!next.ok() || !next->has_value()) break;
      const interdict::Frame& frame = **next;
      if (frame.type == interdict::FrameType::kFinding) (void)interdict::ValidateFinding(frame.body);
      if (frame.type == interdict::FrameType::kArtifactBegin) (void)interdict::ValidateArtifactMeta(frame.body);
    }
    if (pass == 0) reader.Append(data + size / 2, size - size / 2);
  }
  return 0;
}
