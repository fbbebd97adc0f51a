#!/bin/bash
# test_sweep_run.sh SWEEP MODE: end-to-end behaviour of `sweep` on tiny configs.
#   cli        --help, --version, help per verb, --dry-run (lists, writes nothing)
#   threads    -j 1 and -j 2 give bit-identical run files and index (timings aside), and
#              so do runs on 2 and 3 threads each (--threads-per-run)
#   resume     re-running skips complete runs, redoes missing/partial ones, cleans
#              temporaries; a changed config is refused without --force
#   changed    a changed sweep in an existing directory: added runs need no --force;
#              removed and changed runs do, the refusal naming which key of which run
#              changed; --force moves the files of removed and changed runs into
#              DIR/dropped-N (never deleted) and names them, and summarize, the index,
#              `sweep index` and the analysis loader then count the same runs
#   interrupt  SIGINT: exit 75, nothing incomplete under a final name, resumable;
#              a second SIGINT quits at once
#   diverged   a diverging run is recorded as diverged, the others finish, exit 1;
#              --fail-fast starts nothing after it
#   compress   record.compress: none deflates no array, deflate every large one (at
#              record.deflate_level), auto some; every array keeps its checksum; the contents
#              are identical; changing it never makes a sweep "changed"
#   estimate   --dry-run's time estimate against the same sweep run here (CPU seconds, one
#              thread): within 4x of it either way when a probe measured the rate, and equal to
#              the runs' own seconds when it comes from the earlier runs in the directory;
#              ratios measured on one machine, so no machine is too slow or fast for them
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_run.sh SWEEP MODE}")
MODE=${2:?mode}
source "$(dirname "$0")/testlib.sh"

# Complete = what the sweep itself trusts (h5io's check), from Python for independence:
# format sweep-run and a status attribute.
complete_files() { # prints the complete run files of a directory
    $PY - "$1" <<'PYEOF'
import os, sys, h5py
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if not f.endswith(".h5") or f == "sweep.h5" or f.startswith("."):
        continue
    try:
        with h5py.File(os.path.join(d, f), "r") as h:
            if h.attrs.get("format") == "sweep-run" and h.attrs.get("status"):
                print(f[:-3], h.attrs["status"])
    except Exception:
        pass
PYEOF
}

cat > tiny.yaml <<'YAML'
# four small runs that take well under a second each
name: tiny
base:
  task: {seq_len: 5, train_size: 64, test_size: 32}
  model: {hidden: 8}
  train: {epochs: 3, batch: 16, steps_per_epoch: 2}
  record: {probe_size: 4}
grid:
  model.cell: [rnn, gru]
  seed: [1, 2]
zip:
  - {hidden: [8, 6], lr: [0.01, 0.005]}
YAML

case $MODE in
cli)
    "$SWEEP" --help > out.txt; check "--help exits 0" test $? = 0
    check "--help shows the usage" has out.txt "sweep CONFIG.yaml [-j N] [-o DIR] [--set KEY=VALUE]..."
    check "--help names the transformer beside the recurrent cells" has out.txt "transformer"
    check "--help: summarize takes several directories" has out.txt "sweep summarize DIR [DIR...]"
    "$SWEEP" --version > out.txt; check "--version exits 0" test $? = 0
    check "--version names libraries" has out.txt "libyaml"
    "$SWEEP" help run > out.txt; check "help run" test $? = 0
    check "help run explains --set" has out.txt "a list ([1,2,3]) makes KEY a grid axis"
    "$SWEEP" help keys > out.txt; check "help keys" test $? = 0
    check "help keys lists every key" has out.txt "train.schedule.milestones"
    "$SWEEP" help nonsense > out.txt 2> err.txt; check "help on an unknown topic is a usage error" test $? = 2
    check "the unknown topic's error lists the topics" has err.txt "topics: run, summarize, index, keys"
    "$SWEEP" help index > out.txt; check "help index" test $? = 0
    check "help index explains the manifest" has out.txt "sweep-manifest.txt"
    "$SWEEP" --version extra > out.txt 2> err.txt; check "--version with an argument is a usage error" test $? = 2
    "$SWEEP" > out.txt 2> err.txt; check "no arguments: usage error" test $? = 2
    check "no arguments: usage" has err.txt "usage: sweep CONFIG.yaml"
    "$SWEEP" tiny.yaml --dry-run -j 2 --set seed=[1,2,3] > out.txt 2> err.txt
    check "--dry-run exits 0" test $? = 0
    check "--dry-run lists runs" has out.txt "cell=gru,seed=3,hidden=6,lr=0.005"
    check "--dry-run totals" has out.txt "total: 12 runs"
    check "--dry-run writes nothing" test ! -e runs
    check "--dry-run shows swept values" has out.txt "cell  seed  hidden     lr"
    ;;
threads)
    "$SWEEP" tiny.yaml -o j1 -j 1 -q; check "-j 1 exits 0" test $? = 0
    "$SWEEP" tiny.yaml -o j2 -j 2 -q; check "-j 2 exits 0" test $? = 0
    check "8 run files" test "$(ls j1/*.h5 | wc -l)" = 9
    $PY "$HERE/test_sweep_h5diff.py" j1 j2 > diff.txt; check "-j 1 and -j 2 identical" test $? = 0
    cat diff.txt
    # the comparison can fail: two different seeds must differ
    $PY "$HERE/test_sweep_h5diff.py" "j1/cell=rnn,seed=1,hidden=8,lr=0.01.h5" "j1/cell=rnn,seed=2,hidden=8,lr=0.01.h5" > diff.txt
    check "the comparison sees a different seed" test $? = 1
    OMP_NUM_THREADS=3 "$SWEEP" tiny.yaml -o j3 > out.txt 2> err.txt
    check "OMP_NUM_THREADS sets -j" has err.txt "8 runs on 3 threads"
    # runs big enough for their passes to take 3 threads (model.c's SW_MIN_FMAS_PER_THREAD)
    cat > wide.yaml <<'YAML'
name: wide
base:
  task: {seq_len: 16, train_size: 128, test_size: 64}
  model: {hidden: 64}
  train: {epochs: 2, batch: 32, steps_per_epoch: 2}
  record: {probe_size: 16}
grid:
  model.cell: [rnn, lstm]
YAML
    "$SWEEP" wide.yaml -o w1 -j 1 -q; check "wide -j 1 exits 0" test $? = 0
    for per in 2 3; do
        "$SWEEP" wide.yaml -o p$per -j $per --threads-per-run $per -q
        check "--threads-per-run $per exits 0" test $? = 0
        $PY "$HERE/test_sweep_h5diff.py" w1 p$per > diff.txt; check "runs on $per threads each identical" test $? = 0
    done
    "$SWEEP" tiny.yaml -o pa -j 2 --threads-per-run 0 > out.txt 2> err.txt
    check "--threads-per-run 0 is refused" test $? = 2
    check "--threads-per-run 0 says why" has err.txt "expects auto or a number of threads"
    ;;
resume)
    "$SWEEP" tiny.yaml -o r -j 2 -q; check "first run exits 0" test $? = 0
    keep="r/cell=gru,seed=1,hidden=8,lr=0.01.h5"
    gone="r/cell=rnn,seed=2,hidden=6,lr=0.005.h5"
    part="r/cell=gru,seed=2,hidden=8,lr=0.01.h5"
    # not rewritten: the same inode (the sweep writes a temporary and renames it), mtime
    # to the nanosecond (no need to wait out a one-second %Y) and size
    stamp() { stat -c %i.%.9Y.%s "$1"; }
    before=$(stamp "$keep")
    rm "$gone"
    head -c 1000 "$part" > r/tmp && mv r/tmp "$part"           # a truncated file
    touch "r/.cell=rnn,seed=1,hidden=8,lr=0.01.h5.tmp.12345.0"   # an old temporary (h5io's pattern)
    ls -a r > ls-before.txt
    "$SWEEP" tiny.yaml -o r -j 2 > out.txt 2> err.txt; check "resume exits 0" test $? = 0
    check "resume reports skipped runs" has err.txt "8 runs, 6 already complete in r, 2 to run"
    check "untouched run not rewritten" test "$(stamp "$keep")" = "$before"
    check "missing run redone" test "$(complete_files r | grep -c 'rnn,seed=2,hidden=6')" = 1
    check "truncated run redone" test "$(complete_files r | grep -c 'gru,seed=2,hidden=8')" = 1
    check "all complete" test "$(complete_files r | grep -c ' done$')" = 8
    check "temporaries removed" test -z "$(ls -a r | grep -F '.tmp')"
    # a failed run (failures can be transient: disk full, memory) is redone; done ones stay
    $PY -c "
import h5py
with h5py.File('$keep', 'r+') as f:
    f.attrs['status'] = 'failed'
    f.attrs['error'] = 'could not write its file: No space left on device (simulated)'"
    "$SWEEP" tiny.yaml -o r -j 2 > out.txt 2> err.txt; check "resume after a failed run exits 0" test $? = 0
    check "the failed run is redone" has err.txt "8 runs, 7 already complete in r, 1 to run"
    check "the failed run is now done" test "$(complete_files r | grep -c ' done$')" = 8
    before=$(stamp "$keep")
    # a changed config is refused, and nothing changes
    ls -l --time-style=+%s.%N r > ls1.txt
    "$SWEEP" tiny.yaml -o r --set train.epochs=4 > out.txt 2> err.txt; check "changed config refused with 2" test $? = 2
    check "refusal explains" has err.txt "r holds the results of a different sweep: 8 runs with a changed config (in train.epochs; e.g. run cell=rnn,seed=1,hidden=8,lr=0.01: train.epochs 3 -> 4)"
    check "refusal suggests --force" has err.txt "--force"
    ls -l --time-style=+%s.%N r > ls2.txt
    check "refusal wrote nothing" cmp -s ls1.txt ls2.txt
    "$SWEEP" tiny.yaml -o r --set seed=[1,2,3] -q 2> err.txt; check "added runs need no --force" test $? = 0
    check "added runs named" has err.txt "4 runs added to the sweep in r (cell=rnn,seed=3,hidden=8,lr=0.01, "
    check "adding keeps the runs there" test "$(stamp "$keep")" = "$before"
    check "adding runs them" test "$(complete_files r | grep -c ' done$')" = 12
    "$SWEEP" tiny.yaml -o r --set seed=[1,2,3] > out.txt 2> err.txt; check "nothing left to do" test $? = 0
    check "nothing left to do: all skipped" has err.txt "12 already complete"
    ;;
changed)
    "$SWEEP" tiny.yaml -o r -q; check "first run exits 0" test $? = 0
    # one grid value more: no --force, the 8 runs kept, 4 added
    "$SWEEP" tiny.yaml -o r --set 'seed=[1,2,3]' 2> err.txt > /dev/null; check "a seed added: no --force needed" test $? = 0
    check "the added runs are named" has err.txt "sweep tiny: 4 runs added to the sweep in r (cell=rnn,seed=3,hidden=8,lr=0.01, "
    check "... and only they run" has err.txt "12 runs, 8 already complete in r, 4 to run"
    # a seed removed (from a sweep run with 3 seeds from the start): refused without
    # --force, naming what was removed
    "$SWEEP" tiny.yaml -o d --set 'seed=[1,2,3]' -q; check "a 3-seed sweep exits 0" test $? = 0
    ls -l --time-style=+%s.%N d > ls1.txt
    "$SWEEP" tiny.yaml -o d --set 'seed=[1,2]' > out.txt 2> err.txt; check "a seed removed: refused with 2" test $? = 2
    check "the refusal names the removed runs" has err.txt "d holds the results of a different sweep: 4 runs removed (e.g. cell=rnn,seed=3,hidden=8,lr=0.01)"
    ls -l --time-style=+%s.%N d > ls2.txt
    check "the refusal wrote nothing" cmp -s ls1.txt ls2.txt
    # --force: the removed runs leave the view, into d/dropped-1, never deleted
    "$SWEEP" tiny.yaml -o d --force --set 'seed=[1,2]' > out.txt 2> err.txt; check "--force with a seed removed exits 0" test $? = 0
    check "--force names the runs moved and where" has err.txt "sweep tiny: moved the files of 4 runs this sweep no longer has to d/dropped-1 (cell=rnn,seed=3,hidden=8,lr=0.01, "
    check "the removed runs' files are in d/dropped-1" test "$(ls d/dropped-1 2> /dev/null | grep -c 'seed=3.*\.h5$')" = 4
    check "and no longer in d" test "$(complete_files d | grep -c 'seed=3')" = 0
    check "the table at the end counts 8 runs" has out.txt "sweep tiny in d: 8 runs (8 done"
    "$SWEEP" summarize d > sum.txt; check "summarize counts 8 runs" has sum.txt "sweep tiny in d: 8 runs (8 done"
    count_index() { $PY -c "import h5py, sys; f = h5py.File(sys.argv[1] + '/sweep.h5'); print(len(f['table/run_id']), int(f.attrs['runs_total']), len(f['runs']))" "$1"; }
    check "sweep.h5 lists 8 runs" test "$(count_index d)" = "8 8 8"
    "$SWEEP" index d > /dev/null; check "sweep index DIR lists 8 runs" test "$(count_index d)" = "8 8 8"
    check "the analysis loader (the report's) reads 8 runs" \
        test "$(PYTHONPATH="$HERE/.." $PY -c "import sys; from analysis import load; print(len(load.load_runs(sys.argv[1])))" d)" = 8
    rm -rf r && mv d r
    # a changed key: refused naming the key, the run and both values
    "$SWEEP" tiny.yaml -o r --set 'seed=[1,2]' --set train.epochs=4 --set model.layers=1 > out.txt 2> err.txt
    check "a changed key: refused with 2" test $? = 2
    check "the refusal names the keys, a run and the values" has err.txt "8 runs with a changed config (in model.layers, train.epochs; e.g. run cell=rnn,seed=1,hidden=8,lr=0.01: model.layers 2 -> 1, train.epochs 3 -> 4)"
    # ... also for runs without a file (the old config read from the manifest)
    rm r/cell=rnn,seed=1,hidden=8,lr=0.01.h5
    "$SWEEP" tiny.yaml -o r --set 'seed=[1,2]' --set train.epochs=4 > out.txt 2> err.txt
    check "the refusal compares a run without a file too" has err.txt "(in train.epochs; e.g. run cell=rnn,seed=1,hidden=8,lr=0.01: train.epochs 3 -> 4)"
    "$SWEEP" tiny.yaml -o r --set 'seed=[1,2]' --set train.epochs=4 --force -q 2> err.txt; check "--force with a changed key exits 0" test $? = 0
    check "the changed runs' files are moved, named" has err.txt "moved the files of 7 runs whose config changed to r/dropped-2 (cell=rnn,seed=1,hidden=6,lr=0.005, "
    check "r/dropped-2 holds them" test "$(ls r/dropped-2 | grep -c '\.h5$')" = 7
    check "r/dropped-1 is untouched" test "$(ls r/dropped-1 | grep -c '\.h5$')" = 4
    check "the changed runs are redone with 4 epochs" \
        test "$($PY -c "import h5py, glob; print(sorted({int(h5py.File(p)['summary'].attrs['epochs_completed']) for p in glob.glob('r/*.h5') if not p.endswith('sweep.h5')}))")" = "[4]"
    # a new grid axis renames the runs (same configs, new ids): the refusal says so
    "$SWEEP" tiny.yaml -o r --set 'seed=[1,2]' --set train.epochs=4 --set 'model.layers=[2,1]' > out.txt 2> err.txt
    check "a new axis: refused with 2" test $? = 2
    check "the refusal names the renamed runs" has err.txt "8 runs removed (e.g. cell=rnn,seed=1,hidden=8,lr=0.01), 8 of them the same config under a new id (e.g. cell=rnn,seed=1,hidden=8,lr=0.01 is now cell=rnn,seed=1,hidden=8,lr=0.01,layers=2: a new grid axis renames runs"
    ;;
interrupt)
    # Every wait below is for an event, and the events do not depend on the machine's speed:
    # the sweeps interrupted hold (SWEEP_TEST_HOLD, src/sweep/testhook.h) in the state the checks
    # want until the test has sent its signals and releases them.
    cat > slow.yaml <<'YAML'
name: slow
base:
  task: {seq_len: 20, train_size: 256, test_size: 64}
  model: {hidden: 16}
  train: {epochs: 6, batch: 32, steps_per_epoch: 0}
  record: {probe_size: 4, grad_every: 2}
grid:
  seed: [1, 2, 3, 4, 5, 6]
YAML
    # held once the first run has finished: the other thread's run stops at the end of its
    # epoch, and four runs are not started
    : > err.txt # emptied by the parent (testlib.sh, "Test holds")
    env SWEEP_TEST_HOLD=run:1 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" slow.yaml -o s -j 2 > out.txt 2> err.txt &
    pid=$!
    check "held after a first run finished" await_hold err.txt $pid
    check "the first run's line is printed" grep -q '^\[1/6\] done' err.txt
    "$SWEEP" slow.yaml -o s -j 2 > out2.txt 2> err2.txt; st=$?
    check "a second sweep on the same directory is refused" test $st = 2
    check "refusal names the other process" has err2.txt "another sweep process is writing to s"
    kill -INT $pid
    check "the sweep takes the SIGINT" await 120 "the SIGINT's message" grep -q "sweep: interrupted" err.txt
    release
    wait $pid; st=$?
    check "SIGINT exits 75" test $st = 75
    check "SIGINT message" has err.txt "sweep: interrupted (SIGINT); each running run stops at its next training step"
    check "resume hint" has err.txt "run the same command again to resume"
    n_complete=$(complete_files s | wc -l)
    n_files=$(ls s | grep -c '\.h5$')
    check "every run file under a final name is complete" test "$n_files" = $((n_complete + 1))
    check "some runs were left to do" test "$n_complete" -lt 6
    check "no temporaries left" test -z "$(ls -a s | grep -F '.tmp')"
    # a second SIGINT quits at once, without waiting for the runs' next step: both runs are
    # held (at the end of an epoch or after a training step, before the stop check) until the
    # process ends, so only quitting at once ends it
    rm -f "$RELEASE"
    : > err2.txt # emptied by the parent (testlib.sh, "Test holds")
    env SWEEP_TEST_HOLD=epoch:1 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" slow.yaml -o l -j 2 > out.txt 2> err2.txt &
    pid=$!
    took_sigint() { grep -q "sweep: interrupted (SIGINT)" err2.txt; }
    ended() { ! kill -0 $pid 2> /dev/null; }
    check "held at the end of a first epoch" await_hold err2.txt $pid
    kill -INT $pid
    # the second once the sweep has taken the first (its message): it would now finish the epoch
    check "first SIGINT message" await 120 "the first SIGINT's message in the sweep's stderr" took_sigint
    kill -INT $pid
    check "the second SIGINT ends the sweep" await 120 "the sweep to end after the second SIGINT" ended
    ended || { kill -9 $pid; release; }
    wait $pid; st=$?
    # no run reached its epoch's end after the signals (none reports itself stopped) and the
    # sweep did not finish its loop (no resume hint)
    quit_early() {
        ! grep -qE 'interrupted (after|in) epoch' err2.txt && ! grep -q 'run the same command again to resume' err2.txt ||
            { sed 's/^/    | /' err2.txt; return 1; }
    }
    check "the second SIGINT came before the runs could stop" quit_early
    check "second SIGINT exits 130" test $st = 130
    check "after a double SIGINT nothing looks complete" test -z "$(complete_files l)"
    check "after a double SIGINT no run file under a final name" test -z "$(ls l | grep -v '^sweep' | grep '\.h5$')"
    # the same command resumes and completes
    "$SWEEP" slow.yaml -o s -j 2 -q; st=$?
    check "resume after interrupt exits 0" test $st = 0
    check "resume completes every run" test "$(complete_files s | grep -c ' done$')" = 6
    ;;
diverged)
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
    "$SWEEP" div.yaml -o d -j 2 > out.txt 2> err.txt; st=$?
    check "a diverged run makes the exit status 1" test $st = 1
    check "the diverged run is reported" has err.txt "diverged lr=1e30"
    check "summary counts" has err.txt "4 runs: 3 done, 1 diverged, 0 failed"
    complete_files d > st.txt
    check "diverged recorded in its file" has st.txt "lr=1e30 diverged"
    check "the others finished" test "$(grep -c ' done$' st.txt)" = 3
    # diverged in epoch 1 (no epoch completed): still a whole file under the contract, with
    # one gradient record at epoch 0 (the initial weights) and an empty history
    check "a run diverged in epoch 1 passes the contract checker" \
        $PY "$(dirname "$0")/check-run-file.py" d/lr=1e30.h5 d/lr=0.01.h5
    check "its gradient record is epoch 0, finite" $PY -c "
import sys, h5py, numpy as np
f = h5py.File('d/lr=1e30.h5', 'r')
g = f['gradients']
sys.exit(0 if list(g['epoch'][()]) == [0] and np.isfinite(g['dloss_dh_norm'][()]).all()
         and len(f['history/epoch']) == 0 else 1)"
    # resume keeps the diverged run and still reports it
    "$SWEEP" div.yaml -o d -j 2 > out.txt 2> err.txt; st=$?
    check "resume of a sweep with a diverged run exits 1" test $st = 1
    check "resume counts the diverged run" has err.txt "4 runs: 3 done, 1 diverged"
    # --fail-fast: the longest run (all equal here: the first) diverges, nothing else starts
    "$SWEEP" div.yaml -o f -j 1 --fail-fast > out.txt 2> err.txt; st=$?
    check "--fail-fast exits 1" test $st = 1
    check "--fail-fast reports what it did not start" has err.txt "3 runs were not started because of --fail-fast"
    check "--fail-fast wrote only the diverged run" test "$(complete_files f | wc -l)" = 1
    ;;
compress)
    cat > cz.yaml <<'YAML'
name: cz
base:
  task: {seq_len: 20, train_size: 256, test_size: 128}
  model: {hidden: 32, activation: relu}
  train: {epochs: 2}
grid:
  seed: [1, 2]
YAML
    # relu: the probe's hidden states are about half zeros, which deflate shrinks; the
    # weights and the gradients' norms are noise-like floats, which it does not
    "$SWEEP" cz.yaml -o auto -q; check "record.compress auto (the default) exits 0" test $? = 0
    "$SWEEP" cz.yaml -o none -q --set record.compress=none; check "none exits 0" test $? = 0
    "$SWEEP" cz.yaml -o all -q --set record.compress=deflate --set record.deflate_level=9
    check "deflate exits 0" test $? = 0
    # per directory: large arrays deflated at level 9 / at any level / not deflated / lacking
    # the checksum, and the bytes of the run files
    $PY - <<'PYEOF' > filters.txt
import glob, os, h5py
for d in ("auto", "none", "all"):
    n = {"level9": 0, "deflated": 0, "plain": 0, "nochecksum": 0}
    size = 0
    for p in sorted(glob.glob(d + "/seed=*.h5")):
        size += os.path.getsize(p)
        def visit(name, o):
            if not isinstance(o, h5py.Dataset) or o.size == 0:
                return
            if not o.fletcher32:
                n["nochecksum"] += 1
            if o.size < 1024:
                return
            if o.compression == "gzip":
                n["deflated"] += 1
                n["level9"] += o.compression_opts == 9
            else:
                n["plain"] += 1
        h5py.File(p, "r").visititems(visit)
    print(d, " ".join(f"{k} {v}" for k, v in n.items()), "bytes", size)
PYEOF
    cat filters.txt
    field() { awk -v d="$1" -v k="$2" '$1 == d { for (i = 2; i < NF; i += 2) if ($i == k) print $(i + 1) }' filters.txt; }
    check "none: no array deflated" test "$(field none deflated)" = 0
    check "deflate: every large array deflated" test "$(field all plain)" = 0
    check "deflate: at record.deflate_level" test "$(field all level9)" = "$(field all deflated)"
    check "auto: some arrays deflated" test "$(field auto deflated)" -gt 0
    check "auto: some stored as they are" test "$(field auto plain)" -gt 0
    check "auto: at the default level" test "$(field auto level9)" = 0
    for d in auto none all; do check "$d: every array keeps its checksum" test "$(field $d nochecksum)" = 0; done
    check "deflate makes the smallest files" test "$(field all bytes)" -lt "$(field none bytes)"
    for f in seed=1.h5 seed=2.h5; do # (sweep.h5 holds the --set lines)
        same auto/$f none/$f; check "auto and none hold the same: $f" test $? = 0
        same auto/$f all/$f; check "auto and deflate hold the same: $f" test $? = 0
    done
    "$SWEEP" cz.yaml -o auto -q --set record.compress=none > out.txt 2>&1
    check "changing record.compress is no change of the sweep" test $? = 0
    ;;
estimate)
    cat > est.yaml <<'YAML'
name: est
base:
  task: {seq_len: 50, train_size: 1024, test_size: 256}
  model: {hidden: 256}
  train: {epochs: 5}
grid:
  seed: [1, 2]
YAML
    # seconds of "roughly 1m05s" / "roughly 7.3s" in a --dry-run listing
    estimate_of() { sed -n 's/.*roughly \([0-9.hms]*\) on.*/\1/p' "$1" |
        awk '{ t = 0; s = $0; while (match(s, /^[0-9.]+[hms]/)) { n = substr(s, 1, RLENGTH - 1); u = substr(s, RLENGTH, 1);
               t += n * (u == "h" ? 3600 : u == "m" ? 60 : 1); s = substr(s, RLENGTH + 1) } print t }'; }
    "$SWEEP" est.yaml -o fresh --dry-run -j 1 > dry1.txt 2>&1
    check "--dry-run exits 0" test $? = 0
    check "a fresh directory: the rate is measured by a probe" has dry1.txt "measured by training run"
    check "--dry-run still writes nothing" test ! -e fresh
    /usr/bin/time -f "%U %S" -o cpu.txt "$SWEEP" est.yaml -o runs -j 1 --threads-per-run 1 -q
    check "the sweep exits 0" test $? = 0
    cpu=$(awk '{ print $1 + $2 }' cpu.txt)
    est=$(estimate_of dry1.txt)
    echo "  probe estimate ${est} s, the sweep's CPU time ${cpu} s"
    check "the probe's estimate is within 4x of the CPU time the sweep took" \
        awk -v e="$est" -v c="$cpu" 'BEGIN { exit !(e >= c / 4 && e <= c * 4) }'
    "$SWEEP" est.yaml -o runs --dry-run -j 1 > dry2.txt 2>&1
    check "a directory with the runs: their rate" has dry2.txt "the rate of 2 earlier runs in runs"
    walls=$($PY - runs <<'PYEOF'
import glob, sys, h5py
print(sum(h5py.File(p, "r").attrs["wall_seconds"] for p in glob.glob(sys.argv[1] + "/seed=*.h5")))
PYEOF
)
    est=$(estimate_of dry2.txt)
    echo "  estimate from the earlier runs ${est} s, their wall_seconds ${walls} s"
    check "the earlier runs' estimate is their own seconds" \
        awk -v e="$est" -v w="$walls" 'BEGIN { exit !(e >= w - 0.51 && e <= w + 0.51) }'
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "sweep $MODE: $passed passed, $failed failed"
[ $failed -eq 0 ]
