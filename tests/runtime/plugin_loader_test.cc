#include "plugins/plugin_loader.h"

#include <gtest/gtest.h>

#include "core/files.h"
#include "core/hash.h"
#include "plugins/plugin_discovery.h"
#include "runtime_test_support.h"
#include "sandbox/plugin_host_api.h"

namespace interdict {
namespace {

using testing::ExampleManifest;
using testing::ScratchDir;
using testing::TestPluginManifest;

TEST(PluginLoader, LoadsTheExamplePluginAndChecksItsDescriptor) {
  Result<std::unique_ptr<LoadedPlugin>> plugin = LoadPlugin(ExampleManifest(), PluginHostApi());
  ASSERT_TRUE(plugin.ok()) << plugin.status().ToString();
  const interdict_plugin& descriptor = (*plugin)->descriptor();
  EXPECT_STREQ(descriptor.id, "org.interdict.example");
  EXPECT_STREQ(descriptor.version, "1.0.0");
  EXPECT_EQ(descriptor.abi_major, static_cast<uint32_t>(INTERDICT_ABI_MAJOR));
  EXPECT_GE(descriptor.struct_size, kMinPluginDescriptorSize);
  EXPECT_EQ((*plugin)->manifest().id, "org.interdict.example");
}

TEST(PluginLoader, LoadsTheRightLibraryAfterAnotherOneStayedResidentUnderTheSameDescriptorNumber) {
  // C++ plugins have STB_GNU_UNIQUE symbols, so glibc never unloads them; the next load reuses the freed
  // descriptor number and must still get its own library.
  {
    Result<std::unique_ptr<LoadedPlugin>> first = LoadPlugin(ExampleManifest(), PluginHostApi());
    ASSERT_TRUE(first.ok()) << first.status().ToString();
  }
  Result<std::unique_ptr<LoadedPlugin>> second =
      LoadPlugin(TestPluginManifest("plugin_test_segfault"), PluginHostApi());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_STREQ((*second)->descriptor().id, "org.interdict.test.segfault");
  Result<std::unique_ptr<LoadedPlugin>> again = LoadPlugin(ExampleManifest(), PluginHostApi());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_STREQ((*again)->descriptor().id, "org.interdict.example");
}

TEST(PluginLoader, RefusesALibraryWhoseSha256DiffersFromTheManifest) {
  std::filesystem::path manifest = TestPluginManifest("plugin_test_checksum_mismatch");
  Result<std::unique_ptr<LoadedPlugin>> plugin = LoadPlugin(manifest, PluginHostApi());
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kVerificationFailed);
  Result<std::string> actual = Sha256File(manifest.parent_path() / "plugin_test_checksum_mismatch.so");
  ASSERT_TRUE(actual.ok());
  // The message names both digests and says it refused.
  EXPECT_NE(plugin.status().message().find(*actual), std::string::npos) << plugin.status().message();
  EXPECT_NE(plugin.status().message().find("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            std::string::npos);
  EXPECT_NE(plugin.status().message().find("refusing"), std::string::npos);
}

TEST(PluginLoader, RefusesAnAbiMajorMismatchFromTheManifestNamingBothVersions) {
  Result<std::unique_ptr<LoadedPlugin>> plugin =
      LoadPlugin(TestPluginManifest("plugin_test_abi_major"), PluginHostApi());
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(plugin.status().message().find("ABI 2.0"), std::string::npos) << plugin.status().message();
  EXPECT_NE(plugin.status().message().find("ABI 1.0"), std::string::npos) << plugin.status().message();
  EXPECT_NE(plugin.status().message().find("org.interdict.test.abi-major"), std::string::npos);
}

TEST(PluginLoader, RefusesAnAbiMajorMismatchReportedByTheLibraryItself) {
  // The same library behind a manifest that (wrongly) claims ABI 1.0: the entry symbol must refuse.
  ScratchDir dir;
  std::filesystem::path source = TestPluginManifest("plugin_test_abi_major").parent_path();
  std::filesystem::copy_file(source / "plugin_test_abi_major.so", dir.path() / "plugin_test_abi_major.so");
  Result<std::string> text = ReadFileToString(source / "plugin.json", 1 << 16);
  ASSERT_TRUE(text.ok());
  nlohmann::json manifest = nlohmann::json::parse(*text);
  manifest["abi"] = "1.0";
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "plugin.json", manifest.dump()).ok());

  Result<std::unique_ptr<LoadedPlugin>> plugin = LoadPlugin(dir.path() / "plugin.json", PluginHostApi());
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(plugin.status().message().find("2.0"), std::string::npos) << plugin.status().message();
  EXPECT_NE(plugin.status().message().find("1.0"), std::string::npos) << plugin.status().message();
}

TEST(PluginLoader, RefusesAMissingLibraryAndATamperedManifest) {
  ScratchDir dir;
  Result<std::string> text = ReadFileToString(ExampleManifest(), 1 << 16);
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "plugin.json", *text).ok());
  EXPECT_EQ(LoadPlugin(dir.path() / "plugin.json", PluginHostApi()).status().code(), StatusCode::kNotFound);

  // Same library, one byte of it flipped in a copy.
  Result<std::string> library = ReadFileToString(ExampleManifest().parent_path() / "plugin_example.so", 64 << 20);
  ASSERT_TRUE(library.ok());
  std::string flipped = *library;
  flipped[flipped.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "plugin_example.so", flipped).ok());
  EXPECT_EQ(LoadPlugin(dir.path() / "plugin.json", PluginHostApi()).status().code(), StatusCode::kVerificationFailed);
}

TEST(PluginDiscovery, ListsEveryPluginWithItsVerificationState) {
  Result<std::vector<DiscoveredPlugin>> plugins = DiscoverPlugins(INTERDICT_TEST_PLUGIN_DIR);
  ASSERT_TRUE(plugins.ok()) << plugins.status().ToString();
  std::map<std::string, const DiscoveredPlugin*> by_id;
  for (const auto& plugin : *plugins) {
    ASSERT_TRUE(plugin.manifest.has_value()) << plugin.manifest_path;
    by_id[plugin.manifest->id] = &plugin;
  }
  ASSERT_EQ(by_id.count("org.interdict.test.segfault"), 1u);
  EXPECT_TRUE(by_id["org.interdict.test.segfault"]->verified());
  ASSERT_EQ(by_id.count("org.interdict.test.checksum-mismatch"), 1u);
  EXPECT_EQ(by_id["org.interdict.test.checksum-mismatch"]->verification.code(), StatusCode::kVerificationFailed);
  ASSERT_EQ(by_id.count("org.interdict.test.abi-major"), 1u);
  EXPECT_EQ(by_id["org.interdict.test.abi-major"]->verification.code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(FindVerifiedPlugin(*plugins, "org.interdict.test.abi-major").has_value());
  EXPECT_TRUE(FindVerifiedPlugin(*plugins, "org.interdict.test.exec-shell").has_value());
  EXPECT_EQ(DiscoverPlugins("/nonexistent/interdict").status().code(), StatusCode::kNotFound);
}

TEST(PluginDiscovery, ReportsAnUnparseableManifestWithoutHidingTheOthers) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.path() / "broken");
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "broken" / "plugin.json", "{\"id\": 1}").ok());
  std::filesystem::create_directory(dir.path() / "example");
  std::filesystem::copy_file(ExampleManifest(), dir.path() / "example" / "plugin.json");
  std::filesystem::copy_file(ExampleManifest().parent_path() / "plugin_example.so",
                             dir.path() / "example" / "plugin_example.so");
  Result<std::vector<DiscoveredPlugin>> plugins = DiscoverPlugins(dir.path());
  ASSERT_TRUE(plugins.ok());
  ASSERT_EQ(plugins->size(), 2u);
  EXPECT_FALSE((*plugins)[0].manifest.has_value());
  EXPECT_EQ((*plugins)[0].verification.code(), StatusCode::kCorrupt);
  EXPECT_TRUE((*plugins)[1].verified()) << (*plugins)[1].verification.ToString();
}

}  // namespace
}  // namespace interdict
