# Early stopping (stop:): the rules of src/plan/stopping.c against hand-computed cases, and whole
# sweeps that stop runs: the same files and decisions for -j 1, -j 2, shards and MPI ranks,
# and after kill -9 and a rerun.
sweep_test_executable(test_stop_rules test_stop_rules.c)
target_link_libraries(test_stop_rules PRIVATE sweep_lib)
add_test(NAME stop_rules COMMAND test_stop_rules)
set_tests_properties(stop_rules PROPERTIES LABELS "unit;sweep")

if(TARGET sweep)
  if(MPI_C_FOUND)
    set(_stop_mpi_built 1)
  else()
    set(_stop_mpi_built 0)
  endif()
  foreach(mode files kill9 signal)
    add_test(NAME sweep_stop_${mode} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_stop.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_stop_${mode} PROPERTIES LABELS "unit;sweep" TIMEOUT 300)
  endforeach()
  add_test(NAME sweep_stop_mpi COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_stop.sh $<TARGET_FILE:sweep> mpi ${_stop_mpi_built})
  set_tests_properties(sweep_stop_mpi PROPERTIES LABELS "mpi" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
