/* tpe.c: the Tree-structured Parzen Estimator of tpe.h, ported from Optuna 3.1.0
 * (optuna/samplers/_tpe/{sampler,parzen_estimator,_truncnorm}.py, TPESampler's defaults:
 * consider_prior, prior_weight 1, consider_magic_clip, no consider_endpoints, 24
 * candidates, default_gamma, default_weights, univariate).
 *
 * Where this differs from Optuna 3.1.0, on purpose:
 * - A float range's component density is the truncated normal's, 1/sigma included.
 *   Optuna 3.1.0's _truncnorm.logpdf leaves out the -log(sigma) term, so its mixtures are
 *   not densities and favour wide components; Optuna fixed it in 3.5 (optuna#5109,
 *   pull #5110). The same holds for int_loguniform, whose density 3.1 takes at log x.
 * - Ties in the bandwidth rule's sort keep the points' order (numpy's argsort is not
 *   stable beyond 16 elements), and the split's sort is stable as Optuna's.
 * - Random numbers come from Philox blocks per (point, key, candidate) (tpe.h), not one
 *   sequential MT19937 stream, so that no point depends on how many draws another took.
 * - Candidates are rounded as every sampled value is (6 digits for floats) before they are
 *   scored, and a point equal to an earlier one is passed over (sw_tpe_propose). */
#define _POSIX_C_SOURCE 200809L
#include "tpe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"

/* The Philox counter's last word for TPE candidates ("TP"), distinct from sample.c's. */
#define TPE_WORD 0x5450u

#define SW_PI 3.14159265358979323846
#define SW_LN2 0.69314718055994530942

/* Attempts of 24 candidates per key before a repeated point falls back to Sobol points. */
#define TPE_ATTEMPTS 8

int sw_tpe_gamma(int n)
{
    int g = (int)ceil(0.1 * (double)n);
    return g < SW_TPE_MAX_BELOW ? g : SW_TPE_MAX_BELOW;
}

void sw_tpe_weights(int n, double *w)
{
    if (n < SW_TPE_FLAT_WEIGHTS) {
        for (int i = 0; i < n; i++) w[i] = 1.0;
        return;
    }
    /* numpy.linspace(1/n, 1, num): start + i * step, the last exactly 1 */
    int num = n - SW_TPE_FLAT_WEIGHTS;
    double start = 1.0 / n;
    double step = num > 1 ? (1.0 - start) / (num - 1) : 0.0;
    for (int i = 0; i < num; i++) w[i] = (double)i * step + start;
    if (num > 1) w[num - 1] = 1.0;
    for (int i = num; i < n; i++) w[i] = 1.0;
}

/* ---- the standard normal, as Optuna's _truncnorm (after scipy) ------------------------- */

static double ndtr(double a)
{
    double x = a / sqrt(2.0);
    if (x < -1 / sqrt(2.0)) return 0.5 * erfc(-x);
    if (x < 1 / sqrt(2.0)) return 0.5 + 0.5 * erf(x);
    return 1.0 - 0.5 * erfc(x);
}

/* log Phi(a); below -20 by the asymptotic series of the Mills ratio. */
static double log_ndtr(double a)
{
    if (a > 6) return -ndtr(-a);
    if (a > -20) return log(ndtr(a));
    double log_lhs = -0.5 * a * a - log(-a) - 0.5 * log(2 * SW_PI);
    double last = 0.0, rhs = 1.0, numerator = 1.0, denom_factor = 1.0, denom_cons = 1 / (a * a);
    int sign = 1;
    for (int i = 1; fabs(last - rhs) > 2.220446049250313e-16; i++) {
        last = rhs;
        sign = -sign;
        denom_factor *= denom_cons;
        numerator *= 2 * i - 1;
        rhs += sign * numerator * denom_factor;
    }
    return log_lhs + log(rhs);
}

static double log_diff(double log_p, double log_q)
{
    return log_p + log1p(-exp(log_q - log_p));
}

/* numpy.logaddexp */
static double log_add(double x, double y)
{
    if (x == y) return x + SW_LN2;
    double d = x - y;
    return d > 0 ? x + log1p(exp(-d)) : y + log1p(exp(d));
}

double sw_log_gauss_mass(double a, double b)
{
    if (b <= 0) return log_diff(log_ndtr(b), log_ndtr(a));
    if (a > 0) return log_diff(log_ndtr(-a), log_ndtr(-b));
    return log1p(-ndtr(a) - ndtr(-b));
}

/* x with log Phi(x) = y, by 100 bisections of [-100, 100] (Optuna's _bisect). Once the
 * midpoint repeats, the remaining steps change nothing: the loop ends there (about 60
 * steps) with the same result. */
static double ndtri_exp(double y)
{
    double a = -100, b = 100, m = NAN;
    if (log_ndtr(a) > y) a = 100, b = -100;
    for (int i = 0; i < 100; i++) {
        double prev = m;
        m = (a + b) / 2;
        if (m == prev) break;
        if (log_ndtr(m) < y) a = m;
        else b = m;
    }
    return m;
}

double sw_truncnorm_ppf(double q, double a, double b)
{
    if (q == 0) return a;
    if (q == 1) return b;
    if (a < 0) return ndtri_exp(log_add(log_ndtr(a), log(q) + sw_log_gauss_mass(a, b)));
    return -ndtri_exp(log_add(log_ndtr(-b), log1p(-q) + sw_log_gauss_mass(a, b)));
}

/* ---- the Parzen estimator -------------------------------------------------------------- */

static bool is_log(sw_dist_kind d)
{
    return d == SW_DIST_LOGUNIFORM || d == SW_DIST_INT_LOGUNIFORM;
}

/* An internal value in the estimator's space. */
static double to_estimator(const sw_tpe_dim *d, double x)
{
    return is_log(d->dist) ? log(x) : x;
}

void sw_parzen_free(sw_parzen *pe)
{
    if (!pe) return;
    free(pe->weight);
    free(pe->mu);
    free(pe->sigma);
    free(pe->log_coef);
    free(pe->cat);
    memset(pe, 0, sizeof *pe);
}

/* The mixture weights: sw_tpe_weights of the observations, then the prior's, normalised. */
static void parzen_weights(sw_parzen *pe, int n)
{
    sw_tpe_weights(n, pe->weight);
    pe->weight[n] = SW_TPE_PRIOR_WEIGHT;
    double sum = 0;
    for (int i = 0; i <= n; i++) sum += pe->weight[i];
    for (int i = 0; i <= n; i++) pe->weight[i] /= sum;
}

/* A choice: every component spreads prior_weight / (n + 1) over the choices, and an
 * observation's component adds 1 at its own; rows normalised. */
static void parzen_choice(sw_parzen *pe, const double *x, int n)
{
    int k = pe->dim.n_choices;
    double base = SW_TPE_PRIOR_WEIGHT / (n + 1);
    for (int i = 0; i <= n; i++) {
        double *row = &pe->cat[(size_t)i * k];
        for (int c = 0; c < k; c++) row[c] = base;
        if (i < n) row[(int)x[i]] += 1.0;
        double sum = 0;
        for (int c = 0; c < k; c++) sum += row[c];
        for (int c = 0; c < k; c++) row[c] /= sum;
    }
}

/* Sorts idx[0..n) by cmp (negative: i before j) without a global: merge sort through
 * tmp[n], stable. */
static void sort_indices(int *idx, int *tmp, int n, int (*cmp)(const void *ctx, int i, int j), const void *ctx)
{
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int a = lo, b = mid, k = lo;
            while (a < mid && b < hi) tmp[k++] = cmp(ctx, idx[b], idx[a]) < 0 ? idx[b++] : idx[a++];
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *idx);
    }
}

/* Ascending by centre (ctx: the centres). */
static int by_mu(const void *ctx, int i, int j)
{
    const double *mu = ctx;
    return mu[i] < mu[j] ? -1 : mu[i] > mu[j] ? 1 : 0;
}

/* A range: centres at the observations and the prior at the middle; each bandwidth the
 * larger gap to its neighbours in sorted order (the bounds as outer neighbours), the
 * outermost ones their inner gap (no consider_endpoints), clipped to
 * [(high - low) / min(100, n + 2), high - low] (the magic clip); the prior's high - low. */
static int parzen_range(sw_parzen *pe, const double *x, int n)
{
    int m = n + 1;
    double low = pe->low, high = pe->high;
    for (int i = 0; i < n; i++) pe->mu[i] = to_estimator(&pe->dim, x[i]);
    pe->mu[n] = 0.5 * (low + high);
    int *idx = malloc(2 * (size_t)m * sizeof *idx);
    double *s = malloc((size_t)(m + 2) * sizeof *s);
    if (!idx || !s) {
        free(idx), free(s);
        return SW_ENOMEM;
    }
    for (int i = 0; i < m; i++) idx[i] = i;
    sort_indices(idx, idx + m, m, by_mu, pe->mu);
    s[0] = low, s[m + 1] = high;
    for (int i = 0; i < m; i++) s[i + 1] = pe->mu[idx[i]];
    for (int i = 0; i < m; i++) {
        double left = s[i + 1] - s[i], right = s[i + 2] - s[i + 1];
        double sigma = left > right ? left : right;
        if (m >= 2 && i == 0) sigma = s[2] - s[1];
        if (m >= 2 && i == m - 1) sigma = s[m] - s[m - 1];
        pe->sigma[idx[i]] = sigma;
    }
    double max_sigma = high - low, min_sigma = (high - low) / fmin(100.0, 1.0 + m);
    for (int i = 0; i < m; i++) pe->sigma[i] = fmin(fmax(pe->sigma[i], min_sigma), max_sigma);
    pe->sigma[n] = high - low;
    /* the terms of each component's log density that do not depend on x, weight included */
    bool discrete = pe->dim.dist == SW_DIST_INT_UNIFORM;
    for (int i = 0; i < m; i++)
        pe->log_coef[i] = log(pe->weight[i]) -
                          sw_log_gauss_mass((low - pe->mu[i]) / pe->sigma[i], (high - pe->mu[i]) / pe->sigma[i]) -
                          (discrete ? 0 : log(pe->sigma[i]) + 0.5 * log(2 * SW_PI));
    free(idx);
    free(s);
    return SW_OK;
}

int sw_parzen_init(sw_parzen *pe, const sw_tpe_dim *dim, const double *x, int n)
{
    memset(pe, 0, sizeof *pe);
    pe->dim = *dim;
    pe->n = n + 1;
    size_t m = (size_t)n + 1;
    pe->weight = malloc(m * sizeof *pe->weight);
    if (!pe->weight) return SW_ENOMEM;
    parzen_weights(pe, n);
    if (dim->dist == SW_DIST_CHOICE) {
        pe->low = 0, pe->high = dim->n_choices - 1;
        pe->cat = malloc(m * (size_t)dim->n_choices * sizeof *pe->cat);
        if (!pe->cat) return SW_ENOMEM;
        parzen_choice(pe, x, n);
        return SW_OK;
    }
    bool integer = sw_samplers[dim->dist].integer;
    double lo = integer ? dim->lo - 0.5 : dim->lo, hi = integer ? dim->hi + 0.5 : dim->hi;
    pe->low = is_log(dim->dist) ? log(lo) : lo;
    pe->high = is_log(dim->dist) ? log(hi) : hi;
    pe->mu = malloc(m * sizeof *pe->mu);
    pe->sigma = malloc(m * sizeof *pe->sigma);
    pe->log_coef = malloc(m * sizeof *pe->log_coef);
    if (!pe->mu || !pe->sigma || !pe->log_coef) return SW_ENOMEM;
    return parzen_range(pe, x, n);
}

/* log of component i's weighted density (mass, for int_uniform) at t, in the estimator's
 * space. */
static double component_log_pdf(const sw_parzen *pe, int i, double t)
{
    double mu = pe->mu[i], sigma = pe->sigma[i];
    if (pe->dim.dist == SW_DIST_INT_UNIFORM) {
        double lower = fmax(t - 0.5, pe->low), upper = fmin(t + 0.5, pe->high);
        return sw_log_gauss_mass((lower - mu) / sigma, (upper - mu) / sigma) + pe->log_coef[i];
    }
    double z = (t - mu) / sigma;
    return pe->log_coef[i] - 0.5 * z * z;
}

double sw_parzen_log_pdf(const sw_parzen *pe, double x)
{
    if (pe->dim.dist == SW_DIST_CHOICE) {
        int c = (int)x, k = pe->dim.n_choices;
        double p = 0;
        for (int i = 0; i < pe->n; i++) p += pe->weight[i] * pe->cat[(size_t)i * k + c];
        return log(p);
    }
    /* log-sum-exp in one pass: the running maximum rescales the running sum. A term more
     * than 40 below the maximum is below half an ulp of the sum (>= 1): adding it would
     * change nothing, so it is not computed. */
    double t = to_estimator(&pe->dim, x), top = -INFINITY, sum = 0;
    if (pe->dim.dist != SW_DIST_INT_UNIFORM && (t < pe->low || t > pe->high)) return -INFINITY;
    for (int i = 0; i < pe->n; i++) {
        double lp = component_log_pdf(pe, i, t);
        if (lp > top) sum = sum * exp(top - lp) + 1, top = lp;
        else if (lp > top - 40) sum += exp(lp - top);
    }
    return top == -INFINITY ? top : log(sum) + top;
}

double sw_parzen_sample_raw(const sw_parzen *pe, double u_component, double u_value)
{
    /* numpy's choice(p=weights): the first cumulative weight (normalised) above u */
    double total = 0, cum = 0;
    for (int i = 0; i < pe->n; i++) total += pe->weight[i];
    int k = pe->n - 1;
    for (int i = 0; i < pe->n; i++) {
        cum += pe->weight[i];
        if (cum / total > u_component) {
            k = i;
            break;
        }
    }
    if (pe->dim.dist == SW_DIST_CHOICE) { /* the number of cumulative probabilities below u */
        const double *row = &pe->cat[(size_t)k * pe->dim.n_choices];
        int c = 0;
        double p = 0;
        for (int j = 0; j < pe->dim.n_choices; j++) {
            p += row[j];
            c += p < u_value;
        }
        return c < pe->dim.n_choices ? c : pe->dim.n_choices - 1;
    }
    double mu = pe->mu[k], sigma = pe->sigma[k];
    return sw_truncnorm_ppf(u_value, (pe->low - mu) / sigma, (pe->high - mu) / sigma) * sigma + mu;
}

double sw_tpe_snap(const sw_tpe_dim *dim, double raw)
{
    switch (dim->dist) {
    case SW_DIST_UNIFORM:
        return sw_sample_round(raw, dim->lo, dim->hi);
    case SW_DIST_LOGUNIFORM:
        return sw_sample_round(exp(raw), dim->lo, dim->hi);
    case SW_DIST_INT_UNIFORM:
        return fmin(fmax(nearbyint(raw - dim->lo) + dim->lo, dim->lo), dim->hi);
    case SW_DIST_INT_LOGUNIFORM:
        return fmin(fmax(nearbyint(exp(raw)), dim->lo), dim->hi);
    default:
        return raw;
    }
}

/* ---- ranking ---------------------------------------------------------------------------- */

/* The rank's sort key as Optuna's (-step, loss) pairs: done (-inf, loss), stopped
 * (-depth, loss), pending (+inf, +inf); NaN loss as +inf (ctx: the results). */
static int by_rank(const void *ctx, int i, int j)
{
    const sw_tpe_result *x = (const sw_tpe_result *)ctx + i, *y = (const sw_tpe_result *)ctx + j;
    double kx = x->state == SW_TPE_DONE ? -INFINITY : x->state == SW_TPE_STOPPED ? -(double)x->depth : INFINITY;
    double ky = y->state == SW_TPE_DONE ? -INFINITY : y->state == SW_TPE_STOPPED ? -(double)y->depth : INFINITY;
    if (kx != ky) return kx < ky ? -1 : 1;
    double lx = x->state == SW_TPE_PENDING || isnan(x->loss) ? INFINITY : x->loss;
    double ly = y->state == SW_TPE_PENDING || isnan(y->loss) ? INFINITY : y->loss;
    return lx < ly ? -1 : lx > ly ? 1 : 0;
}

bool sw_tpe_point_result(const sw_tpe_run *runs, int n, sw_metric_mode mode, sw_tpe_result *r, double *metric)
{
    double sum = 0;
    int depth = INT32_MAX;
    bool done = true;
    for (int i = 0; i < n; i++) {
        if (!runs[i].final) return false;
        done &= runs[i].done;
        sum += runs[i].metric;
        if (runs[i].epochs < depth) depth = runs[i].epochs;
    }
    *metric = n > 0 ? sum / n : NAN;
    *r = (sw_tpe_result){done ? SW_TPE_DONE : SW_TPE_STOPPED, done || n == 0 ? 0 : depth,
                         mode == SW_METRIC_MAX ? -*metric : *metric};
    return true;
}

int sw_tpe_rank_points(const sw_tpe_result *r, int n, int *order)
{
    int ran = 0;
    int *tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    if (!tmp) return SW_ENOMEM;
    for (int i = 0; i < n; i++) order[i] = i, ran += r[i].state != SW_TPE_PENDING;
    sort_indices(order, tmp, n, by_rank, r);
    free(tmp);
    return ran;
}

/* ---- proposing ------------------------------------------------------------------------- */

/* The two uniforms of candidate c of key d for point `index`. */
static void candidate_uniforms(uint64_t seed, uint64_t index, int d, int c, double *u_component, double *u_value)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)index, (uint32_t)(index >> 32), (uint32_t)d * 65536u + (uint32_t)c, TPE_WORD};
    uint32_t w[4];
    sw_philox4x32_10(ctr, key, w);
    *u_component = ((double)(w[0] >> 5) * 67108864.0 + (double)(w[1] >> 6)) * (1.0 / 9007199254740992.0);
    *u_value = ((double)(w[2] >> 5) * 67108864.0 + (double)(w[3] >> 6)) * (1.0 / 9007199254740992.0);
}

/* Whether point p (dims values) equals one of the n points of x. */
static bool repeats(const double *x, int n, int dims, const double *p)
{
    for (int i = 0; i < n; i++) {
        int d = 0;
        while (d < dims && x[(size_t)i * dims + d] == p[d]) d++;
        if (d == dims) return true;
    }
    return false;
}

/* The two estimators of every key (below[d], above[d]) from the ranked points. */
typedef struct {
    sw_parzen *below, *above;
    int dims;
} estimators;

static void estimators_free(estimators *e)
{
    for (int d = 0; d < e->dims; d++) {
        if (e->below) sw_parzen_free(&e->below[d]);
        if (e->above) sw_parzen_free(&e->above[d]);
    }
    free(e->below);
    free(e->above);
}

/* Splits the n points into the best gamma(ran) and the rest (each in index order) and
 * builds the estimators of each key. Returns SW_OK, SW_EINVAL (no point ran) or
 * SW_ENOMEM; estimators_free either way. */
static int estimators_init(estimators *e, const sw_tpe_space *s, const double *x, const sw_tpe_result *r, int n)
{
    memset(e, 0, sizeof *e);
    e->dims = s->dims;
    e->below = calloc((size_t)s->dims, sizeof *e->below);
    e->above = calloc((size_t)s->dims, sizeof *e->above);
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    bool *good = calloc((size_t)(n > 0 ? n : 1), sizeof *good);
    double *vb = malloc((size_t)(n > 0 ? n : 1) * sizeof *vb), *va = malloc((size_t)(n > 0 ? n : 1) * sizeof *va);
    int rc = e->below && e->above && order && good && vb && va ? SW_OK : SW_ENOMEM;
    int ran = rc ? 0 : sw_tpe_rank_points(r, n, order);
    if (!rc && ran < 0) rc = ran;
    if (!rc && ran < 1) rc = SW_EINVAL;
    int n_below = rc ? 0 : sw_tpe_gamma(ran);
    for (int k = 0; k < n_below; k++) good[order[k]] = true;
    for (int d = 0; !rc && d < s->dims; d++) {
        int nb = 0, na = 0;
        for (int i = 0; i < n; i++) {
            double v = x[(size_t)i * s->dims + d];
            if (good[i]) vb[nb++] = v;
            else va[na++] = v;
        }
        rc = sw_parzen_init(&e->below[d], &s->dim[d], vb, nb);
        if (!rc) rc = sw_parzen_init(&e->above[d], &s->dim[d], va, na);
    }
    free(order), free(good), free(vb), free(va);
    return rc;
}

int sw_tpe_choose(const sw_parzen *below, const sw_parzen *above, const double *cand, int n, double *score)
{
    int best = 0;
    double top = -INFINITY;
    for (int c = 0; c < n; c++) {
        double lg = sw_parzen_log_pdf(below, cand[c]) - sw_parzen_log_pdf(above, cand[c]);
        if (c == 0 || lg > top) top = lg, best = c;
    }
    *score = top;
    return best;
}

/* Attempt `attempt` of every key: its SW_TPE_CANDIDATES candidates drawn from below, the
 * chosen one into out[d], the sum of their scores into *score. */
static void best_candidates(const estimators *e, const sw_tpe_space *s, uint64_t index, int attempt, double *out,
                            double *score)
{
    *score = 0;
    for (int d = 0; d < s->dims; d++) {
        double cand[SW_TPE_CANDIDATES], lg;
        for (int c = 0; c < SW_TPE_CANDIDATES; c++) {
            double uc, uv;
            candidate_uniforms(s->seed, index, d, attempt * SW_TPE_CANDIDATES + c, &uc, &uv);
            cand[c] = sw_tpe_snap(&s->dim[d], sw_parzen_sample_raw(&e->below[d], uc, uv));
        }
        out[d] = cand[sw_tpe_choose(&e->below[d], &e->above[d], cand, SW_TPE_CANDIDATES, &lg)];
        *score += lg;
    }
}

/* The first Sobol point of s->fallback that repeats none of the n points. */
static int fallback_point(const sw_tpe_space *s, const double *x, int n, double *out)
{
    if (!s->fallback) return SW_EINVAL;
    uint64_t limit = (uint64_t)n * 64 + 4096;
    for (uint64_t idx = 0; idx < limit && idx <= UINT32_MAX; idx++) {
        for (int d = 0; d < s->dims; d++) {
            const sw_tpe_dim *dim = &s->dim[d];
            double u = sw_search_unit(s->fallback, idx, s->fallback_dim ? s->fallback_dim[d] : d);
            out[d] = dim->dist == SW_DIST_CHOICE ? sw_samplers[dim->dist].map(u, 0, dim->n_choices - 1)
                                                 : sw_samplers[dim->dist].map(u, dim->lo, dim->hi);
        }
        if (!repeats(x, n, s->dims, out)) return SW_OK;
    }
    return SW_EINVAL;
}

int sw_tpe_propose(const sw_tpe_space *s, const double *x, const sw_tpe_result *r, int n, uint64_t index,
                   double *out, double *score, sw_tpe_origin *how)
{
    estimators e;
    int rc = estimators_init(&e, s, x, r, n);
    for (int attempt = 0; !rc && attempt < TPE_ATTEMPTS; attempt++) {
        best_candidates(&e, s, index, attempt, out, score);
        if (!repeats(x, n, s->dims, out)) {
            *how = SW_TPE_BY_MODEL;
            estimators_free(&e);
            return SW_OK;
        }
    }
    estimators_free(&e);
    if (rc) return rc;
    *how = SW_TPE_BY_FALLBACK;
    *score = NAN;
    return fallback_point(s, x, n, out);
}

int sw_tpe_round(const sw_tpe_space *s, double *x, sw_tpe_result *r, int n, int count, double *score,
                 sw_tpe_origin *how)
{
    for (int j = 0; j < count; j++) {
        int rc = sw_tpe_propose(s, x, r, n + j, (uint64_t)(n + j), &x[(size_t)(n + j) * s->dims], &score[j], &how[j]);
        if (rc) return rc;
        r[n + j] = (sw_tpe_result){SW_TPE_PENDING, 0, NAN};
    }
    return SW_OK;
}
