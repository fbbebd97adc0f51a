# Summarizer tests (issue 5): every aggregated number recomputed from /history with h5py,
# CSV through Python's csv module, failed and diverged runs, text/markdown layout, options.
sweep_test_executable(test_summary_cli test_summary_cli.c)
target_link_libraries(test_summary_cli PRIVATE sweep_lib)

# On the HDF5 fixture (engine-trained tiny runs plus synthetic done/diverged/failed runs).
add_test(NAME summary_fixture
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary.py
                 $<TARGET_FILE:test_summary_cli> ${SWEEP_HDF5_FIXTURE} all-statuses)
set_tests_properties(summary_fixture PROPERTIES LABELS "unit;summary"
                     FIXTURES_REQUIRED hdf5_files SKIP_RETURN_CODE 77)

# On a small real sweep run by the sweep executable, summarized through `sweep summarize`.
if(TARGET sweep)
  set(SWEEP_SUMMARY_DIR ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/tiny)
  add_test(NAME summary_real_sweep_run
           COMMAND ${CMAKE_COMMAND} -E env OMP_NUM_THREADS=2
                   $<TARGET_FILE:sweep> ${SWEEP_TEST_DATA}/summary-tiny.yaml -o ${SWEEP_SUMMARY_DIR}
                   --force --quiet)
  set_tests_properties(summary_real_sweep_run PROPERTIES LABELS "unit;summary"
                       FIXTURES_SETUP summary_sweep)
  add_test(NAME summary_real_sweep
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary.py
                   "$<TARGET_FILE:sweep> summarize" ${SWEEP_SUMMARY_DIR})
  set_tests_properties(summary_real_sweep PROPERTIES LABELS "unit;summary"
                       FIXTURES_REQUIRED summary_sweep SKIP_RETURN_CODE 77)
endif()
