#!/usr/bin/python3
"""h5py reads what sweep writes: run files, the index and its external links.

Usage: test_hdf5_h5py.py FIXTURE_DIR   (a directory made by test_hdf5_fixture)
Exit 0 when every check passes, 1 on a failure, 77 (CTest SKIP_RETURN_CODE) when h5py or
numpy is missing.

Besides paths and types it checks the meaning of the weights: a plain numpy forward pass of
torch.nn.RNN / LSTM / GRU equations (PyTorch gate order) over /probe/inputs with
/weights/final must reproduce /probe/hidden_final of the runs the engine trained."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyharness import check, failures, h5py, np  # noqa: E402


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward(cell, w, x, L):
    """Every layer's h_t for inputs x [P,T,I] with state-dict weights w (name -> array)."""
    P, T, _ = x.shape
    out = []
    inp = x.astype(np.float64)
    for l in range(L):
        Wi, Wh = w[f"rnn/weight_ih_l{l}"], w[f"rnn/weight_hh_l{l}"]
        bi, bh = w[f"rnn/bias_ih_l{l}"], w[f"rnn/bias_hh_l{l}"]
        H = Wh.shape[1]
        h = np.zeros((P, H))
        c = np.zeros((P, H))
        hs = np.zeros((P, T, H))
        for t in range(T):
            gi = inp[:, t] @ Wi.T + bi
            gh = h @ Wh.T + bh
            if cell == "rnn":
                h = np.tanh(gi + gh)
            elif cell == "lstm":
                g = gi + gh
                i, f, gg, o = (g[:, k * H:(k + 1) * H] for k in range(4))
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(gg)
                h = sigmoid(o) * np.tanh(c)
            else:  # gru: r, z, n
                r = sigmoid(gi[:, :H] + gh[:, :H])
                z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                h = (1 - z) * n + z * h
            hs[:, t] = h
        out.append(hs)
        inp = hs
    return np.stack(out)


def check_run(path, expect_id):
    with h5py.File(path, "r") as f:
        a = f.attrs
        check(isinstance(a["format"], str) and a["format"] == "sweep-run", f"{path}: format is {a['format']!r}")
        check(int(a["format_version"]) == 1, f"{path}: format_version")
        check(a["run_id"] == expect_id, f"{path}: run_id {a['run_id']!r}")
        check(a["status"] in ("done", "diverged", "failed"), f"{path}: status")
        check(isinstance(a["config"], str) and "seq_len:" in a["config"], f"{path}: config text")
        check(list(a["swept_keys"]) == ["model.cell", "seed"], f"{path}: swept_keys {list(a['swept_keys'])}")
        c = f["config"].attrs
        check(isinstance(c["model.cell"], str), f"{path}: /config model.cell not str")
        check(c["train.nesterov"].dtype == np.bool_, f"{path}: bool key not read as numpy bool ({c['train.nesterov'].dtype})")
        check(np.issubdtype(c["model.hidden"].dtype, np.integer), f"{path}: int key type")
        check(np.issubdtype(c["train.lr"].dtype, np.floating), f"{path}: float key type")
        check(c["train.schedule.milestones"].ndim == 1, f"{path}: list key not an array")
        h = f["history"]
        E = h["epoch"].shape[0]
        # dimension scales name the axes (what h5netcdf/xarray read)
        check(h["test_acc"].dims[0][0].name == "/history/epoch", f"{path}: history axis")
        if a["status"] == "failed":
            check("weights" not in f and a["error"] != "", f"{path}: failed run content")
            return f["config"].attrs["model.cell"], None
        L = int(c["model.layers"])
        g = f["gradients"]
        names = [g["dloss_dh"].dims[i][0].name for i in range(4)]
        check(names == ["/gradients/epoch", "/gradients/layer", "/gradients/time", "/gradients/unit"],
              f"{path}: gradient axes {names}")
        check(f["probe/hidden_final"].dims[1][0].name == "/probe/sample", f"{path}: probe axes")
        w = {}
        f["weights/final"].visititems(lambda k, v: w.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
        check(set(w) == {f"rnn/{p}_l{l}" for l in range(L) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
              | {"fc/weight", "fc/bias"}, f"{path}: weight names {sorted(w)}")
        check(all(v.dtype == np.float32 for v in w.values()), f"{path}: weights not float32")
        check(sum(v.size for v in w.values()) == int(f["summary"].attrs["param_count"]), f"{path}: param_count")
        # the PyTorch one-liner from docs/hdf5-layout.md, without torch: keys as a state dict
        sd = {k.replace("/", "."): v for k, v in w.items()}
        check("rnn.weight_ih_l0" in sd and "fc.bias" in sd, f"{path}: state-dict keys")
        return c["model.cell"], (w, f["probe/inputs"][()], f["probe/hidden_final"][()], L)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = os.path.abspath(sys.argv[1])
    # Work on a copy in another directory, reading from yet another working directory:
    # the index's links are relative, so the directory must be relocatable.
    tmp = tempfile.mkdtemp(prefix="sweep-h5py-")
    try:
        d = os.path.join(tmp, "moved")
        shutil.copytree(src, d)
        os.chdir("/")
        with h5py.File(os.path.join(d, "sweep.h5"), "r") as f:
            check(f.attrs["format"] == "sweep-index", "index format")
            check(len(f.attrs["config_sha256"]) == 64, "index hash")
            import hashlib
            check(hashlib.sha256(f.attrs["config"].encode()).hexdigest() == f.attrs["config_sha256"],
                  "config_sha256 is not the SHA-256 of the config text")
            runs = list(f["runs"])
            check(len(runs) == 7, f"links: {runs}")
            for rid in runs:  # following the external links
                check(f["runs"][rid].attrs["run_id"] == rid, f"link {rid} leads to {f['runs'][rid].attrs['run_id']}")
            check("history/test_acc" in f["runs/cell=rnn,seed=1"], "path through a link")
            cols = {k: f["table"][k][()] for k in f["table"]}  # the pandas.DataFrame recipe
            lengths = {k: len(v) for k, v in cols.items()}
            check(len(set(lengths.values())) == 1, f"column lengths differ: {lengths}")
            n = lengths["run_id"]
            check(n == int(f.attrs["runs_total"]) == 8, f"{n} rows")
            check(list(f["table"])[:3] == ["run_id", "status", "path"], f"column order {list(f['table'])}")
            for k in ("model.cell", "seed", "best_test_acc", "best_epoch", "final_test_acc", "wall_seconds"):
                check(k in cols, f"column {k} missing")
            ids = list(f["table/run_id"].asstr()[()])
            status = list(f["table/status"].asstr()[()])
            check(status.count("pending") == 1 and status[ids.index("cell=lstm,seed=3")] == "pending", f"status {status}")
            check(status[ids.index("cell=lstm,seed=2")] == "diverged", "diverged row")
            check(status[ids.index("cell=gru,seed=2")] == "failed", "failed row")
            check(cols["seed"].dtype.kind == "i" and cols["best_test_acc"].dtype.kind == "f", "column dtypes")
            for i, rid in enumerate(ids):
                if status[i] in ("done", "diverged"):
                    with h5py.File(os.path.join(d, f"{rid}.h5"), "r") as r:
                        acc = r["history/test_acc"][()]
                        check(cols["best_test_acc"][i] == acc.max(), f"{rid}: table best_test_acc")
                        check(cols["best_epoch"][i] == int(np.argmax(acc)) + 1, f"{rid}: table best_epoch")
                        check(cols["final_test_acc"][i] == acc[-1], f"{rid}: table final_test_acc")
        for rid in ids:
            p = os.path.join(d, f"{rid}.h5")
            if not os.path.exists(p):
                continue
            cell, real = check_run(p, rid)
            if real and rid.endswith("seed=1"):  # trained by the engine
                w, x, hidden, L = real
                ref = forward(cell, {k: v.astype(np.float64) for k, v in w.items()}, x, L)
                err = np.abs(ref - hidden).max()
                check(err < 2e-4, f"{rid}: numpy {cell} forward from /weights/final differs from /probe/hidden_final by {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_hdf5_h5py: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
