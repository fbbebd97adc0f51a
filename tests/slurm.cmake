# The cluster path on a real one-node Slurm (Debian's munge, slurmctld, slurmd): the README's
# job-array script (docs/slurm-array.sh) gives the files of one process, and a cancelled array
# task is completed by submitting the array again, a task stopped by SIGTERM requeues itself
# and resumes its run mid-epoch. Skipped (status 77) where Slurm cannot
# start (not root, packages missing). One Slurm at a time: each test starts its own. About
# 10 s each on an idle 2-core machine (estimated from their CPU time), 30-50 s measured while
# it was busy: hence `slow`.
if(TARGET sweep)
  foreach(mode array cancel requeue)
    add_test(NAME slurm_${mode}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_slurm.sh $<TARGET_FILE:sweep> ${mode}
                     ${PROJECT_SOURCE_DIR}/docs/slurm-array.sh)
    set_tests_properties(slurm_${mode} PROPERTIES LABELS "slurm;slow" SKIP_RETURN_CODE 77 TIMEOUT 600
                         RESOURCE_LOCK slurm)
  endforeach()
  add_test(NAME slurm_readme
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_slurm.sh $<TARGET_FILE:sweep> readme
                   ${PROJECT_SOURCE_DIR}/docs/slurm-array.sh)
  set_tests_properties(slurm_readme PROPERTIES LABELS "unit;slurm")
endif()
