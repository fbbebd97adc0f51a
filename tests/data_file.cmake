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
