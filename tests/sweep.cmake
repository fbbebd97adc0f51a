# Sweep orchestrator tests: sweep files into runs, the command line's errors,
# thread-count independence, resume, Ctrl-C, divergence.
sweep_test_executable(test_sweep_spec test_sweep_spec.c)
target_link_libraries(test_sweep_spec PRIVATE sweep_lib)
add_test(NAME sweep_spec COMMAND test_sweep_spec)
set_tests_properties(sweep_spec PROPERTIES LABELS "unit;sweep")

# The command line, end to end (tiny configs: seconds each).
if(TARGET sweep)
  add_test(NAME sweep_errors COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_errors.sh $<TARGET_FILE:sweep>)
  set_tests_properties(sweep_errors PROPERTIES LABELS "unit;sweep")
  foreach(mode cli threads resume changed interrupt diverged compress estimate)
    add_test(NAME sweep_${mode}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_run.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_${mode} PROPERTIES LABELS "unit;sweep" TIMEOUT 120)
  endforeach()
endif()

# sweep sample on a small character model (determinism by seed, --prime, temperature 0, bad
# input), and text and permuted-pixel sweeps identical on one and two threads per run.
add_test(NAME sweep_text_sample
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_text_sample.py $<TARGET_FILE:sweep>
                 ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_h5diff.py ${CMAKE_CURRENT_BINARY_DIR}/sweep-scratch/text-sample)
set_tests_properties(sweep_text_sample PROPERTIES LABELS "unit;sweep" ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")

# Watching a sweep while it runs (tests/test_sweep_live.sh): `sweep status`, the live report
# of --report and record.report (one for all the rounds of a tpe search), `sweep report --watch`,
# and the report's file cache.
# Python with h5py, numpy, matplotlib for the report (exit 77 without).
if(TARGET sweep)
  foreach(mode status report watch cache rounds)
    add_test(NAME sweep_live_${mode}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_live.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_live_${mode} PROPERTIES LABELS "unit;sweep;analysis" TIMEOUT 300
                         SKIP_RETURN_CODE 77 ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)
  endforeach()
endif()
