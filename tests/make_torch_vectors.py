#!/usr/bin/python3
"""Writes tests/data/torch-heads.h5: PyTorch reference vectors (float64) for the engine's
readout heads, the relu rnn cell and the RMSprop and AdamW optimizers. Read by
tests/test_engine_heads.c. With --transformer, the transformer cell's (below).

Regenerate (needs PyTorch, h5py and numpy; only here, never at test time):
    /usr/bin/python3 tests/make_torch_vectors.py tests/data/torch-heads.h5
    /usr/bin/python3 tests/make_torch_vectors.py --transformer tests/data/torch-transformer.h5
The output is the same bytes at every run of a given PyTorch version (1.13 wrote the
committed file).

Model groups /<head>/<cell>_L<layers>[_dropout], each from PyTorch autograd:
  heads  value_K1, value_K3: K linear outputs at the last step, per-sequence loss the mean
                             over K of squared errors (the batch mean is nn.MSELoss);
         class_C10:          10-way softmax cross-entropy at the last step;
         steps_C9:           9-way softmax at every step, per-sequence loss the
                             cross-entropy averaged over all T steps; accuracy counts the
                             steps t >= scored_from only.
  cells  rnn_tanh, rnn_relu (nn.RNN nonlinearity 'relu'), lstm, gru; layers 1 and 2.
  _dropout groups (2 layers) use explicit inverted-dropout masks, stored, so the engine can
  be given the same ones: between the layers and on the readout's input (the last step,
  or for steps_C9 the top layer's whole output sequence).
  Attributes: input I, hidden H, seq_len T, batch B, outputs (C or K), scored_from.
  Datasets (batch first): inputs (B,T,I); labels (B) or (B,T) int32, or values (B,K)
  (float32-exact, as the engine takes float targets); logits (B,C) / (B,T,C) or outputs
  (B,K); per_sample_loss (B); loss (); correct () for class heads; hidden (L,B,T,H) every
  layer's output; dloss_dh (L,B,T,H) PyTorch's gradient of each layer's output sequence
  (the part of d loss / d h_t through the layer above or the readout); weights/<name> and
  grads/<name> for every tensor in the engine's state-dict order ("rnn/weight_ih_l0", ...,
  "fc/weight", "fc/bias"); with dropout, mask_layers (L-1,B,T,H) and mask_final (B,H) or
  (B,T,H).
  The draws are resampled until every relu pre-activation is at least 1e-3 from its kink
  and every scored arg max leads by 1e-3, so a float engine's rounding cannot flip either.
  The layer stack is run one nn.RNN/LSTM/GRU layer at a time (to read every layer's output
  and its gradient); without dropout it is checked here against the multi-layer module.

With --transformer, writes tests/data/torch-transformer.h5 instead (read by
tests/test_engine_transformer.c): groups /<head>/transformer_L<layers>[_dropout] for the same
heads, d = 8 (model.hidden), 2 heads, ff 16, I = 3, B = 4: embed Linear(I, d) plus sinusoidal
positions, then nn.TransformerEncoderLayer(d, 2, 16, activation relu, batch_first, post-norm)
with a causal mask, layer by layer, then the head on the last layer's output. The layers are
written out from their equations (so that explicit dropout masks can be applied, and each
layer's output read) and checked here against nn.TransformerEncoderLayer without dropout.
Datasets as above (hidden and dloss_dh are the layers' outputs and their gradients), plus
attention (L,B,A,T,T) the softmax weights before dropout, weights/grads named as the engine's
table ("embed/weight", "transformer/layers.0.self_attn.in_proj_weight", ..., "fc/bias"), and
with dropout (p = 0.3) the masks as multipliers (0 or 1/(1-p)): mask_att (L,B,A,T,T),
mask_attn_out (L,B,T,d), mask_ff (L,B,T,ff), mask_ff_out (L,B,T,d), mask_final as above.
Layer norm weights and all biases are drawn away from their initial 1 and 0.

Optimizer groups /optim/<name>: params0 (n), grads (S,n), lr (S), params (S,n) after each
of S = 3 torch.optim steps with these gradients and learning rates; attributes optimizer
("rmsprop" or "adamw") and alpha, eps, momentum, centered, weight_decay, beta1, beta2.
"""
import ctypes
import math
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from philox_ref import permutation  # noqa: E402  (task.permute's order, independent of rng.c)

torch.set_default_dtype(torch.float64)

B, I, H = 4, 3, 5
HEADS = [
    # name, kind, outputs, seq_len, scored_from
    ("value_K1", "value", 1, 6, 0),
    ("value_K3", "value", 3, 5, 0),
    ("class_C10", "class_last", 10, 6, 0),
    ("steps_C9", "class_steps", 9, 7, 3),
]
CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
DROPOUT_P = 0.3
MARGIN = 1e-3


def require(group, path):
    """The group at `path` under `group`, created (with its parents) without timestamps,
    so that regenerating the file gives the same bytes."""
    for part in path.split("/"):
        if part not in group:
            gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
            gcpl.set_obj_track_times(False)
            h5py.h5g.create(group.id, part.encode(), gcpl=gcpl)
        group = group[part]
    return group


def put(group, name, data):
    parent, _, leaf = name.rpartition("/")
    (require(group, parent) if parent else group).create_dataset(leaf, data=data, track_times=False)


def minimize_headers(f):
    """Asks HDF5 for minimal dataset object headers (H5Fset_dset_no_attrs_hint, which
    h5py does not wrap): the file holds hundreds of tiny datasets, and the default
    headers' spare room would be a third of it. Skipped when the symbol is not found."""
    try:
        hint = ctypes.CDLL(h5py.h5f.__file__).H5Fset_dset_no_attrs_hint
    except (OSError, AttributeError):
        return
    hint.argtypes = [ctypes.c_int64, ctypes.c_bool]
    hint(f.id.id, True)


def make_layer(cell, n_in):
    if cell.startswith("rnn"):
        return torch.nn.RNN(n_in, H, 1, nonlinearity=cell[4:], batch_first=True)
    return {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](n_in, H, 1, batch_first=True)


def relu_margin(layer, inp):
    """Smallest |pre-activation| of a one-layer relu rnn over the batch `inp` (B,T,in)."""
    smallest = float("inf")
    with torch.no_grad():
        h = torch.zeros(B, H)
        for t in range(inp.shape[1]):
            pre = inp[:, t] @ layer.weight_ih_l0.T + layer.bias_ih_l0 + h @ layer.weight_hh_l0.T + layer.bias_hh_l0
            smallest = min(smallest, pre.abs().min().item())
            h = torch.relu(pre)
    return smallest


def lead(logits):
    """Smallest gap between the largest and second largest logit of each row."""
    top = torch.topk(logits.reshape(-1, logits.shape[-1]), 2, dim=-1).values
    return (top[:, 0] - top[:, 1]).min().item()


def model_group(f, head, cell, L, dropout, seed):
    hname, kind, C, T, scored_from = head
    for attempt in range(1000):
        gen = torch.Generator().manual_seed(seed * 1000 + attempt)
        torch.manual_seed(seed * 1000 + attempt)
        layers = [make_layer(cell, I if l == 0 else H) for l in range(L)]
        fc = torch.nn.Linear(H, C)
        with torch.no_grad():  # non-zero, asymmetric biases everywhere
            for m in layers + [fc]:
                for name, p in m.named_parameters():
                    if "bias" in name:
                        p.uniform_(-0.5, 0.5, generator=gen)
        x = torch.randn(B, T, I, generator=gen)
        masks = None
        if dropout:
            keep = lambda *shape: (torch.rand(*shape, generator=gen) >= DROPOUT_P).double() / (1 - DROPOUT_P)
            masks = ([keep(B, T, H) for _ in range(L - 1)],
                     keep(B, T, H) if kind == "class_steps" else keep(B, H))
        outs, inps = [], [x]
        for l, layer in enumerate(layers):
            out, _ = layer(inps[-1])
            out.retain_grad()
            outs.append(out)
            inps.append(out * masks[0][l] if dropout and l < L - 1 else out)
        top = outs[-1]
        if cell == "rnn_relu" and min(relu_margin(layer, inp.detach()) for layer, inp in zip(layers, inps)) < MARGIN:
            continue
        if kind == "class_steps":
            feat = top * masks[1] if dropout else top
        else:
            feat = top[:, -1] * masks[1] if dropout else top[:, -1]
        logits = fc(feat)

        if kind == "value":
            values = torch.randn(B, C, generator=gen).float().double()
            per_sample = ((logits - values) ** 2).mean(1)
            loss = torch.nn.MSELoss()(logits, values)
        else:
            # half the labels are the arg max, so the accuracy count is not trivially 0
            pred = logits.detach().argmax(-1)
            rand = torch.randint(0, C, pred.shape, generator=gen)
            pick = torch.rand(pred.shape, generator=gen) < 0.5
            labels = torch.where(pick, pred, rand)
            if lead(logits.detach()) < MARGIN:
                continue
            if kind == "class_last":
                per_sample = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
                loss = torch.nn.functional.cross_entropy(logits, labels)
                correct = int((pred == labels).sum())
            else:
                ce = torch.nn.functional.cross_entropy(logits.reshape(B * T, C), labels.reshape(-1),
                                                       reduction="none").view(B, T)
                per_sample = ce.mean(1)
                loss = torch.nn.functional.cross_entropy(logits.reshape(B * T, C), labels.reshape(-1))
                correct = int((pred == labels)[:, scored_from:].sum())
                # the unscored steps must hold hits, or a count ignoring scored_from passes
                if int((pred == labels)[:, :scored_from].sum()) == 0:
                    continue
        assert torch.allclose(per_sample.mean(), loss, rtol=1e-14, atol=0)
        loss.backward()
        break
    else:
        raise RuntimeError("no draw met the margins")

    if not dropout and L > 1:  # the per-layer stack is the multi-layer module
        ctor = torch.nn.RNN if cell.startswith("rnn") else {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        kw = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
        full = ctor(I, H, L, batch_first=True, **kw)
        with torch.no_grad():
            for l, layer in enumerate(layers):
                for name, p in layer.named_parameters():
                    getattr(full, name.replace("_l0", "_l%d" % l)).copy_(p)
            ref, _ = full(x)
        assert torch.allclose(ref, top.detach(), rtol=0, atol=1e-14)

    g = require(f, "%s/%s_L%d%s" % (hname, cell, L, "_dropout" if dropout else ""))
    for k, v in dict(input=I, hidden=H, seq_len=T, batch=B, outputs=C, scored_from=scored_from).items():
        g.attrs[k] = np.int32(v)
    d = lambda name, t: put(g, name, t.detach().numpy())
    d("inputs", x)
    if kind == "value":
        d("values", values)
        d("outputs", logits)
    else:
        put(g, "labels", labels.numpy().astype(np.int32))
        d("logits", logits)
        put(g, "correct", np.int32(correct))
    d("per_sample_loss", per_sample)
    d("loss", loss)
    d("hidden", torch.stack(outs))
    d("dloss_dh", torch.stack([o.grad for o in outs]))
    if dropout:
        if L > 1:
            d("mask_layers", torch.stack(masks[0]))
        d("mask_final", masks[1])
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    for l, layer in enumerate(layers):
        for n in names:
            p = getattr(layer, n + "_l0")
            d("weights/rnn/%s_l%d" % (n, l), p)
            d("grads/rnn/%s_l%d" % (n, l), p.grad)
    for n in ["weight", "bias"]:
        d("weights/fc/" + n, getattr(fc, n))
        d("grads/fc/" + n, getattr(fc, n).grad)


OPTIMS = [
    # name, optimizer, settings (torch keyword names)
    ("rmsprop_plain", "rmsprop", dict(alpha=0.99, eps=1e-8)),
    ("rmsprop_alpha_eps", "rmsprop", dict(alpha=0.9, eps=1e-3)),
    ("rmsprop_momentum", "rmsprop", dict(alpha=0.95, eps=1e-8, momentum=0.9)),
    ("rmsprop_centered", "rmsprop", dict(alpha=0.9, eps=1e-8, centered=True)),
    ("rmsprop_centered_momentum", "rmsprop", dict(alpha=0.9, eps=1e-6, centered=True, momentum=0.5)),
    ("rmsprop_weight_decay", "rmsprop", dict(alpha=0.99, eps=1e-8, weight_decay=0.1)),
    ("rmsprop_all", "rmsprop", dict(alpha=0.8, eps=1e-5, centered=True, momentum=0.7, weight_decay=0.05)),
    ("adamw_weight_decay", "adamw", dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    ("adamw_betas", "adamw", dict(betas=(0.8, 0.95), eps=1e-6, weight_decay=0.5)),
    ("adamw_no_decay", "adamw", dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
]


def optim_group(f, name, kind, settings):
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    n, steps = 8, 3
    p0 = torch.randn(n, generator=gen)
    grads = torch.randn(steps, n, generator=gen) * torch.tensor([1, 1, 1, 1, 1e-3, 10, 1, 1])
    grads[1, 3] = 0.0  # a zero gradient between non-zero ones
    grads[:, 6] = grads[0, 6]  # a constant gradient (centered: variance -> 0)
    lrs = [1e-2, 5e-3, 2e-2]  # a schedule: the decoupled decay must use each step's lr
    p = p0.clone().requires_grad_(True)
    ctor = {"rmsprop": torch.optim.RMSprop, "adamw": torch.optim.AdamW}[kind]
    opt = ctor([p], lr=lrs[0], **settings)
    after = []
    for s in range(steps):
        opt.param_groups[0]["lr"] = lrs[s]
        p.grad = grads[s].clone()
        opt.step()
        after.append(p.detach().clone())
    g = require(f, "optim/" + name)
    g.attrs["optimizer"] = kind
    full = dict(alpha=0.99, eps=1e-8, momentum=0.0, centered=False, weight_decay=0.0, betas=(0.9, 0.999))
    full.update(settings)
    for k in ["alpha", "eps", "momentum", "weight_decay"]:
        g.attrs[k] = float(full[k])
    g.attrs["centered"] = np.int32(full["centered"])
    g.attrs["beta1"], g.attrs["beta2"] = float(full["betas"][0]), float(full["betas"][1])
    put(g, "params0", p0.numpy())
    put(g, "grads", grads.numpy())
    put(g, "lr", np.array(lrs))
    put(g, "params", torch.stack(after).numpy())


TF_D, TF_HEADS, TF_FF = 8, 2, 16
TF_NAMES = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
            "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
            "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]


def positions(T, d):
    """PE[t,2i] = sin(t / 10000^(2i/d)), PE[t,2i+1] = cos(the same)."""
    t = torch.arange(T, dtype=torch.float64)[:, None]
    j = torch.arange(d)
    angle = t / torch.pow(torch.tensor(10000.0), (j - j % 2).double() / d)
    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))


def encoder_layer(layer, x, masks):
    """nn.TransformerEncoderLayer's forward (post-norm, relu, causal) from its parameters,
    with explicit dropout multipliers (masks: att, attn_out, ff, ff_out, or None). Returns
    the output, the softmax weights before dropout and linear1's pre-activation."""
    Bn, T, d = x.shape
    A, dh = TF_HEADS, d // TF_HEADS
    qkv = x @ layer.self_attn.in_proj_weight.T + layer.self_attn.in_proj_bias
    q, k, v = [z.reshape(Bn, T, A, dh).transpose(1, 2) for z in qkv.split(d, -1)]
    scores = (q / dh ** 0.5) @ k.transpose(-2, -1)
    scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    att = scores.softmax(-1)
    o = ((att * masks["att"] if masks else att) @ v).transpose(1, 2).reshape(Bn, T, d)
    a = layer.self_attn.out_proj(o)
    y1 = layer.norm1(x + (a * masks["attn_out"] if masks else a))
    pre = layer.linear1(y1)
    f = torch.relu(pre)
    g = layer.linear2(f * masks["ff"] if masks else f)
    return layer.norm2(y1 + (g * masks["ff_out"] if masks else g)), att, pre


def transformer_group(f, head, L, dropout, seed):
    hname, kind, C, T, scored_from = head
    d, F = TF_D, TF_FF
    for attempt in range(1000):
        gen = torch.Generator().manual_seed(seed * 1000 + attempt)
        torch.manual_seed(seed * 1000 + attempt)
        embed = torch.nn.Linear(I, d)
        layers = [torch.nn.TransformerEncoderLayer(d, TF_HEADS, F, dropout=DROPOUT_P, activation="relu",
                                                   batch_first=True, norm_first=False) for _ in range(L)]
        fc = torch.nn.Linear(d, C)
        with torch.no_grad():
            for m in [embed] + layers + [fc]:
                for name, p in m.named_parameters():
                    if "norm" in name and name.endswith("weight"):
                        p.uniform_(0.5, 1.5, generator=gen)
                    elif "bias" in name:
                        p.uniform_(-0.5, 0.5, generator=gen)
        x = torch.randn(B, T, I, generator=gen)
        masks = None
        if dropout:
            keep = lambda *shape: (torch.rand(*shape, generator=gen) >= DROPOUT_P).double() / (1 - DROPOUT_P)
            masks = [dict(att=keep(B, TF_HEADS, T, T), attn_out=keep(B, T, d), ff=keep(B, T, F), ff_out=keep(B, T, d))
                     for _ in range(L)]
            final = keep(B, T, d) if kind == "class_steps" else keep(B, d)
        inp = embed(x) + positions(T, d)
        outs, atts, margin = [], [], float("inf")
        for l, layer in enumerate(layers):
            out, att, pre = encoder_layer(layer, inp, masks[l] if dropout else None)
            out.retain_grad()
            outs.append(out)
            atts.append(att)
            margin = min(margin, pre.detach().abs().min().item())
            inp = out
        if margin < MARGIN:
            continue
        top = outs[-1]
        feat = top if kind == "class_steps" else top[:, -1]
        logits = fc(feat * final if dropout else feat)
        if kind == "value":
            values = torch.randn(B, C, generator=gen).float().double()
            per_sample = ((logits - values) ** 2).mean(1)
            loss = torch.nn.MSELoss()(logits, values)
        else:
            pred = logits.detach().argmax(-1)
            rand = torch.randint(0, C, pred.shape, generator=gen)
            pick = torch.rand(pred.shape, generator=gen) < 0.5
            labels = torch.where(pick, pred, rand)
            if lead(logits.detach()) < MARGIN:
                continue
            if kind == "class_last":
                per_sample = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
                loss = per_sample.mean()
                correct = int((pred == labels).sum())
            else:
                ce = torch.nn.functional.cross_entropy(logits.reshape(B * T, C), labels.reshape(-1),
                                                       reduction="none").view(B, T)
                per_sample = ce.mean(1)
                loss = ce.mean()
                correct = int((pred == labels)[:, scored_from:].sum())
        loss.backward()
        break
    else:
        raise RuntimeError("no draw met the margins")

    if not dropout:  # the equations are PyTorch's module, causal mask and all
        causal = torch.triu(torch.full((T, T), float("-inf")), 1)
        with torch.no_grad():
            ref = embed(x) + positions(T, d)
            for layer in layers:
                layer.train()  # the slow path: the equations, not the fused kernel
                layer.dropout.p = layer.dropout1.p = layer.dropout2.p = 0.0
                layer.self_attn.dropout = 0.0
                ref = layer(ref, src_mask=causal)
        assert torch.allclose(ref, top.detach(), rtol=0, atol=1e-12), (ref - top).abs().max()

    g = require(f, "%s/transformer_L%d%s" % (hname, L, "_dropout" if dropout else ""))
    for k, v in dict(input=I, hidden=d, heads=TF_HEADS, ff=F, seq_len=T, batch=B, outputs=C,
                     scored_from=scored_from).items():
        g.attrs[k] = np.int32(v)
    put_t = lambda name, t: put(g, name, t.detach().numpy())
    put_t("inputs", x)
    if kind == "value":
        put_t("values", values)
        put_t("outputs", logits)
    else:
        put(g, "labels", labels.numpy().astype(np.int32))
        put_t("logits", logits)
        put(g, "correct", np.int32(correct))
    put_t("per_sample_loss", per_sample)
    put_t("loss", loss)
    put_t("hidden", torch.stack(outs))
    put_t("dloss_dh", torch.stack([o.grad for o in outs]))
    put_t("attention", torch.stack(atts))
    if dropout:
        for key, name in [("att", "mask_att"), ("attn_out", "mask_attn_out"), ("ff", "mask_ff"),
                          ("ff_out", "mask_ff_out")]:
            put_t(name, torch.stack([m[key] for m in masks]))
        put_t("mask_final", final)
    tensors = [("embed/weight", embed.weight), ("embed/bias", embed.bias)]
    for l, layer in enumerate(layers):
        params = dict(layer.named_parameters())
        tensors += [("transformer/layers.%d.%s" % (l, n), params[n]) for n in TF_NAMES]
    tensors += [("fc/weight", fc.weight), ("fc/bias", fc.bias)]
    for name, p in tensors:
        put_t("weights/" + name, p)
        put_t("grads/" + name, p.grad if p.grad is not None else torch.zeros_like(p))


# ---- --sequences: images pixel by pixel (and permuted) at T = 784, and a text ------------

SEQ_H, SEQ_B, IMG = 4, 2, 28
TEXT_T, TEXT_B, TEXT_VAL, TEXT_TEST = 12, 4, 0.1, 0.2


def idx_bytes(array):
    """An IDX file of unsigned bytes: magic 0x0000080R, big-endian sizes, the data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return np.frombuffer(header + array.astype(np.uint8).tobytes(), np.uint8)


def recurrent_stack(cell, n_in, x, gen, carry=False):
    """One layer of `cell` with drawn biases on x (B,T,n_in); returns the layer, its output.
    carry: weights that keep the gradient alive over hundreds of steps (an orthogonal W_hh
    with small biases for the rnn, the lstm's forget gate and the gru's update gate biased
    to 4), so that the first steps' gradients are compared as numbers, not as underflow."""
    layer = torch.nn.RNN(n_in, SEQ_H, 1, nonlinearity="tanh", batch_first=True) if cell == "rnn_tanh" else \
        {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](n_in, SEQ_H, 1, batch_first=True)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if "bias" in name:
                p.uniform_(-0.1 if carry else -0.5, 0.1 if carry else 0.5, generator=gen)
        if carry and cell == "rnn_tanh":
            q, _ = torch.linalg.qr(torch.randn(SEQ_H, SEQ_H, generator=gen))
            layer.weight_hh_l0.copy_(q)
        if carry and cell in ("lstm", "gru"):  # gates i,f,g,o and r,z,n: f and z are chunk 1
            layer.bias_ih_l0[SEQ_H:2 * SEQ_H] += 4.0
    out, _ = layer(x)
    out.retain_grad()
    return layer, out


def put_model(g, layer_tensors, fc, x, out, logits, loss):
    d = lambda name, t: put(g, name, t.detach().numpy())
    d("logits", logits)
    d("loss", loss)
    d("hidden", out[None])
    d("dloss_dh", out.grad[None])
    d("dloss_dx", x.grad)  # the total derivative reaching each input step
    for name, p in layer_tensors + [("fc/weight", fc.weight), ("fc/bias", fc.bias)]:
        d("weights/" + name, p)
        d("grads/" + name, p.grad)


def pixel_groups(f):
    """/pixels: the first SEQ_B training images of a 28x28 IDX fixture (kept whole in the file,
    so the test reads it through sweep's own IDX reader) as 784 pixel steps, in order and
    permuted with task.permute_seed 5; one layer, a class at the last step."""
    rng = np.random.default_rng(784)
    images = {"train": rng.integers(0, 256, (4, IMG, IMG)), "t10k": rng.integers(0, 256, (2, IMG, IMG))}
    labels = {"train": np.array([3, 9, 0, 7]), "t10k": np.array([1, 2])}
    top = require(f, "pixels")
    top.attrs["permute_seed"] = np.int64(5)
    for split in images:
        put(top, "idx/%s-images-idx3-ubyte" % split, idx_bytes(images[split]))
        put(top, "idx/%s-labels-idx1-ubyte" % split, idx_bytes(labels[split]))
    pixels = torch.tensor(images["train"][:SEQ_B].reshape(SEQ_B, IMG * IMG, 1).astype(np.float32) / np.float32(255),
                          dtype=torch.float64)
    y = torch.tensor(labels["train"][:SEQ_B])
    for k, (cell, order) in enumerate([("rnn_tanh", "sequential"), ("lstm", "sequential"), ("gru", "sequential"),
                                       ("lstm", "permuted")]):
        steps = permutation(5, IMG * IMG) if order == "permuted" else list(range(IMG * IMG))
        if True:
            gen = torch.Generator().manual_seed(7840 + k)
            torch.manual_seed(7840 + k)
            x = pixels[:, steps].clone().requires_grad_(True)
            layer, out = recurrent_stack(cell, 1, x, gen, carry=True)
            fc = torch.nn.Linear(SEQ_H, 10)
            logits = fc(out[:, -1])
            loss = torch.nn.functional.cross_entropy(logits, y)
            loss.backward()
            g = require(top, "%s_%s" % (cell, order))
            for key, v in dict(input=1, hidden=SEQ_H, seq_len=IMG * IMG, batch=SEQ_B, outputs=10).items():
                g.attrs[key] = np.int32(v)
            put(g, "inputs", x.detach().numpy())
            put(g, "labels", y.numpy().astype(np.int32))
            if order == "permuted":
                put(g, "steps", np.array(steps, np.int32))
            names = [("rnn/%s_l0" % n, getattr(layer, n + "_l0")) for n in ["weight_ih", "weight_hh", "bias_ih",
                                                                               "bias_hh"]]
            put_model(g, names, fc, x, out, logits, loss)


def text_groups(f):
    """/text: a short UTF-8 text cut as task.kind text cuts one (training | validation |
    test, windows of TEXT_T characters, the next character the target of each step); its
    first TEXT_B training windows through one layer of each cell and a per-step head."""
    rng = np.random.default_rng(12)
    words = ["the", "über", "naïve", "café", "and", "of", "program", "license", "free", "—", "“work”"]
    text = " ".join(rng.choice(words, 60)) + ".\n"
    chars = list(text)
    vocab = sorted(set(chars))
    V, n = len(vocab), len(chars)
    n_train = n - math.floor(n * TEXT_VAL) - math.floor(n * TEXT_TEST)
    codes = np.array([vocab.index(c) for c in chars])
    counts = np.bincount(codes, minlength=V) / n
    top = require(f, "text")
    put(top, "text", np.frombuffer(text.encode("utf-8"), np.uint8))
    put(top, "vocabulary", np.array([ord(c) for c in vocab], np.int32))
    for key, v in dict(seq_len=TEXT_T, batch=TEXT_B, chars=n, train_chars=n_train).items():
        top.attrs[key] = np.int32(v)
    top.attrs["val_fraction"], top.attrs["test_fraction"] = TEXT_VAL, TEXT_TEST
    top.attrs["unigram_entropy"] = float(-(counts * np.log(counts)).sum())
    assert (n_train - 1) // TEXT_T >= TEXT_B
    windows = np.stack([codes[s * TEXT_T:(s + 1) * TEXT_T + 1] for s in range(TEXT_B)])
    onehot = torch.nn.functional.one_hot(torch.tensor(windows[:, :-1]), V).double()
    y = torch.tensor(windows[:, 1:])
    for k, cell in enumerate(["rnn_tanh", "lstm", "gru"]):
        gen = torch.Generator().manual_seed(1200 + k)
        torch.manual_seed(1200 + k)
        x = onehot.clone().requires_grad_(True)
        layer, out = recurrent_stack(cell, V, x, gen)
        fc = torch.nn.Linear(SEQ_H, V)
        logits = fc(out)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        loss.backward()
        g = require(top, cell)
        for key, v in dict(input=V, hidden=SEQ_H, seq_len=TEXT_T, batch=TEXT_B, outputs=V).items():
            g.attrs[key] = np.int32(v)
        put(g, "inputs", x.detach().numpy())
        put(g, "labels", y.numpy().astype(np.int32))
        put(g, "bits_per_char", np.float64(loss.item() / math.log(2)))
        names = [("rnn/%s_l0" % n, getattr(layer, n + "_l0")) for n in ["weight_ih", "weight_hh", "bias_ih",
                                                                           "bias_hh"]]
        put_model(g, names, fc, x, out, logits, loss)


def create(path):
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    return h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--transformer":
        with create(sys.argv[2]) as f:
            minimize_headers(f)
            f.attrs["generator"] = ("tests/make_torch_vectors.py --transformer, PyTorch %s autograd, float64"
                                    % torch.__version__)
            seed = 500
            for head in HEADS:
                for L, dropout in [(1, False), (2, False), (2, True)]:
                    transformer_group(f, head, L, dropout, seed)
                    seed += 1
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--sequences":
        with create(sys.argv[2]) as f:
            minimize_headers(f)
            f.attrs["generator"] = ("tests/make_torch_vectors.py --sequences, PyTorch %s autograd, float64"
                                    % torch.__version__)
            pixel_groups(f)
            text_groups(f)
        return
    if len(sys.argv) != 2:
        sys.exit("usage: make_torch_vectors.py OUT.h5 | --transformer OUT.h5 | --sequences OUT.h5")
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    with h5py.File(h5py.h5f.create(sys.argv[1].encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)) as f:
        minimize_headers(f)
        f.attrs["generator"] = "tests/make_torch_vectors.py, PyTorch %s autograd, float64" % torch.__version__
        seed = 1
        for head in HEADS:
            for cell in CELLS:
                for L, dropout in [(1, False), (2, False), (2, True)]:
                    model_group(f, head, cell, L, dropout, seed)
                    seed += 1
        for name, kind, settings in OPTIMS:
            optim_group(f, name, kind, settings)


if __name__ == "__main__":
    main()
