#!/bin/bash
# test_sweep_stop.sh SWEEP MODE [MPI_BUILT]: early stopping (stop:) end to end on
# tests/data/stop-small.yaml (16 runs, sha, rungs at epochs 1, 3, 9).
#   files  --dry-run shows the rungs and the planned epochs; -j 1 and -j 2 give identical
#          files and /decisions; the decisions follow the rule from the files' own metric
#          (checked in Python), by configuration (the seeds of one go on or stop together,
#          by their mean; also for hyperband and median) and with stop.by run each run on
#          its own; stopped files end at their rung; a rerun redoes nothing;
#          two shards run rung by rung (each exits when it must wait for the other) and,
#          with `sweep index`, give the same files; hyperband and median run and are the
#          same for -j 1 and -j 2.
#   kill9  kill -9 right after a rung's decision (stopped runs, promoted runs waiting and
#          one training, held there by SWEEP_TEST_HOLD) and a rerun give the same files; the
#          stopped runs' files are not rewritten (same inode and mtime).
#   signal SIGTERM inside rung 0's barrier (some runs at the rung, waiting, others not yet
#          there) and inside a promoted run's epoch after it (held at a training step by
#          SWEEP_TEST_HOLD): exit 75, and a rerun gives the same files and /decisions.
#   mpi    mpirun -np 2 gives the same files and /decisions as one process (status 77
#          without MPI or mpirun).
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_stop.sh SWEEP MODE [MPI_BUILT]}")
MODE=${2:?mode}
MPI_BUILT=${3:-0}
source "$(dirname "$0")/testlib.sh"
CFG="$HERE/data/stop-small.yaml"

# check_decisions DIR BY: /decisions follows sha (by configuration: the seeds' mean; by
# run: each run) from the run files' val_acc; prints "ok".
check_decisions() {
    $PY - "$1" "$2" <<'PYEOF'
import sys, math, h5py, numpy as np
d, by = sys.argv[1], sys.argv[2]
bad = []
s = lambda x: x.decode() if isinstance(x, bytes) else x
with h5py.File(f"{d}/sweep.h5", "r") as ix:
    g = ix["decisions"]
    a = dict(g.attrs)
    if (a["kind"], a["metric"], int(a["eta"]), int(a["min_epochs"]), s(a["by"])) != ("sha", "val_acc", 3, 1, by):
        bad.append(f"attributes {a}")
    rows = list(zip(g["bracket"][:], g["rung"][:], g["epoch"][:], [s(r) for r in g["run"][:]],
                    g["metric"][:], g["cutoff"][:], g["promoted"][:], g["configuration"][:], g["run_metric"][:]))
    ids = [s(r) for r in ix["table/run_id"][:]]
    status = dict(zip(ids, [s(x) for x in ix["table/status"][:]]))
    stopped_attr = int(ix.attrs["runs_stopped"])
# a configuration: the run id without its seed (p003-1a2b3c4d,seed=1), numbered in grid order
key = {rid: ",".join(p for p in rid.split(",") if not p.startswith("seed=")) for rid in ids}
order = list(dict.fromkeys(key[rid] for rid in ids))
unit = {rid: (order.index(key[rid]) if by == "configuration" else ids.index(rid)) for rid in ids}
def val_acc(rid, epoch):
    with h5py.File(f"{d}/{rid}.h5", "r") as f:
        h = f["history/val_acc"][:]
        return h[epoch - 1] if len(h) >= epoch else float("nan")
members = sorted(ids)
n_rows = 0
for rung, epoch in [(0, 1), (1, 3)]:
    mine = [r for r in rows if r[1] == rung]
    n_rows += len(mine)
    if [r[3] for r in mine] != sorted(members): bad.append(f"rung {rung}: rows {[r[3] for r in mine]}, want {members}")
    own = {rid: val_acc(rid, epoch) for rid in members}
    units = sorted({unit[rid] for rid in members})
    runs_of = {u: sorted((r for r in members if unit[r] == u), key=ids.index) for u in units}
    mean = {u: sum(own[r] for r in runs_of[u]) / len(runs_of[u]) for u in units}   # NaN when one is
    for r in mine:
        u = unit[r[3]]
        if r[2] != epoch or r[7] != order.index(key[r[3]]): bad.append(f"rung {rung} {r[3]}: epoch {r[2]} configuration {r[7]}")
        for got, want, what in ((r[4], mean[u], "metric"), (r[8], own[r[3]], "run_metric")):
            if not (abs(got - want) < 1e-12 or (math.isnan(got) and math.isnan(want))):
                bad.append(f"rung {rung} {r[3]}: {what} {got}, want {want}")
    uid = {u: min(runs_of[u]) for u in units}
    ranked = sorted(units, key=lambda u: (math.isnan(mean[u]), -mean[u] if not math.isnan(mean[u]) else 0, uid[u]))
    keep = [u for u in ranked[:max(1, len(units) // 3)] if not math.isnan(mean[u])]
    want = sorted(r for u in keep for r in runs_of[u])
    got = [r[3] for r in mine if r[6] == 1]
    if want != got: bad.append(f"rung {rung}: promoted {got}, want {want}")
    members = want
if len(rows) != n_rows: bad.append(f"{len(rows)} rows, want {n_rows}")
final = members
epochs_of = {}
for rid in ids:
    with h5py.File(f"{d}/{rid}.h5", "r") as f:
        st, e = s(f.attrs["status"]), int(f["summary"].attrs["epochs_completed"])
    last = [r for r in rows if r[3] == rid]
    if st != "diverged": epochs_of.setdefault(unit[rid], set()).add(e)
    if rid in final:
        if st != "done" or e != 9: bad.append(f"{rid}: {st} at {e}, want done at 9")
    elif st == "stopped":
        if e != last[-1][2] or last[-1][6] != 0: bad.append(f"{rid}: stopped at {e}, decisions {last}")
    elif st != "diverged":
        bad.append(f"{rid}: status {st}")
if by == "configuration":
    split = {order[u]: sorted(e) for u, e in epochs_of.items() if len(e) > 1}
    if split: bad.append(f"seeds of one configuration stopped at different epochs: {split}")
if stopped_attr != sum(1 for x in status.values() if x == "stopped"): bad.append(f"runs_stopped {stopped_attr}")
if stopped_attr < 10: bad.append(f"only {stopped_attr} stopped")
print("\n".join(bad) if bad else "ok")
PYEOF
}

# seeds_together DIR: every configuration's runs (the run id without seed=) that did not
# diverge end at one epoch (stop.by configuration, any rule); prints "ok" or the split.
seeds_together() {
    $PY - "$1" <<'PYEOF'
import sys, glob, os, h5py
ends = {}
for p in sorted(glob.glob(sys.argv[1] + "/*.h5")):
    if p.endswith("/sweep.h5"): continue
    rid = os.path.basename(p)[:-3]
    with h5py.File(p) as f:
        st = f.attrs["status"]; st = st.decode() if isinstance(st, bytes) else st
        e = int(f["summary"].attrs["epochs_completed"])
    if st != "diverged": ends.setdefault(",".join(x for x in rid.split(",") if not x.startswith("seed=")), set()).add(e)
split = {k: sorted(v) for k, v in ends.items() if len(v) > 1}
print(f"split: {split}" if split else "ok")
PYEOF
}

case $MODE in
files)
    "$SWEEP" "$CFG" --dry-run > plan.txt; check "--dry-run exits 0" test $? = 0
    check "--dry-run: by configuration" has plan.txt "by configuration: 8 configurations of 16 runs"
    check "--dry-run shows the rungs" has plan.txt "rungs at epochs 1 (8: 16) 3 (2: 4) 9 (the end)"
    check "--dry-run shows the epochs planned" has plan.txt "epochs planned: 36 of 144 (25%)"
    "$SWEEP" "$CFG" --dry-run --set stop.by=run > plan-run.txt
    check "--dry-run by run: the rungs" has plan-run.txt "rungs at epochs 1 (16) 3 (5) 9 (the end)"
    check "--dry-run by run: the epochs planned" has plan-run.txt "epochs planned: 32 of 144 (22%)"
    "$SWEEP" "$CFG" -o j1 -j 1 2> j1.txt > /dev/null; check "-j 1 exits 0" test $? = 0
    "$SWEEP" "$CFG" -o j2 -j 2 -q; check "-j 2 exits 0" test $? = 0
    check "-j 1 and -j 2 identical (files and /decisions)" same j1 j2
    check "/decisions follows sha by configuration from the files" has <(check_decisions j1 configuration) "ok"
    check "progress: a rung's decision" has j1.txt "rung 0 (epoch 1): 2 of 8 configurations (4 of 16 runs) go on (val_acc mean >= "
    check "progress: the cutoff in percent" grep -q "go on (val_acc mean >= [0-9.]*%)" j1.txt
    check "progress: a stopped run's own value and its configuration's mean" \
        grep -q "stopped .* at epoch 1 (rung 0): val_acc [0-9.]*% (its configuration's mean over 2 runs: [0-9.]*%), at least [0-9.]*% to go on" j1.txt
    # stop.by run: every run ranked on its own (the rule before stop.by)
    "$SWEEP" "$CFG" -o run1 -j 1 -q --set stop.by=run; check "by run -j 1 exits 0" test $? = 0
    "$SWEEP" "$CFG" -o run2 -j 2 -q --set stop.by=run; check "by run -j 2 exits 0" test $? = 0
    check "by run: -j 1 and -j 2 identical" same run1 run2
    check "/decisions follows sha by run from the files" has <(check_decisions run1 run) "ok"
    check "progress: stopped runs counted" has j1.txt "stopped  "
    check "the end line counts stopped runs" has j1.txt "stopped early (sha)"
    check "a promoted run continues from its rung's checkpoint" has j1.txt "reached epoch 3/9; val_acc"
    check "... its metric in percent, as the table prints it" grep -q "reached epoch 3/9; val_acc [0-9]*\.[0-9][0-9]%" j1.txt
    check "... resumed at epoch 1" grep -q "reached epoch 3/9.*resumed at epoch 1" j1.txt
    check "no checkpoint is left (stopped runs' removed)" test -z "$(ls j1 | grep -F .ckpt)"
    check "every file, stopped ones included, meets the run-file contract" \
        $PY "$HERE/check-run-file.py" $(ls j1/*.h5 | grep -v sweep.h5)
    ls -li --time-style=full-iso j1/*.h5 | grep -v sweep.h5 > before.txt
    "$SWEEP" "$CFG" -o j1 -j 2 2> again.txt > /dev/null; check "rerun exits 0" test $? = 0
    check "rerun: every run complete already" has again.txt "16 already complete in j1, 0 to run"
    ls -li --time-style=full-iso j1/*.h5 | grep -v sweep.h5 > after.txt
    check "rerun rewrites no run file" cmp -s before.txt after.txt
    # changed stop settings, or runs added to an early-stopping sweep, change its decisions
    "$SWEEP" "$CFG" -o j1 --set stop.eta=2 > /dev/null 2> eta.txt; check "a changed stop.eta needs --force" test $? = 2
    check "... and the refusal names it" has eta.txt "j1 holds the results of a different sweep: stop.eta 3 -> 2."
    "$SWEEP" "$CFG" -o j1 --set stop.by=run > /dev/null 2> by.txt; check "a changed stop.by needs --force" test $? = 2
    check "... named" has by.txt "stop.by configuration -> run"
    "$SWEEP" "$CFG" -o j1 --set 'seed=[1,2,3]' > /dev/null 2> add.txt; check "runs added to a stop sweep need --force" test $? = 2
    check "... and the refusal says why" has add.txt "8 runs added (e.g. p000-"
    check "... to an early-stopping sweep" has add.txt "to an early-stopping sweep, whose rungs rank all its runs"
    # shards: each runs what it can and exits when its next rung waits for the other
    "$SWEEP" "$CFG" -o sh --shard 0/2 2> s0.txt > /dev/null; check "shard 0/2 exits 0 while waiting" test $? = 0
    check "shard 0/2 says it waits for the other" has s0.txt "at a rung for other shards' runs"
    rounds=0
    while [ $rounds -lt 6 ]; do
        rounds=$((rounds + 1))
        "$SWEEP" "$CFG" -o sh --shard 1/2 2> s1.txt > /dev/null || break
        "$SWEEP" "$CFG" -o sh --shard 0/2 2> s0.txt > /dev/null || break
        grep -q "at a rung for other shards" s0.txt s1.txt || break
    done
    check "shards finish within a few rounds ($rounds)" test $rounds -lt 6
    "$SWEEP" index sh > /dev/null
    check "shards and an index give the same files and /decisions" same j1 sh
    for kind in hyperband median; do
        "$SWEEP" "$CFG" -o $kind-1 -j 1 -q --set stop.kind=$kind; check "$kind -j 1 exits 0" test $? = 0
        "$SWEEP" "$CFG" -o $kind-2 -j 2 -q --set stop.kind=$kind; check "$kind -j 2 exits 0" test $? = 0
        check "$kind: -j 1 and -j 2 identical" same $kind-1 $kind-2
        check "$kind: /decisions kind" test "$($PY -c "import h5py,sys; print(h5py.File(sys.argv[1]+'/sweep.h5')['decisions'].attrs['kind'])" $kind-1)" = $kind
        check "$kind: the seeds of a configuration end together" has <(seeds_together $kind-1) "ok"
    done
    "$SWEEP" "$CFG" --dry-run --set stop.kind=hyperband > hb.txt
    check "hyperband --dry-run lists its brackets" has hb.txt "bracket 2: "
    ;;
kill9)
    # -j 1 trains the 16 runs to rung 0 (16 epochs), decides it, and holds (SWEEP_TEST_HOLD,
    # src/sweep/testhook.h) at the end of the next epoch, the first of a promoted run's job, until
    # killed: whatever the machine's speed, the kill finds runs stopped for good, promoted
    # runs waiting and one training
    "$SWEEP" "$CFG" -o ref2 -j 1 -q || { echo "FAIL: the reference sweep"; exit 1; }
    env SWEEP_TEST_HOLD=epoch:17 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o k -j 1 2> k.txt &
    pid=$!
    check "held in the first job after rung 0" await_hold k.txt $pid
    kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
    check "killed right after rung 0's decision" has k.txt "rung 0 (epoch 1)"
    "$SWEEP" index k > /dev/null 2>&1 # the index may lag the files after kill -9: /decisions as of now
    $PY - k > state.txt <<'PYEOF'
import sys, glob, h5py
d = sys.argv[1]
n = {"stopped-final": 0, "promoted-waiting": 0, "done": 0}
with h5py.File(f"{d}/sweep.h5") as ix:
    dec = ix["decisions"]
    promoted = {(r.decode() if isinstance(r, bytes) else r) for r, p in zip(dec["run"][:], dec["promoted"][:]) if p}
for p in glob.glob(f"{d}/*.h5"):
    if p.endswith("sweep.h5"): continue
    with h5py.File(p) as f:
        st = f.attrs["status"]; st = st.decode() if isinstance(st, bytes) else st
        rid = p.split("/")[-1][:-3]
        e = int(f["summary"].attrs["epochs_completed"])
    if st == "stopped" and rid in promoted and e == 1: n["promoted-waiting"] += 1
    elif st == "stopped": n["stopped-final"] += 1
    else: n["done"] += 1
print(" ".join(f"{k}={v}" for k, v in sorted(n.items())))
PYEOF
    check "at the kill: runs stopped for good" grep -q "stopped-final=[1-9]" state.txt
    check "at the kill: promoted runs not yet at their next rung" grep -q "promoted-waiting=[1-9]" state.txt
    ls -li --time-style=full-iso k/*.h5 > k-before.txt
    $PY - k k-before.txt > stopped-before.txt <<'PYEOF'
import sys, h5py
for line in open(sys.argv[2]):
    p = line.split()[-1]
    if p.endswith("sweep.h5"): continue
    with h5py.File(p) as f:
        st = f.attrs["status"]; st = st.decode() if isinstance(st, bytes) else st
        if st == "stopped" and int(f["summary"].attrs["epochs_completed"]) == 1: print(line.strip())
PYEOF
    "$SWEEP" "$CFG" -o k -j 2 -q; check "rerun after kill -9 exits 0" test $? = 0
    check "rerun after kill -9: the same files and /decisions" same ref2 k
    # the runs stopped at rung 0 before the kill: never rewritten
    $PY - k > stopped0.txt <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1] + "/sweep.h5") as ix:
    dec = ix["decisions"]
    for r, k, p in zip(dec["run"][:], dec["rung"][:], dec["promoted"][:]):
        if k == 0 and not p: print(r.decode() if isinstance(r, bytes) else r)
PYEOF
    ok=1
    while read -r rid; do
        a=$(grep -F "/$rid.h5" stopped-before.txt | awk '{print $1, $7, $8}')
        b=$(ls -li --time-style=full-iso "k/$rid.h5" | awk '{print $1, $7, $8}')
        [ -n "$a" ] && [ "$a" = "$b" ] || { echo "  $rid: before '$a', after '$b'"; ok=0; }
    done < stopped0.txt
    check "stopped runs keep their files (inode, mtime)" test $ok = 1
    ;;
signal)
    "$SWEEP" "$CFG" -o ref3 -j 1 -q || { echo "FAIL: the reference sweep"; exit 1; }
    # rung 0 is 16 runs of one epoch of 2 steps (32 steps): step 20 is inside its barrier,
    # step 35 inside a promoted run's second or third epoch
    for at in 20 35; do
        rm -f "$RELEASE"
        env SWEEP_TEST_HOLD=step:$at SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o t$at -j 2 2> t$at.txt &
        pid=$!
        check "held at step $at" await_hold t$at.txt $pid
        kill -TERM $pid
        check "step $at: the sweep takes the SIGTERM" await 120 "the signal's message" grep -q "sweep: interrupted (SIGTERM)" t$at.txt
        release
        wait $pid; st=$?
        check "step $at: SIGTERM exits 75" test $st = 75
        check "step $at: a run stopped inside an epoch" grep -qE 'interrupted in epoch [0-9]+ after step [12] of 2; checkpoint saved' t$at.txt
        "$SWEEP" "$CFG" -o t$at -j 2 2> t$at-2.txt; check "step $at: the rerun exits 0" test $? = 0
        check "step $at: the rerun resumes a run inside its epoch" grep -qE 'resumed in epoch [0-9]+ after step [12] of 2' t$at-2.txt
        check "step $at: the same files and /decisions as one uninterrupted process" same ref3 t$at
    done
    check "step 20 was inside rung 0" grep -q "interrupted in epoch 1 after step" t20.txt
    check "step 35 was after rung 0" grep -qE "interrupted in epoch [23] after step" t35.txt
    ;;
mpi)
    mpi_require
    "$SWEEP" "$CFG" -o one -j 1 -q || { echo "FAIL: the one-process sweep"; exit 1; }
    "${MPIRUN2[@]}" "$SWEEP" "$CFG" -o m2 -j 1 -q; check "mpirun -np 2 -j 1 exits 0" test $? = 0
    check "mpirun -np 2 -j 1: the same files and /decisions" same one m2
    "${MPIRUN2[@]}" "$SWEEP" "$CFG" -o m22 -j 2 -q; check "mpirun -np 2 -j 2 exits 0" test $? = 0
    check "mpirun -np 2 -j 2: the same files and /decisions" same one m22
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac

echo "sweep stop $MODE: $passed passed, $failed failed"
[ $failed -eq 0 ]
