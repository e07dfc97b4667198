// The synthetic handset image acquired into E01 with ewfacquire: every layer below the decoded media is
// the same layer (same SHA-256, same location below the media) as when the raw image is scanned, and the
// same hits are reported, with the bundled packs through ScanFiles (the library path a file input takes).
#include <map>

#include "ewf_test_support.h"
#include "fwscan_test_support.h"

namespace fwtest {
namespace {

struct Scanned {
  std::map<std::string, std::string> layers;  // location below the prefix -> SHA-256
  std::multiset<std::string> hits;            // "ns:rule location strings"
  std::vector<nlohmann::json> integrity;
};

Scanned ScanWithLayers(const std::filesystem::path& input, const std::string& prefix) {
  ScanConfig config;
  config.report_layers = true;
  std::vector<InputResult> results = ScanFiles({input}, BundledRules(), config, 1);
  Scanned out;
  EXPECT_EQ(results.size(), 1u);
  if (results.empty()) return out;
  EXPECT_TRUE(results[0].status.ok()) << results[0].status.ToString();
  for (const std::string& line : results[0].lines) {
    nlohmann::json r = nlohmann::json::parse(line);
    std::string location = r.value("location", "");
    if (r["kind"] == "integrity") out.integrity.push_back(r);
    if (location.rfind(prefix, 0) != 0) continue;  // the E01 container itself
    std::string below = location.substr(prefix.size());
    if (r["kind"] == "layer") out.layers[below] = r["layers"].back()["sha256"];
    if (r["kind"] == "yara-match") {
      // input_offset (where to seek in the image file) exists only for the raw image: in an E01 the bytes
      // of the media are not at a file offset.
      nlohmann::json strings = r["strings"];
      for (auto& string : strings) string.erase("input_offset");
      out.hits.insert(r["namespace"].get<std::string>() + ":" + r["rule"].get<std::string>() + " " + below + " " +
                      strings.dump());
    }
  }
  return out;
}

TEST(HandsetE01, EveryLayerAndHitBelowTheMediaEqualsTheRawImage) {
  TempDir dir;
  AcquireE01(FWSCAN_SAMPLE_IMAGE, dir / "handset");
  Scanned raw = ScanWithLayers(FWSCAN_SAMPLE_IMAGE, "handset.img");
  Scanned e01 = ScanWithLayers(dir / "handset.E01", "handset.E01 > ewf:media");
  EXPECT_GE(raw.layers.size(), 20u);
  EXPECT_GE(raw.hits.size(), 20u);
  EXPECT_EQ(e01.layers, raw.layers);
  EXPECT_EQ(e01.hits, raw.hits);
  ASSERT_EQ(e01.integrity.size(), 1u);
  EXPECT_EQ(e01.integrity[0]["outcome"], "verified");
  EXPECT_TRUE(raw.integrity.empty());
}

}  // namespace
}  // namespace fwtest
