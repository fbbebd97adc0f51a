"""What a run's metric is: the value its best epoch was chosen by, how it reads (higher
accuracy or lower loss is better) and what its loss is. The figures (plots.py), the
report (report.py) and the command line ask here rather than each deciding for itself."""

import numpy as np


def value(run):
    """A run's best metric as plotted and ranked: the best test accuracy in percent, or (runs
    selected by their lowest test loss) the lowest test loss; with a validation set, the test
    set's at the epoch validation chose. NaN when the run has none."""
    if run.lower_is_better:
        return run.best_test
    return run.best_test * 100


def loss_unit(runs):
    """The loss axis' unit: what the runs' losses are."""
    names = {r.loss_name for r in runs}
    return "MSE" if names == {"MSE"} else "cross-entropy (nats)" if names <= {"cross-entropy"} else \
        "bits per character" if names == {"bits/char"} else "loss (cross-entropy or MSE)"


def label(lower_is_better, runs=()):
    """The axis label of the best metric of runs that read one way."""
    return ("best test %s (lower is better)" % loss_unit(runs) if lower_is_better else
            "best test accuracy (%)")


def mode(runs):
    """'loss' when every run was selected by its lowest test loss (regression: there is no
    accuracy to plot), 'acc' when none was (classification, copy, files without the metric
    attributes), 'mixed' otherwise."""
    low = {r.lower_is_better for r in runs}
    return "loss" if low == {True} else "mixed" if low == {True, False} else "acc"


def by_mode(runs):
    """The runs split by how their metric reads: [(lower_is_better, runs)], accuracy first."""
    out = []
    for low in (False, True):
        sub = [r for r in runs if r.lower_is_better == low]
        if sub:
            out.append((low, sub))
    return out


def best(runs):
    """The run with the best metric (the highest accuracy, or the lowest loss of runs read
    that way), the earliest on ties; None when no run has a finite one."""
    cand = [r for r in runs if np.isfinite(value(r))]
    if not cand:
        return None
    return min(cand, key=lambda r: value(r) if r.lower_is_better else -value(r))


def pareto(values, costs, lower_is_better):
    """The indices of the points (values[i], costs[i]) no other beats on both: at least as
    good a value (by lower_is_better) and at most the cost, better on one; equal points
    both stay, points without both numbers are left out. `sweep summarize --pareto`'s rule,
    cheapest first."""
    ok = [i for i in range(len(values)) if np.isfinite(values[i]) and np.isfinite(costs[i])]
    sign = -1.0 if lower_is_better else 1.0

    def beats(a, b):
        return (sign * values[a] >= sign * values[b] and costs[a] <= costs[b]
                and (values[a] != values[b] or costs[a] != costs[b]))
    front = [i for i in ok if not any(beats(j, i) for j in ok if j != i)]
    return sorted(front, key=lambda i: costs[i])
