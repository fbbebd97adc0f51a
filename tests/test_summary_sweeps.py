#!/usr/bin/python3
"""`sweep summarize` on the runs of several sweeps, and the table's columns (issue 31).

Usage: test_summary_sweeps.py SWEEP_EXE CONFIG SCRATCH_DIR
  SWEEP_EXE    the built sweep program
  CONFIG       tests/data/summary-tiny.yaml (rnn and gru, 3 seeds, T=10)
  SCRATCH_DIR  emptied, then filled with the real sweeps the checks read

Four small real sweeps are trained (a second or two): CONFIG as it is (T=10), the same at
T=20 (the same name, another directory), the same under another name, and a gru-only
sweep of record.grad_every 1 and 2 (which changes what is recorded, not the results: every
row has the same metrics). Checked, every number recomputed from the files with h5py:
- item 1: a directory of links to the T=10 and T=20 runs has one row per sweep and cell,
  never their average, a `sweep` column and a first line naming both sweeps; the same for
  `summarize DIR1 DIR2`, and for the files copied into one directory (one sweep by its
  name and directory, yet T apart: a note names seq_len); sweeps of different names are
  labelled by their names; --by sweep,cell and --by cell;
- item 3: the metric columns stay in the table when every row has the same values;
- item 6: --by and --sort take short keys (cell, seq_len, grad_every), an ambiguous one is
  refused with its candidates, a typo gets the nearest key;
- item 9: --top N keeps the best N by the metric (and --runs --top the best runs), the
  params column is /summary/param_count (lstm and gru of one width differ), --legend and
  `sweep help summarize` explain every column in one line each;
- the analysis package: its default grouping of the links and of two directories (the
  sweep, T, the cell), its key resolver against summarize --by for every dotted suffix of
  every key and typos of them (the same key, candidates or did-you-mean), --where cell=...,
  and `report DIR1 DIR2 --out FILE` (one table, a sweep column; --out required).
Exit 0 when every check passes, 1 on a failure, 77 when h5py/numpy are missing."""
import csv
import io
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyharness import check, failures, h5py, np  # noqa: E402


def run(*args, cwd=None):
    p = subprocess.run([SWEEP] + list(args), capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def csv_rows(*args):
    rc, out, err = run("summarize", *args, "--format", "csv")
    check(rc == 0, f"summarize {args}: exit {rc}: {err}")
    return list(csv.DictReader(io.StringIO(out))), (out.splitlines()[0].split(",") if out else [])


def runs_of(d):
    """{path: (seq_len, cell, best test acc in percent, param_count)} of the run files in d."""
    out = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(".h5") or name == "sweep.h5":
            continue
        with h5py.File(os.path.join(d, name), "r") as f:
            c, s = f["config"].attrs, f["summary"].attrs
            out[os.path.join(d, name)] = (int(c["task.seq_len"]), str(c["model.cell"]), 100 * float(s["best_test_acc"]),
                                          int(s["param_count"]))
    return out


def sweep(config, out, *sets):
    rc, _, err = run(config, "-o", out, "--quiet", "--force", *sets)
    check(rc == 0, f"sweep {config} {sets}: exit {rc}: {err}")


def check_rows(rows, runs, what):
    """Each row the mean of exactly the runs of its (seq_len, cell); none mixes lengths."""
    want = {}
    for seq_len, cell, acc, _ in runs.values():
        want.setdefault((str(seq_len), cell), []).append(acc)
    got = {(r.get("task.seq_len"), r.get("model.cell")): r for r in rows}
    check(set(got) == set(want) and len(rows) == len(want), f"{what}: rows {sorted(got)}, want {sorted(want)}")
    for k, accs in want.items():
        r = got.get(k)
        check(r is not None and abs(float(r["best_acc_pct_mean"]) - np.mean(accs)) < 1e-9 and
              int(r["runs"]) == len(accs), f"{what}: {k}: {r and r['best_acc_pct_mean']} != mean of {accs}")


def check_two_sweeps(tiny, t20, other, scratch):
    both = os.path.join(scratch, "links")
    os.makedirs(both)
    for tag, d in (("t10", tiny), ("t20", t20)):   # the README's way: a directory of links
        for name in os.listdir(d):
            if name.endswith(".h5") and name != "sweep.h5":
                os.symlink(os.path.abspath(os.path.join(d, name)), os.path.join(both, f"{tag}-{name}"))
    runs = dict(runs_of(tiny), **runs_of(t20))
    rows, header = csv_rows(both)
    check(header[:3] == ["sweep", "task.seq_len", "model.cell"], f"links: the sweep and T are row keys: {header}")
    check_rows(rows, runs, "links")
    labels = {r.get("sweep", "") for r in rows}
    check(len(labels) == 2 and all(l.startswith("tiny (") for l in labels),
          f"links: two sweeps named tiny, told apart by their directories: {labels}")
    rc, out, err = run("summarize", both)
    first = out.splitlines()[0] if out else ""
    check(rc == 0 and first.startswith("2 sweeps in ") and "(6 runs)" in first and "12 runs" in first
          and "4 configurations" in first, f"links: the first line names the two sweeps: {first!r}")
    check("seq_len" in out.splitlines()[1] and "no sweep swept" in out.splitlines()[1],
          f"links: a note names seq_len, which no sweep swept: {out.splitlines()[1:2]}")
    # summarize DIR1 DIR2: the same rows, directory by directory
    rows2, header2 = csv_rows(tiny, t20)
    check(header2 == header, f"two directories: the same columns {header2}")
    check_rows(rows2, runs, "summarize DIR1 DIR2")
    check([r.get("task.seq_len") for r in rows2] == ["10", "10", "20", "20"], "two directories: in their order")
    check({r.get("sweep") for r in rows2} == {f"tiny ({tiny})", f"tiny ({t20})"}, f"labels: {[r.get('sweep') for r in rows2]}")
    # copies in one directory: one sweep (one name, one directory), T still apart
    copies = os.path.join(scratch, "copies")
    os.makedirs(copies)
    for tag, d in (("t10", tiny), ("t20", t20)):
        for name in os.listdir(d):
            if name.endswith(".h5") and name != "sweep.h5":
                shutil.copy(os.path.join(d, name), os.path.join(copies, f"{tag}-{name}"))
    rows3, header3 = csv_rows(copies)
    check("sweep" not in header3 and header3[:2] == ["task.seq_len", "model.cell"], f"copies: keys {header3[:3]}")
    check_rows(rows3, runs, "copies")
    # another name: labelled by it
    rows4, _ = csv_rows(tiny, other)
    check({r.get("sweep") for r in rows4} == {"tiny", "other"}, f"names: {[r.get('sweep') for r in rows4]}")
    # --by: the sweep is a key; without it, the user asked to merge
    rows5, header5 = csv_rows(both, "--by", "sweep,cell")
    check(header5[:2] == ["sweep", "model.cell"] and len(rows5) == 4, f"--by sweep,cell: {header5[:3]}, {len(rows5)}")
    rows6, header6 = csv_rows(both, "--by", "cell")
    check(header6[0] == "model.cell" and [int(r["runs"]) for r in rows6] == [6, 6], "--by cell merges the sweeps")
    # the run table and the history of a run id both sweeps have
    rows7, header7 = csv_rows(tiny, t20, "--runs")
    check(header7[:2] == ["run_id", "sweep"] and len(rows7) == 12, f"--runs: a sweep column: {header7[:4]}")
    rc, out, err = run("summarize", tiny, t20, "--history", "cell=rnn,seed=1")
    check(rc == 2 and "several sweeps" in err, f"--history of an id in two sweeps: {rc} {err!r}")
    rc, out, err = run("summarize", tiny, t20, "--rungs")
    check(rc == 2 and "one directory" in err, f"--rungs with two directories: {rc} {err!r}")
    rc, out, err = run("summarize", tiny, os.path.join(scratch, "missing"))
    check(rc == 2 and "no such directory" in err, f"a missing second directory: {rc} {err!r}")


def check_same_metrics(ge):
    rc, out, err = run("summarize", ge)
    lines = out.splitlines()
    same = next((l for l in lines if l.startswith("same in every row:")), "")
    sep = next((i for i, l in enumerate(lines) if l and set(l) <= {"-", " "}), 1)
    header = lines[sep - 1]
    for col in ("best acc %", "min-max", "final acc %", "train acc %"):
        check(col in header and col not in same, f"metric column {col!r} stays in the table: {header!r} / {same!r}")
    body = lines[sep + 1:sep + 3]
    check(len(body) == 2 and body[0].split()[1:3] == body[1].split()[1:3],
          f"both rows show the same best acc: {body}")
    check("best epoch" in same, f"other constant columns are still stated once: {same!r}")


def check_keys(tiny, ge):
    rows, header = csv_rows(ge, "--by", "grad_every")
    check(header[0] == "record.grad_every", f"--by grad_every: {header[:2]}")
    rows, header = csv_rows(tiny, "--by", "cell", "--sort", "cell")
    check([r["model.cell"] for r in rows] == ["gru", "rnn"], f"--sort cell: {[r['model.cell'] for r in rows]}")
    rows, header = csv_rows(tiny, "--runs", "--sort", "-seed")
    check([int(r["seed"]) for r in rows] == sorted((int(r["seed"]) for r in rows), reverse=True), "--runs --sort -seed")
    for args, text in ((["--by", "cel"], "did you mean 'model.cell'"),
                       (["--by", "kind"], "ambiguous: it could be task.kind, train.schedule.kind"),
                       (["--sort", "cel"], "did you mean 'cell'"),
                       (["--sort", "hidden"], "model.hidden is not a column")):
        rc, out, err = run("summarize", tiny, *args)
        check(rc == 2 and text in err, f"{args}: exit {rc}, {err!r}")


def check_columns(tiny, lstm):
    runs = runs_of(tiny)
    rows, header = csv_rows(tiny, "--top", "1")
    best = max({c for _, c, _, _ in runs.values()},
               key=lambda c: np.mean([a for _, cc, a, _ in runs.values() if cc == c]))
    check(len(rows) == 1 and rows[0]["model.cell"] == best, f"--top 1: the best cell {best}: {rows}")
    rows, _ = csv_rows(tiny, "--runs", "--top", "2")
    accs = sorted((a for _, _, a, _ in runs.values()), reverse=True)[:2]
    check([float(r.get("best_acc_pct", "nan")) for r in rows] == accs, f"--runs --top 2: {[r['best_acc_pct'] for r in rows]} {accs}")
    rows, _ = csv_rows(tiny, "--top", "5", "--sort", "cell")
    check([r["model.cell"] for r in rows] == ["gru", "rnn"], "--top with --sort keeps --sort's order")
    rc, out, err = run("summarize", tiny, "--top", "0")
    check(rc == 2 and "--top" in err, f"--top 0 is a usage error: {err!r}")
    rc, out, err = run("summarize", tiny, "--top", "1")
    check("(the best 1 by best acc % shown)" in out.splitlines()[0], f"--top says what it shows: {out[:200]!r}")
    # params: /summary/param_count; lstm has 4 gate blocks where gru has 3
    runs.update(runs_of(lstm))
    rows, header = csv_rows(tiny, lstm)
    check("param_count" in header, f"a param_count column: {header}")
    per_cell = {c: p for _, c, _, p in runs.values()}
    for r in rows:
        check(r.get("param_count") == str(per_cell[r["model.cell"]]), f"params of {r['model.cell']}: {r.get('param_count')}")
    H, I, C = 8, 4, 2   # summary-tiny.yaml: hidden 8, input_size 4, one layer; mean_sign's 2 classes
    for cell, gates in (("rnn", 1), ("gru", 3), ("lstm", 4)):
        check(per_cell.get(cell) == gates * H * (I + H) + 2 * gates * H + C * H + C,
              f"{cell}: {per_cell.get(cell)} parameters, PyTorch's count {gates * H * (I + H) + 2 * gates * H + C * H + C}")
    # --legend: one line per column, under the table
    rc, out, err = run("summarize", tiny, lstm, "--legend")
    lines = out.splitlines()
    sep = next((i for i, l in enumerate(lines) if l and set(l) <= {"-", " "}), 1)
    at = lines.index("columns:") if "columns:" in lines else len(lines)
    legend = {l.strip().split("  ")[0]: l for l in lines[at + 1:] if l.startswith("  ")}
    titles = [t for t in lines[sep - 1].split("  ") if t.strip()]
    for t in [t.strip() for t in titles] + ["runs", "done", "failed", "diverged"]:
        check(t in legend, f"--legend explains {t!r}: {sorted(legend)}")
    check(all(len(l) < 160 for l in lines[1:sep - 2]), f"no 225-character note: {[len(l) for l in lines[:sep]]}")
    rc, out, err = run("help", "summarize")
    for t in ("params", "best acc %", "dh1/dhT", "dx1/dxT", "s/run", "sweep", "--top", "--legend"):
        check(rc == 0 and any(l.lstrip().startswith(t) for l in out.splitlines()), f"sweep help summarize: {t}")


def key_names():
    """Names a user may write for the config keys: every short form (dotted suffix) of every
    /config key, some of them with a letter dropped or doubled (typos), and a few that are
    nobody's or ambiguous."""
    with h5py.File(next(iter(runs_of(TINY))), "r") as f:
        keys = list(f["config"].attrs)
    names = []   # the short forms (the canonical names resolve to themselves: checked elsewhere)
    for k in keys:
        parts = k.split(".")
        names += [".".join(parts[n:]) for n in range(1, len(parts))]
    typos = [n[:i] + n[i + 1:] for n in names[::4] for i in (1, len(n) // 2)] + [n + n[-1] for n in names[2::5]]
    return list(dict.fromkeys(names + typos + ["every", "xyz", "kind", "model", "taks.kind", "schedule", "model.cel"]))


def check_analysis(tiny, t20, links, one, scratch):
    """The analysis package groups, resolves keys and reports as summarize does."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, repo)
    try:
        from analysis import load
    except ImportError as e:   # matplotlib or the package missing: said, not failed
        print(f"note: analysis package not importable ({e}); its checks are skipped")
        return
    env = dict(os.environ, PYTHONPATH=repo, SWEEP_BIN=SWEEP)
    runs = load.load_runs(links)
    check(load.default_grouping(runs) == ["sweep", "task.seq_len", "model.cell"],
          f"analysis: a directory of links to two sweeps groups by sweep, T and cell: {load.default_grouping(runs)}")
    runs2 = load.load_runs([tiny, t20])
    check(load.default_grouping(runs2) == ["sweep", "task.seq_len", "model.cell"] and
          {r.config["sweep"] for r in runs2} == {f"tiny ({tiny})", f"tiny ({t20})"},
          f"analysis: two directories: {load.default_grouping(runs2)}")
    check("sweep" not in load.load_runs(tiny)[0].config, "one sweep: no 'sweep' entry in the config")
    # item 6: the same answer as summarize's for every name (canonical, short, ambiguous, typo)
    differ = []
    for name in key_names():
        rc, out, err = run("summarize", one, "--by", name, "--format", "csv")   # one run: quick
        c_side = out.split(",")[0] if rc == 0 else err.strip().replace("sweep summarize: --by: ", "")
        try:
            py_side = load.resolve_key(name, runs2, "--by")
        except load.AnalysisError as e:
            py_side = str(e).replace("--by: ", "")
        if c_side != py_side and not ("recorded in run files" in py_side and rc == 0):
            differ.append((name, c_side, py_side))
    check(not differ, f"analysis resolves keys as summarize --by does: {differ[:5]} ({len(differ)} differ)")
    p = subprocess.run([sys.executable, "-m", "analysis", "curves", links, "--where", "cell=gru", "--by", "seq_len",
                        "--out", os.path.join(scratch, "c.png")], capture_output=True, text=True, env=env)
    check(p.returncode == 0 and os.path.exists(os.path.join(scratch, "c.png")), f"curves --where cell=gru: {p.stderr}")
    p = subprocess.run([sys.executable, "-m", "analysis", "curves", links, "--where", "cel=gru"],
                       capture_output=True, text=True, env=env)
    check(p.returncode == 2 and "did you mean 'model.cell'" in p.stderr and "Traceback" not in p.stderr,
          f"curves --where cel=gru: a did-you-mean, exit 2: {p.stderr!r}")
    # the report of two directories: one page, the sweep a column
    page = os.path.join(scratch, "two.html")
    p = subprocess.run([sys.executable, "-m", "analysis", "report", tiny, t20], capture_output=True, text=True, env=env)
    check(p.returncode == 2 and "--out" in p.stderr, f"report of two directories needs --out: {p.stderr!r}")
    p = subprocess.run([sys.executable, "-m", "analysis", "report", tiny, t20, "--out", page, "--dpi", "30"],
                       capture_output=True, text=True, env=env)
    text = open(page).read() if os.path.exists(page) else ""
    table = text[text.find('<table id="summary"'):text.find("</table>", text.find('<table id="summary"'))]
    heads = [h.split(">")[-1] for h in table.split("</th>")[:4]]
    check(p.returncode == 0 and table.count("<tr>") == 5 and heads[1:4] == ["sweep", "seq_len", "cell"],
          f"report of two directories: 4 rows, sweep and seq_len columns: {heads} ({p.stderr[-300:]})")
    check("tiny (" in text and "sweeps</th>" in text, "report: the overview names the two sweeps")


def main():
    global SWEEP, TINY
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    SWEEP, config, scratch = sys.argv[1:]
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    tiny, t20, other, ge, lstm = (os.path.join(scratch, n) for n in ("tiny", "t20", "other", "grad-every", "lstm"))
    TINY = tiny
    sweep(config, tiny)
    sweep(config, t20, "--set", "task.seq_len=20")
    named = os.path.join(scratch, "other.yaml")
    with open(config) as f, open(named, "w") as g:
        g.write(f.read().replace("name: tiny", "name: other"))
    sweep(named, other)
    sweep(config, ge, "--set", "model.cell=gru", "--set", "record.grad_every=[1,2]")
    sweep(config, lstm, "--set", "model.cell=lstm", "--set", "seed=[1]")
    for part, args in ((check_two_sweeps, (tiny, t20, other, scratch)), (check_same_metrics, (ge,)),
                       (check_keys, (tiny, ge)), (check_columns, (tiny, lstm)),
                       (check_analysis, (tiny, t20, os.path.join(scratch, "links"), lstm, scratch))):
        try:   # a part that cannot go on is one failure; the other parts still run
            part(*args)
        except (KeyError, IndexError, ValueError, StopIteration, OSError) as e:
            check(False, f"{part.__name__}: {type(e).__name__}: {e}")
    print(f"test_summary_sweeps: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
