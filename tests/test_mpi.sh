#!/bin/bash
# test_mpi.sh SWEEP MODE [MPI_BUILT]: the sweep beyond one process.
#   mpi    mpirun -np 2 (-j 1 and -j 2 per rank) gives the same files as one process
#          with -j 1 (timings aside); resume under MPI; a config error exits 2 on every
#          rank and is printed once; a diverging run and --fail-fast across ranks;
#          Ctrl-C on mpirun leaves only complete files and resumes to the same results.
#          Skipped (status 77) without MPI or mpirun.
#   shard  shards 0/2 and 1/2 started together into one DIR give the same files as the
#          whole sweep; shards and a whole sweep exclude each other (lock); --shard
#          validation; --dry-run lists a shard's runs.
#   index  `sweep index DIR` rebuilds a deleted sweep.h5 identical to the original, and
#          one from run files alone without a manifest; errors exit 2.
set -u
SWEEP=$(realpath "${1:?usage: test_mpi.sh SWEEP MODE [MPI_BUILT]}")
MODE=${2:?mode}
MPI_BUILT=${3:-0}
source "$(dirname "$0")/testlib.sh"

cat > tiny.yaml <<'YAML'
# six small runs of unequal cost (two cells), well under a second each
name: tiny
base:
  task: {seq_len: 5, train_size: 64, test_size: 32}
  model: {hidden: 8}
  train: {epochs: 2, batch: 16, steps_per_epoch: 2}
  record: {probe_size: 4}
grid:
  model.cell: [rnn, gru]
  seed: [1, 2, 3]
YAML

"$SWEEP" tiny.yaml -j 1 -o one -q || { echo "FAIL: the one-process reference sweep"; exit 1; }

case $MODE in
mpi)
    mpi_require
    "${MPIRUN2[@]}" "$SWEEP" tiny.yaml -j 1 -o np2 > out.txt 2> err.txt
    check "mpirun -np 2 -j 1 exits 0" test $? = 0
    check "mpirun -np 2: same files as one process" same one np2
    check "one start line from rank 0" test "$(grep -c 'sweep tiny: 6 runs on 2 ranks' err.txt)" = 1
    check "one line per run" test "$(grep -c '^\[./6\] done' err.txt)" = 6
    check "the table is printed once" test "$(grep -c '^rnn ' out.txt)" = 1
    check "no temporaries left" test -z "$(ls -A np2 | grep '\.tmp\.')"
    "${MPIRUN2[@]}" "$SWEEP" tiny.yaml -j 2 -o np2j2 -q
    check "mpirun -np 2 -j 2 exits 0" test $? = 0
    check "mpirun -np 2 -j 2: same files as one process" same one np2j2
    # resume: delete two runs and the index; only those two are redone
    rm np2/cell=gru,seed=2.h5 np2/cell=rnn,seed=3.h5 np2/sweep.h5
    "${MPIRUN2[@]}" "$SWEEP" tiny.yaml -j 1 -o np2 > out.txt 2> err.txt
    check "resume under MPI exits 0" test $? = 0
    check "resume: 4 kept, 2 run" has err.txt "4 already complete in np2, 2 to run"
    check "resume under MPI: same files" same one np2
    # a config error: status 2 on every rank (mpirun returns it), one message, nothing written
    printf 'name: bad\nbase: {model: {hiden: 8}}\n' > bad.yaml
    "${MPIRUN2[@]}" "$SWEEP" bad.yaml -o badout > out.txt 2> err.txt
    check "config error under MPI exits 2" test $? = 2
    check "config error printed once" test "$(grep -c 'hiden' err.txt)" = 1
    check "config error: nothing written" test ! -e badout
    # --dry-run under MPI: one listing
    "${MPIRUN2[@]}" "$SWEEP" tiny.yaml --dry-run > out.txt 2> err.txt
    check "dry run under MPI exits 0" test $? = 0
    check "dry run listed once" test "$(grep -c '^total: 6 runs' out.txt)" = 1
    # a run diverging on whichever rank: exit 1, counted by rank 0; --fail-fast stops every rank
    cat > div.yaml <<'YAML'
name: div
base:
  task: {seq_len: 5, train_size: 64, test_size: 32}
  model: {hidden: 8}
  train: {epochs: 3, batch: 16, steps_per_epoch: 2, optimizer: sgd}
  record: {probe_size: 4}
grid:
  lr: [1e30, 0.01, 0.02, 0.03]
YAML
    "${MPIRUN2[@]}" "$SWEEP" div.yaml -o d -j 1 > out.txt 2> err.txt
    check "a diverged run under MPI: exit 1" test $? = 1
    check "a diverged run under MPI: reported" has err.txt "diverged lr=1e30"
    check "a diverged run under MPI: counted" has err.txt "4 runs: 3 done, 1 diverged, 0 failed"
    # --fail-fast can only stop what has not started when the divergence reaches rank 0: the
    # healthy runs hold at the end of their first epoch (SWEEP_TEST_HOLD, src/sweep/testhook.h) until
    # rank 0 has printed the divergence, so that neither rank can finish a healthy run and
    # take another before the stop, however fast the machine (without the hold, with tiny
    # runs, a rank could, legitimately, and the count below would be a race)
    HOLD=(-x SWEEP_TEST_RELEASE="$RELEASE")
    : > err.txt # emptied by the parent (testlib.sh, "Test holds"): the sweep above wrote "diverged lr=1e30" in it
    "${MPIRUN2[@]}" "${HOLD[@]}" -x SWEEP_TEST_HOLD=epoch:1 "$SWEEP" div.yaml -o f -j 1 --fail-fast > out.txt 2> err.txt &
    mp=$!
    check "--fail-fast under MPI: the divergence reported" await 120 "rank 0's line for the diverged run" \
        grep -q "diverged lr=1e30" err.txt
    release
    wait $mp; st=$?
    rm -f "$RELEASE"
    check "--fail-fast under MPI: exit 1" test $st = 1
    check "--fail-fast under MPI: the rest not started" has err.txt "not started because of --fail-fast"
    one_run_per_rank() { # else shows the files and the log
        [ "$(ls f | grep -c '^lr=.*\.h5$')" -le 2 ] || { ls f; sed 's/^/    | /' err.txt | head -20; false; }
    }
    check "--fail-fast under MPI: at most one run per rank" one_run_per_rank
    # Ctrl-C on mpirun (it sends SIGTERM to every rank, SIGKILL a little later): whatever
    # the ranks manage, nothing incomplete looks complete, and the same command resumes to
    # the files of an uninterrupted sweep. Each rank holds once it has counted a finished run
    # (rank 0 counts every rank's), so that the signal finds runs done, runs in flight and
    # runs not started, whatever the machine's speed; released once rank 0 has taken it.
    cat > mid.yaml <<'YAML'
name: mid
base:
  task: {seq_len: 20, train_size: 256, test_size: 64}
  model: {hidden: 16}
  train: {epochs: 8}
  record: {probe_size: 4}
grid:
  seed: [1, 2, 3, 4]
YAML
    "$SWEEP" mid.yaml -j 2 -o midref -q
    : > err.txt # emptied by the parent (testlib.sh, "Test holds")
    "${MPIRUN2[@]}" "${HOLD[@]}" -x SWEEP_TEST_HOLD=run:1 "$SWEEP" mid.yaml -j 1 -o midint > out.txt 2> err.txt &
    mp=$!
    check "held under MPI once a first run finished" await_hold err.txt $mp
    check "... which rank 0 printed" grep -q '^\[1/4\] done' err.txt
    kill -INT $mp
    check "rank 0 takes the interruption" await 120 "rank 0's message" grep -q "sweep: interrupted" err.txt
    release
    wait $mp
    $PY - midint <<'PYEOF' > partial.txt
import os, sys, h5py
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if f.endswith(".h5") and not f.startswith("."):
        try:
            with h5py.File(os.path.join(d, f), "r") as h:
                ok = f == "sweep.h5" or (h.attrs.get("format") == "sweep-run" and h.attrs.get("status") == "done")
        except Exception:
            ok = False
        print(("ok " if ok else "BAD ") + f)
PYEOF
    check "interrupted MPI sweep: every file under a final name is complete" test -z "$(grep '^BAD' partial.txt)"
    check "interrupted MPI sweep: stopped before the end" test "$(grep -c '^ok seed=' partial.txt)" -lt 4
    "${MPIRUN2[@]}" "$SWEEP" mid.yaml -j 1 -o midint > out.txt 2> err.txt
    check "resume after Ctrl-C under MPI exits 0" test $? = 0
    check "resume after Ctrl-C under MPI: same files as uninterrupted" same midref midint
    # the comparison can fail: a different sweep differs
    "$SWEEP" tiny.yaml -j 1 -o other -q --set train.lr=0.05
    $PY "$HERE/test_sweep_h5diff.py" np2 other > diff.txt
    check "the comparison sees different results" test $? = 1
    ;;
shard)
    "$SWEEP" tiny.yaml -j 1 -o sh --shard 0/2 > s0.out 2> s0.err &
    p0=$!
    "$SWEEP" tiny.yaml -j 1 -o sh --shard 1/2 > s1.out 2> s1.err &
    p1=$!
    wait $p0; r0=$?
    wait $p1; r1=$?
    check "shard 0/2 exits 0" test $r0 = 0
    check "shard 1/2 exits 0" test $r1 = 0
    check "shard 0/2 ran 3 runs" has s0.err "3 runs (shard 0/2 of 6)"
    check "shard 1/2 ran 3 runs" has s1.err "3 runs (shard 1/2 of 6)"
    # each shard rewrites sweep.h5 from the run files present, taking turns (the index
    # lock): the last write has read both shards' files. Without the lock the index renamed
    # in last could predate the other shard's last run (seen: 2 of 30 pairs)
    check "shards together: same files as the whole sweep (no sweep index needed)" same one sh
    check "the index lock file is hidden, beside the directory lock" test -e sh/.sweep.index.lock
    check "no temporaries left" test -z "$(ls -A sh | grep '\.tmp\.')"
    # longest first, dealt round robin: each shard gets one gru (costlier) run before rnn ones
    check "shard 0 starts with a gru run" test "$(grep -m1 -o 'cell=[a-z]*' s0.err | head -1)" = "cell=gru"
    check "shard 1 starts with a gru run" test "$(grep -m1 -o 'cell=[a-z]*' s1.err | head -1)" = "cell=gru"
    # a shard run again has nothing to do (resume)
    "$SWEEP" tiny.yaml -j 1 -o sh --shard 1/2 > s1.out 2> s1.err
    check "shard resume exits 0" test $? = 0
    check "shard resume skips its runs" has s1.err "3 already complete in sh, 0 to run"
    # shards share DIR with shards only: a whole sweep's exclusive lock keeps them out, and
    # a shard's shared lock keeps a whole sweep out (it removes temporaries)
    # (hold_lock: a holder that takes the lock, then says so with a file outside sh, then
    # execs into a sleep longer than any test, so that it holds the lock until killed, and
    # killing it releases the lock; the checks run only once the lock is held)
    hold_lock() { # hold_lock -x|-s: the holder in $holder, the lock held (0) or not (1)
        rm -f held
        ( flock $1 9 && : > held && exec sleep 600 ) 9> sh/.sweep.lock > /dev/null 2>&1 &
        holder=$!
        await 120 "the lock holder (flock $1) to hold sh/.sweep.lock" test -e held
    }
    release_lock() { [ -n "$holder" ] || return 0; kill $holder 2> /dev/null; wait $holder 2> /dev/null; holder=; }
    holder=
    trap '[ "$BASHPID" = "$$" ] && { release_lock; rm -rf "$work"; }' EXIT   # testlib's trap, and no holder left behind
    check "an exclusive lock held on sh/.sweep.lock" hold_lock -x
    "$SWEEP" tiny.yaml -j 1 -o sh --shard 0/2 > out.txt 2> err.txt
    check "shard refused beside a whole sweep (exit 2)" test $? = 2
    check "shard refusal explained" has err.txt "shards can share a directory only with other shards"
    release_lock
    check "a shared lock held on sh/.sweep.lock" hold_lock -s
    "$SWEEP" tiny.yaml -j 1 -o sh > out.txt 2> err.txt
    check "whole sweep refused beside shards (exit 2)" test $? = 2
    check "whole sweep refusal explained" has err.txt "another sweep process is writing to sh (a whole sweep, an MPI job or shards of one)"
    "$SWEEP" tiny.yaml -j 1 -o sh --shard 1/2 > out.txt 2> err.txt
    r=$?; [ $r = 0 ] || { echo "  (exit $r)"; sed "s/^/    | /" err.txt | head; }
    check "a shard beside a shard is accepted" test $r = 0
    release_lock
    # --dry-run lists a shard's runs; the split covers every run exactly once
    "$SWEEP" tiny.yaml --shard 0/3 --dry-run > d0.txt && "$SWEEP" tiny.yaml --shard 1/3 --dry-run > d1.txt &&
        "$SWEEP" tiny.yaml --shard 2/3 --dry-run > d2.txt
    check "dry run with shards exits 0" test $? = 0
    all=$(cat d0.txt d1.txt d2.txt | grep '^shard' | sed 's/.*runs://' | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
    check "shards 0..2 of 3 cover runs 1..6 once" test "$all" = "1 2 3 4 5 6 "
    for bad in 2/2 1/0 -1/2 a/b 1 0/2x; do
        "$SWEEP" tiny.yaml --shard "$bad" -o badshard > out.txt 2> err.txt
        check "--shard $bad exits 2" test $? = 2
        check "--shard $bad explained" has err.txt "--shard expects K/N with integers 0 <= K < N"
    done
    check "bad --shard wrote nothing" test ! -e badshard
    ;;
index)
    cp -r one idx
    rm idx/sweep.h5
    "$SWEEP" index idx > out.txt 2> err.txt
    check "sweep index exits 0" test $? = 0
    check "sweep index reports" has out.txt "6 runs in the manifest's order, 6 with a complete file"
    check "rebuilt index identical to the original" same one idx
    # pending runs keep their rows in grid order
    rm "idx/cell=gru,seed=2.h5"
    "$SWEEP" index idx > out.txt 2> err.txt
    check "sweep index with a missing run exits 0" test $? = 0
    $PY - idx <<'PYEOF' > rows.txt
import sys, h5py
with h5py.File(sys.argv[1] + "/sweep.h5", "r") as f:
    t = f["table"]
    for i, s in zip(t["run_id"][()], t["status"][()]):
        print(i.decode(), s.decode())
PYEOF
    check "pending row kept in grid order" test "$(sed -n 5p rows.txt)" = "cell=gru,seed=2 pending"
    # without a manifest: every run file present
    cp -r one nomani
    rm nomani/sweep.h5 nomani/sweep-manifest.txt
    "$SWEEP" index nomani > out.txt 2> err.txt
    check "sweep index without manifest exits 0" test $? = 0
    check "sweep index without manifest: every file" has out.txt "6 runs (no manifest: every run file present)"
    mkdir empty
    "$SWEEP" index empty > out.txt 2> err.txt
    check "sweep index of an empty dir exits 2" test $? = 2
    check "sweep index of an empty dir explains" has err.txt "nothing to index"
    check "... and writes nothing" test ! -e empty/sweep.h5
    "$SWEEP" index nowhere > out.txt 2> err.txt
    check "sweep index of a missing dir exits 2" test $? = 2
    "$SWEEP" index > out.txt 2> err.txt
    check "sweep index without DIR exits 2" test $? = 2
    "$SWEEP" index --help > out.txt
    check "sweep index --help" has out.txt "Rebuilds DIR/sweep.h5"
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "$MODE: $passed passed, $failed failed"
[ $failed = 0 ]
