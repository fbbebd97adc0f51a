#!/usr/bin/python3
"""`python3 -m analysis report DIR` on synthetic sweep directories (tests/test_analysis_fixture.py
writes them to the HDF5 contract), read back as HTML:

  - one file, nothing fetched from elsewhere: every src/href is a data: URI or a #anchor, no
    @import or url() to a server; every image a decodable PNG; under 10 MB;
  - the overview: name, description and config text from sweep.h5, counts by status;
  - the best-epoch table: one row per configuration, the rows and values of
    `sweep summarize --format csv` (when a sweep binary is given); without a sweep program
    no table of the report's own, but the command that prints it;
  - every figure drawn, each with a caption naming the files it read; parallel coordinates only
    for a sweep of >= 3 numeric keys or a sampled search, with early-stopped runs marked;
  - failed and diverged runs listed with their errors;
  - a directory a sweep is still writing (runs missing, a hidden temporary, a file without a
    status): only complete runs, the rest counted as pending; a directory with no run yet;
  - an early-stopping search with a validation set: stopped runs counted (not failures), the
    val and stopped columns, an "Early stopping" section with the rung figure and the account
    per rung of sweep.h5's /decisions (none without it);
  - figures aggregate: coarsen() never leaves more groups than asked.

Usage: test_analysis_report.py [SWEEP_BINARY]    (exit 0 / 1; 77 = skipped)
"""
import base64
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

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
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)
import test_analysis_fixture as fx  # noqa: E402

failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok: %s" if cond else "FAIL: %s") % what + ("" if cond or not detail else "\n" + str(detail)[:3000]))
    failures += not cond


def report(d, *extra, sweep=None, inprocess=False):
    """The command line, in a new interpreter (what a user runs) or, when `inprocess`,
    through analysis.__main__.main in this one (no start-up and import cost; an exception
    escaping main() counts as a traceback). Returns (status, output, html text or '')."""
    args = ["report", d] + list(extra) + (["--sweep", sweep] if sweep else [])
    out = next((a for a in zip(extra, extra[1:]) if a[0] in ("--out", "-o")), (None, os.path.join(d, "report.html")))[1]
    if inprocess:
        import contextlib
        import traceback
        from analysis.__main__ import main as analysis_main
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                code = analysis_main(args)
            except SystemExit as e:
                code = e.code
            except Exception:
                traceback.print_exc(file=buf)
                code = 1
        output = buf.getvalue()
    else:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", SWEEP_REPORT_VERBOSE="1")
        env.pop("SWEEP_BIN", None)
        p = subprocess.run([sys.executable, "-m", "analysis"] + args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        code, output = p.returncode, p.stdout
    text = open(out, encoding="utf-8").read() if code == 0 and os.path.exists(out) else ""
    return code, output, text


def section(text, anchor):
    m = re.search(r'<section id="%s">(.*?)</section>' % anchor, text, re.S)
    return m.group(1) if m else ""


def table_rows(text):
    m = re.search(r'<table id="summary".*?<tbody>(.*?)</tbody>', text, re.S)
    return re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S) if m else []


def cells(row):
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def external_refs(text):
    """Every reference that would make a browser fetch something: src/href/action/poster
    attributes that are not data: URIs or #anchors, CSS url() and @import of anything but
    data:."""
    bad = [v for v in re.findall(r'\b(?:src|href|action|poster|srcset)\s*=\s*["\']?([^"\'\s>]*)', text, re.I)
           if not (v.startswith("data:") or v.startswith("#"))]
    bad += re.findall(r'url\(\s*["\']?(?!data:)[^)]*\)', text, re.I)
    bad += re.findall(r"@import", text, re.I)
    bad += re.findall(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", text, re.I)
    return bad


def images(text):
    """(ok, count): every <img> is an inline PNG that decodes and has the size it declares."""
    imgs = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)"', text)
    import matplotlib.image as mpimg
    ok = len(imgs) == text.count("<img")
    for b64, w, h in imgs:
        a = mpimg.imread(io.BytesIO(base64.b64decode(b64)), format="png")
        ok &= a.shape[1] == int(w) and a.shape[0] == int(h) and float(a[..., :3].std()) > 0.01
    return ok, len(imgs)


def set_index_config(d, text):
    with h5py.File(os.path.join(d, "sweep.h5"), "a") as f:
        f.attrs["config"] = text


def write_numeric(d, n_stop=2, search=False, keys=("train.lr", "train.clip", "model.dropout")):
    """A sweep of 16 runs over numeric keys (as a sampled search would make), two of which
    stopped early: one as done short of its epochs, one with status 'stopped'."""
    os.makedirs(d)
    rows = []
    rng = np.random.default_rng(5)
    allkeys = list(keys) + ["seed"]
    for i in range(16):
        cfg = dict(fx.BASE, **{"train.lr": float(10 ** rng.uniform(-4, -2)), "train.clip": float(0.5 * (i % 3)),
                               "model.dropout": round(0.1 * (i % 4), 1), "seed": 1 + i % 2})
        rid = "p%02d" % i
        _, summ = fx.write_run(os.path.join(d, rid + ".h5"), cfg, swept_keys=allkeys,
                               epochs_done=3 if i < n_stop else None)
        rows.append((rid, cfg, "done", summ))
    with h5py.File(os.path.join(d, "p01.h5"), "a") as f:
        f.attrs["status"] = "stopped"
    fx.write_index(d, rows, allkeys, name="search-fixture")
    if search:
        with h5py.File(os.path.join(d, "sweep.h5"), "a") as f:
            f.attrs["search"] = "kind: sobol, samples: 16, seed: 0"
    return rows


def main():
    sweep = sys.argv[1] if len(sys.argv) > 1 else None
    from analysis import load, report as R

    tmp = tempfile.mkdtemp(prefix="analysis-report.")
    try:
        d = os.path.join(tmp, "grid")
        rows = fx.write_sweep(d)
        cfgtext = ("name: fixture\ndescription: >\n  Planted accuracies for the\n  report test <&>.\n"
                   "grid:\n  model.cell: [rnn, gru]\n")
        set_index_config(d, cfgtext)
        configs = sorted({(r[1]["task.kind"], r[1]["model.cell"], r[1]["task.seq_len"]) for r in rows})
        code, out, text = report(d, sweep=sweep)
        check(code == 0 and text, "report of the 24-run fixture: exit 0, DIR/report.html written", out)
        if not text:
            return 1
        size = os.path.getsize(os.path.join(d, "report.html"))
        check(size < 10e6, "the page is under 10 MB (%.2f MB)" % (size / 1e6))
        check(not external_refs(text), "nothing fetched from elsewhere: src/href only data: or #anchors",
              external_refs(text))
        ok, nimg = images(text)
        check(ok and nimg == 6, "6 figures, each an inline PNG that decodes to its declared size (%d)" % nimg)
        check("<script>" in text and "<style>" in text and 'charset="utf-8"' in text,
              "styles and script inline, UTF-8 declared")
        check("Not drawn" not in text and "Traceback" not in out, "every figure drawn, no traceback", out)

        # ---- overview, config
        check("<h1>fixture</h1>" in text, "the sweep's name as the heading")
        check("Planted accuracies for the report test &lt;&amp;&gt;." in text,
              "the description from the config text (a folded block, HTML-escaped)")
        conf = section(text, "config")
        check("grid:\n  model.cell: [rnn, gru]" in conf and "&lt;&amp;&gt;" in conf, "the config file's text, escaped")
        ov = section(text, "overview")
        ndone = sum(r[2] == "done" for r in rows)
        check("done %d" % ndone in ov and "diverged 1" in ov and "failed 1" in ov and ">24 <" in ov,
              "run counts by status: 24 runs, %d done, 1 diverged, 1 failed" % ndone, ov[:600])
        check("hdf5 %s" % h5py.version.hdf5_version in ov and "test_analysis_fixture.py" in ov,
              "program and library versions from the run files")
        check("machine" in ov and "not recorded in the run files" in ov,
              "the machine: said to be unrecorded (run files have no host attribute)")

        # ---- table
        trs = table_rows(text)
        check(len(trs) == len(configs), "the table has one row per configuration (%d of %d)" % (len(trs), len(configs)))
        heads = re.findall(r"<th[^>]*>([^<]*)</th>", re.search(r'<table id="summary".*?</thead>', text, re.S).group(0))
        check(heads[:4] == ["#", "kind", "cell", "seq_len"], "key columns first, after #: %s" % heads[:4])
        if sweep:
            p = subprocess.run([sweep, "summarize", d, "--format", "csv"], stdout=subprocess.PIPE,
                               universal_newlines=True)
            want = list(csv.DictReader(io.StringIO(p.stdout)))
            got = [cells(r) for r in trs]
            ok = len(want) == len(got)
            for w, g in zip(want, got):
                ok &= g[1:4] == [w["task.kind"], w["model.cell"], w["task.seq_len"]]
                if w["best_acc_pct_mean"]:
                    ok &= any(c.startswith("%.2f" % float(w["best_acc_pct_mean"])) for c in g)
            check(ok, "rows, order and best accuracies are sweep summarize's", (want, got))
            check("sweep summarize" in section(text, "table"), "the table's caption names sweep summarize")
        # no `sweep` program: the table is summarize's alone, so the page says where to get it
        find = R.find_sweep
        R.find_sweep = lambda explicit=None: None
        try:
            nop = os.path.join(tmp, "no-program.html")
            R.build(d, nop)
            tab = section(open(nop, encoding="utf-8").read(), "table")
        finally:
            R.find_sweep = find
        check("No table: no `sweep` program found" in tab and "sweep summarize" in tab and "<table" not in tab,
              "without a sweep program the page has no table of its own and names the command", tab[:300])

        # ---- figures and captions
        figs = re.findall(r'<section id="(\w+)"><h2>[^<]*</h2><figure>\s*<img[^>]*>\s*<figcaption>(.*?)</figcaption>',
                          text, re.S)
        check([f[0] for f in figs] == ["metric", "vanishing", "curves", "gradients", "hidden", "pareto"],
              "figures: metric by key, vanishing, curves, gradients, hidden units, metric against cost (%s)"
              % [f[0] for f in figs])
        check(all(re.search(r"From .*<code>/\w+", c) for _, c in figs),
              "every caption says which files' paths it read", [c for _, c in figs])
        check("parallel" not in [f[0] for f in figs], "no parallel coordinates for a grid of one numeric key")
        best = max((r for r in rows if r[2] == "done"), key=lambda r: r[3]["best_test_acc"])
        hid = dict(figs)["hidden"]
        check(best[0] in hid or best[1]["task.kind"] in hid, "hidden units of the best run (%s)" % best[0], hid)

        # ---- failed and diverged runs
        pr = section(text, "problems")
        failed = [r for r in rows if r[2] == "failed"][0]
        diverged = [r for r in rows if r[2] == "diverged"][0]
        check(failed[0] in pr and "fixture: planted failure" in pr, "the failed run with its error", pr[:800])
        check(diverged[0] in pr and "loss became NaN at epoch 3, step 1" in pr, "the diverged run with its error")
        check(len(re.findall(r"<tr><td><code>", pr)) == 2, "only those two are listed")

        # ---- --out, --run, user errors
        code, out, text2 = report(d, "--out", os.path.join(tmp, "elsewhere.html"), "--run", rows[0][0], "--dpi", "30",
                                  sweep=sweep, inprocess=True)
        check(code == 0 and rows[0][0] in section(text2, "hidden"), "--out writes elsewhere; --run picks the run", out)
        for what, args in (("no such directory", [os.path.join(tmp, "nope")]),
                           ("--run of a failed run", [d, "--run", failed[0]]),
                           ("--run unknown", [d, "--run", "no-such-run"]),
                           ("--out into a missing directory", [d, "--out", os.path.join(tmp, "no", "r.html")])):
            code, out, _ = report(*args, sweep=sweep, inprocess=True)
            check(code == 2 and "error" in out and "Traceback" not in out, "%s -> exit 2, one line" % what, out)

        # ---- a directory still being written
        live = os.path.join(tmp, "live")
        shutil.copytree(d, live)
        os.remove(os.path.join(live, "report.html"))
        gone = [r[0] for r in rows[-5:]]
        for rid in gone:
            os.remove(os.path.join(live, rid + ".h5"))
        with open(os.path.join(live, ".%s.h5.tmp.host.123.4" % gone[0]), "wb") as f:
            f.write(b"\x89HDF\r\n\x1a\n half written")
        with h5py.File(os.path.join(live, "stray.h5"), "w") as f:   # a writer's file without a status
            f.attrs["format"] = "sweep-run"
        code, out, text = report(live, "--dpi", "30", sweep=sweep, inprocess=True)
        ov = section(text, "overview")
        check(code == 0 and "pending 5" in ov and "24 <" in ov and "19 of 24 runs have a complete file" in ov,
              "a running sweep: 19 complete runs reported, 5 pending, the temporary ignored", out + ov[:800])
        check("stray.h5" in ov and "status" in ov, "a file without a status is named as skipped")
        check(not any(g in section(text, "problems") for g in gone), "pending runs are not listed as failed")
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        shutil.copy(os.path.join(d, "sweep.h5"), empty)
        code, out, text = report(empty, sweep=sweep, inprocess=True)
        check(code == 0 and "pending 24" in text and "No complete run yet" in text,
              "a sweep with no complete run yet: a page with 24 pending", out)

        # ---- parallel coordinates
        pdir = os.path.join(tmp, "numeric")
        write_numeric(pdir)
        code, out, text = report(pdir, "--dpi", "30", sweep=sweep, inprocess=True)
        sec = section(text, "parallel")
        check(code == 0 and "<img" in sec and "varies 3 numeric keys" in sec,
              "parallel coordinates for 3 swept numeric keys", out + sec[:500])
        runs = load.load_runs(pdir)
        from analysis import plots
        import matplotlib.pyplot as plt
        fig = plots.parallel(runs, ["train.lr", "train.clip", "model.dropout"], "t")
        ax = fig.axes[0]
        coll = ax.collections[0]
        dashed = sum(1 for ls in coll.get_linestyles() if ls[1] is not None)
        marks = [ln for ln in ax.lines if ln.get_label().startswith("stopped early")]
        check(len(coll.get_segments()) == 16 and dashed == 2 and marks and len(marks[0].get_xdata()) == 2,
              "one line per run; the 2 early-stopped runs (status stopped, done short of its epochs) "
              "dashed and marked (%d lines, %d dashed)" % (len(coll.get_segments()), dashed))
        plt.close(fig)
        sdir = os.path.join(tmp, "search")
        write_numeric(sdir, search=True, keys=("train.lr", "train.clip"))
        code, out, text = report(sdir, "--dpi", "30", sweep=sweep, inprocess=True)
        check(code == 0 and "sampled search" in section(text, "parallel") and "sobol" in section(text, "parallel"),
              "parallel coordinates for a sampled search (search attribute) of 2 numeric keys", out)

        # ---- an early-stopping search with a validation set
        edir = os.path.join(tmp, "early")
        erows, dec = fx.write_search(edir)
        code, out, text = report(edir, "--dpi", "30", sweep=sweep, inprocess=True)
        nstop = sum(r[2] == "stopped" for r in erows)
        ov = section(text, "overview")
        check(code == 0 and "stopped %d" % nstop in ov and "s-stopped" in ov,
              "early stopping: the overview counts the %d stopped runs" % nstop, out + ov[:600])
        sec = section(text, "rungs")
        rr = re.findall(r"<tr>(.*?)</tr>", re.search(r'<table id="rungs">.*?<tbody>(.*?)</tbody>', sec, re.S).group(1)
                        if '<table id="rungs">' in sec else "", re.S)
        want = [[str(r["rung"]), str(r["epoch"]), str(r["runs"]), str(r["promoted"]), str(r["stopped"]),
                 "-" if not np.isfinite(r["cutoff"]) else "%.2f" % (100 * r["cutoff"])]
                for r in load.load_decisions(edir).rungs()]
        check("<img" in sec and "/decisions" in sec and [cells(r) for r in rr] == want,
              "an Early stopping section: the rung figure and the account per rung of /decisions",
              (sec[-1500:], [cells(r) for r in rr], want))
        check(not any(r[0] in section(text, "problems") for r in erows if r[2] == "stopped"),
              "no stopped run in the failed-and-diverged list")
        check("cross marks where a run stopped early" in section(text, "curves"), "the curves' caption names the crosses")
        heads = re.findall(r"<th[^>]*>([^<]*)</th>", re.search(r'<table id="summary".*?</thead>', text, re.S).group(0))
        same_line = re.search(r'<p class="muted">Same in every row: (.*?)</p>', section(text, "table"))
        shown = heads + ([same_line.group(1)] if same_line else [])
        check("val acc %" in " ".join(shown) and "stopped" in " ".join(shown),
              "the table has the val acc %% and stopped columns (%s)" % shown)
        check("validation set" in section(text, "table") and "early-stopped" in section(text, "table"),
              "the table's caption says the epoch is chosen on validation and stopped runs are averaged")
        nodec = os.path.join(tmp, "early-nodec")
        shutil.copytree(edir, nodec)
        os.remove(os.path.join(nodec, "report.html"))
        with h5py.File(os.path.join(nodec, "sweep.h5"), "a") as f:
            del f["decisions"]
        code, out, text = report(nodec, "--dpi", "30", sweep=sweep, inprocess=True)
        check(code == 0 and 'id="rungs"' not in text, "no Early stopping section without /decisions")

        # ---- aggregation
        class Fake:
            def __init__(self, cfg):
                self.config = cfg

            def key(self, keys):
                return tuple(self.config.get(k) for k in keys)
        fake = [Fake({"a": i % 10, "b": i % 7, "c": i % 3, "seed": i}) for i in range(1000)]
        for limit in (36, 10, 3, 1):
            kept, dropped = R.coarsen(fake, ["a", "b", "c"], limit)
            n = len(load.group_runs(fake, kept))
            check(n <= limit and kept + dropped != [] and set(kept) | set(dropped) == {"a", "b", "c"},
                  "coarsen(limit %d): %d groups by %s (merged %s)" % (limit, n, kept, dropped))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
