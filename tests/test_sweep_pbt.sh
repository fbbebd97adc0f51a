#!/bin/bash
# test_sweep_pbt.sh SWEEP MODE [MPI_BUILT]: a pbt search (tests/data/pbt-small.yaml: 6
# members, barriers at epochs 2 and 4 of 6, 2 exploit at each) end to end.
#   files   -j 1 and -j 2 give identical files; every member that exploits starts its next
#           generation from its donor's weights, optimizer moments and step count at that
#           epoch (SWEEP_TEST_PBT=keep keeps the states: compared array by array with the
#           donor's), the rest of its state its own; the donors are the top members by the
#           metric recorded there; the barrier states are removed when the search ends; a
#           rerun redoes nothing; member m trains with seed + m.
#   shards  two shards, each run until the next generation waits for the other's members,
#           give the same files as one process.
#   kill9   kill -9 inside a generation (held by SWEEP_TEST_HOLD after a checkpoint inside a
#           member's job), and right after a barrier's files, then a rerun: the same files.
#   mpi     mpirun -np 2 gives the same files as one process (status 77 without MPI or
#           mpirun).
#   eta     `sweep status` gives an ETA in the middle of a pbt search.
#   errors  bad pbt settings: one line file:line:col naming what is wrong, exit 2, nothing
#           written.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_pbt.sh SWEEP MODE [MPI_BUILT]}")
MODE=${2:?mode}
MPI_BUILT=${3:-0}
source "$(dirname "$0")/testlib.sh"
CFG="$HERE/data/pbt-small.yaml"

if [ "$MODE" != errors ]; then
    "$SWEEP" "$CFG" -o ref -j 1 2> ref.txt > /dev/null || { echo "FAIL: the reference search"; sed 's/^/    | /' ref.txt; exit 1; }
fi

# check_exploits DIR: every *.at<E>.start.ckpt (SWEEP_TEST_PBT=keep) holds the weights,
# moments and step count of a donor's state at E, a donor in the top 2 by val_acc at E, and
# every other part of the member's own state at E; 2 such states per barrier. Prints "ok".
check_exploits() {
    $PY - "$1" <<'PYEOF'
import sys, glob, os, re, h5py, numpy as np
d = sys.argv[1]
bad = []
DONOR = {"state/weights", "state/optimizer/moments", "state/optimizer/steps"}
def parts(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
    return out
members = sorted(os.path.basename(p)[:-3] for p in glob.glob(f"{d}/p*.h5"))
def val_acc(m, e):
    with h5py.File(f"{d}/{m}.h5", "r") as f:
        return f["history/val_acc"][e - 1]
for e in (2, 4):
    starts = sorted(glob.glob(f"{d}/*.at{e}.start.ckpt"))
    if len(starts) != 2: bad.append(f"epoch {e}: {len(starts)} exploiting members, want 2")
    ranked = sorted(members, key=lambda m: (-val_acc(m, e), members.index(m)))
    for s in starts:
        me = os.path.basename(s).split(".at")[0]
        if me not in ranked[-2:]: bad.append(f"epoch {e}: {me} exploits but is not in the bottom 2 ({ranked})")
        got, own = parts(s), parts(f"{d}/{me}.at{e}.ckpt")
        donors = [m for m in members if m != me and
                  all(np.array_equal(got[k], parts(f"{d}/{m}.at{e}.ckpt")[k]) for k in DONOR)]
        if len(donors) != 1 or donors[0] not in ranked[:2]:
            bad.append(f"epoch {e}: {me}'s network is {donors}'s, want one of the top 2 {ranked[:2]}")
            continue
        if np.array_equal(got["state/weights"], own["state/weights"]): bad.append(f"{me}: kept its own weights")
        for k, v in got.items():
            if k not in DONOR and not np.array_equal(v, own[k]): bad.append(f"epoch {e}: {me}'s {k} is not its own")
print("ok" if not bad else "\n".join(bad))
PYEOF
}

# check_pbt DIR: /pbt against the members' files (the ranking by val_acc at each barrier,
# ties by member; the bottom 2 exploit a top 2 donor; old values are the member's, new ones
# its donor's times 0.8 or 1.25 or drawn again within the bounds (a choice: a neighbour or
# any), the rest keep theirs), and each file's /lineage and /history columns against /pbt.
# Prints "ok".
check_pbt() {
    $PY - "$1" <<'PYEOF'
import sys, math, h5py, numpy as np
d = sys.argv[1]
s = lambda x: x.decode() if isinstance(x, bytes) else x
bad = []
with h5py.File(f"{d}/sweep.h5", "r") as ix:
    p = ix["pbt"]
    a = {k: s(v) for k, v in p.attrs.items()}
    for k, v in {"population": 6, "interval": 2, "generations": 3, "seed": 5, "metric": "val_acc", "mode": "max",
                 "factors": "[0.8, 1.25]"}.items():
        if a.get(k) != v: bad.append(f"attribute {k}: {a.get(k)}, want {v}")
    keys = [s(k) for k in p.attrs["keys"]]
    cols = {k: p[k][:] for k in ("generation", "epoch", "member", "rank", "donor", "metric")}
    old = {k: p["old"][k][:] for k in keys}; new = {k: p["new"][k][:] for k in keys}
    runs = [s(r) for r in p["run"][:]]; donor_runs = [s(r) for r in p["donor_run"][:]]
    ids = [s(r) for r in ix["table/run_id"][:]]
if keys != ["train.lr", "model.dropout", "train.clip"]: bad.append(f"keys {keys}")
if list(cols["generation"]) != [1] * 6 + [2] * 6 or list(cols["member"]) != list(range(6)) * 2:
    bad.append(f"rows {list(cols['generation'])} {list(cols['member'])}")
files = {i: h5py.File(f"{d}/{ids[i]}.h5", "r") for i in range(6)}
bounds = {"train.lr": (1e-3, 1e-1), "model.dropout": (0.0, 0.3)}
clips = [0.5, 1.0, 5.0]
explored = {True: 0, False: 0}
for r in range(12):
    g, e, m = int(cols["generation"][r]), int(cols["epoch"][r]), int(cols["member"][r])
    va = {i: files[i]["history/val_acc"][e - 1] for i in range(6)}
    ranked = sorted(range(6), key=lambda i: (-va[i], i))
    if cols["rank"][r] != ranked.index(m) or cols["metric"][r] != va[m]: bad.append(f"row {r}: rank or metric")
    if runs[r] != ids[m]: bad.append(f"row {r}: run {runs[r]}")
    dn = int(cols["donor"][r])
    if (dn >= 0) != (m in ranked[-2:]) or (dn >= 0 and dn not in ranked[:2]):
        bad.append(f"row {r}: member {m} donor {dn}, ranking {ranked}")
    if donor_runs[r] != (ids[dn] if dn >= 0 else ""): bad.append(f"row {r}: donor_run {donor_runs[r]}")
    lin = files[m]["lineage"]
    for k in keys:
        if old[k][r] != lin[k][g - 1] or new[k][r] != lin[k][g]: bad.append(f"row {r}: {k} not the member's lineage")
        hist = files[m]["history"][k][:]
        if not np.all(hist[e - 2:e] == old[k][r]) or (len(hist) > e and hist[e] != new[k][r]):
            bad.append(f"row {r}: /history/{k} around epoch {e}: {hist}")
        if dn < 0:
            if new[k][r] != old[k][r]: bad.append(f"row {r}: {k} changed without a donor")
            continue
        src, v = old[k][(g - 1) * 6 + dn], new[k][r]  # the donor's value before the barrier
        if k == "train.clip":
            if v not in clips: bad.append(f"row {r}: clip {v}")
        elif not (bounds[k][0] <= v <= bounds[k][1]):
            bad.append(f"row {r}: {k} {v} outside the bounds")
        else:  # a factor of the donor's (clamped), or drawn again
            factored = any(abs(v - min(max(src * f, bounds[k][0]), bounds[k][1])) <= 1e-5 * v for f in (0.8, 1.25))
            explored[factored] += 1
    if s(lin["donor"][g]) != donor_runs[r]: bad.append(f"row {r}: /lineage/donor {lin['donor'][g]}")
    if lin["first_epoch"][g] != e + 1: bad.append(f"row {r}: first_epoch")
if explored[True] < 4: bad.append(f"explored values: {explored[True]} from a factor, {explored[False]} drawn again")
print("ok" if not bad else "\n".join(bad))
PYEOF
}

case $MODE in
files)
    check "/pbt follows the ranking and the members' files" has <(check_pbt ref) "ok"
    cp -r ref ix && rm ix/sweep.h5 && "$SWEEP" index ix > /dev/null
    check "sweep index rebuilds the same index, /pbt included" same ref ix
    "$SWEEP" summarize ref > sum.txt 2>&1; check "summarize exits 0" test $? = 0
    check "summarize: the best member's lineage" has sum.txt "pbt search: 6 members, 3 generations of 2 epochs, 4 exploits so far (sweep.h5 /pbt); the best member"
    check "... a row per generation" grep -qE "^ +2  5-6 " sum.txt
    "$SWEEP" status ref > status.txt 2>&1
    check "status: where the search stands" has status.txt "pbt search: 2 of 2 barriers decided (the latest at epoch 4), 4 exploits"
    (cd "$HERE/.." && PYTHONDONTWRITEBYTECODE=1 $PY -m analysis pbt "$work/ref" --out "$work/pbt.png") > fig.txt 2>&1
    check "analysis pbt draws the population" test "$(head -c 4 pbt.png 2> /dev/null | od -An -c | tr -d ' ')" = "211PNG"
    check "... and counts its exploits" has fig.txt "pbt search, 6 members, 6 epochs, 4 exploits"
    cp -r ref rep && (cd "$HERE/.." && PYTHONDONTWRITEBYTECODE=1 $PY -m analysis report "$work/rep") > rep.txt 2>&1
    check "the report has the population's figure and the best member's lineage" \
        grep -q "id=\"pbt\".*A pbt search of 6 members" rep/report.html
    "$SWEEP" "$CFG" --dry-run > plan.txt; check "--dry-run shows the barriers" has plan.txt "3 generations: barriers at epochs 2, 4; at each the bottom 2 by val_acc (higher is better) take the state of one of the top 2"
    check "the reference says each generation" has ref.txt "generation 1 (epoch 2): 2 of 6 members exploit:"
    check "... and the second" has ref.txt "generation 2 (epoch 4): 2 of 6 members exploit:"
    check "barrier states are removed at the end" test -z "$(ls ref | grep ckpt)"
    env SWEEP_TEST_PBT=keep "$SWEEP" "$CFG" -o j2 -j 2 -q; check "-j 2 exits 0" test $? = 0
    check "-j 1 and -j 2: identical files" same ref j2
    check "exploiting members continue from their donor's state" has <(check_exploits j2) "ok"
    ls -li --time-style=full-iso ref/*.h5 | grep -v sweep.h5 > before.txt
    "$SWEEP" "$CFG" -o ref -j 2 2> again.txt > /dev/null; check "rerun exits 0" test $? = 0
    ls -li --time-style=full-iso ref/*.h5 | grep -v sweep.h5 > after.txt
    check "rerun rewrites no run file" cmp -s before.txt after.txt
    "$SWEEP" "$CFG" -o ref -q --set search.quantile=0.5 2> changed.txt; check "changed pbt settings need --force" test $? = 2
    check "... saying what changed" has changed.txt "the pbt search's settings (interval quantile resample seed factors) changed from 2 0.34 0.25 5 [0.8, 1.25] to 2 0.5 0.25 5 [0.8, 1.25]"
    cp -r ref forced
    "$SWEEP" "$CFG" -o forced -q --set search.quantile=0.5 --force; check "forced: exits 0" test $? = 0
    "$SWEEP" "$CFG" -o fresh -q --set search.quantile=0.5
    check "... every member redone: the files of a fresh search" same fresh forced
    check "member m trains with seed m" test "$($PY -c "
import h5py, glob
print(sorted(int(h5py.File(p)['config'].attrs['seed']) for p in glob.glob('ref/p*.h5')))")" = "[0, 1, 2, 3, 4, 5]"
    ;;
shards)
    rounds=0
    while [ $rounds -lt 8 ]; do
        rounds=$((rounds + 1))
        "$SWEEP" "$CFG" -o sh --shard 0/2 2> s0.txt > /dev/null || { echo "FAIL: shard 0/2"; break; }
        "$SWEEP" "$CFG" -o sh --shard 1/2 2> s1.txt > /dev/null || { echo "FAIL: shard 1/2"; break; }
        cat s0.txt s1.txt >> shards.txt
        [ "$(ls sh/p*.h5 | wc -l)" = 6 ] && ! grep -q "waiting\|wait" s0.txt s1.txt && break
    done
    check "shards finish within a few invocations ($rounds)" test $rounds -lt 8
    check "shards: the same files as one process" same ref sh
    ;;
kill9)
    # a checkpoint every epoch: each job writes 2 (inside its generation, and at its barrier);
    # the 15th is inside the second job of generation 1
    sed 's/record: {probe_size: 4, grad_every: 2}/record: {probe_size: 4, grad_every: 2, checkpoint_every: 1}/' "$CFG" > ck.yaml
    "$SWEEP" ck.yaml -o ckref -j 1 -q; check "the checkpointed reference exits 0" test $? = 0
    env SWEEP_TEST_CHECKPOINTS=unthrottled SWEEP_TEST_HOLD=checkpoint:15 SWEEP_TEST_RELEASE="$RELEASE" \
        "$SWEEP" ck.yaml -o k -j 1 2> k.txt > /dev/null &
    pid=$!
    check "held inside generation 1" await_hold k.txt $pid
    kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
    check "killed after generation 1's barrier" has k.txt "generation 1 (epoch 2)"
    "$SWEEP" ck.yaml -o k -j 2 2> k2.txt > /dev/null; check "the rerun exits 0" test $? = 0
    check "the rerun resumes a member inside its generation" grep -q "resumed at epoch 3" k2.txt
    check "the rerun: the same files as without the kill" same ckref k
    # killed right after the 6th member's file (the barrier at epoch 2 complete, undecided)
    env SWEEP_TEST_HOLD=run:6 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o b -j 1 2> b.txt > /dev/null &
    pid=$!
    check "held at the barrier" await_hold b.txt $pid
    kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
    "$SWEEP" "$CFG" -o b -j 2 2> b2.txt > /dev/null; check "the rerun exits 0" test $? = 0
    check "the rerun trains generation 1 from the barrier" has b2.txt "resumed at epoch 2"
    check "the rerun: the same files as without the kill" same ref b
    ;;
mpi)
    mpi_require
    "${MPIRUN2[@]}" "$SWEEP" "$CFG" -j 1 -o np2 > out.txt 2> err.txt
    check "mpirun -np 2 exits 0" test $? = 0
    check "mpirun -np 2: the same files as one process" same ref np2
    check "each generation said once" test "$(grep -c 'generation 1 (epoch 2)' err.txt)" = 1
    ;;
eta)
    # held after the 14th job (-j 1: the 6 jobs of generation 0, the 6 of generation 1, 2 of
    # generation 2), `sweep status` gives an ETA once the heartbeat is rewritten (at most
    # every 10 s): the work done counts each job's own epochs, 14/18 of the search's, where
    # counting each job from epoch 0 had made it 16/18 + 2 whole runs, more than planned,
    # and the ETA unknown ("--") from there to the end
    env SWEEP_TEST_HOLD=run:14 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o e -j 1 2> e.txt > /dev/null &
    pid=$!
    check "held in generation 2" await_hold e.txt $pid
    eta_known() { "$SWEEP" status e > s.txt 2>&1; grep -qE 'ETA [0-9]' s.txt; }
    check "sweep status gives an ETA" await 40 "an ETA in sweep status" eta_known
    grep -q "ETA" s.txt || sed 's/^/    | /' s.txt
    release; wait $pid; check "the held search finishes" test $? = 0
    check "the same files as the reference" same ref e
    ;;
errors)
    # refuse SEARCH SPACE EXTRA WANT: the file with these lines exits 2 with one line that
    # has file:line:col and WANT, and writes nothing
    refuse() {
        printf 'name: e\nbase:\n  task: {seq_len: 5, train_size: 64, test_size: 32, val_size: 32}\n  train: {epochs: 6, batch: 16}\nsearch: %s\nspace: %s\n%s\n' \
            "$1" "$2" "$3" > e.yaml
        rm -rf eo
        "$SWEEP" e.yaml -o eo > /dev/null 2> e.txt; local st=$?
        [ $st = 2 ] && [ "$(wc -l < e.txt)" = 1 ] && grep -qE '^e\.yaml:[0-9]+:[0-9]+: ' e.txt && grep -qF -- "$4" e.txt &&
            [ ! -e eo ] || { echo "  (status $st, want 2 and: $4)"; sed 's/^/    | /' e.txt; return 1; }
    }
    LR='{train.lr: {loguniform: [1.0e-3, 1.0e-1]}}'
    check "population < 2" refuse '{kind: pbt, population: 1}' "$LR" '' "search.population: 1 is out of range"
    check "quantile 0" refuse '{kind: pbt, population: 4, quantile: 0}' "$LR" '' "search.quantile: 0 is out of range; allowed: a number in (0, 0.5]"
    check "quantile above 0.5" refuse '{kind: pbt, population: 4, quantile: 0.6}' "$LR" '' "search.quantile: 0.6 is out of range"
    check "interval < 1" refuse '{kind: pbt, population: 4, interval: 0}' "$LR" '' "search.interval: 0 is out of range"
    check "interval > epochs" refuse '{kind: pbt, population: 4, interval: 7}' "$LR" '' "search.interval: 7 is more than train.epochs 6"
    check "a factor <= 0" refuse '{kind: pbt, population: 4, factors: [0.8, 0]}' "$LR" '' "search.factors: every factor must be a number > 0, got 0"
    check "no factors" refuse '{kind: pbt, population: 4, factors: []}' "$LR" '' "search.factors: needs at least one factor"
    check "a shape key" refuse '{kind: pbt, population: 4}' '{train.lr: {loguniform: [1.0e-3, 1.0e-1]}, model.hidden: {int_uniform: [4, 8]}}' '' \
        "space: model.hidden cannot change while a pbt member trains"
    check "the cell" refuse '{kind: pbt, population: 4}' '{model.cell: {choice: [rnn, gru]}}' '' "space: model.cell cannot change"
    check "a task key" refuse '{kind: pbt, population: 4}' '{task.seq_len: {int_uniform: [4, 8]}}' '' "space: task.seq_len cannot change"
    check "pbt with stop:" refuse '{kind: pbt, population: 4}' "$LR" 'stop: {kind: sha}' "stop: does not apply to a pbt search"
    check "pbt with grid:" refuse '{kind: pbt, population: 4}' "$LR" 'grid: {seed: [1, 2]}' "a pbt search's runs are its members; grid: and zip: do not apply"
    check "no population" refuse '{kind: pbt}' "$LR" '' "search.kind pbt needs population"
    check "pbt keys elsewhere" refuse '{kind: sobol, samples: 4, interval: 2}' "$LR" '' "search.interval applies to kind pbt only, not sobol"
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "sweep pbt $MODE: $passed passed, $failed failed"
[ $failed -eq 0 ]
