// The report formats `interdict report --format` offers, and one entry point that renders any of them.
#ifndef INTERDICT_REPORT_REPORT_FORMAT_H_
#define INTERDICT_REPORT_REPORT_FORMAT_H_

#include <string>
#include <string_view>

#include "core/status.h"
#include "report/report_model.h"

namespace interdict {

enum class ReportFormat { kHtml, kJsonLines, kDfxml, kCaseUco };

// "html", "json" (JSON Lines; "jsonl" accepted), "dfxml", "case" (CASE/UCO JSON-LD; "case-uco" accepted).
Result<ReportFormat> ParseReportFormat(std::string_view name);
std::string_view ReportFormatName(ReportFormat format);
// The usual file name extension, without the dot: html, jsonl, dfxml.xml, jsonld.
std::string_view ReportFormatExtension(ReportFormat format);

std::string RenderReport(const ReportModel& model, ReportFormat format);

}  // namespace interdict

#endif  // INTERDICT_REPORT_REPORT_FORMAT_H_
