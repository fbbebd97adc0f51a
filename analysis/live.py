"""The report that keeps itself current while a sweep runs.

`sweep CONFIG --report` (or record.report) starts `python3 -m analysis report DIR --live`,
which reads one line per event on its standard input ("run": a run's file was written,
"barrier": a rung, round or generation closed, "end" or "interrupted": the sweep ended)
and rewrites DIR/report.html at each event, and otherwise when something changed but at
most every --report-every seconds. `sweep report DIR --watch` does the same for a directory
other processes write (shards, MPI ranks, array tasks on other hosts): it polls the
directory, and ends when the sweep is complete. Neither takes the sweep's lock: they read
complete run files (written under a temporary name, then renamed), checkpoints (replaced
whole) and the heartbeats (src/sweep/live.h, replaced whole).

While the sweep runs the page reloads itself (a script, or a meta refresh where scripts are
off), keeps its scroll position, and has a pause switch that survives reloads; it says when
it was written and what still runs: each running run's curve so far (from its checkpoint's
/history), epoch, metric and ETA (from its process's heartbeat). The last page does not
reload.

Cost: run files and checkpoints are read again only when their size or mtime changed
(RunCache). The parts that cost more, the table (`sweep summarize`, which reads every run),
the figures and the running runs' curves, are redrawn when what they are drawn from changed,
and only while the report's whole CPU time (from its start, imports included, with the last
page's cost set aside) stays within CPU_BUDGET of the sweep's own (--watch, or without
/proc: at most every max(--report-every, HEAVY_FACTOR times their last cost) seconds, or
at a barrier). The last page redraws the table and every figure whose inputs changed. Each
rewrite in between keeps them and counts and lists the runs finished since.
"""

import glob
import html
import math
import os
import select
import socket
import sys
import time

import h5py
import numpy as np

from . import load, report

HEARTBEAT_PREFIX = ".sweep-live."
HEARTBEAT_VERSION = "1"
HEARTBEAT_STALE = 60.0      # src/sweep/live.h SW_LIVE_STALE
# The table and figures are redrawn at most every HEAVY_FACTOR times what their last drawing
# cost (CPU seconds): at most 1/HEAVY_FACTOR of one core spent on them (--watch, or where
# the sweep's CPU time cannot be read).
HEAVY_FACTOR = 40.0
# The sweep's own live report spends at most this fraction of the CPU time the sweep has
# used (read from /proc/PPID/stat), counted from the report's start (its imports, every
# page) and with the last page's expected cost set aside: a run that finished is always
# counted and listed, but the table, the figures and the running runs' curves wait until
# the budget allows them. (The last page, which is complete, and the rewrites after each
# run, which are cheap, are made whatever the budget.)
CPU_BUDGET = 0.0125
# The page's reload interval is the rewrite interval, between these (seconds).
RELOAD_MIN, RELOAD_MAX = 2, 10
# --watch looks at the directory at least this often (seconds).
WATCH_POLL = 5.0
# Running runs drawn in the curves figure at most (the table lists them all).
MAX_RUNNING_LINES = 16


def _e(s):
    return html.escape(str(s), quote=True)


def _cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class RunCache:
    """Run files and checkpoints read once per version: keyed by path, size and mtime (a
    sweep replaces a file whole, so a new version has a new inode, size or mtime). reads
    lists the paths read since reset_reads()."""

    def __init__(self):
        self._runs, self._ckpts, self.reads = {}, {}, []

    @staticmethod
    def _key(path):
        st = os.stat(path)
        return (st.st_size, st.st_mtime_ns, st.st_ino)

    def reset_reads(self):
        self.reads = []

    def _get(self, table, path, loader):
        key = self._key(path)
        hit = table.get(path)
        if hit and hit[0] == key:
            return hit[1]
        self.reads.append(path)
        try:
            value = loader(path)
        except load.AnalysisError as e:
            table[path] = (key, e)
            raise
        table[path] = (key, value)
        return value

    def run(self, path):
        v = self._get(self._runs, path, load.Run)
        if isinstance(v, Exception):
            raise v
        return v

    def checkpoint(self, path):
        """{"epoch": int, "history": {column: array}} of a checkpoint, or None when it does
        not read (damaged, or not a checkpoint)."""
        try:
            return self._get(self._ckpts, path, read_checkpoint)
        except (OSError, load.AnalysisError):
            return None


def read_checkpoint(path):
    try:
        f = h5py.File(path, "r")
    except (OSError, IOError) as e:
        raise load.AnalysisError("%s: cannot open as HDF5 (%s)" % (path, e))
    with f:
        epoch = int(f.attrs.get("epoch", 0))
        hist = {}
        if "history" in f:
            for k, d in f["history"].items():
                if isinstance(d, h5py.Dataset) and d.ndim == 1:
                    hist[k] = np.asarray(d[()], dtype=float)[:epoch]
    return {"epoch": epoch, "history": hist}


def read_heartbeats(d, now=None):
    """The heartbeats in d (src/sweep/live.h) as dicts: host, pid, rank, alive, gone (why not
    alive), updated, interval, runs, finished, pending, eta (None: unknown), running (list of
    dicts: id, epoch, until, resumed, started, epoch_end, value, best, metric). A file that
    does not parse is left out; one of a process that is gone has alive False."""
    now = time.time() if now is None else now
    out = []
    for path in sorted(glob.glob(os.path.join(glob.escape(d), HEARTBEAT_PREFIX + "*"))):
        if path.endswith(".tmp"):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        if not lines or lines[0] != "sweep-live " + HEARTBEAT_VERSION:
            continue
        p = {"file": path, "running": [], "eta": None, "interval": 10.0}
        try:
            for line in lines[1:]:
                k, _, v = line.partition(" ")
                if k == "run":
                    f = v.split(" ", 8)
                    p["running"].append({"epoch": int(f[0]), "until": int(f[1]), "resumed": int(f[2]),
                                         "started": float(f[3]) if f[3] != "-" else 0.0,
                                         "epoch_end": float(f[4]) if f[4] != "-" else 0.0,
                                         "value": float(f[5]), "best": float(f[6]), "metric": f[7], "id": f[8]})
                elif k in ("host", "sweep"):
                    p[k] = v
                elif k in ("pid", "runs", "finished", "pending", "report"):
                    p[k] = int(v)
                elif k in ("started", "updated", "interval"):
                    p[k] = float(v)
                elif k == "eta":
                    p[k] = None if v == "-" else float(v)
                elif k == "rank":
                    p["rank"] = int(v.split()[0])
        except (ValueError, IndexError):
            continue
        if "updated" not in p or "pid" not in p:
            continue
        p["alive"], p["gone"] = True, ""
        if p.get("host") == socket.gethostname() and not _pid_alive(p["pid"]):
            p["alive"], p["gone"] = False, "process %d is no longer running" % p["pid"]
        elif now - p["updated"] > HEARTBEAT_STALE + p["interval"]:
            p["alive"], p["gone"] = False, "not heard from for %.0f s" % (now - p["updated"])
        out.append(p)
    return out


def running_now(sw, beats):
    """The runs the live processes among beats (read_heartbeats) train now and that have no
    complete file in sw (a report.Sweep; a stopped run's file does not count, as it may be
    promoted): [(run dict, process dict)], as `sweep status` counts them running."""
    have = {r.run_id for r in sw.runs if r.status != "stopped"}
    return [(r, p) for p in beats if p["alive"] for r in p["running"] if r["id"] not in have]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_eta(r, now):
    """Seconds left of a running job at the pace of its epochs so far; None before its first."""
    done = r["epoch"] - r["resumed"]
    if done < 1 or r["epoch_end"] <= 0 or r["started"] <= 0:
        return None
    return max(0.0, (r["until"] - r["epoch"]) * (r["epoch_end"] - r["started"]) / done - (now - r["epoch_end"]))


def _duration(s):
    if s is None or not math.isfinite(s):
        return "--"
    s = int(round(s))
    if s < 60:
        return "%ds" % s
    if s < 3600:
        return "%dm%02ds" % (s // 60, s % 60)
    return "%dh%02dm" % (s // 3600, (s % 3600) // 60)


def _metric(name, v):
    if v is None or not math.isfinite(v):
        return "--"
    return "%.2f%%" % (100 * v) if name.endswith("_acc") else "%.4g" % v


class Live:
    """The live report of dirs (a list of directories), written to out. mode: "live" (the
    sweep's own), "watch" (sweep report --watch)."""

    def __init__(self, dirs, out, every, sweep_bin=None, dpi=80, mode="live", log=None):
        self.dirs, self.out, self.every, self.sweep_bin, self.dpi, self.mode = dirs, out, every, sweep_bin, dpi, mode
        self.log = log or (lambda m: None)
        self.cache = RunCache()
        self.heavy = None            # (runs drawn: report.runs_stamp, rows, table html, figs)
        self.heavy_at, self.heavy_cost = 0.0, 0.0
        self.final_cost = 0.0        # the most a redraw of the table and figures has cost: the last page's
        self.figures = {}            # report.draw_figures' memo: each figure with its inputs' stamps
        self.fingerprint = None
        self.started = time.time()
        self.parent = os.getppid() if mode == "live" else None
        self.running_img = None      # the running runs' figure as last drawn (html)
        self.running_key = None      # what it was drawn from: run ids and checkpoint stamps
        self.running_drawn = False   # whether running_img is a figure (not "no checkpoint yet")
        self.running_cost = 0.3      # what drawing it cost last (CPU seconds; a guess before)
        self.last = {}               # what the last rewrite measured: runs, read, seconds, cpu, heavy

    # ---- what changed
    def snapshot(self):
        """Names, sizes and mtimes of what the page is made of (run files, the index,
        checkpoints, heartbeats): a rewrite is due when this changes."""
        items = []
        for d in self.dirs:
            try:
                names = os.listdir(d)
            except OSError:
                continue
            for n in names:
                if n.endswith((".h5", ".ckpt")) and not n.startswith(".") or n.startswith(HEARTBEAT_PREFIX):
                    try:
                        st = os.stat(os.path.join(d, n))
                    except OSError:
                        continue
                    items.append((d, n, st.st_size, st.st_mtime_ns))
        return tuple(sorted(items))

    def changed(self):
        return self.snapshot() != self.fingerprint

    def sweep_cpu(self):
        """The sweep process's CPU seconds so far (all its threads), None where unknown."""
        if not self.parent:
            return None
        try:
            with open("/proc/%d/stat" % self.parent) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def affordable(self, cost):
        """Whether spending `cost` more CPU seconds keeps this process's CPU time so far (its
        children's included), with the last page's expected cost set aside, within
        CPU_BUDGET of the sweep's CPU time; None when the sweep's CPU time is unknown (then
        the rule of time applies)."""
        s = self.sweep_cpu()
        if s is None:
            return None
        return _cpu() + cost + self.final_cost <= CPU_BUDGET * s

    # ---- the page
    def rewrite(self, final=False, force_heavy=False, note=""):
        """Writes the page now (final: the last one, which does not reload). Returns the Sweep read."""
        t0, c0 = time.time(), _cpu()
        self.fingerprint = self.snapshot()
        self.cache.reset_reads()
        sw = report.Sweep(self.dirs, cache=self.cache)
        beats = [p for d in self.dirs for p in read_heartbeats(d)]
        stamp = report.runs_stamp(sw)
        budget = self.affordable(self.heavy_cost)
        due = self.heavy is None or final or (budget if budget is not None else force_heavy or (
            time.time() - self.heavy_at >= max(self.every, HEAVY_FACTOR * self.heavy_cost)))
        if self.heavy is None or (due and stamp != self.heavy[0]):
            h0 = _cpu()
            rows, table = report.table_section(sw, self.sweep_bin, self.log)
            figs = report.draw_figures(sw, None, self.dpi, self.log, memo=self.figures)
            self.heavy = (stamp, rows, table, figs)
            self.heavy_at, self.heavy_cost = time.time(), _cpu() - h0
            self.final_cost = max(self.final_cost, self.heavy_cost)
            heavy = True
        else:
            heavy = False
        _, rows, table, figs = self.heavy
        drawn = {path for path, _ in self.heavy[0]}
        fresh = [r for r in sw.runs if r.path not in drawn]
        live = self._live_parts(sw, beats, fresh, final, note)
        page = report.page_html(sw, report.made_now(), table, figs, live)
        report.write_page(self.out, page)
        self.last = {"runs": len(sw.runs), "read": len(self.cache.reads), "seconds": time.time() - t0,
                     "cpu": _cpu() - c0, "heavy": heavy, "running": live["n_running"], "pending": live["n_pending"]}
        self.log("rewrote %s: %d runs (%d files read), %s, %.2f s (CPU %.2f s)%s"
                 % (self.out, len(sw.runs), len(self.cache.reads), "table and figures redrawn" if heavy else
                    "table and figures kept", self.last["seconds"], self.last["cpu"], " (final)" if final else ""))
        if final:
            s = self.sweep_cpu()
            self.log("the report's CPU time in all: %.2f s%s" % (_cpu(), "" if s is None else
                                                                  ", the sweep's so far: %.2f s (%.2f%%)"
                                                                  % (s, 100 * _cpu() / s if s > 0 else 0)))
        return sw, beats

    def _live_parts(self, sw, beats, fresh, final, note):
        now = time.time()
        running = running_now(sw, beats)
        ids = {r["id"] for r, _ in running}
        n_pending = len([x for x in sw.pending if x not in ids])
        eta = max([p["eta"] for p in beats if p["alive"] and p.get("runs", 0) > 0 and p["eta"] is not None],
                  default=None)
        reload_s = int(min(RELOAD_MAX, max(RELOAD_MIN, self.every)))
        when = report.made_now()["time"]
        parts = ['<section id="live"><h2>%s</h2>' % ("Now" if not final else "The sweep")]
        if final:
            parts.append('<p class="live-state">Final page, written %s%s: it no longer reloads. %d runs complete, '
                         '%d pending.%s</p>' % (_e(when), _e(note), len(sw.runs), n_pending, (
                             " The pending runs wait for the same command (which resumes them), or for other "
                             "processes (shards) still running: <code>sweep report %s --watch</code> follows "
                             "them, <code>sweep status %s</code> says which." % (_e(sw.dirs[0]), _e(sw.dirs[0])))
                             if n_pending else ""))
        else:
            parts.append('<p class="live-state">Written %s while the sweep runs: <b id="live-running">%d running'
                         '</b>, %d complete, %d pending; sweep ETA %s. Rewritten when a run finishes and otherwise '
                         'at most every %g s; this page reloads every %d s, keeping its place. '
                         '<label class="noprint"><input type="checkbox" id="live-pause"> pause reloading</label>'
                         ' <span id="live-paused" class="muted"></span></p>'
                         % (_e(when), len(running), len(sw.runs), n_pending, _duration(eta), self.every, reload_s))
        gone = [p for p in beats if not p["alive"]]
        if gone:
            parts.append('<p class="muted">%s</p>' % "; ".join(
                "%s:%s gone (%s), its runs count as pending" % (_e(p.get("host", "?")), p["pid"], _e(p["gone"]))
                for p in gone))
        if running:
            parts.append(self._running_table(running, now))
            parts.append(self._running_figure_kept(running, final))
        if fresh:
            parts.append('<p>Finished since the table and figures below were drawn (they are redrawn %s): %s.</p>'
                         % ("while this report's CPU time stays within %g%% of the sweep's" % (100 * CPU_BUDGET)
                            if self.parent and self.sweep_cpu() is not None else
                            "at most every %s" % _duration(max(self.every, HEAVY_FACTOR * self.heavy_cost)), ", ".join(
                             "<code>%s</code> %s %s" % (_e(r.run_id), _e(r.status), _metric(r.metric, r.best_metric))
                             for r in fresh[:50]) + (" and %d more" % (len(fresh) - 50) if len(fresh) > 50 else "")))
        parts.append("</section>")
        head = "" if final else '<noscript><meta http-equiv="refresh" content="%d"></noscript>' % reload_s
        script = "" if final else LIVE_SCRIPT.replace("RELOAD_SECONDS", str(reload_s))
        return {"head": head, "nav": [("live", "Now" if not final else "The sweep")], "top": "".join(parts),
                "script": script, "n_running": len(running), "n_pending": n_pending, "running": ids}

    def _running_table(self, running, now):
        rows = []
        for r, p in running:
            started = r["epoch"] > r["resumed"]
            rows.append('<tr class="running"><td><code>%s</code></td><td>running</td><td class="n">%d / %d</td>'
                        '<td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td>%s:%d</td></tr>'
                        % (_e(r["id"]), r["epoch"], r["until"], _e(r["metric"]),
                           _metric(r["metric"], r["value"]) if started else "--",
                           _metric(r["metric"], r["best"]) if started else "--",
                           _duration(run_eta(r, now)), _e(p.get("host", "?")), p["pid"]))
        return ('<div class="wide"><table id="running"><thead><tr><th>run</th><th>state</th><th>epoch</th>'
                '<th>metric</th><th>now</th><th>best</th><th>ETA</th><th>where</th></tr></thead><tbody>%s'
                '</tbody></table></div>' % "".join(rows))

    def _running_figure_kept(self, running, final):
        """The running runs' figure: drawn again when a run started or ended or a checkpoint
        changed, and the budget allows it (the last page: always); else as last drawn."""
        key = tuple((r["id"], report.file_stamp(os.path.join(d, r["id"] + ".ckpt")))
                    for r, _ in running[:MAX_RUNNING_LINES] for d in self.dirs)
        # until a first figure is drawn (no checkpoint yet when the first runs started), the
        # next checkpoint draws one whatever the budget: else a tight budget shows none at all
        if key != self.running_key and (final or not self.running_drawn or
                                        self.affordable(self.running_cost) is not False):
            c0 = _cpu()
            self.running_img = self._running_figure(running)
            self.running_key, self.running_cost = key, _cpu() - c0
            self.running_drawn = self.running_img.startswith("<figure")
        return self.running_img

    def _running_figure(self, running):
        """The running runs' curves so far, from their checkpoints' /history."""
        curves = []
        for r, _ in running[:MAX_RUNNING_LINES]:
            for d in self.dirs:
                path = os.path.join(d, r["id"] + ".ckpt")
                if os.path.exists(path):
                    ck = self.cache.checkpoint(path)
                    col = (ck or {}).get("history", {}).get(r["metric"])
                    if col is not None and len(col) and np.isfinite(col).any():
                        curves.append((r["id"], col))
                    break
        if not curves:
            return ('<p class="muted">No checkpoint with a history yet (a run writes one every '
                    'record.checkpoint_every epochs, at most about once per second of its work).</p>')
        import matplotlib.pyplot as plt
        import matplotlib.ticker
        metric = running[0][0]["metric"]
        fig, ax = plt.subplots(figsize=(7.5, 3.2))
        for rid, col in curves:
            y = 100 * col if metric.endswith("_acc") else col
            ax.plot(np.arange(1, len(col) + 1), y, marker="o", ms=2.5, lw=1.2, label=rid)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel(metric + (" (%)" if metric.endswith("_acc") else ""))
        ax.grid(alpha=.3)
        if len(curves) <= 8:
            ax.legend(fontsize=7, loc="best")
        uri, w, h = report._png(fig, self.dpi, False)
        return ('<figure id="running-curves"><img src="%s" width="%d" height="%d" alt="running runs\' curves">'
                '<figcaption>The running runs\' <code>%s</code> so far (%d of %d), from their checkpoints\' '
                '<code>/history</code> as of %s: they end at the last checkpoint, not at the epoch above.'
                '</figcaption></figure>' % (uri, w, h, _e(metric), len(curves), len(running),
                                            time.strftime("%H:%M:%S UTC", time.gmtime())))

    def complete(self, sw, beats):
        """No run pending and no process alive: the sweep is over (for --watch)."""
        running = any(p["alive"] and (p["running"] or p.get("pending", 0) > 0) for p in beats)
        return not sw.pending and not running and bool(sw.runs or sw.table)


# The page's reloading: the pause switch and the scroll position live in window.name, which
# survives reloads of the same tab (file:// pages have no reliable storage in every browser).
LIVE_SCRIPT = """
(function () {
  var st = {};
  try { st = JSON.parse(window.name || "{}") || {}; } catch (e) { st = {}; }
  if (typeof st !== "object") st = {};
  var box = document.getElementById("live-pause"), note = document.getElementById("live-paused");
  function save() { st.y = window.scrollY; window.name = JSON.stringify(st); }
  if (typeof st.y === "number") window.scrollTo(0, st.y);
  box.checked = !!st.paused;
  function show() { note.textContent = st.paused ? "(paused: reload by hand, or untick to resume)" : ""; }
  show();
  var timer = null;
  function arm() {
    if (timer) clearTimeout(timer);
    timer = st.paused ? null : setTimeout(function () { save(); location.reload(); }, RELOAD_SECONDS * 1000);
  }
  box.addEventListener("change", function () { st.paused = box.checked; save(); show(); arm(); });
  window.addEventListener("scroll", function () { st.y = window.scrollY; window.name = JSON.stringify(st); });
  arm();
})();
"""


def serve(lv, stream=None):
    """The sweep's live report: events on stream (a file descriptor; default standard input),
    rewrites, and the last page when told "end"/"interrupted" or at end of input. Returns 0."""
    fd = sys.stdin.fileno() if stream is None else stream
    lv.rewrite()
    last, buf = time.time(), b""
    while True:
        wait = max(0.0, last + lv.every - time.time())
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            if lv.changed() and lv.affordable(lv.last.get("cpu", 0.1)) is not False:
                lv.rewrite()
            last = time.time()
            continue
        data = os.read(fd, 4096)
        if not data:
            lv.rewrite(final=True, note=" (the sweep's process ended without saying so)")
            return 0
        buf += data
        lines, buf = buf.split(b"\n")[:-1], buf.split(b"\n")[-1]
        words = {w.strip().decode("ascii", "replace") for w in lines}
        if words & {"end", "interrupted"}:
            lv.rewrite(final=True, note=" (the sweep was interrupted: the same command resumes it)"
                       if "interrupted" in words else "")
            return 0
        if words & {"run", "barrier"}:
            lv.rewrite(force_heavy="barrier" in words)
            last = time.time()


def watch(lv):
    """sweep report DIR --watch: polls, rewrites when something changed (at once when a run
    file appeared, else at most every lv.every seconds), and writes the last page when the
    sweep is complete. Returns 0; Ctrl-C writes a last page too."""
    runs_seen, last = None, 0.0
    try:
        while True:
            snap = lv.snapshot()
            runs_now = frozenset(x[:2] for x in snap)     # a file appeared or went
            due = snap != lv.fingerprint and (runs_now != runs_seen or time.time() - last >= lv.every)
            if due:
                try:
                    sw, beats = lv.rewrite()
                except load.AnalysisError as e:     # nothing written there yet
                    lv.log("waiting: %s" % e)
                    sw = None
                runs_seen, last = runs_now, time.time()
                if sw is not None and lv.complete(sw, beats):
                    lv.rewrite(final=True)
                    return 0
            time.sleep(min(WATCH_POLL, lv.every))
    except KeyboardInterrupt:
        try:
            lv.rewrite(final=True, note=" (--watch was stopped; the sweep may still run)")
        except load.AnalysisError:
            pass
        return 130
