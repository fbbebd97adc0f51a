#!/usr/bin/env python3
"""Speed and memory at T = 784: Fashion-MNIST pixel by pixel, the four cells of
configs/pixel-fashion.yaml (tanh RNN and IRNN with 96 units, LSTM 48, GRU 56: ~10.4k
parameters each), one run per `sweep` process, on one thread and then on two (one run whose
batches are shared by both threads: --threads-per-run 2).

Each run: the configs' batch (64), record.probe_size 16, TRAIN training images (default 4,096)
and 1,000 test images per epoch, 2 epochs, gradients recorded at the last. It prints

  - seconds per epoch: /history/seconds of epoch 2 (training, evaluation and, in epoch 2, the
    gradient record), then per 1,000 training images and the extrapolation to one epoch of
    configs/pixel-fashion.yaml (55,000 training + 15,000 evaluated images, evaluation counted
    at a third of a training image's cost, as the forward pass alone);
  - the speed-up of two threads over one, measured back to back;
  - peak memory: the process's maximum resident set (GNU time's %M), against what `--dry-run` says:
    the run's estimated memory (which counts the program's own part: "sweep --version" alone is
    shown) plus the data loaded once (Fashion-MNIST, 210 MiB). The estimate is meant to err high.

Usage: bench_pixels.py [--sweep PATH] [--data DIR] [--train N] [--cells rnn,irnn,lstm,gru] [--threads 1,2]
Exit 77 when the data directory is missing. Only numpy and h5py.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py

CELLS = {  # name -> model keys (configs/pixel-fashion.yaml's zip)
    "rnn": {"cell": "rnn", "activation": "tanh", "init": "xavier", "hidden": 96},
    "irnn": {"cell": "rnn", "activation": "relu", "init": "identity", "hidden": 96},
    "lstm": {"cell": "lstm", "activation": "tanh", "init": "xavier", "hidden": 48},
    "gru": {"cell": "gru", "activation": "tanh", "init": "xavier", "hidden": 56},
}
TEST, EPOCHS, BATCH, PROBE = 1000, 2, 64, 16
STUDY_TRAIN, STUDY_EVAL = 55000, 15000
UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def config_text(data, keys, train):
    model = ", ".join(f"{k}: {v}" for k, v in keys.items())
    return f"""name: pixels
base:
  task: {{kind: file, path: {data}, sequence: pixels, train_size: {train}, test_size: {TEST}}}
  model: {{{model}, layers: 1, dropout: 0.0, forget_bias: 1.0}}
  train: {{epochs: {EPOCHS}, batch: {BATCH}, steps_per_epoch: 0, lr: 0.001, clip: 1.0}}
  record: {{probe_size: {PROBE}, grad_every: {EPOCHS}, checkpoint_every: 0}}
"""


def mib(text):
    number, unit = text.split()
    return float(number) * UNITS[unit] / 2**20


def peak_of(cmd, env, log):
    """Runs cmd; returns (exit status, peak RSS of the child in MiB). GNU time's %M, not this
    process's wait4: a child forked from Python keeps Python's own resident set (40 MiB with
    h5py and numpy) as its peak through exec."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        status = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd, env=env, stdout=log,
                                stderr=log).returncode
        return status, float(rss.read().split()[-1]) / 1024.0


def estimate(sweep, cfg):
    """--dry-run's memory of the run and of the data loaded once, in MiB."""
    out = subprocess.run([sweep, cfg, "--dry-run"], capture_output=True, text=True, check=True).stdout
    run = data = 0.0
    for line in out.splitlines():
        m = re.search(r"([0-9.]+ [KMGT]?i?B)\s+([0-9.]+ [KMGT]?i?B)\s*$", line)
        if m and re.match(r"\s+1\s", line):
            run = mib(m.group(1))
        m = re.match(r"data .*: ([0-9.]+ [KMGT]?i?B) in memory", line)
        if m:
            data = mib(m.group(1))
    return run, data


def run_one(sweep, work, data, name, train, threads):
    cfg = os.path.join(work, f"{name}.yaml")
    out = os.path.join(work, f"{name}-{threads}")
    with open(cfg, "w") as f:
        f.write(config_text(data, CELLS[name], train))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    with open(out + ".log", "w") as log:
        status, peak = peak_of([sweep, cfg, "-o", out, "-j", str(threads), "--threads-per-run", str(threads), "-q"],
                               env, log)
    path = os.path.join(out, "run.h5")
    if status != 0 or not os.path.exists(path):
        sys.exit(f"bench_pixels: {name} on {threads} thread(s) failed; see {out}.log")
    with h5py.File(path, "r") as f:
        seconds = float(f["/history/seconds"][-1])
        params = int(f["/summary"].attrs["param_count"])
    run_mib, data_mib = estimate(sweep, cfg)
    return seconds, peak, params, run_mib, data_mib


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--sweep", default=os.path.join(here, "..", "build", "sweep"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train", type=int, default=4096)
    ap.add_argument("--cells", default="rnn,irnn,lstm,gru")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--keep", help="write the runs here (default: a temporary directory, removed)")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        print(f"bench_pixels: {args.data} is not there (Debian's dataset-fashion-mnist); skipped")
        return 77
    work = args.keep or tempfile.mkdtemp(prefix="bench-pixels-")
    os.makedirs(work, exist_ok=True)
    threads = [int(t) for t in args.threads.split(",")]
    with open(os.devnull, "w") as null:
        _, floor = peak_of([args.sweep, "--version"], dict(os.environ), null)
    print(f"T = 784, I = 1, batch {BATCH}, {args.train} training + {TEST} test images per epoch, probe {PROBE}; "
          f"seconds of epoch {EPOCHS}; the program alone peaks at {floor:.1f} MiB")
    print(f"{'cell':<5} {'params':>6} {'thr':>3} {'s/epoch':>8} {'s/1k img':>8} {'study epoch':>11} "
          f"{'speed-up':>8} {'peak MiB':>8} {'est. MiB':>8} {'peak/est':>8}")
    try:
        for name in args.cells.split(","):
            one = None
            for t in threads:
                sec, peak, params, run_mib, data_mib = run_one(args.sweep, work, args.data, name, args.train, t)
                per_image = sec / (args.train + TEST / 3.0)
                study = per_image * (STUDY_TRAIN + STUDY_EVAL / 3.0)
                one = sec if t == threads[0] else one
                est = run_mib + data_mib  # the run's estimate holds the process's own part
                speedup = f"{one / sec:.2f}x" if t != threads[0] else "-"
                print(f"{name:<5} {params:>6} {t:>3} {sec:>8.2f} {1000 * sec / args.train:>8.3f} {study:>10.0f}s "
                      f"{speedup:>8} {peak:>8.1f} {est:>8.1f} {peak / est:>8.2f}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
