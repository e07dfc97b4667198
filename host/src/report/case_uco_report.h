// The CASE 1.4 / UCO 1.4 JSON-LD export (validated offline in tests with shacl-engine against the pinned
// ontology files, plus a check that every class and property used is declared there).
//
// Shape (one @graph):
//   uco-tool:Tool                      interdict itself (name, version)
//   uco-identity:Person                the examiner
//   uco-tool:ConfiguredTool            per plugin@version, with a uco-configuration:Configuration whose
//                                      ConfigurationEntry items hold the rule/template pack digests
//   uco-observable:File                per evidence item and per stored artifact: FileFacet (name, size),
//                                      ContentDataFacet (size, Hash MD5/SHA1/SHA256)
//   case-investigation:ProvenanceRecord  per evidence item (exhibitNumber = label, object = its File)
//   case-investigation:InvestigativeAction  per job: start/end time, actionStatus, performer (examiner),
//                                      instrument (ConfiguredTool), object (input File), result (findings)
//   uco-core:Assertion                 per finding (statement = kind, severity, location, summary)
//   case-investigation:InvestigativeAction  the report itself, instrument = interdict
// Identifiers are kb:<type>-<UUIDv5 of case UUID + object key>, so re-exporting a case gives the same IRIs.
#ifndef INTERDICT_REPORT_CASE_UCO_REPORT_H_
#define INTERDICT_REPORT_CASE_UCO_REPORT_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "report/report_model.h"

namespace interdict {

// The RFC 4122 name-based (version 5, SHA-1) UUID of `name` in the URL namespace.
std::string NameBasedUuid(std::string_view name);

nlohmann::json BuildCaseUcoDocument(const ReportModel& model);
std::string RenderCaseUco(const ReportModel& model);

}  // namespace interdict

#endif  // INTERDICT_REPORT_CASE_UCO_REPORT_H_
