"""Read a sweep directory (or single run files) as written by `sweep`.

The file contract is docs/hdf5-layout.md. Everything small (root and
/config attributes, /history, /summary) is read eagerly when a Run is
created; large arrays (/probe, /gradients, /weights) are read on demand
through Run.array(path), which opens the file only for that read, so
hundreds of Run objects hold no open file handles.
"""

import math
import os
import sys

import h5py
import numpy as np


# What a constant answer's loss is, per task.kind (src/engine/task.h, sw_task_baseline_loss): the
# line a trained network must get below. T is the task.seq_len of the config (copy sequences
# have T+20 steps). Tasks not listed have no baseline.
BASELINES = {
    "adding": lambda T: 1.0 / 6.0,                  # always answering 1: E[(a+b-1)^2], a, b ~ U[0,1]
    "copy": lambda T: 10 * math.log(8) / (T + 20),  # blanks, then uniform guesses over the 8 symbols
}


def baseline_loss(config):
    """The baseline loss of a run's task (config: dotted key -> value), or None. A text's
    baseline is in its run file (/task unigram_entropy): Run.baseline reads it."""
    f = BASELINES.get(config.get("task.kind"))
    return None if f is None else f(config.get("task.seq_len", 0))


# task.kind text is measured in bits per character: a text run's losses (history, summary,
# baseline) are the file's nats divided by ln 2 once read.
LOSS_COLUMNS = ("train_loss", "test_loss", "val_loss")


# The statuses of a complete run file: 'stopped' is a run early stopping ended at a rung (its
# history an exact prefix of the same run trained to the end), not a failure.
STATUSES = ("done", "stopped", "diverged", "failed")

# Validation history columns: written only with task.val_size > 0; the loader gives NaN where
# a file has none (docs/hdf5-layout.md).
VAL_COLUMNS = ("val_loss", "val_acc")


# The weight sets a transformer run records attention maps for: /probe/attention_final and
# /probe/attention_best.
ATTENTION_SETS = ("final", "best")


class AnalysisError(Exception):
    """A user-facing problem (missing directory, wrong file, no data).

    The command line prints the message without a traceback and exits 2.
    """


def _str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return v


def _plain(v):
    """Attribute value -> plain Python value (str, int, float, bool, list)."""
    v = _str(v)
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "SO":
            return [_str(x) for x in v.tolist()]
        return v.tolist()
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


class Run:
    """One run file.

    Attributes: path, attrs (every root attribute, plain values), run_id, status ('done',
    'stopped' (ended by early stopping at a rung), 'diverged', 'failed'), error,
    config (dict: dotted key -> value), swept_keys (list of str; empty
    when the sweep varied nothing), has_swept_keys (False when the file has
    no `swept_keys` attribute; load.swept_keys(runs) then infers them),
    history (dict: column -> numpy array, e.g. 'test_acc'; 'val_loss' and
    'val_acc' always, NaN without a validation set; a text run's losses in bits
    per character (bits True), the file's nats / ln 2), summary (dict of
    /summary attributes), has_results (False for failed runs: no /weights,
    /probe, /gradients); metric ('test_acc' or 'test_loss'; with a validation
    set 'val_acc' or 'val_loss') and metric_mode ('max' or 'min'), what its
    best epoch was chosen by (files written before /summary named them:
    'test_acc', 'max'), best_metric (its value there).
    """

    def __init__(self, path):
        self.path = path
        try:
            f = h5py.File(path, "r")
        except (OSError, IOError) as e:
            raise AnalysisError("%s: cannot open as HDF5 (%s)" % (path, e))
        with f:
            fmt = _str(f.attrs.get("format", ""))
            if fmt != "sweep-run":
                if fmt == "sweep-index":
                    raise AnalysisError("%s is a sweep index, not a run file; pass its directory "
                                        "or one of the run files" % path)
                raise AnalysisError("%s is not a sweep run file (root attribute format=%r, "
                                    "expected 'sweep-run')" % (path, fmt))
            # every root attribute (created, wall_seconds, program, config text, ...) as plain values
            self.attrs = {k: _plain(v) for k, v in f.attrs.items()}
            self.run_id = _str(f.attrs.get("run_id", os.path.basename(path)[:-3]))
            self.sweep = _str(f.attrs.get("sweep", ""))
            self.status = _str(f.attrs.get("status", ""))
            self.error = _str(f.attrs.get("error", ""))
            # absent (not merely empty) in files from another writer: see swept_keys(runs)
            self.has_swept_keys = "swept_keys" in f.attrs
            self.swept_keys = [_str(k) for k in np.atleast_1d(f.attrs.get("swept_keys", []))]
            self.config = {k: _plain(v) for k, v in f["config"].attrs.items()} if "config" in f else {}
            self.history = {}
            if "history" in f:
                for k, d in f["history"].items():
                    if isinstance(d, h5py.Dataset):
                        self.history[k] = d[()]
            self.summary = {k: _plain(v) for k, v in f["summary"].attrs.items()} if "summary" in f else {}
            self.has_results = "probe" in f and "gradients" in f
            # the gradient reaching the inputs, recorded since the transformer came (older files lack it)
            self.has_input_gradient = self.has_results and "dloss_dx_norm" in f["gradients"]
            # the transformer's attention maps (docs/hdf5-layout.md), [L, A, T, T] per weight set
            self.attention_sets = tuple(w for w in ATTENTION_SETS
                                        if "probe" in f and "attention_" + w in f["probe"])
            # a text's baseline: the entropy of its character frequencies (nats)
            self._unigram = float(f["task"].attrs["unigram_entropy"]) \
                if "task" in f and "unigram_entropy" in f["task"].attrs else None
        # the same columns for every run: a run without a validation set has NaN there
        n = len(self.history.get("epoch", []))
        for k in VAL_COLUMNS:
            if k not in self.history:
                self.history[k] = np.full(n, np.nan)
        self.bits = self.config.get("task.kind") == "text"
        if self.bits:
            for k in LOSS_COLUMNS:
                if k in self.history:
                    self.history[k] = self.history[k] / math.log(2)
            for k in ("best_test_loss", "best_metric"):
                if k in self.summary:
                    self.summary[k] = float(self.summary[k]) / math.log(2)
        self.metric = str(self.summary.get("metric", "test_acc"))
        self.metric_mode = str(self.summary.get("metric_mode", "max"))
        best = self.summary.get("best_test_loss" if self.lower_is_better else "best_test_acc", float("nan"))
        self.best_metric = float(self.summary.get("best_metric", best))

    @property
    def has_validation(self):
        """True when the run has a validation set (task.val_size > 0): its best epoch was
        chosen by val_acc or val_loss, and the test metrics are reported at that epoch."""
        return self.metric.startswith("val_") or bool(self.config.get("task.val_size", 0))

    @property
    def best_test(self):
        """The test metric at the best epoch: accuracy as a fraction, or for a run selected
        by a loss (lower_is_better) the test loss. NaN when the run has none."""
        if self.lower_is_better:
            v = self.summary.get("best_test_loss", np.nan) if self.has_validation else self.best_metric
        else:
            v = self.summary.get("best_test_acc", np.nan)
        return float(v)

    @property
    def best_val(self):
        """The validation metric the best epoch was chosen by (val_acc as a fraction, or
        val_loss), NaN for a run without a validation set."""
        return float(self.best_metric) if self.metric.startswith("val_") else float("nan")

    @property
    def stopped(self):
        """True for a run early stopping ended at a rung (status 'stopped')."""
        return self.status == "stopped"

    @property
    def epochs_completed(self):
        return int(self.summary.get("epochs_completed", len(self.history.get("epoch", []))))

    @property
    def epochs_planned(self):
        return int(self.summary.get("epochs_planned", self.config.get("train.epochs", 0)))

    @property
    def lower_is_better(self):
        """True for a run selected by its lowest test loss (a regression: the loss is the MSE)."""
        return self.metric_mode == "min"

    @property
    def baseline(self):
        """Its task's baseline loss (a constant answer's), or None: for a text the unigram
        entropy in bits per character."""
        if self.bits:
            return self._unigram / math.log(2) if self._unigram else None
        return baseline_loss(self.config)

    @property
    def loss_name(self):
        """'bits/char' for a text, 'MSE' for a regression (selected by its loss), else
        'cross-entropy'."""
        return "bits/char" if self.bits else "MSE" if self.metric in ("test_loss", "val_loss") else "cross-entropy"

    def array(self, name):
        """Read dataset `name` (e.g. 'probe/hidden_best') as a numpy array.

        Raises AnalysisError when it is absent (a failed run has no
        /weights, /probe or /gradients).
        """
        with h5py.File(self.path, "r") as f:
            if name not in f:
                raise AnalysisError("%s (status %s) has no /%s" % (self.path, self.status, name))
            return f[name][()]

    @property
    def has_attention(self):
        """True when the run recorded attention maps (a transformer with results)."""
        return bool(self.attention_sets)

    def attention(self, weights="final"):
        """The attention weights /probe/attention_<weights> ('final' or 'best') as a float
        array [L, A, T, T] (query step, key step; averaged over the probe sequences), or None
        when the run has none (a recurrent cell, a failed run, or a file without that set)."""
        if weights not in self.attention_sets:
            return None
        return self.array("probe/attention_" + weights)

    def weight_names(self, weights="final"):
        """The dataset paths under /weights/<weights>, relative to it and in file order, e.g.
        'rnn/weight_ih_l0' or 'transformer/layers.0.self_attn.in_proj_weight' (the
        transformer's PyTorch state-dict names keep their dots: they are one HDF5 name, not
        nested groups). Empty when the run has no such weights (a failed run)."""
        names = []
        with h5py.File(self.path, "r") as f:
            g = f.get("weights/" + weights)
            if isinstance(g, h5py.Group):
                g.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        return names

    def key(self, keys):
        """Tuple of this run's config values for `keys`."""
        return tuple(self.config.get(k) for k in keys)

    def __repr__(self):
        return "Run(%r, status=%r)" % (self.run_id, self.status)


def run_files(target):
    """Run-file paths for a directory (every *.h5 except sweep.h5 and hidden
    temporaries, in name order) or a single file."""
    if os.path.isdir(target):
        names = sorted(n for n in os.listdir(target)
                       if n.endswith(".h5") and n != "sweep.h5" and not n.startswith("."))
        if not names:
            raise AnalysisError("%s: no run files (*.h5) in this directory; "
                                "run `sweep CONFIG -o %s` first" % (target, target))
        return [os.path.join(target, n) for n in names]
    if os.path.isfile(target):
        return [target]
    raise AnalysisError("%s: no such file or directory" % target)


def load_runs(target):
    """A sweep directory, one run file, or a list of them -> list of Run, in name order
    (a list: target by target, in its order).

    A directory whose index lists a grid order uses that order. Hidden
    temporaries and sweep.h5 are skipped; in a directory, files that are
    not sweep run files are skipped with a warning on stderr. When the runs
    come from several sweeps (label_sweeps), each run's config has a 'sweep'
    entry naming its sweep, which tells them apart like a config key.
    """
    targets = [target] if isinstance(target, str) else list(target)
    runs = []
    for t in targets:
        runs += _load_one(t)
    label_sweeps(runs, targets)
    return runs


def _load_one(target):
    if not os.path.isdir(target):
        return [Run(p) for p in run_files(target)]
    runs = []
    for p in run_files(target):
        try:
            runs.append(Run(p))
        except AnalysisError as e:   # a stray file must not hide the sweep's results
            sys.stderr.write("analysis: warning: skipping %s\n" % e)
    if not runs:
        raise AnalysisError("%s: no readable sweep run file in this directory" % target)
    if os.path.isdir(target) and os.path.exists(os.path.join(target, "sweep.h5")):
        try:
            order = {r: i for i, r in enumerate(load_table(target).get("run_id", []))}
            runs.sort(key=lambda r: order.get(r.run_id, len(order)))
        except AnalysisError:
            pass
    return runs


def load_table(target):
    """DIR/sweep.h5 (or the index file itself) -> dict column -> numpy array.

    String columns are decoded to str (object arrays)."""
    path = os.path.join(target, "sweep.h5") if os.path.isdir(target) else target
    if not os.path.exists(path):
        raise AnalysisError("%s: no such index file" % path)
    try:
        f = h5py.File(path, "r")
    except (OSError, IOError) as e:
        raise AnalysisError("%s: cannot open as HDF5 (%s)" % (path, e))
    with f:
        if _str(f.attrs.get("format", "")) != "sweep-index" or "table" not in f:
            raise AnalysisError("%s is not a sweep index (format 'sweep-index' with /table)" % path)
        cols = {}
        for k, d in f["table"].items():
            v = d[()]
            if v.dtype.kind in "SO":
                v = np.array([_str(x) for x in v], dtype=object)
            cols[k] = v
        return cols


class Decisions:
    """The early-stopping decisions of DIR/sweep.h5 (/decisions, docs/hdf5-layout.md).

    Attributes: kind ('sha', 'hyperband', 'median'), metric (e.g. 'val_acc'), eta,
    min_epochs, by ('configuration' or 'run'; 'run' in indexes from before stop.by), and
    one numpy array per column, all of one length, rows ordered by bracket, rung, run id:
    bracket, rung, epoch (int), run (str), metric_value (float64, the 'metric' column: the
    value ranked, by configuration the mean of its seeds), cutoff (float64, NaN when nobody
    was promoted), promoted (bool); configuration (int) and run_value (float64, the run's
    own metric) when the index has them (None in older ones).
    """

    COLUMNS = ("bracket", "rung", "epoch", "run", "metric", "cutoff", "promoted")
    OPTIONAL = ("configuration", "run_metric", "round")

    def __init__(self, attrs, cols):
        self.kind = str(attrs.get("kind", ""))
        self.metric = str(attrs.get("metric", ""))
        self.eta = int(attrs.get("eta", 0))
        self.min_epochs = int(attrs.get("min_epochs", 0))
        self.bracket = np.asarray(cols["bracket"], dtype=np.int64)
        self.rung = np.asarray(cols["rung"], dtype=np.int64)
        self.epoch = np.asarray(cols["epoch"], dtype=np.int64)
        self.run = np.asarray(cols["run"], dtype=object)
        self.metric_value = np.asarray(cols["metric"], dtype=np.float64)
        self.cutoff = np.asarray(cols["cutoff"], dtype=np.float64)
        self.promoted = np.asarray(cols["promoted"]).astype(bool)
        self.by = str(attrs.get("by", "run"))
        self.configuration = (np.asarray(cols["configuration"], dtype=np.int64)
                              if "configuration" in cols else None)
        self.run_value = np.asarray(cols["run_metric"], dtype=np.float64) if "run_metric" in cols else None
        # a tpe search's round of each row (each round's rungs rank its own runs); None otherwise
        self.round = np.asarray(cols["round"], dtype=np.int64) if "round" in cols else None

    @property
    def by_configuration(self):
        """Decided by configuration, and some configuration has several runs."""
        if self.by != "configuration" or self.configuration is None or not len(self):
            return False
        first = (self.bracket == self.bracket[0]) & (self.rung == self.rung[0])
        return len(set(self.configuration[first].tolist())) < int(first.sum())

    def __len__(self):
        return len(self.run)

    @property
    def lower_is_better(self):
        """A loss metric: the promoted runs are the lowest."""
        return self.metric.endswith("_loss")

    def rungs(self):
        """One dict per (round, bracket, rung) in the file's order: round (a tpe search's, from
        0; 0 otherwise), bracket, rung, epoch, runs (how many reached it), promoted, stopped,
        cutoff (NaN: nobody promoted)."""
        out = []
        for i in range(len(self)):
            rnd = int(self.round[i]) if self.round is not None else 0
            key = (rnd, int(self.bracket[i]), int(self.rung[i]))
            if not out or (out[-1]["round"], out[-1]["bracket"], out[-1]["rung"]) != key:
                out.append({"round": rnd, "bracket": key[1], "rung": key[2], "epoch": int(self.epoch[i]), "runs": 0,
                            "promoted": 0, "stopped": 0, "cutoff": float("nan")})
            r = out[-1]
            r["runs"] += 1
            r["promoted" if self.promoted[i] else "stopped"] += 1
            if np.isnan(r["cutoff"]):
                r["cutoff"] = float(self.cutoff[i])
        return out


class Search:
    """A sampled search's points from DIR/sweep.h5 (/search, docs/hdf5-layout.md).

    Attributes: kind ('random', 'sobol', 'tpe'), metric (e.g. 'val_acc'), mode ('max' or
    'min'), samples, rounds, rounds_known, startup, batch, seed, and one numpy array per
    column, one entry per point in the order chosen: point, round (int), origin, status
    (str), score, metric_value (the 'metric' column), best_so_far (float64), epochs (int),
    and values {key: array} for the space's keys."""

    COLUMNS = ("point", "round", "origin", "score", "metric", "epochs", "status", "best_so_far")

    def __init__(self, attrs, cols, values):
        self.kind = str(attrs.get("kind", ""))
        self.metric = str(attrs.get("metric", ""))
        self.mode = str(attrs.get("mode", "max"))
        for k in ("samples", "rounds", "rounds_known", "startup", "batch", "seed"):
            setattr(self, k, int(attrs.get(k, 0)))
        self.point = np.asarray(cols["point"], dtype=np.int64)
        self.round = np.asarray(cols["round"], dtype=np.int64)
        self.origin = np.asarray(cols["origin"], dtype=object)
        self.status = np.asarray(cols["status"], dtype=object)
        self.score = np.asarray(cols["score"], dtype=np.float64)
        self.metric_value = np.asarray(cols["metric"], dtype=np.float64)
        self.best_so_far = np.asarray(cols["best_so_far"], dtype=np.float64)
        self.epochs = np.asarray(cols["epochs"], dtype=np.int64)
        self.values = values

    def __len__(self):
        return len(self.point)


def _open_index(target):
    """DIR/sweep.h5 (or the index itself) opened read-only, or None when it is missing or does
    not open as HDF5 (the caller closes it)."""
    path = os.path.join(target, "sweep.h5") if os.path.isdir(target) else target
    if not os.path.exists(path):
        return None
    try:
        return h5py.File(path, "r")
    except (OSError, IOError):
        return None


def load_search(target):
    """DIR/sweep.h5 (or the index itself) -> Search, or None when there is no index or it has
    no /search (not a sampled search). A malformed /search raises AnalysisError."""
    f = _open_index(target)
    if f is None:
        return None
    with f:
        if "search" not in f:
            return None
        g = f["search"]
        missing = [c for c in Search.COLUMNS if c not in g] if isinstance(g, h5py.Group) else ["its columns"]
        if missing:
            raise AnalysisError("%s: /search lacks %s" % (f.filename, ", ".join(missing)))
        cols, values = {}, {}
        for c in g:
            v = g[c][()]
            v = np.array([_str(x) for x in v], dtype=object) if v.dtype.kind in "SO" else v
            (cols if c in Search.COLUMNS else values)[c] = v
        if len({len(v) for v in list(cols.values()) + list(values.values())}) != 1:
            raise AnalysisError("%s: the columns of /search differ in length" % f.filename)
        return Search({k: _plain(v) for k, v in g.attrs.items()}, cols, values)


def index_attrs(target):
    """The root attributes of DIR/sweep.h5 (or the index itself) as plain values; {} when
    there is no readable index."""
    path = os.path.join(target, "sweep.h5") if os.path.isdir(target) else target
    try:
        with h5py.File(path, "r") as f:
            return {k: _plain(v) for k, v in f.attrs.items()}
    except (OSError, IOError):
        return {}


def read_index(target):
    """DIR/sweep.h5 (or the index itself) -> (its root attributes as plain values, its
    /table columns); ({}, {}) when there is none. AnalysisError when it cannot be read."""
    path = os.path.join(target, "sweep.h5") if os.path.isdir(target) else target
    if not os.path.exists(path):
        return {}, {}
    try:
        with h5py.File(path, "r") as f:
            attrs = {k: _plain(v) for k, v in f.attrs.items()}
    except OSError as e:
        raise AnalysisError("%s: %s" % (path, e))
    return attrs, load_table(target)


def sweep_file_field(text, key):
    """The value of a top-level `key:` of a sweep file's text (sweep.h5 keeps the text), as
    one line: plain, quoted, flow ({...}) or block (| and >) scalars with their indented
    continuation lines; '' when absent. For what a sweep file says about itself and no run
    file records as a value (its description, its search line): a run's config is read from
    its file's /config (Run.config), never from this text."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith(key + ":"):
            continue
        first = line[len(key) + 1:].split(" #")[0].strip()
        rest = []
        for more in lines[i + 1:]:
            if more.strip() and not more[:1].isspace():
                break
            if more.strip() and not more.strip().startswith("#"):
                rest.append(more.strip())
        if first in ("|", ">", "|-", ">-", ""):
            return " ".join(rest)
        if first[:1] in "'\"" and first[-1:] == first[:1] and len(first) > 1:
            return first[1:-1]
        return " ".join([first] + rest)
    return ""


def load_decisions(target):
    """DIR/sweep.h5 (or the index itself) -> Decisions, or None when there is no index or it
    has no /decisions (a sweep without early stopping). A malformed /decisions raises
    AnalysisError."""
    f = _open_index(target)
    if f is None:
        return None
    with f:
        if "decisions" not in f:
            return None
        g = f["decisions"]
        missing = [c for c in Decisions.COLUMNS if c not in g]
        if missing or not isinstance(g, h5py.Group):
            raise AnalysisError("%s: /decisions lacks %s" % (f.filename, ", ".join(missing) or "its columns"))
        cols = {}
        for c in Decisions.COLUMNS + tuple(c for c in Decisions.OPTIONAL if c in g):
            v = g[c][()]
            cols[c] = np.array([_str(x) for x in v], dtype=object) if v.dtype.kind in "SO" else v
        if len({len(v) for v in cols.values()}) != 1:
            raise AnalysisError("%s: the columns of /decisions differ in length" % f.filename)
        return Decisions({k: _plain(v) for k, v in g.attrs.items()}, cols)


def group_runs(runs, by):
    """Group runs by the config values of the keys `by`.

    Returns a list of (values tuple, [runs]) in first-appearance order."""
    groups = {}
    for r in runs:
        groups.setdefault(r.key(by), []).append(r)
    return list(groups.items())


def swept_keys(runs):
    """The dotted config keys the sweep varied, in first-appearance order.

    The union of the runs' root attribute `swept_keys`. When no run carries
    that attribute (files written by another tool, or by hand), they are
    inferred: every /config key whose value is not the same in all runs."""
    keys = []
    if any(r.has_swept_keys for r in runs):
        for r in runs:
            for k in r.swept_keys:
                if k not in keys:
                    keys.append(k)
        return keys
    for r in runs:
        for k in r.config:
            if k not in keys and len({repr(x.config.get(k)) for x in runs}) > 1:
                keys.append(k)
    return keys


def config_keys(runs):
    """The config keys that tell the runs' configurations apart, as `sweep summarize` groups
    them: every key whose value differs between the runs though no file lists it as swept
    (in /config's order; files of two sweeps at T=20 and T=50 differ in task.seq_len, which
    neither swept), then the swept keys. 'sweep' first when the runs come from several
    sweeps (label_sweeps)."""
    swept = [k for k in swept_keys(runs) if k != "sweep"] if any(r.has_swept_keys for r in runs) else []
    order = []
    for r in runs:
        order += [k for k in r.config if k not in order and k != "sweep"]
    differ = [k for k in order if k not in swept and len({repr(r.config.get(k)) for r in runs}) > 1]
    lead = ["sweep"] if any("sweep" in r.config for r in runs) else []
    return lead + differ + swept


def default_grouping(runs):
    """config_keys except `seed` (what distinguishes configurations)."""
    return [k for k in config_keys(runs) if k != "seed"]


def label_sweeps(runs, targets=()):
    """Which sweep each run comes from: its name (root attribute `sweep`) and the directory its
    file really is in (links resolved), as `sweep summarize` tells sweeps apart. With several,
    each run's config gets 'sweep': the sweep's name, or 'name (DIR)' when sweeps share a name
    (DIR: the target the file was read from when it is there, else its real directory).
    Returns [(label, number of runs)] in order of first appearance."""
    sweeps = {}
    for r in runs:
        origin = os.path.dirname(os.path.realpath(r.path))
        sweeps.setdefault((r.sweep, origin), []).append(r)
    names = [name for name, _ in sweeps]
    out = []
    for (name, origin), rs in sweeps.items():
        where = next((t for t in targets if os.path.isdir(t) and os.path.realpath(t) == origin), None)
        if where is None:
            rel = os.path.relpath(origin)
            where = rel if not rel.startswith("..") else origin
        lab = where if not name else ("%s (%s)" % (name, where) if names.count(name) > 1 else name)
        out.append((lab, len(rs)))
        if len(sweeps) > 1:
            for r in rs:
                r.config["sweep"] = lab
    return out


def _edit_distance(a, b):
    """Levenshtein distance, as src/common.c's sw_edit_distance (words over 63 characters are far)."""
    if len(a) > 63 or len(b) > 63:
        return 1 << 20
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            up = row[j]
            row[j] = min(diag + (a[i - 1] != b[j - 1]), up + 1, row[j - 1] + 1)
            diag = up
    return row[len(b)]


def _suggest(name, keys):
    """The key or section nearest to name, by src/config.c's sw_schema_suggest (a distance of
    whole names, or of the last parts plus one; a limit of a third of the last part's length
    plus one, from 2 to 4), or None."""
    sections = []
    for k in keys:
        parts = k.split(".")
        for n in range(1, len(parts)):
            sec = ".".join(parts[:n])
            if sec not in sections:
                sections.append(sec)
    tail = name.split(".")[-1]
    best, best_d = None, 1000
    for cand in list(keys) + sections:
        d = min(_edit_distance(name, cand), _edit_distance(tail, cand.split(".")[-1]) + 1)
        if d < best_d:
            best, best_d = cand, d
    limit = min(max(len(tail) // 3 + 1, 2), 4)
    return best if best_d <= limit else None


# Config keys that say how a run is executed, not what it computes (src/config.c's
# runtime_keys): in no run file's /config, yet names the resolver knows (so that "every" is
# as ambiguous here as in a config file).
RUNTIME_KEYS = ("record.checkpoint_every",)


def resolve_key(name, runs, option="--where"):
    """The config key `name` means for these runs, as a config file, --set and `sweep
    summarize --by` take it (src/sweepspec.c's sw_resolve_key): the dotted key itself, or the
    one key whose last dotted parts it is (lr, cell, seq_len, schedule.kind); 'sweep' when the
    runs come from several sweeps. AnalysisError otherwise, naming the candidates of an
    ambiguous name or the nearest key (the same answers as summarize: tests/test_key_names.py)."""
    keys = []
    for r in runs:
        keys += [k for k in r.config if k not in keys]
    known = [k for k in keys if k != "sweep"] + [k for k in RUNTIME_KEYS if k not in keys]
    found = [name] if name in keys else [k for k in known if k.endswith("." + name)]
    if len(found) == 1 and found[0] in RUNTIME_KEYS:
        raise AnalysisError("%s: %s says how a run is executed and is not recorded in run files" % (option, found[0]))
    if len(found) == 1:
        return found[0]
    if found:
        raise AnalysisError("%s: key '%s' is ambiguous: it could be %s; write the full name"
                            % (option, name, ", ".join(found)))
    near = _suggest(name, [k for k in known if k not in RUNTIME_KEYS] + list(RUNTIME_KEYS))
    raise AnalysisError("%s: unknown key '%s'%s" % (option, name, " (did you mean '%s'?)" % near if near else
                                                    "; `sweep help keys` lists the keys"))


def parse_where(items):
    """['model.cell=rnn', 'task.seq_len=20,50'] -> [(key, [str values])]."""
    out = []
    for it in items or []:
        if "=" not in it:
            raise AnalysisError("--where %r: expected KEY=VALUE[,VALUE...], e.g. model.cell=rnn" % it)
        k, v = it.split("=", 1)
        out.append((k.strip(), [x.strip() for x in v.split(",")]))
    return out


def _matches(value, wanted):
    for w in wanted:
        if isinstance(value, bool):
            if w.lower() in (("true", "1") if value else ("false", "0")):
                return True
        elif isinstance(value, (int, float)):
            try:
                if float(w) == float(value):
                    return True
            except ValueError:
                pass
        elif str(value) == w:
            return True
    return False


def filter_runs(runs, where):
    """Keep the runs whose config matches every (key, values) of `where`; a key may be short
    (resolve_key)."""
    for k, vals in where:
        if runs:
            k = resolve_key(k, runs)
        runs = [r for r in runs if _matches(r.config.get(k), vals)]
    if not runs:
        raise AnalysisError("no run matches the --where filters")
    return runs


def label(keys, values):
    """'cell=gru, seq_len=100' from dotted keys (last component) and values."""
    if not keys:
        return "all runs"
    return ", ".join("%s=%s" % (k.split(".")[-1], v) for k, v in zip(keys, values))


class Pbt:
    """A pbt search (sweep.h5 /pbt and the members' files): per member its id, its metric per
    epoch (metric[m], NaN-padded to the longest), its keys' values per epoch (values[key][m]),
    and the exploits: (epoch, member, donor) rows."""

    def __init__(self, d):
        with h5py.File(os.path.join(d, "sweep.h5"), "r") as ix:
            if "pbt" not in ix:
                raise AnalysisError("%s: no pbt search (sweep.h5 has no /pbt: the sweep's search.kind is not pbt)" % d)
            p = ix["pbt"]
            s = lambda x: x.decode() if isinstance(x, bytes) else x
            self.metric_name = s(p.attrs["metric"])
            self.mode = s(p.attrs["mode"])
            self.keys = [s(k) for k in p.attrs["keys"]]
            self.ids = [s(x) for x in ix["table/run_id"][:]]
            self.exploits = [(int(e), int(m), int(dn)) for e, m, dn in zip(p["epoch"][:], p["member"][:], p["donor"][:])
                             if dn >= 0]
        n, E = len(self.ids), 0
        hist, vals = [], {k: [] for k in self.keys}
        for rid in self.ids:
            path = os.path.join(d, rid + ".h5")
            if not os.path.exists(path):
                hist.append(np.array([]))
                for k in self.keys:
                    vals[k].append(np.array([]))
                continue
            with h5py.File(path, "r") as f:
                hist.append(f["history"][self.metric_name][:])
                for k in self.keys:
                    vals[k].append(f["history"][k][:])
            E = max(E, len(hist[-1]))
        pad = lambda a: np.concatenate([a, np.full(E - len(a), np.nan)])
        self.metric = np.array([pad(h) for h in hist]) if n else np.zeros((0, 0))
        self.values = {k: np.array([pad(v) for v in vals[k]]) for k in self.keys}
        self.epochs = E


def load_pbt(d):
    """The pbt search of output directory d (Pbt); AnalysisError when there is none."""
    if not os.path.exists(os.path.join(d, "sweep.h5")):
        raise AnalysisError("%s: no sweep.h5" % d)
    return Pbt(d)
