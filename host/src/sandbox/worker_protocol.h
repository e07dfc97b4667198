// How the host starts an interdict-worker: which descriptors it finds where, the job description it reads,
// and what its exit codes mean. Shared by job_runner.cc (host) and worker_main.cc (worker) only.
//
//   interdict-worker --manifest <plugin.json>
//   fd 3: the job's input, opened read-only by the host (/dev/null for jobs without input)
//   fd 4: the result pipe (frames, see frame.h)
//   fd 5: a sealed memfd holding the job description as JSON (kJobKey* below)
#ifndef INTERDICT_SANDBOX_WORKER_PROTOCOL_H_
#define INTERDICT_SANDBOX_WORKER_PROTOCOL_H_

#include <cstdint>
#include <filesystem>

#include "core/status.h"

namespace interdict {

inline constexpr int kWorkerInputFd = 3;
inline constexpr int kWorkerResultFd = 4;
inline constexpr int kWorkerJobFd = 5;
inline constexpr int kWorkerFirstUnusedFd = 6;
inline constexpr uint64_t kMaxJobDescriptionBytes = 4 * 1024 * 1024;

inline constexpr char kJobKeyInputName[] = "input_name";
inline constexpr char kJobKeyInputSha256[] = "input_sha256";
inline constexpr char kJobKeyMediaType[] = "media_type";
inline constexpr char kJobKeyPluginConfig[] = "plugin_config";
inline constexpr char kJobKeyParams[] = "params";
inline constexpr char kJobKeyAddressSpaceBytes[] = "address_space_bytes";
inline constexpr char kJobKeyCpuSeconds[] = "cpu_seconds";
inline constexpr char kJobKeyOpenFiles[] = "open_files";

enum WorkerExitCode : int {
  kWorkerExitOk = 0,            // reported kDone (or kStartFailed) and exited
  kWorkerExitUsage = 64,        // bad command line or descriptors
  kWorkerExitStartFailed = 65,  // reported kStartFailed
  kWorkerExitPipeBroken = 66,   // the host went away
};

inline constexpr char kWorkerExecutableName[] = "interdict-worker";
inline constexpr char kWorkerEnvVariable[] = "INTERDICT_WORKER";

// $INTERDICT_WORKER if set, else interdict-worker beside the running executable. kNotFound otherwise.
Result<std::filesystem::path> FindWorkerExecutable();

}  // namespace interdict

#endif  // INTERDICT_SANDBOX_WORKER_PROTOCOL_H_
