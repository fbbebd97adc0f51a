#!/usr/bin/python3
"""sweep's TPE (src/tpe.c) against Optuna's own on the same observations.

Usage: test_sweep_tpe_optuna.py TEST_SWEEP_TPE

Random cases for every distribution sweep's space has (uniform, loguniform, int_uniform,
int_loguniform, choice), 0 to 60 observations: Optuna 3.1's _ParzenEstimator (TPESampler's
default parameters) and `test_sweep_tpe probe` must agree on the components' centres,
bandwidths and weights, a choice's probabilities, the log density at points across the
range, the draws made from the same uniforms (Optuna's own sample(), fed them through its
random state), the l/g choice among candidates (TPESampler._compare), and the good/bad
split of done, stopped (pruned) and pending (running, constant liar) points
(_split_observation_pairs with default_gamma).

Two differences are deliberate (src/tpe.c), and the comparison makes them in Optuna too:
Optuna 3.1.0's truncated-normal log density lacks the -log(sigma) term (optuna#5109, fixed in
3.5 by pull #5110), and its bandwidth rule sorts the centres with numpy's default argsort,
which does not keep ties (equal integers) in order beyond 16 elements; sweep's sort is
stable. Exits 77 (skipped) without python3-optuna.
"""
import math
import subprocess
import sys
import warnings

try:
    import numpy as np
    import optuna
    from optuna import distributions as od
    from optuna.samplers._tpe import _truncnorm
    from optuna.samplers._tpe import parzen_estimator as _parzen_module
    from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
    from optuna.samplers._tpe.sampler import TPESampler, _split_observation_pairs, default_gamma, default_weights
except ImportError as e:
    print(f"skipped: {e} (python3-optuna is not installed)")
    sys.exit(77)

warnings.filterwarnings("ignore")
_original_logpdf = _truncnorm.logpdf


def _logpdf_fixed(x, a, b, loc=0, scale=1):
    return _original_logpdf(x, a, b, loc, scale) - np.log(scale)


_truncnorm.logpdf = _logpdf_fixed  # parzen_estimator looks it up at each call


class _StableArgsort:
    """numpy, but argsort keeps ties in order (parzen_estimator's bandwidth rule)."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def argsort(a, *args, **kwargs):
        return np.argsort(a, kind="stable")


_parzen_module.np = _StableArgsort()

PARAMS = _ParzenEstimatorParameters(True, 1.0, True, False, default_weights, False)
failures = []


def fail(what):
    failures.append(what)
    if len(failures) <= 20:
        print("FAIL:", what)


def close(a, b, tol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    return bool(np.all(both_inf | (np.abs(a - b) <= tol * (1 + np.abs(b)))))


class QueuedRandom(np.random.RandomState):
    """A RandomState whose uniforms are given: numpy's choice(p=...) takes them through
    random_sample, _truncnorm.rvs through uniform, the categorical draw through rand."""

    def __init__(self, component, value):
        super().__init__(0)
        self.component, self.value = np.asarray(component), np.asarray(value)

    def random_sample(self, size=None):
        return self.component.copy()

    def uniform(self, low=0.0, high=1.0, size=None):
        return self.value.copy()

    def rand(self, *shape):
        return self.value.copy()


def optuna_dist(kind, lo, hi, k):
    return {
        "uniform": lambda: od.FloatDistribution(lo, hi),
        "loguniform": lambda: od.FloatDistribution(lo, hi, log=True),
        "int_uniform": lambda: od.IntDistribution(int(lo), int(hi)),
        "int_loguniform": lambda: od.IntDistribution(int(lo), int(hi), log=True),
        "choice": lambda: od.CategoricalDistribution(list(range(k))),
    }[kind]()


def draw(rng, kind, lo, hi, k, n):
    if kind == "uniform":
        return rng.uniform(lo, hi, n)
    if kind == "loguniform":
        return np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    if kind in ("int_uniform", "int_loguniform"):
        return rng.integers(int(lo), int(hi) + 1, n).astype(float)
    return rng.integers(0, k, n).astype(float)


def probe(exe, text):
    out = subprocess.run([exe, "probe"], input=text, capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()]


def numbers(fields):
    return np.array([float(v) for v in fields[1:]])


SPACES = [
    ("uniform", 0.0, 0.5, 0),
    ("uniform", -3.0, 7.0, 0),
    ("loguniform", 1e-4, 3e-2, 0),
    ("int_uniform", 1, 6, 0),
    ("int_uniform", -20, 300, 0),
    ("int_loguniform", 8, 128, 0),
    ("int_loguniform", 1, 1000, 0),
    ("choice", 0, 2, 3),
    ("choice", 0, 6, 7),
]
SIZES = [0, 1, 2, 3, 5, 10, 14, 24, 25, 26, 40, 60]


def estimator_cases(exe, rng):
    cases, lines = [], []
    for kind, lo, hi, k in SPACES:
        for n in SIZES:
            obs = draw(rng, kind, lo, hi, k, n)
            xs = draw(rng, kind, lo, hi, k, 9)
            uc, uv = rng.random(8), rng.random(8)
            u = np.column_stack([uc, uv]).ravel()
            cases.append((kind, lo, hi, k, obs, xs, uc, uv))
            lines.append(" ".join(["pdf", kind, repr(float(lo)), repr(float(hi)), str(k), str(n)] +
                                  [repr(v) for v in obs] + [str(len(xs))] + [repr(v) for v in xs] +
                                  [str(len(u))] + [repr(v) for v in u]))
    out = probe(exe, "\n".join(lines) + "\n")
    for c, case in enumerate(cases):
        kind, lo, hi, k, obs, xs, uc, uv = case
        rows = {r[0]: numbers(r) for r in out[6 * c:6 * c + 6]}
        name = f"{kind} [{lo}, {hi}] with {len(obs)} observations"
        dist = optuna_dist(kind, lo, hi, k)
        pe = _ParzenEstimator({"x": obs}, {"x": dist}, PARAMS)
        if not close(rows["weight"], pe._weights, 1e-12):
            fail(f"{name}: weights {rows['weight']} vs Optuna {pe._weights}")
        if kind == "choice":
            if not close(rows["cat"], pe._categorical_weights["x"].ravel(), 1e-12):
                fail(f"{name}: choice rows differ")
        else:
            mu, sigma = pe._mus["x"], pe._sigmas["x"]
            if not close(rows["mu"], mu, 1e-12):
                fail(f"{name}: centres {rows['mu']} vs Optuna {mu}")
            # ties (integers) may take their bandwidths in another order: compare as pairs
            mine = sorted(zip(rows["mu"], rows["sigma"]))
            theirs = sorted(zip(mu, sigma))
            if not close(mine, theirs, 1e-12):
                fail(f"{name}: bandwidths {rows['sigma']} vs Optuna {sigma}")
        internal = xs if kind != "choice" else xs.astype(int)
        want = pe.log_pdf({"x": internal})
        if not close(rows["logpdf"], want, 1e-9):
            fail(f"{name}: log pdf {rows['logpdf']} vs Optuna {want}")
        pe._transform_from_uniform = lambda d: d  # compare the draws before rounding
        got = pe.sample(QueuedRandom(uc, uv), len(uc))["x"]
        if not close(rows["sample"], got, 1e-9):
            fail(f"{name}: draws {rows['sample']} vs Optuna {got}")
    return len(cases)


def choose_cases(exe, rng):
    cases, lines = [], []
    for kind, lo, hi, k in SPACES:
        for nb, na in [(1, 3), (2, 15), (5, 40), (3, 0), (25, 70)]:
            below, above = draw(rng, kind, lo, hi, k, nb), draw(rng, kind, lo, hi, k, na)
            cand = draw(rng, kind, lo, hi, k, 24)
            cases.append((kind, lo, hi, k, below, above, cand))
            lines.append(" ".join(["choose", kind, repr(float(lo)), repr(float(hi)), str(k)] +
                                  [str(nb)] + [repr(v) for v in below] + [str(na)] + [repr(v) for v in above] +
                                  [str(len(cand))] + [repr(v) for v in cand]))
    out = probe(exe, "\n".join(lines) + "\n")
    for (kind, lo, hi, k, below, above, cand), row in zip(cases, out):
        dist = optuna_dist(kind, lo, hi, k)
        l = _ParzenEstimator({"x": below}, {"x": dist}, PARAMS)
        g = _ParzenEstimator({"x": above}, {"x": dist}, PARAMS)
        samples = {"x": cand if kind != "choice" else cand.astype(int)}
        log_l, log_g = l.log_pdf(samples), g.log_pdf(samples)
        best = TPESampler._compare(samples, log_l, log_g)["x"]
        score = np.max(log_l - log_g)
        got_index, got_score = int(row[1]), float(row[2])
        if cand[got_index] != best or not close(got_score, score, 1e-9):
            fail(f"choose {kind} {len(below)}/{len(above)}: candidate {cand[got_index]} ({got_score}), "
                 f"Optuna {best} ({score})")
    return len(cases)


def rank_cases(exe, rng):
    cases, lines = [], []
    for n in [1, 2, 5, 11, 30, 64, 300]:
        for _ in range(5):
            state = rng.choice([0, 0, 0, 1, 2], n)
            state[0] = 0
            depth = rng.integers(1, 6, n)
            loss = np.round(rng.normal(size=n), 1)  # ties on purpose
            loss[rng.random(n) < 0.05] = np.nan
            cases.append((state, depth, loss))
            lines.append(" ".join(["rank", str(n)] + [f"{s} {d} {v!r}" for s, d, v in zip(state, depth, loss)]))
    out = probe(exe, "\n".join(lines) + "\n")
    for (state, depth, loss), row in zip(cases, out):
        pairs = []
        for s, d, v in zip(state, depth, loss):
            if s == 0:  # done: Optuna's complete trial (a NaN value ranks as inf, like a pruned one's)
                pairs.append((-float("inf"), [float("inf") if math.isnan(v) else v]))
            elif s == 1:
                pairs.append((-float(d), [float("inf") if math.isnan(v) else v]))
            else:
                pairs.append((float("inf"), [float("inf")]))
        ran = int(sum(s != 2 for s in state))
        below, _ = _split_observation_pairs(pairs, default_gamma(ran), None)
        got_ran, order = int(row[1]), [int(v) for v in row[2:]]
        if got_ran != ran or sorted(order[:default_gamma(ran)]) != list(below):
            fail(f"rank of {len(state)}: good set {sorted(order[:default_gamma(ran)])}, Optuna {list(below)}")
    return len(cases)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    rng = np.random.default_rng(20240601)
    counts = [estimator_cases(sys.argv[1], rng), choose_cases(sys.argv[1], rng), rank_cases(sys.argv[1], rng)]
    print(f"sweep_tpe_optuna (Optuna {optuna.__version__}): {sum(counts)} cases "
          f"({counts[0]} estimators, {counts[1]} l/g choices, {counts[2]} splits), {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
