// Deliberately bad plugins for the sandbox tests. One source, built once per MISBEHAVIOUR (see
// tests/runtime/CMakeLists.txt); each does its one bad thing in process() and nothing else harmful: the
// "allocate" plugin touches a single byte of its allocation, so a broken sandbox cannot take the machine's
// memory, and the "exec" plugin's command only prints.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "interdict/plugin.hpp"

#define MISBEHAVIOUR_NONE 0
#define MISBEHAVIOUR_SEGFAULT 1
#define MISBEHAVIOUR_INFINITE_LOOP 2
#define MISBEHAVIOUR_ALLOCATE_10GB 3
#define MISBEHAVIOUR_OPEN_SOCKET 4
#define MISBEHAVIOUR_EXEC_SHELL 5
#define MISBEHAVIOUR_MALLOC_10GB_UNCHECKED 6
#define MISBEHAVIOUR_UNIX_SOCKET 7
#define MISBEHAVIOUR_OPEN_FILE 8

#ifndef MISBEHAVIOUR
#error "MISBEHAVIOUR must be defined"
#endif
#ifndef TEST_PLUGIN_ID
#error "TEST_PLUGIN_ID must be defined"
#endif

namespace {

constexpr uint64_t kTenGigabytes = 10ull << 30;
[[maybe_unused]] constexpr size_t kPageBytes = 4096;

class MisbehavingPlugin {
 public:
  static std::unique_ptr<MisbehavingPlugin> Create(const interdict::sdk::Host&, std::string_view, std::string*) {
    return std::make_unique<MisbehavingPlugin>();
  }

  interdict_status Process(interdict::sdk::Job& job) {
    job.Log(INTERDICT_LOG_INFO, "about to misbehave");
#if MISBEHAVIOUR == MISBEHAVIOUR_SEGFAULT
    // A write to a page with no access: a real SIGSEGV (not a null dereference, which UBSan would report).
    void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *static_cast<volatile int*>(page) = 1;
#elif MISBEHAVIOUR == MISBEHAVIOUR_INFINITE_LOOP
    // Ignores cancelled() on purpose.
    volatile uint64_t spins = 0;
    for (;;) spins = spins + 1;
#elif MISBEHAVIOUR == MISBEHAVIOUR_ALLOCATE_10GB
    std::unique_ptr<uint8_t[]> block(new uint8_t[kTenGigabytes]);
    block[0] = 1;
    job.Log(INTERDICT_LOG_ERROR, "allocated 10 GB: the address-space limit did not hold");
#elif MISBEHAVIOUR == MISBEHAVIOUR_MALLOC_10GB_UNCHECKED
    // Like C code that never checks malloc's result: the write lands near address 0 and faults.
    volatile char* block = static_cast<char*>(std::malloc(kTenGigabytes));
    block[kPageBytes] = 1;
    std::free(const_cast<char*>(block));
    job.Log(INTERDICT_LOG_ERROR, "allocated 10 GB: the address-space limit did not hold");
#elif MISBEHAVIOUR == MISBEHAVIOUR_UNIX_SOCKET
    // What umockdev and udev need: allowed for "usb" plugins only.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    job.Log(INTERDICT_LOG_INFO, fd >= 0 ? "unix socket opened" : "unix socket refused");
    if (fd >= 0) close(fd);
#elif MISBEHAVIOUR == MISBEHAVIOUR_OPEN_FILE
    int fd = open("/etc/passwd", O_RDONLY);
    int error = errno;
    job.Log(INTERDICT_LOG_INFO,
            fd >= 0 ? std::string("opened /etc/passwd") : std::string("open failed: ") + std::strerror(error));
    if (fd >= 0) close(fd);
#elif MISBEHAVIOUR == MISBEHAVIOUR_OPEN_SOCKET
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    job.Log(INTERDICT_LOG_ERROR, "opened a network socket: fd " + std::to_string(fd));
#elif MISBEHAVIOUR == MISBEHAVIOUR_EXEC_SHELL
    execl("/bin/sh", "sh", "-c", "echo escaped the sandbox", static_cast<char*>(nullptr));
    job.Log(INTERDICT_LOG_ERROR, "execl returned");
#endif
    (void)kTenGigabytes;
    std::string summary = std::string("ran to the end: ") + TEST_PLUGIN_ID;
    return job.EmitFinding(R"({"kind":"test-ran","severity":"info","location":"","summary":")" + summary + "\"}");
  }
};

}  // namespace

INTERDICT_DEFINE_PLUGIN(MisbehavingPlugin, TEST_PLUGIN_ID, "1.0.0", "deliberately bad test plugin", "scan",
                        "application/x-interdict-test", "")
