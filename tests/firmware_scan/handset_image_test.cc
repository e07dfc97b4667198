// The synthetic handset image end to end: every layer the walker extracts gives the same hits as the
// `yara` CLI run on that layer's bytes with the same rule files and namespaces; the expected indicators
// are found at their location chains; the damaged zip is recorded and the walk goes on; two walks give
// the same bytes.
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/hash.h"
#include "fwscan_test_support.h"
#include "rule_pack.h"
#include "scan_session.h"

namespace fwtest {
namespace {

struct Hit {
  std::string rule;  // "ns:rule"
  std::map<std::string, std::vector<uint64_t>> offsets;  // identifier -> sorted offsets
  bool operator==(const Hit& o) const { return rule == o.rule && offsets == o.offsets; }
};

std::string YaraRuleArguments() {
  std::string args;
  for (const auto& name : BundledPacks()) {
    auto pack = LoadPack(SignaturesDir() / name);
    EXPECT_TRUE(pack.ok());
    for (const auto& f : pack->files) {
      args += " '" + name + "/" + std::filesystem::path(f.path).filename().string() + ":" +
              (SignaturesDir() / name / f.path).string() + "'";
    }
  }
  return args;
}

// Parses `yara -e -s` output: "ns:rule path" then "0xOFF:$id: data" lines.
std::vector<Hit> ParseYaraOutput(const std::string& text) {
  std::vector<Hit> hits;
  std::istringstream in(text);
  std::string line;
  std::regex string_line("^0x([0-9a-f]+):(\\$[A-Za-z0-9_]*):");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, string_line)) {
      if (!hits.empty()) hits.back().offsets[m[2]].push_back(std::stoull(m[1], nullptr, 16));
    } else if (!line.empty()) {
      hits.push_back({line.substr(0, line.find(' ')), {}});
    }
  }
  for (auto& h : hits) {
    for (auto& [id, offs] : h.offsets) std::sort(offs.begin(), offs.end());
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.rule < b.rule; });
  return hits;
}

std::vector<Hit> OurHits(const LayerScanResult& scan) {
  std::vector<Hit> hits;
  for (const RuleMatch& m : scan.matches) {
    Hit h{m.ns + ":" + m.rule, {}};
    for (const StringMatch& s : m.strings) h.offsets[s.identifier].push_back(s.offset);
    hits.push_back(std::move(h));
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.rule < b.rule; });
  return hits;
}

class HandsetImage : public testing::Test {
 protected:
  static SourcePtr Image() {
    auto source = OpenFileSource(FWSCAN_SAMPLE_IMAGE);
    EXPECT_TRUE(source.ok()) << "run the build first: " << FWSCAN_SAMPLE_IMAGE;
    return source.ok() ? *source : MakeMemorySource({});
  }
};

TEST_F(HandsetImage, EveryLayerHasTheSameHitsAsTheYaraCliOnThatLayer) {
  TempDir dir;
  auto rules = BundledRules();
  ASSERT_NE(rules, nullptr);
  struct Layer {
    std::string location;
    std::filesystem::path file;
    std::vector<Hit> ours;
    uint64_t strings_total = 0;
  };
  std::vector<Layer> layers;
  WalkOptions options;
  options.on_layer = [&](const LayerVisit& visit) -> Status {
    Layer layer{visit.chain.back().location, dir / ("layer-" + std::to_string(layers.size()) + ".bin"), OurHits(visit.scan)};
    auto bytes = ReadUpTo(visit.source, 0, visit.source.size());
    if (!bytes.ok()) return bytes.status();
    WriteFile(layer.file, *bytes);
    EXPECT_EQ(Sha256Hex(bytes->data(), bytes->size()), visit.chain.back().sha256) << layer.location;
    for (const auto& m : visit.scan.matches) {
      EXPECT_LE(m.strings_total, static_cast<uint64_t>(kMaxMatchesListedPerString)) << "listing cap hides hits in " << layer.location;
    }
    layers.push_back(std::move(layer));
    return Status::Ok();
  };
  WalkResult walk = Walk("handset.img", Image(), rules, options);
  ASSERT_GE(layers.size(), 30u);
  const std::string rule_args = YaraRuleArguments();
  size_t layers_with_hits = 0;
  for (const Layer& layer : layers) {
    auto [rc, out] = RunCommand("yara -w -e -s" + rule_args + " '" + layer.file.string() + "' 2>&1");
    ASSERT_EQ(rc, 0) << out;
    std::vector<Hit> theirs = ParseYaraOutput(out);
    EXPECT_EQ(layer.ours.size(), theirs.size()) << layer.location << "\n" << out;
    EXPECT_TRUE(layer.ours == theirs) << layer.location << "\n" << out;
    if (!theirs.empty()) ++layers_with_hits;
  }
  EXPECT_GE(layers_with_hits, 20u);
}

TEST_F(HandsetImage, IndicatorsAreFoundAtTheirLocationChains) {
  WalkResult r = Walk("handset.img", Image(), BundledRules());
  std::set<std::string> locations;
  for (const auto& m : r.OfKind("yara-match")) locations.insert(m["rule"].get<std::string>() + " @ " + m["location"].get<std::string>());
  auto expect = [&](const std::string& entry) { EXPECT_TRUE(locations.count(entry)) << entry; };
  expect("Example_Nightjar_Client_Config @ handset.img@0x200000[gpt:system] > ext4:/system/app/Nightjar/Nightjar.apk > zip:assets/config.json@0xa");
  expect("Crypto_AES_SBox @ handset.img@0x200000[gpt:system] > ext4:/system/app/Nightjar/Nightjar.apk > zip:classes.dex@0x2c4");
  expect("Example_Nightjar_Provisioning_Token @ handset.img@0xb00000[gpt:userdata] > ext4:/media/appdata.simg > sparse:expanded > ext4:/notes/token.txt@0x11");
  expect("Example_Kestrel_Hardened_Handset @ handset.img@0xa00000[gpt:vendor] > squashfs:/etc/kestrel/version.txt@0x0");
  expect("Android_Insecure_Build_Properties @ handset.img@0x100000[gpt:boot]@0x3000[bootimg:ramdisk] > cpio:default.prop@0x0");
  expect("Crypto_Blowfish_Tables @ handset.img@0x100000[gpt:boot]@0x800[bootimg:kernel]@0x1000[carve:gzip] > gzip:(decompressed)@0x1f");
  // A view chain gives the offset in the image itself.
  for (const auto& m : r.OfKind("yara-match")) {
    if (m["location"] == "handset.img@0x100000[gpt:boot]@0x5c") {
      EXPECT_EQ(m["strings"][0]["input_offset"], 0x10005c);
    }
  }
  // Every chain carries the SHA-256 of every layer; the first is the image's.
  auto image_sha = Sha256File(FWSCAN_SAMPLE_IMAGE);
  ASSERT_TRUE(image_sha.ok());
  for (const auto& m : r.OfKind("yara-match")) {
    ASSERT_GE(m["layers"].size(), 1u);
    EXPECT_EQ(m["layers"][0]["sha256"], *image_sha);
    for (const auto& l : m["layers"]) EXPECT_EQ(l["sha256"].get<std::string>().size(), 64u);
  }
  // The damaged zip is recorded and its intact member was still examined.
  auto corrupt = r.OfKind("corruption");
  ASSERT_EQ(corrupt.size(), 1u);
  EXPECT_EQ(corrupt[0]["location"], "handset.img@0xb00000[gpt:userdata] > ext4:/media/damaged.zip");
  EXPECT_EQ(r.summary.outcome, "matched");
  EXPECT_EQ(r.records.back()["kind"], "scan-summary");
  EXPECT_EQ(r.records.back()["outcome_counts"]["corrupt"], 1);
}

TEST_F(HandsetImage, ExtractedMeshesAreVisitedAsLayers) {
  std::vector<std::string> meshes;
  WalkOptions options;
  options.on_layer = [&](const LayerVisit& visit) {
    const std::string& name = visit.chain.back().name;
    if (name.size() > 4 && (name.ends_with(".stl") || name.ends_with(".obj"))) meshes.push_back(visit.chain.back().location);
    return Status::Ok();
  };
  Walk("handset.img", Image(), BundledRules(), options);
  // Each mesh sits once in the system partition and once in the userdata backup.
  ASSERT_GE(meshes.size(), 2u);
  EXPECT_EQ(meshes.size() % 2, 0u);
  EXPECT_NE(meshes.front().find("ext4:/system/media/models/"), std::string::npos);
  EXPECT_NE(meshes.back().find("> tar:backup/"), std::string::npos);
}

TEST_F(HandsetImage, TwoWalksGiveIdenticalRecords) {
  auto rules = BundledRules();
  WalkOptions options;
  options.report_layers = true;
  WalkResult a = Walk("handset.img", Image(), rules, options);
  WalkResult b = Walk("handset.img", Image(), rules, options);
  ASSERT_EQ(a.records.size(), b.records.size());
  std::string da, db;
  for (const auto& r : a.records) da += r.dump() + "\n";
  for (const auto& r : b.records) db += r.dump() + "\n";
  EXPECT_EQ(Sha256Hex(da), Sha256Hex(db));
  EXPECT_GT(a.OfKind("layer").size(), 30u);
}

}  // namespace
}  // namespace fwtest
