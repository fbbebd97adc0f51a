#!/usr/bin/python3
"""The hidden-unit classifier (analysis/units.py) recovers planted units.

Synthetic trajectories over random inputs: accumulators (the running mean of
the input, squashed, either sign, and a leaky integrator), transients (follow
the current input, or decay with factor 0.3), oscillators (period-2
alternation, and a damped one driven by the input), a constant unit and a
slow random walk unrelated to the input (both 'other'). Exit 77 (skip) when
h5py/numpy/matplotlib are missing, 1 on any failure.
"""
import os
import sys

try:
    import numpy as np
    import h5py  # noqa: F401  (the package imports it)
    import matplotlib  # noqa: F401
except ImportError as e:
    print("SKIP: %s; install Debian's python3-h5py python3-numpy python3-matplotlib" % e)
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from analysis import units  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: %s" % what)
    else:
        print("ok: %s" % what)


def planted(P, T, I, rng):
    x = rng.standard_normal((P, T, I)).astype(np.float32)
    xm = x.mean(axis=2)                                   # [P, T]
    m = units.running_input_mean(x)
    t = np.arange(T)
    H = []
    want = []

    def add(h, cls):
        H.append(h)
        want.append(cls)

    add(np.tanh(3 * m / m.std()), "accumulator")
    add(-np.tanh(2 * m / m.std()), "accumulator")
    leak = np.zeros((P, T))                               # leaky integrator, time constant 50 steps
    for s in range(T):
        leak[:, s] = 0.98 * (leak[:, s - 1] if s else 0) + xm[:, s]
    add(np.tanh(leak / leak.std()), "accumulator")
    add(np.tanh(3 * xm / xm.std()), "transient")          # follows the current input
    dec = np.zeros((P, T))
    for s in range(T):
        dec[:, s] = 0.3 * (dec[:, s - 1] if s else 0) + x[:, s, 0]
    add(np.tanh(dec), "transient")
    phase = rng.integers(0, 2, size=(P, 1))
    add(0.8 * (-1.0) ** (t[None, :] + phase) + 0.05 * rng.standard_normal((P, T)), "oscillator")
    osc = np.zeros((P, T))
    for s in range(T):
        osc[:, s] = -0.8 * (osc[:, s - 1] if s else 0) + 0.5 * x[:, s, 1]
    add(np.tanh(osc), "oscillator")
    add(np.full((P, T), 0.3) + 1e-4 * rng.standard_normal((P, T)), "other")
    walk = np.cumsum(0.05 * rng.standard_normal((P, T)), axis=1)
    add(np.tanh(walk), "other")
    return x, np.stack(H, axis=2), want


rng = np.random.default_rng(7)
for P, T in [(64, 50), (64, 20), (32, 200)]:
    x, h, want = planted(P, T, 10, rng)
    got, st = units.classify(h, x)
    for u, (g, w) in enumerate(zip(got, want)):
        check(g == w, "P=%d T=%d unit %d planted %s, classified %s (corr %+.2f r1 %+.2f flips %.2f std %.3f)"
              % (P, T, u, w, g, st["corr"][u], st["r1"][u], st["flips"][u], st["std"][u]))
    c = units.counts(got)
    check(c == {k: want.count(k) for k in units.CLASSES}, "counts %s" % c)
    check(st["corr"][0] > 0.9 and st["corr"][1] < -0.9, "accumulator correlations carry their sign")

# Shapes are checked.
try:
    units.classify(np.zeros((4, 5, 3)), np.zeros((4, 6, 2)))
    check(False, "mismatched inputs rejected")
except ValueError:
    check(True, "mismatched inputs rejected")

print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
