# HDF5 output tests (issue 4): round trip of every contract path, the shared contract
# checker, h5py reading run files and the index through its external links, atomicity.
set(SWEEP_HDF5_SCRATCH ${CMAKE_CURRENT_BINARY_DIR}/hdf5-scratch)

sweep_test_executable(test_hdf5_roundtrip test_hdf5_roundtrip.c)
target_link_libraries(test_hdf5_roundtrip PRIVATE sweep_lib)
add_test(NAME hdf5_roundtrip COMMAND test_hdf5_roundtrip ${SWEEP_HDF5_SCRATCH}/roundtrip)
set_tests_properties(hdf5_roundtrip PROPERTIES LABELS "unit;hdf5")
