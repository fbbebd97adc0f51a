#!/usr/bin/python3
"""test_sweep_h5diff.py A B: compare two sweep output directories (or two HDF5 files)
bit for bit, ignoring only what measures time (wall seconds, creation time).

Every group, dataset and attribute must exist in both with identical bytes; exit status
0 when identical, 1 with the differences listed otherwise."""
import os
import sys

import h5py
import numpy as np

VOLATILE = {"created", "wall_seconds", "seconds"}
REFERENCES = {"DIMENSION_LIST", "REFERENCE_LIST"}  # object references differ by address only


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "O":
            return all(same(x, y) for x, y in zip(a.ravel(), b.ravel()))
        return a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return type(a) == type(b) and a == b


def compare_files(pa, pb, out):
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        def items(f):
            names = {"/": f["/"]}
            f.visititems(lambda n, o: names.__setitem__("/" + n, o))
            return names
        ia, ib = items(fa), items(fb)
        for name in sorted(set(ia) | set(ib)):
            if name not in ia or name not in ib:
                out.append(f"{pa}: {name} only in {'first' if name in ia else 'second'}")
                continue
            oa, ob = ia[name], ib[name]
            for attr in sorted(set(oa.attrs) | set(ob.attrs)):
                if attr in VOLATILE or attr in REFERENCES:
                    continue
                if attr not in oa.attrs or attr not in ob.attrs:
                    out.append(f"{pa}: {name} attribute {attr} missing in one")
                elif not same(oa.attrs[attr], ob.attrs[attr]):
                    out.append(f"{pa}: {name} attribute {attr} differs")
            if isinstance(oa, h5py.Dataset):
                if name.rsplit("/", 1)[-1] in VOLATILE:
                    continue
                if not isinstance(ob, h5py.Dataset) or not same(oa[()], ob[()]):
                    out.append(f"{pa}: dataset {name} differs")


def main():
    a, b = sys.argv[1], sys.argv[2]
    out = []
    if os.path.isdir(a):
        fa = sorted(f for f in os.listdir(a) if f.endswith(".h5"))
        fb = sorted(f for f in os.listdir(b) if f.endswith(".h5"))
        if fa != fb:
            out.append(f"file lists differ: {fa} vs {fb}")
        for f in sorted(set(fa) & set(fb)):
            compare_files(os.path.join(a, f), os.path.join(b, f), out)
        n = len(fa)
    else:
        compare_files(a, b, out)
        n = 1
    for line in out:
        print(line)
    print(f"compared {n} files: {'identical' if not out else f'{len(out)} differences'}")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
