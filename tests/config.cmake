# Config tests: the key schema, its defaults, parsing, ranges and estimates.
sweep_test_executable(test_config_schema test_config_schema.c)
target_link_libraries(test_config_schema PRIVATE sweep_engine)
add_test(NAME config_schema COMMAND test_config_schema)
set_tests_properties(config_schema PROPERTIES LABELS "unit;config")

# docs/config.md has one row per key with its default.
sweep_test_executable(test_config_docs test_config_docs.c)
target_link_libraries(test_config_docs PRIVATE sweep_lib)
add_test(NAME config_docs COMMAND test_config_docs ${PROJECT_SOURCE_DIR}/docs/config.md)
set_tests_properties(config_docs PROPERTIES LABELS "unit;config")

# Every configs/*.yaml is a valid, commented sweep file.
if(TARGET sweep)
  add_test(NAME config_examples
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_config_examples.sh $<TARGET_FILE:sweep> ${SWEEP_CONFIGS})
  set_tests_properties(config_examples PROPERTIES LABELS "unit;config")
endif()
