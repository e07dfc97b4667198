#include "report/report_format.h"

#include "report/case_uco_report.h"
#include "report/dfxml_report.h"
#include "report/html_report.h"
#include "report/jsonl_report.h"

namespace interdict {

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "html") return ReportFormat::kHtml;
  if (name == "json" || name == "jsonl") return ReportFormat::kJsonLines;
  if (name == "dfxml") return ReportFormat::kDfxml;
  if (name == "case" || name == "case-uco") return ReportFormat::kCaseUco;
  return Status::InvalidArgument("unknown report format '" + std::string(name) + "' (html, json, dfxml, case)");
}

std::string_view ReportFormatName(ReportFormat format) {
  switch (format) {
    case ReportFormat::kHtml: return "html";
    case ReportFormat::kJsonLines: return "json";
    case ReportFormat::kDfxml: return "dfxml";
    case ReportFormat::kCaseUco: return "case";
  }
  return "html";
}

std::string_view ReportFormatExtension(ReportFormat format) {
  switch (format) {
    case ReportFormat::kHtml: return "html";
    case ReportFormat::kJsonLines: return "jsonl";
    case ReportFormat::kDfxml: return "dfxml.xml";
    case ReportFormat::kCaseUco: return "jsonld";
  }
  return "html";
}

std::string RenderReport(const ReportModel& model, ReportFormat format) {
  switch (format) {
    case ReportFormat::kHtml: return RenderHtmlReport(model);
    case ReportFormat::kJsonLines: return RenderJsonLines(model);
    case ReportFormat::kDfxml: return RenderDfxml(model);
    case ReportFormat::kCaseUco: return RenderCaseUco(model);
  }
  return RenderHtmlReport(model);
}

}  // namespace interdict
