# HDF5 output tests (issue 4): round trip of every contract path, the shared contract
# checker, h5py reading run files and the index through its external links, atomicity.
set(SWEEP_HDF5_SCRATCH ${CMAKE_CURRENT_BINARY_DIR}/hdf5-scratch)

sweep_test_executable(test_hdf5_roundtrip test_hdf5_roundtrip.c)
target_link_libraries(test_hdf5_roundtrip PRIVATE sweep_lib)
add_test(NAME hdf5_roundtrip COMMAND test_hdf5_roundtrip ${SWEEP_HDF5_SCRATCH}/roundtrip)
set_tests_properties(hdf5_roundtrip PROPERTIES LABELS "unit;hdf5")

# A small sweep directory (engine-trained tiny runs of each cell, synthetic done/diverged/
# failed runs, an index with a pending run) shared by the script tests below.
sweep_test_executable(test_hdf5_fixture test_hdf5_fixture.c)
target_link_libraries(test_hdf5_fixture PRIVATE sweep_lib)
set(SWEEP_HDF5_FIXTURE ${SWEEP_HDF5_SCRATCH}/fixture)
add_test(NAME hdf5_fixture COMMAND test_hdf5_fixture ${SWEEP_HDF5_FIXTURE})
set_tests_properties(hdf5_fixture PROPERTIES LABELS "unit;hdf5" FIXTURES_SETUP hdf5_files)

add_test(NAME hdf5_contract_checker
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_checker.sh ${SWEEP_HDF5_FIXTURE}
                 ${CMAKE_CURRENT_SOURCE_DIR}/check-run-file.py)
set_tests_properties(hdf5_contract_checker PROPERTIES LABELS "unit;hdf5"
                     FIXTURES_REQUIRED hdf5_files SKIP_RETURN_CODE 77)

add_test(NAME hdf5_h5py
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_h5py.py ${SWEEP_HDF5_FIXTURE})
set_tests_properties(hdf5_h5py PROPERTIES LABELS "unit;hdf5"
                     FIXTURES_REQUIRED hdf5_files SKIP_RETURN_CODE 77)

# kill -9 at several moments of a sweep, then resume (needs the sweep executable).
if(TARGET sweep)
  add_test(NAME hdf5_kill9
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_kill9.sh $<TARGET_FILE:sweep>
                   ${SWEEP_TEST_DATA}/hdf5-kill9.yaml ${SWEEP_HDF5_SCRATCH}/kill9
                   ${CMAKE_CURRENT_SOURCE_DIR}/check-run-file.py
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_h5diff.py)
  set_tests_properties(hdf5_kill9 PROPERTIES LABELS "slow;hdf5" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()

# docs/hdf5-layout.md lists exactly the paths of record.c's table, with their shapes and dtypes.
sweep_test_executable(test_hdf5_docs test_hdf5_docs.c)
target_link_libraries(test_hdf5_docs PRIVATE sweep_engine)
add_test(NAME hdf5_docs COMMAND test_hdf5_docs ${PROJECT_SOURCE_DIR}/docs/hdf5-layout.md)
set_tests_properties(hdf5_docs PROPERTIES LABELS "unit;hdf5")

# The contract checker expects what the program records (`sweep help layout`).
if(TARGET sweep)
  add_test(NAME hdf5_layout_checker
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_layout.py $<TARGET_FILE:sweep>
                   ${CMAKE_CURRENT_SOURCE_DIR}/check-run-file.py)
  set_tests_properties(hdf5_layout_checker PROPERTIES LABELS "unit;hdf5" SKIP_RETURN_CODE 77)
endif()

# xarray (with h5netcdf) opens each group as docs/hdf5-layout.md shows, axes named.
if(TARGET sweep)
  add_test(NAME hdf5_xarray
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_xarray.py ${SWEEP_HDF5_FIXTURE}
                   $<TARGET_FILE:sweep> ${SWEEP_TEST_DATA}/regression-copy.yaml ${SWEEP_HDF5_SCRATCH}/xarray)
  set_tests_properties(hdf5_xarray PROPERTIES LABELS "unit;hdf5"
                       FIXTURES_REQUIRED hdf5_files SKIP_RETURN_CODE 77)
endif()

# Disk full and failing HDF5 calls: every write path (run files, index, manifest) and the
# reader, each HDF5 call and system call made to fail in turn (test_hdf5_faults.c says how).
sweep_test_executable(test_hdf5_faults test_hdf5_faults.c)
target_link_libraries(test_hdf5_faults PRIVATE sweep_lib ${CMAKE_DL_LIBS})
# It defines the H5DS functions it wraps: the HDF5 high-level library must stay linked
# (for dlsym) although the linker finds nothing else it needs there.
target_link_options(test_hdf5_faults PRIVATE "LINKER:--no-as-needed")
add_test(NAME hdf5_faults COMMAND test_hdf5_faults ${SWEEP_HDF5_SCRATCH}/faults)
set_tests_properties(hdf5_faults PROPERTIES LABELS "unit;hdf5;reliability")

# Damaged run files are named by summarize and index, moved aside and redone on resume;
# files from before the checksum still read. A sweep into a full tmpfs (root only, else
# skipped) ends cleanly and completes once there is room.
if(TARGET sweep)
  add_test(NAME hdf5_damaged COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_damaged.sh $<TARGET_FILE:sweep>)
  set_tests_properties(hdf5_damaged PROPERTIES LABELS "hdf5;reliability" SKIP_RETURN_CODE 77 TIMEOUT 300)
  add_test(NAME hdf5_disk_full COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_diskfull.sh $<TARGET_FILE:sweep>)
  set_tests_properties(hdf5_disk_full PROPERTIES LABELS "hdf5;reliability" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()

# A transformer run's weights load into PyTorch's modules and reproduce its probe outputs
# and attention weights (skipped without torch, which CI's runtime lacks).
if(TARGET sweep)
  add_test(NAME hdf5_torch_transformer
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_hdf5_torch_transformer.py
                   $<TARGET_FILE:sweep> ${SWEEP_TEST_DATA}/transformer-tiny.yaml ${SWEEP_HDF5_SCRATCH}/torch-transformer)
  set_tests_properties(hdf5_torch_transformer PROPERTIES LABELS "unit;hdf5" SKIP_RETURN_CODE 77)
endif()

# Benchmark, not a test: `build/tests/bench_runfile DIR [REPEATS]` prints the CPU time of
# writing and of verifying a reference-sized run file (synthetic values), without training.
sweep_test_executable(bench_runfile bench_runfile.c)
target_link_libraries(bench_runfile PRIVATE sweep_lib)
add_test(NAME bench_runfile_runs COMMAND bench_runfile ${SWEEP_HDF5_SCRATCH}/bench 2)
set_tests_properties(bench_runfile_runs PROPERTIES LABELS "bench;hdf5")

# h5chunk.c's Fletcher-32 equals HDF5's own (odd lengths), and its check of stored chunks
# passes HDF5's own chunks (edge chunks, deflated or not) and finds a flipped bit.
sweep_test_executable(test_hdf5_chunks test_hdf5_chunks.c)
target_link_libraries(test_hdf5_chunks PRIVATE sweep_io)
add_test(NAME hdf5_chunks COMMAND test_hdf5_chunks ${SWEEP_HDF5_SCRATCH}/chunks)
set_tests_properties(hdf5_chunks PROPERTIES LABELS "unit;hdf5")

# The version strings the run files' root attributes carry, asked for by eight threads at once
# (the sweep's threads write run files concurrently); also in the ThreadSanitizer pass.
sweep_test_executable(test_version_threads test_version_threads.c)
target_link_libraries(test_version_threads PRIVATE sweep_io OpenMP::OpenMP_C)
add_test(NAME version_threads COMMAND test_version_threads)
set_tests_properties(version_threads PROPERTIES LABELS "unit;hdf5")
