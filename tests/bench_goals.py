#!/usr/bin/python3
"""The engine's speed goals as shares of this machine's measured peak (README, "Speed").

Usage: tests/bench_goals.py --build BUILD [--repeats N] [--rounds N] [--study CONFIG]
                            [--reference CONFIG] [--steps CELL:H:T,...] [--no-study] [--isa]

Prints, with the one-core FP32 FMA peak that bench_engine measures (the highest of its
measurements in this run, so every share is of the same peak):
  steps       the bench's training steps at H = 64 (forward, backward, dropout masks, Adam; one
              thread, CPU time): goal at least 70% of one core's peak
  reference   the seed's run (configs/reference.yaml) as a whole process, `-j 1`: its GFLOP
              (by `--dry-run`) over the median of N runs' CPU seconds (user + sys): goal 60%
  study       the vanishing study (configs/vanishing.yaml) as one sweep, `-j 2`: its GFLOP over
              wall seconds, against 2 x the peak: goal 50%. Also its GFLOP per CPU second
              against one core's peak, and the cores it got (CPU / wall): on a machine shared
              with other work the wall-time share says more about the neighbours than the code.
  --rounds N  all of the above N times, one round after the other (each share of the peak
              measured in its own round), then each goal's median share over the rounds,
              its lowest and highest, and the rounds that met it: on a shared machine one
              round says as much about its moment as about the code
  --isa       (on a CPU with AVX-512) the kernels' AVX-512 path against its AVX2 path
              (SWEEP_KERNELS), at every size of bench_engine's products and training steps:
              rates per CPU second, their ratio, and the lowest ratio.
Shares use CPU time where the goal allows it, so they hold on a busy machine; the study's
wall-time share needs an otherwise idle machine. Figures are this machine's: quote them with
its ISA and peak (printed first)."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "configs")
PEAK_RE = re.compile(r"Kernels: (\S+)\. FP32 FMA peak of one core, measured: ([0-9.]+) GFLOP/s")
STEP_RE = re.compile(r"^(rnn|lstm|gru)\s+(\d+)\s+(\d+)\s+[0-9.]+\s+\d+\s+[0-9.]+\s+([0-9.]+)\s+\d+%", re.M)
PRODUCT_RE = re.compile(r"^([14])\s+(\d+) (step h W\^T|step \+ tanh|back dpre W|weight grad)\s+(\d+)\s+(\d+)\s+(\d+)"
                        r"\s+(\S+)\s+([0-9.]+)\s+\d+%", re.M)
GFLOP_RE = re.compile(r"^total: .*?([0-9.]+) GFLOP", re.M)

peaks = []


def bench(build, args, kernels=None):
    env = dict(os.environ)
    if kernels:
        env["SWEEP_KERNELS"] = kernels
    out = subprocess.run([os.path.join(build, "tests", "bench_engine")] + args, env=env, check=True,
                         capture_output=True, text=True).stdout
    m = PEAK_RE.search(out)
    if not m:
        sys.exit(f"bench_goals: no peak in bench_engine's output:\n{out}")
    if not kernels:
        peaks.append(float(m.group(2)))
    return m.group(1), out


def dry_run_gflop(sweep, config, extra=()):
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sweep, config, "--dry-run", "-o", os.path.join(d, "out"), *extra], check=True,
                             capture_output=True, text=True).stdout
    m = GFLOP_RE.search(out)
    if not m:
        sys.exit(f"bench_goals: no GFLOP total in --dry-run's output:\n{out}")
    return float(m.group(1))


def timed_sweep(sweep, config, jobs, extra=()):
    """(wall s, CPU s) of one whole `sweep CONFIG -j jobs` into a fresh directory."""
    with tempfile.TemporaryDirectory() as d:
        times = os.path.join(d, "time.txt")
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S", "-o", times, sweep, config, "-o",
                        os.path.join(d, "out"), "-j", str(jobs), "-q", *extra], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, user, system = (float(x) for x in open(times).read().split()[-3:])
    return wall, user + system


def steps(build, sizes, repeats):
    rows = []
    for size in sizes:
        _, out = bench(build, ["--size", size, str(repeats)])
        for cell, h, t, rate in STEP_RE.findall(out):
            rows.append((f"{cell} H={h} T={t}", float(rate)))
    return rows


def load():
    return os.getloadavg()[0]


def isa_table(build, repeats):
    if not re.search(r"\bavx512f\b", open("/proc/cpuinfo").read()):
        print("\nAVX-512 against AVX2: this CPU has no AVX-512 (not measured)")
        return
    rates = {}
    for kernels in ("avx2", "avx512"):
        for args in (["--kernels"], ["--quick"]):
            name, out = bench(build, args + [str(repeats)], kernels)
            if name != kernels:
                sys.exit(f"bench_goals: asked for {kernels} kernels, bench_engine ran {name}")
            for g, h, what, rows, k, n, t, rate in PRODUCT_RE.findall(out):
                rates.setdefault((f"product g={g} H={h} {what} {rows}x{k}x{n}", kernels), float(rate))
            for cell, h, t, rate in STEP_RE.findall(out):
                rates.setdefault((f"step {cell} H={h} T={t}", kernels), float(rate))
    names = sorted({k for k, _ in rates if (k, "avx2") in rates and (k, "avx512") in rates})
    print("\nAVX-512 against AVX2 (same build, SWEEP_KERNELS; GFLOP per CPU second, one thread)")
    print(f"{'size':<44} {'avx2':>8} {'avx512':>8} {'ratio':>6}")
    ratios = []
    for name in names:
        a, b = rates[(name, "avx2")], rates[(name, "avx512")]
        ratios.append(b / a)
        print(f"{name:<44} {a:8.1f} {b:8.1f} {b / a:6.2f}")
    print(f"lowest ratio {min(ratios):.2f}, median {statistics.median(ratios):.2f} over {len(ratios)} sizes")


def measure_round(a, sweep):
    """One round: every goal's figure and its share of the peak measured in this round.
    Returns (heading, rows, study's CPU line); a row is (name, figure, share, goal)."""
    del peaks[:]
    load0 = load()
    step_rows = steps(a.build, a.steps.split(","), a.repeats)
    ref_gflop = dry_run_gflop(sweep, a.reference)
    ref_cpu = statistics.median(timed_sweep(sweep, a.reference, 1)[1] for _ in range(a.repeats))
    study = None
    if not a.no_study:
        study_gflop = dry_run_gflop(sweep, a.study)
        wall, cpu = timed_sweep(sweep, a.study, 2)
        study = (study_gflop, wall, cpu)
    kernels, _ = bench(a.build, ["--size", a.steps.split(",")[0], "1"])
    peak = max(peaks)

    heading = (f"Kernels: {kernels}. One core's FP32 FMA peak, measured: {peak:.1f} GFLOP/s "
               f"(highest of {len(peaks)} measurements in this run, {min(peaks):.1f} lowest); "
               f"load average {load0:.1f} at the start, {load():.1f} at the end")
    rows = [(f"training step {name}, one thread", f"{rate:.1f} GFLOP/s", rate / peak, 0.70)
            for name, rate in step_rows]
    rows.append((f"reference run, whole process (median of {a.repeats})", f"{ref_gflop:.1f} GFLOP {ref_cpu:.2f} s",
                 ref_gflop / ref_cpu / peak, 0.60))
    cpu_line = None
    if study:
        gflop, wall, cpu = study
        rows.append((f"study {os.path.basename(a.study)} -j 2, wall time", f"{gflop:.0f} GFLOP {wall:.0f} s",
                     gflop / wall / (2 * peak), 0.50))
        cpu_line = (f"  the same study per CPU second: {gflop / cpu:.1f} GFLOP/s, {100 * gflop / cpu / peak:.0f}% of "
                    f"one core's peak; cores it got: {cpu / wall:.2f} (CPU {cpu:.0f} s over wall {wall:.0f} s)")
    return heading, rows, cpu_line


def print_round(heading, rows, cpu_line):
    print(heading)
    print(f"{'goal':<52} {'figure':>22} {'share':>6} {'goal':>5}  met")
    for name, figure, share, goal in rows:
        print(f"{name:<52} {figure:>22} {100 * share:5.0f}% {100 * goal:4.0f}%  {'yes' if share >= goal else 'no'}")
    if cpu_line:
        print(cpu_line)


def print_across(rounds):
    """Each goal's share over the rounds: the median (met or not), the range, and the rounds
    that met it. On a shared machine one round says as much about its moment as about the
    code; the median of several says more."""
    n = len(rounds)
    print(f"\nAcross {n} rounds (each share of the peak measured in its own round)")
    print(f"{'goal':<52} {'median':>6} {'lowest':>6} {'highest':>7} {'goal':>5}  met  rounds met")
    for i, (name, _, _, goal) in enumerate(rounds[0][1]):
        shares = [r[1][i][2] for r in rounds]
        med = statistics.median(shares)
        print(f"{name:<52} {100 * med:5.0f}% {100 * min(shares):5.0f}% {100 * max(shares):6.0f}% {100 * goal:4.0f}%  "
              f"{'yes' if med >= goal else 'no ':<3}  {sum(s >= goal for s in shares)} of {n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="the build directory (sweep and tests/bench_engine)")
    ap.add_argument("--repeats", type=int, default=5, help="reference runs (median) and bench passes (best)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure every goal this many times, one round after the other, then print each goal's "
                         "median share over the rounds (default 1)")
    ap.add_argument("--reference", default=os.path.join(CONFIGS, "reference.yaml"))
    ap.add_argument("--study", default=os.path.join(CONFIGS, "vanishing.yaml"))
    ap.add_argument("--steps", default="rnn:64:20,rnn:64:100,lstm:64:20,lstm:64:100,gru:64:20,gru:64:100")
    ap.add_argument("--no-study", action="store_true", help="leave the study out (it takes minutes)")
    ap.add_argument("--isa", action="store_true", help="also AVX-512 against AVX2 (about 10 minutes)")
    a = ap.parse_args()
    if a.rounds < 1 or a.repeats < 1:
        ap.error("--rounds and --repeats take a whole number of at least 1")
    sweep = os.path.join(a.build, "sweep")

    rounds = []
    for r in range(a.rounds):
        rounds.append(measure_round(a, sweep))
        if a.rounds > 1:
            print(f"\nRound {r + 1} of {a.rounds}" if r else f"Round 1 of {a.rounds}")
        print_round(*rounds[-1])
        sys.stdout.flush()
    if a.rounds > 1:
        print_across(rounds)
    if a.isa:
        isa_table(a.build, max(1, min(a.repeats, 3)))


if __name__ == "__main__":
    main()
