// The HTML report rendered by a real browser (Debian's headless Chromium): the DOM it builds holds the
// expected sections and counts, no script element exists although evidence strings contain <script>, and
// a screenshot and a PDF are produced.
#include <gtest/gtest.h>

#include "core/files.h"
#include "report/html_report.h"
#include "report/pdf_printer.h"
#include "report_fixture.h"

namespace interdict {
namespace {

using testing::CountOf;
using testing::FreshDir;

class BrowserTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(FreshDir("browser"));
    html_ = new std::filesystem::path(*dir_ / "report.html");
    ASSERT_TRUE(WriteFileAtomic(*html_, RenderHtmlReport(testing::HostileSampleModel())).ok());
    dom_ = new std::string;
    dom_status_ = new Status(RunHeadlessChromium(*html_, {"--dump-dom"}, dom_));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete html_;
    delete dom_;
    delete dom_status_;
  }
  static std::filesystem::path* dir_;
  static std::filesystem::path* html_;
  static std::string* dom_;
  static Status* dom_status_;
};
std::filesystem::path* BrowserTest::dir_ = nullptr;
std::filesystem::path* BrowserTest::html_ = nullptr;
std::string* BrowserTest::dom_ = nullptr;
Status* BrowserTest::dom_status_ = nullptr;

TEST_F(BrowserTest, RenderedDomHoldsTheSectionsAndCounts) {
  ASSERT_TRUE(dom_status_->ok()) << dom_status_->ToString();
  const std::string& dom = *dom_;
  for (const char* section : {"<section id=\"summary\"", "<section id=\"evidence\" data-count=\"2\"",
                              "<section id=\"plugins\" data-count=\"2\"", "<section id=\"findings\" data-count=\"3\"",
                              "<section id=\"problems\" data-count=\"3\"", "<section id=\"audit\" data-count=\"12\"",
                              "<section id=\"tool\""}) {
    EXPECT_NE(dom.find(section), std::string::npos) << section;
  }
  EXPECT_EQ(CountOf(dom, "<article class=\"finding "), 3u);
  EXPECT_EQ(CountOf(dom, "<tr class=\"problem-job\""), 3u);
  EXPECT_EQ(CountOf(dom, "data-outcome=\"timeout\""), 1u);
  EXPECT_EQ(CountOf(dom, "data-outcome=\"quarantined\""), 1u);
  EXPECT_EQ(CountOf(dom, "<img "), 1u);  // the overlay picture and nothing smuggled in from evidence
}

TEST_F(BrowserTest, HostileStringsStayTextInTheBrowser) {
  ASSERT_TRUE(dom_status_->ok()) << dom_status_->ToString();
  EXPECT_EQ(CountOf(*dom_, "<script"), 0u);
  EXPECT_EQ(CountOf(*dom_, "<b>"), 0u);
  EXPECT_NE(dom_->find("CASE-&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST_F(BrowserTest, ScreenshotIsAPng) {
  const std::filesystem::path png = *dir_ / "report.png";
  Status s = RunHeadlessChromium(*html_, {"--screenshot=" + png.string(), "--window-size=1280,2000"}, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Result<std::string> bytes = ReadFileToString(png, 64u << 20);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(bytes->size(), 10000u);  // a rendered page, not an empty canvas
}

TEST_F(BrowserTest, PrintsToPdf) {
  const std::filesystem::path pdf = *dir_ / "report.pdf";
  Status s = PrintHtmlToPdf(*html_, pdf);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Result<std::string> bytes = ReadFileToString(pdf, 64u << 20);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->substr(0, 5), "%PDF-");
}

TEST(PdfPrinter, MissingChromiumIsReportedNotCrashed) {
  setenv("INTERDICT_CHROMIUM", "/nonexistent/chromium", 1);
  const std::filesystem::path html = FreshDir("no-chromium") / "r.html";
  ASSERT_TRUE(WriteFileAtomic(html, "<p>x</p>").ok());
  Status s = PrintHtmlToPdf(html, html.parent_path() / "r.pdf");
  unsetenv("INTERDICT_CHROMIUM");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("/nonexistent/chromium"), std::string::npos);
}

}  // namespace
}  // namespace interdict
