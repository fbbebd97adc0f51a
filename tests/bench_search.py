#!/usr/bin/python3
"""Search samplers against one objective at one budget: sweep's random, sobol and tpe against
Optuna's TPESampler, the way hyperparameter optimisers are compared (JAHS-Bench-201,
kurobako): K search seeds per sampler, best-so-far curves, their area, the test accuracy of
each search's final pick and a rank test at the budget.

The objective is one sweep run (BASE below): mean_sign, T = 50, 2,000 training and 1,000 validation
sequences (the selection metric is val_acc, best epoch on the validation set), 1,000 test
sequences, 3 full passes with Adam at a constant rate, 1 layer, run seed 1; the space

    train.lr       loguniform     [1e-4, 3e-2]
    model.hidden   int_loguniform [8, 128]
    model.dropout  uniform        [0, 0.5]
    train.clip     loguniform     [0.1, 10]
    model.cell     choice         [rnn, lstm, gru]

sweep's samplers run as `sweep CONFIG --set search.kind=... -o DIR` (sobol and tpe with
search.digital_shift so that their seeds differ; tpe's startup and batch as given, and
tpe-b1 with batch 1, one point per round as Optuna proposes them sequentially). Optuna's
TPESampler (seed = the search seed, n_startup_trials = tpe's startup, sequential, everything
else its default) suggests the same five keys, and each trial is scored by running that point
through `sweep CONFIG --set KEY=VALUE ...` into a scratch directory: the objective is the same
deterministic function whichever sampler proposes a point.

Printed: per sampler the mean +- standard error over seeds of the best validation accuracy
among the first n points (n = 8, 16, 32, N), the area under that curve (the mean of
best-so-far over n = 1..N), the test accuracy at the best epoch of each search's pick
(its best point by validation accuracy, the earliest of ties) and the mean validation
accuracy of the points after the startup (how much a sampler exploits); then the two-sided
Mann-Whitney U test (normal approximation with tie and continuity corrections, as scipy's
default for these sizes) of sweep's tpe against each other sampler at N. --figure draws
best-so-far against n, a line per sampler with a band of +- one standard error.

Every search's result is kept in WORK/results.json: a second invocation with the same WORK
runs only what is missing (the whole benchmark, 10 seeds of the five samplers at N = 48, is
2,400 runs: about 75 minutes of one core on a shared machine).

--tpe-cost BENCH_TPE (the bench_tpe executable) also sets the time TPE takes to choose a round
of --batch points after 1,000 earlier ones against the time a round trains, measured
alternately in one run: R times (--cost-repeats) one point of the objective (its cheapest:
rnn, hidden 8), then one round of bench_tpe; printed as medians and their ratio.

Usage: bench_search.py [--sweep PATH] [--work DIR] [--seeds K] [--budget N] [--startup S]
                       [--batch B] [--samplers random,sobol,tpe,optuna,tpe-b1] [--figure PNG] [-j J]
                       [--tpe-cost BENCH_TPE [--cost-repeats R]]
Needs numpy and h5py; optuna for the optuna sampler, matplotlib for --figure.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

BASE = """name: bench-search
description: The search benchmark's objective (tests/bench_search.py).
base:
  task: {kind: mean_sign, seq_len: 50, train_size: 2000, val_size: 1000, test_size: 1000}
  model: {layers: 1}
  train: {epochs: 3, steps_per_epoch: 0, schedule: {kind: constant}}
  record: {grad_every: 1000, probe_size: 1, checkpoint_every: 0}
  seed: 1
"""
SEARCH = BASE + """search: {kind: random, samples: 48, seed: 0}
space:
  train.lr: {loguniform: [1.0e-4, 3.0e-2]}
  model.hidden: {int_loguniform: [8, 128]}
  model.dropout: {uniform: [0.0, 0.5]}
  train.clip: {loguniform: [0.1, 10]}
  model.cell: {choice: [rnn, lstm, gru]}
"""
CELLS = ["rnn", "lstm", "gru"]
SAMPLERS = ["random", "sobol", "tpe", "optuna", "tpe-b1"]
FIGURE = ["random", "sobol", "tpe", "optuna"]  # tpe-b1 (sweep's tpe one point per round) is in the table only
LABELS = {"random": "sweep random", "sobol": "sweep sobol", "tpe": "sweep tpe", "optuna": "optuna tpe",
          "tpe-b1": "sweep tpe b=1"}


def run_sweep(sweep, config, sets, out, jobs):
    cmd = [sweep, config, "-o", out, "-j", str(jobs), "-q"] + [a for s in sets for a in ("--set", s)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")


def points_of(out):
    """The points of a finished sampled search in point order: (val metric, test acc)."""
    with h5py.File(os.path.join(out, "sweep.h5"), "r") as f:
        t = f["table"]
        ids = [v.decode() for v in t["run_id"][()]]
        metric, test = t["best_metric"][()], t["best_test_acc"][()]
    order = sorted(range(len(ids)), key=lambda i: int(ids[i][1:ids[i].index("-")]))  # "p012-..." ids
    return [float(metric[i]) for i in order], [float(test[i]) for i in order]


def sweep_search(args, config, sampler, seed, work):
    out = os.path.join(work, f"{sampler}-{seed}")
    kind = "tpe" if sampler.startswith("tpe") else sampler
    sets = [f"search.kind={kind}", f"search.seed={seed}", f"search.samples={args.budget}"]
    if kind in ("sobol", "tpe"):
        sets.append("search.digital_shift=true")
    if kind == "tpe":
        sets += [f"search.startup={args.startup}", f"search.batch={1 if sampler == 'tpe-b1' else args.batch}"]
    run_sweep(args.sweep, config, sets, out, args.jobs)
    return points_of(out)


def optuna_search(args, point_config, seed, work):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    scratch = os.path.join(work, f"optuna-{seed}")
    os.makedirs(scratch, exist_ok=True)
    tests = []

    def objective(trial):
        values = {
            "train.lr": trial.suggest_float("train.lr", 1e-4, 3e-2, log=True),
            "model.hidden": trial.suggest_int("model.hidden", 8, 128, log=True),
            "model.dropout": trial.suggest_float("model.dropout", 0.0, 0.5),
            "train.clip": trial.suggest_float("train.clip", 0.1, 10, log=True),
            "model.cell": trial.suggest_categorical("model.cell", CELLS),
        }
        out = os.path.join(scratch, f"trial-{trial.number:03d}")
        sets = [f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()]
        run_sweep(args.sweep, point_config, sets, out, args.jobs)
        metric, test = points_of_grid(out)
        tests.append(test)
        return metric

    sampler = optuna.samplers.TPESampler(n_startup_trials=args.startup, seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=args.budget)
    return [t.value for t in study.trials], tests


def points_of_grid(out):
    with h5py.File(os.path.join(out, "sweep.h5"), "r") as f:
        return float(f["table/best_metric"][0]), float(f["table/best_test_acc"][0])


def best_so_far(values):
    v = np.array([x if math.isfinite(x) else -np.inf for x in values])
    return np.maximum.accumulate(v)


def final_pick(values, tests):
    v = np.array([x if math.isfinite(x) else -np.inf for x in values])
    return tests[int(np.argmax(v))]  # the earliest of ties


def mann_whitney(x, y):
    """Two-sided Mann-Whitney U (U of x), normal approximation with tie and continuity
    corrections (scipy.stats.mannwhitneyu's asymptotic method)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = len(x), len(y)
    both = np.concatenate([x, y])
    order = np.argsort(both, kind="stable")
    ranks = np.empty(len(both))
    sorted_vals = both[order]
    i = 0
    ties = 0.0
    while i < len(both):
        j = i
        while j + 1 < len(both) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    n = n1 + n2
    mu = n1 * n2 / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return u, 1.0
    z = (abs(u - mu) - 0.5) / sigma
    p = math.erfc(max(z, 0) / math.sqrt(2))
    return u, min(1.0, p)


def mean_se(v):
    v = np.asarray(v, float)
    return v.mean(), (v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan"))


def report(args, results):
    marks = [n for n in (8, 16, 32) if n < args.budget] + [args.budget]
    head = f"{'sampler':<13}" + "".join(f"{'best@' + str(n):>16}" for n in marks) + f"{'AUC':>16}{'test acc':>16}{'mean >startup':>16}"
    print(f"\nbest-so-far validation accuracy (%), mean +- s.e. over {args.seeds} search seeds; budget N = {args.budget}")
    print(head)
    print("-" * len(head))
    curves, finals = {}, {}
    for s in args.samplers:
        runs = [results[f"{s}-{seed}"] for seed in range(args.seeds) if f"{s}-{seed}" in results]
        if not runs:
            continue
        curves[s] = np.array([best_so_far(r["metric"])[:args.budget] for r in runs]) * 100
        finals[s] = [final_pick(r["metric"], r["test"]) * 100 for r in runs]
        row = f"{LABELS[s]:<13}"
        for n in marks:
            m, e = mean_se(curves[s][:, n - 1])
            row += f"{m:10.2f} +-{e:4.2f}"
        m, e = mean_se(curves[s].mean(axis=1))
        row += f"{m:10.2f} +-{e:4.2f}"
        m, e = mean_se(finals[s])
        row += f"{m:10.2f} +-{e:4.2f}"
        m, e = mean_se([np.nanmean(np.array(r["metric"][args.startup:args.budget], float)) * 100 for r in runs])
        row += f"{m:10.2f} +-{e:4.2f}"
        print(row + (f"   ({len(runs)} seeds)" if len(runs) != args.seeds else ""))
    if "tpe" in curves:
        print(f"\nMann-Whitney U, sweep tpe against each, best at N = {args.budget} (two-sided):")
        for s in curves:
            if s == "tpe":
                continue
            u, p = mann_whitney(curves["tpe"][:, -1], curves[s][:, -1])
            diff = curves["tpe"][:, -1].mean() - curves[s][:, -1].mean()
            print(f"  tpe vs {LABELS[s]:<13} U = {u:5.1f}  p = {p:.3f}  (mean difference {diff:+.2f} points)")
    return curves


def figure(curves, path, budget):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    n = np.arange(1, budget + 1)
    for s, c in curves.items():
        if s not in FIGURE:
            continue
        m = c.mean(axis=0)
        e = c.std(axis=0, ddof=1) / math.sqrt(len(c)) if len(c) > 1 else np.zeros_like(m)
        line, = ax.plot(n, m, label=f"{LABELS[s]} ({len(c)} seeds)")
        ax.fill_between(n, m - e, m + e, color=line.get_color(), alpha=0.2)
    ax.set_xlabel("points evaluated (n)")
    ax.set_ylabel("best validation accuracy so far (%)")
    ax.set_title("mean_sign T=50: best so far, mean +- s.e. over search seeds")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"\nfigure: {path}")


def tpe_cost(args, point_config, work):
    """Median seconds to train the objective's cheapest point and to choose a round after
    1,000 points, measured alternately so that both see the same load; printed with the ratio."""
    cheapest = ["model.cell=rnn", "model.hidden=8", "train.lr=0.003", "model.dropout=0.0", "train.clip=1.0"]
    point_s, round_s = [], []
    for i in range(args.cost_repeats):
        out = os.path.join(work, "cost")
        shutil.rmtree(out, ignore_errors=True)  # a finished run would not train again
        t = time.perf_counter()
        run_sweep(args.sweep, point_config, cheapest, out, 1)
        point_s.append(time.perf_counter() - t)
        proc = subprocess.run([args.tpe_cost, "--points", "1000", "--batch", str(args.batch), "--repeats", "1"],
                              capture_output=True, text=True, check=True)
        row = [line.split() for line in proc.stdout.splitlines() if line.split()[:1] == ["1000"]]
        round_s.append(float(row[0][1]) / 1000)
    p, r = float(np.median(point_s)), float(np.median(round_s))
    print(f"\nTPE's cost, medians of {args.cost_repeats} alternating measurements (one thread):")
    print(f"  one point of the objective (rnn, hidden 8, its cheapest)   {p:8.3f} s")
    print(f"  choosing a round of {args.batch} after 1,000 points (bench_tpe)    {r * 1000:8.1f} ms")
    print(f"  ratio to training that round ({args.batch} such points)            {r / (args.batch * p) * 100:8.2f} %")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sweep", default="sweep")
    p.add_argument("--work", default=None, help="keeps every search's result (default: a temporary directory)")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--budget", type=int, default=48)
    p.add_argument("--startup", type=int, default=16)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--samplers", default=",".join(SAMPLERS))
    p.add_argument("--figure", default=None)
    p.add_argument("--tpe-cost", default=None, metavar="BENCH_TPE", help="also time TPE's round against training")
    p.add_argument("--cost-repeats", type=int, default=7)
    p.add_argument("-j", "--jobs", type=int, default=1, help="threads of each sweep (results do not depend on it)")
    args = p.parse_args()
    args.samplers = [s for s in args.samplers.split(",") if s]
    bad = [s for s in args.samplers if s not in SAMPLERS]
    if bad:
        p.error(f"unknown sampler {bad[0]}; allowed: {', '.join(SAMPLERS)}")
    work = args.work or tempfile.mkdtemp(prefix="bench-search-")
    os.makedirs(work, exist_ok=True)
    config, point_config = os.path.join(work, "bench-search.yaml"), os.path.join(work, "bench-point.yaml")
    with open(config, "w") as f:
        f.write(SEARCH)
    with open(point_config, "w") as f:  # the same runs, one point at a time (Optuna's trials)
        f.write(BASE)
    store = os.path.join(work, "results.json")
    results = json.load(open(store)) if os.path.exists(store) else {}
    key_of = lambda s, seed: f"{s}-{seed}"
    settings = {"budget": args.budget, "startup": args.startup, "batch": args.batch}
    if results.get("settings", settings) != settings:
        sys.exit(f"bench_search: {store} holds results of other settings ({results['settings']}); use another --work")
    results["settings"] = settings
    t0 = time.time()
    for seed in range(args.seeds):
        for s in args.samplers:
            if key_of(s, seed) in results:
                continue
            t = time.time()
            if s == "optuna":
                metric, test = optuna_search(args, point_config, seed, work)
            else:
                metric, test = sweep_search(args, config, s, seed, work)
            results[key_of(s, seed)] = {"metric": metric, "test": test, "seconds": time.time() - t}
            with open(store + ".tmp", "w") as f:
                json.dump(results, f)
            os.replace(store + ".tmp", store)
            print(f"{s} seed {seed}: best {max(metric) * 100:.2f}% in {time.time() - t:.0f} s", flush=True)
    print(f"(searches run now: {time.time() - t0:.0f} s; results in {store})")
    curves = report(args, results)
    if args.figure and curves:
        figure(curves, args.figure, args.budget)
    if args.tpe_cost:
        tpe_cost(args, point_config, work)


if __name__ == "__main__":
    main()
