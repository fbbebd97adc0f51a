"""`python3 -m analysis report DIR` (or `sweep report DIR`): one self-contained HTML page.

DIR/report.html holds all it shows: styles, a few lines of script (the sortable table),
and the figures as base64 PNG. Nothing is fetched from elsewhere, so the page opens offline,
can be mailed or archived with the data, and prints (every figure on the page, no
interaction needed).

What it reads: the run files under their final names (always complete, docs/hdf5-layout.md:
a running sweep's hidden temporaries are skipped, as are files without a status),
DIR/sweep.h5 for the config text, the grid order and the runs still pending, and
`sweep summarize DIR --format csv` for the best-epoch table, so the page shows the
terminal's numbers. It therefore works on a directory a sweep is still writing: it reports
what is complete and counts the rest as pending.

Figures never draw one line per run: configurations are dots, groups are panels or bands,
and a figure that would hold too many groups merges them first (the caption says how).
"""

import base64
import csv
import datetime
import html
import io
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

from . import load, metrics, plots

# Most lines or panels a figure holds before its groups are merged (coarsen()).
MAX_LINES = 15
MAX_PANELS = 36
# Failed and diverged runs listed one per row; beyond this a count and the command that lists all.
MAX_PROBLEM_ROWS = 200
# Statuses a complete run file may carry; 'stopped' is an early-stopped run, not a failure.
STATUSES = load.STATUSES


def _e(s):
    return html.escape(str(s), quote=True)


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------- reading the directory

class Sweep:
    """What the report knows about DIR (or several directories, dirs): runs (complete run
    files, grid order, directory by directory), skipped (messages about files that are not
    complete run files), index (root attributes of the first sweep.h5, {} without one), table
    (its /table columns, {}), pending (run ids the indexes list without a complete file),
    name, description, config_text (the first sweep's), configs ([(name, dir, config text)]
    per directory), sweeps (load.label_sweeps: [(label, runs)]), keys (load.config_keys: the
    keys that tell configurations apart, 'sweep' first for several sweeps), group_keys (keys
    without seed: what makes a configuration), decisions (load.Decisions of the first
    early-stopping sweep, or None), search_points (load.Search of the first sampled search, or
    None)."""

    def __init__(self, d, cache=None):
        self.cache = cache          # live.RunCache: files unchanged since the last page are not read again
        self.dirs = [d] if isinstance(d, str) else list(d)
        self.dir = ", ".join(self.dirs)
        for dd in self.dirs:
            if not os.path.isdir(dd):
                raise load.AnalysisError("%s: no such directory" % dd)
        self.runs, self.skipped, self.pending, self.configs = [], [], [], []
        self.index, self.table, self.decisions, self.search_points = {}, {}, None, None
        for dd in self.dirs:   # directory by directory, each in its grid order
            index, table = _read_index(dd)
            runs = self._read_runs(dd)
            order = {rid: i for i, rid in enumerate(table.get("run_id", []))}
            runs.sort(key=lambda r: (order.get(r.run_id, len(order)), r.run_id))
            have = {r.run_id for r in runs}
            self.pending += [rid for rid in table.get("run_id", []) if rid not in have]
            self.runs += runs
            self.index, self.table = self.index or index, self.table or table
            name = index.get("sweep") or (runs[0].sweep if runs else "") or os.path.basename(os.path.normpath(dd))
            self.configs.append((name, dd, index.get("config", "")))
            try:
                self.decisions = self.decisions or load.load_decisions(dd)
            except load.AnalysisError as e:   # the runs still make a page
                self.skipped.append(str(e))
            try:
                self.search_points = getattr(self, "search_points", None) or load.load_search(dd)
            except load.AnalysisError as e:
                self.skipped.append(str(e))
        if not self.runs and not self.table:
            raise load.AnalysisError("%s: no complete run file and no sweep.h5; run `sweep CONFIG -o %s` first"
                                     % (self.dir, self.dirs[0]))
        # the sweeps the runs come from (a directory of links may hold several): a 'sweep' key
        self.sweeps = load.label_sweeps(self.runs, self.dirs) if self.runs else []
        self.keys = load.config_keys(self.runs) if self.runs else list(self.index.get("swept_keys", []))
        self.group_keys = [k for k in self.keys if k != "seed"]
        self.config_text = self.configs[0][2]
        if len(self.sweeps) > 1:
            self.name = " + ".join(label for label, _ in self.sweeps)
            described = [(n, load.sweep_file_field(t, "description")) for n, _, t in self.configs]
            self.description = "; ".join("%s: %s" % (n, text) for n, text in described if text)
        else:
            self.name = self.configs[0][0]
            self.description = load.sweep_file_field(self.config_text, "description")

    def _read_runs(self, d):
        """The complete run files of d; the others named in self.skipped."""
        runs = []
        try:
            paths = load.run_files(d)
        except load.AnalysisError:
            paths = []                      # a sweep that has not finished a run yet
        for p in paths:
            try:
                r = self.cache.run(p) if self.cache else load.Run(p)
            except load.AnalysisError as e:
                self.skipped.append(str(e))
                continue
            if r.status not in STATUSES:
                self.skipped.append("%s: status %r is not that of a complete run" % (p, r.status))
                continue
            runs.append(r)
        return runs

    def search(self):
        """The sampled-search setting when the sweep has one (an index or run attribute
        `search`, or a top-level `search:` in the config text), else ''."""
        for attrs in [self.index] + [r.attrs for r in self.runs[:1]]:
            if attrs.get("search"):
                return str(attrs["search"])
        s = load.sweep_file_field(self.config_text, "search")
        return "" if s in ("", "grid") or "kind: grid" in s else s


def _read_index(d):
    """DIR/sweep.h5 -> (root attributes as plain values, /table columns); ({}, {}) when it
    is absent or unreadable (a sweep's index may lag its run files: they are the truth)."""
    try:
        return load.read_index(d)
    except load.AnalysisError as e:
        sys.stderr.write("analysis report: warning: %s; using the run files alone\n" % e)
        return {}, {}


# ---------------------------------------------------------------- the best-epoch table

def find_sweep(explicit=None):
    """The `sweep` program that prints the table: --sweep, $SWEEP_BIN (set by `sweep
    report`), `sweep` on the PATH, then a checkout's build/sweep. None when there is none."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for c in (explicit, os.environ.get("SWEEP_BIN"), shutil.which("sweep"), os.path.join(here, "build", "sweep")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


# How the columns of `sweep summarize --format csv` are shown (docs/summarize.md): the CSV
# column, the title, the column holding its spread (shown as +-), and the digits. Columns
# not listed are shown as they come, after these.
TABLE_COLUMNS = (
    ("runs", "runs", None, 0), ("done", "done", None, 0), ("stopped", "stopped", None, 0),
    ("failed", "failed", None, 0), ("diverged", "diverged", None, 0), ("param_count", "params", None, 0),
    ("val_acc_pct_mean", "val acc %", "val_acc_pct_std", 2),
    ("best_acc_pct_mean", "best acc %", "best_acc_pct_std", 2),
    ("best_acc_pct_min", "lowest acc %", None, 2), ("best_acc_pct_max", "highest acc %", None, 2),
    ("val_loss_mean", "val loss", "val_loss_std", 4),
    ("best_loss_mean", "best loss", "best_loss_std", 4),
    ("best_loss_min", "lowest loss", None, 4), ("best_loss_max", "highest loss", None, 4),
    ("baseline_loss", "baseline", None, 4),
    ("best_epoch_median", "best epoch", None, None),
    ("final_acc_pct_mean", "final acc %", "final_acc_pct_std", 2),
    ("final_train_acc_pct_mean", "train acc %", None, 2),
    ("final_loss_mean", "final loss", "final_loss_std", 4),
    ("final_train_loss_mean", "train loss", None, 4),
    ("vanishing_ratio", "dh1/dhT", None, 3), ("input_ratio", "dx1/dxT", None, 3),
    ("seconds_per_run", "s/run", None, 3),
)
SPREAD_COLUMNS = {c[2] for c in TABLE_COLUMNS if c[2]}
# The metrics: in the table even when every row has the same value (as in summarize's text).
METRIC_COLUMNS = {"val_acc_pct_mean", "best_acc_pct_mean", "best_acc_pct_min", "best_acc_pct_max", "val_loss_mean",
                  "best_loss_mean", "best_loss_min", "best_loss_max", "final_acc_pct_mean",
                  "final_train_acc_pct_mean", "final_loss_mean", "final_train_loss_mean"}


def summarize_csv(sweep_bin, dirs):
    """Rows (dicts) of `sweep summarize DIR... --format csv`, or (None, why)."""
    if not sweep_bin:
        return None, "no `sweep` program found (not on the PATH; --sweep PATH names one)"
    dirs = [dirs] if isinstance(dirs, str) else list(dirs)
    try:
        p = subprocess.run([sweep_bin, "summarize"] + dirs + ["--format", "csv"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "%s summarize: %s" % (sweep_bin, e)
    if p.returncode != 0:
        return None, "%s summarize exited %d: %s" % (sweep_bin, p.returncode, p.stderr.strip()[-300:])
    return list(csv.DictReader(io.StringIO(p.stdout))), ""


def _is_search(runs):
    """A search, whose table summarize sorts best first: early-stopped runs, or every run id
    naming a point of a sampled search (p007-1a2b3c4d,seed=1)."""
    point = re.compile(r"(^|,)p[0-9]+-[0-9a-f]{8}(,|$)")
    return bool(runs) and (any(r.stopped for r in runs) or all(point.search(r.run_id) for r in runs))


def _fmt(v, digits):
    """v with `digits` decimals (None: as few as needed); tiny or huge values in 3 digits."""
    if not math.isfinite(v):
        return "-"
    if digits is None:
        return "%g" % v
    if digits == 0:
        return "%d" % v
    if v != 0 and (abs(v) < 10 ** -digits or abs(v) >= 1e6):
        return "%.3g" % v
    return "%.*f" % (digits, v)


def _float(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def _cell(r, col, spread, digits):
    """(sort value or None, text) of one table cell."""
    v = _float(r.get(col))
    if v is None:
        return None, "-"
    text = _fmt(v, digits)
    sd = _float(r.get(spread)) if spread else None
    if sd is not None and math.isfinite(sd):
        text += " &plusmn; " + _fmt(sd, digits)
    return (v if math.isfinite(v) else None), text


def table_html(rows, keys, caption, loss_name="loss"):
    """The sortable best-epoch table. Cells sort by their data-v (numbers) or their text;
    rows start in summarize's order, which a click on # restores. As in summarize's text,
    a column with the same value in every row is stated once above the table instead,
    except the metrics, which always stay. loss_name titles the loss columns (summarize
    gives a text's losses in bits per character: "bits/char")."""
    cols = list(rows[0].keys()) if rows else []
    # summarize's CSV starts with the row keys (the swept keys but seed, and task.kind when it
    # separates metrics that must not be averaged together), then `runs`
    keycols = cols[:cols.index("runs")] if "runs" in cols else [c for c in cols if c in keys]
    known = {c[0] for c in TABLE_COLUMNS}
    spec = [c for c in TABLE_COLUMNS if c[0] in cols and any(_float(r.get(c[0])) is not None for r in rows)]
    # a range over one run per row repeats the mean: left out, as its empty spread says
    for lo, hi in (("best_acc_pct_min", "best_acc_pct_max"), ("best_loss_min", "best_loss_max")):
        if all(r.get(lo) == r.get(hi) for r in rows):
            spec = [c for c in spec if c[0] not in (lo, hi)]
    spec += [(c, c, None, 4) for c in cols if c not in known and c not in SPREAD_COLUMNS and c not in keycols]
    spec = [(c[0], c[1].replace("loss", loss_name)) + tuple(c[2:]) for c in spec]
    same, shown = [], []
    for c in spec:
        texts = {_cell(r, c[0], c[2], c[3])[1] for r in rows}
        (same if len(rows) > 1 and len(texts) == 1 and c[0] not in METRIC_COLUMNS else shown).append(c)
    out = []
    if same:
        out.append('<p class="muted">Same in every row: %s.</p>' % ", ".join(
            "%s %s" % (_e(c[1]), _cell(rows[0], c[0], c[2], c[3])[1]) for c in same))
    # a long table scrolls in its own box (headers stay in view) so that the figures stay near
    out.append('<div class="wide%s"><table id="summary" class="sortable"><thead><tr>'
               '<th title="grid order">#</th>' % (" tall" if len(rows) > 30 else ""))
    out += ['<th title="%s">%s</th>' % (_e(k), _e(k.split(".")[-1])) for k in keycols]
    out += ['<th title="%s">%s</th>' % (_e(c[0]), _e(c[1])) for c in shown]
    out.append("</tr></thead><tbody>")
    for i, r in enumerate(rows):
        cells = ['<td data-v="%d">%d</td>' % (i, i + 1)]
        for k in keycols:
            v = _float(r.get(k))
            cells.append('<td%s>%s</td>' % (' data-v="%r"' % v if v is not None else "", _e(r.get(k, ""))))
        for col, _, spread, digits in shown:
            v, text = _cell(r, col, spread, digits)
            cells.append('<td class="n" data-v="%s">%s</td>' % ("" if v is None else repr(v), text))
        out.append("<tr>%s</tr>" % "".join(cells))
    out.append('</tbody></table></div><p class="cap">%s</p>' % caption)
    return "".join(out)


# ---------------------------------------------------------------- figures

def coarsen(runs, keys, limit):
    """Keys to group by so that at most `limit` groups remain: the keys with the most
    distinct values are dropped first (their groups merged). Returns (kept, dropped)."""
    keys, dropped = list(keys), []
    while keys and len(load.group_runs(runs, keys)) > limit:
        worst = max(keys, key=lambda k: (len({repr(r.config.get(k)) for r in runs}), keys.index(k)))
        keys.remove(worst)
        dropped.append(worst)
    return keys, dropped


def _merged(dropped):
    return (" Runs differing only in %s are merged into one group." % ", ".join("<code>%s</code>" % _e(k)
                                                                               for k in dropped)) if dropped else ""


def _png(fig, dpi, tight):
    """The figure as a data: URI of a PNG, and its size in pixels. `tight` crops to what is
    drawn (a legend outside the axes needs it); it costs a second drawing."""
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    data = buf.getvalue()
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), w, h


def _files(n, what):
    return "%s of %d run file%s" % (what, n, "" if n == 1 else "s")


def fig_metric(sw, ctx):
    keys = [k for k in sw.group_keys]
    fig = plots.metric_by_key(sw.runs, keys, sw.group_keys, sw.name)
    n = sum(np.isfinite(metrics.value(r)) for r in sw.runs)
    more = " (the first 8 of %d keys)" % len(keys) if len(keys) > 8 else ""
    return fig, ("Each run's best metric against every swept key%s: one dot per configuration (its seeds' "
                 "mean), the bar its seeds' range, the black dash the mean over all runs with that value. "
                 "From %s (<code>best_test_acc</code>, or <code>best_metric</code> for runs selected by "
                 "their lowest test loss); runs without a completed epoch are left out." %
                 (more, _files(n, "<code>/summary</code>")))


def fig_vanishing(sw, ctx):
    x = "task.seq_len"
    if x not in sw.keys or len({r.config.get(x) for r in sw.runs}) < 2:
        return None
    panel = "task.kind" if len({r.config.get("task.kind") for r in sw.runs}) > 1 else None
    by, dropped = coarsen(sw.runs, [k for k in sw.group_keys if k not in (x, panel)], MAX_LINES)
    fig = plots.vanishing(sw.runs, x, by, panel, sw.name)
    return fig, ("Best test accuracy (or, for runs selected by their loss, the lowest test loss) against the "
                 "sequence length, one line per %s, mean and standard deviation over seeds%s. From %s. "
                 "Same as <code>python3 -m analysis vanishing</code>.%s"
                 % (", ".join(k.split(".")[-1] for k in by) or "sweep",
                    ", one panel per task" if panel else "", _files(len(sw.runs), "<code>/summary</code>"),
                    _merged(dropped)))


def fig_curves(sw, ctx):
    ran = [r for r in sw.runs if len(r.history.get("epoch", [])) > 0]
    by, dropped = coarsen(ran, sw.group_keys, MAX_PANELS)
    fig = plots.curves_grid(ran, by, sw.name, MAX_PANELS)
    return fig, ("Learning curves per group of %s: the test metric per epoch (mean over the group's runs, "
                 "the band their spread) and the training metric dashed. From <code>/history</code> of %d "
                 "run files (<code>test_acc</code>, <code>train_acc</code>; <code>test_loss</code>, "
                 "<code>train_loss</code> for runs selected by their loss); epochs a diverged run did not "
                 "complete are left out.%s%s" % (", ".join("<code>%s</code>" % _e(k) for k in by) or "all runs",
                                                  len(ran), _merged(dropped),
                                                  " A black cross marks where a run stopped early (status "
                                                  "<code>stopped</code>): the line goes on with the promoted runs."
                                                  if any(r.stopped for r in ran) else ""))


def fig_gradients(sw, ctx):
    withres = [r for r in sw.runs if r.has_results]
    if not withres:
        return None
    panel = "task.kind" if len({r.config.get("task.kind") for r in withres}) > 1 else None
    by, dropped = coarsen(withres, [k for k in sw.group_keys if k != panel], MAX_LINES)
    # A transformer's top layer gets no gradient before the last step (a last-step head): the
    # gradient reaching the inputs is then the measure every cell shares.
    wrt = ("input" if any(r.config.get("model.cell") == "transformer" for r in withres)
           and all(r.has_input_gradient for r in withres) else "hidden")
    fig = plots.gradients(withres, by, panel, -1, "end", sw.name, wrt=wrt)
    what = ("d loss / d h<sub>t</sub> of the last layer" if wrt == "hidden" else
            "d loss / d x<sub>t</sub>, the gradient reaching the inputs (drawn instead of the last layer's "
            "d loss / d h<sub>t</sub>, which a transformer with a last-step head has only at the last step)")
    return fig, ("Gradient flow: the norm of %s at the last recorded "
                 "epoch against the number of steps before the end of the sequence, geometric mean over the "
                 "seeds (zeros, i.e. values flushed below 1e-38, left out), log scale. A line that falls "
                 "steeply to the left is a gradient that vanishes before reaching early steps. From "
                 "<code>/gradients/%s</code> of %d run files (failed runs have none).%s"
                 % (what, "dloss_dh_norm" if wrt == "hidden" else "dloss_dx_norm", len(withres), _merged(dropped)))


def fig_hidden(sw, ctx):
    r = ctx["hidden_run"]
    if r is None:
        return None
    fig, classes, _ = plots.hidden(r, -1, 0, "best")
    c = plots.U.counts(classes)
    why = ctx["hidden_why"]
    return fig, ("Hidden units of run <code>%s</code> (%s): 16 units of the last layer on probe sequence 0, with "
                 "the best-epoch weights, each titled by its class over all probe sequences (%s). From "
                 "<code>/probe/hidden_best</code> and <code>/probe/inputs</code> of <code>%s</code>; "
                 "<code>--run RUN_ID</code> picks another run."
                 % (_e(r.run_id), why, ", ".join("%d %s" % (c[k], k) for k in plots.U.CLASSES),
                    _e(os.path.basename(r.path))))


def fig_attention(sw, ctx):
    # One representative transformer run keeps the page small: the hidden-units run when it
    # has attention maps, else the transformer run with the best metric; its last layer, at
    # most 4 heads.
    cand = [r for r in sw.runs if "final" in r.attention_sets]
    if not cand:
        return None
    r = ctx["hidden_run"] if ctx["hidden_run"] in cand else None
    why = ctx["hidden_why"] if r is not None else ""
    if r is None:
        r = metrics.best(cand) or cand[0]
        why = "the best of the %d transformer run%s with attention maps" % (len(cand), "" if len(cand) == 1 else "s")
    fig = plots.attention(r, -1, None, "final", max_heads=4)
    return fig, ("Attention weights of run <code>%s</code> (%s): the last layer with the final weights, one "
                 "heatmap per head (at most 4), averaged over the probe sequences; row t is how query step t "
                 "spreads its attention over the key steps up to t. From <code>/probe/attention_final</code> of "
                 "<code>%s</code>. Same as <code>python3 -m analysis attention</code> (other runs, layers, heads, "
                 "<code>--best</code>)." % (_e(r.run_id), _e(why), _e(os.path.basename(r.path))))


def fig_parallel(sw, ctx):
    numeric = [k for k in sw.group_keys if all(_num(r.config.get(k)) for r in sw.runs)]
    search = sw.search()
    if len(numeric) < 3 and not search:
        return None
    keys = [k for k in sw.group_keys if len({repr(r.config.get(k)) for r in sw.runs}) > 1] or sw.group_keys
    fig = plots.parallel(sw.runs, keys, sw.name)
    return fig, ("Parallel coordinates%s: one line per run through its values of the swept keys, the epochs it "
                 "completed and its best metric, coloured by that metric (darker is better); dashed lines and "
                 "circles mark runs that stopped before their planned epochs, gray lines runs without a "
                 "metric. Shown because the sweep %s. From <code>/config</code> and <code>/summary</code> of "
                 "%d run files."
                 % (" (search: %s)" % _e(search) if search else "",
                    "is a sampled search" if search else "varies %d numeric keys" % len(numeric),
                    len(sw.runs)))


def rungs_table_html(dec):
    """The per-rung account of the decisions as a small HTML table."""
    pct = dec.metric.endswith("_acc")
    hyper = len(set(dec.bracket.tolist())) > 1
    rounds = dec.round is not None
    out = ['<table id="rungs"><thead><tr>%s%s<th>rung</th><th>epoch</th><th>runs</th><th>promoted</th>'
           '<th>stopped</th><th>cutoff%s</th></tr></thead><tbody>' % ("<th>round</th>" if rounds else "",
                                                                      "<th>bracket</th>" if hyper else "",
                                                                      " (%)" if pct else "")]
    for r in dec.rungs():
        cut = "-" if not math.isfinite(r["cutoff"]) else ("%.2f" % (100 * r["cutoff"]) if pct else
                                                           "%.4g" % r["cutoff"])
        out.append("<tr>%s%s%s</tr>" % ('<td class="n">%d</td>' % (r["round"] + 1) if rounds else "",
                                        '<td class="n">%d</td>' % r["bracket"] if hyper else "", "".join(
            '<td class="n">%s</td>' % v for v in (r["rung"], r["epoch"], r["runs"], r["promoted"], r["stopped"], cut))))
    out.append("</tbody></table>")
    return "".join(out)


def fig_rungs(sw, ctx):
    dec = sw.decisions
    if dec is None or not len(dec):
        return None
    fig = plots.rungs(dec, sw.name)
    stopped = sum(r.stopped for r in sw.runs)
    what = ("each run's configuration's metric at the rung's epoch (the mean of its seeds, which go on or stop "
            "together: <code>stop.by: configuration</code>)" if dec.by_configuration else
            "each run's metric at the rung's epoch")
    return fig, ("Early stopping (%s on <code>%s</code>, eta %d, min_epochs %d): every decision made at a rung, "
                 "%s, green if it was promoted, a red cross if it stopped "
                 "there; the black dash is the rung's cutoff. %d of %d complete runs have status "
                 "<code>stopped</code>. From <code>/decisions</code> of <code>sweep.h5</code> (%d rows); the "
                 "same per rung: %s Same as <code>python3 -m analysis rungs</code>."
                 % (_e(dec.kind), _e(dec.metric), dec.eta, dec.min_epochs, what, stopped, len(sw.runs), len(dec),
                    rungs_table_html(dec)))


def fig_search(sw, ctx):
    search = sw.search_points
    if search is None or not len(search) or not search.metric:
        return None
    fig = plots.search_progress(search, sw.name)
    known = np.isfinite(search.metric_value)
    best = int(np.nanargmax(search.metric_value) if search.mode == "max" else np.nanargmin(search.metric_value)) \
        if known.any() else -1
    pct = search.metric.endswith("_acc")
    best_text = ("; the best, point %d (%s, round %d): %s %s" % (
        best, _e(str(search.origin[best])), search.round[best] + 1, _e(search.metric),
        "%.2f%%" % (100 * search.metric_value[best]) if pct else "%.4g" % search.metric_value[best])
        if best >= 0 else "")
    rounds = ("%d startup points (Sobol), then rounds of %d chosen by TPE from every earlier point's result "
              "(round %d of %d so far)" % (search.startup, search.batch, search.rounds_known, search.rounds)
              if search.kind == "tpe" else "every point drawn before any run")
    return fig, ("The sampled search point by point: each point's %s (the mean of its runs) in the order the "
                 "points were chosen, colored by round, and the best so far; %s%s. From <code>/search</code> of "
                 "<code>sweep.h5</code> (%d points). Same as <code>python3 -m analysis search</code>."
                 % (_e(search.metric), rounds, best_text, len(search)))


def fig_pbt(sw, ctx):
    """A pbt search (sweep.h5 /pbt): the population with its exploits and the schedule of its
    first key, and the best member's lineage in the caption."""
    d = sw.dirs[0]
    try:
        with h5py.File(os.path.join(d, "sweep.h5"), "r") as ix:
            if "pbt" not in ix:
                return None
    except OSError:
        return None
    pbt = load.load_pbt(d)
    if not pbt.ids or not pbt.epochs:
        return None
    fig = plots.pbt_population(pbt, sw.name, pbt.keys[0])
    score = [(np.nanmin(r) if pbt.mode == "min" else -np.nanmax(r)) if np.isfinite(r).any() else np.inf
             for r in pbt.metric]
    best = int(np.argmin(score))
    hops = ["epoch %d from %s" % (e, _e(pbt.ids[dn])) for e, m, dn in pbt.exploits if m == best]
    return fig, ("A pbt search of %d members: every member's %s per epoch, each of the %d exploits drawn as a jump "
                 "at its barrier to the donor's value (whose weights, optimizer moments and step count the member "
                 "continues from), and %s per epoch, the best member (%s) in black; it continued from other "
                 "members' states %s. From <code>/pbt</code> of <code>sweep.h5</code> and the members' "
                 "<code>/history</code> and <code>/lineage</code>. Same as <code>python3 -m analysis pbt</code>."
                 % (len(pbt.ids), _e(pbt.metric_name), len(pbt.exploits), _e(pbt.keys[0]), _e(pbt.ids[best]),
                    "at " + ", ".join(hops) if hops else "never"))


# The costs the Pareto figure weighs the metric against (`sweep summarize --pareto`'s):
# (name, axis label, how a run gives it, log axis).
PARETO_COSTS = (
    ("s/run", "wall seconds per run (mean)", lambda r: r.attrs.get("wall_seconds"), True),
    ("params", "parameters", lambda r: r.summary.get("param_count"), True),
)


def _pareto_configs(sw, runs):
    """[(label, mean metric, {cost: mean cost})] of runs grouped by the sweep's keys, over
    their done and stopped runs (summarize's statistics)."""
    out = []
    for vals, group in load.group_runs(runs, sw.group_keys):
        used = [r for r in group if r.status in ("done", "stopped") and np.isfinite(metrics.value(r))]
        if not used:
            continue
        costs = {}
        for name, _, get, _ in PARETO_COSTS:
            c = [float(get(r)) for r in used if get(r) is not None and np.isfinite(float(get(r)))]
            costs[name] = float(np.mean(c)) if c else float("nan")
        lab = ",".join("%s=%s" % (k.split(".")[-1], v) for k, v in zip(sw.group_keys, vals))
        out.append((lab, float(np.mean([metrics.value(r) for r in used])), costs))
    return out


def fig_pareto(sw, ctx):
    modes = metrics.by_mode(sw.runs)
    if len(modes) != 1:
        return None
    low, runs = modes[0]
    configs = _pareto_configs(sw, runs)
    if len(configs) < 3:
        return None
    fig = plots.pareto(configs, [c[:2] + (c[3],) for c in PARETO_COSTS], low, metrics.label(low, runs), sw.name)
    values = [c[1] for c in configs]
    fronts = ["%d on the frontier against %s" % (len(metrics.pareto(values, [c[2][n] for c in configs], low)), n)
              for n, _, _, _ in PARETO_COSTS]
    return fig, ("The best metric against what a configuration costs, one dot per configuration (its runs' mean): "
                 "ringed and joined, the Pareto frontier, the configurations no other beats on both (as good or "
                 "better, and as cheap or cheaper); %d configurations, %s. From <code>/summary</code> and the "
                 "root attribute <code>wall_seconds</code>. Same as <code>sweep summarize DIR --pareto "
                 "best,s/run</code> (or <code>best,params</code>)." % (len(configs), "; ".join(fronts)))


# The figures, in page order: (anchor, heading, function, crop, inputs). A function returns
# (figure, caption) or None when the figure does not apply to this sweep. crop: the figure
# may put a legend outside its axes (plots._legend), so its PNG is cropped to what is drawn.
# inputs: what the figure is drawn from, so that a live page redraws it only when that
# changed (draw_figures' memo): "runs" every complete run file, "hidden" the one run whose
# hidden units it shows, "index" the sweep's sweep.h5 alone, "runs+index" both.
FIGURES = (
    ("metric", "Best metric against each swept key", fig_metric, False, "runs"),
    ("vanishing", "Best metric against sequence length", fig_vanishing, True, "runs"),
    ("curves", "Learning curves", fig_curves, False, "runs"),
    ("search", "Search: best so far against points evaluated", fig_search, False, "index"),
    ("pbt", "Population-based training: members, exploits and schedules", fig_pbt, False, "runs+index"),
    ("rungs", "Early stopping", fig_rungs, False, "runs"),
    ("gradients", "Gradient flow", fig_gradients, True, "runs"),
    ("hidden", "Hidden units", fig_hidden, False, "hidden"),
    ("attention", "Attention maps", fig_attention, False, "runs"),
    ("parallel", "Configurations (parallel coordinates)", fig_parallel, False, "runs"),
    ("pareto", "Metric against cost (Pareto frontier)", fig_pareto, False, "runs"),
)


def file_stamp(path):
    """(size, mtime, inode) of a file, None when it is not there: a writer that replaces a
    file whole gives its new version another stamp."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def runs_stamp(sw):
    """The complete run files a page is drawn from, each with its file_stamp."""
    return frozenset((r.path, file_stamp(r.path)) for r in sw.runs)


def _figure_inputs(sw, ctx, inputs):
    if inputs == "hidden":
        r = ctx["hidden_run"]
        return ("hidden", None) if r is None else ("hidden", r.path, file_stamp(r.path), ctx["hidden_why"])
    index = tuple(file_stamp(os.path.join(d, "sweep.h5")) for d in sw.dirs)
    if inputs == "index":
        return ("index",) + index
    if inputs == "runs+index":
        return ("runs+index", ctx["runs_stamp"]) + index
    return ("runs", ctx["runs_stamp"])


def pick_hidden_run(sw, run_id):
    """The run whose hidden units are drawn: run_id (a run id or a file), else the done run
    with the best metric. Returns (run or None, why it was chosen)."""
    if run_id:
        for r in sw.runs:
            if run_id in (r.run_id, r.path, os.path.basename(r.path)):
                if not r.has_results:
                    raise load.AnalysisError("--run %s: status %s, no /probe (%s)" % (run_id, r.status, r.error))
                return r, "chosen with --run"
        raise load.AnalysisError("--run %s: no such complete run in %s" % (run_id, sw.dir))
    best = metrics.best([r for r in sw.runs if r.has_results])
    if best is None:
        return None, ""
    v = metrics.value(best)
    return best, ("the sweep's best run: lowest test loss %.4g" % v if best.lower_is_better
                  else "the sweep's best run: %.2f%% best test accuracy" % v)


# ---------------------------------------------------------------- the page

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1b1b;
 max-width:1180px;margin:0 auto;padding:0 18px 40px}
h1{font-size:1.7em;margin:.6em 0 .1em}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
.desc{font-size:1.08em;color:#333;margin:.2em 0 .8em}.muted{color:#666;font-size:.9em}
nav a{margin-right:1em}code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.88em}
pre{background:#f6f6f4;border:1px solid #e2e2de;padding:10px;overflow:auto;white-space:pre-wrap}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.88em}
th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.cap{color:#444;font-size:.92em;margin-top:.2em}
table.sortable th{cursor:pointer;background:#f1f1ee;position:sticky;top:0;white-space:nowrap}
table.sortable th[aria-sort=ascending]:after{content:" \\25B2"}
table.sortable th[aria-sort=descending]:after{content:" \\25BC"}
tbody tr:nth-child(even){background:#fafaf8}
.facts th{background:none;width:11em;color:#444;font-weight:600}
.status span{display:inline-block;padding:0 7px;margin-right:5px;border-radius:9px;background:#eee}
.s-done{background:#d8f0d8!important}.s-failed{background:#f6d0cc!important}
.s-diverged{background:#f8e3c0!important}.s-pending{background:#e3e7f3!important}
.s-stopped{background:#e9e1f4!important}.s-running{background:#cfe6f7!important}
figure{margin:1.2em 0;break-inside:avoid}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:.92em;max-width:70em}.note{color:#8a5a00}
.wide{overflow-x:auto}.tall{max-height:34em;overflow-y:auto;border-bottom:1px solid #ddd}
@media print{nav,.noprint{display:none}body{max-width:none;font-size:11pt}h2{break-after:avoid}
 .tall{max-height:none;overflow:visible}
 table.sortable th{position:static}a{color:inherit;text-decoration:none}}
"""

# The table sorts on a click (or Enter) on its header: numbers by value, text in natural
# order, missing values last in both directions; a second click reverses.
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (t) {
  var ths = t.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths, function (th, i) {
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(ths, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var key = function (r) {
        var c = r.cells[i], v = c.getAttribute("data-v");
        return v === null ? c.textContent : v === "" ? null : parseFloat(v);
      };
      var rows = Array.prototype.slice.call(t.tBodies[0].rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return (x === null) - (y === null);
        var d = typeof x === "number" ? x - y : x.localeCompare(y, undefined, {numeric: true});
        return asc ? d : -d;
      });
      rows.forEach(function (r) { t.tBodies[0].appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
});
"""


def _status_counts(sw, running=()):
    """Runs per status of the complete files, then those without one: running (ids in
    `running`, which a live page knows from the heartbeats) and pending (the rest)."""
    counts = {}
    for r in sw.runs:
        counts[r.status] = counts.get(r.status, 0) + 1
    n_running = sum(1 for rid in sw.pending if rid in running)
    if n_running:
        counts["running"] = n_running
    if len(sw.pending) > n_running:
        counts["pending"] = len(sw.pending) - n_running
    return counts


def _values(n):
    return "1 value" if n == 1 else "%d values" % n


def _distinct(values):
    out = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def overview_html(sw, made, running=()):
    """The overview's facts; running: ids of the runs running now (a live page's), counted
    apart from the pending ones."""
    counts = _status_counts(sw, running)
    total = sum(counts.values())
    order = STATUSES + ("running", "pending")
    chips = "".join('<span class="s-%s">%s %d</span>' % (_e(s), _e(s), n)
                    for s, n in sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9))
    times = sorted(_distinct(str(r.attrs.get("created", "")) for r in sw.runs))
    secs = sum(float(r.attrs.get("wall_seconds", 0.0)) for r in sw.runs)
    programs = _distinct(str(r.attrs.get("program", "")) for r in sw.runs) or \
        _distinct([str(sw.index.get("program_version", ""))])
    libs = _distinct(str(r.attrs.get("library_versions", "")) for r in sw.runs) or \
        _distinct([str(sw.index.get("library_versions", ""))])
    # files do not record a host today; a writer that adds one (host, hostname) is shown
    hosts = _distinct(str(r.attrs.get("host", r.attrs.get("hostname", ""))) for r in sw.runs)
    rows = [("runs", '%d <span class="status">%s</span>%s' % (
        total, chips, ' <span class="muted">(still running, or stopped early: %d of %d runs have a complete '
                      'file)</span>' % (len(sw.runs), total) if sw.pending else "")),
        ("sweeps", ", ".join("%s (%d runs)" % (_e(lab), n) for lab, n in sw.sweeps)),
        ("swept keys" if set(sw.keys) <= set(load.swept_keys(sw.runs)) else "configuration keys", ", ".join("<code>%s</code> (%s)" % (_e(k), _values(len({repr(r.config.get(k)) for r in sw.runs})))
                                 for k in sw.keys) or "none"),
        ("written", "%s to %s (UTC), %.0f s of run time in all (%.1f h)" % (_e(times[0]), _e(times[-1]), secs,
                                                                           secs / 3600)
         if times else "-"),
        ("program", "<br>".join(_e(p) for p in programs) or "-"),
        ("libraries", "<br>".join(_e(p) for p in libs) or "-"),
        ("machine", "<br>".join(_e(h) for h in hosts) if hosts else
         'not recorded in the run files; this report was made on %s' % _e(made["host"]))]
    if len(sw.sweeps) < 2:
        rows = [r for r in rows if r[0] != "sweeps"]
    if sw.skipped:
        rows.append(("skipped files", "<br>".join(_e(s) for s in sw.skipped[:20]) +
                     (" and %d more" % (len(sw.skipped) - 20) if len(sw.skipped) > 20 else "")))
    return '<table class="facts">%s</table>' % "".join("<tr><th>%s</th><td>%s</td></tr>" % r for r in rows)


def problems_html(sw):
    bad = [r for r in sw.runs if r.status not in ("done", "stopped")]
    if not bad:
        return "<p>None: every complete run finished%s.</p>" % (
            " (%d not finished yet)" % len(sw.pending) if sw.pending else "")
    keys = sw.keys
    out = ['<div class="wide"><table id="problems" class="sortable"><thead><tr><th>run</th><th>status</th>']
    out += ["<th>%s</th>" % _e(k.split(".")[-1]) for k in keys]
    out.append("<th>epochs</th><th>error</th></tr></thead><tbody>")
    for r in bad[:MAX_PROBLEM_ROWS]:
        out.append("<tr><td><code>%s</code></td><td>%s</td>%s<td class=\"n\">%s / %s</td><td>%s</td></tr>" % (
            _e(r.run_id), _e(r.status), "".join("<td>%s</td>" % _e(r.config.get(k, "")) for k in keys),
            _e(r.summary.get("epochs_completed", "?")), _e(r.summary.get("epochs_planned", "?")),
            _e(r.error) or "-"))
    out.append("</tbody></table></div>")
    if len(bad) > MAX_PROBLEM_ROWS:
        out.append("<p>and %d more; <code>sweep summarize %s --runs</code> lists every run.</p>"
                   % (len(bad) - MAX_PROBLEM_ROWS, _e(sw.dir)))
    n = {s: sum(r.status == s for r in bad) for s in ("failed", "diverged")}
    out.insert(0, "<p>%d failed, %d diverged (status and <code>error</code>, root attributes of the run files; a "
                  "diverged run keeps its history up to the last finite epoch, a failed one has no results).</p>"
               % (n["failed"], n["diverged"]))
    return "".join(out)


def config_html(sw):
    """The config file of each directory's sweep (as its sweep.h5 keeps it; without one, the
    first run's resolved config), under its name when there are several."""
    out = []
    for name, dd, text in sw.configs:
        first = next((r for r in sw.runs if os.path.dirname(os.path.realpath(r.path)) == os.path.realpath(dd)),
                     sw.runs[0] if sw.runs else None)
        src = "the sweep's config file as <code>sweep.h5</code> keeps it" if text else \
            "no sweep.h5 with the config file: the first run's resolved config"
        text = text or (str(first.attrs.get("config", "")) if first else "")
        head = "<h3>%s (<code>%s</code>)</h3>" % (_e(name), _e(dd)) if len(sw.configs) > 1 else ""
        out.append('%s<p class="muted">%s</p><pre>%s</pre>' % (head, src, _e(text)))
    return "".join(out)


def build(d, out=None, run_id=None, sweep_bin=None, dpi=80, log=None):
    """Writes the report of sweep directory d (or of a list of directories, compared in one
    page) to `out` (default d/report.html; required for several) and returns
    (path, {"seconds": ..., "bytes": ..., "figures": n, "rows": n})."""
    t0 = time.time()
    log = log or (lambda msg: None)
    dirs = [d] if isinstance(d, str) else list(d)
    if len(dirs) > 1 and not out:
        raise load.AnalysisError("%d directories: say where the page goes with --out FILE" % len(dirs))
    from . import live            # live imports this module
    sw = Sweep(dirs)
    log("analysis package %s; %d complete runs read (%s)" % (os.path.dirname(os.path.abspath(__file__)),
                                                             len(sw.runs), _clock(t0)))
    made = made_now()
    # runs that a live process trains now (its heartbeat) count as running, not pending, as
    # on the live page and in `sweep status`
    running = {r["id"] for r, _ in live.running_now(sw, [p for x in dirs for p in live.read_heartbeats(x)])}
    running &= set(sw.pending)
    rows, table = table_section(sw, sweep_bin, log)
    figs = draw_figures(sw, run_id, dpi, log)
    page = page_html(sw, made, table, figs, {"running": running})
    out = write_page(out or os.path.join(dirs[0], "report.html"), page)
    return out, {"seconds": time.time() - t0, "bytes": len(page.encode("utf-8")),
                 "figures": sum(1 for f in figs if f[2]), "rows": len(rows or []), "runs": len(sw.runs),
                 "running": len(running), "pending": len(sw.pending) - len(running)}


def made_now():
    """Where and when a page is made: {"host": ..., "time": ...}."""
    return {"host": "%s (%s, %d cores)" % (platform.node(), _cpu_model(), os.cpu_count() or 0),
            "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}


def table_section(sw, sweep_bin, log):
    """The best-epoch table's section (`sweep summarize --format csv`): (rows or None, html)."""
    t1 = time.time()
    sweep_bin = find_sweep(sweep_bin)
    rows, why = summarize_csv(sweep_bin, sw.dirs) if sw.runs else ([], "")
    if rows is None:
        sys.stderr.write("analysis report: warning: %s; the page has no table\n" % why)
        cap = ""
    else:
        search = _is_search(sw.runs)
        cap = ("<code>sweep summarize %s</code>: one row per configuration (%severy key that differs between the "
               "runs, except the seed), %s; statistics over done runs%s, mean &plusmn; sample standard deviation "
               "over seeds (docs/summarize.md).%s Click a column title to sort by it, # for %s again."
               % (" ".join(_e(os.path.basename(os.path.normpath(x))) for x in sw.dirs),
                  "the sweep and " if len(sw.sweeps) > 1 else "",
                  "best first by the metric (a search)" if search else "in grid order",
                  " and early-stopped runs (with their best epoch so far)" if any(r.stopped for r in sw.runs) else "",
                  " The best epoch is chosen on the validation set: <i>val</i> is the metric that chose it, "
                  "<i>best</i> the test set's at that epoch." if any(r.has_validation for r in sw.runs) else "",
                  "that order" if search else "grid order"))
    log("table: %d rows from %s (%s)" % (len(rows or []), sweep_bin or "no program", _clock(t1)))
    parts = ['<section id="table"><h2>Best epoch per configuration</h2>']
    if rows is None:
        parts.append("<p>No table: %s. <code>sweep summarize %s</code> prints it.</p></section>"
                     % (_e(why), " ".join(_e(x) for x in sw.dirs)))
    else:
        bits = bool(sw.runs) and all(r.bits for r in sw.runs)
        parts.append('%s</section>' % table_html(rows, sw.keys, cap, "bits/char" if bits else "loss") if rows else
                     "<p>No complete run yet.</p></section>")
    return rows, "".join(parts)


def draw_figures(sw, run_id, dpi, log, memo=None):
    """The figures of FIGURES that apply: [(anchor, heading, (uri, w, h) or None, caption)].
    memo (a dict the caller keeps between pages, or None): each figure drawn is kept there
    with its inputs' stamps, and one whose inputs did not change is taken from there."""
    ctx = {}
    ctx["hidden_run"], ctx["hidden_why"] = pick_hidden_run(sw, run_id) if sw.runs else (None, "")
    ctx["runs_stamp"] = runs_stamp(sw) if memo is not None else None
    figs = []
    for anchor, heading, f, crop, inputs in FIGURES:
        if not sw.runs:
            break
        key = _figure_inputs(sw, ctx, inputs) if memo is not None else None
        if memo is not None and anchor in memo and memo[anchor][0] == key:
            entry = memo[anchor][1]
            log("figure %s kept (its inputs did not change)" % anchor)
        else:
            t1 = time.time()
            entry = _draw_figure(sw, ctx, anchor, heading, f, crop, dpi)
            if entry and entry[2]:
                log("figure %s (%s)" % (anchor, _clock(t1)))
            if memo is not None:
                memo[anchor] = (key, entry)
        if entry:
            figs.append(entry)
    return figs


def _draw_figure(sw, ctx, anchor, heading, f, crop, dpi):
    """One figure's (anchor, heading, (uri, w, h) or None, caption), None when it does not
    apply; a figure that fails is "Not drawn" with why, never the page's failure."""
    try:
        res = f(sw, ctx)
    except load.AnalysisError as e:
        return (anchor, heading, None, "Not drawn: %s." % _e(e))
    except Exception as e:        # one figure's failure must not cost the rest of the page
        sys.stderr.write("analysis report: warning: figure %s: %s: %s\n" % (anchor, type(e).__name__, e))
        return (anchor, heading, None, "Not drawn: %s: %s." % (type(e).__name__, _e(e)))
    if res is None:
        return None
    fig, caption = res
    return (anchor, heading, _png(fig, dpi, crop), caption)


def figure_html(anchor, heading, img, caption):
    parts = ['<section id="%s"><h2>%s</h2><figure>' % (anchor, _e(heading))]
    if img:
        uri, w, h = img
        parts.append('<img src="%s" width="%d" height="%d" alt="%s">' % (uri, w, h, _e(heading)))
        parts.append("<figcaption>%s</figcaption>" % caption)
    else:
        parts.append('<figcaption class="note">%s</figcaption>' % caption)
    parts.append("</figure></section>")
    return "".join(parts)


def page_html(sw, made, table, figs, live=None):
    """The whole page. live (the live report's, live.py): {"head": extra <head> markup (the
    reload), "nav": [(anchor, title)], "top": html before the overview, "script": js,
    "running": ids of the runs running now}."""
    live = live or {}
    dirs = sw.dirs
    parts = ["<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
             "<meta name=\"generator\" content=\"sweep analysis report\">", live.get("head", ""),
             "<title>%s: sweep report</title><style>%s</style></head><body>" % (_e(sw.name), STYLE),
             "<header><h1>%s</h1>" % _e(sw.name)]
    if sw.description:
        parts.append('<p class="desc">%s</p>' % _e(sw.description))
    parts.append('<p class="muted">%s <code>%s</code>; report made %s from the files alone.</p></header>'
                 % ("Directories" if len(dirs) > 1 else "Directory",
                    "</code>, <code>".join(_e(os.path.abspath(x)) for x in dirs), made["time"]))
    nav = live.get("nav", []) + [("overview", "Overview"), ("table", "Table")] + \
        [(a, h) for a, h, _, _ in figs] + [("problems", "Failed and diverged"), ("config", "Config")]
    parts.append('<nav class="noprint">%s</nav>' % "".join('<a href="#%s">%s</a>' % (a, _e(h)) for a, h in nav))
    parts.append(live.get("top", ""))
    parts.append('<section id="overview"><h2>Overview</h2>%s</section>' % overview_html(sw, made, live.get("running", ())))
    parts.append(table)
    parts += [figure_html(*f) for f in figs]
    parts.append('<section id="problems"><h2>Failed and diverged runs</h2>%s</section>' % problems_html(sw))
    parts.append('<section id="config"><h2>Config</h2>%s</section>' % config_html(sw))
    parts.append('<footer class="muted"><p>Made by <code>sweep report</code> (analysis/report.py): every figure '
                 'is a PNG inside this file; the page needs no network.</p></footer>')
    parts.append("<script>%s%s</script></body></html>\n" % (SCRIPT, live.get("script", "")))
    return "\n".join(parts)


def write_page(out, page):
    """Writes page to out through a temporary in the same directory and a rename, so that a
    reader (a browser reloading it) sees the old page or the new one, never half of one."""
    odir = os.path.dirname(out) or "."
    if not os.path.isdir(odir):
        raise load.AnalysisError("--out %s: directory %s does not exist" % (out, odir))
    tmp = os.path.join(odir, ".%s.tmp.%d" % (os.path.basename(out), os.getpid()))
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return out


def _clock(since):
    """'1.2 s, CPU 3.4 s in all': wall time since `since`, and the CPU time of this process
    and its children so far (the measure that other load on the machine hardly changes)."""
    t = os.times()
    return "%.1f s, CPU %.1f s in all" % (time.time() - since, t.user + t.system + t.children_user +
                                         t.children_system)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()
