# Sampled searches (search:, space:): the points and distributions of src/plan/sample.c, sweep
# files expanded into sampled runs, and the command line on a small search.
sweep_test_executable(test_sweep_sample test_sweep_sample.c)
target_link_libraries(test_sweep_sample PRIVATE sweep_lib)
add_test(NAME sweep_sample COMMAND test_sweep_sample)
set_tests_properties(sweep_sample PROPERTIES LABELS "unit;sweep")

sweep_test_executable(test_sweep_search test_sweep_search.c)
target_link_libraries(test_sweep_search PRIVATE sweep_lib)
add_test(NAME sweep_search COMMAND test_sweep_search)
set_tests_properties(sweep_search PROPERTIES LABELS "unit;sweep")

if(TARGET sweep)
  add_test(NAME sweep_search_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_search.sh $<TARGET_FILE:sweep>)
  set_tests_properties(sweep_search_cli PROPERTIES LABELS "unit;sweep" TIMEOUT 120)
endif()

# TPE (src/tpe.c): hand-computed cases, and (python3-optuna installed) Optuna's own
# estimator on the same observations.
sweep_test_executable(test_sweep_tpe test_sweep_tpe.c)
target_link_libraries(test_sweep_tpe PRIVATE sweep_lib)
add_test(NAME sweep_tpe COMMAND test_sweep_tpe)
set_tests_properties(sweep_tpe PROPERTIES LABELS "unit;sweep")
add_test(NAME sweep_tpe_optuna
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_tpe_optuna.py $<TARGET_FILE:test_sweep_tpe>)
set_tests_properties(sweep_tpe_optuna PROPERTIES LABELS "unit;sweep" SKIP_RETURN_CODE 77
                     ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)

# Benchmark, not a test: how long TPE takes to propose a round after 10, 100 and 1,000
# points (`cmake --build build --target bench_tpe`; bench_search.py sets it against a
# round's training time).
sweep_test_executable(bench_tpe bench_tpe.c)
target_link_libraries(bench_tpe PRIVATE sweep_lib)
add_test(NAME bench_tpe_runs COMMAND bench_tpe --points 50 --repeats 1)
set_tests_properties(bench_tpe_runs PROPERTIES LABELS "bench" PASS_REGULAR_EXPRESSION " +50 +[0-9.]+ +[0-9.]+")

# A tpe search end to end (tests/data/tpe-small.yaml): the same files and /search for -j 1,
# -j 2, shards, kill -9 + resume and MPI ranks, with and without stop: sha.
if(TARGET sweep)
  if(MPI_C_FOUND)
    set(_tpe_mpi_built 1)
  else()
    set(_tpe_mpi_built 0)
  endif()
  foreach(mode files shards kill9 signal)
    add_test(NAME sweep_tpe_${mode} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_tpe.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_tpe_${mode} PROPERTIES LABELS "unit;sweep" TIMEOUT 300)
  endforeach()
  add_test(NAME sweep_tpe_mpi COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_tpe.sh $<TARGET_FILE:sweep> mpi ${_tpe_mpi_built})
  set_tests_properties(sweep_tpe_mpi PROPERTIES LABELS "mpi" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()

# Population-based training (src/plan/pbt.c): decisions against hand-worked populations.
sweep_test_executable(test_sweep_pbt test_sweep_pbt.c)
target_link_libraries(test_sweep_pbt PRIVATE sweep_lib)
add_test(NAME sweep_pbt COMMAND test_sweep_pbt)
set_tests_properties(sweep_pbt PROPERTIES LABELS "unit;sweep")

# A pbt search end to end (tests/data/pbt-small.yaml): exploits carry the donor's state; the
# same files for -j 1, -j 2, shards, kill -9 + resume and MPI ranks; bad settings refused.
if(TARGET sweep)
  foreach(mode files shards kill9 eta errors)
    add_test(NAME sweep_pbt_${mode} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_pbt.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_pbt_${mode} PROPERTIES LABELS "unit;sweep" TIMEOUT 300)
  endforeach()
  # per-epoch tables and sweep replay (tests/test_sweep_replay.sh)
  foreach(mode replay tables errors)
    add_test(NAME sweep_replay_${mode} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_replay.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_replay_${mode} PROPERTIES LABELS "unit;sweep" TIMEOUT 300)
  endforeach()
  add_test(NAME sweep_pbt_mpi COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_pbt.sh $<TARGET_FILE:sweep> mpi ${_tpe_mpi_built})
  set_tests_properties(sweep_pbt_mpi PROPERTIES LABELS "mpi" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
