#!/usr/bin/env python3
"""Speed and memory against sequence length, at equal parameter counts: the seed's RNN-versus-
Transformer claims (O(T) sequential steps against parallel attention, a fixed-size state against
the whole sequence in memory) measured on this machine.

For each cell (rnn, lstm, gru, transformer, about 13,300 parameters each: the seed protocol's
2-layer rnn with H=64, and the others sized to match within 2%) and each length T, one whole
`sweep` process runs one run on one thread (-j 1, OMP_NUM_THREADS=1): task mean_sign, I=10,
256 training sequences per epoch in batches of 32 (one full pass), 32 test sequences, 2 epochs,
one probe sequence, gradients recorded at the last epoch only, no checkpoints. It prints

  - seconds per epoch: /history/seconds of the second epoch (training and the small evaluation);
  - peak memory: the process's maximum resident set size (GNU time's %M), so it includes the
    program and its libraries (the T=20 row shows that floor);
  - the parameter count, read back from /weights/final of the run file;

then, per cell, the exponent k of time ~ T^k (fitted by least squares on log-log over T >= 100)
and of peak memory ~ T^k (over T >= 500, where the T-dependent part dominates; the fixed part
left in makes it a slight underestimate). With --figure PNG it also draws
both against T on log-log axes.

Each row also sets the peak against `--dry-run`'s memory estimate for the run (which counts
the process's own part), and the benchmark exits 1 when a peak is above its estimate (a
ratio, whatever the machine's speed); --h512 adds the case that once was (rnn H=512 T=100).

Usage: bench_scaling.py [--sweep PATH] [--lengths 20,100,...] [--h512] [--figure PNG] [--keep DIR]
Meaningful on an otherwise idle machine; a run takes from a second (T=20) to minutes (the
transformer at T=2000). Only numpy, h5py (and matplotlib for --figure).
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

# cell -> model keys; parameter counts (PyTorch's formulas, checked against the run files):
# rnn 13,314; lstm 13,332; gru 13,250; transformer 13,194.
CELLS = [
    ("rnn", {"hidden": 64}),
    ("lstm", {"hidden": 31}),
    ("gru", {"hidden": 36}),
    ("transformer", {"hidden": 24, "heads": 4, "ff": 80}),
]
TRAIN, TEST, EPOCHS, BATCH = 256, 32, 2, 32


def config_text(cell, keys, T):
    model = "\n".join(f"    {k}: {v}" for k, v in [("cell", cell), ("layers", 2)] + list(keys.items()))
    return f"""name: scaling
base:
  task:
    kind: mean_sign
    seq_len: {T}
    train_size: {TRAIN}
    test_size: {TEST}
  model:
{model}
  train:
    epochs: {EPOCHS}
    steps_per_epoch: 0
    batch: {BATCH}
  record:
    probe_size: 1
    grad_every: {EPOCHS}
    checkpoint_every: 0
"""


UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}

# The case for the memory estimate (--h512): rnn, 2 layers of 512, T=100, the default
# probe (64 sequences) and data (5,000 + 1,000 sequences), 2 epochs.
H512 = """name: h512
base:
  task: {kind: mean_sign, seq_len: 100}
  model: {cell: rnn, hidden: 512}
  train: {epochs: 2}
"""


def estimate_mib(sweep, cfg):
    """--dry-run's memory of the (only) run, in MiB."""
    out = subprocess.run([sweep, cfg, "--dry-run"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.search(r"([0-9.]+) ([KMGT]?i?B)\s+[0-9.]+ [KMGT]?i?B\s*$", line)
        if m and re.match(r"\s+1\s", line):
            return float(m.group(1)) * UNITS[m.group(2)] / 2**20
    sys.exit(f"bench_scaling: no memory estimate in --dry-run's listing:\n{out}")


def run_one(sweep, work, cell, keys, T, text=None):
    """Runs one configuration (or the sweep file `text`); returns (seconds of the last epoch,
    peak RSS in MiB, parameters, --dry-run's memory estimate in MiB)."""
    cfg = os.path.join(work, f"{cell}-{T}.yaml")
    out = os.path.join(work, f"{cell}-{T}")
    with open(cfg, "w") as f:
        f.write(text or config_text(cell, keys, T))
    env = dict(os.environ, OMP_NUM_THREADS="1")
    rss = out + ".rss"
    with open(out + ".log", "w+") as log:
        # GNU time's %M, not this process's wait4: a child forked from Python keeps Python's
        # own resident set (40 MiB with h5py and numpy) as its peak through exec
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss, sweep, cfg, "-o", out, "-j", "1", "-q"], env=env,
                       stdout=log, stderr=log)
        log.seek(0)
        text = log.read()
    path = os.path.join(out, "run.h5")
    if not os.path.exists(path):
        sys.exit(f"bench_scaling: {cell} T={T} wrote no {path}:\n{text}")
    sizes = []
    with h5py.File(path, "r") as f:
        seconds = float(f["/history/seconds"][-1])
        f["/weights/final"].visititems(lambda _, obj: sizes.append(obj.size) if isinstance(obj, h5py.Dataset) else None)
    with open(rss) as f:
        peak_kib = float(f.read().split()[-1])
    return seconds, peak_kib / 1024.0, sum(sizes), estimate_mib(sweep, cfg)


def fit_exponent(ts, ys):
    """Least-squares slope of log y against log t (NaN with fewer than 2 positive points)."""
    pts = [(math.log(t), math.log(y)) for t, y in zip(ts, ys) if y > 0]
    if len(pts) < 2:
        return float("nan")
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--sweep", default=os.path.join(here, "..", "build", "sweep"))
    ap.add_argument("--lengths", default="20,100,500,1000,2000")
    ap.add_argument("--cells", default=",".join(c for c, _ in CELLS))
    ap.add_argument("--figure", help="draw time and memory against T into this PNG")
    ap.add_argument("--keep", help="write the runs here (default: a temporary directory, removed)")
    ap.add_argument("--h512", action="store_true",
                    help="also run rnn H=512 T=100 (2 epochs, default probe and data) for the memory check")
    args = ap.parse_args()
    lengths = [int(t) for t in args.lengths.split(",")]
    wanted = args.cells.split(",")
    work = args.keep or tempfile.mkdtemp(prefix="bench-scaling-")
    os.makedirs(work, exist_ok=True)
    print(f"One run per row, one thread: mean_sign, I=10, 2 layers, {TRAIN} training sequences per epoch "
          f"(batch {BATCH}), {TEST} test, probe 1; seconds of epoch {EPOCHS}; peak RSS of the whole process")
    print(f"{'cell':<12} {'params':>7} {'T':>5} {'s/epoch':>9} {'peak MB':>8} {'est. MiB':>8} {'peak/est':>8}")
    results, below = {}, []
    try:
        cases = [(cell, keys, T, None) for cell, keys in CELLS if cell in wanted for T in lengths]
        if args.h512:
            cases.append(("rnn-h512", {}, 100, H512))
        for cell, keys, T, text in cases:
            sec, mb, params, est = run_one(args.sweep, work, cell, keys, T, text)
            if text is None:
                results.setdefault(cell, []).append((T, sec, mb))
            print(f"{cell:<12} {params:>7} {T:>5} {sec:>9.3f} {mb:>8.1f} {est:>8.1f} {mb / est:>8.2f}", flush=True)
            if mb > est:
                below.append(f"{cell} T={T}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print("\nFitted exponents (time ~ T^k over T >= 100; peak memory ~ T^k over T >= 500)")
    print(f"{'cell':<12} {'time k':>7} {'memory k':>9}")
    for cell, rows in results.items():
        timed = [r for r in rows if r[0] >= 100]
        sized = [r for r in rows if r[0] >= 500]
        kt = fit_exponent([r[0] for r in timed], [r[1] for r in timed])
        km = fit_exponent([r[0] for r in sized], [r[2] for r in sized])
        shown = ["-" if math.isnan(k) else f"{k:.2f}" for k in (kt, km)]
        print(f"{cell:<12} {shown[0]:>7} {shown[1]:>9}")

    if args.figure:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
        for cell, rows in results.items():
            ts = [r[0] for r in rows]
            a.plot(ts, [r[1] for r in rows], "o-", label=cell)
            b.plot(ts, [r[2] for r in rows], "o-", label=cell)
        for ax, title in ((a, f"seconds per epoch ({TRAIN} sequences)"), (b, "peak memory of the process (MB)")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("sequence length T")
            ax.set_title(title)
            ax.grid(True, which="both", alpha=0.3)
        a.legend()
        fig.suptitle("One run, one thread, about 13,300 parameters per cell")
        fig.tight_layout()
        fig.savefig(args.figure, dpi=110)
        print(f"\nfigure: {args.figure}")
    if below:
        print(f"\nthe memory estimate (--dry-run) is below the measured peak for {', '.join(below)}: "
              "it must err high")
        return 1
    print("\nthe memory estimate (--dry-run) is at least the measured peak for every run (peak/est <= 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
