#include "core/progress.h"

#include <gtest/gtest.h>

#include <string>

namespace interdict {
namespace {

// Tests run with stderr not a terminal: plain lines, and only Finish prints at once (Update waits
// kProgressPlainInterval between lines).
TEST(ProgressReporter, FinishLineGivesBytesWithUnitsAndRate) {
  ProgressReporter progress("acquire", 4096, false);
  ::testing::internal::CaptureStderr();
  progress.Finish(2048);
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(line.rfind("acquire: 2.0 KiB ( 50.0%) of 4.0 KiB, ", 0), 0u) << line;
  EXPECT_NE(line.find("/s, "), std::string::npos) << line;
  EXPECT_EQ(line.back(), '\n');
}

TEST(ProgressReporter, CountsAreNamedByTheirNounNotFormattedAsBytes) {
  ProgressReporter progress("templates build", 10000, false, "templates");
  ::testing::internal::CaptureStderr();
  progress.Finish(2500, "stopped");
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(line.rfind("templates build: 2500 ( 25.0%) of 10000 templates, ", 0), 0u) << line;
  EXPECT_NE(line.find(" templates/s, "), std::string::npos) << line;
  EXPECT_NE(line.find(", stopped\n"), std::string::npos) << line;
  EXPECT_EQ(line.find("KiB"), std::string::npos) << line;
}

TEST(ProgressReporter, QuietPrintsNothingAndAnUnknownTotalHasNoPercentage) {
  ProgressReporter quiet("scan", 10, true, "files");
  ::testing::internal::CaptureStderr();
  quiet.Update(5);
  quiet.Finish(10);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ProgressReporter open_ended("scan", 0, false, "files");
  ::testing::internal::CaptureStderr();
  open_ended.Finish(7);
  const std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(line.rfind("scan: 7 files, ", 0), 0u) << line;
  EXPECT_EQ(line.find('%'), std::string::npos) << line;
}

}  // namespace
}  // namespace interdict
