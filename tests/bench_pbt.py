#!/usr/bin/python3
"""Population-based training against fixed settings at one epoch budget (README,
"Population-based training"): configs/pbt.yaml (adding, T = 200, a 24-unit GRU, 20 epochs,
RMSprop at a constant rate; the space train.lr loguniform [1e-4, 1e-1], train.clip
loguniform [0.1, 10]) run three ways, each spending about 320 epochs:

    pbt     search.kind pbt, 16 members, a generation every 2 epochs (the config as it is)
    sobol   16 Sobol points of the same space (digitally shifted), each trained 20 epochs at its
            fixed values
    sha     64 Sobol points (digitally shifted) with successive halving on val_loss, eta 3 from
            epoch 2 (rungs at epochs 2, 6, 18 and 20: 300 epochs)

each for search seeds 0 .. K-1 (--seeds K, default 1: the pbt population's initial points and
draws, and the Sobol shift).

Printed per arm: its runs, the epochs it trained, the CPU time of the whole `sweep` process
(user + sys, /usr/bin/time), the best validation MSE of any run at its best epoch (the
selection metric) and the test MSE there, and which run. Usage:

    tests/bench_pbt.py SWEEP [-j N] [--seeds K] [--out DIR]   # DIR default: a temporary directory

The arms run one after another on the same machine; CPU time is what is least disturbed by
other work. The pbt arm's directory is kept for analysis/pbt_figure.py when --out is given."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "configs", "pbt.yaml")
SEARCH = re.compile(r"^search: .*$", re.M)
ARMS = [
    ("pbt", None, []),
    ("sobol", "search: {kind: sobol, samples: 16, seed: 0, digital_shift: true}", []),
    ("sha", "search: {kind: sobol, samples: 64, seed: 0, digital_shift: true}\n"
            "stop: {kind: sha, metric: val_loss, eta: 3, min_epochs: 2}", []),
]


def run_arm(sweep, name, search, jobs, out, seed):
    text = open(CONFIG).read()
    if search:
        text = SEARCH.sub(search, text)
    cfg = os.path.join(out, f"{name}.yaml")
    with open(cfg, "w") as f:
        f.write(text if name == "pbt" else text.replace("name: pbt", f"name: pbt-{name}"))
    d = os.path.join(out, f"{name}-{seed}")
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S", sweep, cfg, "-o", d, "-j", str(jobs), "-q", "--set",
                        f"search.seed={seed}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{name}: sweep exited {r.returncode}: {r.stderr[-2000:]}")
    user, sys_ = map(float, r.stderr.strip().splitlines()[-1].split())
    best = None
    epochs = runs = 0
    with h5py.File(os.path.join(d, "sweep.h5"), "r") as ix:
        ids = [x.decode() if isinstance(x, bytes) else x for x in ix["table/run_id"][:]]
    for rid in ids:
        with h5py.File(os.path.join(d, f"{rid}.h5"), "r") as f:
            s = f["summary"].attrs
            runs += 1
            epochs += int(s["epochs_completed"])
            v, t = float(s["best_metric"]), float(s["best_test_loss"])
            if best is None or v < best[0]:
                best = (v, t, rid)
    return {"arm": name, "seed": seed, "runs": runs, "epochs": epochs, "cpu": user + sys_, "val": best[0], "test": best[1],
            "run": best[2]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="bench_pbt.")
    os.makedirs(out, exist_ok=True)
    rows = [run_arm(a.sweep, name, search, a.j, out, seed) for seed in range(a.seeds) for name, search, _ in ARMS]
    print(f"configs/pbt.yaml, -j {a.j}; selection on validation MSE (lower is better), test MSE at that epoch")
    print(f"{'arm':6} {'seed':>4} {'runs':>5} {'epochs':>7} {'CPU s':>8} {'best val MSE':>13} {'its test MSE':>13}  run")
    for r in rows:
        print(f"{r['arm']:6} {r['seed']:4d} {r['runs']:5d} {r['epochs']:7d} {r['cpu']:8.1f} {r['val']:13.5f} "
              f"{r['test']:13.5f}  {r['run']}")
    if a.seeds > 1:
        med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:][:2]) / 2
        print(f"medians over {a.seeds} seeds:")
        for name, _, _ in ARMS:
            mine = [r for r in rows if r["arm"] == name]
            print(f"{name:6} {'':4} {'':5} {mine[0]['epochs']:7d} {med([r['cpu'] for r in mine]):8.1f} "
                  f"{med([r['val'] for r in mine]):13.5f} {med([r['test'] for r in mine]):13.5f}")
    print(f"(directories in {out})")


if __name__ == "__main__":
    main()
