#!/usr/bin/python3
"""`sweep sample` on a small text run, and the new tasks' results the same for any thread count.

Trains a tiny character model (gru, a few epochs) on a text written here, then checks that
`sweep sample RUN.h5`: prints the prime then --chars characters of the run's vocabulary (and
a newline); gives the same text for the same --seed and another for another seed; gives the
same text for every seed at --temperature 0; starts with --prime; and refuses, with exit 2 and
one line, a prime character the run never saw, a run that is not a text run, a missing file and
bad option values. Then a text sweep and a permuted pixel sweep run with -j 1 and with one run on
two threads (--threads-per-run 2) write identical files (test_sweep_h5diff.py).

Usage: test_text_sample.py SWEEP H5DIFF.py SCRATCH_DIR
"""
import os
import shutil
import struct
import subprocess
import sys

import h5py
import numpy as np

SWEEP, H5DIFF, SCRATCH = sys.argv[1:4]
FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)


def sweep(*args, env=None):
    return subprocess.run([SWEEP] + list(args), capture_output=True, cwd=SCRATCH, env=env)


def write(name, text):
    with open(os.path.join(SCRATCH, name), "w", encoding="utf-8") as f:
        f.write(text)


def train_text():
    rng = np.random.default_rng(1)
    words = ["free", "software", "the", "program", "licensé", "copies", "of", "and", "to"]
    write("story.txt", " ".join(rng.choice(words, 700)) + "\n")
    write("text.yaml", "name: text\nbase:\n  task: {kind: text, path: story.txt, seq_len: 20}\n"
          "  model: {cell: gru, hidden: 24, layers: 1, dropout: 0.0}\n"
          "  train: {epochs: 4, batch: 16, steps_per_epoch: 0, lr: 0.01}\n"
          "  record: {probe_size: 4, grad_every: 4}\n")
    r = sweep("text.yaml", "-o", "text", "-j", "1", "-q")
    check(r.returncode == 0, "a text sweep runs (exit %d) %s" % (r.returncode, r.stderr.decode()[-300:]))
    return os.path.join("text", "run.h5")


def test_sample(run):
    with h5py.File(os.path.join(SCRATCH, run), "r") as f:
        vocab = set(map(chr, f["/task/vocabulary"][()]))
        first = chr(f["/task/vocabulary"][int(np.argmax(f["/probe/inputs"][0, 0]))])
    a = sweep("sample", run, "--chars", "300", "--seed", "3")
    b = sweep("sample", run, "--chars", "300", "--seed", "3")
    c = sweep("sample", run, "--chars", "300", "--seed", "4")
    text = a.stdout.decode("utf-8")
    check(a.returncode == 0 and a.stderr == b"", "sample exits 0, nothing on stderr")
    check(text.endswith("\n") and len(text) == 1 + 300 + 1, "the prime (1 character), 300 characters, a newline "
          "(%d characters)" % len(text))
    check(set(text[:-1]) <= vocab, "every character is one of the run's vocabulary")
    check(text[0] == first, "the default prime is the first character of the test text (%r)" % first)
    check(a.stdout == b.stdout, "the same seed gives the same text")
    check(a.stdout != c.stdout, "another seed gives another text")
    g = [sweep("sample", run, "--chars", "80", "--temperature", "0", "--seed", s).stdout for s in ("1", "2")]
    check(g[0] == g[1], "temperature 0: the same text whatever the seed")
    p = sweep("sample", run, "--chars", "40", "--prime", "the licensé ")
    check(p.returncode == 0 and p.stdout.decode("utf-8").startswith("the licensé "),
          "--prime (UTF-8) starts the text")
    for args, phrase in ((["--prime", "xyz"], "'x'"), (["--prime", "Ω"], "U+03A9"),
                         (["--chars", "-1"], "--chars"), (["--temperature", "hot"], "--temperature"),
                         (["--seed"], "--seed"), (["--frobnicate"], "unknown option")):
        r = sweep("sample", run, *args)
        err = r.stderr.decode("utf-8")
        check(r.returncode == 2 and phrase in err and err.startswith("sweep"),
              "sample %s: exit 2 naming %s (exit %d: %r)" % (" ".join(args), phrase, r.returncode, err[:200]))
    r = sweep("sample", "nothing-here.h5")
    check(r.returncode == 2 and b"nothing-here.h5" in r.stderr and len(r.stderr.strip().split(b"\n")) == 1,
          "sample of a missing file: exit 2, one line naming it")


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    with open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_threads():
    rng = np.random.default_rng(2)
    os.makedirs(os.path.join(SCRATCH, "idx"), exist_ok=True)
    for split, n in (("train", 96), ("t10k", 40)):
        write_idx(os.path.join(SCRATCH, "idx", split + "-images-idx3-ubyte"), rng.integers(0, 256, (n, 8, 8)))
        write_idx(os.path.join(SCRATCH, "idx", split + "-labels-idx1-ubyte"), rng.integers(0, 10, n))
    write("pixels.yaml", "name: pixels\nbase:\n  task: {kind: file, path: idx, sequence: pixels, permute: true, "
          "permute_seed: 9, val_size: 16}\n  model: {cell: lstm, hidden: 12, layers: 1}\n"
          "  train: {epochs: 2, batch: 40, steps_per_epoch: 0}\n  record: {probe_size: 8}\n")
    for cfg in ("pixels", "text"):
        one = sweep(cfg + ".yaml", "-o", cfg + "-j1", "-j", "1", "-q", env=dict(os.environ, OMP_NUM_THREADS="1"))
        two = sweep(cfg + ".yaml", "-o", cfg + "-t2", "-j", "2", "--threads-per-run", "2", "-q",
                    env=dict(os.environ, OMP_NUM_THREADS="2"))
        d = subprocess.run(["/usr/bin/python3", H5DIFF, cfg + "-j1", cfg + "-t2"], capture_output=True, cwd=SCRATCH)
        check(one.returncode == 0 and two.returncode == 0 and d.returncode == 0,
              "%s: one thread and two threads per run write identical files %s" % (cfg, d.stdout.decode()[-400:]))
    r = sweep("sample", os.path.join("pixels-j1", "run.h5"))
    err = r.stderr.decode()
    check(r.returncode == 2 and "task.kind file" in err and len(err.strip().split("\n")) == 1,
          "sample of an image run: exit 2, one line (%r)" % err)


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    run = train_text()
    if not FAILURES:
        test_sample(run)
        test_threads()
    print("%d failed" % len(FAILURES) if FAILURES else "all passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
