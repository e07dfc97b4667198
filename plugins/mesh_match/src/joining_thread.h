// A std::thread that joins when it goes out of scope, so an exception on the starting thread never destroys
// a running thread (which would terminate the process). Starting is optional: if the system cannot give a
// thread, Start() returns false and the caller does the work itself. Used by the describe and weld paths,
// whose results never depend on whether the helper ran (see described_body.h, stl_reader.h).
#ifndef INTERDICT_MESH_MATCH_JOINING_THREAD_H_
#define INTERDICT_MESH_MATCH_JOINING_THREAD_H_

#include <algorithm>
#include <system_error>
#include <thread>
#include <utility>

#include "mesh_limits.h"

namespace interdict::mesh {

// The default thread count of the parallel stages: min(hardware threads, kMaxDescribeThreads), at least 1.
inline int DefaultWorkerThreads() {
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kMaxDescribeThreads);
}

class JoiningThread {
 public:
  JoiningThread() = default;
  JoiningThread(const JoiningThread&) = delete;
  JoiningThread& operator=(const JoiningThread&) = delete;
  ~JoiningThread() { Join(); }

  template <typename Work>
  bool Start(Work&& work) {
    try {
      thread_ = std::thread(std::forward<Work>(work));
      return true;
    } catch (const std::system_error&) {
      return false;  // resource limits: no thread to be had
    }
  }
  bool running() const { return thread_.joinable(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// Calls work(i) for every i < count: the odd i on a helper thread when parallel is true and a thread can be had,
// the even ones here; all of them here otherwise. work must be safe to run for two different i at once, and the
// caller's result must not depend on which thread ran which i (each i writes only its own slot).
template <typename Work>
void ForEachIndex(size_t count, bool parallel, Work&& work) {
  JoiningThread helper;
  const bool helped = parallel && count > 1 && helper.Start([&] {
    for (size_t i = 1; i < count; i += 2) work(i);
  });
  for (size_t i = 0; i < count; i += helped ? 2 : 1) work(i);
}

}  // namespace interdict::mesh

#endif  // INTERDICT_MESH_MATCH_JOINING_THREAD_H_
