#include "sandbox/frame.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "core/files.h"
#include "core/hash.h"
#include "sandbox/plugin_host_api.h"
#include "sandbox/result_collector.h"

namespace interdict {
namespace {

constexpr char kFinding[] = R"({"kind":"yara-match","severity":"high","location":"a.img@0x10","summary":"rule X"})";

// Runs `write` against a FrameWriter on an in-memory file and returns every byte written.
template <typename WriteFn>
std::string CaptureFrames(WriteFn write) {
  int fd = ::memfd_create("frames", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  {
    FrameWriter writer(fd);
    write(writer);
  }
  std::string bytes;
  char buffer[65536];
  ssize_t got;
  off_t offset = 0;
  while ((got = ::pread(fd, buffer, sizeof(buffer), offset)) > 0) {
    bytes.append(buffer, static_cast<size_t>(got));
    offset += got;
  }
  ::close(fd);
  return bytes;
}

std::string Header(uint32_t length, uint8_t type, uint8_t reserved = 0) {
  std::string header(8, '\0');
  for (int i = 0; i < 4; ++i) header[i] = static_cast<char>(length >> (8 * i));
  header[4] = static_cast<char>(type);
  header[5] = static_cast<char>(reserved);
  return header;
}

std::vector<Frame> ReadAll(const std::string& bytes, Status* error) {
  FrameReader reader;
  std::vector<Frame> frames;
  // Feed byte by byte: the parser must cope with frames split anywhere.
  for (char c : bytes) {
    reader.Append(&c, 1);
    for (;;) {
      Result<std::optional<Frame>> next = reader.Next();
      if (!next.ok()) {
        *error = next.status();
        return frames;
      }
      if (!next->has_value()) break;
      frames.push_back(std::move(**next));
    }
  }
  return frames;
}

TEST(FrameProtocol, EveryFrameTypeRoundTripsEvenWhenSplitIntoSingleBytes) {
  std::string artifact(kArtifactChunkBytes + 10, 'a');  // two chunks
  std::string bytes = CaptureFrames([&](FrameWriter& w) {
    ASSERT_TRUE(w.WriteLog(INTERDICT_LOG_WARNING, "careful").ok());
    ASSERT_TRUE(w.WriteProgress(5, 1ull << 40).ok());
    ASSERT_TRUE(w.WriteFinding(kFinding).ok());
    ASSERT_TRUE(w.WriteArtifactBegin(7, R"({"name":"x"})").ok());
    ASSERT_TRUE(w.WriteArtifactData(7, artifact.data(), artifact.size()).ok());
    ASSERT_TRUE(w.WriteArtifactEnd(7).ok());
    w.TryWriteAllocationFailed(123);
    ASSERT_TRUE(w.WriteDone(INTERDICT_CORRUPT_INPUT).ok());
    ASSERT_TRUE(w.WriteStartFailed(INTERDICT_ABI_MISMATCH, "abi").ok());
  });
  Status error;
  std::vector<Frame> frames = ReadAll(bytes, &error);
  ASSERT_TRUE(error.ok()) << error.ToString();
  ASSERT_EQ(frames.size(), 10u);
  EXPECT_EQ(frames[0].type, FrameType::kLog);
  EXPECT_EQ(frames[0].level, INTERDICT_LOG_WARNING);
  EXPECT_EQ(frames[0].body, "careful");
  EXPECT_EQ(frames[1].done, 5u);
  EXPECT_EQ(frames[1].total, 1ull << 40);
  EXPECT_EQ(frames[2].body, kFinding);
  EXPECT_EQ(frames[3].handle, 7u);
  EXPECT_EQ(frames[4].type, FrameType::kArtifactData);
  EXPECT_EQ(frames[4].body.size(), kArtifactChunkBytes);
  EXPECT_EQ(frames[5].body.size(), 10u);
  EXPECT_EQ(frames[6].type, FrameType::kArtifactEnd);
  EXPECT_EQ(frames[7].requested, 123u);
  EXPECT_EQ(frames[8].status, INTERDICT_CORRUPT_INPUT);
  EXPECT_EQ(frames[9].type, FrameType::kStartFailed);
  EXPECT_EQ(frames[9].body, "abi");
}

TEST(FrameProtocol, RejectsOversizedGarbledAndMistypedFrames) {
  struct Case {
    const char* what;
    std::string bytes;
    const char* expected;
  };
  const Case cases[] = {
      {"oversized", Header(kMaxFrameBytes + 1, 3), "exceeds the limit"},
      {"oversized finding", Header(kMaxFindingBytes + 1, 3), "finding of"},
      {"unknown type", Header(0, 42), "unknown frame type"},
      {"type zero", Header(0, 0), "unknown frame type"},
      {"reserved bytes", Header(0, 7, 1), "reserved"},
      {"short progress", Header(3, 2) + "abc", "progress"},
      {"long done", Header(5, 7) + "12345", "done"},
      {"empty log", Header(0, 1), "log"},
      {"bad log level", Header(2, 1) + "\x09x", "level"},
      {"artifact-data without handle", Header(4, 5) + "abcd", "handle"},
  };
  for (const Case& c : cases) {
    Status error;
    std::vector<Frame> frames = ReadAll(c.bytes, &error);
    EXPECT_TRUE(frames.empty()) << c.what;
    EXPECT_EQ(error.code(), StatusCode::kCorrupt) << c.what;
    EXPECT_NE(error.message().find(c.expected), std::string::npos) << c.what << ": " << error.message();
  }
}

TEST(ResultCollector, RefusesInvalidFindingsAndOrphanArtifactData) {
  JobEvents events;
  const std::pair<std::string, std::string> cases[] = {
      {CaptureFrames([](FrameWriter& w) { (void)w.WriteFinding("not json"); }), "not valid JSON"},
      {CaptureFrames([](FrameWriter& w) { (void)w.WriteFinding("[1]"); }), "not a JSON object"},
      {CaptureFrames([](FrameWriter& w) {
         (void)w.WriteFinding(R"({"kind":"x","severity":"bad","location":"","summary":"s"})");
       }),
       "severity"},
      {CaptureFrames([](FrameWriter& w) { (void)w.WriteFinding(R"({"kind":"x","severity":"info","location":""})"); }),
       "summary"},
      {CaptureFrames([](FrameWriter& w) { (void)w.WriteArtifactData(9, "abc", 3); }), "unknown artifact handle"},
      {CaptureFrames([](FrameWriter& w) { (void)w.WriteArtifactEnd(9); }), "unknown artifact handle"},
      {CaptureFrames([](FrameWriter& w) { (void)w.WriteArtifactBegin(1, R"({"media_type":"x","location":""})"); }),
       "name"},
      {CaptureFrames([](FrameWriter& w) {
         (void)w.WriteDone(0);
         (void)w.WriteFinding(kFinding);
       }),
       "after the job had ended"},
  };
  for (const auto& [bytes, expected] : cases) {
    ResultCollector collector(events, "");
    Status status = collector.Consume(bytes.data(), bytes.size());
    EXPECT_EQ(status.code(), StatusCode::kCorrupt) << expected;
    EXPECT_NE(status.message().find(expected), std::string::npos) << status.message();
  }
}

TEST(ResultCollector, StreamsArtifactsToHashedFilesAndReportsTruncation) {
  std::vector<ProducedArtifact> artifacts;
  std::vector<std::string> contents;
  JobEvents events;
  events.on_artifact = [&](ProducedArtifact& artifact) {
    Result<std::string> text = ReadFileToString(artifact.temp_path, 1 << 20);
    EXPECT_TRUE(text.ok());
    contents.push_back(text.ok() ? *text : "");
    artifacts.push_back(artifact);
    return Status::Ok();
  };
  std::string bytes = CaptureFrames([](FrameWriter& w) {
    (void)w.WriteArtifactBegin(1, R"({"name":"a.bin","media_type":"application/octet-stream","location":"x"})");
    (void)w.WriteArtifactData(1, "hello ", 6);
    (void)w.WriteArtifactData(1, "world", 5);
    (void)w.WriteArtifactEnd(1);
    (void)w.WriteDone(0);
  });
  ResultCollector collector(events, "");
  ASSERT_TRUE(collector.Consume(bytes.data(), bytes.size()).ok());
  ASSERT_TRUE(collector.Finish().ok());
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(contents[0], "hello world");
  EXPECT_EQ(artifacts[0].size, 11u);
  EXPECT_EQ(artifacts[0].sha256, Sha256Hex(std::string_view("hello world")));
  EXPECT_EQ(artifacts[0].meta["name"], "a.bin");
  EXPECT_FALSE(std::filesystem::exists(artifacts[0].temp_path)) << "temporary file left behind";
  EXPECT_EQ(collector.done_status(), 0);

  ResultCollector truncated(events, "");
  ASSERT_TRUE(truncated.Consume(bytes.data(), 20).ok());
  Status finished = truncated.Finish();
  EXPECT_EQ(finished.code(), StatusCode::kCorrupt);
  EXPECT_NE(finished.message().find("ended inside a frame"), std::string::npos);
}

TEST(PluginJobChannel, RefusesInvalidResultsBeforeTheyLeaveTheWorker) {
  std::atomic<bool> cancel{false};
  std::string bytes = CaptureFrames([&](FrameWriter& w) {
    PluginJobChannel channel(&w, -1, 0, "{}", &cancel);
    EXPECT_EQ(channel.EmitFinding("{}", 2), INTERDICT_INVALID_ARGUMENT);
    EXPECT_EQ(channel.EmitFinding(kFinding, sizeof(kFinding) - 1), INTERDICT_OK);
    uint64_t handle = 0;
    EXPECT_EQ(channel.BeginArtifact("[]", 2, &handle), INTERDICT_INVALID_ARGUMENT);
    EXPECT_EQ(channel.WriteArtifact(99, "x", 1), INTERDICT_INVALID_ARGUMENT);
    EXPECT_EQ(channel.EndArtifact(99), INTERDICT_INVALID_ARGUMENT);
    size_t got = 7;
    char buffer[4];
    EXPECT_EQ(channel.ReadInput(0, buffer, sizeof(buffer), &got), INTERDICT_OK);
    EXPECT_EQ(got, 0u) << "an empty input reads as end of input";
    EXPECT_FALSE(channel.Cancelled());
    cancel = true;
    EXPECT_TRUE(channel.Cancelled());
  });
  Status error;
  std::vector<Frame> frames = ReadAll(bytes, &error);
  ASSERT_TRUE(error.ok());
  // One log explaining the refused finding, the finding, one log for the refused artifact.
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].type, FrameType::kLog);
  EXPECT_NE(frames[0].body.find("finding refused"), std::string::npos);
  EXPECT_EQ(frames[1].body, kFinding);
  EXPECT_NE(frames[2].body.find("artifact refused"), std::string::npos);
}

}  // namespace
}  // namespace interdict
