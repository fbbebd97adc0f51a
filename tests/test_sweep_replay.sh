#!/bin/bash
# test_sweep_replay.sh SWEEP MODE: per-epoch tables (docs/config.md, "Per-epoch tables") and
# `sweep replay` (a pbt member's life as one run).
#   replay  tests/data/pbt-small.yaml with a decaying rate: the finished search writes
#           pbt-replay.yaml (its best member's, as `sweep replay DIR` prints it, named by
#           `sweep summarize`); a member whose chain never left it replays to its file's
#           weights (final and best) and history bit for bit; a member whose chain passed
#           through a donor replays the chain's values (each epoch's rate and keys are those
#           of the member that trained that epoch) from the chain's first member's seed (its
#           epochs up to the first change of member bit for bit), and says so in its header; unknown
#           members and directories are refused (exit 2); a changed search redone with
#           --force removes the old pbt-replay.yaml.
#   tables  a table of a constant rate trains exactly as the constant schedule, a table of
#           the rates `step` gives (exact in decimal: gamma 0.5) exactly as `step`, a
#           constant clip_values as train.clip; tables that vary change the result, the
#           same on 1 thread and 2 per run; the tables are in /config and /history/<key>.
#   errors  a table of the wrong length, a value out of its key's range, not a number, a
#           table where none is taken, kind table without values, values without kind
#           table, warmup with table, a table on a grid axis or in a search space, a pbt
#           space key with a table:
#           one line file:line:col, exit 2, nothing written.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_replay.sh SWEEP MODE}")
MODE=${2:?mode}
source "$(dirname "$0")/testlib.sh"

# same_arrays A.h5 B.h5 PREFIX...: every dataset under each PREFIX of A is in B with the
# same bytes (B may have more), but those named in $EXCEPT.
same_arrays() {
    $PY - "$@" <<'PYEOF'
import os, sys, h5py
a, b, prefixes = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), sys.argv[3:]
names = []
a.visititems(lambda k, v: names.append(k) if isinstance(v, h5py.Dataset) else None)
skip = set(os.environ.get("EXCEPT", "").split())
bad = [k for k in names if any(k.startswith(p) for p in prefixes) and k.split("/")[-1] != "seconds" and k not in skip and
       (k not in b or a[k][()].tobytes() != b[k][()].tobytes())]
checked = [k for k in names if any(k.startswith(p) for p in prefixes)]
if bad or not checked: print("  (differ:", bad or "nothing compared", ")"); sys.exit(1)
PYEOF
}

# differ A.h5 B.h5 PATH: the dataset PATH differs between the two files.
differ() {
    $PY -c 'import sys,h5py; sys.exit(h5py.File(sys.argv[1])[sys.argv[3]][()].tobytes() == h5py.File(sys.argv[2])[sys.argv[3]][()].tobytes())' "$@" ||
        { echo "  ($3 is the same in $1 and $2)"; return 1; }
}

case "$MODE" in
replay)
    "$SWEEP" "$HERE/data/pbt-small.yaml" -o ref -j 2 --set 'train.schedule={kind: exponential, gamma: 0.8}' \
        > ref.txt 2>&1 || { echo "FAIL: the search"; sed 's/^/    | /' ref.txt; exit 1; }
    # members by chain: U never took another's state, C did (pbt-small exploits at both barriers)
    read -r U C < <($PY - ref <<'PYEOF'
import sys, glob, os, h5py
u = c = None
for p in sorted(glob.glob(sys.argv[1] + "/p*.h5")):
    donors = [d.decode() for d in h5py.File(p)["lineage/donor"][()]]
    m = os.path.basename(p)[:-3]
    if any(donors): c = c or m
    else: u = u or m
print(u, c)
PYEOF
)
    check "a member kept its own chain, one did not ($U, $C)" test -n "$U" -a -n "$C"
    check "the finished search wrote pbt-replay.yaml" test -s ref/pbt-replay.yaml
    "$SWEEP" replay ref > best.yaml 2> best.err
    check "sweep replay DIR prints the best member's, the sweep's own file" cmp -s best.yaml ref/pbt-replay.yaml
    "$SWEEP" summarize ref > sum.txt 2>&1
    check "summarize names the replay file" has sum.txt "ref/pbt-replay.yaml"
    check "summarize says the space's columns are the starting values" has sum.txt \
        "pbt members: the space's columns are the values each member started from"

    "$SWEEP" replay ref --member "$U" -o u.yaml 2> u.err
    check "replay of an unchanged chain says so" has u.yaml "The chain never left $U"
    "$SWEEP" u.yaml -o u -q > /dev/null 2>&1
    # (/history/train.lr is the member's base rate, before its schedule; the replay's is the
    # rate itself, as its /history/lr, which is compared)
    EXCEPT=history/train.lr check "its replay: weights (final, best) and history bit for bit" \
        same_arrays "ref/$U.h5" u/run.h5 weights/ history/
    check "its replay: the same tables in /config and its values in /history" \
        $PY -c 'import sys,h5py,numpy as np; a,b=h5py.File(sys.argv[1]),h5py.File(sys.argv[2]); sys.exit(not (np.array_equal(a["history/lr"][()], b["config"].attrs["train.schedule.values"]) and np.array_equal(a["history/model.dropout"][()], b["history/model.dropout"][()])))' "ref/$U.h5" u/run.h5

    # by index too: C's position in the population
    CI=$((10#${C:1:3}))
    "$SWEEP" replay ref --member "$CI" -o c.yaml 2> c.err
    check "replay by index names the member" has c.yaml "($C)"
    check "replay of a changed chain says it is not bit for bit" has c.yaml "The chain passed through other members"
    "$SWEEP" c.yaml -o c -q > /dev/null 2>&1
    check "the changed chain's replay trains each epoch with the values of the member that trained it" $PY - ref "$C" c/run.h5 <<'PYEOF'
import sys, h5py, numpy as np
d, m, r = sys.argv[1:]
def life(x): return h5py.File(f"{d}/{x}.h5", "r")
f = life(m)
first, G = list(f["lineage/first_epoch"][()]), len(f["lineage/first_epoch"])
owner, o = [None] * G, m
for k in range(G - 1, -1, -1):
    owner[k] = o
    donor = life(o)["lineage/donor"][k].decode()
    if k and donor: o = donor
rep = h5py.File(r, "r")
ok = True
for e in range(1, len(rep["history/lr"]) + 1):
    k = max(i for i in range(G) if first[i] <= e)
    for key, col in (("lr", "lr"), ("train.clip", "train.clip"), ("model.dropout", "model.dropout")):
        want = life(owner[k])[f"history/{col}"][e - 1]
        if rep[f"history/{col}"][e - 1] != want: print(f"  (epoch {e} {key}: {rep[f'history/{col}'][e - 1]} != {want} of {owner[k]})"); ok = False
# the chain's first member trained its first epochs exactly as the replay (its seed)
change = min(first[k] for k in range(G) if owner[k] != owner[0])
for col in ("val_loss", "test_loss"):
    a, b = rep[f"history/{col}"][:change - 1], life(owner[0])[f"history/{col}"][:change - 1]
    if a.tobytes() != b.tobytes(): print(f"  (epochs 1-{change - 1} {col} differ from {owner[0]}'s)"); ok = False
sys.exit(0 if ok and len(set(owner)) > 1 else 1)
PYEOF
    "$SWEEP" replay ref --member 99 > /dev/null 2> bad.txt; st=$?
    check "an unknown member: exit 2, one line" test $st = 2 -a "$(wc -l < bad.txt)" = 1
    check "... naming it" has bad.txt "no member 99"
    "$SWEEP" replay nowhere > /dev/null 2> bad.txt; st=$?
    check "not a pbt directory: exit 2" test $st = 2
    check "... saying so" has bad.txt "not the output of a pbt search"
    # a changed search redone with --force: the old population's replay goes with it
    env SWEEP_TEST_HOLD=run:1 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$HERE/data/pbt-small.yaml" -o ref -j 1 --force \
        --set 'train.schedule={kind: exponential, gamma: 0.7}' 2> f.txt > /dev/null &
    pid=$!
    check "held in the forced search" await_hold f.txt $pid
    check "the forced search removed the old population's pbt-replay.yaml" test ! -e ref/pbt-replay.yaml
    kill -9 $pid 2> /dev/null; wait $pid 2> /dev/null
    ;;
tables)
    # run NAME TRAIN_EXTRA [MODEL_EXTRA]: a one-run sweep of 4 epochs into NAME/run.h5
    run() {
        printf 'name: t\nbase:\n  task: {seq_len: 6, train_size: 64, test_size: 32}\n  model: {hidden: 6, layers: 1, cell: gru%s}\n  train: {epochs: 4, batch: 16, steps_per_epoch: 3, lr: 0.01%s}\n  record: {probe_size: 4}\n' \
            "${3:-}" "$2" > "$1.yaml"
        "$SWEEP" "$1.yaml" -o "$1" -q > "$1.txt" 2>&1 || { echo "  ($1 failed)"; sed 's/^/    | /' "$1.txt"; }
    }
    run const ', schedule: constant'
    run const_table ', schedule: {kind: table, values: [0.01, 0.01, 0.01, 0.01]}'
    check "a table of a constant rate trains as the constant schedule" same_arrays const/run.h5 const_table/run.h5 weights/ history/
    run step ', schedule: {kind: step, step: 1, gamma: 0.5}'
    run step_table ', schedule: {kind: table, values: [0.01, 0.005, 0.0025, 0.00125]}'
    check "a table of step's rates trains as step" same_arrays step/run.h5 step_table/run.h5 weights/ history/
    check "... and differs from the constant rate" differ const/run.h5 step/run.h5 weights/final/rnn/weight_hh_l0
    run clip ', schedule: constant, clip: 0.05'
    run clip_table ', schedule: {kind: constant, clip_values: [0.05, 0.05, 0.05, 0.05]}'
    check "a constant clip table trains as train.clip" same_arrays clip/run.h5 clip_table/run.h5 weights/ history/
    run clip_vary ', schedule: {kind: constant, clip_values: [0.05, 5.0, 0.05, 5.0]}'
    check "a clip table that varies changes the weights" differ clip/run.h5 clip_vary/run.h5 weights/final/rnn/weight_hh_l0
    run drop ', schedule: constant' ', dropout: 0.2'
    run drop_vary ', schedule: {kind: constant, dropout_values: [0.2, 0.0, 0.4, 0.2]}' ', dropout: 0.2'
    check "a dropout table that varies changes the weights" differ drop/run.h5 drop_vary/run.h5 weights/final/fc/weight
    "$SWEEP" drop_vary.yaml -o drop_vary2 -q -j 2 --threads-per-run 2 > /dev/null 2>&1
    check "tables: the same files on 2 threads per run" same drop_vary drop_vary2
    check "the tables in /config and /history/<key>" $PY -c '
import sys, h5py, numpy as np
f = h5py.File("drop_vary/run.h5", "r")
ok = list(f["config"].attrs["train.schedule.dropout_values"]) == [0.2, 0.0, 0.4, 0.2]
ok &= list(f["history/model.dropout"][()]) == [0.2, 0.0, 0.4, 0.2]
ok &= len(f["config"].attrs["train.schedule.clip_values"]) == 0 and "train.clip" not in f["history"]
g = h5py.File("step_table/run.h5", "r")
ok &= list(g["history/lr"][()]) == [0.01, 0.005, 0.0025, 0.00125] == list(g["config"].attrs["train.schedule.values"])
sys.exit(not ok)'
    "$SWEEP" help keys > keys.txt
    check "sweep help keys lists the tables" has keys.txt "train.schedule.clip_values"
    ;;
errors)
    # refuse TRAIN_EXTRA REST WANT: the file exits 2 with one line file:line:col and WANT, and
    # writes nothing
    refuse() {
        printf 'name: e\nbase:\n  task: {seq_len: 5, train_size: 64, test_size: 32, val_size: 32}\n  train: {epochs: 4, batch: 16%s}\n%s\n' \
            "$1" "$2" > e.yaml
        rm -rf eo
        "$SWEEP" e.yaml -o eo > /dev/null 2> e.txt; local st=$?
        [ $st = 2 ] && [ "$(wc -l < e.txt)" = 1 ] && grep -qE '^e\.yaml:[0-9]+:[0-9]+: ' e.txt && grep -qF -- "$3" e.txt &&
            [ ! -e eo ] || { echo "  (status $st, want 2 and: $3)"; sed 's/^/    | /' e.txt; return 1; }
    }
    check "too few values" refuse ', schedule: {kind: table, values: [0.1, 0.1]}' '' \
        "train.schedule.values: 2 values for 4 epochs (train.epochs); allowed: exactly one value per epoch"
    check "too many values" refuse ', schedule: {clip_values: [1, 1, 1, 1, 1]}' '' "train.schedule.clip_values: 5 values for 4 epochs"
    check "a rate out of range" refuse ', schedule: {kind: table, values: [0.1, 0.1, -1, 0.1]}' '' \
        "train.schedule.values: value 3 (epoch 3), -1, is out of train.lr's range; allowed: a number > 0"
    check "a dropout out of range" refuse ', schedule: {dropout_values: [0.1, 0.1, 1.5, 0.1]}' '' \
        "out of model.dropout's range; allowed: a number in [0, 1)"
    check "not a number" refuse ', schedule: {kind: table, values: [0.1, abc, 0.1, 0.1]}' '' "item 2, abc, is not a number"
    check "a quoted number" refuse ', schedule: {kind: table, values: [0.1, "0.1", 0.1, 0.1]}' '' "item 2, the quoted \"0.1\", is not a number"
    check "a table of a key that takes none" refuse ', schedule: {hidden_values: [4, 4, 4, 4]}' '' \
        'unknown key "train.schedule.hidden_values"'
    check "a list for a key with a table" refuse ', lr: [0.1, 0.1, 0.1, 0.1]' '' \
        "train.lr: expected a single value, got a list; a value per epoch is written as train.schedule.values"
    check "kind table without values" refuse ', schedule: {kind: table}' '' "train.schedule.kind: table needs the learning rate of every epoch"
    check "values without kind table" refuse ', schedule: {kind: cosine, values: [0.1, 0.1, 0.1, 0.1]}' '' \
        "a table of learning rates applies to schedule kind table, not cosine"
    check "warmup with a table" refuse ', schedule: {kind: table, warmup: 2, values: [0.1, 0.1, 0.1, 0.1]}' '' \
        "train.schedule.warmup: the table schedule gives every epoch's rate itself"
    check "a table on a grid axis" refuse '' 'grid: {train.schedule.values: [[0.1, 0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2]]}' \
        "train.schedule.values is a per-epoch table, one run's values: it cannot be swept"
    check "a table in a search space" refuse '' $'search: {kind: sobol, samples: 4}\nspace: {train.schedule.clip_values: {uniform: [0.1, 1.0]}}' \
        "space: train.schedule.clip_values is a per-epoch table, one run's values: it cannot be searched"
    check "a pbt space key with a table" refuse ', schedule: {clip_values: [1, 1, 1, 1]}' \
        $'search: {kind: pbt, population: 4, interval: 2}\nspace: {train.clip: {uniform: [0.1, 1.0]}}' \
        "space: train.clip has a per-epoch table in base: (train.schedule.clip_values)"
    ;;
*) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "sweep replay $MODE: $passed passed, $failed failed"
[ $failed = 0 ]
