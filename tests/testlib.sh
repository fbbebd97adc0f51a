# testlib.sh: the harness the sweep and MPI shell tests share. Source it after setting
# nothing; it defines HERE, PY, a scratch directory `work` (removed on exit, and the
# current directory), the counters and the helpers below.
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
