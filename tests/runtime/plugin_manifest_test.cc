#include "plugins/plugin_manifest.h"

#include <gtest/gtest.h>

#include <string>

#include "plugins/media_type.h"

namespace interdict {
namespace {

nlohmann::json ValidManifest() {
  return nlohmann::json::parse(R"({
    "id": "org.interdict.example", "version": "1.2.3", "abi": "1.0", "library": "plugin_example.so",
    "sha256": "bd7dfa38911567772bbe9e45a8adabcc82d316d57596a89bf598bc339f2b22a7",
    "description": "example", "kinds": ["scan"], "accepted_inputs": ["model/*", "application/zip"],
    "needs": [], "limits": {"timeout_s": 60, "address_space_mb": 512, "cpu_s": 30, "open_files": 16}})");
}

// Parses the valid manifest with one field replaced (or removed when `value` is null).
Result<PluginManifest> ParseWith(const std::string& key, const nlohmann::json& value) {
  nlohmann::json doc = ValidManifest();
  if (value.is_null()) {
    doc.erase(key);
  } else {
    doc[key] = value;
  }
  return ParsePluginManifest(doc.dump());
}

TEST(PluginManifest, ParsesEveryField) {
  Result<PluginManifest> manifest = ParsePluginManifest(ValidManifest().dump());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->id, "org.interdict.example");
  EXPECT_EQ(manifest->version, "1.2.3");
  EXPECT_EQ(manifest->abi.major, 1u);
  EXPECT_EQ(manifest->abi.minor, 0u);
  EXPECT_EQ(manifest->library, "plugin_example.so");
  EXPECT_EQ(manifest->kinds, std::vector<std::string>{"scan"});
  EXPECT_EQ(manifest->accepted_inputs, (std::vector<std::string>{"model/*", "application/zip"}));
  EXPECT_TRUE(manifest->needs.empty());
  EXPECT_EQ(manifest->limits.timeout_s, 60u);
  EXPECT_EQ(manifest->limits.address_space_mb, 512u);
  EXPECT_EQ(manifest->limits.cpu_s, 30u);
  EXPECT_EQ(manifest->limits.open_files, 16u);
  // ToJson round-trips.
  Result<PluginManifest> again = ParsePluginManifest(manifest->ToJson().dump());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), manifest->ToJson());
}

TEST(PluginManifest, RefusesEachInvalidFieldNamingIt) {
  struct Case {
    std::string key;
    nlohmann::json value;
  };
  const Case cases[] = {
      {"id", "Example"},                                // not reverse-DNS
      {"id", "org..example"},                           // empty label
      {"id", 42},                                       // not a string
      {"id", nullptr},                                  // missing
      {"version", "1.0"},                               // not semver
      {"version", "01.0.0"},                            // leading zero
      {"abi", "1"},                                     // no minor
      {"abi", "one.zero"},                              // not numbers
      {"library", "../evil.so"},                        // path traversal
      {"library", "/usr/lib/x.so"},                     // absolute
      {"library", "plugin.dll"},                        // not .so
      {"sha256", "ABCDEF"},                             // wrong length
      {"sha256", std::string(64, 'G')},                 // not hex
      {"kinds", nlohmann::json::array()},               // empty
      {"kinds", {"Scan"}},                              // uppercase
      {"accepted_inputs", {"model"}},                   // no subtype
      {"accepted_inputs", {"model/stl", "model/stl"}},  // duplicate
      {"needs", {"network"}},                           // unknown capability
      {"needs", "usb"},                                 // not a list
      {"limits", {{"timeout_s", 0}}},                   // zero
      {"limits", {{"timeout_s", -5}}},                  // negative
      {"limits", {{"address_space_mb", 1u << 30}}},     // above the cap
      {"limits", {{"rss_mb", 5}}},                      // unknown limit
  };
  for (const Case& c : cases) {
    Result<PluginManifest> manifest = ParseWith(c.key, c.value);
    ASSERT_FALSE(manifest.ok()) << c.key << " = " << c.value.dump();
    EXPECT_EQ(manifest.status().code(), StatusCode::kCorrupt) << c.key;
    EXPECT_NE(manifest.status().message().find(c.key), std::string::npos) << manifest.status().message();
  }
}

TEST(PluginManifest, RefusesUnknownFieldsGarbageAndOversizedText) {
  Result<PluginManifest> unknown = ParseWith("sandbox", "off");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("sandbox"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("unknown field"), std::string::npos);

  EXPECT_EQ(ParsePluginManifest("{\"id\": ").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParsePluginManifest("[1,2,3]").status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParsePluginManifest("").status().code(), StatusCode::kCorrupt);
  std::string huge(kMaxPluginManifestBytes + 1, ' ');
  EXPECT_EQ(ParsePluginManifest(huge).status().code(), StatusCode::kLimitExceeded);
}

TEST(PluginManifest, AcceptsUsbNeedAndPrereleaseVersion) {
  nlohmann::json doc = ValidManifest();
  doc["needs"] = {"usb"};
  doc["version"] = "2.0.0-rc.1";
  Result<PluginManifest> manifest = ParsePluginManifest(doc.dump());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_TRUE(manifest->Needs(kNeedUsb));
  EXPECT_EQ(manifest->version, "2.0.0-rc.1");
}

TEST(AbiVersionRule, MajorEqualAndPluginMinorAtMostHostMinor) {
  EXPECT_TRUE(CheckAbiCompatible("p", {1, 0}, {1, 0}).ok());
  EXPECT_TRUE(CheckAbiCompatible("p", {1, 2}, {1, 3}).ok());
  Status newer_minor = CheckAbiCompatible("org.x.p", {1, 4}, {1, 3});
  EXPECT_EQ(newer_minor.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(newer_minor.message().find("1.4"), std::string::npos);
  EXPECT_NE(newer_minor.message().find("1.3"), std::string::npos);
  Status other_major = CheckAbiCompatible("org.x.p", {2, 0}, {1, 0});
  EXPECT_FALSE(other_major.ok());
  EXPECT_NE(other_major.message().find("2.0"), std::string::npos);
  EXPECT_NE(other_major.message().find("1.0"), std::string::npos);
  EXPECT_NE(other_major.message().find("org.x.p"), std::string::npos);
  EXPECT_FALSE(CheckAbiCompatible("p", {0, 9}, {1, 0}).ok());
}

TEST(PluginAccepts, MatchesWildcardsExactTypesAndIgnoresCaseAndParameters) {
  Result<PluginManifest> manifest = ParsePluginManifest(ValidManifest().dump());
  ASSERT_TRUE(manifest.ok());
  EXPECT_TRUE(PluginAccepts(*manifest, "model/stl"));
  EXPECT_TRUE(PluginAccepts(*manifest, "Model/3MF"));
  EXPECT_TRUE(PluginAccepts(*manifest, "application/zip; charset=binary"));
  EXPECT_FALSE(PluginAccepts(*manifest, "application/gzip"));
  EXPECT_FALSE(PluginAccepts(*manifest, "modelx/stl"));
  EXPECT_FALSE(PluginAccepts(*manifest, "model"));
  EXPECT_FALSE(PluginAccepts(*manifest, ""));
  manifest->accepted_inputs = {"*"};
  EXPECT_TRUE(PluginAccepts(*manifest, "application/octet-stream"));
  manifest->accepted_inputs = {"*/*"};
  EXPECT_TRUE(PluginAccepts(*manifest, "model/obj"));
}

}  // namespace
}  // namespace interdict
