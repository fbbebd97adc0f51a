#!/usr/bin/python3
"""Every code example of the docs, run on real files, so that none can rot unnoticed.

Usage: test_docs_examples.py SWEEP_EXE REPO_DIR SCRATCH_DIR [--list]

The examples are the code blocks of README.md, docs/*.md and analysis/README.md:
- shell lines (```sh / ```bash blocks, indented blocks, and "$ " lines of output blocks)
  that call `sweep`, `sweep-analysis` or `python3 -m analysis`. A training command (`sweep
  CONFIG.yaml ...`) runs as written plus SHRINK (less data, 2 epochs, small probes: the same
  grid, so the same run ids, in seconds), which writes the run directories the other
  examples read (runs/vanishing, runs/reference/run.h5, ...); then every other command runs
  as written and must exit 0. Lines that build, install or need a cluster (bash .ci/setup,
  cmake, ctest, srun, #SBATCH scripts) are listed, not run.
- ```python blocks, run as written (each as its own program) after the commands; a block
  whose module is not installed (torch: a reference-vector dependency only) is skipped and
  said so.
- ```yaml blocks that are whole sweep files (a top-level `name:`): `sweep FILE --dry-run`.
It all runs in SCRATCH_DIR (emptied first) with configs/ linked from the repository and an
empty docs/ for the figures the examples write, `sweep` on the PATH and the analysis package
on PYTHONPATH; nothing in the repository is written. Then every column of the real sweep.h5
/table and every root attribute must be documented in docs/hdf5-layout.md.

Exit 0 when every example ran, 1 on a failure, 77 when h5py/numpy are missing. --list
prints the examples found and what would be done with each, and runs nothing."""
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyharness import check, failures, h5py  # noqa: E402

# What every training example gets appended: a few sequences, 2 epochs of 2 steps, a small
# probe; the grid, and so the run ids the examples name, stay as written.
SHRINK = ["--set", "task.train_size=64", "--set", "task.test_size=32", "--set", "train.batch=16",
          "--set", "train.steps_per_epoch=2", "--set", "train.epochs=2", "--set", "record.probe_size=4",
          "-j", "2", "--quiet"]
# Commands that read or draw: run as written.
RUNNABLE = ("sweep ", "sweep-analysis ", "python3 -m analysis ")
# A training command ends 1 when a run of the shrunk grid diverged (documented: "some runs
# failed or diverged"); the files are there all the same.
TRAINING_OK = (0, 1)


def doc_files(repo):
    docs = sorted(os.path.join("docs", f) for f in os.listdir(os.path.join(repo, "docs")) if f.endswith(".md"))
    return ["README.md"] + docs + [os.path.join("analysis", "README.md")]


def code_blocks(path, text):
    """(file, first line, kind, body) of every fenced block (kind: its language, "" for
    none) and every indented block after a blank line that is not a list's continuation."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        m = re.match(r"^\s*```(\w*)", lines[i])
        if m:
            start, body = i + 2, []
            i += 1
            while i < len(lines) and not re.match(r"^\s*```", lines[i]):
                body.append(lines[i])
                i += 1
            out.append((path, start, m.group(1), "\n".join(body)))
            i += 1
            continue
        prev = lines[i - 1] if i else ""
        if lines[i].startswith("    ") and not prev.strip():
            before = next((l for l in reversed(lines[:i]) if l.strip()), "")
            start, body = i + 1, []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(lines[i][4:])
                i += 1
            if not re.match(r"^\s*([-*]|\d+\.)\s", before):   # a list item's continuation is prose
                out.append((path, start, "indented", "\n".join(body).rstrip()))
            continue
        i += 1
    return out


def strip_comment(line):
    """The command without a trailing # comment (outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def shell_lines(kind, body):
    """The commands of a block: continuation lines joined, comments dropped; in an output
    block (kind "") only the lines after a "$ " prompt."""
    out, cur = [], ""
    for raw in body.split("\n"):
        if kind == "":
            if not raw.startswith("$ "):
                continue
            raw = raw[2:]
        line = strip_comment(raw.rstrip())
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line.strip()
        if cur:
            out.append(cur)
        cur = ""
    return out


def is_config(repo, word):
    """A sweep file, or the name of an example config (`sweep reference`)."""
    return word.endswith(".yaml") or os.path.exists(os.path.join(repo, "configs", word + ".yaml"))


def examples(repo):
    """(where, what, payload): what is 'train', 'command', 'python', 'yaml' or 'listed'."""
    out = []
    for path in doc_files(repo):
        with open(os.path.join(repo, path)) as f:
            text = f.read()
        for fname, line, kind, body in code_blocks(path, text):
            where = "%s:%d" % (fname, line)
            if kind == "python":
                out.append((where, "python", body))
            elif kind == "yaml":
                if re.search(r"^name:", body, re.M):
                    out.append((where, "yaml", body))
            elif kind in ("sh", "bash", "shell", "indented", ""):
                if "#SBATCH" in body:
                    out.append((where, "listed", "a Slurm script (tests/test_slurm.sh runs the real one)"))
                    continue
                # `A && B` is two examples, run in that order
                for cmd in (c.strip() for l in shell_lines(kind, body) for c in l.split(" && ")):
                    if not cmd.startswith(RUNNABLE):
                        if kind != "indented" or re.match(r"^(bash|cmake|ctest|sudo|apt|SWEEP_|xargs)\b", cmd):
                            out.append((where, "listed", cmd))
                        continue
                    words = shlex.split(cmd)
                    train = words[0] == "sweep" and len(words) > 1 and is_config(repo, words[1])
                    out.append((where, "train" if train else "command", cmd))
    return out


def run(argv, env, cwd, timeout=900):
    t0 = time.time()
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, "", "timed out after %d s" % timeout, time.time() - t0
    return p.returncode, p.stdout, p.stderr, time.time() - t0


def command_argv(cmd, sweep):
    words = shlex.split(cmd)
    if words[0] == "sweep":
        words[0] = sweep
    elif words[0] == "sweep-analysis":
        words[:1] = [sys.executable, "-m", "analysis"]
    elif words[:3] == ["python3", "-m", "analysis"]:
        words[0] = sys.executable
    return words


def placeholder(cmd):
    """A usage word where a file should be (DIR, RUN_ID, CONFIG.yaml, [--opt X]): the example
    cannot be run as written."""
    return re.search(r"(^|\s)(\[|[A-Z][A-Z_]{2,}(\.yaml|\.h5)?(\s|$))", cmd)


def run_all(ex, sweep, repo, work, env):
    done = set()
    for what in ("train", "command", "python", "yaml"):
        for where, kind, payload in ex:
            if kind != what:
                continue
            if what in ("train", "command"):
                if not check(not placeholder(payload), "%s: a placeholder in a runnable example: %s" % (where, payload)):
                    continue
                if payload in done:
                    print("ok   %s (ran above): %s" % (where, payload))
                    continue
                done.add(payload)
                argv = command_argv(payload, sweep) + (SHRINK if what == "train" else [])
                rc, out, err, secs = run(argv, env, work)
                ok = rc in (TRAINING_OK if what == "train" else (0,))
                check(ok, "%s: `%s` exited %d:\n%s" % (where, payload, rc, (err or out)[-1500:]))
                print("%s %s (%.1f s): %s" % ("ok  " if ok else "FAIL", where, secs, payload))
            elif what == "python":
                run_python(where, payload, env, work)
            else:
                path = os.path.join(work, "example-%s.yaml" % re.sub(r"\W", "_", where))
                with open(path, "w") as f:
                    f.write(payload)
                rc, out, err, secs = run([sweep, path, "--dry-run"], env, work)
                check(rc == 0, "%s: the sweep file does not load: %s" % (where, err[-800:]))
                print("%s %s: sweep FILE --dry-run (%s)" % ("ok  " if rc == 0 else "FAIL", where,
                                                             (out.strip().splitlines() or ["?"])[-1]))


def run_python(where, code, env, work):
    mods = re.findall(r"^\s*(?:import|from)\s+([\w.]+)", code, re.M)
    mods += [m for line in re.findall(r"^\s*import\s+(.+)$", code, re.M) for m in re.findall(r"(\w+)", line)]
    for m in {m.split(".")[0] for m in mods}:
        if m in ("torch", "pandas", "xarray") and run([sys.executable, "-c", "import " + m], env, work)[0] != 0:
            print("skip %s: needs %s, which is not installed here (Debian: python3-%s)" % (where, m, m))
            return
    rc, out, err, secs = run([sys.executable, "-c", code], env, work)
    check(rc == 0, "%s: the Python example fails:\n%s" % (where, err[-2000:]))
    print("%s %s: python (%.1f s)" % ("ok  " if rc == 0 else "FAIL", where, secs))


def documented(repo, heading, within=""):
    """The names of the first column of the table under `heading` (the first one after
    `within`) in docs/hdf5-layout.md (every `code` name of the cell)."""
    with open(os.path.join(repo, "docs", "hdf5-layout.md")) as f:
        text = f.read()
    text = text[text.index(within):]
    part = text[text.index(heading):]
    part = part[:part.index("\n#", 1)] if "\n#" in part[1:] else part
    names = set()
    for line in part.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            names.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def check_index_documented(repo, work):
    """Every /table column and root attribute of a real sweep.h5 is in docs/hdf5-layout.md."""
    path = os.path.join(work, "runs", "vanishing", "sweep.h5")
    if not check(os.path.exists(path), "no runs/vanishing/sweep.h5 to check the index docs against"):
        return
    with h5py.File(path, "r") as f:
        swept = [k.decode() if isinstance(k, bytes) else str(k) for k in f.attrs["swept_keys"]]
        cols = [c for c in f["table"] if c not in swept]
        attrs = list(f.attrs)
    table, root = documented(repo, "### `/table`"), documented(repo, "### Root attributes", "## Index `DIR/sweep.h5`")
    check(not [c for c in cols if c not in table], "sweep.h5 /table columns not in docs/hdf5-layout.md: %s"
          % [c for c in cols if c not in table])
    check(not [a for a in attrs if a not in root], "sweep.h5 root attributes not in docs/hdf5-layout.md: %s"
          % [a for a in attrs if a not in root])


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    sweep, repo, work = (os.path.abspath(a) for a in sys.argv[1:4])
    ex = examples(repo)
    if sys.argv[4:] == ["--list"]:
        for where, kind, payload in ex:
            print("%-8s %-28s %s" % (kind, where, payload.split("\n")[0][:100]))
        return 0
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "docs"))
    os.makedirs(os.path.join(work, "bin"))
    os.symlink(os.path.join(repo, "configs"), os.path.join(work, "configs"))
    os.symlink(sweep, os.path.join(work, "bin", "sweep"))
    env = dict(os.environ, PATH=os.path.join(work, "bin") + os.pathsep + os.environ.get("PATH", ""),
               PYTHONPATH=repo, MPLBACKEND="Agg", SWEEP_BIN=sweep, OMP_NUM_THREADS="2")
    kinds = {k: sum(e[1] == k for e in ex) for k in ("train", "command", "python", "yaml", "listed")}
    check(kinds["train"] >= 3 and kinds["command"] >= 8 and kinds["python"] >= 4,
          "the docs' examples were found: %s" % kinds)
    for where, kind, payload in ex:
        if kind == "listed":
            print("not run %s: %s" % (where, payload))
    run_all(ex, sweep, repo, work, env)
    check_index_documented(repo, work)
    print("docs examples: %s; %d failure(s)" % (", ".join("%d %s" % (n, k) for k, n in kinds.items()), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
