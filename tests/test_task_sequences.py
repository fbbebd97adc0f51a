#!/usr/bin/python3
"""Images pixel by pixel and permuted, and texts cut into windows, checked against code written
here: numpy reads the IDX bytes (and HDF5 images) and builds the row, pixel and permuted
sequences; a Python character split builds a text's windows, targets, vocabulary and unigram
entropy; a Python Philox4x32-10 draws task.permute's permutation. Every sequence and target of
every set (train, val, test, probe) that tests/dump_task_data.c says a run is handed must be
equal, bit for bit. Then the bad inputs: each refused by `sweep --dry-run` with exit status 2
and one line that names the file and what is wrong, nothing written.

Usage: test_task_sequences.py DUMP_TASK_DATA SWEEP SCRATCH_DIR
"""
import gzip
import math
import os
import shutil
import struct
import subprocess
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import philox_ref  # noqa: E402  (an independent Philox and task.permute's permutation)

DUMP, SWEEP, SCRATCH = sys.argv[1:4]
FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)


def permutation(seed, T):
    return np.array(philox_ref.permutation(seed, T))


# ---- fixtures -----------------------------------------------------------------------------

def write_idx(path, array, gz):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with (gzip.open(path + ".gz", "wb") if gz else open(path, "wb")) as f:
        f.write(data)


def read_idx(path):
    """The IDX bytes as numpy reads them, independent of the fixture writer above."""
    raw = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(dims)


def config(name, task, extra=""):
    path = os.path.join(SCRATCH, name + ".yaml")
    with open(path, "w") as f:
        f.write("name: %s\nbase:\n  task: {%s}\n  model: {hidden: 4, layers: 1}\n"
                "  train: {epochs: 1, batch: 1}\n%s" % (name, task, extra))
    return path


DUMPS = []


def dump(cfg, *sets):
    DUMPS.append(cfg)
    out = "%s-%d.h5" % (cfg[:-5], len(DUMPS))
    r = subprocess.run([DUMP, cfg, out] + list(sets), capture_output=True, text=True)
    check(r.returncode == 0, "dump_task_data %s %s%s" % (os.path.basename(cfg), " ".join(sets),
                                                        "" if r.returncode == 0 else ": " + r.stderr.strip()))
    return h5py.File(out, "r") if r.returncode == 0 else None


def same(f, expected, what):
    """Every set's x and y (or v) in f equal the expected arrays exactly."""
    for name, arrays in expected.items():
        for key, want in arrays.items():
            got = f[name][key][()] if key in f[name] else None
            ok = got is not None and got.shape == want.shape and got.dtype.kind == want.dtype.kind and \
                np.array_equal(got, want)
            check(ok, "%s: /%s/%s %s equal" % (what, name, key, want.shape))


# ---- images -------------------------------------------------------------------------------

def image_sets(x, y, train_size, val_size, test_x, test_y, test_size, probe):
    """train | val from the file's training images, test and probe from its test images."""
    n = len(x)
    return {"train": {"x": x[:train_size], "y": y[:train_size]},
            "val": {"x": x[n - val_size:], "y": y[n - val_size:]},
            "test": {"x": test_x[:test_size], "y": test_y[:test_size]},
            "probe": {"x": test_x[:probe], "y": test_y[:probe]}}


def test_idx():
    d = os.path.join(SCRATCH, "idx")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(27)
    H, W = 5, 4
    px = {s: rng.integers(0, 256, (n, H, W)) for s, n in (("train", 9), ("t10k", 4))}
    lb = {s: rng.integers(0, 10, len(px[s])) for s in px}
    write_idx(os.path.join(d, "train-images-idx3-ubyte"), px["train"], gz=True)
    write_idx(os.path.join(d, "train-labels-idx1-ubyte"), lb["train"], gz=False)
    write_idx(os.path.join(d, "t10k-images-idx3-ubyte"), px["t10k"], gz=False)
    write_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), lb["t10k"], gz=True)
    # numpy's own reading of the bytes: pixel / 255 in float32, labels as int32
    img = {s: read_idx(os.path.join(d, s + "-images-idx3-ubyte")).astype(np.float32) / np.float32(255)
           for s in ("train", "t10k")}
    lab = {s: read_idx(os.path.join(d, s + "-labels-idx1-ubyte")).astype(np.int32) for s in ("train", "t10k")}
    sizes = "train_size: 5, val_size: 2, test_size: 3"

    def expect(seq, steps=None):
        tr, te = img["train"], img["t10k"]
        if seq == "pixels":
            tr, te = tr.reshape(len(tr), H * W, 1), te.reshape(len(te), H * W, 1)
        if steps is not None:
            tr, te = tr[:, steps], te[:, steps]
        return image_sets(tr, lab["train"], 5, 2, te, lab["t10k"], 3, 2)

    extra = "  record: {probe_size: 2}\n"
    f = dump(config("rows", "kind: file, path: idx, " + sizes, extra))
    if f:
        same(f, expect("rows"), "IDX rows (T = H = 5, I = W = 4)")
        check("steps" not in f, "IDX rows: no permutation")
    f = dump(config("pixels", "kind: file, path: idx, sequence: pixels, " + sizes, extra))
    if f:
        same(f, expect("pixels"), "IDX pixels (T = 20, I = 1)")
    perm20 = permutation(7, H * W)
    check(sorted(perm20) == list(range(20)) and not np.array_equal(perm20, np.arange(20)),
          "Python's Philox permutation of seed 7 is a permutation of 0..19 and not the identity")
    cfg = config("permuted", "kind: file, path: idx, sequence: pixels, permute: true, permute_seed: 7, " + sizes, extra)
    f = dump(cfg)
    if f:
        check(np.array_equal(f["steps"][()], perm20), "IDX pixels permuted: the steps are Python's permutation")
        same(f, expect("pixels", perm20), "IDX pixels permuted (permute_seed 7)")
    f = dump(cfg, "seed=12345")
    if f:
        same(f, expect("pixels", perm20), "IDX pixels permuted, another run seed: the same permutation")
    f = dump(cfg, "task.permute_seed=8")
    if f:
        check(np.array_equal(f["steps"][()], permutation(8, 20)) and not np.array_equal(f["steps"][()], perm20),
              "permute_seed 8: Python's permutation of 8, not that of 7")
    f = dump(config("rowsperm", "kind: file, path: idx, permute: true, permute_seed: 3, " + sizes, extra))
    if f:
        same(f, expect("rows", permutation(3, H)), "IDX rows permuted (the 5 rows in one fixed order)")


def test_hdf5_images():
    rng = np.random.default_rng(5)
    path = os.path.join(SCRATCH, "images.h5")
    x = {s: rng.standard_normal((n, 3, 6)).astype(np.float32) for s, n in (("train", 6), ("test", 3))}
    v = {s: rng.standard_normal((len(x[s]), 2)).astype(np.float32) for s in x}
    with h5py.File(path, "w") as f:
        for s in x:
            f[s + "/x"] = x[s]
            f[s + "/y"] = v[s]  # two regression values per image: still one target per sequence
    perm = permutation(11, 18)
    f = dump(config("h5perm", "kind: file, path: images.h5, sequence: pixels, permute: true, permute_seed: 11",
                    "  record: {probe_size: 3}\n"))
    if f:
        px = {s: x[s].reshape(len(x[s]), 18, 1)[:, perm] for s in x}
        same(f, {"train": {"x": px["train"], "v": v["train"]}, "test": {"x": px["test"], "v": v["test"]},
                 "probe": {"x": px["test"], "v": v["test"]}},
             "HDF5 [N,H,W] images with 2 values each, pixels permuted")


# ---- texts --------------------------------------------------------------------------------

def text_sets(chars, vocab, T, val_fraction, test_fraction, sizes=(None, None, None), probe=2):
    """The char-rnn split, written from the docs: consecutive parts train | val | test, each
    cut into windows of T characters whose targets are the next characters."""
    n = len(chars)
    n_test, n_val = math.floor(n * test_fraction), math.floor(n * val_fraction)
    parts = [chars[:n - n_val - n_test], chars[n - n_val - n_test:n - n_test], chars[n - n_test:]]
    index = {c: i for i, c in enumerate(vocab)}
    out = {}
    for name, part, size in zip(("train", "val", "test"), parts, sizes):
        windows = (len(part) - 1) // T if len(part) > T else 0
        if size is not None:
            windows = size
        codes = np.array([index[c] for c in part], dtype=np.int64)
        x = np.zeros((windows, T, len(vocab)), np.float32)
        y = np.zeros((windows, T), np.int32)
        for s in range(windows):
            x[s, np.arange(T), codes[s * T:s * T + T]] = 1
            y[s] = codes[s * T + 1:s * T + T + 1]
        out[name] = {"x": x, "y": y}
    out["probe"] = {"x": out["test"]["x"][:probe], "y": out["test"]["y"][:probe]}
    return out


def unigram(chars):
    _, counts = np.unique(np.array([ord(c) if isinstance(c, str) else c for c in chars]), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def test_texts():
    words = ["naïve", "café", "über", "ünïcödé", "wörds", "and", "plain", "ASCII", "—", "“quoted”", "日本"]
    rng = np.random.default_rng(3)
    text = " ".join(rng.choice(words, 120)) + "\n"
    with open(os.path.join(SCRATCH, "utf8.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    chars = list(text)
    vocab = sorted(set(chars))
    probe = "  record: {probe_size: 2}\n"
    f = dump(config("utf8", "kind: text, path: utf8.txt, seq_len: 7, val_fraction: 0.1, test_fraction: 0.2", probe))
    if f:
        check([chr(c) for c in f["vocabulary"][()]] == vocab, "UTF-8 text: vocabulary = sorted code points (%d)"
              % len(vocab))
        check(f.attrs["utf8"] == 1 and abs(f.attrs["unigram"] - unigram(chars)) < 1e-12,
              "UTF-8 text: utf8 = 1, unigram entropy = numpy's (%.6f nats)" % unigram(chars))
        same(f, text_sets(chars, vocab, 7, 0.1, 0.2), "UTF-8 text windows, 70/10/20%")
    f = dump(config("utf8small", "kind: text, path: utf8.txt, seq_len: 5, train_size: 4, val_size: 2, "
                    "test_size: 3", probe))
    if f:
        same(f, text_sets(chars, vocab, 5, 0.05, 0.05, (4, 2, 3)), "UTF-8 text, first windows of each part")
    f = dump(config("noval", "kind: text, path: utf8.txt, seq_len: 9, val_fraction: 0", probe))
    if f:
        check(f.attrs["val_size"] == 0 and f["val"]["x"].shape[0] == 0, "val_fraction 0: no validation windows")
        same(f, {k: v for k, v in text_sets(chars, vocab, 9, 0, 0.05).items() if k != "val"}, "text without val")
    raw = bytes(rng.integers(0, 256, 3000, dtype=np.uint8)) + b"\xff\xfe not UTF-8"
    with open(os.path.join(SCRATCH, "bytes.txt"), "wb") as f:
        f.write(raw)
    byte_chars = list(raw)
    f = dump(config("bytes", "kind: text, path: bytes.txt, seq_len: 16", probe))
    if f:
        bv = sorted(set(byte_chars))
        check(list(f["vocabulary"][()]) == bv and f.attrs["utf8"] == 0,
              "a file that is not UTF-8: its bytes are the characters (%d of them), utf8 = 0" % len(bv))
        same(f, text_sets(byte_chars, bv, 16, 0.05, 0.05), "byte text windows")


# ---- bad input ----------------------------------------------------------------------------

def refuse(name, task, phrases, extra=""):
    """`sweep CONFIG --dry-run -o DIR`: exit 2, one line on stderr with every phrase, no DIR."""
    cfg = config(name, task, extra)
    out = os.path.join(SCRATCH, "out-" + name)
    r = subprocess.run([SWEEP, cfg, "--dry-run", "-o", out], capture_output=True, text=True)
    lines = r.stderr.strip().split("\n")
    ok = r.returncode == 2 and len(lines) == 1 and all(p in r.stderr for p in phrases) and not os.path.exists(out)
    check(ok, "refused, one line, exit 2: %s%s" % (name, "" if ok else " (exit %d) %r" % (r.returncode, r.stderr)))


def test_bad_input():
    short = os.path.join(SCRATCH, "short.txt")
    with open(short, "w") as f:
        f.write("abcab" * 20)  # 100 characters: a test part of 5
    open(os.path.join(SCRATCH, "empty.txt"), "w").close()
    with open(os.path.join(SCRATCH, "one.txt"), "w") as f:
        f.write("aaaa")
    steps = os.path.join(SCRATCH, "steps.h5")
    with h5py.File(steps, "w") as f:
        for s, n in (("train", 4), ("test", 2)):
            f[s + "/x"] = np.zeros((n, 3, 2), np.float32)
            f[s + "/y"] = np.zeros((n, 3), np.int32) + np.arange(3, dtype=np.int32)
    refuse("short", "kind: text, path: short.txt, seq_len: 50",
           [short, "shorter than one window", "task.seq_len"])
    refuse("shortall", "kind: text, path: short.txt, seq_len: 100, test_fraction: 0.5",
           [short, "100 characters", "shorter than one window"])
    refuse("empty", "kind: text, path: empty.txt", ["empty.txt", "empty file"])
    refuse("onechar", "kind: text, path: one.txt", ["one.txt", "'a'", "nothing to predict"])
    refuse("textdir", "kind: text, path: idx", ["idx", "is a directory"])
    refuse("permcopy", "kind: copy, permute: true", ["permcopy.yaml", "task.permute", "task.kind copy"])
    refuse("permtext", "kind: text, path: utf8.txt, permute: true", ["utf8.txt", "task.permute", "not images"])
    refuse("pixeltext", "kind: text, path: utf8.txt, sequence: pixels", ["utf8.txt", "task.sequence", "not images"])
    refuse("pixelsteps", "kind: file, path: steps.h5, sequence: pixels", ["steps.h5", "task.sequence", "not images"])
    refuse("pixelnotfile", "kind: adding, sequence: pixels", ["pixelnotfile.yaml", "task.sequence", "adding"])
    refuse("seedalone", "kind: file, path: idx, permute_seed: 4", ["task.permute_seed", "task.permute: true"])
    refuse("fraction", "kind: mean_sign, test_fraction: 0.2", ["task.test_fraction", "text"])
    refuse("probe", "kind: text, path: utf8.txt, seq_len: 20", ["record.probe_size", "utf8.txt", "test windows"],
           "  record: {probe_size: 64}\n")
    refuse("textpath", "kind: text", ["task.path", "text file"])


def main():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    test_idx()
    test_hdf5_images()
    test_texts()
    test_bad_input()
    if FAILURES:
        print("%d failed" % len(FAILURES))
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
