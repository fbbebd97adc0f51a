# Summarizer tests (issue 5): every aggregated number recomputed from /history with h5py,
# CSV through Python's csv module, failed and diverged runs, text/markdown layout, options.
sweep_test_executable(test_summary_cli test_summary_cli.c)
target_link_libraries(test_summary_cli PRIVATE sweep_lib)

# On the HDF5 fixture (engine-trained tiny runs plus synthetic done/diverged/failed runs).
add_test(NAME summary_fixture
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_summary.py
                 $<TARGET_FILE:test_summary_cli> ${SWEEP_HDF5_FIXTURE})
set_tests_properties(summary_fixture PROPERTIES LABELS "unit;summary"
                     FIXTURES_REQUIRED hdf5_files SKIP_RETURN_CODE 77)
