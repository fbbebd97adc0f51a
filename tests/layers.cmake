# The layers of src/ (src/CMakeLists.txt): no file includes a header of a higher layer, no
# engine or base file uses HDF5, YAML or MPI, no files call each other in a circle, and
# every header declares what its own .c defines. The build refuses an upward #include too
# (each layer's library sees only the folders below it); this names every breach at once.
add_test(NAME layers COMMAND ${SWEEP_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/test_layers.py
         ${PROJECT_SOURCE_DIR}/src ${SWEEP_LAYERS})
set_tests_properties(layers PROPERTIES LABELS "unit")
