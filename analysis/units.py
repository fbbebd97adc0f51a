"""Classify hidden units by their dynamics on the probe sequences.

Criterion (all statistics pooled over every probe sequence and time step;
h has shape [P, T, H] for one layer, x the inputs [P, T, I]):

  std      standard deviation of h over all (sequence, t).
  corr     correlation of h_t with m_t, the running mean of the input up
           to t averaged over the features, m_t = mean_{s<=t} mean_i x_{s,i}:
           at each step t of the second half of the sequence (t >= T/2)
           the Pearson correlation across the probe sequences, averaged
           over those steps. Per-step correlation in the second half,
           because a unit that merely follows the current input x_t
           correlates with m_t as 1/sqrt(t+1): pooled over all t, the
           early steps (where m_t is little more than x_0) would make such
           a unit look like an accumulator (0.42 at T=20); in the second
           half it scores at most sqrt(2/T) (0.32 at T=20) while a true
           integrator scores near 1.
  r1       lag-1 autocorrelation of h_t - mean_t(h) (each sequence centered
           on its own time mean, products pooled over sequences):
           sum c_t c_{t-1} / sum c_t^2.
  flips    fraction of steps t >= 1 where sign(h_t) != sign(h_{t-1}).

  other        std < MIN_STD (nearly constant; also checked first so that
               noise on a flat unit cannot be called anything else);
  accumulator  |corr| >= ACC_CORR: the unit integrates the input, which is
               what mean_sign needs (its label is the sign of m_{T-1});
  oscillator   r1 <= OSC_R1 and flips >= OSC_FLIPS: the state alternates
               from step to step around zero (period-2 dynamics from a
               negative eigenvalue of W_hh);
  transient    r1 < TRANS_R1: the state forgets within a step or two, it
               follows the current input and decays;
  other        the rest (slow units unrelated to the running mean).

Why r1 of h itself rather than of its differences for oscillators: white
noise has a lag-1 autocorrelation of -0.5 in its differences, so every
input-following (transient) unit would look oscillating; r1 of h is ~0
for white noise, ~-1 for an alternating unit and near 1 for a slow one.
"""

import numpy as np

MIN_STD = 0.02
ACC_CORR = 0.5
OSC_R1 = -0.3
OSC_FLIPS = 0.3
TRANS_R1 = 0.5

CLASSES = ("accumulator", "transient", "oscillator", "other")


def running_input_mean(inputs):
    """[P, T, I] -> [P, T]: mean over features of the inputs up to t."""
    x = np.asarray(inputs, dtype=np.float64).mean(axis=2)
    return np.cumsum(x, axis=1) / np.arange(1, x.shape[1] + 1)


def unit_statistics(hidden, inputs):
    """Per-unit statistics of hidden [P, T, H] against inputs [P, T, I].

    Returns a dict of [H] arrays: std, corr, r1, flips."""
    h = np.asarray(hidden, dtype=np.float64)
    if h.ndim != 3:
        raise ValueError("hidden must be [P, T, H], got shape %s" % (h.shape,))
    P, T, H = h.shape
    m = running_input_mean(inputs)
    if m.shape != (P, T):
        raise ValueError("inputs %s do not match hidden %s" % (np.shape(inputs), h.shape))
    std = h.reshape(P * T, H).std(axis=0)
    t0 = T // 2
    hs = h[:, t0:, :] - h[:, t0:, :].mean(axis=0, keepdims=True)      # [P, T-t0, H]
    ms = m[:, t0:] - m[:, t0:].mean(axis=0, keepdims=True)            # [P, T-t0]
    num = (hs * ms[:, :, None]).sum(axis=0)                           # [T-t0, H]
    den = np.sqrt((hs ** 2).sum(axis=0) * (ms ** 2).sum(axis=0)[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1), 0.0).mean(axis=0)
    if T >= 2:
        c = h - h.mean(axis=1, keepdims=True)
        num = (c[:, 1:, :] * c[:, :-1, :]).sum(axis=(0, 1))
        den = (c ** 2).sum(axis=(0, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            r1 = np.where(den > 0, num / den, 1.0)
        s = np.sign(h)
        flips = (s[:, 1:, :] != s[:, :-1, :]).mean(axis=(0, 1))
    else:
        r1 = np.ones(H)
        flips = np.zeros(H)
    return {"std": std, "corr": corr, "r1": r1, "flips": flips}


def classify(hidden, inputs):
    """Classify every unit of hidden [P, T, H] (see the module docstring).

    Returns (classes, stats): classes a list of H strings from CLASSES,
    stats the dict of unit_statistics."""
    st = unit_statistics(hidden, inputs)
    out = []
    for u in range(len(st["std"])):
        if st["std"][u] < MIN_STD:
            out.append("other")
        elif abs(st["corr"][u]) >= ACC_CORR:
            out.append("accumulator")
        elif st["r1"][u] <= OSC_R1 and st["flips"][u] >= OSC_FLIPS:
            out.append("oscillator")
        elif st["r1"][u] < TRANS_R1:
            out.append("transient")
        else:
            out.append("other")
    return out, st


def counts(classes):
    """{class: count} for every class in CLASSES (zeros included)."""
    return {c: sum(1 for x in classes if x == c) for c in CLASSES}
