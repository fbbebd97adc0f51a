/* tpe.h: the Tree-structured Parzen Estimator (Bergstra et al. 2011) as Optuna 3.1's
 * TPESampler runs it by default (univariate: every key on its own), made a pure function
 * of its inputs so that a search's rounds are the same however its runs were scheduled.
 *
 * For one key of the space, the points proposed so far (in the order they were proposed)
 * are ranked (sw_tpe_rank_points): points that trained to the end by their loss, then
 * points stopped early, the ones that went further first, then the points of the current
 * round that have not run (the constant liar: they count as the worst). The best
 * gamma(n) = min(ceil(0.1 n), 25) of the n points that ran form the "below" set, the rest
 * (the liars included) the "above" set. A Parzen estimator (sw_parzen) of each set, with
 * a prior, gives l(x) and g(x); 24 candidates drawn from l are scored by
 * log l(x) - log g(x) and the best is taken. docs/config.md writes the algorithm down
 * step by step; tpe.c's comments say where it differs from Optuna 3.1.0's code.
 *
 * Values are in each key's own representation ("internal values"): a float key's value,
 * an integer key's integer, a choice's index (0-based). Estimators work on the log of
 * loguniform and int_loguniform values.
 *
 * Random numbers: candidate c of key d for point `index` takes Philox4x32-10 block
 * {index, d * 65536 + c, 0x5450} under the search seed (two 53-bit uniforms: one picks the
 * estimator's component, one the value), so a point depends on nothing but the seed, its
 * index, the space and the points before it. */
#ifndef SWEEP_TPE_H
#define SWEEP_TPE_H

#include <stdbool.h>
#include <stdint.h>

#include "sample.h"
#include "task.h"

/* Optuna's defaults (TPESampler.__init__). */
#define SW_TPE_CANDIDATES 24  /* n_ei_candidates */
#define SW_TPE_PRIOR_WEIGHT 1.0
#define SW_TPE_FLAT_WEIGHTS 25 /* the newest points keep weight 1; older ones ramp down */
#define SW_TPE_MAX_BELOW 25    /* gamma's cap */

/* One key of the space as the estimator sees it. */
typedef struct {
    sw_dist_kind dist;
    double lo, hi;  /* a range's bounds; choice: 0 and n_choices - 1 */
    int n_choices;  /* choice only */
} sw_tpe_dim;

/* gamma(n) = min(ceil(0.1 n), 25): the size of the good set of n points that ran. */
int sw_tpe_gamma(int n);

/* Optuna's default_weights(n) into w[0..n): n < 25: all 1; else the oldest n - 25 points
 * numpy.linspace(1/n, 1, n - 25), the newest 25 weight 1. */
void sw_tpe_weights(int n, double *w);

/* ---- the Parzen estimator of one key ------------------------------------------------- */

/* A mixture of one component per observation and one for the prior (the last): truncated
 * normals on [low, high] for ranges (in log space for log ranges), a distribution over the
 * choices for a choice. */
typedef struct {
    sw_tpe_dim dim;
    int n;            /* components: the observations, then the prior */
    double *weight;   /* (n) mixture weights, summing to 1 */
    double *mu;       /* (n) ranges: centres, in the estimator's space */
    double *sigma;    /* (n) and bandwidths */
    double *log_coef; /* (n) ranges: log(weight / mass inside [low, high]), and for float
                         ranges - log(sigma sqrt(2 pi)): what its log density adds to
                         -z^2 / 2 (int_uniform: to the log mass of x's interval) */
    double *cat;      /* (n, n_choices) choice: each component's probabilities */
    double low, high; /* the estimator's bounds: [lo, hi], [log lo, log hi], integers
                         widened by 1/2 on each side (log: log(lo - 1/2), log(hi + 1/2)) */
} sw_parzen;

/* Builds the estimator of the n observations x[0..n) (internal values, oldest first),
 * weighted by sw_tpe_weights(n) and the prior's SW_TPE_PRIOR_WEIGHT. Returns SW_OK or
 * SW_ENOMEM; free with sw_parzen_free either way. */
int sw_parzen_init(sw_parzen *pe, const sw_tpe_dim *dim, const double *x, int n);

/* NULL-tolerant; leaves pe empty. */
void sw_parzen_free(sw_parzen *pe);

/* log of the estimator's density at internal value x: a float range's density in its
 * estimator space (per unit of log x for loguniform), an integer's probability mass
 * (int_loguniform: Optuna 3.1's density of log x at the integer, see tpe.c), a choice's
 * probability. */
double sw_parzen_log_pdf(const sw_parzen *pe, double x);

/* A draw from the estimator: u_component in [0, 1) picks a component by weight (the first
 * whose cumulative weight exceeds it), u_value in [0, 1) the value from that component by
 * its inverse distribution function. Returned in the estimator's space, before rounding
 * (a choice: the index). */
double sw_parzen_sample_raw(const sw_parzen *pe, double u_component, double u_value);

/* A raw draw made an internal value: exp for log ranges, integers rounded (half to even)
 * and clamped to [lo, hi], floats rounded to SW_SAMPLE_DIGITS digits as every sampled
 * float is. */
double sw_tpe_snap(const sw_tpe_dim *dim, double raw);

/* Inverse distribution function of the standard normal truncated to [a, b] at q in
 * [0, 1] (Optuna's _truncnorm.ppf: bisection of log Phi). */
double sw_truncnorm_ppf(double q, double a, double b);

/* log(Phi(b) - Phi(a)), accurate in both tails. */
double sw_log_gauss_mass(double a, double b);

/* The l/g choice: the first of the n candidates (internal values) with the highest
 * log l(x) - log g(x) (below: l, above: g); that score into *score. */
int sw_tpe_choose(const sw_parzen *below, const sw_parzen *above, const double *cand, int n, double *score);

/* ---- ranking the points ---------------------------------------------------------------- */

typedef enum {
    SW_TPE_DONE,    /* trained to the end */
    SW_TPE_STOPPED, /* stopped early (stop:) after `depth` epochs */
    SW_TPE_PENDING, /* proposed in this round, not run: ranked the worst (constant liar) */
    SW_TPE_STATE_COUNT
} sw_tpe_state;

/* What one point came to. */
typedef struct {
    sw_tpe_state state;
    int depth;   /* SW_TPE_STOPPED: the epochs it reached */
    double loss; /* lower is better (a metric to maximise, negated); NaN ranks below every
                    number of its group */
} sw_tpe_result;

/* One run of a point, as its file says. */
typedef struct {
    bool final;     /* its file is done, diverged or stopped (early stopping's rung) */
    bool done;      /* trained to its last epoch */
    int epochs;     /* epochs it trained */
    double metric;  /* its selection metric at its best epoch (/summary/best_metric) */
} sw_tpe_run;

/* What a point of n runs came to: false while one of them is not final. Else *r: done
 * when every run is, else stopped at the fewest epochs any run trained; the loss is the
 * mean of the runs' metrics (NaN when one is NaN, or n is 0), negated for a metric to
 * maximise (mode SW_METRIC_MAX); that mean into *metric. */
bool sw_tpe_point_result(const sw_tpe_run *runs, int n, sw_metric_mode mode, sw_tpe_result *r, double *metric);

/* Orders the n points best first into order[0..n): done points by loss, then stopped ones
 * by depth (deeper first) and loss, then pending ones; ties by index (a stable sort).
 * Returns the number of points that ran (not pending), or SW_ENOMEM. */
int sw_tpe_rank_points(const sw_tpe_result *r, int n, int *order);

/* ---- proposing points ---------------------------------------------------------------- */

/* A search's space and seed. `fallback` (may be NULL) gives the points used when every
 * candidate repeats an earlier point (see sw_tpe_propose). */
typedef struct {
    int dims;
    const sw_tpe_dim *dim;
    uint64_t seed;
    const sw_search_points *fallback; /* Sobol points of the same space */
    const int *fallback_dim;          /* each key's dimension of them (NULL: d itself) */
} sw_tpe_space;

/* How a point was chosen. */
typedef enum {
    SW_TPE_BY_MODEL,    /* the best candidate of l/g */
    SW_TPE_BY_FALLBACK, /* every candidate repeated an earlier point: the next Sobol point
                           that does not */
    SW_TPE_BY_COUNT
} sw_tpe_origin;

/* Proposes point `index` from the n points before it: x[n * dims] their internal values,
 * r[n] their results (pending ones included). Per key, the best of SW_TPE_CANDIDATES
 * candidates from l by log l - log g; a point equal to an earlier one is passed over and
 * the next 24 candidates per key tried (up to 8 times), then the Sobol points of
 * s->fallback from index 0 on, the first that repeats no earlier point (none: SW_EINVAL).
 * Writes the point to out[dims], its score (the sum over keys of log l - log g at its
 * values; NaN for a fallback point) to *score and how it was chosen to *how. Needs at
 * least one point that ran. Returns SW_OK, SW_EINVAL or SW_ENOMEM. */
int sw_tpe_propose(const sw_tpe_space *s, const double *x, const sw_tpe_result *r, int n, uint64_t index,
                   double *out, double *score, sw_tpe_origin *how);

/* Proposes one round: points n..n+count-1 after the n points before it (all ran), each
 * seeing the round's earlier points as pending. x must hold (n + count) * dims values and
 * r n + count results; the round's points and pending results are written there, their
 * scores to score[count] and origins to how[count]. Returns as sw_tpe_propose. */
int sw_tpe_round(const sw_tpe_space *s, double *x, sw_tpe_result *r, int n, int count, double *score,
                 sw_tpe_origin *how);

#endif
