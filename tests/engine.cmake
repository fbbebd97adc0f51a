# Engine tests: PyTorch reference vectors (the 2-class head, and the other heads, relu,
# RMSprop and AdamW), finite differences, initialisation, the task generators,
# determinism, the seed protocol's accuracy, and the benchmark.

# NAME_FLAVOUR from the sources, linked with the engine of that flavour (f64: double, f32:
# the product's float engine).
function(sweep_engine_test_executable name flavour)
  sweep_test_executable(${name}_${flavour} ${ARGN})
  if(flavour STREQUAL "f64")
    target_link_libraries(${name}_${flavour} PRIVATE sweep_engine_f64)
  else()
    target_link_libraries(${name}_${flavour} PRIVATE sweep_engine)
  endif()
endfunction()

foreach(flavour f64 f32)
  sweep_engine_test_executable(test_engine_reference ${flavour} test_engine_reference.c)
  target_include_directories(test_engine_reference_${flavour} SYSTEM PRIVATE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(test_engine_reference_${flavour} PRIVATE ${HDF5_C_LIBRARIES})
  add_test(NAME engine_reference_${flavour}
           COMMAND test_engine_reference_${flavour} ${SWEEP_TEST_DATA}/torch-vectors.h5)
  set_tests_properties(engine_reference_${flavour} PROPERTIES LABELS "unit;engine")
endforeach()

sweep_test_executable(test_engine_gradcheck test_engine_gradcheck.c)
target_link_libraries(test_engine_gradcheck PRIVATE sweep_engine_f64)
add_test(NAME engine_gradcheck COMMAND test_engine_gradcheck)
set_tests_properties(engine_gradcheck PROPERTIES LABELS "unit;engine")

sweep_test_executable(test_engine_kernels test_engine_kernels.c)
target_link_libraries(test_engine_kernels PRIVATE sweep_engine)
if(SWEEP_KERNEL_DISPATCH)
  target_compile_definitions(test_engine_kernels PRIVATE SWEEP_KERNEL_DISPATCH)
endif()
add_test(NAME engine_kernels COMMAND test_engine_kernels)
set_tests_properties(engine_kernels PROPERTIES LABELS "unit;engine")

sweep_test_executable(test_base_alloc test_base_alloc.c)
target_link_libraries(test_base_alloc PRIVATE sweep_base)
add_test(NAME base_alloc COMMAND test_base_alloc)
set_tests_properties(base_alloc PROPERTIES LABELS "unit;engine")

foreach(flavour f64 f32)
  sweep_engine_test_executable(test_engine_work ${flavour} test_engine_work.c)
  add_test(NAME engine_work_${flavour} COMMAND test_engine_work_${flavour})
  set_tests_properties(engine_work_${flavour} PROPERTIES LABELS "unit;engine")
endforeach()

sweep_test_executable(test_engine_rng test_engine_rng.c)
target_link_libraries(test_engine_rng PRIVATE sweep_engine)
add_test(NAME engine_rng COMMAND test_engine_rng)
set_tests_properties(engine_rng PROPERTIES LABELS "unit;engine")

sweep_test_executable(test_engine_backward_forms test_engine_backward_forms.c)
target_link_libraries(test_engine_backward_forms PRIVATE sweep_engine)
add_test(NAME engine_backward_forms COMMAND test_engine_backward_forms)
set_tests_properties(engine_backward_forms PROPERTIES LABELS "unit;engine")

sweep_test_executable(test_engine_determinism test_engine_determinism.c)
target_link_libraries(test_engine_determinism PRIVATE sweep_engine OpenMP::OpenMP_C)
add_test(NAME engine_determinism COMMAND test_engine_determinism)
set_tests_properties(engine_determinism PROPERTIES LABELS "unit;engine")

# Benchmark, not a test: `cmake --build build --target bench` prints the measured FMA
# peak, seconds and GFLOP/s of reference runs, of training steps per cell and size
# (H = 64..512, T = 20..500) on one and two threads, of the steps' matrix products alone,
# and of the transformer's matrix products kind by kind (d = 64..512, T = 20..500), each
# as a share of that peak.
sweep_test_executable(bench_engine bench_engine.c)
target_link_libraries(bench_engine PRIVATE sweep_engine)
add_custom_target(bench COMMAND bench_engine 3 DEPENDS bench_engine USES_TERMINAL
                  COMMENT "Engine benchmark (about 12 minutes)")
# ... and that it keeps working: one size's steps and the products alone, one pass (their
# figures mean nothing here; the regular expressions want a row of each table). Their
# timeouts allow a machine under load: 25 s alone took over 120 s at a load of 20.
add_test(NAME bench_engine_runs COMMAND bench_engine --size rnn:64:20 1)
set_tests_properties(bench_engine_runs PROPERTIES LABELS "bench" TIMEOUT 900
                     PASS_REGULAR_EXPRESSION "rnn +64 +20 +[0-9.]+ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9]+%")
add_test(NAME bench_engine_kernels_runs COMMAND bench_engine --kernels --quick 1)
set_tests_properties(bench_engine_kernels_runs PROPERTIES LABELS "bench" TIMEOUT 900
                     PASS_REGULAR_EXPRESSION "4 +256 weight grad +3200 +256 +1024 +100 +[0-9.]+ +[0-9]+%")

# Benchmark, not a test: `cmake --build build --target bench_goals` prints the speed goals
# (README, "Speed") as shares of the FMA peak measured in the same run: the training steps at
# H = 64, the reference run as a whole process, the vanishing study on two threads, and the
# AVX-512 kernels against the AVX2 ones at every size where the CPU has AVX-512 (about 20
# minutes; tests/bench_goals.py --help for its parts, --rounds N for medians over N rounds).
add_custom_target(bench_goals
                  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_goals.py --build ${CMAKE_BINARY_DIR} --isa
                  DEPENDS sweep bench_engine USES_TERMINAL COMMENT "Speed goals against the measured peak")
# ... and that it keeps working: one step size, one repeat, the reference run as the study,
# two rounds and their medians (the medians' line comes after both rounds' tables).
add_test(NAME bench_goals_runs
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_goals.py --build ${CMAKE_BINARY_DIR} --repeats 1
                 --steps rnn:64:20 --study ${SWEEP_CONFIGS}/reference.yaml --rounds 2)
set_tests_properties(bench_goals_runs PROPERTIES LABELS "bench" TIMEOUT 900
                     PASS_REGULAR_EXPRESSION "study reference.yaml -j 2, wall time +[0-9.]+ GFLOP [0-9]+ s +[0-9]+% +50% .*Across 2 rounds.*study reference.yaml -j 2, wall time +[0-9]+% +[0-9]+% +[0-9]+% +50% +(yes|no) +[0-2] of 2")

# Benchmark, not a test: `cmake --build build --target bench_scaling` runs one whole `sweep`
# per cell (rnn, lstm, gru, transformer at ~13,300 parameters each) and length T = 20..2000
# on one thread and prints seconds per epoch, peak memory and the fitted exponents of both
# against T (the README's table; about 8 minutes, most of it the transformer at T = 2000).
add_custom_target(bench_scaling
                  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_scaling.py --sweep $<TARGET_FILE:sweep>
                          --figure ${CMAKE_BINARY_DIR}/scaling.png
                  DEPENDS sweep USES_TERMINAL COMMENT "Speed and memory against T, per cell (about 8 minutes)")
# ... and that it keeps working (two lengths, every cell; its times mean nothing here), and
# that the memory estimate is at least every peak, rnn H=512 T=100's included (exit 1). At
# the longer length the training work is most of a run's memory (the recurrent cells' at
# T=1000 some 60 MiB, the 20 MiB the estimate allows the process twice over), so an
# estimate that missed part of it falls below the peak
add_test(NAME bench_scaling_runs
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_scaling.py --sweep $<TARGET_FILE:sweep>
                 --lengths 20,1000 --cells rnn,lstm,gru --h512)
add_test(NAME bench_scaling_transformer
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_scaling.py --sweep $<TARGET_FILE:sweep>
                 --lengths 20,300 --cells transformer)
set_tests_properties(bench_scaling_runs bench_scaling_transformer PROPERTIES LABELS "bench" TIMEOUT 600)

# Benchmark, not a test: `cmake --build build --target bench_pixels` runs Fashion-MNIST pixel by
# pixel (T = 784) for the four cells of configs/pixel-fashion.yaml, each on one thread and on
# two, and prints seconds per epoch, the two-thread speed-up, and peak memory against the
# --dry-run estimate (README, "Pixel by pixel"; about 10 minutes on an idle machine).
add_custom_target(bench_pixels
                  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_pixels.py --sweep $<TARGET_FILE:sweep>
                  DEPENDS sweep USES_TERMINAL COMMENT "Speed and memory at T = 784, per cell, 1 and 2 threads")
# ... and that it keeps working (one cell, 64 images; its figures mean nothing here)
add_test(NAME bench_pixels_runs
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/bench_pixels.py --sweep $<TARGET_FILE:sweep>
                 --train 64 --cells gru)
set_tests_properties(bench_pixels_runs PROPERTIES LABELS "bench" SKIP_RETURN_CODE 77
                     PASS_REGULAR_EXPRESSION "gru +10482 +2 +[0-9.]+ +[0-9.]+ +[0-9]+s +[0-9.]+x")

sweep_test_executable(test_engine_regression test_engine_regression.c)
target_link_libraries(test_engine_regression PRIVATE sweep_lib)
add_test(NAME engine_regression COMMAND test_engine_regression ${SWEEP_CONFIGS}/reference.yaml)
set_tests_properties(engine_regression PROPERTIES LABELS "regression;engine")

sweep_test_executable(test_engine_vanishing test_engine_vanishing.c)
target_link_libraries(test_engine_vanishing PRIVATE sweep_lib)
add_test(NAME engine_vanishing COMMAND test_engine_vanishing ${SWEEP_TEST_DATA}/vanishing-small.yaml)
set_tests_properties(engine_vanishing PROPERTIES LABELS "regression;engine")

sweep_test_executable(test_engine_optim test_engine_optim.c)
target_link_libraries(test_engine_optim PRIVATE sweep_engine)
add_test(NAME engine_optim COMMAND test_engine_optim)
set_tests_properties(engine_optim PROPERTIES LABELS "unit;engine")

# The readout heads, the relu cell, RMSprop and AdamW against PyTorch
# (tests/data/torch-heads.h5, from tests/make_torch_vectors.py).
foreach(flavour f64 f32)
  sweep_engine_test_executable(test_engine_heads ${flavour} test_engine_heads.c)
  target_include_directories(test_engine_heads_${flavour} SYSTEM PRIVATE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(test_engine_heads_${flavour} PRIVATE ${HDF5_C_LIBRARIES})
  add_test(NAME engine_heads_${flavour}
           COMMAND test_engine_heads_${flavour} ${SWEEP_TEST_DATA}/torch-heads.h5)
  set_tests_properties(engine_heads_${flavour} PROPERTIES LABELS "unit;engine")
endforeach()

# The long-sequence workloads against PyTorch (tests/data/torch-sequences.h5, from
# tests/make_torch_vectors.py --sequences): images pixel by pixel (T = 784) in order and
# permuted, and a text in windows, the inputs built by sweep's own readers (data.c, compiled
# in: it does not depend on the engine's precision).
foreach(flavour f64 f32)
  sweep_engine_test_executable(test_engine_sequences ${flavour} test_engine_sequences.c ${PROJECT_SOURCE_DIR}/src/io/data.c)
  target_include_directories(test_engine_sequences_${flavour} PRIVATE ${PROJECT_SOURCE_DIR}/src/io)
  target_include_directories(test_engine_sequences_${flavour} SYSTEM PRIVATE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(test_engine_sequences_${flavour} PRIVATE ${HDF5_C_LIBRARIES} ZLIB::ZLIB)
  add_test(NAME engine_sequences_${flavour}
           COMMAND test_engine_sequences_${flavour} ${SWEEP_TEST_DATA}/torch-sequences.h5
                   ${CMAKE_CURRENT_BINARY_DIR}/data-scratch/sequences-${flavour})
  set_tests_properties(engine_sequences_${flavour} PROPERTIES LABELS "unit;engine")
endforeach()

sweep_test_executable(test_engine_init test_engine_init.c)
target_link_libraries(test_engine_init PRIVATE sweep_engine)
add_test(NAME engine_init COMMAND test_engine_init)
set_tests_properties(engine_init PROPERTIES LABELS "unit;engine")

sweep_test_executable(test_engine_tasks test_engine_tasks.c)
target_link_libraries(test_engine_tasks PRIVATE sweep_engine)
add_test(NAME engine_tasks COMMAND test_engine_tasks)
set_tests_properties(engine_tasks PROPERTIES LABELS "unit;engine")

# The literature's long-memory tasks, each solved by a gated cell within a small budget.
sweep_test_executable(test_engine_task_regression test_engine_task_regression.c)
target_link_libraries(test_engine_task_regression PRIVATE sweep_lib)
add_test(NAME engine_adding COMMAND test_engine_task_regression
         ${PROJECT_SOURCE_DIR}/tests/data/regression-adding.yaml max-best-loss 0.05)
add_test(NAME engine_copy COMMAND test_engine_task_regression
         ${PROJECT_SOURCE_DIR}/tests/data/regression-copy.yaml min-best-acc 0.90)
set_tests_properties(engine_adding engine_copy PROPERTIES LABELS "regression;engine")

# The kernels chosen at run time give bit-identical run files: AVX-512 where the CPU has
# it (skipped elsewhere), and everywhere the AVX-512 code compiled for AVX2.
if(SWEEP_KERNEL_DISPATCH AND TARGET sweep)
  foreach(variant avx512emu avx512)
    add_test(NAME kernels_identical_${variant}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_kernels_identical.sh $<TARGET_FILE:sweep> ${variant})
    set_tests_properties(kernels_identical_${variant} PROPERTIES LABELS "unit;engine" SKIP_RETURN_CODE 77
                         TIMEOUT 300)
  endforeach()
endif()

# The validation set: its stream, selection by it, a file task's split, and a run with one.
sweep_test_executable(test_engine_val test_engine_val.c)
target_link_libraries(test_engine_val PRIVATE sweep_engine)
add_test(NAME engine_val COMMAND test_engine_val)
set_tests_properties(engine_val PROPERTIES LABELS "unit;engine")

# The transformer cell against PyTorch (tests/data/torch-transformer.h5, from
# tests/make_torch_vectors.py --transformer), and its operations by finite differences.
foreach(flavour f64 f32)
  sweep_engine_test_executable(test_engine_transformer ${flavour} test_engine_transformer.c)
  target_include_directories(test_engine_transformer_${flavour} SYSTEM PRIVATE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(test_engine_transformer_${flavour} PRIVATE ${HDF5_C_LIBRARIES})
  add_test(NAME engine_transformer_${flavour}
           COMMAND test_engine_transformer_${flavour} ${SWEEP_TEST_DATA}/torch-transformer.h5)
  set_tests_properties(engine_transformer_${flavour} PROPERTIES LABELS "unit;engine")
endforeach()

sweep_test_executable(test_engine_tf_gradcheck test_engine_tf_gradcheck.c)
target_link_libraries(test_engine_tf_gradcheck PRIVATE sweep_engine_f64)
add_test(NAME engine_tf_gradcheck COMMAND test_engine_tf_gradcheck)
set_tests_properties(engine_tf_gradcheck PROPERTIES LABELS "unit;engine")
sweep_test_executable(test_engine_normal_float test_engine_normal_float.c)
target_link_libraries(test_engine_normal_float PRIVATE sweep_engine)
add_test(NAME engine_normal_float COMMAND test_engine_normal_float)
set_tests_properties(engine_normal_float PROPERTIES LABELS "unit;engine")
