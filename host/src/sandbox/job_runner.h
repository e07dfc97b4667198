// Runs one job of one plugin, by default in a sandboxed `interdict-worker` process.
//
// The host never parses evidence: it opens the input read-only, hands the descriptor to a fresh worker,
// and reads results back as length-prefixed frames, validating each one. The worker verifies the plugin's
// manifest and SHA-256, dlopens it, calls create(), then locks itself down (rlimits, no_new_privs, seccomp
// allowlist: no network sockets, no exec) and calls process(). The host enforces the wall-clock timeout
// (SIGTERM, then SIGKILL) and reports how the job ended.
//
// RunJob is thread-safe: callers may run several jobs at once from different threads.
// In-process mode (JobSpec::in_process) calls the same plugin code in this process, for debugging only.
#ifndef INTERDICT_SANDBOX_JOB_RUNNER_H_
#define INTERDICT_SANDBOX_JOB_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/status.h"

namespace interdict {

// Defaults; a plugin's manifest may lower them, a caller may override them.
inline constexpr std::chrono::seconds kDefaultJobWallTimeout{600};
inline constexpr uint64_t kDefaultJobAddressSpaceBytes = 4ull << 30;  // 4 GiB
inline constexpr uint64_t kDefaultJobCpuSeconds = 1200;
inline constexpr uint64_t kDefaultJobOpenFiles = 64;
inline constexpr std::chrono::seconds kJobTerminateGrace{5};  // SIGTERM -> SIGKILL
// Frames larger than this end the job as a protocol error (a hostile or broken plugin).
inline constexpr uint32_t kMaxFrameBytes = 16u << 20;
// A finding larger than this is refused.
inline constexpr uint32_t kMaxFindingBytes = 1u << 20;

struct ResourceLimits {
  std::chrono::seconds wall_timeout = kDefaultJobWallTimeout;
  uint64_t address_space_bytes = kDefaultJobAddressSpaceBytes;
  uint64_t cpu_seconds = kDefaultJobCpuSeconds;
  uint64_t open_files = kDefaultJobOpenFiles;
  // SIGTERM -> SIGKILL delay after a timeout or cancellation.
  std::chrono::milliseconds terminate_grace = kJobTerminateGrace;
};

struct JobSpec {
  std::filesystem::path plugin_manifest;  // path of plugin.json
  std::filesystem::path input_path;       // opened read-only by the host; empty for jobs without input
  std::string input_name;                 // display name / virtual path ("handset.img > ext4:/a.zip")
  std::string input_sha256;               // if known
  std::string media_type = "application/octet-stream";
  nlohmann::json plugin_config = nlohmann::json::object();  // passed to create()
  nlohmann::json params = nlohmann::json::object();         // passed to process() via job_config()
  ResourceLimits limits;
  bool in_process = false;  // debugging only; never the default for evidence
  std::filesystem::path artifact_dir;  // where artifacts are streamed to; empty: the system temp folder
};

// An artifact streamed out by the plugin, already written to a host-owned temporary file and hashed.
struct ProducedArtifact {
  nlohmann::json meta;            // as given by the plugin: name, media_type, location, ...
  std::filesystem::path temp_path;  // the callee may move it; it is deleted afterwards otherwise
  uint64_t size = 0;
  std::string sha256;
};

// Host-side callbacks, called on the caller's thread while RunJob runs.
struct JobEvents {
  std::function<void(LogLevel level, const std::string& message)> on_log;
  std::function<void(uint64_t done, uint64_t total)> on_progress;
  // Return a non-OK status to refuse the finding (it is then recorded as a protocol error).
  std::function<Status(const nlohmann::json& finding)> on_finding;
  std::function<Status(ProducedArtifact& artifact)> on_artifact;
  // Polled; returning true asks the plugin to stop (cancelled() turns non-zero), then terminates it.
  std::function<bool()> should_cancel;
};

enum class JobTermination {
  kCompleted,          // process() returned; see plugin_status
  kCrashed,            // killed by a signal (see signal_number)
  kTimedOut,           // wall-clock timeout, killed by the host
  kMemoryLimit,        // address-space limit hit (allocation failure / SIGSEGV on OOM path / std::bad_alloc)
  kCpuLimit,           // RLIMIT_CPU (SIGXCPU)
  kSeccompViolation,   // SIGSYS: a forbidden system call (socket, exec, ...)
  kProtocolError,      // malformed or oversized frames, or the pipe closed early
  kStartFailed,        // manifest, checksum, dlopen, ABI or create() failed
  kCancelled,          // asked to stop
};

std::string_view JobTerminationName(JobTermination termination);  // "completed", "crashed", ...

struct JobOutcome {
  JobTermination termination = JobTermination::kCompleted;
  int plugin_status = 0;   // interdict_status returned by process(), when kCompleted
  int signal_number = 0;   // when kCrashed / kSeccompViolation / kCpuLimit
  std::string message;     // human-readable reason ("killed by SIGSEGV", "timed out after 5 s", ...)
  uint64_t findings = 0;
  uint64_t artifacts = 0;
  double wall_seconds = 0;
  std::string plugin_id;
  std::string plugin_version;
};

// Runs the job. Returns a non-OK Status only when the host itself failed (cannot fork, cannot open the
// input); everything the plugin does wrong is described by the JobOutcome.
Result<JobOutcome> RunJob(const JobSpec& spec, const JobEvents& events);

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_JOB_RUNNER_H_
