// `interdict plugins list|verify` run as a real binary over the test plugin folder.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunInterdict(const std::string& arguments, const std::string& plugin_dir = INTERDICT_TEST_PLUGIN_DIR) {
  std::string command = std::string(INTERDICT_BINARY_DIR) + "/bin/interdict --plugin-dir " + plugin_dir + " " +
                        arguments + " 2>/dev/null";
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, got);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST(PluginsCommand, ListJsonShowsIdVersionAbiNeedsAndWhyAPluginDidNotVerify) {
  CommandResult result = RunInterdict("plugins list --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  nlohmann::json list = nlohmann::json::parse(result.output);
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& plugin : list["plugins"]) by_id[plugin["id"]] = plugin;
  ASSERT_EQ(by_id.count("org.interdict.test.segfault"), 1u);
  EXPECT_EQ(by_id["org.interdict.test.segfault"]["verified"], true);
  EXPECT_EQ(by_id["org.interdict.test.segfault"]["version"], "1.0.0");
  EXPECT_EQ(by_id["org.interdict.test.segfault"]["abi"], "1.0");
  EXPECT_EQ(by_id["org.interdict.test.segfault"]["needs"], nlohmann::json::array());
  EXPECT_EQ(by_id["org.interdict.test.checksum-mismatch"]["verified"], false);
  EXPECT_NE(by_id["org.interdict.test.checksum-mismatch"]["reason"].get<std::string>().find("SHA-256"),
            std::string::npos);
  EXPECT_EQ(by_id["org.interdict.test.abi-major"]["verified"], false);
  EXPECT_NE(by_id["org.interdict.test.abi-major"]["reason"].get<std::string>().find("ABI 2.0"), std::string::npos);
}

TEST(PluginsCommand, VerifyExitsWithVerificationFailedOnlyWhenAPluginFails) {
  EXPECT_EQ(RunInterdict("plugins verify org.interdict.test.segfault").exit_code, 0);
  CommandResult failed = RunInterdict("plugins verify org.interdict.test.checksum-mismatch");
  EXPECT_EQ(failed.exit_code, 4);
  EXPECT_NE(failed.output.find("NOT VERIFIED"), std::string::npos) << failed.output;
  EXPECT_EQ(RunInterdict("plugins verify org.interdict.no-such-plugin").exit_code, 3);
}

// A small input file, removed afterwards.
class InputFile {
 public:
  explicit InputFile(const std::string& contents) {
    char pattern[] = "/tmp/interdict-cli-input-XXXXXX";
    int fd = ::mkstemp(pattern);
    path_ = pattern;
    if (fd >= 0) {
      EXPECT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
      ::close(fd);
    }
  }
  ~InputFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(PluginsCommand, RunPrintsTheExamplePluginsFindingAndExitsWithFindings) {
  InputFile input("abc");
  CommandResult result = RunInterdict("--json plugins run org.interdict.example " + input.path(), INTERDICT_PLUGIN_DIR);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < result.output.size()) {
    size_t end = result.output.find('\n', start);
    lines.push_back(nlohmann::json::parse(result.output.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << result.output;
  // SHA-256 of "abc".
  EXPECT_EQ(lines[0]["finding"]["sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(lines[0]["finding"]["size"], 3);
  EXPECT_EQ(lines[1]["artifact"]["name"], "byte-histogram.json");
  EXPECT_EQ(lines[2]["outcome"]["termination"], "completed");
  EXPECT_EQ(lines[2]["outcome"]["plugin"], "org.interdict.example@1.0.0");
}

TEST(PluginsCommand, RunReportsACrashedPluginAndRefusesInputsItDoesNotAccept) {
  InputFile input("abc");
  CommandResult crashed = RunInterdict("plugins run org.interdict.test.segfault --force " + input.path());
  EXPECT_EQ(crashed.exit_code, 5) << crashed.output;
  EXPECT_NE(crashed.output.find("crashed (killed by SIGSEGV)"), std::string::npos) << crashed.output;
  EXPECT_EQ(RunInterdict("plugins run org.interdict.test.segfault " + input.path()).exit_code, 3);
  EXPECT_EQ(RunInterdict("plugins run org.interdict.test.checksum-mismatch --force " + input.path()).exit_code, 3);
}

}  // namespace
