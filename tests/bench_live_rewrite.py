#!/usr/bin/python3
"""bench_live_rewrite.py SWEEP DIR [REPEATS]: one rewrite of the live report of a large sweep
after one more run finished (the issue's goal: under 2 s for 1,000 runs).

DIR is a finished sweep's directory, e.g. of tests/data/tiny-1000.yaml (`sweep
tests/data/tiny-1000.yaml -o DIR -j 2 -q`). Its last run file is moved aside, the live report
(analysis/live.py, as `sweep report DIR --watch` makes it) writes its first page of the other
runs (every file read, the table and figures drawn); then, REPEATS times, the run file comes
back as a new file (a copy: a new inode, so the report's cache must read it) and the page is
rewritten, as after a run that just finished. Prints each rewrite's wall and CPU seconds and
files read, and their medians. DIR is left as it was (the file moved back, the page removed).
"""
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from analysis import live  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[0])
        return 2
    sweep, d = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    names = sorted(n for n in os.listdir(d) if n.endswith(".h5") and n != "sweep.h5")
    last = os.path.join(d, names[-1])
    aside = tempfile.mkdtemp()
    kept = os.path.join(aside, "kept.h5")
    out = os.path.join(aside, "report.html")
    shutil.move(last, kept)
    try:
        lv = live.Live([d], out, 60.0, sweep, 80, mode="watch")
        t0, c0 = time.time(), live._cpu()
        lv.rewrite()
        print("first page: %d runs, %d files read, %.2f s wall, %.2f s CPU"
              % (lv.last["runs"], lv.last["read"], time.time() - t0, live._cpu() - c0))
        walls, cpus = [], []
        for i in range(repeats):
            shutil.copy2(kept, last + ".new")
            os.replace(last + ".new", last)
            t0, c0 = time.time(), live._cpu()
            lv.rewrite()
            walls.append(time.time() - t0)
            cpus.append(live._cpu() - c0)
            print("rewrite after one more run finished: %d runs, %d file read, %.3f s wall, %.3f s CPU%s"
                  % (lv.last["runs"], lv.last["read"], walls[-1], cpus[-1],
                     " (table and figures redrawn)" if lv.last["heavy"] else ""))
            os.unlink(last)
            lv.rewrite()                      # the page without it again, for the next repeat
        print("median of %d: %.3f s wall, %.3f s CPU" % (repeats, statistics.median(walls), statistics.median(cpus)))
    finally:
        shutil.move(kept, last)
        shutil.rmtree(aside, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
