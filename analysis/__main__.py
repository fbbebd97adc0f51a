"""python3 -m analysis {curves,hidden,gradients,vanishing,rungs,search,pbt,attention} ... -> PNG figures;
python3 -m analysis report DIR -> DIR/report.html (also `sweep report DIR`).

Errors the user can fix (missing directory, no run files, a file that is
not a sweep run, an unknown key) print one line and exit with status 2.
"""

import argparse
import os
import sys

EPILOG = """\
workflow:
  sweep configs/vanishing.yaml                    # runs into runs/vanishing
  sweep summarize runs/vanishing                  # best-epoch table
  python3 -m analysis vanishing runs/vanishing    # accuracy vs sequence length
  python3 -m analysis curves runs/vanishing --where task.kind=mean_sign
  python3 -m analysis gradients runs/vanishing --out figs/
  python3 -m analysis hidden runs/vanishing/RUN.h5
  python3 -m analysis rungs runs/search            # early stopping: who was promoted or stopped where
  python3 -m analysis search runs/search           # a sampled search: each point and the best so far
  python3 -m analysis pbt runs/pbt                 # a pbt search: members, exploits, the lr schedule
  python3 -m analysis attention runs/vanishing --where model.cell=transformer   # attention maps
  python3 -m analysis report runs/vanishing       # everything in one page: runs/vanishing/report.html

Needs Debian's python3-h5py, python3-numpy, python3-matplotlib (/usr/bin/python3).
Figures are PNG; --out takes a file name or an existing directory.
See analysis/README.md for the unit classifier's criterion."""


def _hidden_epilog():
    # thresholds from units.py, so the help cannot drift from the code
    from . import units as U
    return """\
classification (per unit of the chosen layer, over all probe sequences; analysis/README.md):
  corr   = Pearson r across sequences of h_t with the running mean of the input
           (mean over features and over steps <= t), averaged over steps t >= T/2
  r1     = lag-1 autocorrelation of h_t around each sequence's time mean
  flips  = fraction of steps where h_t changes sign
  other        if std(h) < %g (constant), else
  accumulator  if |corr| >= %g, else
  oscillator   if r1 <= %g and flips >= %g, else
  transient    if r1 < %g, else
  other""" % (U.MIN_STD, U.ACC_CORR, U.OSC_R1, U.OSC_FLIPS, U.TRANS_R1)


def _keys(s):
    return [k.strip() for k in s.split(",") if k.strip()] if s else []


def _common(p, what):
    p.add_argument("--out", "-o", metavar="PATH",
                   help="PNG file or directory to write into (default: ./%s)" % what)
    p.add_argument("--dpi", type=int, default=90, help="resolution of the PNG (default 90)")


def _filters(p):
    p.add_argument("--where", action="append", metavar="KEY=V[,V...]", default=[],
                   help="keep only runs whose config KEY has one of the values (repeatable), "
                        "e.g. --where task.kind=mean_sign --where cell=rnn,gru; keys as in a config: "
                        "dotted or short (lr, cell, seq_len)")
    p.add_argument("--by", metavar="KEY[,KEY...]",
                   help="config keys that define a line (default: every key whose value differs "
                        "between the runs, swept or not, except seed and the panel/x keys; 'sweep' "
                        "first for runs of several sweeps); runs that share them are averaged over")


def _arg(*flags, **kw):
    """One argument of a command: add_argument's flags and keywords, kept for the table."""
    return flags, kw


DIR_OR_RUN = _arg("dir", metavar="DIR", help="sweep output directory (or one run file)")
INDEX_DIR = _arg("dir", metavar="DIR", help="sweep output directory (its sweep.h5)")
LAYER = _arg("--layer", type=int, default=-1, help="layer, from 0; -1 = last (default)")
PANEL = _arg("--panel", metavar="KEY", help="one panel per value of KEY (default task.kind when it varies; "
                                            "'none' for one panel)")


def _commands():
    """The subcommands, one row each: name, the function that runs it, its one-line help, its
    description, its arguments in order, whether it takes the run filters (--where, --by) and
    the PNG it writes by default (None: no --out/--dpi of _common). Extra keywords go to
    add_parser. build_parser turns the rows into parsers."""
    return [
        dict(name="curves", func=cmd_curves, png="curves.png", filters=True,
             help="train/test loss and accuracy per epoch, mean and min-max band over seeds",
             description="2x2 panels: train loss, test loss, train accuracy, test accuracy per "
                         "epoch; with a validation set (task.val_size) 2x3, the third column "
                         "validation loss and accuracy (what chose the best epoch). One line per "
                         "configuration (the mean over its seeds) with a band from the minimum to "
                         "the maximum; a cross where a run stopped early. Runs selected by their "
                         "test loss (regression: adding) get the loss panels only (one row: train, "
                         "test and, with a validation set, validation loss), lower is better; a "
                         "task's baseline loss (adding 1/6, copy 10 ln 8/(T+20)) is a dashed line.",
             args=[DIR_OR_RUN]),
        dict(name="hidden", func=cmd_hidden, png="hidden.png",
             help="4x4 hidden-unit trajectories and unit classes of one run",
             description="Trajectories h_t of 16 hidden units on one probe sequence, and every "
                         "unit of the layer classified (over all probe sequences) as accumulator, "
                         "transient, oscillator or other; counts and the accumulators' "
                         "correlations are printed.",
             epilog=_hidden_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
             args=[_arg("run", metavar="RUN.h5", help="a run file (a directory: its first run with results)"),
                   LAYER,
                   _arg("--probe", type=int, default=0, help="probe sequence to draw (default 0)"),
                   _arg("--weights", choices=("best", "final"), default="best",
                        help="hidden states computed with the best-epoch or final weights (default best)"),
                   _arg("--first-unit", type=int, default=0, metavar="U", help="draw units U..U+15 (default 0)")]),
        dict(name="gradients", func=cmd_gradients, png="gradients.png", filters=True,
             help="||dl/dh_t|| against t on a log axis; --run: heatmap epoch x t",
             description="The norm of the loss gradient reaching h_t (/gradients/dloss_dh_norm) "
                         "at the last recorded epoch, one line per configuration (geometric "
                         "mean over seeds; zeros are left out), one panel per task.kind when it "
                         "varies. With --run, a heatmap recorded epoch x t of one run. "
                         "--wrt input draws the gradient reaching the inputs x_t instead "
                         "(/gradients/dloss_dx_norm), comparable across every cell.",
             args=[DIR_OR_RUN,
                   _arg("--run", metavar="RUN_ID|RUN.h5", help="heatmap epoch x t of this run instead"),
                   LAYER,
                   _arg("--wrt", choices=("hidden", "input"), default="hidden",
                        help="the gradient reaching each layer's h_t (default; --layer picks the layer) or "
                             "the one reaching the inputs x_t (/gradients/dloss_dx_norm): the same measure for "
                             "every cell, where a transformer's top layer gets no gradient before the last step"),
                   _arg("--align", choices=("end", "start"), default="end",
                        help="x axis: steps before the end T-1-t (default; lines of different T line up "
                             "where the loss is) or time step t"),
                   PANEL]),
        dict(name="vanishing", func=cmd_vanishing, png="vanishing.png", filters=True,
             help="best test accuracy (or MSE) against sequence length per cell, std over seeds",
             description="Best test accuracy (%%) against the sequence length (log axis), one "
                         "line per cell, error bars = standard deviation over seeds, one panel "
                         "per task.kind when it varies. A panel of runs selected by their test "
                         "loss (regression: adding) plots the best test MSE, lower is better, with "
                         "the baseline dashed.",
             args=[_arg("dir", metavar="DIR", help="sweep output directory"),
                   _arg("--x", default="task.seq_len", metavar="KEY", help="x axis key (default task.seq_len)"),
                   PANEL]),
        dict(name="rungs", func=cmd_rungs, png="rungs.png",
             help="early stopping: each run's metric per rung, promoted or stopped, cutoffs",
             description="The decisions of an early-stopping sweep (sweep.h5 /decisions): one panel "
                         "per bracket, the rung's epoch on x, each run's metric there on y; promoted "
                         "runs green, stopped runs red crosses, each rung's cutoff a black dash. "
                         "Prints the account per rung (runs, promoted, stopped, cutoff).",
             args=[INDEX_DIR]),
        dict(name="search", func=cmd_search, png="search.png",
             help="a sampled search: each point's metric and the best so far, by round",
             description="The points of a sampled search (sweep.h5 /search) in the order they were "
                         "chosen: each point's metric (the mean of its runs), colored by round (a tpe "
                         "search's rounds are chosen from the results of every earlier point), and "
                         "the best so far. Prints the best so far at 1, 2, 4, ... points and at each "
                         "round's end.",
             args=[INDEX_DIR]),
        dict(name="pbt", func=cmd_pbt, png="pbt.png",
             help="a pbt search: every member's metric per epoch with its exploits, and a key's schedule",
             description="A pbt search (sweep.h5 /pbt and the members' files): every member's selection "
                         "metric per epoch, each exploit drawn as a jump at its barrier to the donor's "
                         "value, the best member in black; and the values of one key of the space per "
                         "epoch (--key, default train.lr), the best member's schedule in black.",
             args=[INDEX_DIR,
                   _arg("--key", default="train.lr",
                        help="the key of the space whose schedule is drawn (default train.lr)")]),
        dict(name="attention", func=cmd_attention, png="attention.png",
             help="heatmaps of a transformer run's attention weights [T, T], one per head",
             description="The attention weights of one transformer run (/probe/attention_final, "
                         "or /probe/attention_best with --best), averaged over the probe sequences: "
                         "one heatmap per head of one layer, query step t down, key step across, "
                         "keys after the query (the causal mask) blank. Of a directory, the first "
                         "run (after --where) with attention maps is drawn. Exit 2 when no run has "
                         "them (recurrent cells record none).",
             args=[DIR_OR_RUN,
                   _arg("--where", action="append", metavar="KEY=V[,V...]", default=[],
                        help="keep only runs whose config KEY (dotted or short) has one of the values "
                             "(repeatable)"),
                   LAYER,
                   _arg("--head", type=int, default=None, help="only this head, from 0 (default: every head)"),
                   _arg("--best", action="store_true", help="the best-epoch weights' maps instead of the final ones")]),
        dict(name="report", func=cmd_report, png=None,
             help="one self-contained HTML page about a sweep: DIR/report.html",
             description="Writes DIR/report.html (of several directories: --out FILE) with their "
                         "runs kept apart by sweep and by every key that differs: the sweep's name, "
                         "description, config, run counts, "
                         "versions; the best-epoch table of `sweep summarize` (sortable); the best "
                         "metric against each swept key, learning curves, gradient flow, hidden units "
                         "of one run, attention maps of one transformer run, parallel coordinates for "
                         "searches over numeric keys; failed and "
                         "diverged runs with their errors. One file with every figure inside, no "
                         "network needed to open it. Works on a directory a sweep is still writing.",
             args=[_arg("dir", metavar="DIR", nargs="+",
                        help="sweep output directory; several to compare sweeps in one page (then --out is needed)"),
                   _arg("--out", "-o", metavar="FILE", help="where to write the page (default DIR/report.html)"),
                   _arg("--run", metavar="RUN_ID", help="the run whose hidden units are shown (default: the best)"),
                   _arg("--sweep", metavar="PATH", help="the sweep program that prints the table (default: "
                                                        "$SWEEP_BIN, then sweep on the PATH)"),
                   _arg("--dpi", type=int, default=80, help="resolution of the figures (default 80)"),
                   _arg("--quiet", "-q", action="store_true", help="print nothing but errors"),
                   _arg("--watch", action="store_true",
                        help="keep the page current while other processes write DIR (shards, MPI ranks, array "
                             "tasks): poll, rewrite when something changed, end when the sweep is complete; never "
                             "takes the sweep's lock. The page reloads itself until then"),
                   _arg("--report-every", metavar="SECONDS", type=float, default=60.0,
                        help="with --watch (or --live): the longest time between two rewrites while something "
                             "changes; a run that finished is shown at once (default 60)"),
                   _arg("--live", action="store_true",
                        help="the sweep's own live report (`sweep CONFIG --report` starts it): events on standard "
                             "input, see analysis/live.py")]),
    ]


def build_parser():
    ap = argparse.ArgumentParser(
        prog=os.environ.get("SWEEP_ANALYSIS_PROG", "python3 -m analysis"),
        description="Figures from the HDF5 files written by sweep (docs/hdf5-layout.md).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True
    for c in _commands():
        c = dict(c)
        func, png, filters, args = c.pop("func"), c.pop("png"), c.pop("filters", False), c.pop("args")
        p = sub.add_parser(c.pop("name"), **c)
        for flags, kw in args:
            p.add_argument(*flags, **kw)
        if filters:
            _filters(p)
        if png:
            _common(p, png)
        p.set_defaults(func=func)
    return ap


def _varies(runs, key):
    return len({repr(r.config.get(key)) for r in runs}) > 1


def _panel(runs, arg):
    if arg == "none":
        return None
    if arg:
        return load.resolve_key(arg, runs, "--panel")
    return "task.kind" if _varies(runs, "task.kind") else None


def _by(runs, arg, exclude):
    if arg:
        return [load.resolve_key(k, runs, "--by") for k in _keys(arg)]
    # keys the filters left constant would only repeat themselves in every label
    return [k for k in load.default_grouping(runs) if k not in exclude and _varies(runs, k)]


def _title(target, runs):
    sweeps = list(dict.fromkeys(r.config["sweep"] for r in runs if "sweep" in r.config))
    if len(sweeps) > 1:   # runs of several sweeps: name them all
        return " + ".join(sweeps)
    name = runs[0].sweep if runs and runs[0].sweep else ""
    return name or os.path.basename(os.path.normpath(target))


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except load.AnalysisError as e:
        print("analysis %s: error: %s" % (args.cmd, e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:          # output piped into `head`
        sys.stderr.close()
        return 0


def _wrote(out):
    print("wrote %s" % out)
    return 0


def cmd_report(args):
    from . import report
    say = (lambda m: None) if args.quiet else (lambda m: print("  " + m, file=sys.stderr))
    if args.watch or args.live:
        return _live_report(args, say)
    out, st = report.build(args.dir, args.out, args.run, args.sweep, args.dpi,
                           log=say if os.environ.get("SWEEP_REPORT_VERBOSE") else None)
    if not args.quiet:
        print("wrote %s: %d runs%s, %d table rows, %d figures, %.1f MB in %.1f s"
              % (out, st["runs"], " (%s)" % ", ".join("%d %s" % (st[k], k) for k in ("running", "pending") if st[k])
                 if st["running"] or st["pending"] else "", st["rows"],
                 st["figures"], st["bytes"] / 1e6, st["seconds"]))
    return 0


def _live_report(args, say):
    from . import live
    if args.watch and args.live:
        raise load.AnalysisError("--watch and --live exclude each other (--live is the sweep's own)")
    if not (0 < args.report_every <= 86400):
        raise load.AnalysisError("--report-every expects seconds, more than 0 and at most 86400, got %g"
                                 % args.report_every)
    if len(args.dir) > 1 and not args.out:
        raise load.AnalysisError("%d directories: say where the page goes with --out FILE" % len(args.dir))
    for d in args.dir:
        if not os.path.isdir(d):
            raise load.AnalysisError("%s: no such directory" % d)
    out = args.out or os.path.join(args.dir[0], "report.html")
    verbose = os.environ.get("SWEEP_REPORT_VERBOSE")
    lv = live.Live(args.dir, out, args.report_every, args.sweep, args.dpi, "live" if args.live else "watch",
                   log=say if verbose or (args.watch and not args.quiet) else None)
    if args.live:
        return live.serve(lv)
    rc = live.watch(lv)
    if rc == 0 and not args.quiet:
        print("wrote %s: the sweep is complete" % out)
    return rc


def cmd_hidden(args):
    target = args.run
    runs = load.load_runs(target)
    if os.path.isdir(target):
        ok = [r for r in runs if r.has_results]
        if not ok:
            raise load.AnalysisError("%s: no run with /probe (all failed?)" % target)
        print("using %s" % ok[0].path)
        r = ok[0]
    else:
        r = runs[0]
    fig, classes, st = plots.hidden(r, args.layer, args.probe, args.weights, first_unit=args.first_unit)
    c = units.counts(classes)
    L = int(r.config.get("model.layers", 1))
    print("%s: layer %d, %d units: %s" % (r.run_id, args.layer % L, len(classes),
                                           ", ".join("%d %s" % (c[k], k) for k in units.CLASSES)))
    acc = [u for u, k in enumerate(classes) if k == "accumulator"]
    if acc:
        print("accumulators' correlation with the running mean of the input:")
        print("  " + ", ".join("unit %d: %+.2f" % (u, st["corr"][u]) for u in acc))
    return _wrote(plots.save(fig, args.out, "hidden.png", args.dpi))


def cmd_rungs(args):
    dec = load.load_decisions(args.dir)
    if dec is None:
        raise load.AnalysisError("%s: no early-stopping decisions (no sweep.h5 with /decisions: the sweep's "
                                 "stop.kind is none, or no rung was reached yet)" % args.dir)
    pct = dec.metric.endswith("_acc")
    for r in dec.rungs():
        cut = "-" if r["cutoff"] != r["cutoff"] else ("%.2f%%" % (100 * r["cutoff"]) if pct else
                                                      "%.4g" % r["cutoff"])
        print("%s%srung %d, epoch %d: %d runs, %d promoted, %d stopped, cutoff %s"
              % ("round %d, " % (r["round"] + 1) if dec.round is not None else "",
                 "bracket %d, " % r["bracket"] if len(set(dec.bracket.tolist())) > 1 else "", r["rung"],
                 r["epoch"], r["runs"], r["promoted"], r["stopped"], cut))
    name = load.index_attrs(args.dir).get("sweep") or os.path.basename(os.path.normpath(args.dir))
    return _wrote(plots.save(plots.rungs(dec, name), args.out, "rungs.png", args.dpi))


def cmd_search(args):
    search = load.load_search(args.dir)
    if search is None:
        raise load.AnalysisError("%s: no sampled search (no sweep.h5 with /search: the sweep's search.kind is grid, "
                                 "or it has not started)" % args.dir)
    pct = search.metric.endswith("_acc")
    ends = {k + 1 for k in range(len(search)) if k + 1 == len(search) or search.round[k + 1] != search.round[k]}
    marks = sorted({n for n in range(1, len(search) + 1) if n & (n - 1) == 0} | ends)
    print("%s search, %d of %d points; best %s so far (%s is better):"
          % (search.kind, len(search), search.samples, search.metric, "higher" if search.mode == "max" else "lower"))
    for n in marks:
        v = search.best_so_far[n - 1]
        print("  %4d points (round %d): %s" % (n, search.round[n - 1] + 1,
                                               "-" if v != v else "%.2f%%" % (100 * v) if pct else "%.4g" % v))
    name = load.index_attrs(args.dir).get("sweep") or os.path.basename(os.path.normpath(args.dir))
    return _wrote(plots.save(plots.search_progress(search, name), args.out, "search.png", args.dpi))


def cmd_pbt(args):
    pbt = load.load_pbt(args.dir)
    name = load.index_attrs(args.dir).get("sweep") or os.path.basename(os.path.normpath(args.dir))
    print("pbt search, %d members, %d epochs, %d exploits" % (len(pbt.ids), pbt.epochs, len(pbt.exploits)))
    return _wrote(plots.save(plots.pbt_population(pbt, name, args.key), args.out, "pbt.png", args.dpi))


def cmd_attention(args):
    runs = load.filter_runs(load.load_runs(args.dir), load.parse_where(args.where))
    weights = "best" if args.best else "final"
    ok = [r for r in runs if weights in r.attention_sets]
    if not ok:
        cells = sorted({str(r.config.get("model.cell", "?")) for r in runs})
        raise load.AnalysisError("%s: no run has attention maps (/probe/attention_%s; recorded by "
                                 "model.cell: transformer runs only, these runs are %s)"
                                 % (args.dir, weights, ", ".join(cells)))
    r = ok[0]
    if len(runs) > 1:
        print("using %s (%d of %d runs have attention maps; --where picks another)" % (r.path, len(ok), len(runs)))
    return _wrote(plots.save(plots.attention(r, args.layer, args.head, weights), args.out, "attention.png",
                             args.dpi))


def _selected(args):
    """The runs of args.dir that --where keeps, the --where terms, and the figures' title."""
    where = load.parse_where(args.where)
    runs = load.filter_runs(load.load_runs(args.dir), where)
    return runs, where, _title(args.dir, runs)


def cmd_curves(args):
    runs, where, title = _selected(args)
    fig = plots.curves(runs, _by(runs, args.by, ()), title, where)
    return _wrote(plots.save(fig, args.out, "curves.png", args.dpi))


def cmd_gradients(args):
    runs, where, title = _selected(args)
    if args.run:
        cand = args.run
        if not os.path.exists(cand):
            cand = os.path.join(args.dir, args.run if args.run.endswith(".h5") else args.run + ".h5")
        if not os.path.isfile(cand):
            raise load.AnalysisError("--run %s: no such run id in %s, nor a file" % (args.run, args.dir))
        fig = plots.gradient_heatmap(load.Run(cand), args.layer, args.wrt)
        return _wrote(plots.save(fig, args.out, "gradients-heatmap.png", args.dpi))
    panel = _panel(runs, args.panel)
    by = _by(runs, args.by, (panel,))
    fig = plots.gradients(runs, by, panel, args.layer, args.align, title, where, args.wrt)
    return _wrote(plots.save(fig, args.out, "gradients.png", args.dpi))


def cmd_vanishing(args):
    runs, where, title = _selected(args)
    x = load.resolve_key(args.x, runs, "--x")
    panel = _panel(runs, args.panel)
    by = _by(runs, args.by, (panel, x))
    fig = plots.vanishing(runs, x, by, panel, title, where)
    return _wrote(plots.save(fig, args.out, "vanishing.png", args.dpi))


try:
    from . import load, plots, units
except ImportError as e:  # h5py / numpy / matplotlib missing
    print("analysis: error: %s (install Debian's python3-h5py python3-numpy python3-matplotlib "
          "and run with /usr/bin/python3)" % e, file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    sys.exit(main())
