#include "report/html_report.h"

#include <gtest/gtest.h>

#include "report/jsonl_report.h"
#include "report_fixture.h"

namespace interdict {
namespace {

using testing::CountOf;
using testing::HostileSampleModel;

TEST(HtmlReport, EscapesEveryStringFromTheCase) {
  const std::string html = RenderHtmlReport(HostileSampleModel());
  EXPECT_EQ(CountOf(html, "<script"), 0u);
  EXPECT_EQ(CountOf(html, "<img src=x"), 0u);
  EXPECT_EQ(CountOf(html, "<b>"), 0u);
  EXPECT_NE(html.find("CASE-&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("EXH-1 &lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(html.find("Dr. O&#39;Brien &amp; &quot;Co&quot;"), std::string::npos);
  // Invalid UTF-8 in a file name becomes U+FFFD, never raw bytes.
  EXPECT_EQ(html.find('\xff'), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;\xef\xbf\xbd\xef\xbf\xbd.apk"), std::string::npos);
}

TEST(HtmlReport, IsSelfContainedAndForbidsScriptsAndFetches) {
  const std::string html = RenderHtmlReport(HostileSampleModel());
  EXPECT_NE(html.find("content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\""), std::string::npos);
  EXPECT_EQ(CountOf(html, "http://"), 0u);
  EXPECT_EQ(CountOf(html, "https://"), 0u);
  EXPECT_NE(html.find("@media print"), std::string::npos);
}

TEST(HtmlReport, HasEverySectionWithItsCount) {
  const std::string html = RenderHtmlReport(HostileSampleModel());
  EXPECT_NE(html.find("<header id=\"case-header\">"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"evidence\" data-count=\"2\">"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"plugins\" data-count=\"2\">"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"findings\" data-count=\"3\">"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"problems\" data-count=\"3\">"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"audit\" data-count=\"12\">"), std::string::npos);
  EXPECT_EQ(CountOf(html, "<article class=\"evidence\""), 2u);
  EXPECT_EQ(CountOf(html, "<tr class=\"plugin-run\">"), 2u);
}

TEST(HtmlReport, ListsTimedOutQuarantinedAndCrashedJobs) {
  const std::string html = RenderHtmlReport(HostileSampleModel());
  EXPECT_EQ(CountOf(html, "<tr class=\"problem-job\""), 3u);
  EXPECT_EQ(CountOf(html, "data-outcome=\"timeout\""), 1u);
  EXPECT_EQ(CountOf(html, "data-outcome=\"quarantined\""), 1u);
  EXPECT_EQ(CountOf(html, "data-outcome=\"crashed\""), 1u);
  EXPECT_NE(html.find("crashed 3 times on &lt;this&gt; input"), std::string::npos);
  EXPECT_NE(html.find("3 job(s) did not complete"), std::string::npos);
  EXPECT_NE(html.find("(1 timed out, 1 quarantined)"), std::string::npos);
}

TEST(HtmlReport, GroupsFindingsByEvidence) {
  const std::string html = RenderHtmlReport(HostileSampleModel());
  EXPECT_NE(html.find("<div class=\"finding-group\" data-evidence-id=\"1\" data-count=\"2\">"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"finding-group\" data-evidence-id=\"2\" data-count=\"1\">"), std::string::npos);
  EXPECT_LT(html.find("data-finding-id=\"10\""), html.find("data-finding-id=\"12\""));
}

TEST(HtmlReport, ShowsExcerptsDistancesPicturesAndPackDigests) {
  const std::string html = RenderHtmlReport(HostileSampleModel());
  EXPECT_NE(html.find("00001000  4d 5a 90 00 3c 73 63 72  69 70 74 3e"), std::string::npos);
  EXPECT_NE(html.find("|MZ..&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<dt>rms_mm</dt><dd>0.042 mm</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>hausdorff_mm</dt><dd>0.310 mm</dd>"), std::string::npos);
  EXPECT_NE(html.find("<img src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  EXPECT_NE(html.find("android-malware: " + std::string(64, 'c')), std::string::npos);
  EXPECT_NE(html.find("Rule</dt><dd class=\"mono\">android-malware:Dropper</dd>"), std::string::npos);
}

TEST(HtmlReport, ShowsAcquisitionSummaryAndAuditSeal) {
  const ReportModel model = HostileSampleModel();
  const std::string html = RenderHtmlReport(model);
  EXPECT_NE(html.find("<dt>Device model</dt><dd>&lt;b&gt;HS-9&lt;/b&gt;</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>Verification</dt><dd>verified: re-read matched</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>Unreadable ranges</dt><dd>2 (1.5 KiB (1536 bytes) zero-filled)</dd>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"mono\">0x10000</td><td>1024</td>"), std::string::npos);
  EXPECT_NE(html.find("id=\"audit-head\">" + model.audit.head.entry_hash + "<"), std::string::npos);
  EXPECT_NE(html.find(std::string(128, '8')), std::string::npos);
}

TEST(HtmlReport, ReportsAFailedAuditVerificationProminently) {
  ReportModel model = HostileSampleModel();
  model.audit.problems.push_back({"audit seq 3", "entry hash does not match its contents"});
  const std::string html = RenderHtmlReport(model);
  EXPECT_NE(html.find("VERIFICATION FAILED"), std::string::npos);
  EXPECT_NE(html.find("audit seq 3: entry hash does not match its contents"), std::string::npos);
}

TEST(JsonLinesReport, EveryLineIsJsonInRecordOrder) {
  const std::string text = RenderJsonLines(HostileSampleModel());
  std::vector<std::string> records;
  size_t findings = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    const nlohmann::json line = nlohmann::json::parse(text.substr(start, end - start));
    records.push_back(line.at("record"));
    if (records.back() == "finding") {
      ++findings;
      if (line.at("id") == 10) {
        EXPECT_EQ(line.at("location").get<std::string>().find('\xff'), std::string::npos);
        EXPECT_EQ(line.at("finding").at("rule"), "Dropper");
      }
    }
    start = end + 1;
  }
  ASSERT_EQ(records.size(), 1 + 1 + 2 + 5 + 3 + 1u);
  EXPECT_EQ(records.front(), "case");
  EXPECT_EQ(records[1], "tool");
  EXPECT_EQ(records[2], "evidence");
  EXPECT_EQ(records[4], "job");
  EXPECT_EQ(records.back(), "audit");
  EXPECT_EQ(findings, 3u);
}

}  // namespace
}  // namespace interdict
