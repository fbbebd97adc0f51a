# Config tests (issue 3): the key schema, its defaults, parsing, ranges and estimates.
sweep_test_executable(test_config_schema test_config_schema.c)
target_link_libraries(test_config_schema PRIVATE sweep_engine)
add_test(NAME config_schema COMMAND test_config_schema)
set_tests_properties(config_schema PROPERTIES LABELS "unit;config")
