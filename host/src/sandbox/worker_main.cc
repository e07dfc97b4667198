// interdict-worker: runs one job of one plugin inside a sandbox, reporting through frames on fd 4.
// See worker_protocol.h for how it is started and sandbox_policy.h for what it locks itself into.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <new>
#include <nlohmann/json.hpp>
#include <string>

#include "interdict/plugin_abi.h"
#include "plugins/plugin_loader.h"
#include "sandbox/frame.h"
#include "sandbox/plugin_host_api.h"
#include "sandbox/sandbox_policy.h"
#include "sandbox/worker_protocol.h"

#ifdef INTERDICT_SANITIZER_BUILD
#include <sanitizer/asan_interface.h>
#endif

namespace interdict {

void ReportAllocationFailure();

namespace {

std::atomic<bool> g_cancel_requested{false};
FrameWriter* g_writer = nullptr;
std::atomic<bool> g_allocation_failure_reported{false};

// SIGTERM from the host means "stop soon": the plugin sees cancelled() turn non-zero.
void OnTerminate(int) { g_cancel_requested.store(true); }

}  // namespace

// Reported once so the host can tell "ran out of its address space" from an ordinary crash.
void ReportAllocationFailure() {
  if (g_writer != nullptr && !g_allocation_failure_reported.exchange(true)) g_writer->TryWriteAllocationFailed(0);
}

namespace {

// operator new's failure path: report, then fail as usual with std::bad_alloc.
void OnAllocationFailure() {
  ReportAllocationFailure();
  throw std::bad_alloc();
}

#ifdef INTERDICT_SANITIZER_BUILD
// ASan reports an exhausted address space itself (and exits) instead of throwing; recognise its report.
void OnSanitizerReport(const char* report) {
  if (report != nullptr &&
      (std::strstr(report, "out of memory") != nullptr || std::strstr(report, "allocation-size-too-big") != nullptr ||
       std::strstr(report, "requested allocation size") != nullptr)) {
    ReportAllocationFailure();
  }
}
#endif

[[noreturn]] void StartFailed(FrameWriter& writer, interdict_status status, const std::string& reason) {
  (void)writer.WriteStartFailed(status, reason);
  ::_exit(kWorkerExitStartFailed);
}

Result<nlohmann::json> ReadJobDescription() {
  std::string text;
  char block[64 * 1024];
  for (;;) {
    ssize_t got = ::read(kWorkerJobFd, block, sizeof(block));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IoError(std::string("reading the job description: ") + std::strerror(errno));
    if (got == 0) break;
    text.append(block, static_cast<size_t>(got));
    if (text.size() > kMaxJobDescriptionBytes) return Status::LimitExceeded("job description too large");
  }
  ::close(kWorkerJobFd);
  nlohmann::json job = nlohmann::json::parse(text, nullptr, false);
  if (job.is_discarded() || !job.is_object()) return Status::Corrupt("job description is not a JSON object");
  return job;
}

std::string StringField(const nlohmann::json& job, const char* key, const char* fallback) {
  auto it = job.find(key);
  return it != job.end() && it->is_string() ? it->get<std::string>() : fallback;
}

uint64_t NumberField(const nlohmann::json& job, const char* key) {
  auto it = job.find(key);
  return it != job.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

int Run(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "--manifest") != 0) return kWorkerExitUsage;
  struct stat st {};
  if (::fstat(kWorkerInputFd, &st) != 0 || ::fstat(kWorkerResultFd, &st) != 0 || ::fstat(kWorkerJobFd, &st) != 0) {
    return kWorkerExitUsage;
  }
  // Anything else inherited by accident is closed before plugin code runs.
  ::syscall(SYS_close_range, kWorkerFirstUnusedFd, ~0U, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::signal(SIGPIPE, SIG_IGN);
  // RLIMIT_FSIZE is 0: a stray write to a regular file fails with EFBIG instead of killing the job.
  std::signal(SIGXFSZ, SIG_IGN);
  struct sigaction terminate {};
  terminate.sa_handler = OnTerminate;
  sigemptyset(&terminate.sa_mask);
  ::sigaction(SIGTERM, &terminate, nullptr);

  FrameWriter writer(kWorkerResultFd);
  g_writer = &writer;
  Result<nlohmann::json> job = ReadJobDescription();
  if (!job.ok()) StartFailed(writer, INTERDICT_INVALID_ARGUMENT, job.status().ToString());

  struct stat input {};
  ::fstat(kWorkerInputFd, &input);
  uint64_t input_size = S_ISREG(input.st_mode) ? static_cast<uint64_t>(input.st_size) : 0;
  std::string plugin_config = job->value(kJobKeyPluginConfig, nlohmann::json::object()).dump();
  PluginJobChannel channel(&writer, kWorkerInputFd, input_size,
                           job->value(kJobKeyParams, nlohmann::json::object()).dump(), &g_cancel_requested);

  Result<std::unique_ptr<LoadedPlugin>> plugin = LoadPlugin(argv[2], PluginHostApi());
  if (!plugin.ok()) {
    bool abi = plugin.status().code() == StatusCode::kPermissionDenied;
    StartFailed(writer, abi ? INTERDICT_ABI_MISMATCH : INTERDICT_INVALID_ARGUMENT, plugin.status().ToString());
  }
  const interdict_plugin& descriptor = (*plugin)->descriptor();
  void* state = nullptr;
  char error[kPluginEntryErrorCapacity] = {0};
  interdict_status created = descriptor.create(PluginHostApi(), plugin_config.c_str(), &state, error, sizeof(error));
  error[sizeof(error) - 1] = '\0';
  if (created != INTERDICT_OK) StartFailed(writer, created, std::string("create() failed: ") + error);

  WorkerLimits limits{NumberField(*job, kJobKeyAddressSpaceBytes), NumberField(*job, kJobKeyCpuSeconds),
                      NumberField(*job, kJobKeyOpenFiles)};
  Status locked = ApplyResourceLimits(limits);
  if (locked.ok()) locked = ApplySyscallFilter(SyscallProfileFor((*plugin)->manifest()), kWorkerResultFd);
  if (!locked.ok()) StartFailed(writer, INTERDICT_INTERNAL, "sandbox lockdown failed: " + locked.ToString());
  std::set_new_handler(OnAllocationFailure);

  std::string input_name = StringField(*job, kJobKeyInputName, "");
  std::string input_sha256 = StringField(*job, kJobKeyInputSha256, "");
  std::string media_type = StringField(*job, kJobKeyMediaType, "application/octet-stream");
  interdict_job job_struct{sizeof(interdict_job), channel.context(), input_name.c_str(), input_size,
                           input_sha256.c_str(),  media_type.c_str()};
  interdict_status status = descriptor.process(state, &job_struct);
  descriptor.destroy(state);
  if (!writer.WriteDone(status).ok()) return kWorkerExitPipeBroken;
  return kWorkerExitOk;
}

}  // namespace
}  // namespace interdict

#ifdef INTERDICT_SANITIZER_BUILD
// The worker's sanitizer settings (see sandbox_policy.h): fatal signals reach the host as they are (the
// sanitizer's own handler would try to symbolize by starting a process, which seccomp forbids), leak
// checking (which needs ptrace) is off, and a failed allocation stays a fatal "out of memory" report, which
// OnSanitizerReport recognises.
extern "C" __attribute__((visibility("default"))) const char* __asan_default_options() {
  return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:"
         "allocator_may_return_null=0:detect_leaks=0:symbolize=0";
}
#else
// glibc has had no allocation-failure hook since 2.34, and a C plugin that does not check malloc's result
// dies with SIGSEGV, which alone looks like any crash. The worker therefore interposes the allocation entry
// points (the executable's definitions win over libc's for every library, plugins included) and reports
// the first failure. Not in sanitizer builds: there the sanitizer owns malloc and reports failures itself.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);

__attribute__((visibility("default"))) void* malloc(size_t size) noexcept {
  void* pointer = __libc_malloc(size);
  if (pointer == nullptr && size != 0) interdict::ReportAllocationFailure();
  return pointer;
}

__attribute__((visibility("default"))) void* calloc(size_t count, size_t size) noexcept {
  void* pointer = __libc_calloc(count, size);
  if (pointer == nullptr && count != 0 && size != 0) interdict::ReportAllocationFailure();
  return pointer;
}

__attribute__((visibility("default"))) void* realloc(void* old, size_t size) noexcept {
  void* pointer = __libc_realloc(old, size);
  if (pointer == nullptr && size != 0) interdict::ReportAllocationFailure();
  return pointer;
}
}  // extern "C"
#endif

int main(int argc, char** argv) {
#ifdef INTERDICT_SANITIZER_BUILD
  __asan_set_error_report_callback(interdict::OnSanitizerReport);
#endif
  // _exit: no static destructors or atexit handlers run under the sandbox after the job.
  ::_exit(interdict::Run(argc, argv));
}
