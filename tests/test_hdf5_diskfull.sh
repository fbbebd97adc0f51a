#!/bin/bash
# test_hdf5_diskfull.sh SWEEP: a sweep into a full file system (a 3 MB tmpfs: room for
# about four of its six run files) ends with exit 1 and one line per run that could not
# be written, naming its file and "No space left on device"; it does not crash; every file
# it leaves is complete and no temporary is left; `sweep index` and a new sweep's manifest
# fail the same way on a full disk; once there is room, the same command completes the
# sweep, identical to one that never ran out of space. Needs root (mount); skips otherwise.
set -u
SWEEP=$(realpath "${1:?usage: test_hdf5_diskfull.sh SWEEP}")
source "$(dirname "$0")/testlib.sh"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: mounting the small tmpfs this test fills needs root (run as root, e.g. in CI)"
    exit 77
fi
mkdir mnt
if ! mount -t tmpfs -o size=3m tmpfs mnt 2> mount.txt; then
    echo "SKIP: cannot mount a tmpfs here ($(cat mount.txt)); a container without CAP_SYS_ADMIN?"
    exit 77
fi
trap 'umount "$work/mnt" 2>/dev/null; rm -rf "$work"' EXIT

cat > full.yaml <<'YAML'
# six runs of about 0.7 MB each: a 3 MB file system holds four
name: full
base:
  task: {seq_len: 8, train_size: 320, test_size: 100}
  train: {epochs: 2}
grid:
  seed: [1, 2, 3, 4, 5, 6]
YAML
"$SWEEP" full.yaml -o ref -j 2 -q > /dev/null 2>&1; check "the reference sweep runs" test $? = 0

no_temporaries() { ! ls -a "$1" | grep -q '\.tmp\.'; }
one_line_errors() { ! grep -q -e 'HDF5:' -e 'errno =' -e '^, filename' "$1"; }

"$SWEEP" full.yaml -o mnt/out -j 2 > out.txt 2> err.txt; st=$?
check "a sweep into a full disk exits 1 (not a crash: $st)" test $st = 1
n_failed=$(grep -c '^\[[0-9]*/6\] failed ' err.txt)
n_files=$(ls mnt/out | grep -c '^seed=.*\.h5$')
check "some runs could not be written ($n_failed), the others were ($n_files)" test "$n_failed" -ge 1 -a $((n_failed + n_files)) = 6
check "one line per failed run, naming its file and the cause" \
    test "$(grep -c 'failed   seed=[0-9]  could not write its file: cannot write mnt/out/seed=[0-9].h5: No space left on device$' err.txt)" = "$n_failed"
check "no HDF5 error text" one_line_errors err.txt
check "no temporary left" no_temporaries mnt/out
"$SWEEP" index mnt/out > idx.txt 2> idxerr.txt
check "every file left verifies" has idx.txt "$n_files with a complete file"
check "no file left is damaged" test ! -s idxerr.txt

# the index and a manifest on a disk with no room at all
dd if=/dev/zero of=mnt/filler bs=64k > /dev/null 2>&1
cp mnt/out/sweep.h5 index-before.h5 2> /dev/null
"$SWEEP" index mnt/out > out.txt 2> err.txt; st=$?
check "sweep index on a full disk exits 1 ($st)" test $st = 1
check "sweep index names the index and the cause" has err.txt "sweep index: cannot write mnt/out/sweep.h5: No space left on device"
check "sweep index: one line" test "$(wc -l < err.txt)" = 1
check "sweep index: no temporary left" no_temporaries mnt/out
if [ -f index-before.h5 ]; then check "the old index is kept" cmp -s index-before.h5 mnt/out/sweep.h5; fi
"$SWEEP" full.yaml -o mnt/new -j 2 > out.txt 2> err.txt; st=$?
check "a new sweep on a full disk stops before any run ($st)" test $st = 2
check "it names the manifest and the cause" has err.txt "cannot write mnt/new/sweep-manifest.txt: No space left on device"
check "it leaves no directory behind" test ! -e mnt/new
rm mnt/filler

# room again: the same command completes the sweep
mount -o remount,size=64m mnt
"$SWEEP" full.yaml -o mnt/out -j 2 > out.txt 2> err.txt; st=$?
check "the same command completes the sweep once there is room ($st)" test $st = 0
check "it kept the complete runs" has err.txt "6 runs: 6 done"
check "no temporary left after the resume" no_temporaries mnt/out
mkdir a b && cp ref/seed=*.h5 a/ && cp mnt/out/seed=*.h5 b/
check "the completed sweep is identical to one that never ran out of space" same a b

echo "hdf5 disk full: $passed passed, $failed failed"
[ $failed -eq 0 ]
