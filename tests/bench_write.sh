#!/bin/bash
# bench_write.sh SWEEP [OTHER_SWEEP] [REPEATS] [CONFIGS]: what writing run files costs. For each run
# below (one thread, -j 1): the whole process's CPU seconds (user + sys), its wall seconds,
# the sum of its epochs' seconds (/history/seconds), the ratio wall / epochs (what the run
# costs beyond training: setup, evaluation aside, recording, writing and verifying its
# file) and the run file's size; with OTHER_SWEEP (e.g. a build of an earlier version), the
# two alternate, repeat by repeat, and the medians are set side by side with their ratios.
#   h512   rnn, H=512, T=100, 2 epochs (its probe states are 2 x 26 MB)
#   ref    configs/reference.yaml (the seed's run: rnn, H=64, T=20, 50 epochs)
#   tf500  transformer, H=64, 4 heads, T=500, 2 epochs
# CONFIGS: some of "h512 ref tf500" (all by default). Run it on an otherwise idle machine; a
# busy one stretches wall times (compare ratios).
set -u
NEW=$(realpath "${1:?usage: bench_write.sh SWEEP [OTHER_SWEEP] [REPEATS]}")
OLD=${2:+$(realpath "$2")}
REPEATS=${3:-3}
CONFIGS=${4:-h512 ref tf500}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
cat > h512.yaml <<'YAML'
name: h512
base:
  task: {kind: mean_sign, seq_len: 100}
  model: {cell: rnn, hidden: 512}
  train: {epochs: 2}
YAML
cp "$HERE/../configs/reference.yaml" ref.yaml
cat > tf500.yaml <<'YAML'
name: tf500
base:
  task: {kind: mean_sign, seq_len: 500}
  model: {cell: transformer, hidden: 64, heads: 4, layers: 2}
  train: {epochs: 2}
YAML
binaries=(new)
[ -n "$OLD" ] && binaries+=(old)
for cfg in $CONFIGS; do
    for r in $(seq "$REPEATS"); do
        for b in "${binaries[@]}"; do
            exe=$NEW; [ $b = old ] && exe=$OLD
            rm -rf out
            /usr/bin/time -f "%U %S %e" -o t.txt "$exe" $cfg.yaml -o out -j 1 --threads-per-run 1 -q > /dev/null 2>&1
            read -r u s e < t.txt
            $PY - "$cfg" "$b" "$u" "$s" "$e" out <<'PYEOF'
import glob, os, sys, h5py
cfg, b, u, s, e, d = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
f = [p for p in glob.glob(d + "/*.h5") if not p.endswith("/sweep.h5")][0]
with h5py.File(f, "r") as h:
    ep = float(h["history/seconds"][:].sum())
print(f"{cfg} {b} cpu {u + s:.2f} wall {e:.2f} epochs {ep:.2f} wall/epochs {e / ep:.2f} size {os.path.getsize(f)}")
PYEOF
        done
    done
done | tee results.txt
$PY - results.txt <<'PYEOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    w = line.split()
    rows[(w[0], w[1])].append({w[i]: float(w[i + 1]) for i in range(2, len(w), 2)})
print("medians:")
for cfg in dict.fromkeys(k[0] for k in rows):
    med = {b: {k: statistics.median(r[k] for r in rows[(cfg, b)]) for k in rows[(cfg, b)][0]}
           for (c, b) in rows if c == cfg}
    for b, m in med.items():
        print(f"  {cfg:6s} {b}: cpu {m['cpu']:.2f} s, wall {m['wall']:.2f} s, epochs {m['epochs']:.2f} s, "
              f"wall/epochs {m['wall/epochs']:.2f}, file {m['size'] / 1e6:.1f} MB")
    if "old" in med:
        n, o = med["new"], med["old"]
        print(f"  {cfg:6s} new/old: cpu {n['cpu'] / o['cpu']:.2f}, wall/epochs {n['wall/epochs'] / o['wall/epochs']:.2f}, "
              f"file {n['size'] / o['size']:.2f}")
PYEOF
