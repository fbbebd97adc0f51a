#!/bin/bash
# A report of 1,000 runs: tests/data/tiny-1000.yaml (every run its own configuration, four
# numeric keys swept), then `sweep report`. Checks that it finishes, is under 10 MB, has a
# 1,000-row table and every figure (parallel coordinates included), and prints the time.
# Usage: test_report_scale.sh SWEEP_BINARY CONFIG      (exit 77 without h5py/numpy/matplotlib)
set -u
SWEEP=${1:?usage: $0 SWEEP_BINARY CONFIG}
CONFIG=${2:?}
if ! /usr/bin/python3 -c "import h5py, numpy, matplotlib" 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 cannot import h5py, numpy and matplotlib"; exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-scale.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
OMP_NUM_THREADS=2 "$SWEEP" "$CONFIG" -o "$tmp/runs" -q -j 2 || { echo "FAIL: the sweep"; exit 1; }
n=$(ls "$tmp"/runs/*.h5 | grep -vc '/sweep.h5$')
[ "$n" = 1000 ] && echo "ok: 1000 run files" || { echo "FAIL: $n run files"; fail=1; }
start=$(date +%s)
SWEEP_REPORT_VERBOSE=1 PYTHONDONTWRITEBYTECODE=1 "$SWEEP" report "$tmp/runs" > "$tmp/log" 2>&1 \
    || { echo "FAIL: sweep report"; cat "$tmp/log"; exit 1; }
cat "$tmp/log"
page="$tmp/runs/report.html"
bytes=$(stat -c %s "$page")
echo "report of 1000 runs: $bytes bytes, $(( $(date +%s) - start )) s (wall)"
[ "$bytes" -lt 10000000 ] && echo "ok: under 10 MB" || { echo "FAIL: $bytes bytes"; fail=1; }
/usr/bin/python3 - "$page" <<'PYEOF' || fail=1
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
body = re.search(r'<table id="summary".*?<tbody>(.*?)</tbody>', text, re.S).group(1)
rows = body.count("<tr>")
figs = re.findall(r'<section id="(\w+)"><h2>[^<]*</h2><figure>\s*<img', text)
ok = rows == 1000 and "Not drawn" not in text and {"metric", "curves", "gradients", "hidden", "parallel"} <= set(figs)
# the curves merge configurations into panels and the gradient figure into lines: the captions say so
ok &= len(re.findall(r"are merged into one group", text)) >= 2
print("%s: %d table rows, figures %s" % ("ok" if ok else "FAIL", rows, figs))
sys.exit(0 if ok else 1)
PYEOF
exit $fail
