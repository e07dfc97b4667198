// A pattern at offset 2^32 + k of a sparse 5 GiB file is reported at 2^32 + k: offsets stay 64-bit through
// the block reader, and memory stays at two scan blocks whatever the file size.
#include <fcntl.h>
#include <unistd.h>

#include "fwscan_test_support.h"

namespace fwtest {
namespace {

TEST(LargeFile, PatternBeyondFourGibibytesOfASparseFileIsAtTheRightOffset) {
  TempDir dir;
  std::filesystem::path path = dir / "sparse5g.img";
  constexpr uint64_t kSize = 5ull << 30;
  constexpr uint64_t kOffset = (1ull << 32) + 12345;
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kSize)), 0);
  const char kPattern[] = "BEYOND-4-GIB-PATTERN";
  ASSERT_EQ(::pwrite(fd, kPattern, sizeof(kPattern) - 1, static_cast<off_t>(kOffset)), static_cast<ssize_t>(sizeof(kPattern) - 1));
  ::close(fd);
  auto rules = CompileOrDie("rule far { strings: $p = \"BEYOND-4-GIB-PATTERN\" condition: $p and filesize == 5368709120 }");
  // This test is about offsets, not speed: a sanitizer build on a busy machine may need minutes for 5 GiB.
  ScanOptions options;
  options.timeout_seconds = 3600;
  auto scanner = LayerScanner::Create(rules, options);
  ASSERT_TRUE(scanner.ok());
  auto source = OpenFileSource(path);
  ASSERT_TRUE(source.ok());
  auto r = (*scanner)->Scan(**source);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->outcome, ScanOutcome::kMatched);
  ASSERT_EQ(r->matches[0].strings.size(), 1u);
  EXPECT_EQ(r->matches[0].strings[0].offset, kOffset);
}

}  // namespace
}  // namespace fwtest
