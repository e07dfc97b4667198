// The acquisition log, in two forms written side by side: text for people (the fields of a Guymager .info
// file: tool and library versions, host, device identity, case metadata, times, speeds, bad sectors,
// hashes, verification, final state) and JSON for machines (the same facts plus the per-window SHA-256
// list and protocol statistics).
#ifndef INTERDICT_USB_IMAGER_OUTPUT_ACQUISITION_LOG_H_
#define INTERDICT_USB_IMAGER_OUTPUT_ACQUISITION_LOG_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/acquisition_engine.h"
#include "engine/block_source.h"
#include "output/image_writer.h"

namespace interdict::usb {

struct VerificationOutcome {
  bool ran = false;
  Digests digests;
  bool matches = false;
  std::string error;  // why it could not run
};

struct AcquisitionReport {
  std::string command_line;
  SourceIdentity source;
  nlohmann::json source_statistics = nlohmann::json::object();
  ImageFormat format = ImageFormat::kRaw;
  CaseMetadata metadata;
  std::vector<std::string> image_files;
  std::string map_file;
  std::vector<HashAlgorithm> hashes;
  AcquisitionResult result;
  VerificationOutcome source_verification;
  VerificationOutcome image_verification;
  std::string final_state;  // "finished", "finished with N bad sectors", or why it stopped
  int exit_code = 0;
};

nlohmann::json ReportToJson(const AcquisitionReport& report);
std::string ReportToText(const AcquisitionReport& report);
// The host: name, kernel, and the versions of interdict, libusb, libewf and OpenSSL.
nlohmann::json EnvironmentJson();

}  // namespace interdict::usb

#endif  // INTERDICT_USB_IMAGER_OUTPUT_ACQUISITION_LOG_H_
