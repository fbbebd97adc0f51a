#!/usr/bin/python3
"""The analysis package on synthetic sweep files written to the HDF5 contract.

Independent of the engine: this script writes a small sweep directory with
h5py exactly as docs/hdf5-layout.md describes (root attributes incl.
`swept_keys`, typed /config, /history, /summary, /weights in the PyTorch
layout, /probe, /gradients with dimension scales, and a DIR/sweep.h5 index
with external links and the /table columns), checks every complete run file
with tests/check-run-file.py, and then checks that

  - the loader returns exactly what was written (config types, history,
    summary, grid order from the index, the index table, a single file);
  - swept keys are read from `swept_keys`, and inferred (config keys that
    differ across runs) from files without that attribute;
  - every command writes a PNG; `hidden` prints the class counts of the
    units planted in the last layer, in layer 0 and with the final weights,
    and names exactly the planted accumulators;
  - failed and diverged runs are skipped or drawn without breaking a figure;
    user errors exit 2 without a traceback;
  - an `adding` sweep (selected by the lowest test MSE: /summary metric
    test_loss, metric_mode min, NaN accuracies) and a `copy` sweep (T+20
    steps in /probe and /gradients) are plotted by their metric: loss panels
    only and "lower is better" for adding, the baselines (1/6, 10 ln 8/(T+20))
    as dashed lines, the lowest MSE per run in `vanishing`, gradient lines as
    long as the arrays; the classification files (which have no metric
    attributes) are drawn as before;
  - an early-stopping search with a validation set (runs with status
    'stopped', /history/val_*, sweep.h5 /decisions): the loader's val columns
    (NaN for runs without validation), best_val and best_test, the decisions
    and their account per rung; curves get validation panels and a cross
    where each stopped run ended; `rungs` draws and prints the decisions.

Usage: test_analysis_fixture.py              run the test (exit 0 / 1; 77 = skipped)
       test_analysis_fixture.py --write DIR  only write the fixture sweep into DIR
       test_analysis_fixture.py --write-search DIR   only write the early-stopping search
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import h5py
    import matplotlib  # noqa: F401
except ImportError as e:
    print("SKIP: %s; install Debian's python3-h5py python3-numpy python3-matplotlib "
          "and run with /usr/bin/python3" % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}

BASE = {  # a resolved run config (every key typed as the engine writes it)
    "task.kind": "mean_sign", "task.seq_len": 20, "task.input_size": 6, "task.train_size": 64,
    "task.test_size": 32, "task.signal_steps": 5,
    "model.cell": "rnn", "model.hidden": 16, "model.layers": 2, "model.dropout": 0.0,
    "model.forget_bias": 0.0,
    "train.epochs": 6, "train.batch": 32, "train.steps_per_epoch": 2, "train.optimizer": "adam",
    "train.lr": 0.001, "train.beta1": 0.9, "train.beta2": 0.999, "train.eps": 1e-8,
    "train.momentum": 0.0, "train.nesterov": False, "train.weight_decay": 0.0, "train.clip": 0.0,
    "train.schedule.kind": "constant", "train.schedule.step": 20, "train.schedule.gamma": 0.5,
    "train.schedule.milestones": [], "train.schedule.min_lr": 0.0, "train.schedule.warmup": 0,
    "record.grad_every": 1, "record.probe_size": 24,
    "seed": 1,
}

# Planted unit classes per (layer, weights): the test expects exactly these counts back.
PLANT = {
    ("last", "best"): {"accumulator": 6, "transient": 5, "oscillator": 3, "other": 2},
    ("last", "final"): {"accumulator": 3, "transient": 5, "oscillator": 3, "other": 5},
    (0, "best"): {"accumulator": 2, "transient": 8, "oscillator": 4, "other": 2},
    (0, "final"): {"accumulator": 2, "transient": 8, "oscillator": 4, "other": 2},
}
ORDER = ("accumulator", "transient", "oscillator", "other")


def yaml_text(cfg):
    """The resolved config as a nested YAML document (what the root `config` holds)."""
    lines, open_path = [], []
    for key, v in cfg.items():
        parts = key.split(".")
        common = 0
        while common < min(len(open_path), len(parts) - 1) and open_path[common] == parts[common]:
            common += 1
        open_path = open_path[:common]
        for depth in range(common, len(parts) - 1):
            lines.append("  " * depth + parts[depth] + ":")
            open_path.append(parts[depth])
        if isinstance(v, bool):
            s = "true" if v else "false"
        elif isinstance(v, list):
            s = "[" + ", ".join(str(x) for x in v) + "]"
        else:
            s = str(v)
        lines.append("  " * (len(parts) - 1) + parts[-1] + ": " + s)
    return "\n".join(lines) + "\n"


def typed(v):
    if isinstance(v, bool):
        return np.bool_(v)
    if isinstance(v, int):
        return np.int64(v)
    if isinstance(v, float):
        return np.float64(v)
    if isinstance(v, list):
        return np.array(v, dtype=np.int64)
    return str(v)


def strs(values):
    return np.array(list(values), dtype=h5py.string_dtype())


def plant(x, counts, rng):
    """Hidden trajectories [P, T, H] over inputs x [P, T, I] with units of the
    given classes, in ORDER; returns (h, classes)."""
    P, T, I = x.shape
    xm = x.mean(axis=2)
    m = np.cumsum(xm, axis=1) / np.arange(1, T + 1)
    cols, classes = [], []
    for cls in ORDER:
        for k in range(counts[cls]):
            if cls == "accumulator":
                if k % 2 == 0:
                    h = np.tanh((1.5 + k) * m / m.std()) * (-1 if k % 4 == 2 else 1)
                else:                                    # leaky integrator, time constant 50 steps
                    a = np.zeros((P, T))
                    for s in range(T):
                        a[:, s] = 0.98 * (a[:, s - 1] if s else 0) + xm[:, s]
                    h = np.tanh(a / a.std())
            elif cls == "transient":
                w = rng.standard_normal(I)
                d = np.zeros((P, T))
                for s in range(T):
                    d[:, s] = 0.3 * (d[:, s - 1] if s else 0) + x[:, s] @ w / np.sqrt(I)
                h = np.tanh(1.5 * d)
            elif cls == "oscillator":
                o = np.zeros((P, T))
                j = k % I
                for s in range(T):
                    o[:, s] = -0.8 * (o[:, s - 1] if s else 0) + 0.5 * x[:, s, j]
                h = np.tanh(o)
            else:
                if k % 2 == 0:
                    h = np.full((P, T), 0.2 + 0.1 * k) + 1e-4 * rng.standard_normal((P, T))
                else:                                    # slow walk unrelated to the input
                    h = np.tanh(np.cumsum(0.05 * rng.standard_normal((P, T)), axis=1))
            cols.append(h)
            classes.append(cls)
    return np.stack(cols, axis=2).astype(np.float32), classes


# Per task.kind: (input features, outputs of the fc layer, extra steps per sequence)
TASK_SHAPES = {"adding": (2, 1, 0), "copy": (10, 9, 20)}


def baseline(kind, T):
    """The baseline loss, recomputed here from the task descriptions (src/engine/task.h)."""
    return {"adding": 1.0 / 6.0, "copy": 10 * np.log(8) / (T + 20)}.get(kind)


def target_mse(cfg):
    """The lowest test MSE an adding fixture run reaches: the rnn stays near the baseline."""
    T, cell = cfg["task.seq_len"], cfg["model.cell"]
    mse = {"rnn": 0.15, "lstm": 0.01, "gru": 0.004}[cell] * (T / 20.0) ** (0.3 if cell == "rnn" else 1.5)
    return float(min(mse * (1 + 0.1 * (cfg["seed"] % 3)), 0.19))


def target_acc(cfg):
    """The best test accuracy a fixture run reaches: the shape of the vanishing figure."""
    T, cell, kind = cfg["task.seq_len"], cfg["model.cell"], cfg["task.kind"]
    drop = {"rnn": 0.25, "lstm": 0.05, "gru": 0.03}[cell] * np.log2(T / 20.0)
    if kind == "first_sign":
        drop *= 1.5
    return float(np.clip(0.95 - drop - 0.01 * (cfg["seed"] % 3), 0.5, 1.0))


def val_acc_curve(cfg, ep):
    """Validation accuracy at epochs ep (a fixture run with a validation set): a curve of its
    own, peaking one epoch later than the test accuracy, so that it chooses another epoch."""
    acc_best, peak = target_acc(cfg), max(1, (cfg["train.epochs"] + 1) // 2)
    ep = np.asarray(ep)
    return np.clip(np.where(ep < peak + 1, 0.5 + (acc_best - 0.51) * ep / (peak + 1),
                            acc_best - 0.01 - 0.015 * ((ep - peak - 1) % 2 + (ep > peak + 1))), 0, 1).astype(np.float64)


def attach(ds, scales):
    for axis, sc in enumerate(scales):
        if sc is not None:
            ds.dims[axis].attach_scale(sc)


def write_run(path, cfg, *, sweep="fixture", swept_keys=None, status="done", epochs_done=None, val=False):
    """Write one run file at `path` following docs/hdf5-layout.md.

    status 'failed' writes only the root attributes, /config, an empty
    /history and /summary with NaNs; 'diverged' and 'stopped' (early stopping
    ended it at a rung) end after epochs_done epochs. val: a validation set
    (cfg task.val_size > 0): /history/val_loss and val_acc, the best epoch
    chosen by validation accuracy (metric val_acc), the test set reported there.
    swept_keys None leaves the root attribute out (files from another writer).
    Returns (run_id, summary dict)."""
    run_id = os.path.basename(path)[:-3]
    seed = cfg["seed"]
    rng = np.random.default_rng(1000 * seed + cfg["task.seq_len"] + 7 * len(cfg["model.cell"]))
    kind = cfg["task.kind"]
    I, C, extra = TASK_SHAPES.get(kind, (cfg["task.input_size"], 2, 0))
    T = cfg["task.seq_len"] + extra          # steps per sequence: copy has T+20
    H, L = cfg["model.hidden"], cfg["model.layers"]
    G, Eplan = GATES[cfg["model.cell"]], cfg["train.epochs"]
    E = 0 if status == "failed" else (Eplan if epochs_done is None else epochs_done)
    tmp = os.path.join(os.path.dirname(path), "." + run_id + ".h5.tmp")
    with h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = "sweep-run"
        f.attrs["format_version"] = np.int32(1)
        f.attrs["run_id"] = run_id
        f.attrs["sweep"] = sweep
        f.attrs["status"] = status
        f.attrs["error"] = {"done": "", "stopped": "", "failed": "fixture: planted failure",
                            "diverged": "loss became NaN at epoch %d, step 1" % (E + 1)}[status]
        f.attrs["seed"] = np.int64(seed)
        if swept_keys is not None:
            f.attrs["swept_keys"] = strs(swept_keys)
        f.attrs["config"] = yaml_text(cfg)
        f.attrs["program_version"] = "0.1.0"
        f.attrs["program"] = "test_analysis_fixture.py (h5py %s)" % h5py.version.version
        f.attrs["library_versions"] = "hdf5 %s" % h5py.version.hdf5_version
        f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        f.attrs["wall_seconds"] = np.float64(0.5 + 0.01 * T)
        c = f.create_group("config", track_order=True)
        for k, v in cfg.items():
            c.attrs[k] = typed(v)

        # history: accuracy rises to the target by the middle epoch and then wobbles below it
        ep = np.arange(1, E + 1, dtype=np.int32)
        acc_best = target_acc(cfg)
        peak = max(1, (Eplan + 1) // 2)
        test_acc = np.where(ep < peak, 0.5 + (acc_best - 0.5) * ep / peak,
                            acc_best - 0.02 * ((ep - peak) % 2 + (ep > peak)))
        test_acc = np.clip(test_acc, 0, 1).astype(np.float64)
        hist = {"epoch": ep, "train_loss": 0.7 * np.exp(-0.2 * ep), "train_acc": np.minimum(test_acc + 0.02, 1.0),
                "test_loss": 0.72 * np.exp(-0.15 * ep), "test_acc": test_acc,
                "lr": np.full(E, cfg["train.lr"]), "grad_norm": 1.0 / ep, "seconds": np.full(E, 0.05)}
        if kind == "adding":   # MSE falls to its lowest at the middle epoch, then wobbles above it
            low = target_mse(cfg)
            hist["test_loss"] = np.where(ep < peak, 0.25 + (low - 0.25) * ep / peak,
                                         low * (1.1 + 0.1 * ((ep - peak) % 2)) + 0.002 * (ep > peak))
            hist["test_loss"][ep == peak] = low
            hist["train_loss"] = 0.9 * hist["test_loss"]
            hist["test_acc"] = hist["train_acc"] = np.full(E, np.nan)
        elif kind == "copy":   # cross-entropy over T+20 steps, from above the baseline to below it
            hist["test_loss"] = 3 * baseline(kind, cfg["task.seq_len"]) * np.exp(-0.3 * ep)
            hist["train_loss"] = 0.95 * hist["test_loss"]
        if val:
            hist["val_acc"] = val_acc_curve(cfg, ep)
            hist["val_loss"] = 0.74 * np.exp(-0.14 * ep)
        hg = f.create_group("history", track_order=True)
        escale = None
        for k, v in hist.items():
            d = hg.create_dataset(k, data=np.asarray(v, dtype=np.int32 if k == "epoch" else np.float64))
            if k == "epoch":
                d.make_scale("epoch")
                escale = d
            else:
                attach(d, [escale])

        best = int(np.argmax(test_acc)) + 1 if E else 0
        if kind == "adding":
            best = int(np.argmin(hist["test_loss"])) + 1 if E else 0
        if val:
            best = int(np.argmax(hist["val_acc"])) + 1 if E else 0
        nan = float("nan")
        summary = {"best_epoch": np.int32(best), "best_test_acc": float(hist["test_acc"][best - 1]) if E else nan,
                   "best_test_loss": float(hist["test_loss"][best - 1]) if E else nan,
                   "final_test_acc": float(hist["test_acc"][-1]) if E else nan,
                   "final_train_acc": float(hist["train_acc"][-1]) if E else nan,
                   "param_count": np.int64(0), "epochs_completed": np.int32(E), "epochs_planned": np.int32(Eplan)}
        if kind in TASK_SHAPES:   # the files of these tasks name their metric (classification ones do not)
            by_loss = kind == "adding"
            summary["metric"] = "test_loss" if by_loss else "test_acc"
            summary["metric_mode"] = "min" if by_loss else "max"
            summary["best_metric"] = summary["best_test_loss" if by_loss else "best_test_acc"]
        if val:
            summary["metric"], summary["metric_mode"] = "val_acc", "max"
            summary["best_metric"] = float(hist["val_acc"][best - 1]) if E else nan
        if status != "failed":
            nparam = 0
            for which in ("final", "best"):
                w = f.create_group("weights/" + which)
                w.attrs["epoch"] = np.int32(E if which == "final" else best)
                for l in range(L):
                    fan = I if l == 0 else H
                    for name, shape in (("weight_ih_l%d" % l, (G * H, fan)), ("weight_hh_l%d" % l, (G * H, H)),
                                        ("bias_ih_l%d" % l, (G * H,)), ("bias_hh_l%d" % l, (G * H,))):
                        w.create_dataset("rnn/" + name, data=(0.1 * rng.standard_normal(shape)).astype(np.float32))
                        nparam += int(np.prod(shape)) if which == "final" else 0
                w.create_dataset("fc/weight", data=(0.1 * rng.standard_normal((C, H))).astype(np.float32))
                w.create_dataset("fc/bias", data=np.zeros(C, np.float32))
                nparam += C * H + C if which == "final" else 0
            summary["param_count"] = np.int64(nparam)

            P = cfg["record.probe_size"]
            x = rng.standard_normal((P, T, I)).astype(np.float32)
            p = f.create_group("probe", track_order=True)
            sc = {}
            for name, n in (("layer", L), ("sample", P), ("time", T), ("feature", I), ("unit", H)):
                sc[name] = p.create_dataset(name, data=np.arange(n, dtype=np.int32))
                sc[name].make_scale(name)
            attach(p.create_dataset("inputs", data=x), [sc["sample"], sc["time"], sc["feature"]])
            if kind in TASK_SHAPES:   # no class at the last step: labels -1, the targets in the task's shape
                attach(p.create_dataset("labels", data=np.full(P, -1, np.int32)), [sc["sample"]])
                y = rng.uniform(0, 2, (P, 1)) if kind == "adding" else rng.integers(0, 9, (P, T))
                attach(p.create_dataset("targets", data=y.astype(np.float32)), [sc["sample"]])
            else:
                attach(p.create_dataset("labels", data=(x.mean(axis=(1, 2)) > 0).astype(np.int32)), [sc["sample"]])
            for which in ("final", "best"):
                hs = np.empty((L, P, T, H), np.float32)
                for l in range(L):
                    hs[l] = plant(x, PLANT[("last" if l == L - 1 else 0, which)], rng)[0]
                attach(p.create_dataset("hidden_" + which, data=hs, chunks=(1, 1, T, H), shuffle=True,
                                        compression="gzip", compression_opts=4),
                       [sc["layer"], sc["sample"], sc["time"], sc["unit"]])

            # gradients: geometric decay towards early steps, faster for the rnn and with depth
            R = E
            rho = {"rnn": 0.6, "lstm": 0.93, "gru": 0.97}[cfg["model.cell"]]
            g = f.create_group("gradients", track_order=True)
            gs = {"epoch": g.create_dataset("epoch", data=np.arange(1, R + 1, dtype=np.int32))}
            for name, n in (("layer", L), ("time", T), ("unit", H)):
                gs[name] = g.create_dataset(name, data=np.arange(n, dtype=np.int32))
            for name, d in gs.items():
                d.make_scale(name)
            t = np.arange(T)
            norm = np.empty((R, L, T), np.float32)
            for r in range(R):
                for l in range(L):
                    norm[r, l] = 0.05 / (r + 1) * (rho ** ((T - 1 - t) * (1 + 0.2 * (L - 1 - l))))
            if cfg["model.cell"] == "rnn" and T >= 40:
                norm[:, :, :3] = 0.0          # flushed to zero, as the engine does below 1e-38
            u = rng.standard_normal((R, L, T, H))
            u /= np.linalg.norm(u, axis=3, keepdims=True)
            dW = norm * 0.5
            dW[:, :, 0] = 0.0
            for name, data, dims in (("dloss_dh_norm", norm, ("epoch", "layer", "time")),
                                     ("dloss_dh", (u * norm[..., None]).astype(np.float32),
                                      ("epoch", "layer", "time", "unit")),
                                     ("dW_hh_norm", dW.astype(np.float32), ("epoch", "layer", "time"))):
                attach(g.create_dataset(name, data=data), [gs[k] for k in dims])
        s = f.create_group("summary")
        for k, v in summary.items():
            s.attrs[k] = v
        if kind == "adding" and status == "failed":
            s.attrs["best_metric"] = nan
    os.rename(tmp, path)
    return run_id, summary


def run_id_of(cfg, keys):
    return ",".join("%s=%s" % (k.split(".")[-1], cfg[k]) for k in keys)


def write_sweep(d, *, kinds=("mean_sign", "first_sign"), cells=("rnn", "gru"), lens=(20, 40),
                seeds=(1, 2, 3), swept=True, index=True):
    """A grid sweep into directory d (created). One run is failed (gru, T=40,
    last seed, last kind) and one diverged after 2 epochs (rnn, T=40, seed 1,
    first kind). Returns the list of (run_id, cfg, status, summary) in grid order."""
    os.makedirs(d, exist_ok=True)
    keys = ["task.kind", "model.cell", "task.seq_len", "seed"]
    rows = []
    for kind in kinds:
        for cell in cells:
            for T in lens:
                for seed in seeds:
                    cfg = dict(BASE, **{"task.kind": kind, "model.cell": cell, "task.seq_len": T, "seed": seed})
                    if kind in TASK_SHAPES:
                        cfg["task.input_size"] = TASK_SHAPES[kind][0]
                    rid = run_id_of(cfg, keys)
                    status, edone = "done", None
                    if (kind, cell, T, seed) == (kinds[-1], "gru", lens[-1], seeds[-1]):
                        status = "failed"
                    elif (kind, cell, T, seed) == (kinds[0], "rnn", lens[-1], seeds[0]):
                        status, edone = "diverged", 2
                    _, summ = write_run(os.path.join(d, rid + ".h5"), cfg, swept_keys=keys if swept else None,
                                        status=status, epochs_done=edone)
                    rows.append((rid, cfg, status, summ))
    if index:
        write_index(d, rows, keys)
    return rows


def write_search(d, *, cells=("rnn", "lstm", "gru"), seeds=(1, 2, 3), eta=3, min_epochs=1, epochs=9):
    """An early-stopping search with a validation set into directory d: cells x seeds at T=40,
    successive halving on val_acc (rungs at min_epochs * eta^k below `epochs`; at each, the
    best third promoted, ties by run id; the cutoff is the last promoted run's value), the
    runs that stop at a rung with status 'stopped', and sweep.h5 with /decisions and
    runs_stopped as docs/hdf5-layout.md describes. Returns (rows, decisions) where
    decisions is a list of (bracket, rung, epoch, run_id, metric, cutoff, promoted)."""
    os.makedirs(d, exist_ok=True)
    keys = ["model.cell", "seed"]
    cfgs = {}
    for cell in cells:
        for seed in seeds:
            cfg = dict(BASE, **{"model.cell": cell, "task.seq_len": 40, "seed": seed, "train.epochs": epochs,
                                "task.val_size": 16})
            cfgs[run_id_of(cfg, keys)] = cfg
    ends = {rid: epochs for rid in cfgs}
    decisions, alive, rung, epoch = [], sorted(cfgs), 0, min_epochs
    while epoch < epochs and len(alive) > 1:
        v = {rid: float(val_acc_curve(cfgs[rid], [epoch])[0]) for rid in alive}
        ranked = sorted(alive, key=lambda rid: (-v[rid], rid))
        keep = ranked[:len(alive) // eta]
        cutoff = v[keep[-1]] if keep else float("nan")
        for rid in alive:            # rows in run-id order
            decisions.append((0, rung, epoch, rid, v[rid], cutoff, rid in keep))
            if rid not in keep:
                ends[rid] = epoch
        alive, rung, epoch = sorted(keep), rung + 1, epoch * eta
    rows = []
    for rid, cfg in cfgs.items():
        status = "done" if ends[rid] == epochs else "stopped"
        _, summ = write_run(os.path.join(d, rid + ".h5"), cfg, sweep="search-fixture", swept_keys=keys,
                            status=status, epochs_done=ends[rid], val=True)
        rows.append((rid, cfg, status, summ))
    write_index(d, rows, keys, name="search-fixture")
    with h5py.File(os.path.join(d, "sweep.h5"), "a") as f:
        g = f.create_group("decisions", track_order=True)
        g.attrs["kind"] = "sha"
        g.attrs["metric"] = "val_acc"
        g.attrs["eta"] = np.int32(eta)
        g.attrs["min_epochs"] = np.int32(min_epochs)
        g["bracket"] = np.array([x[0] for x in decisions], np.int32)
        g["rung"] = np.array([x[1] for x in decisions], np.int32)
        g["epoch"] = np.array([x[2] for x in decisions], np.int32)
        g["run"] = strs(x[3] for x in decisions)
        g["metric"] = np.array([x[4] for x in decisions], np.float64)
        g["cutoff"] = np.array([x[5] for x in decisions], np.float64)
        g["promoted"] = np.array([x[6] for x in decisions], np.int8)
    return rows, decisions


def write_index(d, rows, keys, name="fixture"):
    """DIR/sweep.h5: root attributes, /runs external links, /table columns (grid order)."""
    text = "name: %s\n# fixture sweep written by tests/test_analysis_fixture.py\n" % name
    tmp = os.path.join(d, ".sweep.h5.tmp")
    with h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["format"] = "sweep-index"
        f.attrs["format_version"] = np.int32(1)
        f.attrs["sweep"] = name
        f.attrs["config"] = text
        f.attrs["config_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        f.attrs["swept_keys"] = strs(keys)
        f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        f.attrs["program_version"] = "0.1.0"
        f.attrs["library_versions"] = "hdf5 %s" % h5py.version.hdf5_version
        st = [r[2] for r in rows]
        for s in ("done", "diverged", "failed", "pending"):
            f.attrs["runs_" + s] = np.int64(st.count(s))
        if "stopped" in st:
            f.attrs["runs_stopped"] = np.int64(st.count("stopped"))
        f.attrs["runs_total"] = np.int64(len(rows))
        g = f.create_group("runs")
        for rid, _, _, _ in rows:
            g[rid] = h5py.ExternalLink(rid + ".h5", "/")
        t = f.create_group("table", track_order=True)
        t["run_id"] = strs(r[0] for r in rows)
        t["status"] = strs(st)
        t["path"] = strs(r[0] + ".h5" for r in rows)
        for k in keys:
            v = [r[1][k] for r in rows]
            t[k] = strs(v) if isinstance(v[0], str) else np.array(v, dtype=np.int64)
        t["best_test_acc"] = np.array([r[3]["best_test_acc"] for r in rows], np.float64)
        t["best_epoch"] = np.array([r[3]["best_epoch"] for r in rows], np.int64)
        t["final_test_acc"] = np.array([r[3]["final_test_acc"] for r in rows], np.float64)
        t["final_train_acc"] = np.array([r[3]["final_train_acc"] for r in rows], np.float64)
        t["wall_seconds"] = np.array([0.5 + 0.01 * r[1]["task.seq_len"] for r in rows], np.float64)
        t["epochs"] = np.array([r[3]["epochs_completed"] for r in rows], np.int64)
        if any("best_metric" in r[3] for r in rows):
            t["best_metric"] = np.array([r[3].get("best_metric", np.nan) for r in rows], np.float64)
    os.rename(tmp, os.path.join(d, "sweep.h5"))


# ---------------------------------------------------------------- the test
failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok: %s" % what)
    else:
        failures += 1
        print("FAIL: %s%s" % (what, ("\n" + detail) if detail else ""))


def cli(*args):
    """Run python3 -m analysis ARGS from the repository root; (status, output, seconds)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.time()
    p = subprocess.run([sys.executable, "-m", "analysis"] + list(args), cwd=ROOT, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return p.returncode, p.stdout, time.time() - t0


def cli_inprocess(*args):
    """analysis.__main__.main(ARGS) in this process (no interpreter start-up);
    (status, output). An exception escaping main() is what a user would see
    as a traceback, so it is reported as such."""
    import contextlib
    import io
    import traceback
    from analysis.__main__ import main as analysis_main
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            code = analysis_main(list(args))
        except SystemExit as e:          # argparse
            code = e.code
        except Exception:
            traceback.print_exc(file=buf)
            code = 1
    return code, buf.getvalue()


def is_png(path):
    try:
        with open(path, "rb") as f:
            head = f.read(8)
        return head == b"\x89PNG\r\n\x1a\n" and os.path.getsize(path) > 1000
    except OSError:
        return False


def baseline_lines(ax):
    """The y values of the dashed baseline lines plots draw (gid 'baseline')."""
    return sorted({float(y) for ln in ax.lines if ln.get_gid() == "baseline" for y in ln.get_ydata()})


def same(a, b, tol=1e-9):
    return len(a) == len(b) and all(abs(x - y) <= tol * max(1.0, abs(y)) for x, y in zip(a, b))


def check_tasks(tmp, classification_dir):
    """Runs selected by their loss (adding) and a task with T+20 steps (copy), against the
    classification fixture (files without metric attributes) drawn as before."""
    from analysis import load, plots
    import matplotlib.pyplot as plt
    da, dc = os.path.join(tmp, "adding"), os.path.join(tmp, "copy")
    rows_a = write_sweep(da, kinds=("adding",), cells=("rnn", "lstm"), lens=(20, 40), seeds=(1, 2))
    rows_c = write_sweep(dc, kinds=("copy",), cells=("rnn", "gru"), lens=(10, 30), seeds=(1, 2))
    checker = os.path.join(HERE, "check-run-file.py")
    files = [os.path.join(dd, r[0] + ".h5") for dd, rows in ((da, rows_a), (dc, rows_c)) for r in rows
             if r[2] != "failed"]
    p = subprocess.run([sys.executable, checker] + files, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    check(p.returncode == 0, "the %d adding and copy fixture files pass check-run-file.py" % len(files), p.stdout)

    # ---- the loader: metric, mode, best value, baseline
    ra, rc, rl = load.load_runs(da), load.load_runs(dc), load.load_runs(classification_dir)
    ok = all(r.metric == "test_loss" and r.lower_is_better and r.loss_name == "MSE"
             and abs(r.baseline - 1 / 6) < 1e-12 for r in ra)
    ok &= all(np.isnan(r.best_metric) if not len(r.history["test_loss"]) else
              r.best_metric == r.history["test_loss"].min() for r in ra)
    check(ok, "adding runs: metric test_loss, min, best_metric = the lowest test loss, baseline 1/6")
    check(all(r.metric == "test_acc" and not r.lower_is_better
              and abs(r.baseline - 10 * np.log(8) / (r.config["task.seq_len"] + 20)) < 1e-12 for r in rc),
          "copy runs: metric test_acc, max, baseline 10 ln 8/(T+20)")
    check(all(r.metric == "test_acc" and r.metric_mode == "max" and r.baseline is None
              and (r.best_metric == r.summary["best_test_acc"] or np.isnan(r.best_metric)) for r in rl),
          "files without metric attributes: test_acc, max, no baseline")
    done_c = [r for r in rc if r.has_results]
    check(all(r.array("probe/hidden_best").shape[2] == r.config["task.seq_len"] + 20
              and r.array("gradients/dloss_dh_norm").shape[2] == r.config["task.seq_len"] + 20 for r in done_c),
          "copy fixture: T+20 steps in /probe and /gradients")

    # ---- curves: adding has the loss panels only, lower is better, the baseline dashed in both
    fig = plots.curves(ra, ["model.cell", "task.seq_len"], "adding")
    titles = [ax.get_title() for ax in fig.axes]
    check(len(fig.axes) == 2 and not any("accuracy" in t for t in titles),
          "curves of adding: two loss panels, no accuracy: %s" % titles)
    check("lower is better" in fig.axes[1].get_ylabel() and "MSE" in fig.axes[1].get_ylabel(),
          "curves of adding: test loss axis 'MSE, lower is better': %r" % fig.axes[1].get_ylabel())
    check(all(same(baseline_lines(ax), [1 / 6]) for ax in fig.axes),
          "curves of adding: a dashed baseline at 1/6 in both loss panels: %s" % [baseline_lines(a) for a in fig.axes])
    plt.close(fig)
    fig = plots.curves(rc, ["model.cell", "task.seq_len"], "copy")
    want = sorted(10 * np.log(8) / (T + 20) for T in (10, 30))
    check(len(fig.axes) == 4 and same(baseline_lines(fig.axes[0]), want) and same(baseline_lines(fig.axes[1]), want)
          and not baseline_lines(fig.axes[2]) and not baseline_lines(fig.axes[3]),
          "curves of copy: 4 panels, baselines 10 ln 8/(T+20) = %s in the loss panels only: %s"
          % (want, [baseline_lines(a) for a in fig.axes]))
    plt.close(fig)
    fig = plots.curves(rl, ["model.cell"], "cls")
    check(len(fig.axes) == 4 and not any(baseline_lines(a) for a in fig.axes)
          and fig.axes[1].get_ylabel() == "cross-entropy (nats)",
          "curves of classification files: as before (4 panels, no baseline, cross-entropy)")
    plt.close(fig)

    # ---- vanishing: adding plots the lowest test MSE per run, with the baseline
    fig = plots.vanishing(ra, "task.seq_len", ["model.cell"], None, "adding")
    ax = fig.axes[0]
    check("MSE" in ax.get_ylabel() and "lower is better" in ax.get_ylabel(),
          "vanishing of adding: y axis 'best test MSE (lower is better)': %r" % ax.get_ylabel())
    check(same(baseline_lines(ax), [1 / 6]), "vanishing of adding: the baseline 1/6 dashed: %s" % baseline_lines(ax))
    for cell in ("rnn", "lstm"):
        line = next((c.lines[0] for c in ax.containers if c.get_label() == "cell=%s" % cell), None)
        want = [np.mean([r.history["test_loss"].min() for r in ra
                         if r.config["model.cell"] == cell and r.config["task.seq_len"] == T and len(r.history["test_loss"])])
                for T in (20, 40)]
        check(line is not None and same(list(line.get_ydata()), want),
              "vanishing of adding, %s: the mean lowest test MSE per length %s, plotted %s"
              % (cell, want, None if line is None else list(line.get_ydata())))
    plt.close(fig)
    fig = plots.vanishing(rc, "task.seq_len", ["model.cell"], None, "copy")
    chance = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == ":"]
    check(fig.axes[0].get_ylabel() == "best test accuracy (%)" and chance and same(list(chance[0].get_ydata()), [12.5, 12.5]),
          "vanishing of copy: accuracy, chance 12.5 %")
    plt.close(fig)
    fig = plots.vanishing(rl, "task.seq_len", ["model.cell"], "task.kind", "cls")
    chance = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == ":"]
    check(fig.axes[0].get_ylabel() == "best test accuracy (%)" and not any(baseline_lines(a) for a in fig.axes)
          and chance and same(list(chance[0].get_ydata()), [50, 50]),
          "vanishing of classification files: as before (accuracy, chance 50 %, no baseline)")
    plt.close(fig)

    # ---- gradients: lines as long as the arrays (copy: T+20), the loss named on the axis
    fig = plots.gradients(rc, ["model.cell", "task.seq_len"], None, -1, "start", "copy")
    lens = {ln.get_label(): len(ln.get_xdata()) for ln in fig.axes[0].lines}
    check(lens.get("cell=gru, seq_len=30") == 50 and lens.get("cell=rnn, seq_len=10") == 30,
          "gradients of copy: lines of T+20 steps: %s" % lens)
    plt.close(fig)
    fig = plots.gradients(ra, ["model.cell", "task.seq_len"], None, -1, "end", "adding")
    check("MSE" in fig.axes[0].get_ylabel(), "gradients of adding: the axis names the MSE: %r" % fig.axes[0].get_ylabel())
    plt.close(fig)

    # ---- the commands write PNGs; hidden on a copy run finds the planted units over T+20 steps
    run_c = os.path.join(dc, rows_c[0][0] + ".h5")
    fig = plots.gradient_heatmap(load.Run(run_c), -1)
    xmax = fig.axes[0].get_xlim()[1]
    check(abs(xmax - (rows_c[0][1]["task.seq_len"] + 20 - 0.5)) < 1e-9, "gradient heatmap of copy: T+20 columns (%g)" % xmax)
    plt.close(fig)
    for name, args in (("adding-curves", ["curves", da]), ("adding-vanishing", ["vanishing", da]),
                       ("copy-hidden", ["hidden", run_c])):
        png = os.path.join(tmp, name + ".png")
        code, out = cli_inprocess(*(args + ["--out", png]))
        check(code == 0 and is_png(png), "%s writes a PNG" % name, out)
        if name == "copy-hidden":
            want = PLANT[("last", "best")]
            check(("%d accumulator, %d transient" % (want["accumulator"], want["transient"])) in out,
                  "hidden on a copy run: the planted classes over T+20 steps", out)

    # ---- a directory of several tasks: one vanishing panel each, with its own axis
    dm = os.path.join(tmp, "mixed")
    os.makedirs(dm)
    for src, rows in ((da, rows_a), (classification_dir, None)):
        for n in os.listdir(src):
            if n.endswith(".h5") and n != "sweep.h5":
                shutil.copy(os.path.join(src, n), os.path.join(dm, n))
    rm = load.load_runs(dm)
    fig = plots.vanishing(rm, "task.seq_len", ["model.cell"], "task.kind", "mixed")
    labels = {ax.get_title(): ax.get_ylabel() for ax in fig.axes}
    check("MSE" in labels.get("kind=adding", "") and labels.get("kind=mean_sign") == "best test accuracy (%)"
          and same(baseline_lines([a for a in fig.axes if a.get_title() == "kind=adding"][0]), [1 / 6]),
          "vanishing of mixed tasks: MSE panel with its baseline, accuracy panels: %s" % labels)
    plt.close(fig)
    fig = plots.curves(rm, ["task.kind", "model.cell"], "mixed")
    check(len(fig.axes) >= 4 and "lower is better" in fig.axes[1].get_ylabel()
          and same(baseline_lines(fig.axes[1]), [1 / 6]),
          "curves of mixed tasks: accuracy and loss panels, the adding baseline: %r" % fig.axes[1].get_ylabel())
    plt.close(fig)


def check_search(tmp):
    """An early-stopping search with a validation set: the loader's val columns and stopped
    status, the crosses of the curves, the rungs view and command, and their errors."""
    from analysis import load, metrics, plots
    import matplotlib.pyplot as plt
    d = os.path.join(tmp, "search")
    rows, dec = write_search(d)
    runs = load.load_runs(d)
    stopped = [r for r in runs if r.status == "stopped"]
    check(len(stopped) == sum(r[2] == "stopped" for r in rows) >= 2 and all(r.stopped for r in stopped)
          and not any(r.stopped for r in runs if r.status == "done"),
          "loader: status stopped for the runs that ended at a rung (%d)" % len(stopped))
    ok = True
    for r in runs:
        E = r.epochs_completed
        ok &= r.has_validation and r.metric == "val_acc" and len(r.history["val_acc"]) == E
        ok &= np.allclose(r.history["val_acc"], val_acc_curve(r.config, np.arange(1, E + 1)))
        b = int(r.summary["best_epoch"])
        ok &= r.best_val == r.history["val_acc"][b - 1] == r.history["val_acc"].max()
        ok &= r.best_test == r.history["test_acc"][b - 1] and metrics.value(r) == 100 * r.best_test
        ok &= r.epochs_planned == 9 and (E < 9) == r.stopped
    check(ok, "loader: val_loss/val_acc, best_val (what chose the epoch), best_test (the test set there)")
    got = load.load_decisions(d)
    want_rungs = []
    for b, rung, ep, rid, m, cut, prom in dec:
        if not want_rungs or want_rungs[-1][:2] != [b, rung]:
            want_rungs.append([b, rung, ep, 0, 0, 0, cut])
        want_rungs[-1][3] += 1
        want_rungs[-1][4 if prom else 5] += 1
    check(got is not None and got.kind == "sha" and got.metric == "val_acc" and got.eta == 3
          and list(got.run) == [x[3] for x in dec] and list(got.promoted) == [x[6] for x in dec]
          and [[r["bracket"], r["rung"], r["epoch"], r["runs"], r["promoted"], r["stopped"], r["cutoff"]]
               for r in got.rungs()] == want_rungs,
          "load_decisions: attributes, columns and the account per rung", (got and got.rungs(), want_rungs))
    check(load.load_decisions(os.path.join(tmp, "sweep")) is None, "load_decisions: None without /decisions")

    fig = plots.curves(runs, ["model.cell"], "t")
    titles = [ax.get_title() for ax in fig.axes]
    check("validation accuracy" in titles and "validation loss" in titles and len(titles) >= 6,
          "curves: validation panels next to the test ones (%s)" % titles)
    from analysis.__main__ import build_parser   # its --help says what it draws
    sub = next(a for a in build_parser()._actions if a.dest == "cmd").choices["curves"]
    check("2x3" in sub.description and len(titles) == 6, "curves --help names the 2x3 panels it draws with a "
          "validation set (%d panels): %s" % (len(titles), sub.description))
    ax = fig.axes[titles.index("test accuracy")]
    pts = sorted((float(x), round(float(y), 9)) for ln in ax.lines if ln.get_gid() == "stopped"
                 for x, y in zip(ln.get_xdata(), ln.get_ydata()))
    want = sorted((float(r.epochs_completed), round(100 * float(r.history["test_acc"][-1]), 9)) for r in stopped)
    check(pts == want, "curves: a cross where every stopped run ended (%d)" % len(pts), (pts, want))
    plt.close(fig)
    fig = plots.rungs(got, "t")
    ax = fig.axes[0]
    n = {g: sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == g) for g in ("promoted", "stopped")}
    ncut = sum(1 for c in ax.collections if c.get_gid() == "cutoff")
    check(n["promoted"] == sum(x[6] for x in dec) and n["stopped"] == sum(not x[6] for x in dec)
          and ncut == sum(1 for r in want_rungs if np.isfinite(r[6])),
          "rungs: a dot per promotion, a cross per stop, a cutoff per rung (%s, %d)" % (n, ncut))
    plt.close(fig)

    png = os.path.join(tmp, "rungs.png")
    code, out, secs = cli("rungs", d, "--out", png)
    lines = [l for l in out.splitlines() if l.startswith("rung ")]
    want_lines = ["rung %d, epoch %d: %d runs, %d promoted, %d stopped, cutoff %s"
                  % (r[1], r[2], r[3], r[4], r[5], "-" if not np.isfinite(r[6]) else "%.2f%%" % (100 * r[6]))
                  for r in want_rungs]
    check(code == 0 and is_png(png) and lines == want_lines, "rungs writes a PNG and prints the account per rung",
          out)
    code, out = cli_inprocess("rungs", os.path.join(tmp, "sweep"), "--out", png)
    check(code == 2 and "no early-stopping decisions" in out and "Traceback" not in out,
          "rungs without /decisions -> status 2, one line", out)
    bad = os.path.join(tmp, "search-bad")
    shutil.copytree(d, bad)
    with h5py.File(os.path.join(bad, "sweep.h5"), "a") as f:
        del f["decisions/cutoff"]
    code, out = cli_inprocess("rungs", bad, "--out", png)
    check(code == 2 and "/decisions lacks cutoff" in out, "rungs on a malformed /decisions -> status 2", out)
    code, out, secs = cli("curves", d, "--out", os.path.join(tmp, "search-curves.png"))
    check(code == 0 and "Warning" not in out and "Traceback" not in out, "curves of the search: no warning", out)


def main():
    sys.path.insert(0, ROOT)
    from analysis import load

    tmp = tempfile.mkdtemp(prefix="analysis-fixture.")
    try:
        d = os.path.join(tmp, "sweep")
        rows = write_sweep(d)
        by_id = {r[0]: r for r in rows}
        complete = [os.path.join(d, r[0] + ".h5") for r in rows if r[2] != "failed"]
        checker = os.path.join(HERE, "check-run-file.py")
        if not os.path.exists(checker):
            checker = "/work/shared/tools/check-run-file.py"
        p = subprocess.run([sys.executable, checker] + complete, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        check(p.returncode == 0, "the %d fixture run files pass check-run-file.py" % len(complete), p.stdout)

        # ---- loader
        runs = load.load_runs(d)
        check([r.run_id for r in runs] == [r[0] for r in rows], "load_runs: every run, in the index's grid order",
              str([r.run_id for r in runs]))
        ok = True
        for r in runs:
            rid, cfg, status, summ = by_id[r.run_id]
            ok &= r.status == status and r.config == cfg and r.has_results == (status != "failed")
            ok &= all(type(r.config[k]) is type(v) for k, v in cfg.items())
            ok &= r.swept_keys == ["task.kind", "model.cell", "task.seq_len", "seed"]
            E = int(summ["epochs_completed"])
            ok &= len(r.history["test_acc"]) == E and list(r.history["epoch"]) == list(range(1, E + 1))
            for k, v in summ.items():
                ok &= (np.isnan(v) and np.isnan(r.summary[k])) if isinstance(v, float) and np.isnan(v) \
                    else r.summary[k] == v
        check(ok, "Run: status, typed config (int, float, str, bool, list), swept_keys, history, summary")
        r0 = runs[0]
        hb = r0.array("probe/hidden_best")
        check(hb.shape == (2, 24, 20, 16), "Run.array reads /probe/hidden_best [L,P,T,H] on demand")
        try:
            [r for r in runs if r.status == "failed"][0].array("probe/inputs")
            check(False, "a failed run's missing /probe raises AnalysisError")
        except load.AnalysisError as e:
            check("no /probe/inputs" in str(e), "a failed run's missing /probe raises AnalysisError: %s" % e)
        tab = load.load_table(d)
        check(sorted(tab) == sorted(["run_id", "status", "path", "task.kind", "model.cell", "task.seq_len", "seed",
                                     "best_test_acc", "best_epoch", "final_test_acc", "final_train_acc",
                                     "wall_seconds", "epochs"]), "load_table: every column")
        check(list(tab["run_id"]) == [r[0] for r in rows] and list(tab["model.cell"]) == [r[1]["model.cell"] for r in rows]
              and np.array_equal(tab["task.seq_len"], [r[1]["task.seq_len"] for r in rows])
              and isinstance(tab["status"][0], str),
              "load_table: columns as numpy arrays, strings decoded")
        one = load.load_runs(complete[0])
        check(len(one) == 1 and one[0].path == complete[0], "load_runs accepts a single run file")
        check(load.default_grouping(runs) == ["task.kind", "model.cell", "task.seq_len"],
              "default grouping: the swept keys except seed")
        groups = load.group_runs(load.filter_runs(runs, load.parse_where(["model.cell=rnn", "task.seq_len=20"])),
                                 load.default_grouping(runs))
        check([(v, len(rs)) for v, rs in groups] == [(("mean_sign", "rnn", 20), 3), (("first_sign", "rnn", 20), 3)],
              "--where/--by grouping: one group per configuration, seeds together", str(groups))

        # ---- swept keys inferred when the attribute is absent (no index either)
        d2 = os.path.join(tmp, "noattr")
        write_sweep(d2, kinds=("mean_sign",), lens=(20, 40), seeds=(1, 2), swept=False, index=False)
        runs2 = load.load_runs(d2)
        check(not any(r.has_swept_keys for r in runs2)
              and load.swept_keys(runs2) == ["task.seq_len", "model.cell", "seed"],
              "swept keys inferred from differing config values without the attribute",
              str(load.swept_keys(runs2)))
        check(load.default_grouping(runs2) == ["task.seq_len", "model.cell"], "inferred grouping leaves seed out")
        with open(os.path.join(d2, "sweep.h5"), "w") as f:
            f.write("damaged index")
        names = sorted(n[:-3] for n in os.listdir(d2) if n.endswith(".h5") and n != "sweep.h5")
        check([r.run_id for r in load.load_runs(d2)] == names, "a damaged sweep.h5 leaves the runs in name order")
        code, out, _ = cli("curves", d2, "--out", os.path.join(tmp, "c2.png"))
        check(code == 0 and is_png(os.path.join(tmp, "c2.png")), "curves on files without swept_keys", out)

        # ---- commands
        run = os.path.join(d, rows[0][0] + ".h5")        # mean_sign, rnn, T=20, seed 1
        cases = [("curves", ["curves", d]),
                 ("curves-by", ["curves", d, "--by", "model.cell", "--where", "task.kind=mean_sign"]),
                 ("hidden", ["hidden", run]),
                 ("hidden-l0", ["hidden", run, "--layer", "0", "--probe", "5"]),
                 ("hidden-final", ["hidden", run, "--weights", "final"]),
                 ("gradients", ["gradients", d]),
                 ("gradients-start", ["gradients", d, "--align", "start", "--layer", "0"]),
                 ("heatmap", ["gradients", d, "--run", rows[0][0]]),
                 ("vanishing", ["vanishing", d]),
                 ("vanishing-one-panel", ["vanishing", d, "--panel", "none", "--where", "task.kind=first_sign"])]
        outs = {}
        for name, args in cases:
            png = os.path.join(tmp, name + ".png")
            code, out, secs = cli(*(args + ["--out", png]))
            outs[name] = out
            check(code == 0 and is_png(png) and "Traceback" not in out,
                  "%s writes a PNG (%.1f s): %s" % (name, secs, " ".join(args[:1] + args[2:])), out)

        def counts_line(out):
            m = re.search(r"(\d+) units: (\d+) accumulator, (\d+) transient, (\d+) oscillator, (\d+) other", out)
            return tuple(int(x) for x in m.groups()) if m else None

        for name, key in (("hidden", ("last", "best")), ("hidden-l0", (0, "best")), ("hidden-final", ("last", "final"))):
            want = (16,) + tuple(PLANT[key][c] for c in ORDER)
            check(counts_line(outs[name]) == want, "%s: prints the planted counts %s" % (name, want), outs[name])
        m = re.search(r"running mean of the input:\n(.*)", outs["hidden"])
        named = [int(u) for u in re.findall(r"unit (\d+): [+-]\d", m.group(1))] if m else []
        corrs = [float(c) for c in re.findall(r"unit \d+: ([+-]\d\.\d+)", m.group(1))] if m else []
        check(named == list(range(PLANT[("last", "best")]["accumulator"])) and all(abs(c) >= 0.5 for c in corrs),
              "hidden names exactly the planted accumulators, each |corr| >= 0.5: %s" % corrs, outs["hidden"])
        check("Traceback" not in outs["curves"] and "Warning" not in outs["curves"]
              and "Warning" not in outs["gradients"], "no numpy/matplotlib warnings with a diverged run and zeros")

        # ---- errors: status 2, one message, no traceback
        failed = [r[0] for r in rows if r[2] == "failed"][0]
        for what, args in (("hidden on a failed run", ["hidden", os.path.join(d, failed + ".h5")]),
                           ("heatmap of a failed run", ["gradients", d, "--run", failed]),
                           ("--probe out of range", ["hidden", run, "--probe", "24"]),
                           ("--x unknown key", ["vanishing", d, "--x", "no.such"]),
                           ("--by unknown key", ["curves", d, "--by", "no.such"]),
                           ("--out into a missing directory", ["vanishing", d, "--out", os.path.join(tmp, "no/x.png")]),
                           ("index file given to hidden", ["hidden", os.path.join(d, "sweep.h5")])):
            code, out = cli_inprocess(*(args if "--out" in args else args + ["--out", os.path.join(tmp, "e.png")]))
            check(code == 2 and "error" in out and "Traceback" not in out,
                  "%s -> status 2: %s" % (what, out.strip().splitlines()[-1] if out.strip() else ""), out)

        check(all(np.isnan(r.history["val_acc"]).all() and len(r.history["val_loss"]) == len(r.history["epoch"])
                  and not r.has_validation and not r.stopped for r in runs),
              "runs without a validation set: NaN val_loss/val_acc of their history's length")
        check_tasks(tmp, d)
        check_search(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        rows = write_sweep(sys.argv[2])
        print("wrote %d runs and sweep.h5 into %s" % (len(rows), sys.argv[2]))
        sys.exit(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--write-search":
        rows, dec = write_search(sys.argv[2])
        print("wrote %d runs, %d decisions and sweep.h5 into %s" % (len(rows), len(dec), sys.argv[2]))
        sys.exit(0)
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    sys.exit(main())
