# Shared build functions. One place decides how a plugin, a test and a fuzz target are built.

# interdict_add_plugin(TARGET MANIFEST_TEMPLATE <file> SOURCES ... LIBS ...)
# Builds a loadable plugin module into ${INTERDICT_PLUGIN_DIR}/<TARGET>/ and, after every build, writes
# plugin.json beside it from MANIFEST_TEMPLATE with @PLUGIN_LIBRARY@ and @PLUGIN_SHA256@ filled in, so the
# manifest always names the exact bytes that were built.
function(interdict_add_plugin target)
  cmake_parse_arguments(P "" "MANIFEST_TEMPLATE" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE interdict_plugin_sdk ${P_LIBS})
  set(out_dir ${INTERDICT_PLUGIN_DIR}/${target})
  set_target_properties(${target} PROPERTIES PREFIX "" LIBRARY_OUTPUT_DIRECTORY ${out_dir})
  # Refuse undefined symbols at link time: a plugin that needs a host symbol is an ABI violation.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DLIBRARY=$<TARGET_FILE:${target}> -DTEMPLATE=${P_MANIFEST_TEMPLATE}
            -DOUTPUT=${out_dir}/plugin.json -DABI_HEADER=${CMAKE_SOURCE_DIR}/host/include/interdict/plugin_abi.h
            -P ${CMAKE_SOURCE_DIR}/cmake/WritePluginManifest.cmake
    VERBATIM)
endfunction()

# interdict_add_test(NAME SOURCES ... LIBS ... [LABELS ...] [TIMEOUT s])
# One GoogleTest executable; each TEST becomes its own ctest entry.
function(interdict_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main GTest::gmock ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    INTERDICT_SOURCE_DIR="${CMAKE_SOURCE_DIR}" INTERDICT_BINARY_DIR="${CMAKE_BINARY_DIR}"
    INTERDICT_PLUGIN_DIR="${INTERDICT_PLUGIN_DIR}" INTERDICT_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared")
  # CMake 3.25's gtest_discover_tests re-splits every list in PROPERTIES, however it is escaped, so the labels
  # travel as one comma-joined label; `ctest -L REGEX` matches a regex against it, so `-L unit` and
  # `-L integration` both still select a test labelled "unit,integration".
  string(REPLACE ";" "," labels "${T_LABELS}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${labels}")
endfunction()

# interdict_add_fuzzer(NAME SOURCES ... LIBS ...)
# With INTERDICT_FUZZ (clang): a libFuzzer binary. Without it: a replay driver that runs the same
# LLVMFuzzerTestOneInput over the seed corpus in tests/fuzz/corpus/NAME, registered as a test, so
# every fuzz target is exercised by `make test` even when nobody is fuzzing.
function(interdict_add_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  if(INTERDICT_FUZZ)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.cc)
    add_test(NAME fuzz_replay.${name}
             COMMAND ${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS "fuzz" TIMEOUT 300)
  endif()
endfunction()
