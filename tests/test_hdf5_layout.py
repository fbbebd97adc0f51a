#!/usr/bin/python3
"""test_hdf5_layout.py SWEEP CHECKER.py: the contract checker expects what the program records.

`SWEEP help layout` prints record.c's table (one line per path: path, kind, dtype, [shape],
scales, meaning, which ends in "(added later: ...)" for paths older files may lack);
CHECKER.py (tests/check-run-file.py) declares its expectations in LAYOUT. Both must list the
same paths with the same kind, dtype, shape and "added later" mark, so a quantity added to the
table without the checker (or the reverse) fails here. Exit 77 (skip) without h5py."""
import importlib.util
import subprocess
import sys


def program_layout(sweep):
    out = subprocess.run([sweep, "help", "layout"], check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        if not line.startswith("/"):
            continue
        path, kind, dtype, shape = line.split(None, 5)[:4]
        if path in rows:
            print(f"FAIL: {path} printed twice")
        rows[path] = (kind, dtype, shape.strip("[]")) + (("added later",) if "(added later" in line else ())
    return rows


def checker_layout(path):
    spec = importlib.util.spec_from_file_location("check_run_file", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYOUT


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        import h5py  # noqa: F401 (the checker needs it to load)
    except ImportError:
        print("SKIP: no h5py (Debian: apt-get install python3-h5py)")
        return 77
    ours, theirs = program_layout(sys.argv[1]), checker_layout(sys.argv[2])
    problems = 0
    if len(ours) < 30:
        print(f"FAIL: only {len(ours)} rows in `sweep help layout`")
        problems += 1
    for path in sorted(set(ours) | set(theirs)):
        if path not in theirs:
            print(f"FAIL: {path} {ours[path]} is recorded but the checker does not expect it")
        elif path not in ours:
            print(f"FAIL: the checker expects {path} {theirs[path]}, which the program does not record")
        elif ours[path] != tuple(theirs[path]):
            print(f"FAIL: {path}: recorded as {ours[path]}, the checker expects {tuple(theirs[path])}")
        else:
            continue
        problems += 1
    print(f"{len(ours)} recorded paths, {len(theirs)} expected by the checker: {problems} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
