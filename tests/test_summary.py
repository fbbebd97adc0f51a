#!/usr/bin/python3
"""Summarizer tests: every aggregated number recomputed from /history and /gradients with h5py.

Usage: test_summary.py SUMMARIZE_CMD DIR [all-statuses|early-stopping]
       test_summary.py SUMMARIZE_CMD --mixed DIR DIR...
  SUMMARIZE_CMD  a program taking the `summarize` arguments (test_summary_cli, or "sweep summarize")
  DIR            a sweep output directory with done, diverged and failed runs (the HDF5 fixture
                 or a real sweep) that sweeps model.cell; it is copied, never modified. Rows
                 are expected per value of every /config key that differs between its runs
                 (the seed aside; docs/summarize.md), recomputed here from /config. Its runs
                 may be selected by test accuracy (classification, copy) or by test loss
                 (adding): every number is recomputed by the run's own metric, the best epoch
                 as the argmax of the accuracy or the argmin of the loss
  all-statuses   DIR must hold done, diverged and failed runs (the fixture does)
  early-stopping DIR is an early-stopping search with a validation set (test_summary_fixture):
                 runs selected by validation accuracy, runs with status stopped, and
                 sweep.h5 with /decisions; the val and stopped columns, "stopped at E/N"
                 rows and the per-rung account are checked against the files too
  --mixed        the run files of several sweeps (of different tasks) copied into one
                 directory: rows per task, each with the columns of its metric
Exit 0 when every check passes, 1 on a failure, 77 when h5py/numpy are missing."""
import csv
import io
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyharness import check, failures, h5py, np  # noqa: E402


def close(a, b, rel=1e-7, absolute=1e-9):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return abs(a - b) <= absolute + rel * abs(b)


def run(cmd, *args):
    p = subprocess.run(cmd + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def num(s):
    return None if s == "" else float(s)


def baseline_of(kind, T):
    """What a constant answer's loss is (the task descriptions of src/engine/task.h), recomputed here."""
    if kind == "adding":
        return 1.0 / 6.0  # E[(a+b-1)^2] with a, b ~ U[0,1]
    if kind == "copy":
        return 10 * math.log(8) / (T + 20)  # 10 uniform guesses over 8 symbols in T+20 steps
    return None


def metric_of(f):
    """(metric, mode) from /summary; files without the attributes were selected by accuracy."""
    a = f["summary"].attrs
    return str(a.get("metric", "test_acc")), str(a.get("metric_mode", "max"))


# The statuses whose runs enter the statistics: done, and early-stopped runs with their best
# epoch so far (docs/summarize.md).
AVERAGED = ("done", "stopped")


def recompute(d, by_file=False):
    """Per run, from the files alone: status, swept values, and the numbers the summarizer prints.
    Keyed by run id, or by file name (by_file: run ids of several sweeps may repeat)."""
    runs = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".h5") or name == "sweep.h5" or name.startswith("."):
            continue
        try:
            f = h5py.File(os.path.join(d, name), "r")
        except OSError:
            continue
        with f:
            if f.attrs.get("format") != "sweep-run":
                continue
            acc = f["history/test_acc"][()]
            train = f["history/train_acc"][()]
            loss = f["history/test_loss"][()]
            train_loss = f["history/train_loss"][()]
            cfg = f["config"].attrs
            metric, mode = metric_of(f)
            check((metric, mode) in (("test_acc", "max"), ("test_loss", "min"), ("val_acc", "max"), ("val_loss", "min")),
                  f"{name}: metric {metric}/{mode}")
            val = metric.startswith("val_")
            r = {"status": f.attrs["status"], "cell": cfg["model.cell"], "kind": str(cfg["task.kind"]),
                 "config": {k: plain(v) for k, v in cfg.items()},   # creation order: the schema's
                 "swept_keys": [str(k) for k in f.attrs.get("swept_keys", [])],
                 "params": int(f["summary"].attrs["param_count"]),
                 "seed": int(cfg["seed"]), "wall": float(f.attrs["wall_seconds"]),
                 "error": f.attrs["error"], "epochs": len(acc), "by_loss": mode == "min", "val": val,
                 "planned": int(f["summary"].attrs["epochs_planned"]),
                 "baseline": baseline_of(str(cfg["task.kind"]), int(cfg["task.seq_len"]))}
            r["shows_loss"] = r["by_loss"] or r["baseline"] is not None
            r["regression"] = r["by_loss"] and not np.isfinite(acc).any()
            # with a validation set the epoch is chosen by it, and the test set is read there
            sel = f["history/" + metric][()] if val else (loss if r["by_loss"] else acc)
            if len(acc) and r["by_loss"]:
                i = int(np.nanargmin(sel))  # lower is better: the first lowest (test or validation) loss
                r["best_epoch"] = i + 1
                r["best_loss"] = float(loss[i])
                if val:
                    r["val_loss"] = float(sel[i])
            elif len(acc):
                i = int(np.argmax(sel))
                r["best"] = 100 * acc[i]
                r["best_epoch"] = i + 1
                if val:
                    r["val"] = 100 * float(sel[i])
                r["final"] = 100 * acc[-1]
                r["train"] = 100 * train[-1]
                if r["shows_loss"]:
                    r["best_loss"] = float(loss[r["best_epoch"] - 1])
            if len(acc) and r["shows_loss"]:
                r["final_loss"] = float(loss[-1])
                r["train_loss"] = float(train_loss[-1])
            r["ratio"] = r["input_ratio"] = None
            r["has_input_gradient"] = "gradients" in f and "dloss_dx_norm" in f["gradients"]
            if "gradients" in f and f["gradients/dloss_dh_norm"].shape[0] > 0:
                g = f["gradients/dloss_dh_norm"][()].astype(np.float64)
                r["ratio"] = g[-1, -1, 0] / g[-1, -1, -1]
                if r["has_input_gradient"]:
                    gx = f["gradients/dloss_dx_norm"][()].astype(np.float64)
                    r["input_ratio"] = gx[-1, 0] / gx[-1, -1]
            runs[name if by_file else f.attrs["run_id"]] = r
    return runs


def plain(v):
    """An attribute value as a plain Python value (str, int, float, bool, list)."""
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray):
        return [plain(x) for x in v.tolist()]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def group_keys(runs):
    """The row keys docs/summarize.md promises, recomputed from /config: every key whose value
    differs between the runs though no file lists it as swept (in the schema's order, which is
    /config's), then the swept keys the files list; the seed aside."""
    order = list(next(iter(runs.values()))["config"])
    swept = []
    for r in runs.values():
        swept += [k for k in r["swept_keys"] if k not in swept]
    differ = [k for k in order if k not in swept and len({repr(r["config"][k]) for r in runs.values()}) > 1]
    return [k for k in differ + swept if k != "seed"]


def value_text_matches(text, v):
    """Whether a key cell of the CSV (sw_config_format's text) holds the value v."""
    if isinstance(v, bool):
        return text == ("true" if v else "false")
    if isinstance(v, (int, float)):
        return text != "" and float(text) == float(v)
    if isinstance(v, list):
        return text == "[" + ", ".join(str(x) for x in v) + "]"
    return text == str(v)


def members(row, runs, keys):
    """The run ids whose values of keys are the row's."""
    return {rid for rid, r in runs.items() if all(value_text_matches(row[k], r["config"][k]) for k in keys)}


def sample_std(v):
    return float(np.std(v, ddof=1)) if len(v) > 1 else None


def families(runs):
    """Which families of columns the table must have (docs/summarize.md)."""
    rs = list(runs.values())
    return {"acc": any(not r["by_loss"] for r in rs), "loss": any(r["shows_loss"] for r in rs),
            "loss_metric": any(r["by_loss"] for r in rs), "baseline": any(r["baseline"] is not None for r in rs),
            "val_acc": any(r["val"] and not r["by_loss"] for r in rs),
            "val_loss": any(r["val"] and r["by_loss"] for r in rs),
            "stopped": any(r["status"] == "stopped" for r in rs),
            "input": any(r["input_ratio"] is not None for r in rs)}


def group_columns(fam):
    """The CSV header after the key columns, as docs/summarize.md lists it: the accuracy
    columns exactly when a run is selected by accuracy, the loss ones when a run shows a loss."""
    acc, loss = fam["acc"], fam["loss"]
    return (["runs", "done"] + (["stopped"] if fam["stopped"] else []) + ["failed", "diverged", "param_count"]
            + (["val_acc_pct_mean", "val_acc_pct_std"] if fam["val_acc"] else [])
            + (["best_acc_pct_mean", "best_acc_pct_std", "best_acc_pct_min", "best_acc_pct_max"] if acc else [])
            + (["val_loss_mean", "val_loss_std"] if fam["val_loss"] else [])
            + (["best_loss_mean", "best_loss_std", "best_loss_min", "best_loss_max"] if loss else [])
            + (["baseline_loss"] if fam["baseline"] else []) + ["best_epoch_median"]
            + (["final_acc_pct_mean", "final_acc_pct_std"] if acc else [])
            + (["final_loss_mean", "final_loss_std"] if loss else [])
            + (["final_train_acc_pct_mean"] if acc else []) + (["final_train_loss_mean"] if loss else [])
            + ["vanishing_ratio"] + (["input_ratio"] if fam["input"] else []) + ["seconds_per_run"])


def mean(v):
    return float(np.mean(v)) if v else None


def check_groups(cmd, d, runs):
    rc, out, err = run(cmd, d, "--format", "csv")
    check(rc == 0, f"csv exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",") if out else []
    keys = group_keys(runs)
    check("model.cell" in keys, f"the fixture sweeps model.cell: {keys}")
    check(header == keys + group_columns(families(runs)), f"csv header {header}, keys {keys}")
    # every run in exactly one row, each row the runs that share its values of every key
    groups = [members(row, runs, keys) for row in rows]
    combos = {tuple(repr(r["config"][k]) for k in keys) for r in runs.values()}
    check(len(rows) == len(combos), f"{len(rows)} groups, {len(combos)} configurations")
    check(sorted(rid for g in groups for rid in g) == sorted(runs), "each run is in exactly one row")
    # grid order (the index's, first appearance of each configuration); a search (early
    # stopping) best first by the metric its best epoch was chosen by
    with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
        order = [rid for rid in f["table/run_id"].asstr()[()] if rid in runs]
    first = [min(order.index(rid) for rid in g) if g else -1 for g in groups]
    if any(r["status"] == "stopped" for r in runs.values()):
        col = "val_acc_pct_mean" if families(runs)["val_acc"] else "best_acc_pct_mean"
        vals = [num(row[col]) for row in rows]
        check(vals == sorted(vals, reverse=True), f"a search's rows: best {col} first: {vals}")
    else:
        check(first == sorted(first), f"rows in grid order: first runs at {first}")
    for row, ids in zip(rows, groups):
        mine = [runs[rid] for rid in ids]
        what = "/".join(row[k] for k in keys)
        done = [r for r in mine if r["status"] in AVERAGED]
        check(int(row["runs"]) == len(mine), f"{what}: runs")
        for s in ("done", "failed", "diverged", "stopped"):
            if s in row or s != "stopped":
                check(int(row[s]) == sum(r["status"] == s for r in mine), f"{what}: {s} count")
        params = {r["params"] for r in mine if r["params"] > 0}
        check(num(row["param_count"]) == (params.pop() if len(params) == 1 else None), f"{what}: param_count")
        best = [r["best"] for r in done if "best" in r]
        acc_done = [r for r in done if "final" in r]
        vals = [r["val"] for r in done if "val" in r]
        lvals = [r["val_loss"] for r in done if "val_loss" in r]
        expect = {
            "val_acc_pct_mean": mean(vals), "val_acc_pct_std": sample_std(vals),
            "val_loss_mean": mean(lvals), "val_loss_std": sample_std(lvals),
            "best_acc_pct_mean": mean(best),
            "best_acc_pct_std": sample_std(best),
            "best_acc_pct_min": min(best) if best else None,
            "best_acc_pct_max": max(best) if best else None,
            "best_epoch_median": float(np.median([r["best_epoch"] for r in done])) if done else None,
            "final_acc_pct_mean": mean([r["final"] for r in acc_done]),
            "final_acc_pct_std": sample_std([r["final"] for r in acc_done]),
            "final_train_acc_pct_mean": mean([r["train"] for r in acc_done]),
            "seconds_per_run": float(np.mean([r["wall"] for r in done])) if done else None,
        }
        lbest = [r["best_loss"] for r in done if "best_loss" in r]
        expect.update({
            "best_loss_mean": mean(lbest), "best_loss_std": sample_std(lbest),
            "best_loss_min": min(lbest) if lbest else None, "best_loss_max": max(lbest) if lbest else None,
            "final_loss_mean": mean([r["final_loss"] for r in done if "final_loss" in r]),
            "final_loss_std": sample_std([r["final_loss"] for r in done if "final_loss" in r]),
            "final_train_loss_mean": mean([r["train_loss"] for r in done if "train_loss" in r]),
        })
        bases = {r["baseline"] for r in mine if r["baseline"] is not None}
        expect["baseline_loss"] = bases.pop() if len(bases) == 1 else None
        ratios = [r["ratio"] for r in done if r["ratio"] is not None]
        expect["vanishing_ratio"] = float(np.exp(np.mean(np.log(ratios)))) if ratios else None
        inputs = [r["input_ratio"] for r in done if r["input_ratio"] is not None]
        expect["input_ratio"] = float(np.exp(np.mean(np.log(inputs)))) if inputs else None
        for k, v in expect.items():
            if k in row:
                check(close(num(row[k]), v), f"{what}: {k} = {row[k]}, recomputed {v}")


def check_runs(cmd, d, runs, all_statuses):
    rc, out, err = run(cmd, d, "--runs", "--format", "csv")
    check(rc == 0, f"--runs exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))  # run ids hold commas: quoting must be right
    check({r["run_id"] for r in rows} == set(runs), f"run ids {[r['run_id'] for r in rows]}")
    fam = families(runs)
    header = out.splitlines()[0].split(",") if out else []
    for col, want in (("best_acc_pct", fam["acc"]), ("final_acc_pct", fam["acc"]), ("best_loss", fam["loss"]),
                      ("final_loss", fam["loss"]), ("final_train_loss", fam["loss"]),
                      ("baseline_loss", fam["baseline"]), ("val_acc_pct", fam["val_acc"]),
                      ("val_loss", fam["val_loss"]), ("input_ratio", fam["input"])):
        check((col in header) == want, f"--runs csv: column {col} {'missing' if want else 'unexpected'}: {header}")
    for row in rows:
        r = runs.get(row["run_id"])
        if not r:
            continue
        check(row["status"] == r["status"], f"{row['run_id']}: status {row['status']} vs {r['status']}")
        check(row["error"] == r["error"], f"{row['run_id']}: error text")
        check(int(row["seed"]) == r["seed"] and row["model.cell"] == r["cell"], f"{row['run_id']}: swept values")
        if fam["acc"]:
            check(close(num(row["best_acc_pct"]), r.get("best")), f"{row['run_id']}: best acc")
            check(close(num(row["final_acc_pct"]), r.get("final")), f"{row['run_id']}: final acc")
        if fam["loss"]:
            check(close(num(row["best_loss"]), r.get("best_loss")),
                  f"{row['run_id']}: best loss {row['best_loss']}, recomputed {r.get('best_loss')}")
            check(close(num(row["final_loss"]), r.get("final_loss")), f"{row['run_id']}: final loss")
            check(close(num(row["final_train_loss"]), r.get("train_loss")), f"{row['run_id']}: train loss")
        if fam["baseline"]:
            check(close(num(row["baseline_loss"]), r["baseline"]), f"{row['run_id']}: baseline {row['baseline_loss']}")
        if fam["val_acc"]:
            check(close(num(row["val_acc_pct"]), r.get("val")),
                  f"{row['run_id']}: val acc {row['val_acc_pct']}, recomputed {r.get('val')}")
        if fam["val_loss"]:
            check(close(num(row["val_loss"]), r.get("val_loss")), f"{row['run_id']}: val loss {row['val_loss']}")
        check(int(row["epochs"]) == r["epochs"], f"{row['run_id']}: epochs {row['epochs']}")
        check((row["best_epoch"] or None) == (str(r["best_epoch"]) if "best_epoch" in r else None), f"{row['run_id']}: best epoch")
        check(close(num(row["vanishing_ratio"]), r["ratio"]), f"{row['run_id']}: vanishing ratio")
        if fam["input"]:
            check(close(num(row["input_ratio"]), r["input_ratio"]), f"{row['run_id']}: input ratio")
    statuses = {r["status"] for r in rows}
    if all_statuses:
        check({"done", "diverged", "failed"} <= statuses, f"fixture should hold every status, has {statuses}")
    # text: the failed and diverged runs are visible with their reasons, the stopped ones with
    # where they stopped
    rc, out, err = run(cmd, d, "--runs")
    for rid, r in runs.items():
        if r["status"] != "done":
            line = next((l for l in out.splitlines() if l.startswith(rid + " ")), "")
            check(r["status"] in line and r["error"] in line, f"text --runs line for {rid}: {line!r}")
        if r["status"] == "stopped":
            check(f"stopped at {r['epochs']}/{r['planned']}" in line, f"text --runs says where {rid} stopped: {line!r}")


def check_history(cmd, d, runs):
    for rid in [k for k, r in runs.items() if r["status"] == "stopped"][:1]:
        rc, out, err = run(cmd, d, "--history", rid, "--format", "csv")
        check(rc == 0 and len(list(csv.DictReader(io.StringIO(out)))) == runs[rid]["epochs"],
              f"--history of the stopped run {rid}: its {runs[rid]['epochs']} epochs")
        rc, out, err = run(cmd, d, "--history", rid)
        check(f"stopped early at a rung, {runs[rid]['epochs']} of {runs[rid]['planned']} epochs" in out,
              f"--history says where {rid} stopped: {out[:200]!r}")
    rid = next(k for k, r in runs.items() if r["status"] == "done")
    r = runs[rid]
    rc, out, err = run(cmd, d, "--history", rid, "--format", "csv")
    check(rc == 0, f"--history exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))
    with h5py.File(os.path.join(d, rid + ".h5"), "r") as f:
        h = {k: f["history"][k][()] for k in f["history"]}
    check(len(rows) == len(h["epoch"]), "history length")
    cols = [("test_loss", "test_loss", 1), ("lr", "lr", 1), ("grad_norm", "grad_norm", 1)]
    if r["val"]:
        cols += [("val_loss", "val_loss", 1)] + ([] if r["regression"] else [("val_acc", "val_acc_pct", 100)])
    else:
        check(rows and "val_loss" not in rows[0], "no validation columns in the history of a run without validation")
    if r["regression"]:  # NaN accuracies say nothing: no columns for them
        check(rows and "test_acc_pct" not in rows[0] and "train_acc_pct" not in rows[0],
              f"regression history has no accuracy columns: {list(rows[0]) if rows else None}")
    else:
        cols += [("test_acc", "test_acc_pct", 100), ("train_acc", "train_acc_pct", 100)]
    best = r["best_epoch"] - 1
    for i, row in enumerate(rows):
        check(int(row["epoch"]) == h["epoch"][i], "epoch column")
        for k, col, scale in cols:
            check(close(float(row[col]), scale * h[k][i], rel=1e-6), f"history {col} epoch {i + 1}")
        check(row["best"] == ("1" if i == best else "0"), f"best mark at epoch {i + 1}")
    rc, out, err = run(cmd, d, "--history", rid)
    title = ("by the lowest validation" if r["by_loss"] else "by validation accuracy") if r["val"] else \
        "best test MSE" if r["regression"] else "best test accuracy"
    check(rc == 0 and title in out and "*" in out, f"text history says {title!r}: {out[:300]!r}")
    if r["baseline"] is not None:
        check(f"baseline {r['baseline']:.4g}" in out, f"text history states the baseline {r['baseline']:.4g}")


def check_text(cmd, d, runs):
    rc, out, err = run(cmd, d)
    check(rc == 0, f"text exit {rc}")
    lines = out.splitlines()
    sep = next((i for i, l in enumerate(lines) if l and set(l) <= {"-", " "}), None)
    check(sep is not None and sep > 0, "text table has a header rule")
    if sep:
        header, rule = lines[sep - 1], lines[sep]
        end = next((i for i in range(sep + 1, len(lines)) if not lines[i].strip()), len(lines))
        body = lines[sep + 1:end]   # the table; an account per rung may follow a blank line
        starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
        ends = [i for i, ch in enumerate(rule) if ch == "-" and (i + 1 == len(rule) or rule[i + 1] == " ")]
        for l in body:  # aligned: every cell lies within its column's rule
            for s, e in zip(starts, ends):
                check(s == 0 or l[s - 1] == " ", f"cell crosses column start: {l!r}")
                check(e + 1 >= len(l) or l[e + 1] == " ", f"cell crosses column end: {l!r}")
        keys = group_keys(runs)
        check(header.split()[0] == keys[0].split(".")[-1] or "same in every row: " + keys[0].split(".")[-1] in out,
              f"first column is the first key {keys[0]}: {header!r}")
        fam = families(runs)
        notes = lines[:next((i for i, l in enumerate(lines) if not l), len(lines))]
        name = "MSE" if all(r["by_loss"] for r in runs.values() if r["shows_loss"]) else "loss"
        check(("best acc %" in header) == fam["acc"], f"'best acc %' column iff a run is selected by accuracy: {header!r}")
        check(fam["acc"] or "acc %" not in out, f"no accuracy anywhere when no run has one: {out[:600]!r}")
        check((f"best {name}" in header) == fam["loss"], f"'best {name}' column iff a run shows its loss: {header!r}")
        if fam["loss"]:
            check(any("lower is better" in l for l in notes), f"the notes say lower is better: {notes}")
        else:  # classification: the two notes and the columns of before losses were summarized
            check(len(notes) <= 3 + (fam["val_acc"] or fam["val_loss"]) and not any("MSE" in l or "baseline" in l or "lower is better" in l for l in notes),
                  f"classification notes unchanged: {notes}")
        bases = {round(r["baseline"], 12) for r in runs.values() if r["baseline"] is not None}
        if len(bases) == 1:  # one baseline: stated above the table or in a column
            b = f"{bases.pop():.4g}"
            check(f"baseline {b}" in out or ("baseline" in header and b in "\n".join(body)),
                  f"the baseline {b} is stated: {out[:600]!r}")
    rc, md, err = run(cmd, d, "--format", "markdown")
    mdl = md.splitlines()
    first = next((i for i, l in enumerate(mdl) if l.startswith("|")), len(mdl))
    rows = []
    for l in mdl[first:]:   # the first table: an account per rung may follow
        if not l.startswith("|"):
            break
        rows.append(l)
    check(len(rows) >= 3 and rows[1].startswith("|---"), "markdown table")
    check(len({l.count("|") for l in rows}) == 1, "markdown rows have equal cell counts")


def check_constant_and_unreadable(cmd, d, runs):
    tmp = tempfile.mkdtemp(prefix="sweep-summary-")
    try:
        rnn = [k for k, r in runs.items() if r["cell"] == "rnn"]
        for rid in rnn:
            shutil.copy(os.path.join(d, rid + ".h5"), tmp)
        # one row per seed: runs/failed/diverged (and done, when every rnn run is) and the cell are constant
        rc, out, err = run(cmd, tmp, "--by", "seed")
        check(rc == 0, f"--by seed exit {rc}: {err}")
        same = next((l for l in out.splitlines() if l.startswith("same in every row:")), "")
        ndone = {runs[k]["status"] == "done" for k in rnn}
        for part in ("runs 1", "failed 0", "diverged 0") + (("done 1",) if ndone == {True} else ()):
            check(part in same, f"constant column '{part}' not stated above the table: {same!r}")
        header = next((l for l in out.splitlines() if l.startswith("seed")), "")
        check(header and "failed" not in header and "runs" not in header, f"constant columns still in the header: {header!r}")
        if len(ndone) > 1:   # some rnn seeds stopped early, some not: the counts differ per row
            check("done" in header and "stopped" in header, f"varying done/stopped columns shown: {header!r}")
        rc, out, err = run(cmd, tmp, "--by", "seed", "--format", "csv")
        check("failed" in out.splitlines()[0], "csv keeps every column")
        # unreadable files are reported, not fatal
        src = os.path.join(d, rnn[0] + ".h5")
        data = open(src, "rb").read()
        open(os.path.join(tmp, "truncated.h5"), "wb").write(data[: len(data) // 2])
        open(os.path.join(tmp, "garbage.h5"), "w").write("not hdf5\n")
        open(os.path.join(tmp, ".x.h5.tmp.1.2"), "wb").write(data)  # a temporary: ignored
        rc, out, err = run(cmd, tmp)
        check(rc == 0, f"exit {rc} with unreadable files")
        check("truncated.h5" in err and "garbage.h5" in err, f"unreadable files not reported: {err!r}")
        check(".x.h5.tmp" not in err, "a temporary was treated as a run file")
        check("2 unreadable files skipped" in out, "unreadable count in the header")
        check(f"{len(rnn)} runs" in out, "readable runs still summarized")
        # --sort: numbers descend for accuracies, ascend for losses (lower is better)
        by_acc = any(not runs[k]["by_loss"] for k in rnn)
        col = "best_acc_pct_mean" if by_acc else "best_loss_mean"
        rc, out, err = run(cmd, tmp, "--by", "seed", "--sort", "best", "--format", "csv")
        vals = [float(r[col]) for r in csv.DictReader(io.StringIO(out)) if r[col]]
        check(len(vals) >= 2 and vals == sorted(vals, reverse=by_acc), f"--sort best: {vals}")
        rc, out, err = run(cmd, tmp, "--by", "seed", "--sort", "-best" if not by_acc else "+best", "--format", "csv")
        vals = [float(r[col]) for r in csv.DictReader(io.StringIO(out)) if r[col]]
        check(vals == sorted(vals, reverse=not by_acc), f"--sort {'-' if not by_acc else '+'}best: {vals}")
        # usage errors: exit 2 and a message
        for args, text in ((["--by", "model.cel"], "did you mean 'model.cell'"), (["--sort", "nope"], "unknown --sort"),
                           (["--format", "xml"], "unknown --format"), (["--history", "nope"], "no run 'nope'"),
                           (["--bogus"], "unknown option")):
            rc, out, err = run(cmd, tmp, *args)
            check(rc == 2 and text in err, f"{args}: exit {rc}, {err!r}")
        rc, out, err = run(cmd, os.path.join(tmp, "missing"))
        check(rc == 2 and "no such directory" in err, f"missing dir: {rc} {err!r}")
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        rc, out, err = run(cmd, empty)
        check(rc == 1 and "no readable run files" in err, f"empty dir: {rc} {err!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_best_run(cmd, d, runs):
    """The best run and configuration come first when sorted by `best`: the highest accuracy,
    or, in a table of runs selected by their loss, the lowest loss."""
    done = {k: r for k, r in runs.items() if r["status"] in AVERAGED}
    by_acc = any(not r["by_loss"] for r in runs.values())
    key = (lambda k: -done[k]["best"]) if by_acc else (lambda k: done[k]["best_loss"])
    want = min((k for k in done if ("best" if by_acc else "best_loss") in done[k]), key=key)
    rc, out, err = run(cmd, d, "--runs", "--sort", "best", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    check(rc == 0 and rows and rows[0]["run_id"] == want,
          f"--runs --sort best: first {rows[0]['run_id'] if rows else None}, the best run is {want}")
    if not by_acc:
        low = min(r["best_loss"] for r in done.values())
        rc, out, err = run(cmd, d, "--sort", "best", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(out)))
        check(rows and close(num(rows[0]["best_loss_min"]), low),
              f"--sort best: the first configuration holds the lowest MSE {low}")
        means = [num(r["best_loss_mean"]) for r in rows]
        check(means == sorted(means), f"--sort best: lowest mean first: {means}")
        rc2, out2, _ = run(cmd, d, "--sort", "mse", "--format", "csv")
        check(rc2 == 0 and out2 == out, "--sort mse is --sort best")
        rc, out, err = run(cmd, d, "--sort", "best")
        lines = out.splitlines()
        sep = next((i for i, l in enumerate(lines) if l and set(l) <= {"-", " "}), None)
        first = group_keys(runs)[0]
        check(sep and lines[sep + 1].split()[0] == rows[0][first], "text --sort best: lowest MSE first")


def check_legacy(cmd, d, runs):
    """Files written before /summary named its metric: for tasks selected by accuracy they
    summarize exactly as with the attributes."""
    if any(r["by_loss"] or r["val"] for r in runs.values()):
        return  # validation came after the metric attributes: no legacy file has it
    tmp = tempfile.mkdtemp(prefix="sweep-summary-legacy-")
    try:
        old = os.path.join(tmp, "old")
        shutil.copytree(d, old)
        for name in os.listdir(old):
            if name.endswith(".h5") and name != "sweep.h5":
                with h5py.File(os.path.join(old, name), "r+") as f:
                    for a in ("metric", "metric_mode", "best_metric"):
                        if a in f["summary"].attrs:
                            del f["summary"].attrs[a]
        for args in ([], ["--format", "csv"], ["--runs", "--format", "csv"]):
            a, b = run(cmd, d, *args)[1], run(cmd, old, *args)[1]
            check(a.replace(d, "DIR") == b.replace(old, "DIR"), f"files without metric attributes, {args}:\n{a}\n{b}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rungs_of(d):
    """The per-rung account recomputed from DIR/sweep.h5's /decisions: [(bracket, rung, epoch,
    runs, promoted, stopped, cutoff)] in the file's order, and its attributes."""
    with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
        g = f["decisions"]
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items()}
        cols = {k: g[k][()] for k in ("bracket", "rung", "epoch", "promoted", "cutoff")}
        ids = list(g["run"].asstr()[()])
    out = []
    for i in range(len(ids)):
        key = (int(cols["bracket"][i]), int(cols["rung"][i]))
        if not out or tuple(out[-1][:2]) != key:
            out.append([key[0], key[1], int(cols["epoch"][i]), 0, 0, 0, float("nan")])
        row = out[-1]
        row[3] += 1
        row[4] += int(cols["promoted"][i])
        row[5] += 1 - int(cols["promoted"][i])
        if math.isnan(row[6]):
            row[6] = float(cols["cutoff"][i])
    return [tuple(r) for r in out], attrs, ids, cols


def check_early_stopping(cmd, d, runs):
    """Runs stopped at rungs and the decisions of sweep.h5: counted, located, accounted per rung."""
    stopped = {k: r for k, r in runs.items() if r["status"] == "stopped"}
    check(stopped and any(r["status"] == "done" for r in runs.values()) and all(r["val"] for r in runs.values()),
          f"the early-stopping fixture has stopped and done runs selected by validation: {sorted(runs)}")
    rungs, attrs, ids, cols = rungs_of(d)
    # the decisions agree with the run files: a stopped run was not promoted at the rung it ended at
    for k, r in stopped.items():
        mine = [i for i, rid in enumerate(ids) if rid == k]
        check(mine and int(cols["epoch"][mine[-1]]) == r["epochs"] and int(cols["promoted"][mine[-1]]) == 0,
              f"{k}: its last decision stopped it at epoch {r['epochs']}")
    rc, out, err = run(cmd, d)
    check(rc == 0, f"summarize exit {rc}: {err}")
    lines = out.splitlines()
    n = {s: sum(r["status"] == s for r in runs.values()) for s in ("done", "stopped", "diverged", "failed")}
    check(f"({n['done']} done, {n['stopped']} stopped, {n['diverged']} diverged, {n['failed']} failed)" in lines[0],
          f"the first line counts the stopped runs: {lines[0]!r}")
    check(any("statistics over done and stopped runs" in l for l in lines[:4]), "the notes say stopped runs are averaged")
    check(any("chosen on the validation set" in l and "val acc %" in l for l in lines[:5]),
          f"a note says the validation set chose the epoch: {lines[:5]}")
    header = next((l for l in lines if l.startswith(group_keys(runs)[0].split(".")[-1])), "")
    check("val acc %" in header and header.index("val acc %") < header.index("best acc %") and "stopped" in header,
          f"text columns: val acc % before best acc %, stopped: {header!r}")
    # the per-rung account below the table
    at = next((i for i, l in enumerate(lines) if l.startswith("early stopping: ")), None)
    check(at is not None and f"{attrs['kind']} on {attrs['metric']}" in lines[at]
          and f"eta {attrs['eta']}, min_epochs {attrs['min_epochs']}" in lines[at],
          f"the rung account's line names rule, metric, eta, min_epochs: {lines[at] if at is not None else out!r}")
    if at is not None:
        body = [l.split() for l in lines[at + 4:] if l.strip()]
        want = [[str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                 "-" if math.isnan(r[6]) else f"{100 * r[6]:.2f}"] for r in rungs]
        check(body == want, f"text rungs: {body} != recomputed {want}")
    rc, out, err = run(cmd, d, "--rungs", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    ok = rc == 0 and len(rows) == len(rungs)
    for row, r in zip(rows, rungs):
        ok &= [int(row[c]) for c in ("rung", "epoch", "runs", "promoted", "stopped")] == list(r[1:6])
        ok &= close(num(row["cutoff_pct"]), None if math.isnan(r[6]) else 100 * r[6])
    check(ok, f"--rungs --format csv: every rung recomputed from /decisions ({rc}: {out!r} {err!r})")
    check(sum(r[5] for r in rungs) == len(stopped), "the rungs stopped as many runs as have status stopped")
    rc, out, err = run(cmd, d, "--format", "csv")
    check("early stopping" not in out and len(list(csv.reader(io.StringIO(out)))) == len(out.splitlines()),
          "CSV stays one table (no rung account)")
    rc, out, err = run(cmd, d, "--sort", "val", "--format", "csv")
    vals = [float(r["val_acc_pct_mean"]) for r in csv.DictReader(io.StringIO(out)) if r["val_acc_pct_mean"]]
    check(rc == 0 and vals == sorted(vals, reverse=True), f"--sort val: highest validation accuracy first: {vals}")

    tmp = tempfile.mkdtemp(prefix="sweep-summary-rungs-")
    try:
        # no /decisions: no account, and --rungs says there is nothing to show
        plain = os.path.join(tmp, "plain")
        shutil.copytree(d, plain)
        with h5py.File(os.path.join(plain, "sweep.h5"), "a") as f:
            del f["decisions"]
        rc, out, err = run(cmd, plain)
        check(rc == 0 and "early stopping" not in out and not err, f"without /decisions: no rung account ({err!r})")
        rc, out, err = run(cmd, plain, "--rungs")
        check(rc == 1 and "no early-stopping decisions" in err, f"--rungs without /decisions: exit 1 ({rc}, {err!r})")
        # a malformed /decisions: the table still prints, the account is left out with a message
        bad = os.path.join(tmp, "bad")
        shutil.copytree(d, bad)
        with h5py.File(os.path.join(bad, "sweep.h5"), "a") as f:
            del f["decisions/cutoff"]
            f["decisions/cutoff"] = np.zeros(1)
        rc, out, err = run(cmd, bad)
        check(rc == 0 and "early stopping" not in out and "decisions left out" in err and "cutoff" in err,
              f"a malformed /decisions is named on stderr, the table printed ({rc}, {err!r})")
        rc, out, err = run(cmd, bad, "--rungs")
        check(rc == 1 and "cutoff" in err, f"--rungs on a malformed /decisions: exit 1 and why ({rc}, {err!r})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_mixed(cmd, dirs):
    """The run files of sweeps of different tasks in one directory: task.kind joins the row
    keys, and each row fills the columns of its runs' metric."""
    tmp = tempfile.mkdtemp(prefix="sweep-summary-mixed-")
    try:
        kinds = {}
        for n, src in enumerate(dirs):
            for name in os.listdir(src):
                if name.endswith(".h5") and name != "sweep.h5" and not name.startswith("."):
                    shutil.copy(os.path.join(src, name), os.path.join(tmp, f"{n}-{name}"))
        runs = recompute(tmp, by_file=True)
        for r in runs.values():
            kinds.setdefault(r["kind"], []).append(r)
        check(len(kinds) >= 2, f"--mixed wants sweeps of different tasks: {sorted(kinds)}")
        rc, out, err = run(cmd, tmp, "--format", "csv")
        check(rc == 0, f"mixed: exit {rc}: {err}")
        rows = list(csv.DictReader(io.StringIO(out)))
        check(rows and "task.kind" in rows[0], f"mixed: task.kind is a row key: {out.splitlines()[:1]}")
        check({r.get("task.kind") for r in rows} == set(kinds), f"mixed: rows for every task {sorted(kinds)}")
        for row in rows:
            mine = [r for r in kinds.get(row.get("task.kind"), []) if r["cell"] == row["model.cell"]]
            done = [r for r in mine if r["status"] == "done"]
            acc = [r["best"] for r in done if "best" in r]
            loss = [r["best_loss"] for r in done if "best_loss" in r]
            base = {r["baseline"] for r in mine}
            what = f"mixed {row.get('task.kind')}/{row['model.cell']}"
            check(close(num(row.get("best_acc_pct_mean", "")), mean(acc)), f"{what}: best acc {row.get('best_acc_pct_mean')}")
            check(close(num(row.get("best_loss_mean", "")), mean(loss)), f"{what}: best loss {row.get('best_loss_mean')}")
            check(close(num(row.get("baseline_loss", "")), base.pop() if len(base) == 1 else None),
                  f"{what}: baseline {row.get('baseline_loss')}")
        rc, out, err = run(cmd, tmp)
        header = next((l for l in out.splitlines() if l.startswith("kind")), "")
        fam = families(runs)
        name = "MSE" if all(r["by_loss"] for r in runs.values() if r["shows_loss"]) else "loss"
        check(rc == 0 and ("best acc %" in header) == fam["acc"] and (f"best {name}" in header) == fam["loss"],
              f"mixed text header has both metrics' columns: {header!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if len(sys.argv) >= 4 and sys.argv[2] == "--mixed":
        check_mixed(shlex.split(sys.argv[1]), sys.argv[3:])
        print(f"test_summary: {len(failures)} failure(s)")
        return 1 if failures else 0
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    cmd = shlex.split(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="sweep-summary-src-")
    try:
        d = os.path.join(tmp, "copy")  # from the files alone: a copied directory, no config
        shutil.copytree(sys.argv[2], d)
        runs = recompute(d)
        check(len(runs) >= 3, f"only {len(runs)} runs in {d}")
        check_groups(cmd, d, runs)
        check_runs(cmd, d, runs, sys.argv[3:] == ["all-statuses"])
        if sys.argv[3:] == ["early-stopping"]:
            check_early_stopping(cmd, d, runs)
        else:  # a sweep without validation or early stopping has none of their columns
            fam = families(runs)
            check(not (fam["val_acc"] or fam["val_loss"] or fam["stopped"]), f"no val/stopped runs expected: {fam}")
        check_history(cmd, d, runs)
        check_text(cmd, d, runs)
        check_constant_and_unreadable(cmd, d, runs)
        check_best_run(cmd, d, runs)
        check_legacy(cmd, d, runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_summary: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
