#include "core/status.h"

#include <gtest/gtest.h>

#include "core/exit_codes.h"

namespace interdict {
namespace {

Result<int> ParsePositive(int value) {
  if (value <= 0) return Status::InvalidArgument("not positive: " + std::to_string(value));
  return value;
}

Status Chain(int value, int* out) {
  INTERDICT_ASSIGN_OR_RETURN(*out, ParsePositive(value));
  return Status::Ok();
}

TEST(Status, OkIsDefaultAndPrintsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, CarriesCodeMessageAndContext) {
  Status s = Status::Corrupt("bad GPT header").WithContext("partition table");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_EQ(s.ToString(), "corrupt: partition table: bad GPT header");
  EXPECT_TRUE(s.IsEvidenceProblem());
  EXPECT_FALSE(Status::Internal("bug").IsEvidenceProblem());
}

TEST(Status, ResultPropagatesErrorsThroughAssignOrReturn) {
  int out = 0;
  EXPECT_TRUE(Chain(5, &out).ok());
  EXPECT_EQ(out, 5);
  Status s = Chain(-1, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "not positive: -1");
}

TEST(ExitCodes, MapEvidenceToolAndPolicyProblemsToDistinctCodes) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(ExitCodeFor(Status::Corrupt("x")), kExitInputError);
  EXPECT_EQ(ExitCodeFor(Status::Timeout("x")), kExitIncomplete);
  EXPECT_EQ(ExitCodeFor(Status::VerificationFailed("x")), kExitVerificationFailed);
  EXPECT_EQ(ExitCodeFor(Status::PermissionDenied("x")), kExitRefused);
  EXPECT_EQ(ExitCodeFor(Status::Disconnected("x")), kExitDeviceError);
  EXPECT_EQ(ExitCodeFor(Status::Internal("x")), kExitInternal);
}

}  // namespace
}  // namespace interdict
