#!/bin/sh
# The shared contract checker (tests/check-run-file.py, a copy of the one the issue's
# reviewers use) must find 0 problems in every done or diverged run file of the fixture,
# and must find problems in a file that breaks the contract (so a pass means something).
# Usage: test_hdf5_checker.sh FIXTURE_DIR CHECKER.py
set -u
dir=$1
checker=$2
py=/usr/bin/python3
if ! $py -c 'import h5py, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no h5py/numpy (Debian: apt-get install python3-h5py)"
    exit 77
fi
status=0
set -- "$dir/cell=rnn,seed=1.h5" "$dir/cell=lstm,seed=1.h5" "$dir/cell=gru,seed=1.h5" \
       "$dir/cell=rnn,seed=2.h5" "$dir/cell=rnn,seed=3.h5" "$dir/cell=lstm,seed=2.h5"
if ! $py "$checker" "$@"; then
    echo "FAIL: the contract checker found problems"
    status=1
fi
# A failed run has no weights: the checker must say so (it checks the full contract).
if $py "$checker" "$dir/cell=gru,seed=2.h5" >/dev/null; then
    echo "FAIL: the checker accepted a failed run's file without /weights"
    status=1
fi
exit $status
