"""The figures. Each function takes loaded data and returns a matplotlib
Figure; the caller saves it (analysis.__main__ does, as PNG)."""

import os
import sys
import warnings

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402,F401
from matplotlib.colors import LogNorm, to_rgb  # noqa: E402
import numpy as np  # noqa: E402

from .load import AnalysisError, group_runs, label  # noqa: E402
from . import metrics as M  # noqa: E402
from . import units as U  # noqa: E402

CELL_COLORS = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green", "transformer": "tab:purple"}
CLASS_COLORS = {"accumulator": "tab:blue", "transient": "tab:orange",
                "oscillator": "tab:purple", "other": "0.35"}


def _vkey(vals):
    """Sort key for a tuple of config values: numbers numerically, the rest as text."""
    return tuple((0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool)
                 else (1, 0, str(v)) for v in vals)


def _sort_groups(groups):
    return sorted(groups, key=lambda item: _vkey(item[0]))


LINESTYLES = ("-", "--", ":", "-.")


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def group_styles(keys, groups):
    """One (color, linestyle) per group. With model.cell among the keys the
    hue is the cell's, the other numeric keys (e.g. task.seq_len) shade it
    from light to dark and the other text keys (e.g. task.kind) pick the
    line style, so a figure with 2 tasks x 3 cells x 5 lengths stays
    readable."""
    vals = [g[0] for g in groups]
    if "model.cell" in keys and len(keys) > 1:
        ci = keys.index("model.cell")
        rest = [i for i in range(len(keys)) if i != ci]
        num = [i for i in rest if all(_is_num(v[i]) for v in vals)]
        cat = [i for i in rest if i not in num]
        shades = sorted({tuple(v[i] for i in num) for v in vals}, key=_vkey)
        kinds = sorted({tuple(str(v[i]) for i in cat) for v in vals})
        cells = sorted({v[ci] for v in vals})
        out = []
        for v in vals:
            base = CELL_COLORS.get(v[ci], "C%d" % (cells.index(v[ci]) % 10))
            rgb = np.array(to_rgb(base))
            j = shades.index(tuple(v[i] for i in num))
            frac = j / max(1, len(shades) - 1) if len(shades) > 1 else 1.0
            # light tint (frac 0) -> the base color -> darker (frac 1)
            col = 1 - (1 - rgb) * (0.35 + 1.3 * frac) if frac <= 0.5 else rgb * (1 - 0.9 * (frac - 0.5))
            ls = LINESTYLES[kinds.index(tuple(str(v[i]) for i in cat)) % len(LINESTYLES)]
            out.append((tuple(np.clip(col, 0, 1)), ls))
        return out
    if "model.cell" in keys:
        return [(CELL_COLORS.get(v[keys.index("model.cell")], "C%d" % i), "-") for i, v in enumerate(vals)]
    n = len(groups)
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [(cmap(i % cmap.N), LINESTYLES[(i // cmap.N) % len(LINESTYLES)]) for i in range(n)]


def _legend(fig, ax, n, axes=None):
    """The legend of ax's lines, or of every line in `axes` (panels holding different
    configurations, e.g. one task per panel), each label once."""
    handles, labels = ax.get_legend_handles_labels()
    for other in axes if axes is not None else ():
        if other is not ax:
            for h, lab in zip(*other.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
    n = max(n, len(labels))
    if n <= 6:
        ax.legend(handles, labels, fontsize="small")
    else:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5),
                   fontsize="x-small" if n > 15 else "small", frameon=False,
                   ncol=1 if n <= 30 else 2)


def _draw_baselines(ax, groups):
    """Dashed gray horizontal lines at the baseline losses (a constant answer's) of the
    groups' tasks: one for adding (1/6); one per length for copy (10 ln 8 / (T+20)), each
    then labelled with its value at the right edge. The lines have gid 'baseline'. Returns
    how many were drawn."""
    values = sorted({r.baseline for _, rs in groups for r in rs if r.baseline is not None})
    for k, b in enumerate(values):
        lab = ("baseline %.4g" % b if len(values) == 1 else "baseline (per task)") if k == 0 else "_nolegend_"
        ax.axhline(b, color="0.3", ls="--", lw=1.0, zorder=1.5, label=lab).set_gid("baseline")
        if len(values) > 1:
            ax.annotate("%.3g" % b, xy=(1, b), xycoords=("axes fraction", "data"), xytext=(-2, 2),
                        textcoords="offset points", ha="right", va="bottom", fontsize="x-small", color="0.3")
    return len(values)


def _log_if_positive(ax, values):
    """Log y axis for losses spanning orders of magnitude (a solved adding problem reaches
    1e-4 while the baseline is 0.17), when every plotted value is positive. values: a
    list of arrays or lists."""
    v = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in values] or [[]])
    v = v[np.isfinite(v)]
    if len(v) and (v > 0).all() and v.max() / v.min() > 10:
        ax.set_yscale("log")


def _title_suffix(where):
    return " (%s)" % "; ".join("%s=%s" % (k, ",".join(v)) for k, v in where) if where else ""


def _mark_stopped(ax, rs, col, scale, color):
    """A cross where each early-stopped run of rs ended (its last epoch's value of col):
    the mean line goes on with the runs that were promoted. Returns how many were marked."""
    pts = [(len(r.history[col]), r.history[col][-1] * scale) for r in rs
           if r.stopped and len(r.history[col]) and np.isfinite(r.history[col][-1])]
    if pts:
        x, y = zip(*pts)
        ax.plot(x, y, ls="none", marker="x", ms=6, mew=1.4, color=color, zorder=4,
                label="_nolegend_")[0].set_gid("stopped")
    return len(pts)


def curves(runs, by, title, where=()):
    """2x2 panels: train/test loss and accuracy per epoch; per group of
    `by` keys, the mean over its runs (seeds) with a min-max band. Runs
    selected by their test loss (regression) have no accuracy: 1x2 loss
    panels, lower is better. Tasks with a baseline loss get it as a dashed
    line in the loss panels. Runs with a validation set add a third column
    (validation loss and accuracy, what chose their best epoch); a cross
    marks where each early-stopped run ended."""
    runs = [r for r in runs if len(r.history.get("epoch", [])) > 0]
    if not runs:
        raise AnalysisError("no run has a completed epoch")
    groups = _sort_groups(group_runs(runs, by))
    if len(groups) > 12:
        sys.stderr.write("analysis curves: %d configurations in one figure; --where KEY=VALUE or "
                         "--by KEY[,KEY] make it easier to read\n" % len(groups))
    styles = group_styles(by, groups)
    mode, unit = M.mode(runs), M.loss_unit(runs)
    val = any(np.isfinite(r.history["val_loss"]).any() or np.isfinite(r.history["val_acc"]).any() for r in runs)
    ncols = 3 if val else 2
    if mode == "loss":
        fig, axes = plt.subplots(1, ncols, figsize=(4.75 * ncols, 3.6), sharex=True, squeeze=False)
        panels = [("train_loss", "train loss", unit, 1),
                  ("test_loss", "test loss" if val else "test loss (the metric)", "%s, lower is better" % unit, 1)]
        if val:
            panels.append(("val_loss", "validation loss (the metric)", "%s, lower is better" % unit, 1))
    else:
        fig, axes = plt.subplots(2, ncols, figsize=(4.75 * ncols, 6), sharex=True)
        panels = [("train_loss", "train loss", unit, 1),
                  ("test_loss", "test loss", unit if mode == "acc" else "%s, lower is better" % unit, 1)]
        panels += [("val_loss", "validation loss", unit if mode == "acc" else "%s, lower is better" % unit, 1)] \
            if val else []
        panels += [("train_acc", "train accuracy", "accuracy (%)", 100),
                   ("test_acc", "test accuracy", "accuracy (%)", 100)]
        panels += [("val_acc", "validation accuracy", "accuracy (%)", 100)] if val else []
    nbase = nstopped = 0
    for ax, (col, name, unit, scale) in zip(axes.flat, panels):
        plotted = []
        for (vals, rs), (color, ls) in zip(groups, styles):
            E = max(len(r.history[col]) for r in rs)
            a = np.full((len(rs), E), np.nan)
            for i, r in enumerate(rs):
                h = r.history[col]
                a[i, :len(h)] = h * scale
            ep = np.arange(1, E + 1)
            with warnings.catch_warnings():       # all-NaN epochs (every seed diverged before)
                warnings.simplefilter("ignore", RuntimeWarning)
                mean, lo, hi = np.nanmean(a, 0), np.nanmin(a, 0), np.nanmax(a, 0)
            lab = label(by, vals)
            ax.plot(ep, mean, color=color, ls=ls, lw=1.4, label=lab)
            if len(rs) > 1:
                ax.fill_between(ep, lo, hi, color=color, alpha=0.18, lw=0)
            nstopped = max(nstopped, _mark_stopped(ax, rs, col, scale, color))
            plotted.append(a)
        if col.endswith("loss"):
            nbase = max(nbase, _draw_baselines(ax, groups))
            if mode == "loss":
                _log_if_positive(ax, plotted + [[r.baseline for r in runs if r.baseline]])
        ax.set_title(name)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    nseeds = max(len(rs) for _, rs in groups)
    band = "; line = mean, band = min-max over %d seeds" % nseeds if nseeds > 1 else ""
    base = "; dashed = baseline (a constant answer's loss)" if nbase else ""
    stop = "; x = a run stopped early there" if nstopped else ""
    fig.suptitle("%s: training curves%s%s%s%s" % (title, _title_suffix(where), band, base, stop))
    fig.tight_layout()
    if nstopped:   # one legend entry for every cross, in no group's colour
        axes[0, -1].plot([], [], ls="none", marker="x", ms=6, mew=1.4, color="0.2", label="stopped early")
    _legend(fig, axes[0, -1], len(groups) + (nbase > 0) + (nstopped > 0))
    return fig


def hidden(run, layer, probe, weights, nshow=16, first_unit=0):
    """4x4 grid of hidden-unit trajectories of one probe sequence, titles
    colored by the unit's class over all probe sequences. Returns (fig,
    classes, stats)."""
    if not run.has_results:
        raise AnalysisError("%s: status %s, no /probe to plot (%s)" % (run.path, run.status, run.error))
    hs = run.array("probe/hidden_%s" % weights)          # [L, P, T, H]
    x = run.array("probe/inputs")                         # [P, T, I]
    L, P, T, H = hs.shape
    if not -L <= layer < L:
        raise AnalysisError("--layer %d: the run has %d layer(s) (0..%d, or -1 for the last)" % (layer, L, L - 1))
    if not 0 <= probe < P:
        raise AnalysisError("--probe %d: the run has %d probe sequences (0..%d)" % (probe, P, P - 1))
    li = layer % L
    h = hs[li]
    classes, st = U.classify(h, x)
    unit_ids = list(range(first_unit, min(H, first_unit + nshow)))
    if not unit_ids:
        raise AnalysisError("--first-unit %d: the layer has %d units" % (first_unit, H))
    m = U.running_input_mean(x)[probe]
    t = np.arange(T)
    # a transformer layer's output is layer-normed (unbounded), a recurrent cell's h_t a tanh
    bounded = run.config.get("model.cell") != "transformer"
    ncols = min(4, len(unit_ids))
    nrows = -(-len(unit_ids) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.5 * ncols, 2 * nrows + 0.8), sharex=True, sharey=True,
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(unit_ids):
            ax.axis("off")
            continue
        u = unit_ids[k]
        ax.axhline(0, color="0.8", lw=0.6)
        ax.plot(t, m, color="0.6", lw=0.9, ls="--")
        ax.plot(t, h[probe, :, u], color=CLASS_COLORS[classes[u]], lw=1.5)
        ax.set_title("unit %d: %s" % (u, classes[u]), color=CLASS_COLORS[classes[u]], fontsize="small")
        if bounded:
            ax.set_ylim(-1.05, 1.05)
        ax.grid(alpha=0.25)
    # the lowest panel of each column carries the time axis (the last row may be short)
    for col in range(ncols):
        bottom = max(r for r in range(nrows) if r * ncols + col < len(unit_ids))
        axes[bottom, col].set_xlabel("time step t")
        axes[bottom, col].xaxis.set_tick_params(labelbottom=True)
        axes[bottom, col].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    for ax in axes[:, 0]:
        ax.set_ylabel("h_t (tanh units)" if bounded else "layer output at t")
    c = U.counts(classes)
    fig.suptitle("%s: layer %d hidden units on probe sequence %d%s, %s weights\n"
                 "classes over all %d probe sequences and %d units: %s; gray dashed = running mean of the input"
                 % (run.run_id, li, probe, _probe_label(run, probe), weights, P, H,
                    ", ".join("%d %s" % (c[k], k) for k in U.CLASSES)), fontsize="medium")
    # fixed margins in inches (what tight_layout chose for a 4x4 grid): tight_layout measures
    # every tick label of the 16 panels, a third of the figure's cost
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=0.82 / w, right=1 - 0.15 / w, bottom=0.6 / h, top=1 - 0.8 / h, wspace=0.1,
                        hspace=0.25)
    return fig, classes, st


def _probe_label(run, p):
    """' (label 1)' for a class at the last step, ' (target 0.82)' for a regression, '' when
    the target is a class per step (copy: labels are -1)."""
    try:
        if run.lower_is_better:
            t = np.ravel(run.array("probe/targets")[p])
            return " (target %s)" % ", ".join("%.3g" % v for v in t[:4])
        y = int(run.array("probe/labels")[p])
        return " (label %d)" % y if y >= 0 else ""
    except AnalysisError:
        return " (label ?)"


def _gmean(a):
    """Geometric mean over axis 0, ignoring zeros and non-finite values."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):
        la = np.where((a > 0) & np.isfinite(a), np.log(np.where(a > 0, a, 1)), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.exp(np.nanmean(la, axis=0))


def _gradient_norms(run, wrt):
    """[R, L, T] norms of the gradient reaching h_t (wrt 'hidden'), or [R, 1, T] of the one
    reaching the inputs x_t (wrt 'input': /gradients/dloss_dx_norm, which files written before
    sweep recorded it lack)."""
    if wrt == "hidden":
        return run.array("gradients/dloss_dh_norm")
    try:
        return run.array("gradients/dloss_dx_norm")[:, None, :]
    except AnalysisError:
        raise AnalysisError("%s has no /gradients/dloss_dx_norm (written before sweep recorded the "
                            "input's gradient; run it again, or use --wrt hidden)" % run.path) from None


def gradients(runs, by, panel_key, layer, align, title, where=(), wrt="hidden"):
    """||dl/dh_t|| (wrt 'hidden', of `layer`) or ||dl/dx_t|| (wrt 'input') of the last
    recorded epoch against t (or steps before the end), log y, one line per group
    (geometric mean over its runs), one panel per value of panel_key."""
    runs = [r for r in runs if r.has_results]
    recs = []
    if wrt == "input":
        layer = 0
    for r in runs:
        g = _gradient_norms(r, wrt)                        # [R, L, T]
        if g.shape[0] == 0:
            continue
        L = g.shape[1]
        if not -L <= layer < L:
            raise AnalysisError("--layer %d: %s has %d layer(s)" % (layer, r.run_id, L))
        ep = r.array("gradients/epoch")
        recs.append((r, g[-1, layer], int(ep[-1])))
    if not recs:
        raise AnalysisError("no run has gradient records (failed runs have none)")
    pvals = sorted({r.config.get(panel_key) for r, _, _ in recs}, key=str) if panel_key else [None]
    fig, axes = plt.subplots(1, len(pvals), figsize=(5.2 * len(pvals) + 1.5, 4.6), squeeze=False,
                             sharey=True)
    nlines = 0
    epochs = sorted({e for _, _, e in recs})
    # exact zeros have no logarithm: a transformer's top layer with a last-step head gets no
    # gradient at t < T-1 (its output there does not reach the loss); they are left out, and said
    zeros = sum(int(np.sum(~(g > 0))) for _, g, _ in recs)
    nvals = sum(g.size for _, g, _ in recs)
    for ax, pv in zip(axes[0], pvals):
        sub = [x for x in recs if panel_key is None or x[0].config.get(panel_key) == pv]
        groups = _sort_groups(group_runs([x[0] for x in sub], by))
        styles = group_styles(by, groups)
        byrun = {id(x[0]): x[1] for x in sub}
        nlines = max(nlines, len(groups))
        for (vals, rs), (color, ls) in zip(groups, styles):
            T = max(len(byrun[id(r)]) for r in rs)
            a = np.full((len(rs), T), np.nan)
            for i, r in enumerate(rs):
                v = byrun[id(r)]
                if align == "end":
                    a[i, T - len(v):] = v
                else:
                    a[i, :len(v)] = v
            gm = _gmean(a)
            x = np.arange(T)
            if align == "end":
                x = (T - 1) - x
            gm = np.ma.masked_invalid(np.where(gm > 0, gm, np.nan))
            # a point between masked zeros draws no segment (the transformer's last step): a dot
            ok = ~np.ma.getmaskarray(gm)
            iso = ok & ~np.r_[False, ok[:-1]] & ~np.r_[ok[1:], False]
            ax.plot(x, gm, color=color, ls=ls, lw=1.3, label=label(by, vals),
                    marker="o" if iso.any() else None, markersize=4, markevery=list(np.flatnonzero(iso)))
        ax.set_yscale("log")
        longest = max(len(x[1]) for x in sub) if sub else 0
        if align == "end":
            ax.set_xlabel("steps before the end, T-1-t")
            if longest > 20:   # a log-like axis only pays off across long and short sequences
                ax.set_xscale("symlog", linthresh=10)
            ax.set_xlim(left=0)
        else:
            ax.set_xlabel("time step t")
        if sub and all(not np.any(np.asarray(x[1]) > 0) or np.sum(np.asarray(x[1]) > 0) == 1 for x in sub):
            ax.set_xlim(-0.5, max(longest - 1, 1) + 0.5)   # single points (masked zeros): the whole sequence
        if longest <= 20:
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
        if pv is not None:
            ax.set_title("%s=%s" % (panel_key.split(".")[-1], pv))
    unit = M.loss_unit([x[0] for x in recs])
    v = "h" if wrt == "hidden" else "x"
    axes[0, 0].set_ylabel("||dl/d%s_t|| (L2 norm, nats per unit of %s)" % (v, v) if unit.startswith("cross") else
                          "||dMSE/d%s_t|| (L2 norm)" % v if unit == "MSE" else "||dloss/d%s_t|| (L2 norm)" % v)
    ep_txt = "epoch %d" % epochs[0] if len(epochs) == 1 else "last recorded epoch (%s)" % ", ".join(map(str, epochs))
    note = ("\n%d of %d values are 0 (or not finite) and not drawn on the log axis%s"
            % (zeros, nvals, ": a transformer's top layer gets no gradient before the last step"
               if wrt == "hidden" and any(r.config.get("model.cell") == "transformer" for r, _, _ in recs)
               else "")) if zeros else ""
    fig.suptitle("%s: gradient reaching %s, %s, %s; geometric mean over seeds%s%s"
                 % (title, "h_t" if wrt == "hidden" else "the inputs x_t",
                    ("last layer" if layer == -1 else "layer %d" % layer) if wrt == "hidden" else "every cell",
                    ep_txt, _title_suffix(where), note))
    fig.tight_layout()
    _legend(fig, axes[0, -1], nlines, axes[0])
    return fig


def gradient_heatmap(run, layer, wrt="hidden"):
    """Heatmap recorded epoch x t of ||dl/dh_t|| (or ||dl/dx_t||) for one run, log colors."""
    if not run.has_results:
        raise AnalysisError("%s: status %s, no /gradients (%s)" % (run.path, run.status, run.error))
    g = _gradient_norms(run, wrt)
    if wrt == "input":
        layer = 0
    ep = run.array("gradients/epoch")
    if g.shape[0] == 0:
        raise AnalysisError("%s: no gradient records" % run.path)
    L = g.shape[1]
    if not -L <= layer < L:
        raise AnalysisError("--layer %d: the run has %d layer(s)" % (layer, L))
    z = np.ma.masked_where(~(g[:, layer] > 0) | ~np.isfinite(g[:, layer]), g[:, layer])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    T = g.shape[2]
    if z.count() == 0:
        raise AnalysisError("%s: every recorded gradient norm is zero" % run.path)
    ye = np.arange(len(ep) + 1) - 0.5
    mesh = ax.pcolormesh(np.arange(T + 1) - 0.5, ye, z, norm=LogNorm(vmin=z.min(), vmax=z.max()),
                         cmap="viridis", shading="flat")
    ax.set_yticks(np.arange(len(ep)))
    ax.set_yticklabels([str(e) for e in ep] if len(ep) <= 25 else
                       [str(e) if i % max(1, len(ep) // 12) == 0 else "" for i, e in enumerate(ep)])
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("time step t")
    ax.set_ylabel("epoch (recorded)")
    v = "h" if wrt == "hidden" else "x"
    fig.colorbar(mesh, ax=ax, label="||dl/d%s_t|| (log scale)" % v)
    zeros = int(np.sum(np.ma.getmaskarray(z)))
    ax.set_title("%s: gradient reaching %s, per recorded epoch%s"
                 % (run.run_id, "h_t, layer %d" % (layer % L) if wrt == "hidden" else "the inputs x_t", "\n%d of %d values are 0 (or not finite): blank, no log color"
                    % (zeros, z.size) if zeros else ""))
    fig.tight_layout()
    return fig


def attention(run, layer=-1, head=None, weights="final", max_heads=None):
    """Heatmaps of a transformer run's attention weights [T, T] (query step t on y, key step
    on x; averaged over the probe sequences), one panel per head of one layer (the first
    max_heads when given), or only `head`. Keys after the query (the causal mask: weight 0)
    are blank."""
    att = run.attention(weights)
    if att is None:
        raise AnalysisError("%s: no /probe/attention_%s (attention maps are recorded for model.cell: "
                            "transformer runs with results; this run is %s, status %s)"
                            % (run.path, weights, run.config.get("model.cell", "?"), run.status))
    L, A, T, _ = att.shape
    if not -L <= layer < L:
        raise AnalysisError("--layer %d: the run has %d layer(s) (0..%d, or -1 for the last)" % (layer, L, L - 1))
    if head is not None and not 0 <= head < A:
        raise AnalysisError("--head %d: the run has %d head(s) (0..%d)" % (head, A, A - 1))
    li = layer % L
    heads = list(range(A if max_heads is None else min(A, max_heads))) if head is None else [head]
    ncols = min(4, len(heads))
    nrows = -(-len(heads) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 1.2, 3.4 * nrows + 0.9), squeeze=False)
    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    vmax = max(float(np.nanmax(att[li, heads])), 1e-12)
    mesh = None
    for k, ax in enumerate(axes.flat):
        if k >= len(heads):
            ax.axis("off")
            continue
        z = np.ma.masked_where(causal | ~np.isfinite(att[li, heads[k]]), att[li, heads[k]])
        mesh = ax.imshow(z, origin="upper", cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest",
                         aspect="equal")
        ax.set_title("head %d" % heads[k], fontsize="small")
        ax.set_xlabel("key step (attended to)")
        ax.set_ylabel("query step t")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    fig.suptitle("%s: attention weights of layer %d, %s weights, mean over the probe sequences\n"
                 "row t = how query step t spreads its attention over key steps <= t (each row sums to 1); "
                 "blank = causal mask" % (run.run_id, li, weights), fontsize="medium")
    fig.tight_layout()
    fig.colorbar(mesh, ax=axes.ravel().tolist(), label="attention weight", shrink=0.8)
    return fig


# Accuracy by chance, per task.kind (the dotted line of `vanishing`); others: two classes.
CHANCE = {"copy": 100.0 / 8}


def vanishing(runs, xkey, by, panel_key, title, where=()):
    """Best test accuracy (%) against xkey (log axis), one line per group,
    error bars = standard deviation over seeds, one panel per panel_key.
    A panel of runs selected by their test loss (regression) plots their
    best test loss instead (lower is better) with the task's baseline
    loss dashed."""
    runs = [r for r in runs if xkey in r.config]
    if not runs:
        raise AnalysisError("no run has the config key %s" % xkey)
    pvals = sorted({r.config.get(panel_key) for r in runs}, key=str) if panel_key else [None]
    modes = [M.mode([r for r in runs if panel_key is None or r.config.get(panel_key) == pv]) for pv in pvals]
    fig, axes = plt.subplots(1, len(pvals), figsize=(5 * len(pvals) + 1.5, 4.4), squeeze=False,
                             sharey=len(set(modes)) == 1)
    nlines = 0
    for ax, pv, mode in zip(axes[0], pvals, modes):
        sub = [r for r in runs if panel_key is None or r.config.get(panel_key) == pv]
        loss = mode == "loss"
        groups = _sort_groups(group_runs(sub, by))
        nlines = max(nlines, len(groups))
        styles = group_styles(by, groups) if not ("model.cell" in by and len(by) == 1) else \
            [(CELL_COLORS.get(v[0], "C%d" % i), "-") for i, (v, _) in enumerate(groups)]
        for k, ((vals, rs), (color, ls)) in enumerate(zip(groups, styles)):
            xs = sorted({r.config[xkey] for r in rs})
            mean, sd, n = [], [], []
            for xv in xs:
                if loss:   # the lowest test loss of each run (with validation: at the epoch it chose)
                    acc = np.array([r.best_test for r in rs if r.config[xkey] == xv], dtype=float)
                else:
                    acc = np.array([r.summary.get("best_test_acc", np.nan) for r in rs if r.config[xkey] == xv],
                                   dtype=float) * 100
                acc = acc[np.isfinite(acc)]
                n.append(len(acc))
                mean.append(acc.mean() if len(acc) else np.nan)
                sd.append(acc.std(ddof=1) if len(acc) > 1 else 0.0)
            # a small horizontal offset per line keeps overlapping error bars apart on the log axis
            off = 1 + 0.025 * (k - (len(groups) - 1) / 2)
            ax.errorbar(np.array(xs, dtype=float) * off, mean, yerr=sd, color=color, ls=ls, marker="o",
                        ms=4, capsize=3, lw=1.4, label=label(by, vals))
        if loss:
            pts = sorted({(r.config[xkey], r.baseline) for r in sub if r.baseline is not None}, key=_vkey)
            if len({b for _, b in pts}) == 1:
                ax.axhline(pts[0][1], color="0.3", ls="--", lw=1.1, label="baseline %.4g" % pts[0][1]).set_gid("baseline")
            elif pts:   # a baseline that depends on the x key
                ax.plot([float(x) for x, _ in pts], [b for _, b in pts], color="0.3", ls="--", lw=1.1,
                        label="baseline")[0].set_gid("baseline")
            _log_if_positive(ax, [r.best_test for r in sub] + [b for _, b in pts])
            ax.set_ylabel(M.label(True, sub))
        else:
            kinds = {r.config.get("task.kind") for r in sub}
            ax.axhline(CHANCE.get(kinds.pop(), 50) if len(kinds) == 1 else 50, color="0.5", ls=":", lw=1)
            if len(set(modes)) > 1:
                ax.set_ylabel("best test accuracy (%)")
        ax.set_xscale("log")
        xs_all = sorted({r.config[xkey] for r in sub})
        if all(isinstance(v, (int, float)) for v in xs_all):
            ax.set_xticks(xs_all)
            ax.set_xticklabels([str(v) for v in xs_all])
            ax.minorticks_off()
        ax.set_xlabel("%s (steps)" % xkey if xkey == "task.seq_len" else xkey)
        ax.grid(alpha=0.3)
        if pv is not None:
            ax.set_title("%s=%s" % (panel_key.split(".")[-1], pv))
    if set(modes) <= {"acc", "mixed"} and len(set(modes)) == 1:
        axes[0, 0].set_ylabel("best test accuracy (%)")
    nseeds = max(len(rs) for _, rs in group_runs(runs, by + [xkey] + ([panel_key] if panel_key else [])))
    what = ("best test accuracy" if "loss" not in modes else
            M.label(True, runs) if set(modes) == {"loss"} else
            "best test accuracy or loss")
    refs = ("dotted = chance" if "loss" not in modes else "dashed = baseline" if set(modes) == {"loss"} else
            "dotted = chance, dashed = baseline")
    fig.suptitle("%s: %s vs %s; mean ± std over %d seeds, %s%s"
                 % (title, what, xkey.split(".")[-1], nseeds, refs, _title_suffix(where)))
    fig.tight_layout()
    _legend(fig, axes[0, -1], nlines, axes[0])
    return fig


def save(fig, out, default_name, dpi):
    """Save fig as PNG to `out` (a file, or a directory that gets
    default_name); returns the path written."""
    if out is None:
        out = default_name
    elif os.path.isdir(out) or out.endswith(os.sep):
        os.makedirs(out, exist_ok=True)
        out = os.path.join(out, default_name)
    d = os.path.dirname(out)
    if d and not os.path.isdir(d):
        raise AnalysisError("--out %s: directory %s does not exist" % (out, d))
    fig.savefig(out, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return out


# ---------------------------------------------------------------- figures of the HTML report
# They draw any number of runs without one line per run: configurations are points, groups
# are panels or bands, and a figure that would hold too many of either aggregates first.

def _axis_values(values):
    """How a key's values go on an axis: ('cat', sorted distinct values) for text, booleans
    and up to 12 distinct numbers; ('log' or 'lin', None) for more numbers (log when all are
    positive and span more than a factor of 20)."""
    distinct = sorted(set(values), key=lambda v: _vkey((v,)))
    if not all(_is_num(v) for v in distinct) or len(distinct) <= 12:
        return "cat", distinct
    lo, hi = float(min(distinct)), float(max(distinct))
    return ("log" if lo > 0 and hi / lo > 20 else "lin"), None


def metric_by_key(runs, keys, group_keys, title):
    """One panel per swept key (at most 8): each configuration (runs sharing group_keys,
    i.e. the seeds of one grid point) is a dot at its mean best metric, with a vertical bar
    from its lowest to its highest seed; a black dash is the mean over every run with that
    value. Runs selected by their loss get their own row of panels."""
    runs = [r for r in runs if np.isfinite(M.value(r))]
    if not runs:
        raise AnalysisError("no run has a best metric (none completed an epoch)")
    keys = list(keys)[:8]
    if not keys:
        raise AnalysisError("the sweep varies no key but the seed")
    modes = M.by_mode(runs)
    ncols = min(4, len(keys))
    per = -(-len(keys) // ncols)
    fig, axes = plt.subplots(per * len(modes), ncols, figsize=(3.3 * ncols + 0.4, 2.9 * per * len(modes) + 0.6),
                             squeeze=False)
    cells = sorted({r.config.get("model.cell") for r in runs}, key=str)
    for m, (low, sub) in enumerate(modes):
        groups = group_runs(sub, group_keys)
        for k, key in enumerate(keys):
            ax = axes[m * per + k // ncols, k % ncols]
            kind, cats = _axis_values([r.config.get(key) for r in sub])
            many = len(groups) > 200
            xs, ys, lo, hi, colors = [], [], [], [], []
            for gi, (vals, rs) in enumerate(groups):
                y = np.array([M.value(r) for r in rs])
                xv = rs[0].config.get(key)
                # a fixed spread inside a category keeps configurations apart, reproducibly
                xs.append(cats.index(xv) + 0.6 * (((gi * 0.618034) % 1.0) - 0.5) if kind == "cat" else float(xv))
                ys.append(y.mean())
                lo.append(y.min())
                hi.append(y.max())
                cell = rs[0].config.get("model.cell")
                colors.append(CELL_COLORS.get(cell, "C%d" % (cells.index(cell) % 10))
                              if "model.cell" in group_keys else "C0")
            if not many and any(h > l for l, h in zip(lo, hi)):
                ax.vlines(xs, lo, hi, colors=colors, lw=0.8, alpha=0.6)
            ax.scatter(xs, ys, s=6 if many else 12, c=colors, alpha=0.45 if many else 0.85, linewidths=0)
            if kind == "cat":
                for ci, c in enumerate(cats):
                    y = [M.value(r) for r in sub if r.config.get(key) == c]
                    ax.plot([ci - 0.38, ci + 0.38], [np.mean(y)] * 2, color="k", lw=1.6)
                ax.set_xticks(range(len(cats)))
                ax.set_xticklabels([str(c) for c in cats], rotation=30 if len(cats) > 6 else 0,
                                   fontsize="small")
                ax.set_xlim(-0.6, len(cats) - 0.4)
            elif kind == "log":
                ax.set_xscale("log")
            if low:
                _log_if_positive(ax, [[M.value(r) for r in sub]])
            ax.set_xlabel(key, fontsize="small")
            ax.grid(alpha=0.3)
            if k % ncols == 0:
                ax.set_ylabel(M.label(low, sub), fontsize="small")
        for k in range(len(keys), per * ncols):
            axes[m * per + k // ncols, k % ncols].axis("off")
    nseeds = max(len(rs) for _, rs in group_runs(runs, group_keys))
    spread = "; bar = lowest to highest of its %d seeds" % nseeds if nseeds > 1 else ""
    fig.suptitle("%s: best metric against each swept key\ndot = one configuration%s; black dash = mean"
                 % (title, spread), fontsize="medium")
    fig.tight_layout()
    return fig


def curves_grid(runs, by, title, max_panels=36):
    """Small multiples: one panel per group of `by` keys, the test metric per epoch (accuracy
    in %, or the test loss for runs selected by it) as the mean over the group's runs with a
    band (min-max up to 10 runs, 10-90th percentile beyond), and the mean training metric
    dashed. At most max_panels groups (the caller coarsens `by`)."""
    runs = [r for r in runs if len(r.history.get("epoch", [])) > 0]
    if not runs:
        raise AnalysisError("no run has a completed epoch")
    groups = group_runs(runs, by)          # in the runs' (grid) order, as the table
    if len(groups) > max_panels:
        raise AnalysisError("%d groups for %d panels" % (len(groups), max_panels))
    single = len({r.lower_is_better for r in runs}) == 1
    # a row per value of the other keys when the last key's values fill rows (5 lengths: 5 columns)
    nlast = len({v[-1] for v, _ in groups}) if by else 0
    ncols = nlast if 2 <= nlast <= 8 and len(groups) % nlast == 0 else min(6, len(groups))
    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.25 * ncols + 0.6, 1.75 * nrows + 0.9), sharex=True,
                             sharey=single, squeeze=False)
    styles = group_styles(by, groups)
    for ax, (vals, rs), (color, _) in zip(axes.flat, groups, styles):
        low = rs[0].lower_is_better
        test, train, scale = ("test_loss", "train_loss", 1) if low else ("test_acc", "train_acc", 100)
        E = max(len(r.history[test]) for r in rs)
        a = np.full((len(rs), E), np.nan)
        b = np.full((len(rs), E), np.nan)
        for i, r in enumerate(rs):
            a[i, :len(r.history[test])] = r.history[test] * scale
            b[i, :len(r.history[train])] = r.history[train] * scale
        ep = np.arange(1, E + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if len(rs) <= 10:
                lo, hi = np.nanmin(a, 0), np.nanmax(a, 0)
            else:
                lo, hi = np.nanpercentile(a, 10, 0), np.nanpercentile(a, 90, 0)
            few = E <= 3          # a line of one or two points needs its markers to be seen
            ax.plot(ep, np.nanmean(b, 0), color="0.45", lw=0.9, ls="--", marker="x" if few else None)
            ax.plot(ep, np.nanmean(a, 0), color=color, lw=1.5, marker="o" if few else None)
        if len(rs) > 1:
            if few:
                ax.vlines(ep, lo, hi, color=color, lw=4, alpha=0.3)
            else:
                ax.fill_between(ep, lo, hi, color=color, alpha=0.22, lw=0)
        _mark_stopped(ax, rs, test, scale, "k")
        if low:
            _log_if_positive(ax, [a, b])
        title_ = "%s (%d)" % (label(by, vals), len(rs))
        ax.set_title(title_, fontsize="x-small" if len(title_) <= 36 else "xx-small")
        ax.tick_params(labelsize="x-small")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=4))
    emax = max(len(r.history["epoch"]) for r in runs)
    axes[0, 0].set_xlim(0.5 if emax <= 3 else 1, emax + 0.5 if emax <= 3 else emax)
    if emax <= 3:
        axes[0, 0].set_xticks(range(1, emax + 1))
    for ax in axes.flat[len(groups):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        if single:
            ax.set_ylabel("test loss" if runs[0].lower_is_better else "accuracy (%)", fontsize="small")
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize="small")
    n = max(len(rs) for _, rs in groups)
    band = ("band = min-max over its runs" if n <= 10 else "band = 10-90th percentile of its runs")
    fig.suptitle("%s: test %s per epoch, one panel per group (runs in brackets)\nline = mean, %s; "
                 "dashed = training" % (title, "loss" if all(r.lower_is_better for r in runs) else
                                        "accuracy" if single else "metric", band), fontsize="medium")
    # fixed margins in inches: tight_layout would measure every tick label of up to 36 panels
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=0.75 / w, right=1 - 0.15 / w, bottom=0.55 / h, top=1 - 0.85 / h,
                        wspace=0.3 if single else 0.45, hspace=0.5)
    return fig


def parallel(runs, keys, title):
    """Parallel coordinates: one vertical axis per key (numbers on a linear or log scale,
    text and booleans as evenly spaced categories), then the epochs completed and the best
    metric; one polyline per run coloured by its metric (darker = better), failed runs
    (no metric) in light gray. A run that stopped before its planned epochs ('stopped',
    or done short of train.epochs) is drawn dashed, with a dot where it stopped."""
    from matplotlib.collections import LineCollection
    if not runs:
        raise AnalysisError("no run to draw")
    low = sum(r.lower_is_better for r in runs) > len(runs) / 2
    same = [r for r in runs if r.lower_is_better == low]
    metric = np.array([M.value(r) for r in same])
    cols, names, ticks = [], [], []
    for key in keys:
        vals = [r.config.get(key) for r in same]
        kind, cats = _axis_values(vals)
        if kind == "cat":
            pos = np.array([cats.index(v) for v in vals], dtype=float)
            pos = pos / max(1, len(cats) - 1)
            tk = [(i / max(1, len(cats) - 1), str(c)) for i, c in enumerate(cats)]
        else:
            x = np.array(vals, dtype=float)
            f = np.log10 if kind == "log" else (lambda v: v)
            lo, hi = f(x.min()), f(x.max())
            pos = (f(x) - lo) / (hi - lo if hi > lo else 1)
            tv = np.geomspace(x.min(), x.max(), 4) if kind == "log" else np.linspace(x.min(), x.max(), 4)
            tk = [((f(v) - lo) / (hi - lo if hi > lo else 1), "%.3g" % v) for v in tv]
        cols.append(pos)
        names.append(key)
        ticks.append(tk)
    done = np.array([float(r.summary.get("epochs_completed", len(r.history.get("epoch", [])))) for r in same])
    planned = np.array([float(r.summary.get("epochs_planned", r.config.get("train.epochs", 0))) for r in same])
    emax = max(1.0, planned.max(), done.max())
    cols.append(done / emax)
    names.append("epochs completed")
    ticks.append([(v / emax, "%d" % v) for v in np.unique(np.linspace(0, emax, 4).round())])
    ok = np.isfinite(metric)
    if ok.any():
        mlo, mhi = metric[ok].min(), metric[ok].max()
    else:
        mlo, mhi = 0.0, 1.0
    span = mhi - mlo if mhi > mlo else 1.0
    cols.append(np.where(ok, (metric - mlo) / span, 0.0))
    names.append(M.label(low, same))
    ticks.append([((v - mlo) / span, "%.3g" % v) for v in np.linspace(mlo, mhi, 4)])
    P = np.stack(cols, axis=1)                       # [runs, axes] in [0, 1]
    xs = np.arange(P.shape[1])
    stopped = np.array([r.status == "stopped" or (r.status == "done" and d < p)
                        for r, d, p in zip(same, done, planned)])
    # better runs drawn last (on top); the colour map runs light (worse) to dark (better)
    good = np.where(ok, -metric if low else metric, -np.inf)
    order = np.argsort(good, kind="stable")
    cmap = plt.get_cmap("viridis_r")
    norm = matplotlib.colors.Normalize(vmin=mlo, vmax=mhi)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.6 * len(xs) + 1.5), 4.6))
    n = len(same)
    lw, alpha = (1.2, 0.9) if n <= 100 else (0.7, 0.5) if n <= 1000 else (0.4, 0.25)
    segs = [np.column_stack([xs, P[i]]) for i in order]
    colors = [(0.75, 0.75, 0.75, 0.6) if not ok[i] else
              cmap(norm(metric[i]) if not low else 1 - norm(metric[i])) for i in order]
    styles = ["--" if stopped[i] else "-" for i in order]
    ax.add_collection(LineCollection(segs, colors=colors, linewidths=lw, linestyles=styles, alpha=alpha))
    if stopped.any():
        e = len(keys)
        ax.plot(np.full(stopped.sum(), e), P[stopped, e], "o", ms=3.5, mfc="none", mec="k", mew=0.8,
                label="stopped early (%d)" % stopped.sum())
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), fontsize="small", frameon=False)
    for i, tk in enumerate(ticks):
        ax.axvline(i, color="0.2", lw=0.8)
        for p, text in tk:
            ax.text(i + 0.04, p, text, fontsize="x-small", va="center", ha="left", color="0.1",
                    bbox=dict(fc="white", ec="none", alpha=0.75, pad=0.6))
    ax.set_xlim(-0.2, len(xs) - 0.5)
    ax.set_ylim(-0.06, 1.06)
    ax.set_yticks([])
    ax.set_xticks(xs)
    ax.set_xticklabels(names, fontsize="small", rotation=12)
    for s in ("top", "right", "left"):
        ax.spines[s].set_visible(False)
    sm = plt.cm.ScalarMappable(cmap=cmap if not low else plt.get_cmap("viridis"), norm=norm)
    fig.colorbar(sm, ax=ax, pad=0.01, fraction=0.03).set_label(M.label(low, same), fontsize="small")
    left = len(runs) - len(same)
    fig.suptitle("%s: every run's configuration, epochs and best metric (%d runs%s); darker = better"
                 % (title, n, ", %d selected by another metric left out" % left if left else ""))
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- early stopping

def rungs(dec, title):
    """The early-stopping decisions of a sweep (load.Decisions): one panel per bracket; x =
    the rung's epoch (log scale: rungs grow by eta), y = each run's metric there (percent
    for an accuracy). A gray line follows each run across the rungs it reached; promoted
    runs are green dots, runs stopped at the rung red crosses, and a black dash is the
    rung's cutoff. Points of one rung are spread a little sideways so that they do not
    hide each other."""
    if dec is None or not len(dec):
        raise AnalysisError("no early-stopping decisions (sweep.h5 has no /decisions: the sweep's stop.kind "
                            "is none, or no rung was reached yet)")
    scale = 100 if dec.metric.endswith("_acc") else 1
    brackets = sorted(set(dec.bracket.tolist()))
    fig, axes = plt.subplots(1, len(brackets), figsize=(5.2 * len(brackets) + 1.2, 4.4), squeeze=False,
                             sharey=True)
    ids = list(dict.fromkeys(dec.run.tolist()))
    spread = {rid: 1 + 0.12 * (((i * 0.618034) % 1.0) - 0.5) for i, rid in enumerate(ids)}
    x = dec.epoch * np.array([spread[rid] for rid in dec.run])
    y = dec.metric_value * scale
    rungs_ = dec.rungs()
    for ax, b in zip(axes[0], brackets):
        m = dec.bracket == b
        for rid in dict.fromkeys(dec.run[m].tolist()):
            k = m & (dec.run == rid)
            if k.sum() > 1:
                ax.plot(x[k], y[k], color="0.72", lw=0.7, zorder=1)
        p, s = m & dec.promoted, m & ~dec.promoted
        ax.scatter(x[p], y[p], marker="o", s=24, color="tab:green", zorder=3,
                   label="promoted (%d)" % p.sum()).set_gid("promoted")
        ax.scatter(x[s], y[s], marker="x", s=30, color="tab:red", linewidths=1.4, zorder=3,
                   label="stopped (%d)" % s.sum()).set_gid("stopped")
        first = True
        for r in rungs_:
            if r["bracket"] != b or not np.isfinite(r["cutoff"]):
                continue
            ax.hlines(r["cutoff"] * scale, r["epoch"] / 1.12, r["epoch"] * 1.12, color="k", lw=1.8, zorder=4,
                      label="cutoff" if first else "_nolegend_").set_gid("cutoff")
            first = False
        epochs = sorted(set(dec.epoch[m].tolist()))
        if epochs and epochs[0] > 0:
            ax.set_xscale("log")
            ax.set_xlim(epochs[0] / 1.6, epochs[-1] * 1.6)
        ax.set_xticks(epochs)
        ax.set_xticklabels([str(e) for e in epochs])
        ax.minorticks_off()
        ax.set_xlabel("epoch of the rung")
        ax.grid(alpha=0.3)
        if len(brackets) > 1:
            ax.set_title("bracket %d" % b)
        ax.legend(fontsize="small", loc="best")
    axes[0, 0].set_ylabel("%s at the rung%s%s" % (dec.metric, " (%)" if scale == 100 else "",
                                                 ", lower is better" if dec.lower_is_better else ""))
    fig.suptitle("%s: early stopping, %s on %s (eta %d, min_epochs %d): %d decisions about %d runs"
                 % (title, dec.kind, dec.metric, dec.eta, dec.min_epochs, len(dec), len(ids)))
    fig.tight_layout()
    return fig


def search_progress(search, title):
    """A sampled search (load.Search): each point's metric against its number (dots, colored
    by round; a tpe round's points chosen from the results of every earlier one) and the
    best so far as a step line; the rounds' borders as faint vertical lines."""
    if search is None or not len(search):
        raise AnalysisError("no sampled search (sweep.h5 has no /search: the sweep's search.kind is grid)")
    scale = 100 if search.metric.endswith("_acc") else 1
    n = search.point + 1
    fig, ax = plt.subplots(figsize=(6.6, 4.2))
    known = np.isfinite(search.metric_value)
    rounds = sorted(set(search.round.tolist()))
    cmap = plt.get_cmap("viridis")
    for i, r in enumerate(rounds):
        m = known & (search.round == r)
        color = cmap(i / max(1, len(rounds) - 1)) if len(rounds) > 1 else "tab:blue"
        what = ("round 1: startup (Sobol)" if search.kind == "tpe" else search.kind) if r == 0 else "round %d (tpe)" % (r + 1)
        if len(rounds) <= 8 or r in (rounds[0], rounds[-1]):
            lab = "%s: %d point%s" % (what, m.sum(), "" if m.sum() == 1 else "s")
        else:
            lab = "_nolegend_"
        ax.scatter(n[m], search.metric_value[m] * scale, s=18, color=color, zorder=3, label=lab).set_gid("point")
        if r > 0:
            ax.axvline(n[search.round == r].min() - 0.5, color="0.85", lw=0.8, zorder=1)
    stopped = known & (search.status != "done")
    if stopped.any():
        ax.scatter(n[stopped], search.metric_value[stopped] * scale, s=40, facecolors="none", edgecolors="tab:red",
                   zorder=4, label="stopped early or diverged (%d)" % stopped.sum()).set_gid("stopped")
    ok = np.isfinite(search.best_so_far)
    ax.step(n[ok], search.best_so_far[ok] * scale, where="post", color="k", lw=1.6, zorder=5,
            label="best so far")[0].set_gid("best_so_far")
    ax.set_xlabel("points evaluated (n)")
    ax.set_ylabel("%s%s (%s is better)" % (search.metric, " (%)" if scale == 100 else "",
                                           "higher" if search.mode == "max" else "lower"))
    ax.set_title("%s: %s search, %d of %d points" % (title, search.kind, len(search), search.samples))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right" if search.mode == "max" else "upper right")
    fig.tight_layout()
    return fig


def pbt_population(pbt, title, key="train.lr"):
    """A pbt search (load.Pbt): left, every member's metric per epoch (thin grey; the best
    member's in black), each exploit drawn as a jump at its barrier from the member's value
    to its donor's (whose state it continues from); right, `key` per epoch for every member
    (grey) and the best member (black): the schedule the population found."""
    scale = 100 if pbt.metric_name.endswith("_acc") else 1
    x = np.arange(1, pbt.epochs + 1)
    finite = [np.nanmin(r) if pbt.mode == "min" else np.nanmax(r) for r in pbt.metric if np.isfinite(r).any()]
    if not finite:
        raise AnalysisError("no member has a recorded %s yet" % pbt.metric_name)
    score = [(np.nanmin(r) if pbt.mode == "min" else -np.nanmax(r)) if np.isfinite(r).any() else np.inf
             for r in pbt.metric]
    best = int(np.argmin(score))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for m, r in enumerate(pbt.metric):
        ax.plot(x, r * scale, color="0.7", lw=0.8, zorder=2)
    for e, m, dn in pbt.exploits:
        a, b = pbt.metric[m, e - 1] * scale, pbt.metric[dn, e - 1] * scale
        ax.plot([e, e], [a, b], color="tab:orange", lw=1.2, zorder=3)
        ax.plot([e, e + 1], [b, pbt.metric[m, e] * scale] if e < pbt.epochs else [b, b], color="tab:orange", lw=0.8,
                ls=":", zorder=3)
    ax.plot(x, pbt.metric[best] * scale, color="k", lw=1.8, zorder=4, label="best member %s" % pbt.ids[best])
    ax.plot([], [], color="tab:orange", lw=1.2, label="exploit: the member jumps to its donor's state (%d)"
            % len(pbt.exploits))
    ax.set_xlabel("epoch")
    ax.set_ylabel("%s (%s is better)" % (pbt.metric_name, "higher" if pbt.mode == "max" else "lower"))
    if pbt.mode == "min" and np.nanmin(pbt.metric) > 0:
        ax.set_yscale("log")
    ax.set_title("%s: %d members" % (title, len(pbt.ids)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    v = pbt.values.get(key)
    if v is None:
        raise AnalysisError("%s is not a key of the pbt search's space (%s)" % (key, ", ".join(pbt.keys)))
    for m in range(len(pbt.ids)):
        bx.step(x, v[m], where="mid", color="0.75", lw=0.8)
    bx.step(x, v[best], where="mid", color="k", lw=1.8, label="best member")
    bx.set_yscale("log")
    bx.set_xlabel("epoch")
    bx.set_ylabel(key)
    bx.set_title("%s per epoch: the best member's schedule in black" % key)
    bx.grid(alpha=0.3)
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig


def pareto(configs, costs, lower_is_better, ylabel, title):
    """The configurations' metric against each cost, one panel per cost: configs is a list
    of (label, value, {cost name: cost}), costs a list of (cost name, axis label, log axis).
    The Pareto frontier (metrics.pareto: no other configuration is better on both) is
    drawn as black-ringed points joined by a step line, the others as gray dots."""
    fig, axes = plt.subplots(1, len(costs), figsize=(4.6 * len(costs) + 0.4, 3.9), squeeze=False)
    values = np.array([c[1] for c in configs], dtype=float)
    for ax, (name, xlabel, log) in zip(axes[0], costs):
        x = np.array([c[2].get(name, np.nan) for c in configs], dtype=float)
        front = M.pareto(values, x, lower_is_better)
        rest = [i for i in range(len(configs)) if i not in front and np.isfinite(x[i]) and np.isfinite(values[i])]
        ax.scatter(x[rest], values[rest], s=18, color="0.6", zorder=2,
                   label="beaten on both (%d)" % len(rest)).set_gid("beaten")
        ax.scatter(x[front], values[front], s=36, color="tab:blue", edgecolors="k", zorder=4,
                   label="Pareto frontier (%d)" % len(front)).set_gid("frontier")
        if front:
            ax.step(x[front], values[front], where="post", color="k", lw=1.0, zorder=3)
        for i in front[:12]:
            ax.annotate(configs[i][0], (x[i], values[i]), fontsize=6, xytext=(3, 3), textcoords="offset points")
        if log and np.all(x[np.isfinite(x)] > 0):
            ax.set_xscale("log")
        ax.set_xlabel(xlabel + " (lower is better)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right" if not lower_is_better else "upper right")
    fig.suptitle("%s: metric against cost" % title, fontsize=10)
    fig.tight_layout()
    return fig
