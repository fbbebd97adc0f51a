#!/bin/bash
# bench_write_share.sh SWEEP [OTHER_SWEEP] [REPEATS] [FREQ]: the share of a reference run's
# whole-process CPU time spent writing its run file and verifying it. Each repeat runs
# configs/reference.yaml (one process, -j 1) under `perf record --call-graph dwarf` (FREQ
# samples a second, 8000 by default) and counts the samples with sw_h5_write_run, and those
# with sw_h5_read_run, on their stack; with OTHER_SWEEP the two alternate, repeat by repeat.
# Prints each build's shares pooled over its repeats (all samples together: a run has some
# 5000, of which about 130 write and verify) and the median and range of the per-run shares.
# Needs perf; the binaries need their symbols (any build of this project has them).
set -u
NEW=$(realpath "${1:?usage: bench_write_share.sh SWEEP [OTHER_SWEEP] [REPEATS] [FREQ]}")
OLD=${2:+$(realpath "$2")}
REPEATS=${3:-6}
FREQ=${4:-8000}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v perf > /dev/null || { echo "bench_write_share.sh: needs perf" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
builds=(new)
[ -n "$OLD" ] && builds+=(old)
for r in $(seq "$REPEATS"); do
    for b in "${builds[@]}"; do
        exe=$NEW; [ $b = old ] && exe=$OLD
        rm -rf "$work/out"
        perf record -q -F "$FREQ" --call-graph dwarf,12288 -o "$work/perf.data" \
            "$exe" "$HERE/../configs/reference.yaml" -o "$work/out" -j 1 -q > /dev/null 2>&1
        perf script -i "$work/perf.data" -F ip,sym 2> /dev/null | /usr/bin/python3 -c '
import sys
total = write = verify = 0
for block in sys.stdin.read().split("\n\n"):
    frames = [l.split(None, 1)[1].strip() for l in block.strip().split("\n") if len(l.split(None, 1)) > 1]
    if not frames: continue
    total += 1
    if "sw_h5_write_run" in frames: write += 1
    elif "sw_h5_read_run" in frames: verify += 1
print(sys.argv[1], total, write, verify)' "$b" >> "$work/counts.txt"
    done
done
/usr/bin/python3 - "$work/counts.txt" <<'PYEOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    b, t, w, v = line.split()
    rows[b].append((int(t), int(w), int(v)))
for b, rs in rows.items():
    T, W, V = (sum(r[i] for r in rs) for i in range(3))
    per = [100 * (w + v) / t for t, w, v in rs]
    print(f"{b}: {len(rs)} runs, {T} samples: writing {100 * W / T:.2f}%, verifying {100 * V / T:.2f}%, "
          f"both {100 * (W + V) / T:.2f}% (pooled); both per run: median {statistics.median(per):.2f}%, "
          f"{min(per):.2f}-{max(per):.2f}%")
PYEOF
