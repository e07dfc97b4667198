// The HTML report for people: one self-contained file (styles inline, pictures as data: URIs, no script,
// no external fetch; a Content-Security-Policy forbids both), readable on screen and printed (print CSS
// for A4, PDF through headless Chromium).
//
// Sections, each a <section> with a stable id and a data-count attribute that tests and tools read:
//   #case-header, #summary, #evidence, #plugins, #findings (grouped by evidence), #problems (every job
//   that did not complete: failures, timeouts, quarantines), #audit (chain head, seals, verification),
//   #tool (versions of the tool and its libraries).
// Every string that came from the case is HTML-escaped; nothing from evidence can add markup.
#ifndef INTERDICT_REPORT_HTML_REPORT_H_
#define INTERDICT_REPORT_HTML_REPORT_H_

#include <string>

#include "report/report_model.h"

namespace interdict {

std::string RenderHtmlReport(const ReportModel& model);

}  // namespace interdict

#endif  // INTERDICT_REPORT_HTML_REPORT_H_
