#!/bin/bash
# bench_live_report.sh SWEEP CONFIG [PAIRS] [SWEEP OPTIONS...]: what the live report costs,
# as the CPU time (user + system, children included: the report's process and the
# `sweep summarize` it starts) of a whole sweep with --report against the same sweep without.
#
# Each pair runs the two sweeps side by side (started together, A and B in turns first), so
# that both meet the same load on a shared machine; CPU time is what other load changes
# least. Prints each sweep (user, system, wall seconds), each pair's ratio, their median,
# and, from the report's own account (SWEEP_REPORT_VERBOSE: its last line), the report's
# CPU time against the sweep's in the same process tree: the share without the noise of
# two separate sweeps. The sweep options default to -j 1 (steadier CPU time than -j 2 when
# the two sweeps share the cores).
#
#   tests/bench_live_report.sh build/sweep configs/vanishing.yaml 3
set -u
SWEEP=$(realpath "${1:?usage: bench_live_report.sh SWEEP CONFIG [PAIRS] [SWEEP OPTIONS...]}")
CONFIG=$(realpath "${2:?config}")
PAIRS=${3:-3}
shift $(($# < 3 ? $# : 3))
OPTS=("$@")
[ ${#OPTS[@]} -gt 0 ] || OPTS=(-j 1)
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# one NAME [ARGS...]: a sweep into NAME, its CPU time into NAME.time, its stderr NAME.err.
one() {
    local name=$1; shift
    env SWEEP_REPORT_VERBOSE=1 /usr/bin/time -f '%U %S %e' -o "$name.time" \
        "$SWEEP" "$CONFIG" -o "$name" "${OPTS[@]}" "$@" > "$name.out" 2> "$name.err"
}

echo "pair  sweep        user_s    sys_s   wall_s"
for p in $(seq "$PAIRS"); do
    if [ $((p % 2)) = 1 ]; then
        one "A$p" & a=$!; one "B$p" --report & b=$!
    else
        one "B$p" --report & b=$!; one "A$p" & a=$!
    fi
    wait $a $b
    for s in A B; do
        read -r u y w < "$s$p.time"
        printf '%4d  %-8s %9.1f %8.1f %8.1f\n' "$p" "$([ $s = A ] && echo without || echo --report)" "$u" "$y" "$w"
    done
    rm -rf "A$p" "B$p"
done | tee results.txt
$PY - "$PAIRS" <<'PYEOF'
import re, statistics, sys
pairs = int(sys.argv[1])
ratios, shares, finals = [], [], []
for p in range(1, pairs + 1):
    cpu = {}
    for s in "AB":
        u, y, _ = open("%s%d.time" % (s, p)).read().split()[-3:]
        cpu[s] = float(u) + float(y)
    ratios.append(cpu["B"] / cpu["A"])
    err = open("B%d.err" % p).read()
    m = re.findall(r"the report's CPU time in all: ([0-9.]+) s, the sweep's so far: ([0-9.]+) s", err)
    if m:
        shares.append(float(m[-1][0]) / float(m[-1][1]))
    m = re.findall(r"\(CPU ([0-9.]+) s\) \(final\)", err)
    if m:
        finals.append(float(m[-1]))
    pages, heavy = err.count("  rewrote "), err.count("table and figures redrawn")
    print("pair %d: with/without %.4f (%+.2f%%)%s; %d pages written, %d with the table and figures redrawn"
          % (p, ratios[-1], 100 * (ratios[-1] - 1), "; the report's own CPU %.2f%% of the sweep's" % (100 * shares[-1])
             if len(shares) == p else "", pages, heavy))
print("median over %d pairs: with/without %.4f (%+.2f%%)" % (pairs, statistics.median(ratios),
                                                          100 * (statistics.median(ratios) - 1)))
if shares:
    print("the report's own CPU time against the sweep's: median %.2f%% (%s)"
          % (100 * statistics.median(shares), ", ".join("%.2f%%" % (100 * s) for s in shares)))
if finals:
    print("the last page alone: median %.2f s CPU (%s)" % (statistics.median(finals),
                                                         ", ".join("%.2f" % f for f in finals)))
PYEOF
