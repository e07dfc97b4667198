// Fuzz target for everything the report takes from a case: the input becomes evidence details and
// finding JSON (when it parses) and every free-text field (always); all four writers must render it,
// and the escapers must never let markup or invalid UTF-8 through.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "report/report_format.h"
#include "report/text_encoding.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace interdict;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json body = parsed.is_discarded() ? nlohmann::json::object() : parsed;

  const std::string clean = SanitizeUtf8(text);
  Check(SanitizeUtf8(clean) == clean);
  const std::string escaped = HtmlEscape(text);
  Check(escaped.find('<') == std::string::npos && escaped.find('>') == std::string::npos);
  Check(XmlEscape(text).find('<') == std::string::npos);

  ReportModel model;
  model.info.case_number = text;
  model.info.examiner = text;
  model.info.case_uuid = text;
  ReportEvidence evidence;
  evidence.record.id = 1;
  evidence.record.label = text;
  evidence.record.details = body;
  evidence.acquisition = ParseAcquisitionSummary(body);
  model.evidence.push_back(evidence);
  JobRecord job;
  job.id = 1;
  job.plugin_id = text;
  job.outcome = text;
  job.message = text;
  job.started_utc = text;
  job.pack_digests = body;
  model.jobs.push_back(job);
  model.plugin_runs = SummarisePluginRuns(model.jobs);
  FindingRecord finding;
  finding.id = 1;
  finding.job_id = 1;
  finding.evidence_id = 1;
  finding.location = text;
  finding.summary = text;
  finding.kind = text;
  finding.severity = text;
  finding.json = body;
  model.findings.push_back(InterpretFinding(finding));
  ReportFile file;
  file.artifact.sha256 = text;
  file.names.push_back({text, 1, "", text, text, "extracted", 1});
  model.files.push_back(file);

  for (ReportFormat format :
       {ReportFormat::kHtml, ReportFormat::kJsonLines, ReportFormat::kDfxml, ReportFormat::kCaseUco}) {
    const std::string out = RenderReport(model, format);
    Check(!out.empty());
    Check(SanitizeUtf8(out) == out);  // every output is valid UTF-8 without stray control characters
  }
  return 0;
}
