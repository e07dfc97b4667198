// A ReportModel built in memory for the writer tests: two evidence items, YARA and mesh findings, a
// timed-out, a quarantined and a crashed job, and hostile strings (markup, invalid UTF-8, control
// characters) in every field that comes from evidence.
#ifndef INTERDICT_TESTS_REPORT_REPORT_FIXTURE_H_
#define INTERDICT_TESTS_REPORT_REPORT_FIXTURE_H_

#include <filesystem>
#include <string>

#include "report/report_model.h"

namespace interdict::testing {

// A 4x4 red PNG, the overlay picture of the mesh finding.
std::string TinyPng();
// Markup that must never reach a report unescaped.
inline constexpr char kHostileFileName[] = "<script>alert('name')</script>\xff\xfe.apk";
inline constexpr char kHostileLabel[] = "EXH-1 <img src=x onerror=alert(2)>";

ReportModel HostileSampleModel();

// Runs a command through /bin/sh, capturing stdout and stderr together; returns the exit status.
int RunCommand(const std::string& command, std::string* output);
// A fresh folder under the test temp dir.
std::filesystem::path FreshDir(const std::string& name);
// Counts non-overlapping occurrences.
size_t CountOf(const std::string& text, const std::string& needle);

}  // namespace interdict::testing

#endif  // INTERDICT_TESTS_REPORT_REPORT_FIXTURE_H_
