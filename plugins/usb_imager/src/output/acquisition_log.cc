#include "output/acquisition_log.h"

#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

#include "transport/libusb_transport.h"

namespace interdict::usb {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string Rate(uint64_t bytes, double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f MiB/s", seconds > 0 ? bytes / kMiB / seconds : 0.0);
  return buffer;
}

nlohmann::json DigestsJson(const Digests& d) {
  nlohmann::json out = nlohmann::json::object();
  if (!d.md5.empty()) out["md5"] = d.md5;
  if (!d.sha1.empty()) out["sha1"] = d.sha1;
  if (!d.sha256.empty()) out["sha256"] = d.sha256;
  return out;
}

nlohmann::json VerificationJson(const VerificationOutcome& v) {
  if (!v.ran) return {{"ran", false}, {"error", v.error}};
  return {{"ran", true}, {"matches", v.matches}, {"digests", DigestsJson(v.digests)}, {"error", v.error}};
}

void HashLines(std::string& out, const char* name, const std::string& acquired, const VerificationOutcome& source,
               const VerificationOutcome& image) {
  if (acquired.empty()) return;
  auto get = [name](const Digests& d) -> std::string {
    std::string n = name;
    return n == "MD5" ? d.md5 : n == "SHA1" ? d.sha1 : d.sha256;
  };
  char label[32];
  std::snprintf(label, sizeof(label), "%-6s hash", name);
  out += std::string(label) + "                 : " + acquired + "\n";
  if (source.ran) out += std::string(label) + " verified source : " + get(source.digests) + "\n";
  if (image.ran) out += std::string(label) + " verified image  : " + get(image.digests) + "\n";
}

}  // namespace

nlohmann::json EnvironmentJson() {
  struct utsname u {};
  ::uname(&u);
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  return {{"tool", "interdict " INTERDICT_VERSION},
          {"libraries", {LibusbVersionString(), LibewfVersionString(), OpenSSL_version(OPENSSL_VERSION)}},
          {"compiler", __VERSION__},
          {"host", host},
          {"system", std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine}};
}

nlohmann::json ReportToJson(const AcquisitionReport& r) {
  const AcquisitionResult& a = r.result;
  nlohmann::json bad = nlohmann::json::array();
  for (const auto& range : a.bad_ranges) {
    bad.push_back({{"first_sector", range.first_sector}, {"sector_count", range.sector_count}, {"error", range.error}});
  }
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : a.window_hashes) windows.push_back({{"offset", w.offset}, {"length", w.length}, {"sha256", w.sha256}});
  nlohmann::json disconnects = nlohmann::json::array();
  for (const auto& d : a.disconnects) {
    disconnects.push_back({{"offset", d.offset}, {"reason", d.reason}, {"detected", d.detected_utc}, {"reconnected", d.reconnected_utc},
                           {"paused_seconds", d.paused_seconds}});
  }
  nlohmann::json hashes = nlohmann::json::array();
  for (auto h : r.hashes) hashes.push_back(std::string(HashAlgorithmName(h)));
  return {
      {"schema", "interdict.acquisition-log/1"},
      {"environment", EnvironmentJson()},
      {"command_line", r.command_line},
      {"source", {{"uri", r.source.uri}, {"kind", r.source.kind}, {"serial", r.source.serial},
                  {"capacity_bytes", r.source.capacity_bytes}, {"sector_size", r.source.sector_size},
                  {"details", r.source.details}, {"statistics", r.source_statistics}}},
      {"case", {{"case_number", r.metadata.case_number}, {"evidence_number", r.metadata.evidence_number},
                {"examiner", r.metadata.examiner}, {"description", r.metadata.description}, {"notes", r.metadata.notes}}},
      {"image", {{"format", std::string(ImageFormatName(r.format))}, {"files", r.image_files}, {"map", r.map_file}}},
      {"hash_algorithms", hashes},
      {"times", {{"started", a.started_utc}, {"finished", a.finished_utc}, {"seconds", a.seconds}}},
      {"speed_mib_s", a.seconds > 0 ? (a.bytes_total - a.resumed_from) / kMiB / a.seconds : 0.0},
      {"bytes", {{"total", a.bytes_total}, {"read_from_source", a.bytes_read_from_source},
                 {"reread_after_interruption", a.bytes_reread_after_interruption}, {"resumed_from", a.resumed_from}}},
      {"bad_sectors", a.bad_sectors},
      {"bad_ranges", bad},
      {"disconnects", disconnects},
      {"digests", DigestsJson(a.digests)},
      {"window_sha256", windows},
      {"verification", {{"source", VerificationJson(r.source_verification)},
                        {"image", VerificationJson(r.image_verification)}}},
      {"state", a.state},
      {"message", a.message},
      {"final_state", r.final_state},
      {"exit_code", r.exit_code},
  };
}

std::string ReportToText(const AcquisitionReport& r) {
  const AcquisitionResult& a = r.result;
  const nlohmann::json env = EnvironmentJson();
  std::string out = "INTERDICT ACQUISITION LOG\n=========================\n\n";
  out += "Tool          : " + env["tool"].get<std::string>() + "\n";
  for (const auto& lib : env["libraries"]) out += "Library       : " + lib.get<std::string>() + "\n";
  out += "Compiled with : " + env["compiler"].get<std::string>() + "\n";
  out += "Host name     : " + env["host"].get<std::string>() + "\n";
  out += "System        : " + env["system"].get<std::string>() + "\n";
  out += "Command line  : " + r.command_line + "\n\n";

  out += "Device\n------\n";
  out += "Source        : " + r.source.uri + " (" + r.source.kind + ")\n";
  out += "Serial        : " + (r.source.serial.empty() ? std::string("(none)") : r.source.serial) + "\n";
  out += "Size          : " + std::to_string(r.source.capacity_bytes) + " bytes, " +
         std::to_string(r.source.sector_size) + "-byte sectors\n";
  out += "Details       : " + r.source.details.dump() + "\n";
  out += "Protocol      : " + r.source_statistics.dump() + "\n\n";

  out += "Acquisition\n-----------\n";
  out += "Case number   : " + r.metadata.case_number + "\n";
  out += "Evidence no.  : " + r.metadata.evidence_number + "\n";
  out += "Examiner      : " + r.metadata.examiner + "\n";
  out += "Description   : " + r.metadata.description + "\n";
  out += "Notes         : " + r.metadata.notes + "\n";
  out += "Format        : " + std::string(ImageFormatName(r.format)) + "\n";
  for (const auto& f : r.image_files) out += "Image file    : " + f + "\n";
  out += "Map file      : " + r.map_file + "\n";
  out += "Source verification : " + std::string(r.source_verification.ran ? "on" : "off") + "\n";
  out += "Image verification  : " + std::string(r.image_verification.ran ? "on" : "off") + "\n\n";

  out += "Bad sectors\n-----------\n";
  if (a.bad_sectors == 0) {
    out += "No bad sectors encountered during acquisition.\n";
  } else {
    out += "During acquisition, " + std::to_string(a.bad_sectors) +
           " bad sectors have been encountered. They have been replaced by zeroed sectors.\n";
    for (const auto& range : a.bad_ranges) {
      out += "  sectors " + std::to_string(range.first_sector) + "-" +
             std::to_string(range.first_sector + range.sector_count - 1) + " (" + std::to_string(range.sector_count) +
             "): " + range.error + "\n";
    }
  }
  for (const auto& d : a.disconnects) {
    out += "Disconnect at byte " + std::to_string(d.offset) + " (" + d.detected_utc + ": " + d.reason + "), " +
           (d.reconnected_utc.empty() ? "did not return" : "returned " + d.reconnected_utc) + "\n";
  }
  out += "\nState         : " + r.final_state + "\n\n";

  out += "Hashes\n------\n";
  HashLines(out, "MD5", a.digests.md5, r.source_verification, r.image_verification);
  HashLines(out, "SHA1", a.digests.sha1, r.source_verification, r.image_verification);
  HashLines(out, "SHA256", a.digests.sha256, r.source_verification, r.image_verification);
  if (r.source_verification.ran) {
    out += r.source_verification.matches ? "Source verification OK. The device delivered the same data during verification.\n"
                                         : "Source verification FAILED. The device didn't deliver the same data during verification.\n";
  } else if (!r.source_verification.error.empty()) {
    out += "Source verification not run: " + r.source_verification.error + "\n";
  }
  if (r.image_verification.ran) {
    out += r.image_verification.matches ? "Image verification OK. The image contains the correct data.\n"
                                        : "Image verification FAILED. The data in the image is different.\n";
  } else if (!r.image_verification.error.empty()) {
    out += "Image verification not run: " + r.image_verification.error + "\n";
  }
  out += std::to_string(a.window_hashes.size()) + " per-window SHA-256 values are in the JSON log.\n\n";

  out += "Times\n-----\n";
  out += "Acquisition started : " + a.started_utc + "\n";
  out += "Acquisition ended   : " + a.finished_utc + "\n";
  out += "Duration            : " + std::to_string(a.seconds) + " s\n";
  out += "Speed               : " + Rate(a.bytes_total - a.resumed_from, a.seconds) + "\n";
  if (a.resumed_from > 0) out += "Resumed from byte   : " + std::to_string(a.resumed_from) + "\n";
  out += "Read from source    : " + std::to_string(a.bytes_read_from_source) + " bytes (re-read after interruption: " +
         std::to_string(a.bytes_reread_after_interruption) + ")\n";
  return out;
}

}  // namespace interdict::usb
