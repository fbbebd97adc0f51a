# Runs that resume mid-way: the train state and its checkpoint file (bit-identical resume
# for every cell, refused checkpoints), and whole sweeps killed (-9) or interrupted
# (Ctrl-C) mid-run, then resumed.
sweep_test_executable(test_engine_checkpoint test_engine_checkpoint.c)
target_link_libraries(test_engine_checkpoint PRIVATE sweep_lib)
add_test(NAME engine_checkpoint COMMAND test_engine_checkpoint)
set_tests_properties(engine_checkpoint PROPERTIES LABELS "unit;engine")
