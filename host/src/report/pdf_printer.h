// Prints an HTML file to PDF with headless Chromium (Debian's chromium package), the way the report's
// print CSS is meant to be seen. Chromium runs with a throw-away profile, no sandbox (we run as root in
// labs' containers), no GPU and every background network feature off; the HTML itself forbids fetching
// anything (Content-Security-Policy), so printing needs no network.
#ifndef INTERDICT_REPORT_PDF_PRINTER_H_
#define INTERDICT_REPORT_PDF_PRINTER_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict {

inline constexpr char kDefaultChromiumPath[] = "/usr/bin/chromium";
inline constexpr std::chrono::seconds kChromiumTimeout{120};

// $INTERDICT_CHROMIUM if set, else kDefaultChromiumPath.
std::filesystem::path ChromiumPath();

// The command-line flags for a headless, offline, root-safe Chromium using `profile_dir`.
std::vector<std::string> HeadlessChromiumFlags(const std::filesystem::path& profile_dir);

// Runs Chromium with the headless flags plus `extra_args` and the file URL of `html`; captures stdout
// (for --dump-dom) into *stdout_text when given. Kills it after kChromiumTimeout.
Status RunHeadlessChromium(const std::filesystem::path& html, const std::vector<std::string>& extra_args,
                           std::string* stdout_text);

// Writes `pdf` from `html` with --print-to-pdf. Fails if Chromium is missing or produced no PDF.
Status PrintHtmlToPdf(const std::filesystem::path& html, const std::filesystem::path& pdf);

}  // namespace interdict

#endif  // INTERDICT_REPORT_PDF_PRINTER_H_
