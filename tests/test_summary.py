#!/usr/bin/python3
"""Summarizer tests: every aggregated number recomputed from /history and /gradients with h5py.

Usage: test_summary.py SUMMARIZE_CMD DIR [all-statuses]
  SUMMARIZE_CMD  a program taking the `summarize` arguments (test_summary_cli, or "sweep summarize")
  DIR            a sweep output directory with done, diverged and failed runs (the HDF5 fixture
                 or a real sweep); it is copied, never modified
  all-statuses   DIR must hold done, diverged and failed runs (the fixture does)
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


def recompute(d):
    """Per run, from the files alone: status, swept values, and the numbers the summarizer prints."""
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
            r = {"status": f.attrs["status"], "cell": f["config"].attrs["model.cell"],
                 "seed": int(f["config"].attrs["seed"]), "wall": float(f.attrs["wall_seconds"]),
                 "error": f.attrs["error"], "epochs": len(acc)}
            if len(acc):
                r["best"] = 100 * acc.max()
                r["best_epoch"] = int(np.argmax(acc)) + 1
                r["final"] = 100 * acc[-1]
                r["train"] = 100 * train[-1]
            r["ratio"] = None
            if "gradients" in f and f["gradients/dloss_dh_norm"].shape[0] > 0:
                g = f["gradients/dloss_dh_norm"][()].astype(np.float64)
                r["ratio"] = g[-1, -1, 0] / g[-1, -1, -1]
            runs[f.attrs["run_id"]] = r
    return runs


def sample_std(v):
    return float(np.std(v, ddof=1)) if len(v) > 1 else None


def check_groups(cmd, d, runs):
    rc, out, err = run(cmd, d, "--format", "csv")
    check(rc == 0, f"csv exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))
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
        best = [r["best"] for r in done]
        expect = {
            "best_acc_pct_mean": float(np.mean(best)) if best else None,
            "best_acc_pct_std": sample_std(best),
            "best_acc_pct_min": min(best) if best else None,
            "best_acc_pct_max": max(best) if best else None,
            "best_epoch_median": float(np.median([r["best_epoch"] for r in done])) if done else None,
            "final_acc_pct_mean": float(np.mean([r["final"] for r in done])) if done else None,
            "final_acc_pct_std": sample_std([r["final"] for r in done]),
            "final_train_acc_pct_mean": float(np.mean([r["train"] for r in done])) if done else None,
            "seconds_per_run": float(np.mean([r["wall"] for r in done])) if done else None,
        }
        ratios = [r["ratio"] for r in done if r["ratio"] is not None]
        expect["vanishing_ratio"] = float(np.exp(np.mean(np.log(ratios)))) if ratios else None
        for k, v in expect.items():
            check(close(num(row[k]), v), f"{row['model.cell']}: {k} = {row[k]}, recomputed {v}")


def check_runs(cmd, d, runs, all_statuses):
    rc, out, err = run(cmd, d, "--runs", "--format", "csv")
    check(rc == 0, f"--runs exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))  # run ids hold commas: quoting must be right
    check({r["run_id"] for r in rows} == set(runs), f"run ids {[r['run_id'] for r in rows]}")
    for row in rows:
        r = runs.get(row["run_id"])
        if not r:
            continue
        check(row["status"] == r["status"], f"{row['run_id']}: status {row['status']} vs {r['status']}")
        check(row["error"] == r["error"], f"{row['run_id']}: error text")
        check(int(row["seed"]) == r["seed"] and row["model.cell"] == r["cell"], f"{row['run_id']}: swept values")
        check(close(num(row["best_acc_pct"]), r.get("best")), f"{row['run_id']}: best acc")
        check(close(num(row["final_acc_pct"]), r.get("final")), f"{row['run_id']}: final acc")
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
    rc, out, err = run(cmd, d, "--history", rid, "--format", "csv")
    check(rc == 0, f"--history exit {rc}: {err}")
    rows = list(csv.DictReader(io.StringIO(out)))
    with h5py.File(os.path.join(d, rid + ".h5"), "r") as f:
        h = {k: f["history"][k][()] for k in f["history"]}
    check(len(rows) == len(h["epoch"]), "history length")
    for i, row in enumerate(rows):
        check(int(row["epoch"]) == h["epoch"][i], "epoch column")
        for k, col, scale in (("test_acc", "test_acc_pct", 100), ("train_acc", "train_acc_pct", 100),
                              ("test_loss", "test_loss", 1), ("lr", "lr", 1), ("grad_norm", "grad_norm", 1)):
            check(close(float(row[col]), scale * h[k][i]), f"history {col} epoch {i + 1}")
        check(row["best"] == ("1" if i == int(np.argmax(h["test_acc"])) else "0"), f"best mark at epoch {i + 1}")
    rc, out, err = run(cmd, d, "--history", rid)
    check(rc == 0 and "best test accuracy" in out and "*" in out, "text history")


def check_text(cmd, d):
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
        # --sort: numbers descend for accuracies, ties keep grid order
        rc, out, err = run(cmd, tmp, "--by", "seed", "--sort", "best", "--format", "csv")
        vals = [float(r["best_acc_pct_mean"]) for r in csv.DictReader(io.StringIO(out))]
        check(vals == sorted(vals, reverse=True), f"--sort best: {vals}")
        rc, out, err = run(cmd, tmp, "--by", "seed", "--sort", "+best", "--format", "csv")
        vals = [float(r["best_acc_pct_mean"]) for r in csv.DictReader(io.StringIO(out))]
        check(vals == sorted(vals), f"--sort +best: {vals}")
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


def main():
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
        check_text(cmd, d)
        check_constant_and_unreadable(cmd, d, runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_summary: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
