#include "template_pack.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <optional>

#include "core/files.h"
#include "geometry_hash.h"
#include "matcher.h"
#include "mesh_test_util.h"
#include "mesh_writer.h"
#include "standin_generator.h"
#include "template_library.h"

namespace interdict::mesh {
namespace {

namespace fs = std::filesystem;

TEST(TemplateLibrary, LoadMeshReadsNowAndDescribesOnFirstUse) {
  // The plugin reads every template mesh in create() and may open no file afterwards (its sandbox forbids it).
  int loads = 0;
  bool files_allowed = true;
  TemplateLibrary library([&](const TemplateRecord& record) -> Result<TriangleMesh> {
    ++loads;
    if (!files_allowed) return Status::PermissionDenied("no file may be opened now");
    return GenerateStandIn(std::stoull(record.mesh_path)).mesh;
  });
  for (uint64_t seed : {3, 7, 9}) {
    const DescribedBody body = DescribeBody(GenerateStandIn(seed).mesh);
    library.Add({"t" + std::to_string(seed), "", std::to_string(seed), body.hashes, body.descriptor,
                 body.metrics.diagonal()});
  }
  library.BuildIndex();
  ASSERT_TRUE(library.LoadMesh(0).ok());
  ASSERT_TRUE(library.LoadMesh(1).ok());
  ASSERT_TRUE(library.LoadMesh(1).ok());  // kept, not read again
  EXPECT_EQ(loads, 2);
  files_allowed = false;
  Result<const RegistrationTarget*> target = library.Target(1);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  Result<const DescribedBody*> body = library.Body(1);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)->hashes.exact, library.record(1).hashes.exact);  // described from the mesh that was read
  EXPECT_EQ(loads, 2);
  // A template that was not read ahead still goes to the loader, and its failure is reported.
  EXPECT_EQ(library.LoadMesh(2).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(library.Target(2).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(library.LoadMesh(3).code(), StatusCode::kInvalidArgument);
}

class TemplatePackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTempDir("pack");
    fs::create_directories(dir_ / "meshes");
    fs::create_directories(dir_ / "fixtures");
    nlohmann::json templates = nlohmann::json::array();
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      StandInPart part = GenerateStandIn(seed);
      ASSERT_TRUE(WriteFileAtomic(dir_ / ("meshes/" + part.id + ".stl"), ToBinaryStl(part.mesh)).ok());
      templates.push_back({{"id", part.id}, {"name", part.id}, {"mesh", "meshes/" + part.id + ".stl"}});
    }
    nlohmann::json manifest = {{"format", kTemplatePackFormat}, {"name", "test-pack"}, {"version", "1.0.0"},
                               {"descriptor_version", kDescriptorVersion}, {"templates", templates}};
    ASSERT_TRUE(WriteFileAtomic(dir_ / "pack.json", manifest.dump(2)).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "fixtures/copy.stl",
                                ToBinaryStl(TransformMesh(GenerateStandIn(2).mesh, RandomRigidMotion(3, 10), 1.0, false)))
                    .ok());
    nlohmann::json fixtures = {{{"file", "copy.stl"}, {"expect", {{{"template", "tube-2"}, {"tier", "match"}}}}}};
    ASSERT_TRUE(WriteFileAtomic(dir_ / "fixtures/fixtures.json", fixtures.dump()).ok());
    ASSERT_TRUE(BuildTemplateDescriptors(dir_).ok());
    Result<SigningKey> key = SigningKey::Generate();
    ASSERT_TRUE(key.ok());
    public_key_ = key->public_key_hex();
    key_ = std::move(*key);
    ASSERT_TRUE(SignTemplatePack(dir_, *key_).ok());
  }

  // Applies edit to descriptors.json and signs the pack again (as an author who edited it by hand would).
  void EditDescriptorsAndResign(const std::function<void(nlohmann::json&)>& edit) {
    Result<std::string> bytes = ReadFileToString(dir_ / kTemplatePackDescriptors, 1 << 24);
    ASSERT_TRUE(bytes.ok());
    nlohmann::json doc = nlohmann::json::parse(*bytes);
    edit(doc);
    ASSERT_TRUE(WriteFileAtomic(dir_ / kTemplatePackDescriptors, doc.dump(1)).ok());
    ASSERT_TRUE(SignTemplatePack(dir_, *key_).ok());
  }

  Result<TemplatePack> VerifiedPack() {
    INTERDICT_ASSIGN_OR_RETURN(TemplatePack pack, LoadTemplatePack(dir_));
    INTERDICT_RETURN_IF_ERROR(VerifyTemplatePack(pack, {{public_key_}, false}));
    return pack;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string public_key_;
  std::optional<SigningKey> key_;
};

TEST_F(TemplatePackTest, SignedPackVerifiesOpensAndPassesItsFixtures) {
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  ASSERT_TRUE(VerifyTemplatePack(*pack, {{public_key_}, false}).ok());
  EXPECT_EQ(pack->signer_key, public_key_);
  Result<FixtureReport> report = TestTemplatePack(*pack);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->checked, 4);  // 3 descriptor checks + 1 expectation
  EXPECT_TRUE(report->failures.empty()) << report->failures.front();
}

TEST_F(TemplatePackTest, BuildAndTestReportProgressOncePerTemplate) {
  std::mutex mutex;
  std::multiset<size_t> built, checked;
  std::set<size_t> totals;
  ASSERT_TRUE(BuildTemplateDescriptors(dir_, [&](size_t done, size_t total) {
                std::lock_guard<std::mutex> lock(mutex);
                built.insert(done);
                totals.insert(total);
              }).ok());
  EXPECT_EQ(built, (std::multiset<size_t>{1, 2, 3}));
  EXPECT_EQ(totals, (std::set<size_t>{3}));
  ASSERT_TRUE(SignTemplatePack(dir_, *key_).ok());
  Result<TemplatePack> pack = VerifiedPack();
  ASSERT_TRUE(pack.ok());
  Result<FixtureReport> report = TestTemplatePack(*pack, [&](size_t done, size_t total) {
    std::lock_guard<std::mutex> lock(mutex);
    checked.insert(done);
    totals.insert(total);
  });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->failures.empty());
  EXPECT_EQ(checked, (std::multiset<size_t>{1, 2, 3}));
  EXPECT_EQ(totals, (std::set<size_t>{3}));
}

TEST_F(TemplatePackTest, OneChangedMeshByteRefusesThePack) {
  std::fstream f(dir_ / "meshes/gear-1.stl", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.put('\x7f');
  f.close();
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  Status s = VerifyTemplatePack(*pack, {{public_key_}, false});
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed) << s.ToString();
}

TEST_F(TemplatePackTest, UntrustedSignerAndUnsignedPacksAreRefused) {
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  EXPECT_EQ(VerifyTemplatePack(*pack, {{std::string(64, 'a')}, false}).code(), StatusCode::kVerificationFailed);
  fs::remove(dir_ / kTemplatePackSignature);
  EXPECT_EQ(VerifyTemplatePack(*pack, {{public_key_}, false}).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(VerifyTemplatePack(*pack, {{}, true}).ok());
}

TEST_F(TemplatePackTest, YaraPackSignatureNeverPassesAsATemplatePackSignature) {
  // The same manifest signed by the same trusted key, but in the YARA packs' signature domain.
  Result<SigningKey> key = SigningKey::Generate();
  ASSERT_TRUE(key.ok());
  Result<TemplatePack> signed_pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(signed_pack.ok());
  constexpr PackKind kYaraDomain{"rule pack", "interdict yara pack v1\n", kMaxTemplatePackFileBytes};
  ASSERT_TRUE(WriteSignedManifest(kYaraDomain, dir_, nlohmann::json::parse(signed_pack->manifest_bytes), *key).ok());
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  EXPECT_EQ(pack->digest, signed_pack->digest);  // pack.json itself is unchanged
  Status s = VerifyTemplatePack(*pack, {{key->public_key_hex()}, false});
  EXPECT_EQ(s.code(), StatusCode::kVerificationFailed) << s.ToString();
  EXPECT_NE(s.message().find("template pack \"test-pack\""), std::string::npos) << s.message();
  EXPECT_FALSE(pack->verified);
  ASSERT_TRUE(WriteSignedManifest(kTemplatePackKind, dir_, nlohmann::json::parse(signed_pack->manifest_bytes), *key).ok());
  EXPECT_TRUE(VerifyTemplatePack(*pack, {{key->public_key_hex()}, false}).ok());
}

TEST_F(TemplatePackTest, BuildStoresEachMirrorSelfFitAndTheLibraryUsesItAsComputedOnFirstUse) {
  Result<TemplatePack> pack = VerifiedPack();
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  Result<TemplateLibrary> stored = OpenTemplateLibrary(*pack);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EditDescriptorsAndResign([](nlohmann::json& doc) {
    for (auto& t : doc["templates"]) t.erase("mirror_self_fit");  // a pack built before the fits were stored
  });
  pack = VerifiedPack();
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  Result<TemplateLibrary> computed = OpenTemplateLibrary(*pack);
  ASSERT_TRUE(computed.ok()) << computed.status().ToString();
  for (size_t i = 0; i < stored->size(); ++i) {
    ASSERT_TRUE(stored->record(i).mirror_self_fit.has_value()) << stored->record(i).id;
    EXPECT_FALSE(computed->record(i).mirror_self_fit.has_value());
    Result<const AlignmentScore*> kept = stored->MirrorSelfFit(i);
    Result<const AlignmentScore*> fresh = computed->MirrorSelfFit(i);
    ASSERT_TRUE(kept.ok() && fresh.ok());
    EXPECT_EQ(*kept, &*stored->record(i).mirror_self_fit);  // read from the pack, not registered again
    EXPECT_EQ((*kept)->chamfer, (*fresh)->chamfer) << stored->record(i).id;
    EXPECT_EQ((*kept)->coverage, (*fresh)->coverage);
    EXPECT_EQ((*kept)->systematic_deviation, (*fresh)->systematic_deviation);
    EXPECT_EQ(*IsAchiral(*stored, i), *IsAchiral(*computed, i)) << stored->record(i).id;
  }
  // Both verdicts occur, so the comparison above covers each (the accuracy bench lists the achiral stand-ins).
  EXPECT_TRUE(*IsAchiral(*stored, 2));   // slide-3
  EXPECT_FALSE(*IsAchiral(*stored, 0));  // gear-1
  // The older pack still matches, but `templates test` asks for a rebuild.
  Result<FixtureReport> report = TestTemplatePack(*pack);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->failures.size(), 3u);
  EXPECT_NE(report->failures.front().find("descriptors.json is stale"), std::string::npos) << report->failures.front();
}

TEST_F(TemplatePackTest, TestReportsAMirrorSelfFitThatIsNotWhatThisBuildComputes) {
  EditDescriptorsAndResign([](nlohmann::json& doc) { doc["templates"][2]["mirror_self_fit"]["chamfer"] = 0.001; });
  Result<TemplatePack> pack = VerifiedPack();
  ASSERT_TRUE(pack.ok()) << pack.status().ToString();
  Result<FixtureReport> report = TestTemplatePack(*pack);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_EQ(report->failures.front(), "slide-3: descriptors.json is stale (run `interdict templates build`)");
}

TEST_F(TemplatePackTest, AMalformedMirrorSelfFitRefusesToOpenNamingTheTemplate) {
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"coverage", -0.5}, {"chamfer", "0.1"}, {"tolerance", nullptr}, {"precision", nlohmann::json::array()}};
  for (const auto& [field, value] : bad) {
    SCOPED_TRACE(field);
    EditDescriptorsAndResign([&, field = field, value = value](nlohmann::json& doc) {
      doc["templates"][1]["mirror_self_fit"][field] = value;
    });
    Result<TemplatePack> pack = VerifiedPack();
    ASSERT_TRUE(pack.ok()) << pack.status().ToString();
    Result<TemplateLibrary> library = OpenTemplateLibrary(*pack);
    ASSERT_EQ(library.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(library.status().message().find("mirror_self_fit of tube-2"), std::string::npos)
        << library.status().message();
    EXPECT_NE(library.status().message().find(field), std::string::npos) << library.status().message();
    EditDescriptorsAndResign([](nlohmann::json& doc) { doc["templates"][1]["mirror_self_fit"] = 7; });
    library = OpenTemplateLibrary(*VerifiedPack());
    EXPECT_EQ(library.status().code(), StatusCode::kCorrupt);
    ASSERT_TRUE(BuildTemplateDescriptors(dir_).ok());  // back to a good pack for the next field
  }
}

TEST_F(TemplatePackTest, OpeningVerifiedReadsEveryMeshInOnePassAndNeedsNoFileAfterwards) {
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  Result<TemplateLibrary> library = OpenVerifiedTemplateLibrary(*pack, {{public_key_}, false});
  ASSERT_TRUE(library.ok()) << library.status().ToString();
  EXPECT_TRUE(pack->verified);
  Result<TemplatePack> separate_pack = VerifiedPack();
  ASSERT_TRUE(separate_pack.ok());
  Result<TemplateLibrary> separate = OpenTemplateLibrary(*separate_pack);
  ASSERT_TRUE(separate.ok());
  // The pack is gone (as a sandboxed job may open no file): every template is already read.
  fs::remove_all(dir_ / "meshes");
  ASSERT_EQ(library->size(), 3u);
  for (size_t i = 0; i < library->size(); ++i) {
    EXPECT_EQ(library->record(i).id, separate->record(i).id);
    EXPECT_EQ(library->record(i).hashes.exact, separate->record(i).hashes.exact);
    ASSERT_TRUE(library->record(i).mirror_self_fit.has_value());
    Result<const DescribedBody*> body = library->Body(i);
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    EXPECT_EQ(ExactGeometryHash((*body)->mesh), library->record(i).hashes.exact);  // the mesh that was verified
  }
  EXPECT_EQ(separate->Body(0).status().code(), StatusCode::kNotFound);  // the separate steps read it on use
}

TEST_F(TemplatePackTest, OpeningVerifiedRefusesAChangedMeshAndNamesATemplateThatIsNotOneBody) {
  {
    std::fstream f(dir_ / "meshes/tube-2.stl", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x11');
  }
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  Result<TemplateLibrary> library = OpenVerifiedTemplateLibrary(*pack, {{public_key_}, false});
  EXPECT_EQ(library.status().code(), StatusCode::kVerificationFailed) << library.status().ToString();
  EXPECT_NE(library.status().message().find("meshes/tube-2.stl"), std::string::npos) << library.status().message();
  EXPECT_FALSE(pack->verified);
  // A template mesh holding two bodies (signed as such): refused, naming the template.
  TriangleMesh two = GenerateStandIn(2).mesh;
  const TriangleMesh moved = TransformMesh(GenerateStandIn(2).mesh, RandomRigidMotion(9, 500), 1.0, false);
  const uint32_t offset = static_cast<uint32_t>(two.vertices.size());
  two.vertices.insert(two.vertices.end(), moved.vertices.begin(), moved.vertices.end());
  for (auto t : moved.triangles) two.triangles.push_back({t[0] + offset, t[1] + offset, t[2] + offset});
  ASSERT_TRUE(WriteFileAtomic(dir_ / "meshes/tube-2.stl", ToBinaryStl(two)).ok());
  ASSERT_TRUE(SignTemplatePack(dir_, *key_).ok());
  pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  library = OpenVerifiedTemplateLibrary(*pack, {{public_key_}, false});
  EXPECT_EQ(library.status().code(), StatusCode::kInvalidArgument) << library.status().ToString();
  EXPECT_NE(library.status().message().find("template tube-2"), std::string::npos) << library.status().message();
  EXPECT_NE(library.status().message().find("2 bodies"), std::string::npos) << library.status().message();
}

TEST_F(TemplatePackTest, ValuesOfTheWrongTypeAreACorruptPackNotACrash) {
  const std::vector<std::function<void(nlohmann::json&)>> edits = {
      [](nlohmann::json& doc) { doc["templates"][0]["exact_hash"] = 5; },
      [](nlohmann::json& doc) { doc["templates"][1]["descriptor"] = "many"; },
      [](nlohmann::json& doc) { doc["templates"][2]["diagonal"] = nlohmann::json::array(); },
      [](nlohmann::json& doc) { doc = nlohmann::json::array({1, 2}); },
  };
  for (size_t e = 0; e < edits.size(); ++e) {
    SCOPED_TRACE(e);
    ASSERT_TRUE(BuildTemplateDescriptors(dir_).ok());
    EditDescriptorsAndResign(edits[e]);
    Result<TemplatePack> pack = LoadTemplatePack(dir_);
    ASSERT_TRUE(pack.ok());
    Result<TemplateLibrary> library = OpenVerifiedTemplateLibrary(*pack, {{public_key_}, false});
    EXPECT_EQ(library.status().code(), StatusCode::kCorrupt) << library.status().ToString();
    EXPECT_NE(library.status().message().find("descriptors.json"), std::string::npos) << library.status().message();
  }
  // The same for the manifest: a file entry that is not an object.
  Result<std::string> manifest = ReadFileToString(dir_ / kTemplatePackManifest, 1 << 20);
  ASSERT_TRUE(manifest.ok());
  nlohmann::json doc = nlohmann::json::parse(*manifest);
  doc["files"].push_back(7);
  ASSERT_TRUE(WriteFileAtomic(dir_ / kTemplatePackManifest, doc.dump(2)).ok());
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  EXPECT_EQ(pack.status().code(), StatusCode::kCorrupt) << pack.status().ToString();
  EXPECT_NE(pack.status().message().find("pack.json"), std::string::npos) << pack.status().message();
}

TEST_F(TemplatePackTest, UnverifiedPackCannotBeOpened) {
  Result<TemplatePack> pack = LoadTemplatePack(dir_);
  ASSERT_TRUE(pack.ok());
  EXPECT_EQ(OpenTemplateLibrary(*pack).status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace interdict::mesh
