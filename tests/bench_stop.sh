#!/bin/bash
# bench_stop.sh SWEEP [REPEATS]: how long a sweep takes from a stop signal (SIGTERM) to its
# exit while a run is in the middle of a long epoch: the figure to hold against Slurm's
# KillWait (30 s by default).
#
# The run: rnn, 2 layers, H=128, T=784 (pixel-sequence length), batch 32, 400 steps an epoch
# (about 2 minutes on one busy core here). Each repeat starts the sweep with one thread,
# holds it after its 30th training step (SWEEP_TEST_HOLD, src/sweep/testhook.h), releases it
# and sends SIGTERM straight away, so the signal finds the run inside step 31; the time is
# measured from `kill` to the process's end (the rest of that step, the checkpoint and the
# index). The seconds per step come from the checkpoint the run saved (its epoch's seconds
# over its steps). Prints each repeat, then medians and the worst case (at most one step
# plus the checkpoint's write: a signal can come at the start of a step).
set -u
SWEEP=$(realpath "${1:?usage: bench_stop.sh SWEEP [REPEATS]}")
REPEATS=${2:-5}
PY=/usr/bin/python3
work=$(mktemp -d)
trap '[ "$BASHPID" = "$$" ] && rm -rf "$work"' EXIT # not in a signalled child (testlib.sh)
cd "$work" || exit 1
cat > long.yaml <<'YAML'
name: long-epoch
base:
  task: {kind: mean_sign, seq_len: 784, input_size: 1, train_size: 12800, test_size: 256}
  model: {cell: rnn, hidden: 128, layers: 2}
  train: {epochs: 2, batch: 32, steps_per_epoch: 0}
  record: {probe_size: 4}
YAML
echo "repeat  signal->exit_s  exit  step_s  checkpoint_MB  stopped_at"
for r in $(seq "$REPEATS"); do
    rm -rf d release err.txt
    env SWEEP_TEST_HOLD=step:30 SWEEP_TEST_RELEASE="$work/release" "$SWEEP" long.yaml -o d -j 1 2> err.txt &
    pid=$!
    until grep -q '^sweep: test hold at ' err.txt 2> /dev/null; do
        kill -0 $pid 2> /dev/null || { echo "the sweep ended before its hold:"; cat err.txt; exit 1; }
        sleep 0.05
    done
    : > release
    t0=$(date +%s.%N)
    kill -TERM $pid
    wait $pid
    st=$?
    t1=$(date +%s.%N)
    $PY - "$r" "$t0" "$t1" "$st" d <<'PYEOF'
import glob, os, sys, h5py
r, t0, t1, st, d = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
ck = glob.glob(d + "/*.ckpt")
step_s, mb, at = float("nan"), float("nan"), "none"
if ck:
    with h5py.File(ck[0], "r") as f:
        e, s = int(f.attrs["epoch"]), int(f.attrs["step"])
        step_s = float(f["state/epoch/seconds"][0]) / s if s else float("nan")
        at = f"epoch {e + 1} step {s}"
    mb = os.path.getsize(ck[0]) / 1e6
print(f"{r:>6}  {t1 - t0:14.2f}  {st:>4}  {step_s:6.2f}  {mb:13.1f}  {at}")
PYEOF
done | tee results.txt
$PY - results.txt <<'PYEOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.split() and l.split()[0].isdigit()]
lat = [float(r[1]) for r in rows]
step = [float(r[3]) for r in rows]
print(f"signal->exit: median {statistics.median(lat):.2f} s, max {max(lat):.2f} s over {len(lat)} repeats; "
      f"a training step: median {statistics.median(step):.2f} s; exit statuses {sorted({r[2] for r in rows})}")
PYEOF
