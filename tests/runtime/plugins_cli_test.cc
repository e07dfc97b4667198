// `interdict plugins list|verify` run as a real binary over the test plugin folder.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunInterdict(const std::string& arguments) {
  std::string command = std::string(INTERDICT_BINARY_DIR) + "/bin/interdict --plugin-dir " +
                        INTERDICT_TEST_PLUGIN_DIR + " " + arguments + " 2>/dev/null";
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

}  // namespace
