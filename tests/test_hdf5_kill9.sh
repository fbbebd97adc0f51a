#!/bin/bash
# kill -9 mid-sweep leaves only complete run files (plus hidden temporaries), the next
# invocation removes the temporaries and resumes, and the result is bit-identical to an
# uninterrupted sweep (ignoring wall-clock fields).
# Usage: test_hdf5_kill9.sh SWEEP CONFIG WORKDIR CHECKER.py H5DIFF.py
set -u
sweep=$1 config=$2 work=$3 checker=$4 h5diff=$5
py=/usr/bin/python3
if ! $py -c 'import h5py, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no h5py/numpy (Debian: apt-get install python3-h5py)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
fail=0

"$sweep" "$config" -o "$work/ref" -j 2 --quiet >/dev/null 2>&1 || { echo "FAIL: reference sweep"; exit 1; }

# Every file under a final name must be complete: a run file passes the contract checker
# (or is a complete failed run), the index opens and lists its runs.
check_state() {
    $py - "$1" "$checker" <<'PY'
import os, subprocess, sys, h5py
d, checker = sys.argv[1], sys.argv[2]
bad = 0
runs = [n for n in os.listdir(d) if n.endswith(".h5") and not n.startswith(".") and n != "sweep.h5"]
for n in runs:
    p = os.path.join(d, n)
    try:
        with h5py.File(p, "r") as f:
            status = f.attrs["status"]
    except Exception as e:
        print(f"FAIL: {n} under its final name is not complete: {e}"); bad += 1; continue
    if status != "failed":
        r = subprocess.run([sys.executable, checker, p], capture_output=True, text=True)
        if r.returncode:
            print(f"FAIL: {n}: {r.stdout}"); bad += 1
if os.path.exists(os.path.join(d, "sweep.h5")):
    try:
        with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
            n_rows = len(f["table/run_id"])
            for k in f["runs"]:
                f["runs"][k].attrs["status"]
    except Exception as e:
        print(f"FAIL: sweep.h5 is not complete: {e}"); bad += 1
tmps = [n for n in os.listdir(d) if ".h5.tmp." in n]
print(f"  {len(runs)} complete run files, {len(tmps)} temporaries")
sys.exit(1 if bad else 0)
PY
}

# The kills come at events, not after fixed delays (which land elsewhere on a faster or a
# loaded machine, or after the end), and each event holds the sweep (SWEEP_TEST_HOLD,
# src/sweep/testhook.h: the sweep stops there, says so on stderr, and waits to be killed), so that
# the kill finds it in that state however fast the machine. Each sweep below resumes what
# the previous one left:
#   epoch:1  sweep.h5 written, runs training, none finished
#   run:1    the first run file just renamed into place and the index rewritten for it
#   run:3    three more runs finished in a resumed sweep
#   run:1    the first run file of a resumed sweep (as 2, over complete files)
# A kill inside a file's write cannot be aimed at from here (a temporary lives a few
# milliseconds); a crash there leaves only a hidden temporary, as any failure does:
# test_hdf5_faults makes every step of every writer fail, and check_state counts what
# temporaries these kills leave.
n_runs() { ls "$work/run" 2>/dev/null | grep '\.h5$' | grep -vc '^sweep\.h5$'; }
# bash reaps a background sweep as soon as it ends, so kill -0 fails from then on (a /proc
# state read raced the sweep's start under load: it once saw a running sweep as ended)
alive() { kill -0 "$1" 2>/dev/null; }
held() { grep -q '^sweep: test hold at' "$work/err.txt" 2>/dev/null; }
killed=0
for event in epoch:1 run:1 run:3 run:1; do
    before=$(n_runs)
    # At a run hold, the run the hold line names has its file under its final name. The
    # count of files is no measure of that: a run whose file is there but not done (failed,
    # or stopped) is redone and its file replaced, and the other thread may finish runs too.
    held_run() { sed -n 's/^sweep: test hold at run [0-9]* (\(.*\); SWEEP_TEST_HOLD).*/\1/p' "$work/err.txt"; }
    case $event in
    epoch:1) ready() { [ -e "$work/run/sweep.h5" ] && [ "$(n_runs)" -eq 0 ]; } ;;
    run:*) ready() { [ -n "$(held_run)" ] && [ -e "$work/run/$(held_run).h5" ] && [ "$(n_runs)" -ge "$before" ]; } ;;
    esac
    SWEEP_TEST_HOLD=$event "$sweep" "$config" -o "$work/run" -j 2 --quiet >/dev/null 2>"$work/err.txt" &
    pid=$!
    # bounded (6000 x 0.02 s: two minutes at least, for a hang), and over as soon as the sweep ends
    i=0
    until held || ! alive $pid || [ $i -ge 6000 ]; do i=$((i + 1)); sleep 0.02; done
    held || { echo "FAIL: no hold at $event (the sweep $(alive $pid && echo still ran || echo ended))"; fail=1; }
    ready || { echo "FAIL: at the hold at $event ($(held 2>/dev/null && held_run)), $(n_runs) run files ($before before)"
               sed 's/^/  stderr: /' "$work/err.txt"; ls "$work/run" | sed 's/^/  file: /'; fail=1; }
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ $? -eq 137 ]; then
        killed=$((killed + 1))
        echo "killed at event $event ($(n_runs) complete run files)"
    else
        echo "FAIL: the sweep ended before the kill at event $event"; fail=1
    fi
    check_state "$work/run" || fail=1
done
[ $killed -eq 4 ] || { echo "FAIL: $killed of 4 kills landed in a running sweep"; fail=1; }

"$sweep" "$config" -o "$work/run" -j 2 --quiet >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: resumed sweep exit $rc"; fail=1; }
if ls -a "$work/run" | grep -q '\.h5\.tmp\.'; then
    echo "FAIL: temporaries left after the resumed sweep"; fail=1
fi
$py "$h5diff" "$work/ref" "$work/run" || { echo "FAIL: resumed sweep differs from the uninterrupted one"; fail=1; }
[ $fail -eq 0 ] && rm -rf "$work"
exit $fail
