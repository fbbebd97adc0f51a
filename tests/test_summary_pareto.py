#!/usr/bin/python3
"""`sweep summarize --pareto METRIC,COST` on real run files (issue 26, part 3).

Usage: test_summary_pareto.py SWEEP_EXE CONFIG SCRATCH_DIR
  CONFIG  tests/data/summary-tiny.yaml, here with model.hidden [2, 4, 8] and one seed: six
          configurations of one run each

The sweep is trained, then its files' /summary best_test_acc and wall_seconds are set (h5py)
to numbers whose frontier was worked out by hand:
    rnn,2 50% 1 s   on it (the cheapest)
    rnn,4 60% 2 s   on it
    rnn,8 55% 3 s   beaten by rnn,4 (better and cheaper)
    gru,2 60% 2 s   on it: equal to rnn,4, so neither beats the other
    gru,4 70% 4 s   on it
    gru,8 70% 5 s   beaten by gru,4 (as good, cheaper)
so best,s/run keeps rnn,2 rnn,4 gru,2 gru,4, cheapest first; with the cost `params` the
frontier is recomputed here by brute force from /summary/param_count. Bad names exit 2;
docs/summarize.md lists every cost the program knows.
The report (analysis/report.py) marks the same frontiers on its scatter of the two.
Exit 0 when every check passes, 1 on a failure, 77 when h5py is missing."""
import csv
import io
import os
import shutil
import subprocess
import sys

try:
    import h5py
except ImportError:
    print("SKIP: no h5py")
    sys.exit(77)

sweep, config, scratch = sys.argv[1:4]
failed = 0


def check(ok, what, detail=""):
    global failed
    print("%s: %s%s" % ("ok" if ok else "FAIL", what, "" if ok else " (%s)" % (detail,)))
    failed += not ok


def summarize(*args):
    return subprocess.run([sweep, "summarize", d] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
cfg = os.path.join(scratch, "pareto.yaml")
text = open(config).read().replace("  seed: [1, 2, 3]", "  model.hidden: [2, 4, 8]\n  seed: [1]")
open(cfg, "w").write(text.replace("name: tiny", "name: pareto"))
d = os.path.join(scratch, "s")
subprocess.run([sweep, cfg, "-o", d, "-q"], check=True)
hand = {("rnn", 2): (0.50, 1.0), ("rnn", 4): (0.60, 2.0), ("rnn", 8): (0.55, 3.0),
        ("gru", 2): (0.60, 2.0), ("gru", 4): (0.70, 4.0), ("gru", 8): (0.70, 5.0)}
params = {}
for (cell, hidden), (acc, seconds) in hand.items():
    with h5py.File(os.path.join(d, "cell=%s,hidden=%d,seed=1.h5" % (cell, hidden)), "r+") as f:
        f["summary"].attrs["best_test_acc"] = acc
        f["summary"].attrs["best_metric"] = acc
        f.attrs["wall_seconds"] = seconds
        params[(cell, hidden)] = int(f["summary"].attrs["param_count"])

p = summarize("--pareto", "best,s/run", "--format", "csv")
rows = list(csv.DictReader(io.StringIO(p.stdout)))
got = [(r["model.cell"], int(r["model.hidden"])) for r in rows]
check(p.returncode == 0 and got == [("rnn", 2), ("rnn", 4), ("gru", 2), ("gru", 4)],
      "best,s/run: the hand-checked frontier, cheapest first", (p.returncode, got, p.stderr))
p = summarize("--pareto", "best,s/run")
check("the 4 of 6 configurations no other beats on both" in p.stdout and "higher is better" in p.stdout,
      "the text says what the frontier is of", p.stdout)

want = [k for k in hand if not any(
    hand[j][0] >= hand[k][0] and params[j] <= params[k] and (hand[j][0], params[j]) != (hand[k][0], params[k])
    for j in hand)]
want.sort(key=lambda k: params[k])
p = summarize("--pareto", "best,params", "--format", "csv")
rows = list(csv.DictReader(io.StringIO(p.stdout)))
got = [(r["model.cell"], int(r["model.hidden"])) for r in rows]
check(p.returncode == 0 and got == want and [int(r["param_count"]) for r in rows] == [params[k] for k in want],
      "best,params: the frontier recomputed from /summary/param_count", (got, want, params))

for bad, says in (("best,mem", "peak memory is not recorded"), ("bst,params", "did you mean 'best'"),
                  ("best", "METRIC,COST")):
    p = summarize("--pareto", bad)
    check(p.returncode == 2 and says in p.stderr, "--pareto %s: exit 2, says %s" % (bad, says),
          (p.returncode, p.stderr))
# the costs the program knows (its table, as the error lists them) are the docs' table
p = summarize("--pareto", "best,mem")
named = [c.split(" (")[0].strip() for c in p.stderr.split("costs:")[1].split(";")[0].split("),")]
doc = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "summarize.md")).read()
check(named == ["s/run", "params"] and all("| `%s` |" % c in doc for c in named),
      "docs/summarize.md has a row for every cost", (named,))
p = summarize("--pareto", "best,s/run", "--runs")
check(p.returncode == 2 and "--pareto" in p.stderr, "--pareto --runs: exit 2", (p.returncode, p.stderr))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from analysis import metrics, report  # noqa: E402
sw = report.Sweep([d])
configs = report._pareto_configs(sw, sw.runs)
for cost, expect in (("s/run", ["cell=rnn,hidden=2", "cell=rnn,hidden=4", "cell=gru,hidden=2", "cell=gru,hidden=4"]),
                     ("params", ["cell=%s,hidden=%d" % k for k in want])):
    front = metrics.pareto([c[1] for c in configs], [c[2][cost] for c in configs], False)
    got = [configs[i][0] for i in front]
    check(sorted(got) == sorted(expect), "the report's frontier against %s is summarize's" % cost, (got, expect))
fig = report.fig_pareto(sw, {})
check(fig is not None and "4 on the frontier against s/run" in fig[1], "the report draws the Pareto figure",
      fig and fig[1])
print("%d failed" % failed)
sys.exit(1 if failed else 0)
