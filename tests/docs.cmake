# The docs' code examples (README.md, docs/*.md, analysis/README.md), run on real files made
# by their own training commands, shrunk: every shell and Python example that reads files,
# and the sweep files of docs/config.md; the index's columns and attributes documented.
# About a minute on a 2-core machine, hence `slow`.
if(TARGET sweep)
  add_test(NAME docs_examples
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_docs_examples.py $<TARGET_FILE:sweep>
                   ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/docs-scratch)
  set_tests_properties(docs_examples PROPERTIES LABELS "docs;analysis;slow" SKIP_RETURN_CODE 77 TIMEOUT 900)
endif()
