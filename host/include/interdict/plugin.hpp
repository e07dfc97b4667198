// Header-only C++ wrapper over plugin_abi.h for plugin authors.
//
// A plugin writes a class with
//     static std::unique_ptr<MyPlugin> Create(const interdict::sdk::Host& host, std::string_view config_json,
//                                             std::string* error);
//     interdict_status Process(interdict::sdk::Job& job);
// and exports it with
//     INTERDICT_DEFINE_PLUGIN(MyPlugin, "org.example.my", "1.0.0", "what it does", "scan", "*", "");
//
// The wrapper converts every exception into INTERDICT_INTERNAL at the boundary (exceptions never cross the
// ABI), checks the ABI version rule, and gives typed helpers over the host's C function table.
#ifndef INTERDICT_PLUGIN_HPP_
#define INTERDICT_PLUGIN_HPP_

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "interdict/plugin_abi.h"

namespace interdict::sdk {

// The host's services, valid from entry until the library is unloaded.
class Host {
 public:
  explicit Host(const interdict_host_api* api) : api_(api) {}
  const interdict_host_api* api() const { return api_; }
  uint32_t abi_minor() const { return api_->abi_minor; }

 private:
  const interdict_host_api* api_;
};

// One job: typed access to its input and to the host's result channels.
class Job {
 public:
  Job(const interdict_host_api* api, const interdict_job* job) : api_(api), job_(job) {}

  std::string_view input_name() const { return job_->input_name; }
  uint64_t input_size() const { return job_->input_size; }
  std::string_view input_sha256() const { return job_->input_sha256; }
  std::string_view media_type() const { return job_->media_type; }
  std::string_view config_json() const { return api_->job_config(job_->ctx); }

  void Log(interdict_log_level level, const std::string& message) const {
    api_->log(job_->ctx, level, message.c_str());
  }
  void Progress(uint64_t done, uint64_t total) const { api_->progress(job_->ctx, done, total); }
  bool Cancelled() const { return api_->cancelled(job_->ctx) != 0; }

  // Reads up to `length` bytes at `offset`; returns the status and sets *got.
  interdict_status ReadAt(uint64_t offset, void* buffer, size_t length, size_t* got) const {
    return api_->read_input(job_->ctx, offset, buffer, length, got);
  }
  interdict_status EmitFinding(std::string_view json) const {
    return api_->emit_finding(job_->ctx, json.data(), json.size());
  }
  // Emits a whole in-memory artifact.
  interdict_status EmitArtifact(std::string_view meta_json, const void* data, size_t length) const {
    uint64_t handle = 0;
    interdict_status s = api_->begin_artifact(job_->ctx, meta_json.data(), meta_json.size(), &handle);
    if (s != INTERDICT_OK) return s;
    s = api_->write_artifact(job_->ctx, handle, data, length);
    interdict_status end = api_->end_artifact(job_->ctx, handle);
    return s != INTERDICT_OK ? s : end;
  }
  interdict_status BeginArtifact(std::string_view meta_json, uint64_t* handle) const {
    return api_->begin_artifact(job_->ctx, meta_json.data(), meta_json.size(), handle);
  }
  interdict_status WriteArtifact(uint64_t handle, const void* data, size_t length) const {
    return api_->write_artifact(job_->ctx, handle, data, length);
  }
  interdict_status EndArtifact(uint64_t handle) const { return api_->end_artifact(job_->ctx, handle); }

 private:
  const interdict_host_api* api_;
  const interdict_job* job_;
};

namespace detail {

inline void CopyError(char* err, size_t capacity, std::string_view message) {
  if (err == nullptr || capacity == 0) return;
  size_t n = message.size() < capacity - 1 ? message.size() : capacity - 1;
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

template <typename PluginClass>
struct Adapter {
  static inline const interdict_host_api* host = nullptr;

  static interdict_status Create(const interdict_host_api* api, const char* config_json, void** state,
                                 char* err, size_t err_capacity) {
    try {
      std::string error;
      std::unique_ptr<PluginClass> instance = PluginClass::Create(Host(api), config_json, &error);
      if (!instance) {
        CopyError(err, err_capacity, error.empty() ? "plugin refused its configuration" : error);
        return INTERDICT_INVALID_ARGUMENT;
      }
      *state = instance.release();
      return INTERDICT_OK;
    } catch (const std::exception& e) {
      CopyError(err, err_capacity, e.what());
    } catch (...) {
      CopyError(err, err_capacity, "unknown exception in create");
    }
    return INTERDICT_INTERNAL;
  }

  static interdict_status Process(void* state, const interdict_job* job) {
    Job wrapped(host, job);
    try {
      return static_cast<PluginClass*>(state)->Process(wrapped);
    } catch (const std::exception& e) {
      wrapped.Log(INTERDICT_LOG_ERROR, std::string("exception in process: ") + e.what());
    } catch (...) {
      wrapped.Log(INTERDICT_LOG_ERROR, "unknown exception in process");
    }
    return INTERDICT_INTERNAL;
  }

  static void Destroy(void* state) { delete static_cast<PluginClass*>(state); }
};

// A function rather than an inline comparison: with INTERDICT_ABI_MINOR at 0, `minor < 0` would trip
// -Wtype-limits in every plugin built with -Werror.
constexpr bool HostMinorSuffices(uint32_t host_minor, uint32_t needed_minor) { return host_minor >= needed_minor; }

// Applies the version rule from the plugin's side.
inline interdict_status CheckHostAbi(const interdict_host_api* api, char* err, size_t err_capacity) {
  if (api == nullptr || api->struct_size < sizeof(interdict_host_api) ||
      api->abi_major != INTERDICT_ABI_MAJOR || !HostMinorSuffices(api->abi_minor, INTERDICT_ABI_MINOR)) {
    char message[160];
    std::snprintf(message, sizeof(message), "plugin needs ABI %d.%d (major equal, minor at least); host offers %u.%u",
                  INTERDICT_ABI_MAJOR, INTERDICT_ABI_MINOR, api ? api->abi_major : 0u, api ? api->abi_minor : 0u);
    CopyError(err, err_capacity, message);
    return INTERDICT_ABI_MISMATCH;
  }
  return INTERDICT_OK;
}

}  // namespace detail
}  // namespace interdict::sdk

#define INTERDICT_DEFINE_PLUGIN(PluginClass, id_, version_, description_, kinds_, accepted_, needs_)          \
  extern "C" INTERDICT_EXPORT interdict_status interdict_plugin_entry(                                      \
      const interdict_host_api* host, const interdict_plugin** plugin, char* err, size_t err_capacity) {    \
    interdict_status abi = ::interdict::sdk::detail::CheckHostAbi(host, err, err_capacity);                 \
    if (abi != INTERDICT_OK) return abi;                                                                      \
    ::interdict::sdk::detail::Adapter<PluginClass>::host = host;                                             \
    static const interdict_plugin descriptor = {                                                             \
        sizeof(interdict_plugin), INTERDICT_ABI_MAJOR, INTERDICT_ABI_MINOR, id_, version_, description_,     \
        kinds_, accepted_, needs_, &::interdict::sdk::detail::Adapter<PluginClass>::Create,                  \
        &::interdict::sdk::detail::Adapter<PluginClass>::Process,                                            \
        &::interdict::sdk::detail::Adapter<PluginClass>::Destroy};                                           \
    *plugin = &descriptor;                                                                                   \
    return INTERDICT_OK;                                                                                     \
  }

#endif  // INTERDICT_PLUGIN_HPP_
