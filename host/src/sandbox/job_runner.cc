#include "sandbox/job_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "plugins/plugin_loader.h"
#include "plugins/plugin_manifest.h"
#include "sandbox/frame.h"
#include "sandbox/plugin_host_api.h"
#include "sandbox/result_collector.h"
#include "sandbox/worker_protocol.h"

extern char** environ;

namespace interdict {
namespace {

using Clock = std::chrono::steady_clock;

// How often the host looks at cancellation and deadlines while a job is quiet.
constexpr std::chrono::milliseconds kPollInterval{100};
constexpr size_t kPipeReadBytes = 256 * 1024;
// Descriptors handed to the worker are first moved above this, so the dup2s onto 3..5 cannot collide.
constexpr int kSpawnFdFloor = 100;
constexpr uint64_t kBytesPerMb = 1024 * 1024;

// Why the host itself ended the job, if it did.
enum class HostAction { kNone, kTimeout, kCancel, kProtocolError };

struct JobEnd {
  HostAction action = HostAction::kNone;
  std::string protocol_error;
  bool signaled = false;
  int signal_number = 0;
  bool exited = false;
  int exit_code = 0;
};

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string SignalName(int signal_number) {
  const char* abbrev = ::sigabbrev_np(signal_number);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal_number);
}

uint64_t Lower(uint64_t current, uint64_t manifest_value) {
  return manifest_value != 0 && manifest_value < current ? manifest_value : current;
}

// The caller's limits, lowered where the plugin's manifest asks for less.
ResourceLimits EffectiveLimits(const ResourceLimits& requested, const PluginLimits& manifest) {
  ResourceLimits limits = requested;
  limits.wall_timeout = std::chrono::seconds(Lower(requested.wall_timeout.count(), manifest.timeout_s));
  limits.address_space_bytes = Lower(requested.address_space_bytes, manifest.address_space_mb * kBytesPerMb);
  limits.cpu_seconds = Lower(requested.cpu_seconds, manifest.cpu_s);
  limits.open_files = Lower(requested.open_files, manifest.open_files);
  return limits;
}

JobOutcome Classify(const JobEnd& end, const ResultCollector& collector, const ResourceLimits& limits) {
  JobOutcome outcome;
  auto set = [&](JobTermination termination, std::string message) {
    outcome.termination = termination;
    outcome.message = std::move(message);
  };
  bool completed_ok = collector.done_status() && *collector.done_status() == INTERDICT_OK;
  if (end.signaled) outcome.signal_number = end.signal_number;
  if (end.action == HostAction::kCancel) {
    set(JobTermination::kCancelled, "cancelled by the host");
  } else if (end.action == HostAction::kTimeout) {
    set(JobTermination::kTimedOut, "timed out after " + std::to_string(limits.wall_timeout.count()) + " s");
  } else if (end.action == HostAction::kProtocolError) {
    set(JobTermination::kProtocolError, "protocol error: " + end.protocol_error);
  } else if (collector.start_failed()) {
    set(JobTermination::kStartFailed, collector.start_failure_reason());
    outcome.plugin_status = collector.start_failure_status();
  } else if (collector.allocation_failed() && !completed_ok) {
    set(JobTermination::kMemoryLimit,
        "ran out of memory under its address-space limit of " +
            std::to_string(limits.address_space_bytes / kBytesPerMb) + " MiB" +
            (end.signaled ? " (then killed by " + SignalName(end.signal_number) + ")" : ""));
  } else if (end.signaled && end.signal_number == SIGSYS) {
    set(JobTermination::kSeccompViolation, "killed by SIGSYS: made a system call the sandbox forbids");
  } else if (end.signaled && end.signal_number == SIGXCPU) {
    set(JobTermination::kCpuLimit,
        "killed by SIGXCPU: used its CPU limit of " + std::to_string(limits.cpu_seconds) + " s");
  } else if (end.signaled) {
    set(JobTermination::kCrashed, "killed by " + SignalName(end.signal_number));
  } else if (collector.done_status()) {
    outcome.plugin_status = *collector.done_status();
    set(JobTermination::kCompleted,
        completed_ok ? "completed" : "completed with plugin status " + std::to_string(outcome.plugin_status));
  } else if (end.exited) {
    set(JobTermination::kProtocolError,
        "protocol error: worker exited with code " + std::to_string(end.exit_code) + " without reporting a result");
  } else {
    set(JobTermination::kProtocolError, "protocol error: the plugin ended without reporting a result");
  }
  outcome.findings = collector.findings();
  outcome.artifacts = collector.artifacts();
  return outcome;
}

Result<Fd> WriteJobDescription(const JobSpec& spec, const ResourceLimits& limits) {
  nlohmann::json job = {{kJobKeyInputName, spec.input_name},
                        {kJobKeyInputSha256, spec.input_sha256},
                        {kJobKeyMediaType, spec.media_type},
                        {kJobKeyPluginConfig, spec.plugin_config},
                        {kJobKeyParams, spec.params},
                        {kJobKeyAddressSpaceBytes, limits.address_space_bytes},
                        {kJobKeyCpuSeconds, limits.cpu_seconds},
                        {kJobKeyOpenFiles, limits.open_files}};
  std::string text = job.dump();
  if (text.size() > kMaxJobDescriptionBytes) return Status::InvalidArgument("job parameters are too large");
  Fd fd(::memfd_create("interdict-job", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd.get() < 0) return Status::Internal(std::string("memfd_create: ") + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t wrote = ::write(fd.get(), text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return Status::Internal(std::string("writing the job description: ") + std::strerror(errno));
    done += static_cast<size_t>(wrote);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  return fd;
}

Result<Fd> DupHigh(int fd) {
  Fd high(::fcntl(fd, F_DUPFD_CLOEXEC, kSpawnFdFloor));
  if (high.get() < 0) return Status::Internal(std::string("fcntl(F_DUPFD_CLOEXEC): ") + std::strerror(errno));
  return high;
}

// Starts the worker with input, result pipe and job description on fds 3, 4, 5; stdout goes to stderr so a
// plugin cannot corrupt the host's machine-readable output.
Result<pid_t> SpawnWorker(const std::filesystem::path& worker, const std::filesystem::path& manifest, int input_fd,
                          int result_fd, int job_fd) {
  INTERDICT_ASSIGN_OR_RETURN(Fd input, DupHigh(input_fd));
  INTERDICT_ASSIGN_OR_RETURN(Fd result, DupHigh(result_fd));
  INTERDICT_ASSIGN_OR_RETURN(Fd job, DupHigh(job_fd));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, input.get(), kWorkerInputFd);
  posix_spawn_file_actions_adddup2(&actions, result.get(), kWorkerResultFd);
  posix_spawn_file_actions_adddup2(&actions, job.get(), kWorkerJobFd);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t default_signals;
  sigfillset(&default_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  // Its own process group: a Ctrl-C at the terminal reaches the host, which then decides.
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::string worker_path = worker.string();
  std::string manifest_path = manifest.string();
  char* argv[] = {worker_path.data(), const_cast<char*>("--manifest"), manifest_path.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, worker_path.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) return Status::Internal("cannot start " + worker_path + ": " + std::strerror(rc));
  return pid;
}

class DeadlineKeeper {
 public:
  DeadlineKeeper(const JobEvents& events, const ResourceLimits& limits)
      : events_(events), limits_(limits), deadline_(Clock::now() + limits.wall_timeout) {}

  // Returns true the first time the job should be asked to stop (timeout or cancellation).
  bool ShouldStop(JobEnd* end) {
    if (end->action != HostAction::kNone) return false;
    if (events_.should_cancel && events_.should_cancel()) {
      end->action = HostAction::kCancel;
    } else if (Clock::now() >= deadline_) {
      end->action = HostAction::kTimeout;
    } else {
      return false;
    }
    kill_at_ = Clock::now() + limits_.terminate_grace;
    return true;
  }
  bool GraceExpired() const { return kill_at_ && Clock::now() >= *kill_at_; }
  int PollTimeoutMs() const {
    auto until = std::min(deadline_, kill_at_.value_or(deadline_)) - Clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until).count();
    return static_cast<int>(std::clamp<int64_t>(ms, 0, kPollInterval.count()));
  }

 private:
  const JobEvents& events_;
  const ResourceLimits& limits_;
  Clock::time_point deadline_;
  std::optional<Clock::time_point> kill_at_;
};

// Reads whatever is available; false at end of stream. Protocol violations are recorded in `end`.
bool DrainPipe(int fd, ResultCollector& collector, JobEnd* end, Status* host_error) {
  char buffer[kPipeReadBytes];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno == EAGAIN;
    if (got == 0) return false;
    if (end->action == HostAction::kProtocolError) continue;  // discard the rest
    Status consumed = collector.Consume(buffer, static_cast<size_t>(got));
    if (consumed.ok()) continue;
    if (consumed.code() == StatusCode::kIoError) {
      *host_error = consumed;
    } else if (end->action == HostAction::kNone) {
      end->protocol_error = consumed.message();
    }
    end->action = HostAction::kProtocolError;
  }
}

void RecordEndOfStream(ResultCollector& collector, JobEnd* end) {
  Status finished = collector.Finish();
  if (!finished.ok() && end->action == HostAction::kNone) {
    end->action = HostAction::kProtocolError;
    end->protocol_error = finished.message();
  }
}

Result<JobOutcome> RunInWorker(const JobSpec& spec, const PluginManifest& manifest, const ResourceLimits& limits,
                               int input_fd, const JobEvents& events) {
  INTERDICT_ASSIGN_OR_RETURN(std::filesystem::path worker, FindWorkerExecutable());
  INTERDICT_ASSIGN_OR_RETURN(Fd job_fd, WriteJobDescription(spec, limits));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0)
    return Status::Internal(std::string("pipe2: ") + std::strerror(errno));
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);
  // The worker's end must block: it writes frames with plain writev.
  ::fcntl(write_end.get(), F_SETFL, 0);
  INTERDICT_ASSIGN_OR_RETURN(pid_t pid,
                             SpawnWorker(worker, manifest.manifest_path, input_fd, write_end.get(), job_fd.get()));
  write_end.Reset();
  job_fd.Reset();
  Fd pid_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pid_fd.get() < 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return Status::Internal(std::string("pidfd_open: ") + std::strerror(errno));
  }

  ResultCollector collector(events, spec.artifact_dir);
  JobEnd end;
  Status host_error;
  DeadlineKeeper deadlines(events, limits);
  bool stream_open = true;
  bool killed = false;
  for (;;) {
    pollfd fds[2] = {{stream_open ? read_end.get() : -1, POLLIN, 0}, {pid_fd.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, deadlines.PollTimeoutMs());
    if (ready < 0 && errno != EINTR) {
      host_error = Status::Internal(std::string("poll: ") + std::strerror(errno));
      break;
    }
    if (stream_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      stream_open = DrainPipe(read_end.get(), collector, &end, &host_error);
      if (!stream_open) RecordEndOfStream(collector, &end);
    }
    if (fds[1].revents & POLLIN) {
      // Exited: whatever it wrote is in the pipe, and nobody else holds the write end.
      if (stream_open && !DrainPipe(read_end.get(), collector, &end, &host_error)) RecordEndOfStream(collector, &end);
      break;
    }
    if (!killed && (end.action == HostAction::kProtocolError || !host_error.ok())) {
      ::kill(pid, SIGKILL);
      killed = true;
    } else if (deadlines.ShouldStop(&end)) {
      ::kill(pid, SIGTERM);
    } else if (!killed && deadlines.GraceExpired()) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!host_error.ok()) return host_error;
  end.signaled = WIFSIGNALED(wait_status);
  end.signal_number = end.signaled ? WTERMSIG(wait_status) : 0;
  end.exited = WIFEXITED(wait_status);
  end.exit_code = end.exited ? WEXITSTATUS(wait_status) : 0;
  return Classify(end, collector, limits);
}

// Debugging mode: the same plugin, host API and frame validation, on a thread of this process. A crash takes
// the host down and a timeout can only ask the plugin to stop; that is why it is never the default.
Result<JobOutcome> RunInProcess(const JobSpec& spec, const ResourceLimits& limits, int input_fd,
                                const JobEvents& events) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::Internal(std::string("pipe2: ") + std::strerror(errno));
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  struct stat input {};
  ::fstat(input_fd, &input);
  uint64_t input_size = S_ISREG(input.st_mode) ? static_cast<uint64_t>(input.st_size) : 0;

  FrameWriter writer(write_end.get());
  std::atomic<bool> cancel{false};
  PluginJobChannel channel(&writer, input_fd, input_size, spec.params.dump(), &cancel);
  std::string plugin_config = spec.plugin_config.dump();
  std::thread plugin_thread([&] {
    // The host may stop reading after a protocol error: writes must then fail, not raise SIGPIPE.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    Result<std::unique_ptr<LoadedPlugin>> plugin = LoadPlugin(spec.plugin_manifest, PluginHostApi());
    if (!plugin.ok()) {
      bool abi = plugin.status().code() == StatusCode::kPermissionDenied;
      (void)writer.WriteStartFailed(abi ? INTERDICT_ABI_MISMATCH : INTERDICT_INVALID_ARGUMENT,
                                    plugin.status().ToString());
    } else {
      const interdict_plugin& descriptor = (*plugin)->descriptor();
      void* state = nullptr;
      char error[kPluginEntryErrorCapacity] = {0};
      interdict_status created =
          descriptor.create(PluginHostApi(), plugin_config.c_str(), &state, error, sizeof(error));
      error[sizeof(error) - 1] = '\0';
      if (created != INTERDICT_OK) {
        (void)writer.WriteStartFailed(created, std::string("create() failed: ") + error);
      } else {
        interdict_job job{sizeof(interdict_job),     channel.context(),      spec.input_name.c_str(), input_size,
                          spec.input_sha256.c_str(), spec.media_type.c_str()};
        interdict_status status = descriptor.process(state, &job);
        descriptor.destroy(state);
        (void)writer.WriteDone(status);
      }
    }
    write_end.Reset();
  });

  ResultCollector collector(events, spec.artifact_dir);
  JobEnd end;
  Status host_error;
  DeadlineKeeper deadlines(events, limits);
  bool stream_open = true;
  while (stream_open) {
    pollfd fds[1] = {{read_end.get(), POLLIN, 0}};
    ::poll(fds, 1, deadlines.PollTimeoutMs());
    stream_open = DrainPipe(read_end.get(), collector, &end, &host_error);
    if (!stream_open) RecordEndOfStream(collector, &end);
    if (end.action == HostAction::kProtocolError || !host_error.ok() || deadlines.ShouldStop(&end)) cancel = true;
  }
  plugin_thread.join();
  if (!host_error.ok()) return host_error;
  return Classify(end, collector, limits);
}

}  // namespace

std::string_view JobTerminationName(JobTermination termination) {
  switch (termination) {
    case JobTermination::kCompleted:
      return "completed";
    case JobTermination::kCrashed:
      return "crashed";
    case JobTermination::kTimedOut:
      return "timed-out";
    case JobTermination::kMemoryLimit:
      return "memory-limit";
    case JobTermination::kCpuLimit:
      return "cpu-limit";
    case JobTermination::kSeccompViolation:
      return "seccomp-violation";
    case JobTermination::kProtocolError:
      return "protocol-error";
    case JobTermination::kStartFailed:
      return "start-failed";
    case JobTermination::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

Result<std::filesystem::path> FindWorkerExecutable() {
  if (const char* env = std::getenv(kWorkerEnvVariable); env != nullptr && *env != '\0') {
    if (::access(env, X_OK) != 0)
      return Status::NotFound(std::string("$") + kWorkerEnvVariable + "=" + env + " is not executable");
    return std::filesystem::path(env);
  }
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path beside = self.parent_path() / kWorkerExecutableName;
  if (ec || ::access(beside.c_str(), X_OK) != 0) {
    return Status::NotFound(std::string(kWorkerExecutableName) + " not found beside " + self.string() + "; set $" +
                            kWorkerEnvVariable);
  }
  return beside;
}

Result<JobOutcome> RunJob(const JobSpec& spec, const JobEvents& events) {
  Clock::time_point started = Clock::now();
  Result<PluginManifest> manifest = ReadPluginManifest(spec.plugin_manifest);
  if (!manifest.ok()) {
    JobOutcome outcome;
    outcome.termination = JobTermination::kStartFailed;
    outcome.message = manifest.status().ToString();
    return outcome;
  }
  ResourceLimits limits = EffectiveLimits(spec.limits, manifest->limits);
  std::filesystem::path input_path = spec.input_path.empty() ? std::filesystem::path("/dev/null") : spec.input_path;
  Fd input(::open(input_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (input.get() < 0) return Status::IoError("cannot open input " + input_path.string() + ": " + std::strerror(errno));

  Result<JobOutcome> outcome = spec.in_process ? RunInProcess(spec, limits, input.get(), events)
                                               : RunInWorker(spec, *manifest, limits, input.get(), events);
  if (outcome.ok()) {
    outcome->plugin_id = manifest->id;
    outcome->plugin_version = manifest->version;
    outcome->wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  }
  return outcome;
}

}  // namespace interdict
