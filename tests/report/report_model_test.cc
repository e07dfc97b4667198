#include "report/report_model.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace interdict {
namespace {

using json = nlohmann::json;

TEST(ReportModel, AcquisitionSummaryReadsIdentityHashesVerificationAndBadRanges) {
  const json details = {{"device", {{"vendor", "Qualcomm"}, {"serial", "SER1"}}},
                        {"hashes", {{"sha256", "ab12"}}},
                        {"verification", {{"status", "verified"}, {"detail", "re-read matched"}}},
                        {"size_bytes", 4096},
                        {"bad_ranges", {{{"offset", 512}, {"length", 512}}, json::array({"0x1000", 1024})}}};
  const AcquisitionSummary s = ParseAcquisitionSummary(details);
  ASSERT_EQ(s.device.size(), 2u);
  EXPECT_EQ(s.device[1], (std::pair<std::string, std::string>{"vendor", "Qualcomm"}));
  EXPECT_EQ(s.hashes.at(0).second, "ab12");
  EXPECT_EQ(s.verification, "verified");
  EXPECT_EQ(s.verification_detail, "re-read matched");
  EXPECT_EQ(s.size_bytes, 4096u);
  ASSERT_EQ(s.bad_ranges.size(), 2u);
  EXPECT_EQ(s.bad_ranges[1].offset, 0x1000u);
  EXPECT_EQ(s.bad_ranges_total, 2u);
  EXPECT_EQ(s.bad_bytes_total, 1536u);
}

TEST(ReportModel, AcquisitionSummaryReadsTheUsbImagersAcquisitionLog) {
  const json details = {
      {"schema", "interdict.acquisition-log/1"},
      {"source", {{"uri", "usb:3412:cdab:SIM"}, {"kind", "usb-mass-storage"}, {"serial", "INTERDICT-SIM-0001"},
                  {"capacity_bytes", 67108864}, {"sector_size", 4096}, {"details", {{"vendor", "SimCorp"}, {"serial", "INTERDICT-SIM-0001"}}}}},
      {"digests", {{"md5", "aa"}, {"sha256", "bb"}}},
      {"bad_sectors", 4},
      {"bad_ranges", {{{"first_sector", 5}, {"sector_count", 3}, {"error", "medium error"}},
                      {{"first_sector", 1000}, {"sector_count", 1}, {"error", "medium error"}}}},
      {"verification", {{"source", {{"ran", true}, {"matches", true}}}, {"image", {{"ran", true}, {"matches", false}}}}}};
  const AcquisitionSummary s = ParseAcquisitionSummary(details);
  EXPECT_EQ(s.device.front(), (std::pair<std::string, std::string>{"uri", "usb:3412:cdab:SIM"}));
  EXPECT_EQ(s.device.back(), (std::pair<std::string, std::string>{"vendor", "SimCorp"}));
  EXPECT_EQ(std::count_if(s.device.begin(), s.device.end(), [](const auto& f) { return f.first == "serial"; }), 1);
  EXPECT_EQ(s.size_bytes, 67108864u);
  ASSERT_EQ(s.hashes.size(), 2u);
  EXPECT_EQ(s.hashes[1], (std::pair<std::string, std::string>{"sha256", "bb"}));
  ASSERT_EQ(s.bad_ranges.size(), 2u);
  EXPECT_EQ(s.bad_ranges[0].offset, 5u * 4096);
  EXPECT_EQ(s.bad_ranges[0].length, 3u * 4096);
  EXPECT_EQ(s.bad_bytes_total, 4u * 4096);
  EXPECT_EQ(s.verification, "mismatch");
  EXPECT_EQ(s.verification_detail, "source re-read: matches; image re-read: DOES NOT MATCH");
}

TEST(ReportModel, AcquisitionSummaryToleratesMalformedDetails) {
  for (const json& details : {json(nullptr), json("text"), json::array({1, 2}),
                              json{{"device", "not an object"}, {"bad_ranges", {{{"offset", -1}, {"length", 5}}}},
                                   {"size_bytes", "many"}, {"verification", 7}}}) {
    const AcquisitionSummary s = ParseAcquisitionSummary(details);
    EXPECT_TRUE(s.device.empty());
    EXPECT_TRUE(s.bad_ranges.empty());
    EXPECT_EQ(s.bad_ranges_total, 0u);
    EXPECT_FALSE(s.size_bytes.has_value());
    EXPECT_EQ(s.verification, "not recorded");
  }
}

TEST(ReportModel, BadRangesAreCappedButCounted) {
  json ranges = json::array();
  for (size_t i = 0; i < kMaxBadRangesListed + 5; ++i) ranges.push_back({{"offset", i * 512}, {"length", 512}});
  const AcquisitionSummary s = ParseAcquisitionSummary({{"bad_ranges", ranges}, {"bad_ranges_total", 99999}});
  EXPECT_EQ(s.bad_ranges.size(), kMaxBadRangesListed);
  EXPECT_EQ(s.bad_ranges_total, 99999u);
  EXPECT_EQ(s.bad_bytes_total, (kMaxBadRangesListed + 5) * 512);
}

TEST(ReportModel, InterpretFindingReadsYaraExcerptsAndMeshDistances) {
  FindingRecord record;
  record.json = {{"rule", "Dropper"},
                 {"namespace", "pack"},
                 {"strings", {{{"identifier", "$a"}, {"offset", 16}, {"data_hex", "4d 5a"}},
                              {{"identifier", "$bad"}, {"offset", 1}, {"data_hex", "zz"}},
                              {{"identifier", "$fw"}, {"offset", 32}, {"hex", "41"}, {"ascii", "A"}}}},
                 {"rms_mm", 0.25},
                 {"note_mm", "not a number"},
                 {"overlay_sha256", std::string(64, 'a')},
                 {"thumbnail_sha256", "../../etc/passwd"}};
  const ReportFinding f = InterpretFinding(record);
  EXPECT_EQ(f.rule, "pack:Dropper");
  ASSERT_EQ(f.excerpts.size(), 2u);
  EXPECT_EQ(f.excerpts[0].label, "$a");
  EXPECT_EQ(f.excerpts[0].offset, 16u);
  EXPECT_EQ(f.excerpts[0].bytes, "MZ");
  EXPECT_EQ(f.excerpts[1].label, "$fw");
  EXPECT_EQ(f.excerpts[1].bytes, "A");
  ASSERT_EQ(f.distances_mm.size(), 1u);
  EXPECT_EQ(f.distances_mm[0].name, "rms_mm");
  EXPECT_DOUBLE_EQ(f.distances_mm[0].value, 0.25);
  ASSERT_EQ(f.picture_sha256.size(), 1u);  // the path traversal attempt is not a SHA-256
  EXPECT_EQ(f.picture_sha256[0], std::string(64, 'a'));
}

TEST(ReportModel, LongExcerptsAreShortenedToTheCap) {
  FindingRecord record;
  record.json = {{"excerpt_hex", std::string(2 * (kMaxExcerptBytes + 10), 'f')}, {"excerpt_offset", "0x20"}};
  const ReportFinding f = InterpretFinding(record);
  ASSERT_EQ(f.excerpts.size(), 1u);
  EXPECT_EQ(f.excerpts[0].bytes.size(), kMaxExcerptBytes);
  EXPECT_TRUE(f.excerpts[0].truncated);
  EXPECT_EQ(f.excerpts[0].offset, 0x20u);
}

TEST(ReportModel, PluginRunsGroupJobsWithPackDigestsAndProblems) {
  std::vector<JobRecord> jobs(3);
  jobs[0].plugin_id = jobs[1].plugin_id = "scan";
  jobs[0].plugin_version = jobs[1].plugin_version = "1.0.0";
  jobs[0].outcome = "completed";
  jobs[0].findings_count = 4;
  jobs[0].pack_digests = {{"p", "d1"}};
  jobs[1].outcome = "timeout";
  jobs[2].plugin_id = "scan";
  jobs[2].plugin_version = "2.0.0";
  jobs[2].outcome = "quarantined";
  const std::vector<PluginRun> runs = SummarisePluginRuns(jobs);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].jobs, 2);
  EXPECT_EQ(runs[0].completed, 1);
  EXPECT_EQ(runs[0].problems, 1);
  EXPECT_EQ(runs[0].findings, 4);
  EXPECT_EQ(runs[0].pack_digests, (json{{"p", "d1"}}));
  EXPECT_EQ(runs[1].plugin_version, "2.0.0");
  EXPECT_EQ(runs[1].problems, 1);
  EXPECT_TRUE(IsTimeoutOutcome("timeout"));
  EXPECT_TRUE(IsQuarantineOutcome("quarantined"));
  EXPECT_FALSE(IsProblemOutcome("completed"));
}

}  // namespace
}  // namespace interdict
