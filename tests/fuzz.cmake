# Fuzz targets (tests/fuzz/): the sweep-file parser, the run-file reader and the index reader.
# Every build replays the committed corpus tests/fuzz/<target>/ through each target once
# (label fuzz; in the sanitized build, under ASan and UBSan), with replay.c's main, so no
# clang is needed. With SWEEP_FUZZ (clang) the libFuzzer programs fuzz_<target> are built
# too; tests/fuzz/run.sh builds and runs them.
set(SWEEP_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
foreach(t sweepspec run_file index)
  set(_src ${SWEEP_FUZZ_DIR}/fuzz_${t}.c ${SWEEP_FUZZ_DIR}/fuzz_common.c)
  if(NOT t STREQUAL "sweepspec")
    list(APPEND _src ${SWEEP_FUZZ_DIR}/h5recipe.c ${SWEEP_FUZZ_DIR}/fuzz_runs.c)
  endif()
  sweep_test_executable(fuzz_${t}_replay ${_src} ${SWEEP_FUZZ_DIR}/replay.c)
  target_link_libraries(fuzz_${t}_replay PRIVATE sweep_lib)
  add_test(NAME fuzz_${t} COMMAND fuzz_${t}_replay ${SWEEP_FUZZ_DIR}/${t})
  set_tests_properties(fuzz_${t} PROPERTIES LABELS "unit;fuzz")
  if(SWEEP_FUZZ)
    sweep_test_executable(fuzz_${t} ${_src})
    target_link_libraries(fuzz_${t} PRIVATE sweep_lib)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()
