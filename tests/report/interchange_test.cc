// DFXML validated with xmllint against the pinned DFXML schema, CASE/UCO validated with SHACL (shacl-engine
// + SPARQL, node) against the pinned CASE/UCO 1.4 ontology files, both from ../shared/data. Each validator
// is also shown to reject a deliberately broken document, so a pass means something.
#include <gtest/gtest.h>

#include <fstream>

#include "core/files.h"
#include "report/case_uco_report.h"
#include "report/dfxml_report.h"
#include "report_fixture.h"

namespace interdict {
namespace {

using testing::FreshDir;
using testing::HostileSampleModel;
using testing::RunCommand;

const std::filesystem::path kSharedData = std::filesystem::path(INTERDICT_SHARED_DIR) / "data";
const std::filesystem::path kShaclProject = std::filesystem::path(INTERDICT_SOURCE_DIR) / "tests/report/shacl";

std::filesystem::path WriteText(const std::filesystem::path& path, const std::string& text) {
  EXPECT_TRUE(WriteFileAtomic(path, text).ok());
  return path;
}

int Xmllint(const std::filesystem::path& file, std::string* output) {
  return RunCommand("xmllint --noout --schema '" + (kSharedData / "dfxml-schema/dfxml.xsd").string() + "' '" +
                        file.string() + "'",
                    output);
}

// Runs the SHACL + vocabulary validator; returns its exit code (0 conforms, 1 not, 2 could not run).
int ValidateCase(const std::filesystem::path& file, nlohmann::json* result) {
  std::string output;
  const int rc = RunCommand("node '" + (kShaclProject / "validate-case.mjs").string() + "' '" +
                                (kSharedData / "case-uco-1.4").string() + "' '" + file.string() + "' 2>/dev/null",
                            &output);
  *result = nlohmann::json::parse(output, nullptr, false);
  return rc;
}

bool HasResult(const nlohmann::json& result, const std::string& message_part) {
  for (const auto& r : result.value("shacl_results", nlohmann::json::array())) {
    if (r.value("message", "").find(message_part) != std::string::npos) return true;
  }
  return false;
}

TEST(Dfxml, ExportValidatesAgainstTheDfxmlSchema) {
  ASSERT_TRUE(std::filesystem::exists(kSharedData / "dfxml-schema/dfxml.xsd")) << kSharedData;
  const std::filesystem::path file = WriteText(FreshDir("dfxml") / "report.xml", RenderDfxml(HostileSampleModel()));
  std::string output;
  EXPECT_EQ(Xmllint(file, &output), 0) << output;
  EXPECT_NE(output.find("validates"), std::string::npos) << output;
}

TEST(Dfxml, ExportHoldsProvenanceFileObjectsHashesAndByteRuns) {
  const std::string xml = RenderDfxml(HostileSampleModel());
  EXPECT_NE(xml.find("<program>interdict</program>"), std::string::npos);
  EXPECT_NE(xml.find("<execution_environment>"), std::string::npos);
  EXPECT_NE(xml.find("<command_line>interdict report case --format html</command_line>"), std::string::npos);
  EXPECT_EQ(testing::CountOf(xml, "<fileobject>"), 3u);
  EXPECT_NE(xml.find("<hashdigest type=\"sha256\">" + std::string(64, 'e') + "</hashdigest>"), std::string::npos);
  // userdata sits at image offset 0x8000000 = 134217728; deeper chains get no byte run.
  EXPECT_NE(xml.find("<byte_run file_offset=\"0\" img_offset=\"134217728\" len=\"65536\"/>"), std::string::npos);
  EXPECT_EQ(testing::CountOf(xml, "<byte_run "), 1u);
  EXPECT_EQ(testing::CountOf(xml, "<interdict:job "), 5u);
  EXPECT_NE(xml.find("outcome=\"quarantined\""), std::string::npos);
  EXPECT_EQ(xml.find("<script"), std::string::npos);
  EXPECT_EQ(ImageOffsetFromLocation("a.img@0x10[gpt:x]"), 16u);
  EXPECT_FALSE(ImageOffsetFromLocation("a.img@0x10 > ext4:/x").has_value());
  EXPECT_FALSE(ImageOffsetFromLocation("a.img").has_value());
}

TEST(Dfxml, SchemaRejectsABrokenDocument) {
  std::string xml = RenderDfxml(HostileSampleModel());
  // filesize before filename breaks the fileobject sequence the schema prescribes.
  const size_t pos = xml.find("<filename>");
  xml.insert(pos, "<filesize>1</filesize>");
  const std::filesystem::path file = WriteText(FreshDir("dfxml-broken") / "broken.xml", xml);
  std::string output;
  EXPECT_NE(Xmllint(file, &output), 0);
  EXPECT_NE(output.find("fails to validate"), std::string::npos) << output;
}

TEST(CaseUco, ExportConformsToCaseUco14ShapesAndVocabulary) {
  ASSERT_TRUE(std::filesystem::exists(kShaclProject / "node_modules/shacl-engine"))
      << "run scripts/install-deps (npm ci in tests/report/shacl)";
  const std::filesystem::path file =
      WriteText(FreshDir("case") / "report.jsonld", RenderCaseUco(HostileSampleModel()));
  nlohmann::json result;
  EXPECT_EQ(ValidateCase(file, &result), 0) << result.dump(2);
  ASSERT_TRUE(result.is_object());
  EXPECT_TRUE(result["conforms"].get<bool>());
  EXPECT_TRUE(result["undeclared"].empty()) << result["undeclared"].dump();
  EXPECT_GT(result["triples"].get<int>(), 100);
}

TEST(CaseUco, ExportHasAnInvestigativeActionPerJobAndProvenancePerEvidence) {
  const nlohmann::json doc = BuildCaseUcoDocument(HostileSampleModel());
  std::map<std::string, int> types;
  for (const auto& node : doc["@graph"]) types[node["@type"].get<std::string>()]++;
  EXPECT_EQ(types["case-investigation:InvestigativeAction"], 5 + 1);  // five jobs and the report
  EXPECT_EQ(types["case-investigation:ProvenanceRecord"], 2);
  EXPECT_EQ(types["uco-tool:ConfiguredTool"], 2);
  EXPECT_EQ(types["uco-tool:Tool"], 1);
  EXPECT_EQ(types["uco-core:Assertion"], 3);
  EXPECT_EQ(NameBasedUuid("interdict/test"), "cac4e0aa-f5b8-5113-9c9d-852e79146db7");  // Python uuid.uuid5
}

TEST(CaseUco, ValidatorRejectsBrokenDocuments) {
  nlohmann::json doc = BuildCaseUcoDocument(HostileSampleModel());
  for (auto& node : doc["@graph"]) {
    if (node["@type"] == "case-investigation:ProvenanceRecord") {
      node["case-investigation:exhibitNumber"] = nlohmann::json::array({"E1", "E2"});  // at most one
    }
    if (node["@type"] == "uco-tool:Tool") node["uco-tool:versionNumber"] = "1";  // not in the ontology
    if (node["@type"] == "uco-observable:File") {
      node["uco-core:hasFacet"][0]["uco-observable:sizeInBytes"] = "many";  // must be xsd:integer
    }
  }
  const std::filesystem::path file = WriteText(FreshDir("case-broken") / "broken.jsonld",
                                                  doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  nlohmann::json result;
  EXPECT_EQ(ValidateCase(file, &result), 1) << result.dump(2);
  ASSERT_TRUE(result.is_object());
  EXPECT_FALSE(result["conforms"].get<bool>());
  EXPECT_TRUE(HasResult(result, "More than 1 values")) << result.dump(2);
  EXPECT_TRUE(HasResult(result, "does not have datatype")) << result.dump(2);
  EXPECT_EQ(result["undeclared"], nlohmann::json::array({"property https://ontology.unifiedcyberontology.org/uco/tool/versionNumber"}));
}

}  // namespace
}  // namespace interdict
