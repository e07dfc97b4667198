// What an interdict-worker locks itself into after create() and before process(): resource limits,
// no_new_privs and a libseccomp system-call allowlist.
//
// Profiles (docs/plugin-abi.md lists the calls):
//  - kParser, for every plugin that parses evidence: memory, threads, time, reading the input descriptor,
//    writing only to stdout/stderr/the result pipe. Opening files fails with EACCES and ioctl with ENOTTY
//    (so isatty() and sysconf() degrade gracefully); socket, connect, execve, execveat, fork/vfork, clone
//    without CLONE_THREAD, ptrace, mount, bpf, ... kill the whole worker (SIGSYS).
//  - kUsbDevice, for plugins whose manifest needs ["usb"]: additionally open/ioctl (libusb on /dev/bus/usb),
//    poll/eventfd/timerfd/pipes, and AF_UNIX / AF_NETLINK sockets (umockdev, udev). Never AF_INET/AF_INET6,
//    never exec.
// Under ASan/UBSan builds (INTERDICT_SANITIZER_BUILD) a few extra calls the sanitizer runtime makes for its
// reports are allowed (open for /proc/self/maps, readlink, prctl, sched_yield), and RLIMIT_AS is set
// relative to the address space the sanitizer has already reserved; both are documented in
// docs/plugin-abi.md. Release builds never get them.
//
// All functions act on the calling process, are irreversible, and are meant for the worker only.
#ifndef INTERDICT_SANDBOX_SANDBOX_POLICY_H_
#define INTERDICT_SANDBOX_SANDBOX_POLICY_H_

#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "plugins/plugin_manifest.h"

namespace interdict {

enum class SyscallProfile { kParser, kUsbDevice };

std::string_view SyscallProfileName(SyscallProfile profile);  // "parser", "usb-device"
SyscallProfile SyscallProfileFor(const PluginManifest& manifest);

// Files a worker may create are never needed: results go through the pipe.
inline constexpr uint64_t kWorkerMaxFileBytes = 0;
// SIGXCPU arrives at the soft CPU limit; the kernel's SIGKILL at soft + this.
inline constexpr uint64_t kCpuHardLimitGraceSeconds = 5;

struct WorkerLimits {
  uint64_t address_space_bytes = 0;
  uint64_t cpu_seconds = 0;
  uint64_t open_files = 0;
};

// RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE and RLIMIT_CORE=0.
Status ApplyResourceLimits(const WorkerLimits& limits);
// PR_SET_NO_NEW_PRIVS, then loads the seccomp filter. `result_fd` is the only descriptor besides stdout and
// stderr the parser profile may write to.
Status ApplySyscallFilter(SyscallProfile profile, int result_fd);

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_SANDBOX_POLICY_H_
