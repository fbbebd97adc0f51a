# Analysis package tests (issue 7): python3 -m analysis over real sweep output, and the hidden-unit
# classifier on planted trajectories. /usr/bin/python3 is Debian's (with h5py); the tests exit 77
# (reported as skipped) when it lacks h5py, numpy or matplotlib.
add_test(NAME analysis_units
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_analysis_units.py
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(analysis_units PROPERTIES LABELS "unit;analysis" SKIP_RETURN_CODE 77
                     ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)

# The same package on synthetic run files written by h5py to the HDF5 contract (independent of the
# engine): loader round trip, swept-key inference, every command, planted unit counts, user errors.
add_test(NAME analysis_fixture
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_analysis_fixture.py
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(analysis_fixture PROPERTIES LABELS "unit;analysis;slow" SKIP_RETURN_CODE 77
                     ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)

if(TARGET sweep)
  add_test(NAME analysis_commands
           COMMAND /bin/sh ${CMAKE_CURRENT_SOURCE_DIR}/test_analysis_commands.sh $<TARGET_FILE:sweep>
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(analysis_commands PROPERTIES LABELS "unit;analysis;slow" SKIP_RETURN_CODE 77
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;PYTHON=/usr/bin/python3")
endif()
