# Beyond one process: MPI ranks sharing a sweep, job-array shards, rebuilding
# the index. The MPI test is skipped (status 77) when sweep was built without MPI or
# mpirun is missing; the shard and index tests need no MPI.
if(TARGET sweep)
  if(MPI_C_FOUND)
    set(_sweep_mpi_built 1)
  else()
    set(_sweep_mpi_built 0)
  endif()
  add_test(NAME mpi_ranks COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_mpi.sh $<TARGET_FILE:sweep> mpi ${_sweep_mpi_built})
  set_tests_properties(mpi_ranks PROPERTIES LABELS "mpi" SKIP_RETURN_CODE 77 TIMEOUT 180)
  add_test(NAME mpi_shard COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_mpi.sh $<TARGET_FILE:sweep> shard)
  set_tests_properties(mpi_shard PROPERTIES LABELS "unit;sweep;mpi" TIMEOUT 120)
  add_test(NAME mpi_index COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_mpi.sh $<TARGET_FILE:sweep> index)
  set_tests_properties(mpi_index PROPERTIES LABELS "unit;sweep;mpi" TIMEOUT 120)
endif()
