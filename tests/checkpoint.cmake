# Runs that resume mid-way: the train state and its checkpoint file (bit-identical resume
# for every cell, refused checkpoints), and whole sweeps killed (-9) or interrupted
# (SIGINT, SIGTERM, --stop-signals) mid-epoch, then resumed.
sweep_test_executable(test_engine_checkpoint test_engine_checkpoint.c)
target_link_libraries(test_engine_checkpoint PRIVATE sweep_lib)
add_test(NAME engine_checkpoint COMMAND test_engine_checkpoint)
set_tests_properties(engine_checkpoint PROPERTIES LABELS "unit;engine")

# A few seconds each (an uninterrupted sweep, then the interrupted one and its resumption):
# the interrupted sweeps hold at a checkpoint (SWEEP_TEST_HOLD, src/sweep/testhook.h), so the runs
# can be small whatever the machine's speed, and every mode is in the fast suite.
if(TARGET sweep)
  foreach(mode kill9 sigint sigterm signals damaged shard)
    add_test(NAME sweep_resume_${mode}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep_resume.sh $<TARGET_FILE:sweep> ${mode})
    set_tests_properties(sweep_resume_${mode} PROPERTIES LABELS "unit;sweep;reliability" TIMEOUT 300)
  endforeach()
endif()
