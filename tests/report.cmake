# The HTML report (sweep report DIR, analysis/report.py) and the installed layout. The Python
# tests run Debian's /usr/bin/python3 and exit 77 (skipped) without h5py, numpy, matplotlib.
if(TARGET sweep)
  # The page's content on synthetic sweeps: self-contained, table = summarize's, every figure
  # with its caption, failed runs, a directory still being written, parallel coordinates.
  add_test(NAME analysis_report
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_analysis_report.py $<TARGET_FILE:sweep>
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(analysis_report PROPERTIES LABELS "unit;analysis;slow" SKIP_RETURN_CODE 77 TIMEOUT 600
                       ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)

  # The page in headless Chromium: no script error, every image loaded, one table row per
  # configuration, sorting; leaves report-screenshot.png in the build's tests directory.
  add_test(NAME report_browser
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_report_browser.py $<TARGET_FILE:sweep>
                   ${CMAKE_CURRENT_BINARY_DIR}/report-screenshot.png)
  set_tests_properties(report_browser PROPERTIES LABELS "browser;analysis" SKIP_RETURN_CODE 77 TIMEOUT 900
                       ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)

  # A real sweep with --report, its page open in headless Chromium while it runs (DevTools
  # pipe): it reloads by itself up to the last page, which does not; the pause switch and
  # the scroll position hold across a reload; no script or console error.
  add_test(NAME report_live_browser
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_report_live_browser.py $<TARGET_FILE:sweep>
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/summary-tiny.yaml)
  set_tests_properties(report_live_browser PROPERTIES LABELS "browser;analysis" SKIP_RETURN_CODE 77 TIMEOUT 900
                       ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)

  # cmake --install into a prefix and a DESTDIR under a temporary directory (no root needed);
  # sweep, sweep report, sweep-analysis and python3 -m analysis from outside the checkout.
  add_test(NAME install_layout
           COMMAND /bin/bash ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh ${PROJECT_BINARY_DIR}
                   ${SWEEP_INSTALL_PYTHONDIR} ${PROJECT_SOURCE_DIR} ${SWEEP_INSTALL_CONFIGDIR})
  set_tests_properties(install_layout PROPERTIES LABELS "unit;install" SKIP_RETURN_CODE 77 TIMEOUT 600)

  # 1,000 one-epoch runs (tests/data/tiny-1000.yaml), then their report: it must finish,
  # stay under 10 MB and aggregate (1,000 table rows; figures of groups, not of runs).
  add_test(NAME report_scale
           COMMAND /bin/bash ${CMAKE_CURRENT_SOURCE_DIR}/test_report_scale.sh $<TARGET_FILE:sweep>
                   ${CMAKE_CURRENT_SOURCE_DIR}/data/tiny-1000.yaml)
  set_tests_properties(report_scale PROPERTIES LABELS "slow;analysis" SKIP_RETURN_CODE 77 TIMEOUT 1800)
endif()
