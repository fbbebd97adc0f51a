# Data files of file tasks (data.h): HDF5 files of every target kind read back exactly,
# every kind of bad file refused with a message naming file and dataset, IDX directories
# plain and gzip, the per-process cache; and Fashion-MNIST when Debian's
# dataset-fashion-mnist is installed (skipped otherwise; prints the load time and memory).
sweep_test_executable(test_data_file test_data_file.c)
target_link_libraries(test_data_file PRIVATE sweep_lib)
add_test(NAME data_file
         COMMAND test_data_file unit ${CMAKE_CURRENT_BINARY_DIR}/data-scratch/file)
set_tests_properties(data_file PROPERTIES LABELS "unit;data")

add_test(NAME data_fashion_mnist
         COMMAND test_data_file fashion /usr/share/datasets/fashion-mnist)
set_tests_properties(data_fashion_mnist PROPERTIES LABELS "unit;data" SKIP_RETURN_CODE 77)

# Images pixel by pixel and permuted, and texts in windows (task.c, data.c): every sequence
# and target a run is handed (dump_task_data) against numpy's own reading of the IDX bytes, a
# Python character split and a Python Philox permutation; and the bad inputs (text shorter
# than a window, empty, permute or pixels where there are no images): exit 2, one line.
sweep_test_executable(dump_task_data dump_task_data.c)
target_link_libraries(dump_task_data PRIVATE sweep_lib)
add_test(NAME data_sequences
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_task_sequences.py $<TARGET_FILE:dump_task_data>
                 $<TARGET_FILE:sweep> ${CMAKE_CURRENT_BINARY_DIR}/data-scratch/sequences)
set_tests_properties(data_sequences PROPERTIES LABELS "unit;data" ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
