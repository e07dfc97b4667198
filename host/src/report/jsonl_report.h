// The JSON Lines export for machines: one JSON object per line, each with "record" naming its type, in
// this order: case, tool, evidence*, job*, finding*, audit. Strings are valid UTF-8 (malformed bytes from
// evidence become U+FFFD). Field names follow the case database columns (host/src/case/schema.sql).
#ifndef INTERDICT_REPORT_JSONL_REPORT_H_
#define INTERDICT_REPORT_JSONL_REPORT_H_

#include <string>

#include "report/report_model.h"

namespace interdict {

inline constexpr int kJsonLinesSchemaVersion = 1;

std::string RenderJsonLines(const ReportModel& model);

}  // namespace interdict

#endif  // INTERDICT_REPORT_JSONL_REPORT_H_
