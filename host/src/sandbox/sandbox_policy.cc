#include "sandbox/sandbox_policy.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace interdict {
namespace {

// Calls every profile needs: memory, threads, signals, time, reading descriptors it already has.
constexpr const char* kBaseSyscalls[] = {
    "read",
    "readv",
    "pread64",
    "preadv",
    "preadv2",
    "lseek",
    "fstat",
    "newfstatat",
    "statx",
    "close",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "brk",
    "madvise",
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "exit",
    "exit_group",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "restart_syscall",
    "gettid",
    "getpid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    "sched_yield",
    "sched_getaffinity",
    "getrandom",
    "getrlimit",
    "uname",
    "sysinfo",
    "getrusage",
    "fcntl",
    "membarrier",
    "getcpu",
};

// Extra calls for plugins that drive USB devices through libusb (and umockdev in tests).
constexpr const char* kUsbDeviceSyscalls[] = {
    "open",       "openat",         "ioctl",           "write",           "writev",    "pwrite64",    "poll",
    "ppoll",      "select",         "pselect6",        "epoll_create1",   "epoll_ctl", "epoll_wait",  "epoll_pwait",
    "eventfd2",   "timerfd_create", "timerfd_settime", "timerfd_gettime", "pipe",      "pipe2",       "dup",
    "dup3",       "getdents64",     "readlink",        "readlinkat",      "access",    "faccessat",   "faccessat2",
    "statfs",     "fstatfs",        "getcwd",          "connect",         "bind",      "getsockname", "getpeername",
    "setsockopt", "getsockopt",     "sendmsg",         "recvmsg",         "sendto",    "recvfrom",    "shutdown",
};
// Socket families a USB plugin may create: umockdev's control socket and udev's netlink monitor.
constexpr int kUsbSocketFamilies[] = {AF_UNIX, AF_NETLINK};

#ifdef INTERDICT_SANITIZER_BUILD
// The ASan/UBSan runtime reads /proc/self/maps, readlinks /proc/self/exe and prctls while it reports, and
// probes whether memory is readable by writing it into a pipe of its own (pipe2 + write); without these a
// plugin's memory error, or an ordinary stack unwind, would be reported as a seccomp violation.
constexpr const char* kSanitizerSyscalls[] = {"open",  "openat", "readlink", "readlinkat",
                                              "prctl", "pipe2",  "write",    "writev"};
#endif

class SeccompFilter {
 public:
  SeccompFilter() : ctx_(seccomp_init(SCMP_ACT_KILL_PROCESS)) {}
  ~SeccompFilter() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;

  bool valid() const { return ctx_ != nullptr; }
  const Status& status() const { return status_; }

  // Adds `action` for `name` under the given argument conditions (none: unconditional). Names this
  // architecture does not have are skipped.
  void Add(uint32_t action, const char* name, std::initializer_list<scmp_arg_cmp> conditions = {}) {
    int number = seccomp_syscall_resolve_name(name);
    if (number == __NR_SCMP_ERROR || !status_.ok()) return;
    std::vector<scmp_arg_cmp> args(conditions);
    int rc = seccomp_rule_add_array(ctx_, action, number, static_cast<unsigned>(args.size()), args.data());
    if (rc != 0) status_ = Status::Internal(std::string("seccomp rule for ") + name + ": " + std::strerror(-rc));
  }
  void Allow(const char* name, std::initializer_list<scmp_arg_cmp> conditions = {}) {
    Add(SCMP_ACT_ALLOW, name, conditions);
  }

  Status Load() {
    if (!status_.ok()) return status_;
    int rc = seccomp_load(ctx_);
    if (rc != 0) return Status::Internal(std::string("seccomp_load: ") + std::strerror(-rc));
    return Status::Ok();
  }

 private:
  scmp_filter_ctx ctx_;
  Status status_;
};

// True if the sanitizer exception list already allows `name` unconditionally (never in release builds).
bool AllowedForSanitizer([[maybe_unused]] const char* name) {
#ifdef INTERDICT_SANITIZER_BUILD
  for (const char* allowed : kSanitizerSyscalls) {
    if (std::strcmp(allowed, name) == 0) return true;
  }
#endif
  return false;
}

#ifdef INTERDICT_SANITIZER_BUILD
// The sanitizer runtime has reserved terabytes of shadow memory already; the job's limit counts from there.
uint64_t CurrentAddressSpaceBytes() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long long pages = 0;
  int fields = std::fscanf(statm, "%llu", &pages);
  std::fclose(statm);
  return fields == 1 ? pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}
#endif

Status SetLimit(int resource, const char* name, uint64_t soft, uint64_t hard) {
  rlimit limit{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  if (::setrlimit(resource, &limit) != 0) {
    return Status::Internal(std::string("setrlimit ") + name + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

std::string_view SyscallProfileName(SyscallProfile profile) {
  return profile == SyscallProfile::kUsbDevice ? "usb-device" : "parser";
}

SyscallProfile SyscallProfileFor(const PluginManifest& manifest) {
  return manifest.Needs(kNeedUsb) ? SyscallProfile::kUsbDevice : SyscallProfile::kParser;
}

Status ApplyResourceLimits(const WorkerLimits& limits) {
  uint64_t address_space = limits.address_space_bytes;
#ifdef INTERDICT_SANITIZER_BUILD
  address_space += CurrentAddressSpaceBytes();
#endif
  if (address_space > 0) INTERDICT_RETURN_IF_ERROR(SetLimit(RLIMIT_AS, "RLIMIT_AS", address_space, address_space));
  if (limits.cpu_seconds > 0) {
    INTERDICT_RETURN_IF_ERROR(
        SetLimit(RLIMIT_CPU, "RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + kCpuHardLimitGraceSeconds));
  }
  INTERDICT_RETURN_IF_ERROR(SetLimit(RLIMIT_FSIZE, "RLIMIT_FSIZE", kWorkerMaxFileBytes, kWorkerMaxFileBytes));
  if (limits.open_files > 0) {
    INTERDICT_RETURN_IF_ERROR(SetLimit(RLIMIT_NOFILE, "RLIMIT_NOFILE", limits.open_files, limits.open_files));
  }
  return SetLimit(RLIMIT_CORE, "RLIMIT_CORE", 0, 0);
}

Status ApplySyscallFilter(SyscallProfile profile, int result_fd) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Status::Internal(std::string("PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno));
  }
  SeccompFilter filter;
  if (!filter.valid()) return Status::Internal("seccomp_init failed");
  for (const char* name : kBaseSyscalls) filter.Allow(name);
  // Threads only: a clone that does not share the thread group would be a new process.
  filter.Allow("clone", {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)});
  // clone3's flags live in memory seccomp cannot inspect; ENOSYS makes glibc fall back to clone.
  filter.Add(SCMP_ACT_ERRNO(ENOSYS), "clone3");
  // abort() signals its own process; nothing else may be signalled.
  filter.Allow("tgkill", {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(::getpid()))});
  // Reading limits is fine (glibc's pthread_create does); changing them is not.
  filter.Allow("prlimit64", {SCMP_A2(SCMP_CMP_EQ, 0)});
#ifdef INTERDICT_SANITIZER_BUILD
  for (const char* name : kSanitizerSyscalls) filter.Allow(name);
#endif

  if (profile == SyscallProfile::kUsbDevice) {
    for (const char* name : kUsbDeviceSyscalls) {
      if (!AllowedForSanitizer(name)) filter.Allow(name);
    }
    for (int family : kUsbSocketFamilies) {
      filter.Allow("socket", {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family))});
      filter.Allow("socketpair", {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family))});
    }
  } else {
    for (const char* name : {"write", "writev"}) {
      if (AllowedForSanitizer(name)) continue;
      for (int fd : {STDOUT_FILENO, STDERR_FILENO, result_fd}) {
        filter.Allow(name, {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(fd))});
      }
    }
    for (const char* name : {"open", "openat"}) {
      if (!AllowedForSanitizer(name)) filter.Add(SCMP_ACT_ERRNO(EACCES), name);
    }
    filter.Add(SCMP_ACT_ERRNO(ENOTTY), "ioctl");
  }
  return filter.Load();
}

}  // namespace interdict
