// LeakSanitizer suppression for libewf 20140813, for the test and fuzz binaries that feed it damaged E01s:
// on some read errors libewf_handle_read_buffer drops the chunk buffer that libewf_chunk_data_initialize
// allocated (one chunk, 32-64 KiB, per failed read), inside libewf where we cannot free it. The sandboxed
// worker runs one process per job, so in production the loss is bounded by the job. Include this header
// in exactly one source file of a binary: it defines LSan's documented hook.
#ifndef INTERDICT_TESTS_FIRMWARE_SCAN_FUZZ_LIBEWF_LSAN_H_
#define INTERDICT_TESTS_FIRMWARE_SCAN_FUZZ_LIBEWF_LSAN_H_

// Default visibility: the project builds with -fvisibility=hidden, and GCC's shared ASan runtime finds the
// hook only through the executable's dynamic symbol table (clang's static runtime finds it either way).
extern "C" __attribute__((visibility("default"), used)) const char* __lsan_default_suppressions();
extern "C" __attribute__((visibility("default"), used)) const char* __lsan_default_suppressions() {
  return "leak:libewf_chunk_data_initialize\n";
}

#endif  // INTERDICT_TESTS_FIRMWARE_SCAN_FUZZ_LIBEWF_LSAN_H_
