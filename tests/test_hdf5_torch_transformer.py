#!/usr/bin/python3
"""test_hdf5_torch_transformer.py SWEEP CONFIG.yaml SCRATCH: a transformer run's weights load
into PyTorch's modules and reproduce what the run recorded.

Runs SWEEP on CONFIG (tests/data/transformer-tiny.yaml) into SCRATCH, then for every run
file: /weights/final loads with load_state_dict(strict=True) into a module of attributes
embed (nn.Linear), transformer (nn.TransformerEncoder of nn.TransformerEncoderLayer with the
config's heads, ff, relu, batch_first, post-norm) and fc (nn.Linear), names as the file's
with the first '/' read as '.'; the forward of /probe/inputs (embed + sinusoidal positions,
causal mask, evaluation mode) reproduces /probe/hidden_final, layer by layer, and the heads'
attention weights averaged over the probe sequences reproduce /probe/attention_final (float32
files: tolerance 1e-4). For the run with a class at the last step, torch's autograd of the
per-sequence cross-entropy reproduces the last gradient record (taken with the final weights):
/gradients/dloss_dx_norm, the gradient reaching the inputs, and the top layer's
/gradients/dloss_dh_norm, 0 before the last step (relative tolerance 1e-4).
Exit 0 when every check passes, 1 on a failure, 77 (skip) without torch, h5py or numpy
(CI's runtime has no torch: tests/test_engine_transformer.c compares the engine with PyTorch
there, through vectors made in advance)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pyharness import check, failures, h5py, np  # noqa: E402

try:
    import torch
except ImportError as e:
    print(f"SKIP: {e} (PyTorch is not a dependency of sweep)")
    sys.exit(77)


def positions(T, d):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    j = torch.arange(d)
    angle = t / torch.pow(torch.tensor(10000.0, dtype=torch.float64), (j - j % 2).double() / d)
    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def check_run(path):
    with h5py.File(path, "r") as f:
        c = f["config"].attrs
        d, L, A = int(c["model.hidden"]), int(c["model.layers"]), int(c["model.heads"])
        F = int(c["model.ff"]) or 4 * d
        check(text(c["model.cell"]) == "transformer", f"{path}: not a transformer run")
        w = f["weights/final"]
        state = {}
        w.visititems(lambda name, obj: state.__setitem__(name.replace("/", ".", 1), torch.tensor(obj[()]).double())
                     if isinstance(obj, h5py.Dataset) else None)
        x = torch.tensor(f["probe/inputs"][()]).double()
        hidden = f["probe/hidden_final"][()]
        attention = f["probe/attention_final"][()]
        kind, epochs = text(c["task.kind"]), int(f["history/epoch"][-1])
        labels = torch.tensor(f["probe/labels"][()]).long()
        grad_epoch = int(f["gradients/epoch"][-1])
        dx_norm = f["gradients/dloss_dx_norm"][-1]
        dh_norm = f["gradients/dloss_dh_norm"][-1, -1]
    P, T, I = x.shape
    C = state["fc.weight"].shape[0]
    model = torch.nn.Module()
    model.embed = torch.nn.Linear(I, d)
    layer = torch.nn.TransformerEncoderLayer(d, A, F, dropout=0.1, activation="relu", batch_first=True,
                                             norm_first=False)
    model.transformer = torch.nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
    model.fc = torch.nn.Linear(d, C)
    model.double().eval()
    missing = model.load_state_dict(state, strict=True)
    check(not missing.missing_keys and not missing.unexpected_keys, f"{path}: state dict {missing}")
    causal = torch.triu(torch.full((T, T), float("-inf"), dtype=torch.float64), 1)
    with torch.no_grad():
        h = model.embed(x) + positions(T, d)
        for l, lay in enumerate(model.transformer.layers):
            _, att = lay.self_attn(h, h, h, attn_mask=causal, need_weights=True, average_attn_weights=False)
            err = float(np.abs(att.mean(0).numpy() - attention[l]).max())
            check(err < 1e-4, f"{path}: layer {l} attention differs from torch's by {err:.3g}")
            h = lay(h, src_mask=causal)
            err = float(np.abs(h.numpy() - hidden[l]).max())
            check(err < 1e-4, f"{path}: layer {l} output differs from torch's by {err:.3g}")
    if kind == "mean_sign":
        check(grad_epoch == epochs, f"{path}: last gradient record at epoch {grad_epoch}, not the last ({epochs})")
        xg = x.clone().requires_grad_(True)
        h = model.embed(xg) + positions(T, d)
        outs = []
        for lay in model.transformer.layers:
            h = lay(h, src_mask=causal)
            h.retain_grad()
            outs.append(h)
        loss = torch.nn.functional.cross_entropy(model.fc(h[:, -1]), labels, reduction="sum")
        loss.backward()
        want_dx = xg.grad.norm(dim=2).mean(0).numpy()            # (1/P) sum_b ||d l_b / d x_{b,t}||
        want_dh = outs[-1].grad.norm(dim=2).mean(0).numpy()
        err = float(np.abs(want_dx - dx_norm).max() / np.abs(want_dx).max())
        check(err < 1e-4, f"{path}: dloss_dx_norm differs from torch's autograd by {err:.3g} (relative)")
        err = float(np.abs(want_dh - dh_norm).max() / np.abs(want_dh).max())
        check(err < 1e-4 and not dh_norm[:-1].any(),
              f"{path}: top layer's dloss_dh_norm differs from torch's by {err:.3g} or is not 0 before T-1")
    print(f"{path}: {L} layers, d {d}, {A} heads, ff {F}: outputs, attention{' and gradients' if kind == 'mean_sign' else ''} as torch's")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sweep, config, scratch = sys.argv[1:]
    shutil.rmtree(scratch, ignore_errors=True)
    subprocess.run([sweep, config, "-o", scratch, "-j", "1"], check=True, stdout=subprocess.DEVNULL)
    runs = sorted(os.path.join(scratch, n) for n in os.listdir(scratch) if n.endswith(".h5") and n != "sweep.h5")
    check(len(runs) == 2, f"{len(runs)} run files, expected 2")
    for path in runs:
        check_run(path)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
