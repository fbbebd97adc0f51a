# Summarizer tests: every aggregated number recomputed from /history with h5py, CSV through
# Python's csv module, failed and diverged runs, text/markdown layout, options; runs selected
# by their loss (adding) and tasks with a baseline loss (copy, adding), alone and mixed.
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

  # The same six runs on the adding problem (selected by the lowest test MSE; a larger step
  # size and six epochs so the best epoch is not always the last) and on the copy task (T=10:
  # 30 steps; accuracy, with a baseline loss). input_size 0 takes the task's own.
  foreach(kind adding copy)
    set(dir ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/${kind})
    set(extra)
    if(kind STREQUAL "adding")
      set(extra --set train.epochs=6 --set train.lr=0.03)
    endif()
    add_test(NAME summary_${kind}_sweep_run
             COMMAND ${CMAKE_COMMAND} -E env OMP_NUM_THREADS=2
                     $<TARGET_FILE:sweep> ${SWEEP_TEST_DATA}/summary-tiny.yaml -o ${dir} --force --quiet
                     --set task.kind=${kind} --set task.input_size=0 ${extra})
    set_tests_properties(summary_${kind}_sweep_run PROPERTIES LABELS "unit;summary"
                         FIXTURES_SETUP summary_${kind})
    add_test(NAME summary_${kind}_sweep
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary.py
                     "$<TARGET_FILE:sweep> summarize" ${dir})
    set_tests_properties(summary_${kind}_sweep PROPERTIES LABELS "unit;summary"
                         FIXTURES_REQUIRED summary_${kind} SKIP_RETURN_CODE 77)
  endforeach()

  # Runs of several sweeps (T=10 and T=20 linked into one directory, two directories, the
  # same name or not) are never averaged together; metric columns stay when every row has
  # the same value; short keys in --by and --sort; --top, the params column, --legend.
  add_test(NAME summary_sweeps
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary_sweeps.py $<TARGET_FILE:sweep>
                   ${SWEEP_TEST_DATA}/summary-tiny.yaml ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/sweeps)
  set_tests_properties(summary_sweeps PROPERTIES LABELS "unit;summary" SKIP_RETURN_CODE 77
                       ENVIRONMENT OMP_NUM_THREADS=2)

  # --pareto METRIC,COST: a hand-checked frontier on real files (their numbers set by h5py),
  # the params frontier recomputed from the files, bad names refused.
  add_test(NAME summary_pareto
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary_pareto.py $<TARGET_FILE:sweep>
                   ${SWEEP_TEST_DATA}/summary-tiny.yaml ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/pareto)
  set_tests_properties(summary_pareto PROPERTIES LABELS "unit;summary" SKIP_RETURN_CODE 77)

  # The three sweeps' files in one directory: a row per task, each with its metric's columns.
  add_test(NAME summary_mixed_tasks
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary.py
                   "$<TARGET_FILE:sweep> summarize" --mixed ${SWEEP_SUMMARY_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/adding
                   ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/copy)
  set_tests_properties(summary_mixed_tasks PROPERTIES LABELS "unit;summary"
                       FIXTURES_REQUIRED "summary_sweep;summary_adding;summary_copy" SKIP_RETURN_CODE 77)
endif()

# An early-stopping search with a validation set (tests/test_summary_fixture.c: 9 synthetic
# runs, 8 stopped at rungs, sweep.h5 with /decisions): the val columns, the stopped counts
# and statistics, "stopped at E/N" rows and the per-rung account, recomputed with h5py.
sweep_test_executable(test_summary_fixture test_summary_fixture.c)
target_link_libraries(test_summary_fixture PRIVATE sweep_lib)
set(SWEEP_SUMMARY_SEARCH ${CMAKE_CURRENT_BINARY_DIR}/summary-scratch/search)
add_test(NAME summary_search_fixture COMMAND test_summary_fixture ${SWEEP_SUMMARY_SEARCH})
set_tests_properties(summary_search_fixture PROPERTIES LABELS "unit;summary" FIXTURES_SETUP summary_search)
add_test(NAME summary_search
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary.py
                 $<TARGET_FILE:test_summary_cli> ${SWEEP_SUMMARY_SEARCH} early-stopping)
set_tests_properties(summary_search PROPERTIES LABELS "unit;summary"
                     FIXTURES_REQUIRED summary_search SKIP_RETURN_CODE 77)
