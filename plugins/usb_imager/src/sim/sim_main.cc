// interdict-sim: runs a command against an emulated USB handset.
//
//   interdict-sim --mass-storage IMAGE [--bad-lba N ...] [--stall-lba N ...] [--short-read-lba N ...]
//                 [--timeout-lba N ...] [--disconnect-after BYTES] [--reconnect-after-ms MS]
//                 [--slow-us-per-mib US] [--serial S] [--kill-after BYTES] [--counters-json FILE]
//                 -- COMMAND ARGS...
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
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

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
  uint64_t disconnect_after = 0, kill_after = 0;
  int reconnect_ms = static_cast<int>(kDefaultReconnectAfter.count());
  uint32_t slow = 0;
  std::string serial = SimDeviceInfo().serial;
  std::string counters_json;
  std::vector<std::string> command;
  app.add_option("--mass-storage", image, "Image file backing the emulated device (read-only)")->required();
  app.add_option("--bad-lba", bad, "Unreadable sector (repeatable)")->allow_extra_args(false);
  app.add_option("--stall-lba", stall, "The first read touching this sector stalls (repeatable)")->allow_extra_args(false);
  app.add_option("--short-read-lba", short_read, "The first read touching this sector comes back short")->allow_extra_args(false);
  app.add_option("--timeout-lba", timeout, "The first read touching this sector never completes")->allow_extra_args(false);
  app.add_option("--disconnect-after", disconnect_after, "Disconnect once this many bytes were served (0 = never)");
  app.add_option("--reconnect-after-ms", reconnect_ms, "How long the device stays away")->capture_default_str();
  app.add_option("--slow-us-per-mib", slow, "Extra latency per MiB served");
  app.add_option("--serial", serial, "USB serial number")->capture_default_str();
  app.add_option("--kill-after", kill_after, "SIGKILL the command once this many bytes were served (0 = never)");
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

  auto model = MassStorageModel::Open(image, info, faults);
  if (!model.ok()) {
    std::fprintf(stderr, "interdict-sim: %s\n", model.status().ToString().c_str());
    return kExitSimFailure;
  }
  auto emulator = UsbfsEmulator::Start(**model);
  if (!emulator.ok()) {
    std::fprintf(stderr, "interdict-sim: %s\n", emulator.status().ToString().c_str());
    return kExitSimFailure;
  }

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
        if ((*model)->counters().bytes_served >= kill_after) {
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

  const SimCounters counters = (*model)->counters();
  nlohmann::json summary = counters.ToJson();
  summary["urbs_submitted"] = (*emulator)->urbs_submitted();
  if (!counters_json.empty()) std::ofstream(counters_json) << summary.dump(2) << "\n";
  std::fprintf(stderr, "interdict-sim: %llu commands, %llu reads, %llu bytes served, %llu write-class\n",
               static_cast<unsigned long long>(counters.commands), static_cast<unsigned long long>(counters.reads),
               static_cast<unsigned long long>(counters.bytes_served),
               static_cast<unsigned long long>(counters.write_class_commands));
  if (counters.write_class_commands > 0) {
    std::fprintf(stderr, "interdict-sim: FAILED: %llu write-class command(s) reached the emulated device\n",
                 static_cast<unsigned long long>(counters.write_class_commands));
    return kExitWriteCommandSeen;
  }
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return kExitSimFailure;
}
