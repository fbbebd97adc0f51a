#!/bin/bash
# test_sweep_search.sh SWEEP: a sampled search (tests/data/search-small.yaml) end to end:
# --dry-run lists the points with their values, the same on every call; --shard k/n
# partitions the runs; the run files hold the values --dry-run showed; -j 1, -j 2 and two
# shards give bit-identical files; more samples keep the first points; a sobol sample
# count that is not a power of 2 warns; the example in docs/config.md is valid.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_search.sh path/to/sweep}")
source "$(dirname "$0")/testlib.sh"
CFG="$HERE/data/search-small.yaml"

"$SWEEP" "$CFG" --dry-run > plan1.txt 2> err1.txt; check "--dry-run exits 0" test $? = 0
"$SWEEP" "$CFG" --dry-run > plan2.txt 2> err2.txt
# the time estimate (the last two lines of its total) is measured anew on every call
plan_only() { sed -e '/^total: /,/GFLOP\/s per thread/d' "$1"; }
check "--dry-run is the same on every call" cmp -s <(plan_only plan1.txt) <(plan_only plan2.txt)
check "the comparison leaves out only the time" test "$(plan_only plan1.txt | wc -l)" -ge "$(($(wc -l < plan1.txt) - 2))"
check "4 samples of sobol: no warning" test ! -s err1.txt
check "--dry-run shows the sampled keys" has plan1.txt "run id                        lr    dropout  hidden  cell  seed"
# rows: "#  id  lr  dropout  hidden  cell  seed  GFLOP"
awk '$2 ~ /^p[0-9][0-9][0-9]-[0-9a-f]+,seed=[12]$/ {print $2, $3, $4, $5, $6}' plan1.txt > rows.txt
check "8 runs with point ids" test "$(wc -l < rows.txt)" = 8
check "4 distinct points" test "$(cut -c1-13 rows.txt | sort -u | wc -l)" = 4

# --shard k/3: every run in exactly one shard, the same on every call
for k in 0 1 2; do
    "$SWEEP" "$CFG" --dry-run --shard $k/3 | sed -n "s/^shard $k\/3: [0-9]* of these runs://p" | tr ' ' '\n' | grep . >> shards.txt
done
check "--shard k/3 partitions the 8 runs" test "$(sort -n shards.txt | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 "

"$SWEEP" "$CFG" -o j2 -j 2 -q; check "-j 2 exits 0" test $? = 0
"$SWEEP" "$CFG" -o j1 -j 1 -q; check "-j 1 exits 0" test $? = 0
check "-j 1 and -j 2 identical" same j1 j2
"$SWEEP" "$CFG" -o sh --shard 0/2 -q && "$SWEEP" "$CFG" -o sh --shard 1/2 -q && "$SWEEP" index sh > /dev/null
check "two shards and an index give the same files" same j2 sh

# the run files hold what --dry-run showed
$PY - j2 rows.txt > values.txt <<'PYEOF'
import sys, h5py
d, rows = sys.argv[1], sys.argv[2]
bad = 0
for line in open(rows):
    rid, lr, dropout, hidden, cell = line.split()
    with h5py.File(f"{d}/{rid}.h5", "r") as f:
        c = f["config"].attrs
        got = (float(c["train.lr"]), float(c["model.dropout"]), int(c["model.hidden"]), str(c["model.cell"]))
        want = (float(lr), float(dropout), int(hidden), cell)
        if got != want:
            print("run", rid, "holds", got, "but --dry-run showed", want)
            bad += 1
        if not (1e-3 <= got[0] <= 0.1 and 0 <= got[1] <= 0.5 and 4 <= got[2] <= 12):
            print("run", rid, "out of its ranges:", got)
            bad += 1
print("mismatches", bad)
PYEOF
check "run files hold the values --dry-run listed" has values.txt "mismatches 0"

# more samples: the first 4 points keep their ids and values
"$SWEEP" "$CFG" --dry-run --set search.samples=8 > plan8.txt
awk '$2 ~ /^p00[0-3]-/ {print $2, $3, $4, $5, $6}' plan8.txt > rows8.txt
check "8 samples begin with the 4" cmp -s rows.txt rows8.txt
check "8 samples: 16 runs" has plan8.txt "total: 16 runs"

"$SWEEP" "$CFG" --dry-run --set search.samples=6 > /dev/null 2> err6.txt
check "sobol with 6 samples warns where samples is set" has err6.txt "--set search.samples=6: warning: search.samples: 6 is not a power of 2"

# the example of docs/config.md's section is a valid search of 64 runs
awk '/^## Sampled searches/{f=1} f&&/^```yaml/{g=1;next} g&&/^```/{exit} g' "$HERE/../docs/config.md" > doc.yaml
"$SWEEP" doc.yaml --dry-run > doc-plan.txt 2>&1; check "the docs' example runs --dry-run" test $? = 0
check "the docs' example has 64 runs" has doc-plan.txt "total: 64 runs"

echo "sweep search: $passed passed, $failed failed"
[ $failed -eq 0 ]
