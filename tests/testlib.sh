# testlib.sh: the harness the sweep and MPI shell tests share. Source it after setting
# nothing; it defines HERE, PY, a scratch directory `work` (removed on exit, and the
# current directory), the counters and the helpers below.
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
PY=/usr/bin/python3
work=$(mktemp -d)
# Only this shell removes it: bash runs the EXIT trap also in a child forked for `CMD &` when
# a signal ends that child before it execs CMD (a test that signals a sweep it has just
# started), and that child would remove the directory the test still works in.
trap '[ "$BASHPID" = "$$" ] && rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0 failed=0

# check DESCRIPTION COMMAND...: counts COMMAND's success, names a failure.
check() {
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAIL: $what"; failed=$((failed + 1)); fi
}

# has FILE TEXT: FILE contains TEXT (else shows the file's start).
has() { grep -qF -- "$2" "$1" || { echo "  ($1 lacks: $2)"; sed 's/^/    | /' "$1" | head -20; return 1; }; }

# same DIR1 DIR2: the two sweep directories hold the same results (timings aside).
same() { $PY "$HERE/test_sweep_h5diff.py" "$1" "$2" > diff.txt 2>&1 || { sed 's/^/    | /' diff.txt | head -20; return 1; }; }

# await SECONDS WHAT COMMAND...: waits for an event: polls COMMAND (every 0.05 s) until it
# succeeds (0), or gives up after SECONDS, naming WHAT (1). Bounded, so that an event that
# never comes fails the check rather than hanging the test.
await() {
    local limit=$1 what=$2 end=$((SECONDS + $1)); shift 2
    until "$@"; do
        if [ $SECONDS -ge $end ]; then echo "  (waited $limit s for $what: it did not happen)"; return 1; fi
        sleep 0.05
    done
}

# Test holds (src/sweep/testhook.h): a sweep started with SWEEP_TEST_HOLD=EVENT[:N] and
# SWEEP_TEST_RELEASE="$RELEASE" in its environment stops at that event (a checkpoint written,
# a run's file written, an epoch completed), says so on stderr, and stays in that state until
# `release`, however fast or slow the machine. Start it with `env` (`env SWEEP_TEST_HOLD=run:1
# SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" ... &`) so that $! is the sweep's own pid. A file
# such a sweep writes (`2> err.txt &`) is emptied by its child only once the child runs: use a
# new name, or empty it first (`: > err.txt`), so that a wait on it never finds an earlier
# sweep's line and signals or releases the new one before it has started.
RELEASE=$work/release
release() { : > "$RELEASE"; }

# await_hold ERRFILE PID: waits for the hold's line in ERRFILE (the stderr of the sweep PID);
# fails, showing ERRFILE, when PID ends first, or after 120 s (a hang).
await_hold() {
    local end=$((SECONDS + 120))
    until grep -q '^sweep: test hold at ' "$1" 2> /dev/null; do
        if ! kill -0 "$2" 2> /dev/null || [ $SECONDS -ge $end ]; then
            kill -0 "$2" 2> /dev/null && echo "  (no test hold after 120 s)" || echo "  (the sweep ended before its test hold)"
            sed 's/^/    | /' "$1" | tail -20
            return 1
        fi
        sleep 0.05
    done
}

# mpi_require: skip the test (exit 77) unless sweep was built with MPI ($MPI_BUILT = 1) and
# mpirun is on PATH; then MPIRUN2 is `mpirun -np 2` with the ranks unbound and allowed to share
# the cores (and --allow-run-as-root when the tests run as root): "${MPIRUN2[@]}" sweep ...
# (an array, not a function, so that $! of a backgrounded call is mpirun itself).
mpi_require() {
    if [ "${MPI_BUILT:-0}" != 1 ]; then echo "SKIP: sweep was built without MPI (no MPI library found by CMake)"; exit 77; fi
    if ! command -v mpirun > /dev/null; then echo "SKIP: mpirun is not on PATH"; exit 77; fi
    export OMPI_MCA_rmaps_base_oversubscribe=1
    MPIRUN2=(mpirun)
    [ "$(id -u)" = 0 ] && MPIRUN2+=(--allow-run-as-root)
    MPIRUN2+=(--bind-to none -np 2)
}
