// interdict-sim: runs a command against an emulated USB handset.
//
//   interdict-sim --mass-storage IMAGE [--bad-lba N ...] [--stall-lba N ...] [--short-read-lba N ...]
//                 [--timeout-lba N ...] [--disconnect-after BYTES] [--reconnect-after-ms MS]
//                 [--slow-us-per-mib US] [--serial S] [--kill-after BYTES] [--counters-json FILE]
//                 -- COMMAND ARGS...
//   interdict-sim --edl-lun IMAGE [--edl-lun IMAGE ...] [--edl-nak LUN:SECTOR ...]
//                 [--edl-accept-programmer SHA256] [--disconnect-after BYTES] [--hang-after BYTES] ...
//                 -- COMMAND ARGS...
//   interdict-sim --adb-root DIR [--adb-refuse-auth] [--adb-nak PATH ...] [--adb-block /dev/block/X=IMAGE ...]
//                 [--disconnect-after BYTES] [--hang-after BYTES] ... -- COMMAND ARGS...
//
// The emulated device lives in this process (a umockdev usbfs handler); COMMAND runs as a child with
// UMOCKDEV_DIR and LD_PRELOAD=libumockdev-preload.so.0 so its libusb calls reach it. Exit status: the
// command's, except kExitWriteCommandSeen when any write-class command reached the device (it was refused,
// but a read-only imager must never send one) and kExitSimFailure when the simulator itself failed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/adb_device_model.h"
#include "sim/edl_device_model.h"
#include "sim/mass_storage_model.h"
#include "sim/usbfs_emulator.h"

namespace {

constexpr int kExitWriteCommandSeen = 99;
constexpr int kExitSimFailure = 98;
constexpr std::chrono::milliseconds kKillPollInterval{2};

pid_t g_child = -1;

void ForwardSignal(int signal_number) {
  if (g_child > 0) ::kill(g_child, signal_number);
}

std::string AppendEnv(const char* name, const std::string& value, char separator) {
  const char* old = std::getenv(name);
  if (old == nullptr || *old == '\0') return value;
  return value + separator + old;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace interdict::usb::sim;
  CLI::App app{"interdict-sim: run a command against an emulated USB mass-storage handset (umockdev)"};
  std::string image;
  std::vector<uint64_t> bad, stall, short_read, timeout;
  uint64_t disconnect_after = 0, kill_after = 0, hang_after = 0;
  int reconnect_ms = static_cast<int>(kDefaultReconnectAfter.count());
  uint32_t slow = 0;
  std::string serial = SimDeviceInfo().serial;
  std::string counters_json;
  std::vector<std::string> command;
  std::vector<std::string> edl_luns, edl_naks, adb_naks, adb_blocks;
  std::string edl_programmer_sha256, adb_root;
  bool adb_refuse_auth = false;
  app.add_option("--mass-storage", image, "Image file backing the emulated device (read-only)");
  app.add_option("--edl-lun", edl_luns, "Emulate a Qualcomm EDL handset (05c6:9008): image of LUN n (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--edl-nak", edl_naks, "EDL: reads touching LUN:SECTOR are refused (repeatable)")->allow_extra_args(false);
  app.add_option("--edl-accept-programmer", edl_programmer_sha256, "EDL: SHA-256 of the only programmer accepted");
  app.add_option("--adb-root", adb_root, "Emulate an ADB handset (18d1:4ee7) serving DIR as its /");
  app.add_flag("--adb-refuse-auth", adb_refuse_auth, "ADB: the user dismisses the 'Allow USB debugging?' prompt");
  app.add_option("--adb-nak", adb_naks, "ADB: a sync RECV of this device path is refused (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--adb-block", adb_blocks, "ADB: /dev/block/NAME=IMAGE, a block device for exec:dd (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--hang-after", hang_after,
                 "EDL/ADB: the device stops answering once this many bytes were served (0 = never)");
  app.add_option("--bad-lba", bad, "Unreadable sector (repeatable)")->allow_extra_args(false);
  app.add_option("--stall-lba", stall, "The first read touching this sector stalls (repeatable)")->allow_extra_args(false);
  app.add_option("--short-read-lba", short_read, "The first read touching this sector comes back short")->allow_extra_args(false);
  app.add_option("--timeout-lba", timeout, "The first read touching this sector never completes")->allow_extra_args(false);
  app.add_option("--disconnect-after", disconnect_after, "Disconnect once this many bytes were served (0 = never)");
  app.add_option("--reconnect-after-ms", reconnect_ms, "How long the device stays away")->capture_default_str();
  app.add_option("--slow-us-per-mib", slow, "Extra latency per MiB served");
  app.add_option("--serial", serial, "USB serial number")->capture_default_str();
  app.add_option("--kill-after", kill_after,
                 "SIGKILL the command once this many bytes were served; the device answers nothing more from "
                 "then on (0 = never)");
  app.add_option("--counters-json", counters_json, "Write the device's command counters here at the end");
  app.add_option("command", command, "Command to run (after --)")->required();
  CLI11_PARSE(app, argc, argv);

  SimDeviceInfo info;
  info.serial = serial;
  SimFaults faults;
  faults.bad_lbas.insert(bad.begin(), bad.end());
  faults.stall_lbas.insert(stall.begin(), stall.end());
  faults.short_read_lbas.insert(short_read.begin(), short_read.end());
  faults.timeout_lbas.insert(timeout.begin(), timeout.end());
  if (disconnect_after > 0) faults.disconnect_after_bytes = disconnect_after;
  faults.reconnect_after = std::chrono::milliseconds(reconnect_ms);
  faults.slow_us_per_mib = slow;

  if ((image.empty() ? 0 : 1) + (edl_luns.empty() ? 0 : 1) + (adb_root.empty() ? 0 : 1) != 1) {
    std::fprintf(stderr, "interdict-sim: give exactly one of --mass-storage, --edl-lun, --adb-root\n");
    return kExitSimFailure;
  }
  // One emulated handset; the rest of main sees it through these three.
  std::unique_ptr<MassStorageModel> storage;
  std::unique_ptr<EdlDeviceModel> edl;
  std::unique_ptr<AdbDeviceModel> adb;
  std::function<uint64_t()> bytes_served;
  std::function<uint64_t()> write_class;
  std::function<nlohmann::json()> counters_of;
  interdict::Status opened;
  if (!image.empty()) {
    auto model = MassStorageModel::Open(image, info, faults);
    if (model.ok()) storage = std::move(model).value();
    opened = model.status();
  } else if (!edl_luns.empty()) {
    EdlSimFaults edl_faults;
    edl_faults.disconnect_after_bytes = faults.disconnect_after_bytes;
    edl_faults.reconnect_after = faults.reconnect_after;
    edl_faults.accepted_programmer_sha256 = edl_programmer_sha256;
    if (hang_after > 0) edl_faults.hang_after_bytes = hang_after;
    for (const auto& nak : edl_naks) {
      const size_t colon = nak.find(':');
      if (colon == std::string::npos) {
        std::fprintf(stderr, "interdict-sim: --edl-nak wants LUN:SECTOR, got %s\n", nak.c_str());
        return kExitSimFailure;
      }
      edl_faults.nak_sectors.insert({static_cast<uint32_t>(std::stoul(nak.substr(0, colon))),
                                     std::stoull(nak.substr(colon + 1))});
    }
    auto model = EdlDeviceModel::Open(std::vector<std::filesystem::path>(edl_luns.begin(), edl_luns.end()),
                                      EdlSimIdentity(), edl_faults);
    if (model.ok()) edl = std::move(model).value();
    opened = model.status();
  } else {
    AdbSimOptions options;
    options.root = adb_root;
    options.user_accepts_prompt = !adb_refuse_auth;
    options.disconnect_after_bytes = faults.disconnect_after_bytes;
    if (hang_after > 0) options.hang_after_bytes = hang_after;
    options.nak_paths.insert(adb_naks.begin(), adb_naks.end());
    for (const auto& block : adb_blocks) {
      const size_t equals = block.find('=');
      if (equals == std::string::npos) {
        std::fprintf(stderr, "interdict-sim: --adb-block wants /dev/block/NAME=IMAGE, got %s\n", block.c_str());
        return kExitSimFailure;
      }
      options.block_devices[block.substr(0, equals)] = block.substr(equals + 1);
    }
    auto model = AdbDeviceModel::Open(options);
    if (model.ok()) adb = std::move(model).value();
    opened = model.status();
  }
  if (!opened.ok()) {
    std::fprintf(stderr, "interdict-sim: %s\n", opened.ToString().c_str());
    return kExitSimFailure;
  }
  if (storage) {
    bytes_served = [&] { return storage->counters().bytes_served; };
    write_class = [&] { return storage->counters().write_class_commands; };
    counters_of = [&] { return storage->counters().ToJson(); };
  } else if (edl) {
    bytes_served = [&] { return edl->counters().bytes_served; };
    write_class = [&] { return edl->counters().write_class_commands; };
    counters_of = [&] { return edl->counters().ToJson(); };
  } else {
    bytes_served = [&] { return adb->counters().bytes_served; };
    write_class = [&] { return adb->counters().write_class_commands; };
    counters_of = [&] { return adb->counters().ToJson(); };
  }
  auto emulator = storage ? UsbfsEmulator::Start(*storage)
                          : UsbfsEmulator::Start(edl ? static_cast<EmulatedUsbDevice&>(*edl) : *adb);
  if (!emulator.ok()) {
    std::fprintf(stderr, "interdict-sim: %s\n", emulator.status().ToString().c_str());
    return kExitSimFailure;
  }

  if (kill_after > 0) {
    // The device locks up at the kill point, so a command scheduled ahead of the killer thread cannot read
    // to the end and finish before it is killed (tests of resume depend on the kill landing mid-image).
    (*emulator)->FreezeWhen([&] { return bytes_served() >= kill_after; });
  }

  // A command killed mid-transfer closes its umockdev socket; replying to it must not kill the simulator
  // with SIGPIPE (it would die silently, without its summary and counters).
  ::signal(SIGPIPE, SIG_IGN);
  g_child = ::fork();
  if (g_child < 0) {
    std::perror("interdict-sim: fork");
    return kExitSimFailure;
  }
  if (g_child == 0) {
    ::setenv("LD_PRELOAD", AppendEnv("LD_PRELOAD", kUmockdevPreloadLibrary, ':').c_str(), 1);
    // An ASan-built child would refuse to start with the preload ahead of libasan (reference notes §6.5).
    ::setenv("ASAN_OPTIONS", AppendEnv("ASAN_OPTIONS", "verify_asan_link_order=0", ':').c_str(), 1);
    std::vector<char*> args;
    for (auto& a : command) args.push_back(a.data());
    args.push_back(nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // the command gets the default back
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "interdict-sim: cannot run %s\n", args[0]);
    ::_exit(127);
  }
  struct sigaction forward {};
  forward.sa_handler = ForwardSignal;
  ::sigaction(SIGINT, &forward, nullptr);
  ::sigaction(SIGTERM, &forward, nullptr);

  std::atomic<bool> child_done{false};
  std::thread killer;
  if (kill_after > 0) {
    killer = std::thread([&] {
      while (!child_done.load()) {
        if (bytes_served() >= kill_after) {
          std::fprintf(stderr, "interdict-sim: killing the command after %llu bytes served\n",
                       static_cast<unsigned long long>(kill_after));
          ::kill(g_child, SIGKILL);
          return;
        }
        std::this_thread::sleep_for(kKillPollInterval);
      }
    });
  }
  int wait_status = 0;
  while (::waitpid(g_child, &wait_status, 0) < 0 && errno == EINTR) {
  }
  child_done.store(true);
  if (killer.joinable()) killer.join();

  nlohmann::json summary = counters_of();
  summary["urbs_submitted"] = (*emulator)->urbs_submitted();
  if (!counters_json.empty()) std::ofstream(counters_json) << summary.dump(2) << "\n";
  const uint64_t refused_writes = write_class();
  std::fprintf(stderr, "interdict-sim: %s\n", summary.dump().c_str());
  if (refused_writes > 0) {
    std::fprintf(stderr, "interdict-sim: FAILED: %llu write-class command(s) reached the emulated device\n",
                 static_cast<unsigned long long>(refused_writes));
    return kExitWriteCommandSeen;
  }
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitSimFailure;
}
