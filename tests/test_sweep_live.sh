#!/bin/bash
# test_sweep_live.sh SWEEP MODE: watching a sweep while it runs, on tests/data/summary-tiny.yaml
# (6 tiny runs). Every wait is for an event (a test hold, a line, a file), never a sleep.
#   status  `sweep status DIR [--json]` on a directory a running sweep writes (held by
#           SWEEP_TEST_HOLD at an epoch, checkpoints unthrottled): counts, the running runs
#           (their epochs agree with their checkpoints), the heartbeat's process; after the
#           sweep: done counts against the files, the best against `sweep summarize`; a
#           damaged run file is named and its run counted pending; a gone process's heartbeat
#           is called gone; two shards writing one directory at once are both seen;
#           not a sweep directory: exit 2.
#   report  `sweep CONFIG --report` (held after a run): a live page, atomic (no temporary
#           left), with a reload, rewritten after the next event; the last page has none;
#           record.report in base: does the same, in grid: is refused; --report-every checked.
#   watch   `sweep report DIR --watch` on a sweep another process runs: a live page while
#           it is held, and --watch ends by itself, with the last page, once it completes;
#           held with two runs mid-epoch, its overview counts them running, not pending,
#           and so does a plain `sweep report DIR` of the same directory.
#   cache   a rewrite after one more run finished reads that run file alone; the running
#           runs' curves appear with the first checkpoint even when the budget allows no redraw.
#   rounds  a tpe search (tests/data/tpe-small.yaml, rounds of 8 runs) with --report, held
#           after the first run of its second round: one report process spans the rounds
#           (no last page yet, the page still reloads), and its one last page comes at the end.
set -u
SWEEP=$(realpath "${1:?usage: test_sweep_live.sh SWEEP MODE}")
MODE=${2:?mode}
source "$(dirname "$0")/testlib.sh"
CFG="$HERE/data/summary-tiny.yaml"
if ! $PY -c "import h5py, numpy, matplotlib" 2> /dev/null; then
    echo "SKIP: $PY cannot import h5py, numpy and matplotlib"; exit 77
fi

# json_field FILE EXPR: evaluates a Python expression over the JSON in FILE (as j).
json_field() { $PY -c "import json,sys; j=json.load(open(sys.argv[1])); print(($2))" "$1"; }

# running_in DIR N: `sweep status DIR --json` shows N runs running.
running_in() { "$SWEEP" status "$1" --json > st.json 2> /dev/null && [ "$(json_field st.json 'j["counts"]["running"]')" = "$2" ]; }

# live_page FILE TEXT: FILE is a live page (it reloads) that contains TEXT.
live_page() { [ -f "$1" ] && grep -q 'http-equiv="refresh"' "$1" && grep -qF -- "$2" "$1"; }

# final_page FILE: FILE is a last page (no reload).
final_page() { [ -f "$1" ] && ! grep -q 'http-equiv="refresh"' "$1" && grep -q 'Final page' "$1"; }

# caught_up DIR: `sweep status DIR --json` (into st.json) shows two runs running, the epochs
# of the hold (2 in all) and, for each, at least its checkpoint's epoch (the heartbeat is
# rewritten at most twice a second, so it may lag the checkpoints for a moment).
caught_up() {
    running_in "$1" 2 && $PY - "$1" st.json <<'PYEOF'
import json, sys, h5py, os
d, j = sys.argv[1], json.load(open(sys.argv[2]))
ok = sum(r["epoch"] for r in j["running"]) >= 2
for r in j["running"]:
    ck = os.path.join(d, r["run"] + ".ckpt")
    ok &= (int(h5py.File(ck, "r").attrs["epoch"]) if os.path.exists(ck) else 0) <= r["epoch"]
sys.exit(0 if ok else 1)
PYEOF
}

status_mode() {
    # held at the second epoch completed in all: no run of 4 epochs can have finished, however
    # the two threads' epochs fell (one thread may run a whole run before the other's first)
    env SWEEP_TEST_CHECKPOINTS=unthrottled SWEEP_TEST_HOLD=epoch:2 SWEEP_TEST_RELEASE="$RELEASE" \
        "$SWEEP" "$CFG" -o s -j 2 -q 2> s.err &
    local pid=$!
    check "the sweep holds mid-way" await_hold s.err $pid
    check "status --json shows the two running runs, as far as their checkpoints" \
        await 60 "the heartbeat to show both runs at their epochs" caught_up s
    check "counts add up to 6 with 0 done" [ "$(json_field st.json 'sum(j["counts"].values()), j["counts"]["done"], j["complete"]')" = "(6, 0, False)" ]
    check "each running run's epoch, metric and value" $PY - s st.json <<'PYEOF'
import json, sys, h5py, os
d, j = sys.argv[1], json.load(open(sys.argv[2]))
ok = len(j["running"]) == 2
for r in j["running"]:
    ok &= r["epochs"] == 4 and 0 <= r["epoch"] < 4 and r["metric"] == "test_acc" and j["states"][r["run"]] == "running"
    # a run held before its first epoch has no value yet
    ok &= (r["value"] is not None and 0 <= r["value"] <= 1) if r["epoch"] >= 1 else r["value"] is None
p = j["processes"]
ok &= len(p) == 1 and p[0]["alive"] and p[0]["pid"] > 0 and p[0]["running"] == 2 and p[0]["runs"] == 6
sys.exit(0 if ok else 1)
PYEOF
    "$SWEEP" status s > st.txt
    check "the text names the running runs and the process" has st.txt "2 running"
    check "the text has the running table" has st.txt "epoch"
    release
    check "the sweep ends well" wait $pid
    check "no heartbeat is left" [ -z "$(ls -A s | grep sweep-live)" ]
    "$SWEEP" status s --json > st.json
    check "done: 6, complete, nothing running" [ "$(json_field st.json 'j["counts"]["done"], j["complete"], len(j["running"]), len(j["processes"])')" = "(6, True, 0, 0)" ]
    "$SWEEP" summarize s --format csv > sum.csv
    check "the best is summarize's best run" $PY - st.json sum.csv s <<'PYEOF'
import json, sys, h5py, glob
j = json.load(open(sys.argv[1]))
best = max(glob.glob(sys.argv[3] + "/cell=*.h5"), key=lambda p: h5py.File(p, "r")["summary"].attrs["best_test_acc"])
v = float(h5py.File(best, "r")["summary"].attrs["best_test_acc"])
ok = j["best"]["run"] + ".h5" == best.split("/")[-1] and abs(j["best"]["value"] - v) < 1e-6
ok &= j["metric"] == "test_acc" and j["lower_is_better"] is False
sys.exit(0 if ok else 1)
PYEOF
    # a damaged file, and a heartbeat left by a process that is gone
    head -c 300 "s/cell=rnn,seed=2.h5" > bad.h5 && mv bad.h5 "s/cell=rnn,seed=2.h5"
    printf 'sweep-live 1\nsweep tiny\nhost %s\npid 999999999\nrank 0 1\nshard 0 0\nthreads 1\nstarted 1\nupdated 1\ninterval 10\nreport 0\nruns 6\nfinished 0\npending 6\neta -\nrun 1 4 0 1 1 0.5 0.5 test_acc cell=rnn,seed=1\n' \
        "$(hostname)" > "s/.sweep-live.$(hostname).999999999"
    "$SWEEP" status s --json > st.json; local rc=$?
    check "status of a damaged directory still exits 0" [ $rc = 0 ]
    check "the damaged file is named, its run pending" [ "$(json_field st.json 'len(j["damaged"]), j["damaged"][0]["run"], j["states"]["cell=rnn,seed=2"], j["complete"]')" = "(1, 'cell=rnn,seed=2', 'pending', False)" ]
    check "the gone process is gone, its run not running" [ "$(json_field st.json 'j["processes"][0]["alive"], j["counts"]["running"]')" = "(False, 0)" ]
    "$SWEEP" status s > st.txt
    check "the text names the damaged file" has st.txt "damaged"
    check "the text names the gone process" has st.txt "is gone"
    # two shards writing one directory at once: one heartbeat each, both runs seen
    rm -f "$RELEASE"
    env SWEEP_TEST_HOLD=epoch:2 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o sh -j 1 -q --shard 0/2 2> sh0.err &
    local p0=$!
    check "shard 0 holds" await_hold sh0.err $p0
    env SWEEP_TEST_HOLD=epoch:2 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o sh -j 1 -q --shard 1/2 2> sh1.err &
    local p1=$!
    check "shard 1 holds" await_hold sh1.err $p1
    check "status sees a run running in each shard" await 60 "two running runs" running_in sh 2
    check "two live processes, shards 0/2 and 1/2" [ "$(json_field st.json 'sorted((p["shard"], p["alive"], p["running"]) for p in j["processes"])')" = "[('0/2', True, 1), ('1/2', True, 1)]" ]
    release
    check "shard 0 ends well" wait $p0
    check "shard 1 ends well" wait $p1
    "$SWEEP" status sh --json > st.json
    check "after both shards: 6 done, complete" [ "$(json_field st.json 'j["counts"]["done"], j["complete"]')" = "(6, True)" ]
    mkdir empty
    "$SWEEP" status empty > /dev/null 2> err.txt; rc=$?
    check "not a sweep directory: exit 2" [ $rc = 2 ]
    check "and says so" has err.txt "not a sweep's output directory"
    "$SWEEP" status nowhere > /dev/null 2>&1; rc=$?
    check "no such directory: exit 2" [ $rc = 2 ]
    "$SWEEP" status s --bogus > /dev/null 2>&1; rc=$?
    check "an unknown option: exit 2" [ $rc = 2 ]
}

report_mode() {
    env SWEEP_TEST_HOLD=run:2 SWEEP_TEST_RELEASE="$RELEASE" \
        "$SWEEP" "$CFG" -o r -j 1 -q --report --report-every 1 2> r.err &
    local pid=$!
    check "the sweep holds after two runs" await_hold r.err $pid
    check "a live page with two runs complete" await 120 "the live page" live_page r/report.html "2 complete"
    check "it says when it was written and what is pending" has r/report.html "4 pending"
    check "it has the pause switch" has r/report.html 'id="live-pause"'
    check "no temporary page is left" [ -z "$(ls -A r | grep 'report.html.tmp')" ]
    release
    check "the sweep ends well" wait $pid
    check "the last page does not reload" final_page r/report.html
    check "the last page has every run" has r/report.html "6 runs complete"
    check "no report process is left behind (its heartbeat says report 1 while it ran)" [ -z "$(ls -A r | grep -e sweep-live -e '\.tmp')" ]
    # the config key, for sweeps a batch system starts
    sed 's/^  record:$/  record:\n    report: true\n    report_every: 5/' "$CFG" > keyed.yaml
    check "record.report: true writes a report" "$SWEEP" keyed.yaml -o k -q
    check "a last page" final_page k/report.html
    printf '  record.report: [true, false]\n' >> keyed.yaml
    "$SWEEP" keyed.yaml -o k2 -q > /dev/null 2> err.txt; local rc=$?
    check "record.report in grid: exit 2" [ $rc = 2 ]
    check "record.report in grid: says it is a setting of the whole sweep" has err.txt "setting of the whole sweep"
    check "and writes nothing" [ ! -e k2 ]
    "$SWEEP" "$CFG" -o k3 --report-every 0 > /dev/null 2> err.txt; rc=$?
    check "--report-every 0: exit 2" [ $rc = 2 ]
    check "--report-every 0: says what is allowed" has err.txt "more than 0"
}

watch_mode() {
    env SWEEP_TEST_HOLD=run:1 SWEEP_TEST_RELEASE="$RELEASE" "$SWEEP" "$CFG" -o w -j 1 -q 2> w.err &
    local pid=$!
    check "the sweep holds after a run" await_hold w.err $pid
    "$SWEEP" report w --watch --report-every 1 -q > watch.out 2> watch.err &
    local watcher=$!
    check "--watch writes a live page" await 120 "the watched page" live_page w/report.html "1 complete"
    check "--watch is still watching" kill -0 $watcher
    check "one run complete: its keys have 1 value each (not \"1 values\")" has w/report.html "<code>seed</code> (1 value)"
    release
    check "the sweep ends well" wait $pid
    check "--watch ends by itself once the sweep is complete" await 120 "--watch to end" eval "! kill -0 $watcher 2> /dev/null"
    wait $watcher; local rc=$?
    check "--watch exits 0" [ $rc = 0 ]
    check "its last page does not reload" final_page w/report.html
    check "its last page has every run" has w/report.html "6 runs complete"
    "$SWEEP" report w --watch --live > /dev/null 2> err.txt; rc=$?
    check "--watch --live: exit 2" [ $rc = 2 ]
    # runs running are counted as running in the overview, apart from the pending ones
    rm -f "$RELEASE"
    env SWEEP_TEST_CHECKPOINTS=unthrottled SWEEP_TEST_HOLD=epoch:5 SWEEP_TEST_RELEASE="$RELEASE" \
        "$SWEEP" "$CFG" -o w2 -j 2 -q 2> w2.err &
    pid=$!
    check "a sweep holds with two runs running" await_hold w2.err $pid
    check "its heartbeat shows them" await 60 "two running runs" running_in w2 2
    "$SWEEP" report w2 --watch --report-every 1 -q > watch.out 2> watch.err &
    watcher=$!
    check "--watch writes a page with two runs running" await 120 "the page" live_page w2/report.html '<b id="live-running">2 running'
    check "the overview counts them running" has w2/report.html '<span class="s-running">running 2</span>'
    local pending
    pending=$(json_field st.json 'j["counts"]["pending"]')
    check "and the others pending, as status does" has w2/report.html "<span class=\"s-pending\">pending $pending</span>"
    # a plain (not live) report of the same directory reads the heartbeats too
    "$SWEEP" report w2 --out plain.html > plain.out 2> plain.err
    check "a plain report counts them running" has plain.html '<span class="s-running">running 2</span>'
    check "and the others pending" has plain.html "<span class=\"s-pending\">pending $pending</span>"
    check "and says so" has plain.out "(2 running, $pending pending)"
    release
    check "that sweep ends well" wait $pid
    check "--watch ends by itself" await 120 "--watch to end" eval "! kill -0 $watcher 2> /dev/null"
    check "its last page counts no run running" eval "! grep -q 'class=\"s-running\"' w2/report.html"
}

cache_mode() {
    check "the sweep" "$SWEEP" "$CFG" -o c -q
    mv "c/cell=gru,seed=3.h5" aside.h5
    check "one rewrite reads the five files, the next after one more run reads it alone" $PY - c aside.h5 "$SWEEP" <<PYEOF
import os, sys
sys.path.insert(0, "$HERE/..")
from analysis import live
d, aside, sweep = sys.argv[1:4]
lv = live.Live([d], os.path.join(d, "report.html"), 60.0, sweep, 60, mode="watch")
lv.rewrite()
first = lv.last["read"]
os.rename(aside, os.path.join(d, "cell=gru,seed=3.h5"))
lv.rewrite()
second = lv.cache.reads
print("first rewrite read %d run files, the second %s" % (first, [os.path.basename(p) for p in second]))
sys.exit(0 if first == 5 and [os.path.basename(p) for p in second] == ["cell=gru,seed=3.h5"] else 1)
PYEOF
    # the running runs' curves: a first figure as soon as a checkpoint exists, even when the
    # budget allows no redraw (a page written before the first checkpoint must not keep
    # "no checkpoint yet" for the rest of the sweep)
    env SWEEP_TEST_CHECKPOINTS=unthrottled SWEEP_TEST_HOLD=checkpoint:1 SWEEP_TEST_RELEASE="$RELEASE" \
        "$SWEEP" "$CFG" -o c2 -j 1 -q 2> c2.err &
    local pid=$!
    check "a sweep holds after its first checkpoint" await_hold c2.err $pid
    check "its heartbeat shows the run" await 60 "one running run" running_in c2 1
    check "the curves are drawn once the checkpoint is there, whatever the budget" $PY - c2 <<PYEOF
import glob, os, sys
sys.path.insert(0, "$HERE/..")
from analysis import live
d = sys.argv[1]
ck = glob.glob(os.path.join(d, "*.ckpt"))[0]
lv = live.Live([d], os.path.join(d, "report.html"), 60.0, None, 60, mode="watch")
lv.affordable = lambda cost: False           # a budget spent: no redraw is affordable
os.rename(ck, ck + ".aside")
lv.rewrite()
before = "No checkpoint with a history yet" in open(lv.out).read()
os.rename(ck + ".aside", ck)
lv.rewrite()
after = 'id="running-curves"' in open(lv.out).read()
print("before the checkpoint: the note %s; after: the figure %s" % (before, after))
sys.exit(0 if before and after else 1)
PYEOF
    release
    check "that sweep ends well" wait $pid
}

rounds_mode() {
    # SWEEP_REPORT_VERBOSE: the report says on stderr each page it writes, "(final)" for a last one
    env SWEEP_REPORT_VERBOSE=1 SWEEP_TEST_HOLD=run:9 SWEEP_TEST_RELEASE="$RELEASE" \
        "$SWEEP" "$HERE/data/tpe-small.yaml" -o t -j 1 -q --report --report-every 1 2> t.err &
    local pid=$!
    check "the search holds in its second round" await_hold t.err $pid
    check "the page of the second round reloads" await 120 "a live page with 9 runs" live_page t/report.html "9 complete"
    check "no last page was written between the rounds" [ "$(grep -c '(final)' t.err)" = 0 ]
    release
    check "the search ends well" wait $pid
    check "its last page does not reload" final_page t/report.html
    check "it has every run" has t/report.html "24 runs complete"
    check "one last page in all" [ "$(grep -c '(final)' t.err)" = 1 ]
}

case $MODE in
    status) status_mode ;;
    report) report_mode ;;
    watch) watch_mode ;;
    cache) cache_mode ;;
    rounds) rounds_mode ;;
    *) echo "unknown mode $MODE"; exit 2 ;;
esac
echo "$passed passed, $failed failed"
[ $failed = 0 ]
