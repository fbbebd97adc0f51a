#!/bin/sh
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

killed=0
for delay in 0.3 0.7 1.1 0.5; do
    "$sweep" "$config" -o "$work/run" -j 2 --quiet >/dev/null 2>&1 &
    pid=$!
    sleep $delay
    if kill -9 $pid 2>/dev/null; then
        killed=$((killed + 1))
        echo "killed after ${delay}s"
    fi
    wait $pid 2>/dev/null
    check_state "$work/run" || fail=1
done
[ $killed -gt 0 ] || { echo "FAIL: the sweep finished before any kill; the test proves nothing"; fail=1; }

"$sweep" "$config" -o "$work/run" -j 2 --quiet >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: resumed sweep exit $rc"; fail=1; }
if ls -a "$work/run" | grep -q '\.h5\.tmp\.'; then
    echo "FAIL: temporaries left after the resumed sweep"; fail=1
fi
$py "$h5diff" "$work/ref" "$work/run" || { echo "FAIL: resumed sweep differs from the uninterrupted one"; fail=1; }
[ $fail -eq 0 ] && rm -rf "$work"
exit $fail
