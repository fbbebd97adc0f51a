#!/bin/bash
# test_sweep_tpe.sh SWEEP MODE [MPI_BUILT]: a tpe search (tests/data/tpe-small.yaml: 4
# startup points, then 2 rounds of 4 chosen from the results, two seeds each) end to end.
#   files   --dry-run shows the startup points, which are kind sobol's with the same seed,
#           and "then 2 rounds of 4, chosen from the results"; -j 1 and -j 2 give identical
#           files and /search; /search has every point with its round, origin, l/g score,
#           values, metric (its runs' mean) and best so far; a rerun redoes nothing and
#           chooses the same rounds; `sweep index` rebuilds the same index; summarize
#           shows the best so far against the points; with stop: sha every round's rungs
#           rank its own runs, stopped points are in /search, -j 1 and -j 2 agree.
#   shards  two shards, each run until the next round waits for the other's runs, give
#           the same files as one process.
#   kill9   kill -9 in the middle of round 1 (held there by SWEEP_TEST_HOLD after a run of
#           that round) and a rerun give the same files.
#   signal  SIGTERM inside a run of round 2 (held by SWEEP_TEST_HOLD after its 70th training
#           step: round 1 is 8 runs of 8 steps), exit 75, and a rerun gives the same files.
#   mpi     mpirun -np 2 gives the same files as one process (status 77 without MPI or
#           mpirun).
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_tpe.sh SWEEP MODE [MPI_BUILT]}")
MODE=${2:?mode}
MPI_BUILT=${3:-0}
source "$(dirname "$0")/testlib.sh"
CFG="$HERE/data/tpe-small.yaml"

"$SWEEP" "$CFG" -o ref -j 1 2> ref.txt > /dev/null || { echo "FAIL: the reference search"; sed 's/^/    | /' ref.txt; exit 1; }

# check_search DIR: /search against the index's table and the rules; prints "ok".
check_search() {
    $PY - "$1" <<'PYEOF'
import sys, math, h5py, numpy as np
d = sys.argv[1]
bad = []
s = lambda x: x.decode() if isinstance(x, bytes) else x
with h5py.File(f"{d}/sweep.h5", "r") as ix:
    g = ix["search"]
    a = {k: s(v) for k, v in g.attrs.items()}
    want = {"kind": "tpe", "samples": 12, "startup": 4, "batch": 4, "rounds": 3, "rounds_known": 3, "seed": 5,
            "metric": "val_acc", "mode": "max"}
    for k, v in want.items():
        if a.get(k) != v:
            bad.append(f"attribute {k}: {a.get(k)}, want {v}")
    if not a.get("digital_shift"):
        bad.append("tpe's startup points are digitally shifted unless told otherwise")
    n = len(g["point"])
    if list(g["point"][:]) != list(range(12)) or list(g["round"][:]) != [0] * 4 + [1] * 4 + [2] * 4:
        bad.append(f"points {list(g['point'][:])} rounds {list(g['round'][:])}")
    origin = [s(o) for o in g["origin"][:]]
    score = g["score"][:]
    if origin[:4] != ["sobol"] * 4 or any(o not in ("tpe", "fallback") for o in origin[4:]):
        bad.append(f"origins {origin}")
    for k in range(n):
        if (origin[k] == "tpe") != math.isfinite(score[k]):
            bad.append(f"point {k}: origin {origin[k]}, score {score[k]}")
    ids = [s(r) for r in ix["table/run_id"][:]]
    best = ix["table/best_metric"][:]
    metric, so_far = g["metric"][:], g["best_so_far"][:]
    for k in range(n):
        runs = [i for i, r in enumerate(ids) if r.startswith(f"p{k:03d}-")]
        if len(runs) != 2:
            bad.append(f"point {k}: runs {runs}")
            continue
        if abs(metric[k] - np.mean(best[runs])) > 1e-12:
            bad.append(f"point {k}: metric {metric[k]}, its runs' mean {np.mean(best[runs])}")
        for key in ("train.lr", "model.hidden", "model.dropout", "model.cell"):
            if g[key][k] != ix["table"][key][runs[0]]:
                bad.append(f"point {k}: {key} {g[key][k]} but its run {ids[runs[0]]} has {ix['table'][key][runs[0]]}")
        if abs(so_far[k] - np.nanmax(metric[: k + 1])) > 1e-12:
            bad.append(f"best so far at {k}: {so_far[k]}")
    # tpe points repeat no earlier point
    vals = list(zip(*[g[key][:] for key in ("train.lr", "model.hidden", "model.dropout", "model.cell")]))
    if len(set(vals)) != n:
        bad.append("a point repeats another")
print("ok" if not bad else "\n".join(bad))
PYEOF
}

case $MODE in
files)
    "$SWEEP" "$CFG" --dry-run > plan.txt 2> plan_err.txt; check "--dry-run exits 0" test $? = 0
    check "--dry-run lists the startup points' runs" has plan.txt "total: 8 runs"
    check "--dry-run: the rounds after them" has plan.txt "then 2 rounds of 4, chosen from the results (TPE on val_acc, higher is better; 8 points, 16 runs more)"
    check "--dry-run: startup points are shifted Sobol points" has plan.txt "the 4 above are its startup points (Sobol, digitally shifted)"
    sed 's/^search: .*/search: {kind: sobol, samples: 4, seed: 5, digital_shift: true}/' "$CFG" > sobol.yaml
    "$SWEEP" sobol.yaml --dry-run > sobol.txt
    grep -E '^ +[0-9]+  p0' plan.txt > tpe_rows.txt; grep -E '^ +[0-9]+  p0' sobol.txt > sobol_rows.txt
    check "the startup points are kind sobol's with the same seed" cmp -s tpe_rows.txt sobol_rows.txt
    check "... 8 runs of them" test "$(wc -l < tpe_rows.txt)" = 8
    check "the reference says each round" has ref.txt "round 2 of 3: 4 points (4-7) chosen by TPE from the 4 before; best so far val_acc"
    check "... and the end of the search" has ref.txt "tpe search complete: 3 rounds, 12 points; best so far val_acc"
    "$SWEEP" "$CFG" -o j2 -j 2 -q; check "-j 2 exits 0" test $? = 0
    check "-j 1 and -j 2: identical files and /search" same ref j2
    check "/search follows the rules and the table" has <(check_search ref) "ok"
    ls -li --time-style=full-iso ref/*.h5 | grep -v sweep.h5 > before.txt
    "$SWEEP" "$CFG" -o ref -j 2 2> again.txt > /dev/null; check "rerun exits 0" test $? = 0
    check "rerun: the rounds are chosen again from the files, nothing to run" has again.txt "round 3 of 3: 24 runs, 24 already complete in ref, 0 to run"
    ls -li --time-style=full-iso ref/*.h5 | grep -v sweep.h5 > after.txt
    check "rerun rewrites no run file" cmp -s before.txt after.txt
    check "rerun: the same files" same ref j2
    cp -r ref ix && rm ix/sweep.h5 && "$SWEEP" index ix > /dev/null
    check "sweep index rebuilds the same index, /search included" same ref ix
    "$SWEEP" summarize ref > sum.txt 2>&1; check "summarize exits 0" test $? = 0
    check "summarize: best so far against the points" has sum.txt "best so far (val_acc, percent, higher is better) against points evaluated: tpe search, 12 of 12 points, round 3 of 3"
    # a changed search needs --force; forced, its rounds are chosen from its own results only
    "$SWEEP" "$CFG" -o ref --set search.seed=6 > /dev/null 2> seed.txt; check "another seed needs --force" test $? = 2
    cp -r ref forced
    "$SWEEP" "$CFG" -o forced --set train.epochs=3 --force -q 2> forced.txt; check "forced over changed epochs: exits 0" test $? = 0
    "$SWEEP" "$CFG" -o fresh --set train.epochs=3 -q
    check "... the same files as a fresh search of the changed config" same fresh forced
    # early stopping: each round's rungs rank its own runs
    "$SWEEP" "$CFG" -o s1 -j 1 -q --set stop.kind=sha --set stop.eta=2; check "tpe with stop: sha exits 0" test $? = 0
    "$SWEEP" "$CFG" -o s2 -j 2 -q --set stop.kind=sha --set stop.eta=2; check "... -j 2 exits 0" test $? = 0
    check "tpe with sha: -j 1 and -j 2 identical" same s1 s2
    $PY - s1 > stop.txt <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]
s = lambda x: x.decode() if isinstance(x, bytes) else x
bad = []
with h5py.File(f"{d}/sweep.h5") as ix:
    dec, g = ix["decisions"], ix["search"]
    rnd, run, rung = dec["round"][:], [s(r) for r in dec["run"][:]], dec["rung"][:]
    for r in range(3):
        rows = [run[i] for i in range(len(run)) if rnd[i] == r and rung[i] == 0]
        points = sorted({int(x[1:4]) for x in rows})
        if points != list(range(4 * r, 4 * r + 4)) or len(rows) != 8:
            bad.append(f"round {r} rung 0 decides {rows}")
    status, epochs = [s(x) for x in g["status"][:]], g["epochs"][:]
    if status.count("stopped") < 6 or any((st == "stopped") != (e < 4) for st, e in zip(status, epochs)):
        bad.append(f"statuses {status} epochs {list(epochs)}")
print("ok" if not bad else "\n".join(bad))
PYEOF
    check "each round's rungs decide its own 4 points; stopped points are in /search" has stop.txt "ok"
    cp -r s1 s1ix && rm s1ix/sweep.h5 && "$SWEEP" index s1ix > /dev/null
    check "sweep index rebuilds /decisions by round and /search" same s1 s1ix
    ;;
shards)
    rounds=0
    while [ $rounds -lt 8 ]; do
        rounds=$((rounds + 1))
        "$SWEEP" "$CFG" -o sh --shard 0/2 2> s0.txt > /dev/null || { echo "FAIL: shard 0/2"; break; }
        "$SWEEP" "$CFG" -o sh --shard 1/2 2> s1.txt > /dev/null || { echo "FAIL: shard 1/2"; break; }
        cat s0.txt s1.txt >> shards.txt
        grep -q "waits for" s0.txt s1.txt || break
    done
    check "a shard said its next round waits for the other's runs" \
        grep -q "round 2 of 3 waits for 4 runs of other shards; run this command again" shards.txt
    check "shards finish within a few invocations ($rounds)" test $rounds -lt 8
    check "shards: the same files as one process" same ref sh
    ;;
kill9)
    # -j 1 runs round 0 (8 runs), chooses round 1 and holds after the 10th run's file until
    # killed: whatever the machine's speed, round 1 is half run
    env SWEEP_TEST_HOLD=run:10 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o k -j 1 2> k.txt > /dev/null &
    pid=$!
    check "held in round 2" await_hold k.txt $pid
    kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
    check "killed in round 2 of 3" has k.txt "round 2 of 3: 16 runs, 8 already complete"
    check "... with runs of it complete" test "$(ls k/p00[4-7]-*.h5 2> /dev/null | wc -l)" -ge 1
    "$SWEEP" "$CFG" -o k -j 2 2> k2.txt > /dev/null; check "the rerun exits 0" test $? = 0
    check "the rerun: the same files and /search as without the kill" same ref k
    ;;
signal)
    env SWEEP_TEST_HOLD=step:70 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o t -j 1 2> t.txt > /dev/null &
    pid=$!
    check "held in round 2" await_hold t.txt $pid
    kill -TERM $pid
    check "the sweep takes the SIGTERM" await 120 "the signal's message" grep -q "sweep: interrupted (SIGTERM)" t.txt
    release
    wait $pid; st=$?
    check "SIGTERM exits 75" test $st = 75
    check "stopped in round 2 of 3" has t.txt "round 2 of 3"
    check "a run stopped inside an epoch" grep -qE 'interrupted in epoch [0-9]+ after step [12] of 2; checkpoint saved' t.txt
    "$SWEEP" "$CFG" -o t -j 2 2> t2.txt > /dev/null; check "the rerun exits 0" test $? = 0
    check "the rerun resumes that run inside its epoch" grep -qE 'resumed in epoch [0-9]+ after step [12] of 2' t2.txt
    check "the rerun: the same files and /search as without the signal" same ref t
    ;;
mpi)
    mpi_require
    "${MPIRUN2[@]}" "$SWEEP" "$CFG" -j 1 -o np2 > out.txt 2> err.txt
    check "mpirun -np 2 exits 0" test $? = 0
    check "mpirun -np 2: the same files and /search as one process" same ref np2
    check "each round said once" test "$(grep -c 'round 2 of 3: 4 points' err.txt)" = 1
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "sweep tpe $MODE: $passed passed, $failed failed"
[ $failed -eq 0 ]
