#include "usb_imager_cli.h"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/acquisition.h"
#include "protocol/handset_modes.h"
#include "transport/libusb_transport.h"

namespace interdict {
namespace {

using usb::AcquireRequest;

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted.store(true); }

// What the imager can do with a device, from its interface classes.
std::string Capability(const usb::EnumeratedDevice& device, std::string* mode) {
  usb::HandsetMode recognised = usb::ClassifyHandset(device);
  *mode = recognised.mode;
  return recognised.action;
}

// "4096", "64K", "1M", "2G" (binary units). A bad size is a usage error, reported by CLI11.
uint64_t ParseSize(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string unit(end, text.data() + text.size());
  int shift = 0;
  if (unit == "K" || unit == "KiB") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (!unit.empty()) ec = std::errc::invalid_argument;
  if (ec != std::errc() || end == text.data() || (value << shift >> shift) != value) {
    throw CLI::ValidationError("size", "'" + text + "' is not a size (use e.g. 4096, 64K, 1M, 2G)");
  }
  return value << shift;
}

void RegisterDevices(CLI::App& app, CliContext& context) {
  CLI::App* cmd = app.add_subcommand("devices", "List USB devices the imager recognises, their mode, and what it can do");
  cmd->callback([&context] {
    auto devices = usb::EnumerateUsbDevices();
    if (!devices.ok()) {
      context.Fail("devices", devices.status());
      return;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& device : *devices) {
      std::string mode;
      std::string action = Capability(device, &mode);
      char where[16];
      std::snprintf(where, sizeof(where), "%u-%u", device.identity.bus, device.identity.address);
      out.push_back({{"vid_pid", device.identity.VidPid()}, {"bus_address", where}, {"serial", device.identity.serial},
                     {"manufacturer", device.identity.manufacturer}, {"product", device.identity.product},
                     {"mode", mode}, {"action", action}, {"open_error", device.open_error}});
    }
    if (context.json) {
      std::cout << out.dump(2) << "\n";
    } else if (out.empty()) {
      std::cout << "no USB devices found\n";
    } else {
      for (const auto& d : out) {
        std::cout << d["vid_pid"].get<std::string>() << "  " << d["bus_address"].get<std::string>() << "  serial "
                  << (d["serial"].get<std::string>().empty() ? "-" : d["serial"].get<std::string>()) << "  "
                  << d["manufacturer"].get<std::string>() << " " << d["product"].get<std::string>() << "  ["
                  << d["mode"].get<std::string>() << "]  " << d["action"].get<std::string>() << "\n";
      }
    }
    context.exit_code = kExitOk;
  });
}

void RegisterAcquire(CLI::App& app, CliContext& context) {
  auto request = std::make_shared<AcquireRequest>();
  auto format = std::make_shared<std::string>("raw");
  auto hashes = std::make_shared<std::string>("md5,sha1,sha256");
  auto compression = std::make_shared<std::string>("fast");
  auto split = std::make_shared<std::string>("0");
  auto chunk = std::make_shared<std::string>("1M");
  auto window = std::make_shared<std::string>("1M");
  auto wait_s = std::make_shared<int>(120);

  CLI::App* cmd = app.add_subcommand("acquire", "Image a USB mass-storage device or an image file/block device");
  cmd->add_option("--source", request->source,
                  "usb:VID:PID[:SERIAL], usb:BUS-ADDR, file:PATH, edl:[VID:PID[:SERIAL]]/lunN|/PARTITION or "
                  "adb:[SERIAL]")->required();
  cmd->add_option("--programmer", request->programmer, "edl: the Firehose programmer to upload (hash is logged)");
  cmd->add_flag("--logical", request->logical, "adb: copy files (sync) with per-file hashes and a manifest");
  cmd->add_option("--remote-root", request->remote_root, "adb --logical: the tree to copy")->capture_default_str();
  cmd->add_option("--adb-key", request->adb_key, "adb: the lab's RSA key (created on first use)");
  cmd->add_option("--block", request->block_device,
                  "adb: image this block device (/dev/block/...) with exec:dd (rooted handset; read-only)");
  cmd->add_option("--out", request->out_dir, "Write image, map and logs into this folder");
  cmd->add_option("--case", request->case_dir, "Write into this case as evidence with audit records");
  cmd->add_option("--name", request->image_name, "Base name of the image files")->capture_default_str();
  cmd->add_option("--format", *format, "raw or e01")->capture_default_str();
  cmd->add_option("--compression", *compression, "E01 compression: none, fast, best")->capture_default_str();
  cmd->add_option("--split", *split, "Split size (raw segments / E01 segment size), e.g. 2G; 0 = one file");
  cmd->add_option("--hash", *hashes, "Hash algorithms: md5,sha1,sha256")->capture_default_str();
  cmd->add_flag("--verify", request->verify, "Re-read the source and read the image back, comparing hashes");
  cmd->add_flag("--resume", request->resume, "Continue an interrupted acquisition from its map file");
  cmd->add_option("--case-number", request->metadata.case_number, "Case number (E01 header, log)");
  cmd->add_option("--evidence-number", request->metadata.evidence_number, "Evidence number");
  cmd->add_option("--examiner", request->metadata.examiner, "Examiner name");
  cmd->add_option("--description", request->metadata.description, "Description");
  cmd->add_option("--notes", request->metadata.notes, "Notes");
  cmd->add_option("--chunk", *chunk, "Read size, e.g. 1M")->capture_default_str();
  cmd->add_option("--hash-window", *window, "Per-window SHA-256 size, e.g. 1M; 0 = none")->capture_default_str();
  cmd->add_option("--retries", request->retries, "Extra attempts per bad sector")->capture_default_str();
  cmd->add_option("--max-bad-sectors", request->max_bad_sectors, "Stop once more sectors than this are unreadable");
  cmd->add_option("--disconnect-wait", *wait_s, "Seconds to wait for a disconnected device")->capture_default_str();

  cmd->callback([&context, request, format, hashes, compression, split, chunk, window, wait_s, &app] {
    auto parsed_format = usb::ParseImageFormat(*format);
    auto parsed_hashes = ParseHashAlgorithmList(*hashes);
    auto parsed_compression = usb::ParseEwfCompression(*compression);
    for (const Status* s : {&parsed_format.status(), &parsed_hashes.status(), &parsed_compression.status()}) {
      if (!s->ok()) {
        context.Fail("acquire", *s);
        return;
      }
    }
    request->format = *parsed_format;
    request->hashes = *parsed_hashes;
    request->compression = *parsed_compression;
    request->split_bytes = ParseSize(*split);
    request->chunk_bytes = ParseSize(*chunk);
    request->hash_window_bytes = ParseSize(*window);
    request->disconnect_wait = std::chrono::seconds(*wait_s);
    request->quiet = context.quiet;
    request->command_line = "interdict acquire --source " + request->source +
                            (request->out_dir.empty() ? " --case " + request->case_dir.string()
                                                      : " --out " + request->out_dir.string()) +
                            " --format " + *format + " --hash " + *hashes + (request->verify ? " --verify" : "") +
                            (request->resume ? " --resume" : "");
    (void)app;
    g_interrupted.store(false);
    request->cancel = &g_interrupted;
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    struct sigaction old_int {}, old_term {};
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
    auto outcome = usb::Acquire(*request);
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    if (!outcome.ok()) {
      context.Fail("acquire", outcome.status());
      return;
    }
    context.exit_code = outcome->exit_code;
    const auto& report = outcome->report;
    if (context.json) {
      nlohmann::json out = usb::ReportToJson(report);
      out["work_dir"] = outcome->work_dir.string();
      if (!outcome->evidence_uuid.empty()) out["evidence_uuid"] = outcome->evidence_uuid;
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << "state: " << report.final_state << "\n";
      if (!report.result.digests.md5.empty()) std::cout << "md5:    " << report.result.digests.md5 << "\n";
      if (!report.result.digests.sha1.empty()) std::cout << "sha1:   " << report.result.digests.sha1 << "\n";
      if (!report.result.digests.sha256.empty()) std::cout << "sha256: " << report.result.digests.sha256 << "\n";
      std::cout << "bad sectors: " << report.result.bad_sectors << "\n";
      std::cout << "output: " << outcome->work_dir.string() << "\n";
      if (!outcome->evidence_uuid.empty()) std::cout << "evidence: " << outcome->evidence_uuid << "\n";
    }
  });
}

}  // namespace

void RegisterUsbImagerCommands(CLI::App& app, CliContext& context) {
  RegisterDevices(app, context);
  RegisterAcquire(app, context);
}

}  // namespace interdict
