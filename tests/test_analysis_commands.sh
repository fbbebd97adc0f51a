#!/bin/sh
# Every `python3 -m analysis` command on a tiny real sweep writes a non-empty PNG,
# and user errors exit 2 with one line (no traceback); adding and copy sweeps are drawn by
# their metric, with their baselines; transformer runs, alone and mixed with recurrent ones.
# Usage: test_analysis_commands.sh SWEEP_BINARY   (run from the repository root)
# Exit 77 (skipped) when /usr/bin/python3 lacks h5py, numpy or matplotlib.
set -u
SWEEP=${1:?usage: $0 SWEEP_BINARY}
PY=${PYTHON:-/usr/bin/python3}
if ! "$PY" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
    echo "SKIP: $PY cannot import h5py, numpy and matplotlib (apt install python3-h5py python3-numpy python3-matplotlib)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/analysis-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok()  { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

OMP_NUM_THREADS=2 "$SWEEP" configs/reference.yaml -o "$tmp/runs" -q --set 'seed=[1,2]' \
    --set 'task.seq_len=[5,8]' --set 'model.cell=[rnn,gru]' --set train.epochs=2 \
    --set task.train_size=64 --set task.test_size=32 --set model.hidden=8 \
    || { echo "FAIL: sweep did not run"; exit 1; }
# The loader: 8 runs with config, swept keys and history; the index as columns in the same order.
"$PY" - "$tmp/runs" <<'PYEOF' && ok "loader: runs, config, history, index table" || bad "loader"
import sys
from analysis import load
d = sys.argv[1]
runs = load.load_runs(d)
t = load.load_table(d)
assert len(runs) == 8, len(runs)
assert [r.run_id for r in runs] == list(t["run_id"]), (list(t["run_id"]), runs)
assert set(runs[0].swept_keys) == {"seed", "task.seq_len", "model.cell"}, runs[0].swept_keys
for r in runs:
    assert r.status == "done" and r.has_results, r
    assert len(r.history["test_acc"]) == 2 and r.summary["epochs_completed"] == 2
    assert r.config["model.hidden"] == 8 and isinstance(r.config["model.cell"], str)
    assert r.array("probe/hidden_best").shape == (2, 64, r.config["task.seq_len"], 8)
groups = load.group_runs(runs, load.default_grouping(runs))
assert len(groups) == 4 and all(len(g) == 2 for _, g in groups), groups
assert len(load.filter_runs(runs, load.parse_where(["model.cell=gru", "task.seq_len=5,8"]))) == 4
PYEOF
run=$(ls "$tmp"/runs/*.h5 | grep -v '/sweep.h5$' | head -n 1)
rid=$(basename "$run" .h5)

png() {  # png NAME ARGS...: the command succeeds and writes a non-empty PNG
    name=$1; shift
    out="$tmp/$name.png"
    if "$PY" -m analysis "$@" --out "$out" >"$tmp/log" 2>&1 && [ -s "$out" ] &&
       [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = "211PNG" ]; then
        ok "$name: $*"
    else
        bad "$name: $*"; cat "$tmp/log"
    fi
}
png curves curves "$tmp/runs"
png curves-where curves "$tmp/runs" --where model.cell=gru --by task.seq_len
png curves-one curves "$run"
png hidden hidden "$run"
png hidden-final hidden "$run" --weights final --layer 0 --probe 3
png gradients gradients "$tmp/runs"
png gradients-start gradients "$tmp/runs" --align start
png heatmap gradients "$tmp/runs" --run "$rid"
png vanishing vanishing "$tmp/runs"
mkdir "$tmp/figs"
"$PY" -m analysis vanishing "$tmp/runs" --out "$tmp/figs" >/dev/null 2>&1 && [ -s "$tmp/figs/vanishing.png" ] \
    && ok "--out DIR writes DIR/vanishing.png" || bad "--out DIR"
"$PY" -m analysis hidden "$run" --out "$tmp/h.png" | grep -q "units: .* accumulator, .* transient, .* oscillator, .* other" \
    && ok "hidden prints the class counts" || bad "hidden prints the class counts"

err() {  # err WHAT ARGS...: exit status 2, an error line, no traceback
    what=$1; shift
    "$PY" -m analysis "$@" >"$tmp/log" 2>&1; rc=$?
    if [ $rc -eq 2 ] && grep -q "error" "$tmp/log" && ! grep -q Traceback "$tmp/log"; then
        ok "$what -> status 2: $(tail -n 1 "$tmp/log")"
    else
        bad "$what (status $rc)"; cat "$tmp/log"
    fi
}
mkdir "$tmp/empty"
echo "not hdf5" >"$tmp/junk.h5"
cp "$tmp/junk.h5" "$tmp/runs/stray.h5"
"$PY" -m analysis vanishing "$tmp/runs" --out "$tmp/v2.png" >"$tmp/log" 2>&1 && grep -q "warning: skipping" "$tmp/log" \
    && ok "a stray .h5 in the directory is skipped with a warning" || { bad "stray .h5"; cat "$tmp/log"; }
rm -f "$tmp/runs/stray.h5"
cp "$tmp/junk.h5" "$tmp/empty/stray.h5"
err "a directory with only a stray file" curves "$tmp/empty"
rm -f "$tmp/empty/stray.h5"
err "missing directory" curves "$tmp/nonexistent"
err "directory without run files" gradients "$tmp/empty"
err "a non-HDF5 file" hidden "$tmp/junk.h5"
err "the index instead of a run" hidden "$tmp/runs/sweep.h5"
err "unknown --where key" curves "$tmp/runs" --where nosuch.key=1
err "--where matching nothing" vanishing "$tmp/runs" --where model.cell=lstm
err "--layer out of range" hidden "$run" --layer 5
err "unknown --run" gradients "$tmp/runs" --run nosuch
err "unknown command" frobnicate "$tmp/runs"
"$PY" -m analysis --help | grep -q vanishing && ok "--help lists the commands" || bad "--help"

# Tasks with other metrics: adding (selected by the lowest test MSE, accuracies NaN) and copy
# (T+20 steps in /probe and /gradients). Every command draws them; the curves carry the dashed
# baseline and the gradient lines are as long as the recorded arrays.
for kind in adding copy; do
    OMP_NUM_THREADS=2 "$SWEEP" configs/reference.yaml -o "$tmp/$kind" -q --set 'seed=[1,2]' \
        --set task.kind=$kind --set task.input_size=0 --set task.seq_len=8 --set train.epochs=2 \
        --set task.train_size=64 --set task.test_size=32 --set model.hidden=8 --set model.layers=1 \
        || { bad "the $kind sweep did not run"; continue; }
done
png adding-curves curves "$tmp/adding"
png adding-vanishing vanishing "$tmp/adding"
png copy-gradients gradients "$tmp/copy"
png copy-hidden hidden "$tmp/copy"
"$PY" - "$tmp" <<'PYEOF' && ok "adding and copy: metric, baselines, T+20 steps" || bad "adding and copy"
import sys, math
from analysis import load, plots
d = sys.argv[1]
ra, rc = load.load_runs(d + "/adding"), load.load_runs(d + "/copy")
assert all(r.metric == "test_loss" and r.lower_is_better and abs(r.baseline - 1 / 6) < 1e-12 for r in ra), ra
assert all(r.best_metric == r.history["test_loss"].min() for r in ra), [r.best_metric for r in ra]
assert all(r.metric == "test_acc" and not r.lower_is_better for r in rc), rc
fig = plots.curves(ra, ["model.cell"], "adding")
base = [ln.get_ydata()[0] for ax in fig.axes for ln in ax.lines if ln.get_gid() == "baseline"]
assert len(fig.axes) == 2 and len(base) == 2 and all(abs(b - 1 / 6) < 1e-12 for b in base), base
fig = plots.curves(rc, ["model.cell"], "copy")
base = {ln.get_ydata()[0] for ax in fig.axes for ln in ax.lines if ln.get_gid() == "baseline"}
assert base == {10 * math.log(8) / 28}, base
for r in rc:
    assert r.array("gradients/dloss_dh_norm").shape[2] == 28 and r.array("probe/hidden_best").shape[2] == 28
fig = plots.gradients(rc, ["model.cell"], None, -1, "start", "copy")
assert {len(ln.get_xdata()) for ln in fig.axes[0].lines} == {28}, [len(ln.get_xdata()) for ln in fig.axes[0].lines]
PYEOF
# Transformer runs (tests/data/transformer-tiny.yaml: a class at the last step, and copy), alone
# and mixed with the recurrent runs: every figure command draws them, the attention command
# draws their maps and exits 2 where no run has any, the report shows one attention figure.
OMP_NUM_THREADS=2 "$SWEEP" tests/data/transformer-tiny.yaml -o "$tmp/tf" -q \
    || { echo "FAIL: the transformer sweep did not run"; exit 1; }
mkdir "$tmp/mixed" && cp $(ls "$tmp"/runs/*.h5 "$tmp"/tf/*.h5 | grep -v '/sweep.h5$') "$tmp/mixed/"
tfrun=$(ls "$tmp"/tf/*.h5 | grep -v '/sweep.h5$' | head -n 1)
png tf-attention attention "$tmp/mixed"
err "attention on recurrent runs only" attention "$tmp/runs"
grep -q "no run has attention maps" "$tmp/log" && ok "attention: the message says why" || bad "attention: message"
# The rest in one process (a command line each would cost a second of imports): every command
# through analysis.__main__.main writes a PNG, on the transformer runs alone and mixed.
"$PY" - "$tmp" "$tfrun" "$SWEEP" <<'PYEOF' && ok "transformer: every command, attention maps, weight names, zero gradients masked and said, report" || bad "transformer"
import contextlib, io, os, sys, types
import numpy as np
from analysis import load, plots, report
from analysis.__main__ import main
d, tfrun, sweep = sys.argv[1:]
rid = os.path.basename(tfrun)[:-3]
cmds = []
for sub in ("tf", "mixed"):
    D = os.path.join(d, sub)
    cmds += [["curves", D], ["gradients", D], ["gradients", D, "--align", "start"], ["vanishing", D],
             ["hidden", D], ["attention", D], ["gradients", D, "--wrt", "input"]]
cmds += [["gradients", d + "/tf", "--run", rid], ["gradients", d + "/tf", "--run", rid, "--wrt", "input"], ["hidden", tfrun, "--weights", "final", "--layer", "0"],
         ["attention", tfrun, "--best", "--layer", "0", "--head", "1"],
         ["attention", d + "/mixed", "--where", "task.kind=copy"]]
for i, c in enumerate(cmds):
    out = os.path.join(d, "tf-%d.png" % i)
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(c + ["--out", out, "--dpi", "40"])
    assert rc == 0 and open(out, "rb").read(4) == b"\x89PNG", (c, rc)
for c in (["attention", tfrun, "--head", "7"], ["attention", tfrun, "--layer", "2"],
          ["attention", d + "/runs"]):
    with contextlib.redirect_stderr(io.StringIO()) as e:
        rc = main(c)
    assert rc == 2 and ("error: --" in e.getvalue() or "no run has attention" in e.getvalue()), (c, e.getvalue())
tf, rec = load.load_runs(d + "/tf"), load.load_runs(d + "/runs")
assert len(tf) == 2 and all(r.has_attention and r.attention_sets == ("final", "best") for r in tf), tf
assert not any(r.has_attention or r.attention() is not None for r in rec), rec
for r in tf:
    a = r.attention("best")
    T = r.array("probe/hidden_final").shape[2]
    assert a.shape == (2, 2, T, T), a.shape
    assert np.allclose(a.sum(-1), 1, atol=1e-4) and not np.triu(a, 1).any()
    names = r.weight_names()
    assert "transformer/layers.1.self_attn.in_proj_weight" in names and "fc/weight" in names, names
    assert names == r.weight_names("best"), names
assert "rnn/weight_hh_l0" in rec[0].weight_names(), rec[0].weight_names()
# mean_sign: the top layer's gradient is exactly 0 before the last step; the figure says so
ms = [r for r in tf if r.config["task.kind"] == "mean_sign"]
g = ms[0].array("gradients/dloss_dh_norm")[-1, -1]
assert (g[:-1] == 0).all() and g[-1] > 0, g
fig = plots.gradients(ms, [], None, -1, "end", "tf")
assert "%d of %d values are 0" % (len(g) - 1, len(g)) in fig._suptitle.get_text(), fig._suptitle.get_text()
# the gradient reaching the inputs has no such zeros: every step's input reaches the loss
gx = ms[0].array("gradients/dloss_dx_norm")[-1]
assert gx.shape == g.shape and (gx > 0).all(), gx
fig = plots.gradients(ms, [], None, -1, "end", "tf", wrt="input")
t = fig._suptitle.get_text()
assert "the inputs x_t" in t and "values are 0" not in t, t
assert fig.axes[0].get_ylabel().startswith("||dl/dx_t||"), fig.axes[0].get_ylabel()
fig = plots.attention(ms[0], -1, None, "final")
assert len([ax for ax in fig.axes if ax.get_title().startswith("head")]) == 2
assert fig.axes[0].get_ylabel().startswith("query") and fig.axes[0].get_xlabel().startswith("key")
# the report: one attention section with transformer runs, none without
out, st = report.build(d + "/mixed", None, None, sweep, 40)
html = open(out).read()
assert '<section id="attention">' in html
# with a transformer among the runs, the report's gradient figure is the inputs' one
assert "dloss_dx_norm</code>" in html, "report: gradient section not on the inputs"
assert report.fig_attention(types.SimpleNamespace(runs=rec), {"hidden_run": None, "hidden_why": ""}) is None
PYEOF

[ $fail -eq 0 ] && echo "all passed"
exit $fail
