// The packs a queued job's plugin will load are named by their manifests' SHA-256: from a job parameter,
// the plugin's environment variable or the bundled signatures folder, as the plugins themselves choose; a
// changed pack changes the job's idempotency key, so the queue treats it as new work.
#include "queue/plugin_packs.h"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "core/hash.h"
#include "core/signed_pack.h"
#include "queue/job_queue.h"

namespace interdict {
namespace {

namespace fs = std::filesystem;

constexpr char kFirmwareScan[] = "org.interdict.firmware_scan";
constexpr char kMeshMatch[] = "org.interdict.mesh_match";

class PluginPacksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("interdict_plugin_packs_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    WritePack("yara/b-pack", R"({"name": "beta", "version": "1.0.0"})");
    WritePack("yara/a-pack", R"({"name": "alpha", "version": "1.0.0"})");
    WritePack("meshes/parts", R"({"name": "parts", "version": "2.0.0"})");
    unsetenv("INTERDICT_YARA_PACKS");
    unsetenv("INTERDICT_MESH_PACK");
  }
  void TearDown() override {
    unsetenv("INTERDICT_YARA_PACKS");
    unsetenv("INTERDICT_MESH_PACK");
    fs::remove_all(dir_);
  }
  void WritePack(const std::string& rel, const std::string& manifest) {
    fs::create_directories(dir_ / rel);
    std::ofstream(dir_ / rel / kPackManifestFile, std::ios::binary) << manifest;
  }
  JobRequest Request(const nlohmann::json& packs) const {
    JobRequest request;
    request.plugin_id = kFirmwareScan;
    request.plugin_version = "1.0.0";
    request.input_sha256 = std::string(64, 'e');
    request.params = {{"media_type", "application/octet-stream"}, {"depth", 0}};
    request.pack_digest = CombinedPackDigest(packs);
    return request;
  }

  fs::path dir_;
};

TEST_F(PluginPacksTest, FirmwareJobsNameEveryPackOfTheEnvironmentFolder) {
  setenv("INTERDICT_YARA_PACKS", (dir_ / "yara").c_str(), 1);
  auto digests = PluginPackDigests(kFirmwareScan, {{"media_type", "application/octet-stream"}});
  ASSERT_TRUE(digests.ok()) << digests.status().ToString();
  EXPECT_EQ(*digests, (nlohmann::json{{"alpha", Sha256Hex(std::string(R"({"name": "alpha", "version": "1.0.0"})"))},
                                      {"beta", Sha256Hex(std::string(R"({"name": "beta", "version": "1.0.0"})"))}}));
  // A job parameter naming packs wins over the environment.
  auto named = PluginPackDigests(kFirmwareScan, {{"packs", {(dir_ / "yara/b-pack").string()}}});
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->size(), 1u);
  EXPECT_TRUE(named->contains("beta"));
}

TEST_F(PluginPacksTest, MeshJobsNameTheOnePackTheMatcherLoads) {
  setenv("INTERDICT_MESH_PACK", (dir_ / "meshes/parts").c_str(), 1);
  auto digests = PluginPackDigests(kMeshMatch, nlohmann::json::object());
  ASSERT_TRUE(digests.ok()) << digests.status().ToString();
  EXPECT_EQ(*digests, (nlohmann::json{{"parts", Sha256Hex(std::string(R"({"name": "parts", "version": "2.0.0"})"))}}));
  auto named = PluginPackDigests(kMeshMatch, {{"templates", (dir_ / "yara/a-pack").string()}});
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(named->contains("alpha"));
}

TEST_F(PluginPacksTest, WithoutEnvironmentTheBundledPacksAreNamed) {
  const fs::path signatures = fs::path(INTERDICT_SOURCE_DIR) / "signatures";
  auto yara = PluginPackDigests(kFirmwareScan, nlohmann::json::object());
  ASSERT_TRUE(yara.ok()) << yara.status().ToString();
  const auto bundled_yara = ListPackDirs(signatures / "yara");
  ASSERT_FALSE(bundled_yara.empty());
  EXPECT_EQ(yara->size(), bundled_yara.size());
  for (const fs::path& dir : bundled_yara) {
    auto digest = ReadPackDigest(dir);
    ASSERT_TRUE(digest.ok());
    EXPECT_EQ(yara->value(digest->name, ""), digest->sha256) << dir;
  }
  auto mesh = PluginPackDigests(kMeshMatch, nlohmann::json::object());
  ASSERT_TRUE(mesh.ok()) << mesh.status().ToString();
  auto first_mesh = ReadPackDigest(ListPackDirs(signatures / "meshes").front());
  ASSERT_TRUE(first_mesh.ok());
  EXPECT_EQ(*mesh, (nlohmann::json{{first_mesh->name, first_mesh->sha256}}));
}

TEST_F(PluginPacksTest, PluginsWithoutPacksNameNone) {
  auto digests = PluginPackDigests("org.interdict.example", nlohmann::json::object());
  ASSERT_TRUE(digests.ok());
  EXPECT_TRUE(digests->empty());
  EXPECT_EQ(CombinedPackDigest(*digests), "");
}

TEST_F(PluginPacksTest, UnreadableNamedPackIsAnErrorNamingPluginAndPack) {
  auto missing = PluginPackDigests(kMeshMatch, {{"templates", (dir_ / "no-such-pack").string()}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no-such-pack"), std::string::npos) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find(kMeshMatch), std::string::npos) << missing.status().ToString();
  EXPECT_EQ(PluginPackDigests(kFirmwareScan, {{"packs", 7}}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PluginPacksTest, ChangingAPackChangesTheIdempotencyKey) {
  setenv("INTERDICT_YARA_PACKS", (dir_ / "yara").c_str(), 1);
  auto before = PluginPackDigests(kFirmwareScan, nlohmann::json::object());
  ASSERT_TRUE(before.ok());
  auto again = PluginPackDigests(kFirmwareScan, nlohmann::json::object());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(IdempotencyKey(Request(*before)), IdempotencyKey(Request(*again)));
  WritePack("yara/b-pack", R"({"name": "beta", "version": "1.0.1"})");
  auto changed = PluginPackDigests(kFirmwareScan, nlohmann::json::object());
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ((*changed)["alpha"], (*before)["alpha"]);
  EXPECT_NE((*changed)["beta"], (*before)["beta"]);
  EXPECT_NE(IdempotencyKey(Request(*before)), IdempotencyKey(Request(*changed)));
  // A pack added to the folder is new work too.
  WritePack("yara/c-pack", R"({"name": "gamma", "version": "1.0.0"})");
  auto added = PluginPackDigests(kFirmwareScan, nlohmann::json::object());
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->size(), 3u);
  EXPECT_NE(IdempotencyKey(Request(*changed)), IdempotencyKey(Request(*added)));
}

}  // namespace
}  // namespace interdict
