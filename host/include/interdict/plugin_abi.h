/*
 * interdict plugin ABI: the only host header a plugin includes.
 *
 * Contract
 *  - A plugin is a shared library exporting exactly one symbol, `interdict_plugin_entry`. The host calls it
 *    once with its own function table; the plugin returns a pointer to its descriptor, which must stay valid
 *    until the library is unloaded.
 *  - Every struct starts with `struct_size`. Structs only ever grow at the end: a reader must check
 *    `struct_size` before touching a field added in a later minor version.
 *  - Version rule: a plugin built for ABI major M runs on a host of major M whose minor is >= the plugin's
 *    minor. Anything else is refused, by both sides, with a message naming both versions.
 *  - Only C types cross: no C++ objects, no ownership transfer, no exceptions. Strings are UTF-8 and
 *    NUL-terminated unless a length is given. Memory the host hands over is only valid during the call;
 *    memory the plugin hands over (descriptor strings) lives as long as the library.
 *  - Threading: `create`, `process` and `destroy` are called from one thread. Host functions may be called
 *    from any thread of the plugin while `process` runs; they are thread-safe.
 *  - The host runs `process` in a sandboxed worker process by default. A plugin must not rely on network,
 *    exec, or writing files: it returns results through `emit_finding` and `begin/write/end_artifact`.
 */
#ifndef INTERDICT_PLUGIN_ABI_H_
#define INTERDICT_PLUGIN_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INTERDICT_ABI_MAJOR 1
#define INTERDICT_ABI_MINOR 0

#define INTERDICT_ENTRY_SYMBOL "interdict_plugin_entry"

#if defined(__GNUC__)
#define INTERDICT_EXPORT __attribute__((visibility("default")))
#else
#define INTERDICT_EXPORT
#endif

/* Status codes, stable numbers. CORRUPT_INPUT is "the evidence is malformed, record it and carry on"
 * (The Sleuth Kit's TSK_COR); INTERNAL is "the tool is broken, stop" (TSK_ERR). */
typedef enum interdict_status {
  INTERDICT_OK = 0,
  INTERDICT_CORRUPT_INPUT = 1,
  INTERDICT_UNSUPPORTED = 2,
  INTERDICT_IO_ERROR = 3,
  INTERDICT_INTERNAL = 4,
  INTERDICT_CANCELLED = 5,
  INTERDICT_LIMIT_EXCEEDED = 6,
  INTERDICT_TIMEOUT = 7,
  INTERDICT_INVALID_ARGUMENT = 8,
  INTERDICT_ABI_MISMATCH = 9
} interdict_status;

typedef enum interdict_log_level {
  INTERDICT_LOG_DEBUG = 0,
  INTERDICT_LOG_INFO = 1,
  INTERDICT_LOG_WARNING = 2,
  INTERDICT_LOG_ERROR = 3
} interdict_log_level;

/* Opaque per-job context owned by the host. */
typedef struct interdict_job_context interdict_job_context;

/* Host services, handed to the plugin at entry. APPEND-ONLY. */
typedef struct interdict_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* host_version; /* e.g. "0.1.0" */

  void (*log)(interdict_job_context* ctx, interdict_log_level level, const char* utf8_message);
  /* Progress doubles as the heartbeat: call it at least every few seconds. total = 0 if unknown. */
  void (*progress)(interdict_job_context* ctx, uint64_t done, uint64_t total);
  /* Non-zero once the host wants the job to stop; return INTERDICT_CANCELLED soon after. */
  int (*cancelled)(interdict_job_context* ctx);
  /* Reads the job's input at an absolute offset. *got < length only at end of input. */
  interdict_status (*read_input)(interdict_job_context* ctx, uint64_t offset, void* buffer, size_t length,
                                 size_t* got);
  /* One finding as a JSON object (UTF-8, `length` bytes). The host validates and copies it. */
  interdict_status (*emit_finding)(interdict_job_context* ctx, const char* json, size_t length);
  /* Artifacts (extracted files, thumbnails, images) are streamed: begin with a JSON object describing
   * it ({"name":..., "media_type":..., "location":...}), write the bytes, end. The host hashes them. */
  interdict_status (*begin_artifact)(interdict_job_context* ctx, const char* meta_json, size_t meta_length,
                                     uint64_t* artifact_handle);
  interdict_status (*write_artifact)(interdict_job_context* ctx, uint64_t artifact_handle, const void* data,
                                     size_t length);
  interdict_status (*end_artifact)(interdict_job_context* ctx, uint64_t artifact_handle);
  /* The job's parameters as a JSON object (never NULL; "{}" when none). Valid during `process`. */
  const char* (*job_config)(interdict_job_context* ctx);
} interdict_host_api;

/* One unit of work. APPEND-ONLY. */
typedef struct interdict_job {
  uint32_t struct_size;
  interdict_job_context* ctx;
  const char* input_name;   /* display name or virtual path of the input, never NULL */
  uint64_t input_size;      /* bytes readable through read_input; 0 for jobs without input */
  const char* input_sha256; /* hex, or "" if unknown */
  const char* media_type;   /* sniffed by the host, e.g. "application/octet-stream", "model/stl" */
} interdict_job;

/* What the plugin is. APPEND-ONLY. */
typedef struct interdict_plugin {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  const char* id;              /* reverse-DNS, e.g. "org.interdict.firmware_scan" */
  const char* version;         /* semver; major changes when the output schema changes */
  const char* description;
  const char* kinds;           /* comma-separated: "scan", "match", "acquire", ... */
  const char* accepted_inputs; /* comma-separated media types, "*" for any */
  const char* needs;           /* comma-separated capabilities beyond the default sandbox, "" for none */

  /* Called once per worker before the sandbox is locked down: load rules, templates, allocate.
   * config_json is the plugin's configuration (never NULL). On failure, write a message into err. */
  interdict_status (*create)(const interdict_host_api* host, const char* config_json, void** state, char* err,
                             size_t err_capacity);
  /* Runs one job. Everything it finds goes through the host API. */
  interdict_status (*process)(void* state, const interdict_job* job);
  void (*destroy)(void* state);
} interdict_plugin;

/* The one exported symbol. Returns INTERDICT_ABI_MISMATCH (and a message in err) if the plugin cannot
 * run on this host's ABI version. */
typedef interdict_status (*interdict_plugin_entry_fn)(const interdict_host_api* host,
                                                      const interdict_plugin** plugin, char* err,
                                                      size_t err_capacity);

#ifdef __cplusplus
}
#endif

#endif /* INTERDICT_PLUGIN_ABI_H_ */
