#!/usr/bin/python3
"""Summarizer tests: every aggregated number recomputed from /history and /gradients with h5py.

Usage: test_summary.py SUMMARIZE_CMD DIR [all-statuses]
       test_summary.py SUMMARIZE_CMD --mixed DIR DIR...
  SUMMARIZE_CMD  a program taking the `summarize` arguments (test_summary_cli, or "sweep summarize")
  DIR            a sweep output directory with done, diverged and failed runs (the HDF5 fixture
                 or a real sweep) grouped by model.cell; it is copied, never modified. Its runs
                 may be selected by test accuracy (classification, copy) or by test loss
                 (adding): every number is recomputed by the run's own metric, the best epoch
                 as the argmax of the accuracy or the argmin of the loss
  all-statuses   DIR must hold done, diverged and failed runs (the fixture does)
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
    """What a constant answer's loss is (the task descriptions of src/task.h), recomputed here."""
    if kind == "adding":
        return 1.0 / 6.0  # E[(a+b-1)^2] with a, b ~ U[0,1]
    if kind == "copy":
        return 10 * math.log(8) / (T + 20)  # 10 uniform guesses over 8 symbols in T+20 steps
    return None


def metric_of(f):
    """(metric, mode) from /summary; files without the attributes were selected by accuracy."""
    a = f["summary"].attrs
    return str(a.get("metric", "test_acc")), str(a.get("metric_mode", "max"))


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
            check((metric, mode) in (("test_acc", "max"), ("test_loss", "min")), f"{name}: metric {metric}/{mode}")
            r = {"status": f.attrs["status"], "cell": cfg["model.cell"], "kind": str(cfg["task.kind"]),
                 "seed": int(cfg["seed"]), "wall": float(f.attrs["wall_seconds"]),
                 "error": f.attrs["error"], "epochs": len(acc), "by_loss": mode == "min",
                 "baseline": baseline_of(str(cfg["task.kind"]), int(cfg["task.seq_len"]))}
            r["shows_loss"] = r["by_loss"] or r["baseline"] is not None
            r["regression"] = r["by_loss"] and not np.isfinite(acc).any()
            if len(acc) and r["by_loss"]:
                i = int(np.nanargmin(loss))  # lower is better: the first lowest test loss
                r["best_epoch"] = i + 1
                r["best_loss"] = float(loss[i])
            elif len(acc):
                r["best"] = 100 * acc.max()
                r["best_epoch"] = int(np.argmax(acc)) + 1
                r["final"] = 100 * acc[-1]
                r["train"] = 100 * train[-1]
                if r["shows_loss"]:
                    r["best_loss"] = float(loss[r["best_epoch"] - 1])
            if len(acc) and r["shows_loss"]:
                r["final_loss"] = float(loss[-1])
                r["train_loss"] = float(train_loss[-1])
            r["ratio"] = None
            if "gradients" in f and f["gradients/dloss_dh_norm"].shape[0] > 0:
                g = f["gradients/dloss_dh_norm"][()].astype(np.float64)
                r["ratio"] = g[-1, -1, 0] / g[-1, -1, -1]
            runs[name if by_file else f.attrs["run_id"]] = r
    return runs


def sample_std(v):
    return float(np.std(v, ddof=1)) if len(v) > 1 else None


def families(runs):
    """Which families of columns the table must have (docs/summarize.md)."""
    rs = list(runs.values())
    return {"acc": any(not r["by_loss"] for r in rs), "loss": any(r["shows_loss"] for r in rs),
            "loss_metric": any(r["by_loss"] for r in rs), "baseline": any(r["baseline"] is not None for r in rs)}


def group_columns(fam):
    """The CSV header after the key columns, as docs/summarize.md lists it: the accuracy
    columns exactly when a run is selected by accuracy, the loss ones when a run shows a loss."""
    acc, loss = fam["acc"], fam["loss"]
    return (["runs", "done", "failed", "diverged"]
            + (["best_acc_pct_mean", "best_acc_pct_std", "best_acc_pct_min", "best_acc_pct_max"] if acc else [])
            + (["best_loss_mean", "best_loss_std", "best_loss_min", "best_loss_max"] if loss else [])
            + (["baseline_loss"] if fam["baseline"] else []) + ["best_epoch_median"]
            + (["final_acc_pct_mean", "final_acc_pct_std"] if acc else [])
            + (["final_loss_mean", "final_loss_std"] if loss else [])
            + (["final_train_acc_pct_mean"] if acc else []) + (["final_train_loss_mean"] if loss else [])
            + ["vanishing_ratio", "seconds_per_run"])


def mean(v):
    return float(np.mean(v)) if v else None


def check_groups(cmd, d, runs):
    rc, out, err = run(cmd, d, "--format", "csv")
    check(rc == 0, f"csv exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",") if out else []
    check(header == ["model.cell"] + group_columns(families(runs)), f"csv header {header}")
    check(len(rows) == len({r["cell"] for r in runs.values()}), f"{len(rows)} groups")
    # grid order: the index's order (first appearance of each cell)
    with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
        order = list(f["table/run_id"].asstr()[()])
    cells_in_order = []
    for rid in order:
        if rid in runs and runs[rid]["cell"] not in cells_in_order:
            cells_in_order.append(runs[rid]["cell"])
    check([r["model.cell"] for r in rows] == cells_in_order, f"row order {[r['model.cell'] for r in rows]} != {cells_in_order}")
    for row in rows:
        mine = [r for r in runs.values() if r["cell"] == row["model.cell"]]
        done = [r for r in mine if r["status"] == "done"]
        check(int(row["runs"]) == len(mine), f"{row['model.cell']}: runs")
        for s in ("done", "failed", "diverged"):
            check(int(row[s]) == sum(r["status"] == s for r in mine), f"{row['model.cell']}: {s} count")
        best = [r["best"] for r in done if "best" in r]
        acc_done = [r for r in done if "final" in r]
        expect = {
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
        for k, v in expect.items():
            if k in row:
                check(close(num(row[k]), v), f"{row['model.cell']}: {k} = {row[k]}, recomputed {v}")


def check_runs(cmd, d, runs, all_statuses):
    rc, out, err = run(cmd, d, "--runs", "--format", "csv")
    check(rc == 0, f"--runs exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))  # run ids hold commas: quoting must be right
    check({r["run_id"] for r in rows} == set(runs), f"run ids {[r['run_id'] for r in rows]}")
    fam = families(runs)
    header = out.splitlines()[0].split(",") if out else []
    for col, want in (("best_acc_pct", fam["acc"]), ("final_acc_pct", fam["acc"]), ("best_loss", fam["loss"]),
                      ("final_loss", fam["loss"]), ("final_train_loss", fam["loss"]),
                      ("baseline_loss", fam["baseline"])):
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
        check((row["best_epoch"] or None) == (str(r["best_epoch"]) if "best_epoch" in r else None), f"{row['run_id']}: best epoch")
        check(close(num(row["vanishing_ratio"]), r["ratio"]), f"{row['run_id']}: vanishing ratio")
    statuses = {r["status"] for r in rows}
    if all_statuses:
        check({"done", "diverged", "failed"} <= statuses, f"fixture should hold every status, has {statuses}")
    # text: the failed and diverged runs are visible with their reasons
    rc, out, err = run(cmd, d, "--runs")
    for rid, r in runs.items():
        if r["status"] != "done":
            line = next((l for l in out.splitlines() if l.startswith(rid + " ")), "")
            check(r["status"] in line and r["error"] in line, f"text --runs line for {rid}: {line!r}")


def check_history(cmd, d, runs):
    rid = next(k for k, r in runs.items() if r["status"] == "done")
    r = runs[rid]
    rc, out, err = run(cmd, d, "--history", rid, "--format", "csv")
    check(rc == 0, f"--history exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))
    with h5py.File(os.path.join(d, rid + ".h5"), "r") as f:
        h = {k: f["history"][k][()] for k in f["history"]}
    check(len(rows) == len(h["epoch"]), "history length")
    cols = [("test_loss", "test_loss", 1), ("lr", "lr", 1), ("grad_norm", "grad_norm", 1)]
    if r["regression"]:  # NaN accuracies say nothing: no columns for them
        check(rows and "test_acc_pct" not in rows[0] and "train_acc_pct" not in rows[0],
              f"regression history has no accuracy columns: {list(rows[0]) if rows else None}")
    else:
        cols += [("test_acc", "test_acc_pct", 100), ("train_acc", "train_acc_pct", 100)]
    best = int(np.nanargmin(h["test_loss"])) if r["by_loss"] else int(np.argmax(h["test_acc"]))
    for i, row in enumerate(rows):
        check(int(row["epoch"]) == h["epoch"][i], "epoch column")
        for k, col, scale in cols:
            check(close(float(row[col]), scale * h[k][i], rel=1e-6), f"history {col} epoch {i + 1}")
        check(row["best"] == ("1" if i == best else "0"), f"best mark at epoch {i + 1}")
    rc, out, err = run(cmd, d, "--history", rid)
    title = "best test MSE" if r["regression"] else "best test accuracy"
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
        header, rule, body = lines[sep - 1], lines[sep], lines[sep + 1:]
        starts = [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]
        ends = [i for i, ch in enumerate(rule) if ch == "-" and (i + 1 == len(rule) or rule[i + 1] == " ")]
        for l in body:  # aligned: every cell lies within its column's rule
            for s, e in zip(starts, ends):
                check(s == 0 or l[s - 1] == " ", f"cell crosses column start: {l!r}")
                check(e + 1 >= len(l) or l[e + 1] == " ", f"cell crosses column end: {l!r}")
        check(header.split()[0] == "cell", f"first column is the swept key: {header!r}")
        fam = families(runs)
        notes = lines[:next((i for i, l in enumerate(lines) if not l), len(lines))]
        name = "MSE" if all(r["by_loss"] for r in runs.values() if r["shows_loss"]) else "loss"
        check(("best acc %" in header) == fam["acc"], f"'best acc %' column iff a run is selected by accuracy: {header!r}")
        check(fam["acc"] or "acc %" not in out, f"no accuracy anywhere when no run has one: {out[:600]!r}")
        check((f"best {name}" in header) == fam["loss"], f"'best {name}' column iff a run shows its loss: {header!r}")
        if fam["loss"]:
            check(any("lower is better" in l for l in notes), f"the notes say lower is better: {notes}")
        else:  # classification: the two notes and the columns of before losses were summarized
            check(len(notes) <= 3 and not any("MSE" in l or "baseline" in l or "lower is better" in l for l in notes),
                  f"classification notes unchanged: {notes}")
        bases = {round(r["baseline"], 12) for r in runs.values() if r["baseline"] is not None}
        if len(bases) == 1:  # one baseline: stated above the table or in a column
            b = f"{bases.pop():.4g}"
            check(f"baseline {b}" in out or ("baseline" in header and b in "\n".join(body)),
                  f"the baseline {b} is stated: {out[:600]!r}")
    rc, md, err = run(cmd, d, "--format", "markdown")
    rows = [l for l in md.splitlines() if l.startswith("|")]
    check(len(rows) >= 3 and rows[1].startswith("|---"), "markdown table")
    check(len({l.count("|") for l in rows}) == 1, "markdown rows have equal cell counts")


def check_constant_and_unreadable(cmd, d, runs):
    tmp = tempfile.mkdtemp(prefix="sweep-summary-")
    try:
        rnn = [k for k, r in runs.items() if r["cell"] == "rnn"]
        for rid in rnn:
            shutil.copy(os.path.join(d, rid + ".h5"), tmp)
        # one row per seed: runs/done/failed/diverged and the cell are constant
        rc, out, err = run(cmd, tmp, "--by", "seed")
        check(rc == 0, f"--by seed exit {rc}: {err}")
        same = next((l for l in out.splitlines() if l.startswith("same in every row:")), "")
        for part in ("runs 1", "done 1", "failed 0", "diverged 0"):
            check(part in same, f"constant column '{part}' not stated above the table: {same!r}")
        header = next((l for l in out.splitlines() if l.startswith("seed")), "")
        check(header and "failed" not in header and "runs" not in header, f"constant columns still in the header: {header!r}")
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
    done = {k: r for k, r in runs.items() if r["status"] == "done"}
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
        check(sep and lines[sep + 1].split()[0] == rows[0]["model.cell"], "text --sort best: lowest MSE first")


def check_legacy(cmd, d, runs):
    """Files written before /summary named its metric: for tasks selected by accuracy they
    summarize exactly as with the attributes."""
    if any(r["by_loss"] for r in runs.values()):
        return
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
