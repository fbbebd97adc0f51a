/* test_sweep_tpe.c: the TPE of src/tpe.c against cases computed by hand: gamma and the
 * weights, the Parzen estimators' centres, bandwidths (neighbour gaps, the outer points'
 * inner gap, the magic clip) and densities (written out here with erf), integer masses
 * and choice probabilities that sum to 1, float densities that integrate to 1 (Optuna
 * 3.1.0's did not), the truncated normal's inverse, the ranking of done, stopped and
 * pending points, the l/g choice, the constant liar inside a round, the fallback when
 * every candidate repeats a point, and points that depend on (seed, index, space, earlier
 * points) only.
 *
 * `test_sweep_tpe probe` instead reads cases from stdin and prints what the estimator
 * makes of them, for tests/test_sweep_tpe_optuna.py to compare with Optuna's own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "tpe.h"

static double phi_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

static double normal_pdf(double z)
{
    return exp(-0.5 * z * z) / sqrt(2 * 3.14159265358979323846);
}

static void test_gamma_weights(void)
{
    static const int n[] = {0, 1, 9, 10, 11, 20, 21, 30, 100, 241, 250, 251, 1000};
    static const int want[] = {0, 1, 1, 1, 2, 2, 3, 3, 10, 25, 25, 25, 25};
    for (size_t i = 0; i < SW_ARRAY_LEN(n); i++)
        CHECK(sw_tpe_gamma(n[i]) == want[i], "gamma(%d) = %d, want %d", n[i], sw_tpe_gamma(n[i]), want[i]);
    double w[40];
    sw_tpe_weights(24, w);
    for (int i = 0; i < 24; i++) CHECK(w[i] == 1.0, "weights(24)[%d] = %g", i, w[i]);
    sw_tpe_weights(26, w); /* linspace(1/26, 1, 1) = [1/26], then 25 ones */
    CHECK(w[0] == 1.0 / 26 && w[1] == 1.0 && w[25] == 1.0, "weights(26): %g %g %g", w[0], w[1], w[25]);
    sw_tpe_weights(30, w); /* linspace(1/30, 1, 5): 1/30 + i (29/30) / 4 */
    for (int i = 0; i < 5; i++) {
        double want_w = i == 4 ? 1.0 : 1.0 / 30 + i * (29.0 / 30) / 4;
        CHECK(fabs(w[i] - want_w) < 1e-15, "weights(30)[%d] = %.17g, want %.17g", i, w[i], want_w);
    }
    for (int i = 5; i < 30; i++) CHECK(w[i] == 1.0, "weights(30)[%d] = %g", i, w[i]);
}

/* Uniform [0, 1], points 0.2, 0.5, 0.9: centres with the prior's 0.5, sorted 0.2, 0.5
 * (the point, first), 0.5 (prior), 0.9 between the bounds 0 and 1. Gaps: 0.2 | 0.3 | 0 |
 * 0.4 | 0.1; the larger neighbour gap 0.3, 0.3, 0.4, 0.4, the outer two their inner gap
 * (0.3 and 0.4), clipped below at 1 / min(100, 5) = 0.2; the prior's sigma 1. */
static void test_parzen_uniform(void)
{
    sw_tpe_dim d = {SW_DIST_UNIFORM, 0, 1, 0};
    const double x[] = {0.2, 0.5, 0.9};
    sw_parzen pe;
    CHECK(sw_parzen_init(&pe, &d, x, 3) == SW_OK, "init");
    const double mu[] = {0.2, 0.5, 0.9, 0.5}, sigma[] = {0.3, 0.3, 0.4, 1.0};
    CHECK(pe.n == 4, "%d components", pe.n);
    for (int i = 0; i < 4; i++) {
        CHECK(fabs(pe.mu[i] - mu[i]) < 1e-15, "mu[%d] = %g, want %g", i, pe.mu[i], mu[i]);
        CHECK(fabs(pe.sigma[i] - sigma[i]) < 1e-15, "sigma[%d] = %g, want %g", i, pe.sigma[i], sigma[i]);
        CHECK(fabs(pe.weight[i] - 0.25) < 1e-15, "weight[%d] = %g", i, pe.weight[i]);
    }
    for (double t = 0.0; t <= 1.0; t += 0.125) {
        double p = 0;
        for (int i = 0; i < 4; i++) {
            double mass = phi_cdf((1 - mu[i]) / sigma[i]) - phi_cdf((0 - mu[i]) / sigma[i]);
            p += 0.25 * normal_pdf((t - mu[i]) / sigma[i]) / (sigma[i] * mass);
        }
        CHECK(check_close(sw_parzen_log_pdf(&pe, t), log(p), 1e-12, 1e-12), "log pdf(%g) = %.15g, want %.15g", t,
              sw_parzen_log_pdf(&pe, t), log(p));
    }
    CHECK(sw_parzen_log_pdf(&pe, 1.5) == -INFINITY, "outside the range: %g", sw_parzen_log_pdf(&pe, 1.5));
    /* a density: it integrates to 1 (Simpson's rule) */
    const int steps = 20000;
    double sum = 0;
    for (int k = 0; k <= steps; k++) {
        double f = exp(sw_parzen_log_pdf(&pe, (double)k / steps));
        sum += f * (k == 0 || k == steps ? 1 : k % 2 ? 4 : 2);
    }
    CHECK(fabs(sum / (3.0 * steps) - 1) < 1e-9, "integral %.12g", sum / (3.0 * steps));
    sw_parzen_free(&pe);
    sw_parzen_free(&pe); /* NULL-tolerant and idempotent */
}

/* Loguniform [1e-4, 1e-2], one point at 1e-3: in log space it sits on the prior's centre,
 * both gaps are 0, so both bandwidths are clipped to (high - low) / min(100, 3); the
 * prior's is high - low. Points close together are clipped the same way. */
static void test_parzen_clip(void)
{
    sw_tpe_dim d = {SW_DIST_LOGUNIFORM, 1e-4, 1e-2, 0};
    const double x[] = {1e-3};
    sw_parzen pe;
    CHECK(sw_parzen_init(&pe, &d, x, 1) == SW_OK, "init");
    double range = log(1e-2) - log(1e-4);
    CHECK(fabs(pe.low - log(1e-4)) < 1e-15 && fabs(pe.high - log(1e-2)) < 1e-15, "bounds %g %g", pe.low, pe.high);
    CHECK(fabs(pe.sigma[0] - range / 3) < 1e-14, "sigma %g, want %g", pe.sigma[0], range / 3);
    CHECK(fabs(pe.sigma[1] - range) < 1e-14, "prior sigma %g", pe.sigma[1]);
    sw_parzen_free(&pe);

    sw_tpe_dim u = {SW_DIST_UNIFORM, 0, 1, 0};
    double many[120];
    for (int i = 0; i < 120; i++) many[i] = 0.3 + 1e-5 * i;
    CHECK(sw_parzen_init(&pe, &u, many, 120) == SW_OK, "init");
    /* gaps of 1e-5, clipped to 1 / min(100, 122); the newest point's upper gap is the prior's 0.5 */
    for (int i = 0; i < 119; i++) CHECK(fabs(pe.sigma[i] - 0.01) < 1e-15, "sigma[%d] = %g, want 1/100", i, pe.sigma[i]);
    CHECK(fabs(pe.sigma[119] - (0.5 - many[119])) < 1e-15, "sigma[119] = %g", pe.sigma[119]);
    /* 120 points: the oldest 95 ramp up linearly from 1/120, the newest 25 weigh 1 */
    CHECK(pe.weight[0] < pe.weight[50] && pe.weight[94] == pe.weight[95] && pe.weight[95] == pe.weight[119] &&
              pe.weight[119] == pe.weight[120],
          "weights %g %g %g %g %g", pe.weight[0], pe.weight[50], pe.weight[94], pe.weight[119], pe.weight[120]);
    sw_parzen_free(&pe);
}

/* int_uniform [1, 4], one point at 2: bounds 0.5 and 4.5, centres 2 and 2.5 (prior), both
 * bandwidths the inner gap 0.5, clipped to 4 / 3; the prior's 4. P(k) is the mass of
 * [k - 1/2, k + 1/2] over that of [0.5, 4.5], mixed half and half. */
static void test_parzen_int(void)
{
    sw_tpe_dim d = {SW_DIST_INT_UNIFORM, 1, 4, 0};
    const double x[] = {2};
    sw_parzen pe;
    CHECK(sw_parzen_init(&pe, &d, x, 1) == SW_OK, "init");
    const double mu[] = {2, 2.5}, sigma[] = {4.0 / 3, 4};
    double total = 0;
    for (int k = 1; k <= 4; k++) {
        double p = 0;
        for (int i = 0; i < 2; i++)
            p += 0.5 * (phi_cdf((k + 0.5 - mu[i]) / sigma[i]) - phi_cdf((k - 0.5 - mu[i]) / sigma[i])) /
                 (phi_cdf((4.5 - mu[i]) / sigma[i]) - phi_cdf((0.5 - mu[i]) / sigma[i]));
        CHECK(check_close(sw_parzen_log_pdf(&pe, k), log(p), 1e-12, 1e-12), "P(%d): %.15g, want %.15g", k,
              exp(sw_parzen_log_pdf(&pe, k)), p);
        total += exp(sw_parzen_log_pdf(&pe, k));
    }
    CHECK(fabs(total - 1) < 1e-12, "probabilities sum to %.15g", total);
    sw_parzen_free(&pe);

    sw_tpe_dim lg = {SW_DIST_INT_LOGUNIFORM, 8, 128, 0};
    const double h[] = {16, 64, 64};
    CHECK(sw_parzen_init(&pe, &lg, h, 3) == SW_OK, "init");
    CHECK(fabs(pe.low - log(7.5)) < 1e-15 && fabs(pe.high - log(128.5)) < 1e-15, "bounds %g %g", pe.low, pe.high);
    CHECK(fabs(pe.mu[0] - log(16)) < 1e-15 && fabs(pe.mu[3] - 0.5 * (log(7.5) + log(128.5))) < 1e-15, "centres");
    sw_parzen_free(&pe);
}

/* A choice of 3, points 0, 0, 2: each point's component puts 1 + 1/4 on its own choice and
 * 1/4 on the others (prior_weight / (n + 1)), normalised by 1.75; the prior's 1/3 each;
 * mixed a quarter each. */
static void test_parzen_choice(void)
{
    sw_tpe_dim d = {SW_DIST_CHOICE, 0, 2, 3};
    const double x[] = {0, 0, 2};
    sw_parzen pe;
    CHECK(sw_parzen_init(&pe, &d, x, 3) == SW_OK, "init");
    const double want[3] = {0.25 * (2 * 1.25 / 1.75 + 0.25 / 1.75 + 1.0 / 3),
                            0.25 * (3 * 0.25 / 1.75 + 1.0 / 3),
                            0.25 * (2 * 0.25 / 1.75 + 1.25 / 1.75 + 1.0 / 3)};
    double total = 0;
    for (int c = 0; c < 3; c++) {
        CHECK(check_close(exp(sw_parzen_log_pdf(&pe, c)), want[c], 1e-15, 1e-13), "P(%d) = %.15g, want %.15g", c,
              exp(sw_parzen_log_pdf(&pe, c)), want[c]);
        total += want[c];
    }
    CHECK(fabs(total - 1) < 1e-14, "hand probabilities sum to %g", total);
    /* sampling: component 0 (u < 1/4) always gives its own choice unless u_value is high */
    CHECK(sw_parzen_sample_raw(&pe, 0.1, 0.5) == 0, "component 0, u 0.5");
    CHECK(sw_parzen_sample_raw(&pe, 0.1, 1.25 / 1.75 + 0.01) == 1, "component 0, u past its own choice");
    CHECK(sw_parzen_sample_raw(&pe, 0.6, 0.5) == 2, "component 2 (u in [1/2, 3/4))");
    CHECK(sw_parzen_sample_raw(&pe, 0.9, 0.5) == 1, "the prior, u 0.5");
    sw_parzen_free(&pe);
}

static void test_truncnorm(void)
{
    static const double ab[][2] = {{-1, 2}, {-3, 0.5}, {0, 4}, {-30, 0}, {0.5, 6}, {-100, 100}, {-0.2, 0.1}};
    static const double qs[] = {1e-9, 0.01, 0.3, 0.5, 0.77, 0.999};
    for (size_t i = 0; i < SW_ARRAY_LEN(ab); i++) {
        double a = ab[i][0], b = ab[i][1];
        CHECK(sw_truncnorm_ppf(0, a, b) == a && sw_truncnorm_ppf(1, a, b) == b, "ends of [%g, %g]", a, b);
        double mass = phi_cdf(b) - phi_cdf(a);
        CHECK(check_close(sw_log_gauss_mass(a, b), log(mass), 1e-12, 1e-12), "mass of [%g, %g]: %.15g, want %.15g", a,
              b, sw_log_gauss_mass(a, b), log(mass));
        for (size_t k = 0; k < SW_ARRAY_LEN(qs); k++) {
            double x = sw_truncnorm_ppf(qs[k], a, b);
            double got = (phi_cdf(x) - phi_cdf(a)) / mass;
            CHECK(x >= a && x <= b && check_close(got, qs[k], 1e-12, 1e-9), "ppf(%g) on [%g, %g] = %.15g: cdf %.15g", qs[k],
                  a, b, x, got);
        }
    }
    /* far in a tail, where Phi itself underflows */
    /* log Phi(-59) ~ -59^2 / 2 - log(59 sqrt(2 pi)) - 1/59^2: Phi(-60) is e^-59.5 times smaller */
    double tail = -59.0 * 59 / 2 - log(59 * sqrt(2 * 3.14159265358979323846)) - 1.0 / (59.0 * 59);
    CHECK(fabs(sw_log_gauss_mass(-60, -59) - tail) < 1e-3, "tail mass %.10g, want about %.10g",
          sw_log_gauss_mass(-60, -59), tail);
    CHECK(fabs(sw_log_gauss_mass(59, 60) - sw_log_gauss_mass(-60, -59)) < 1e-9, "symmetric tails");
}

static void test_rank(void)
{
    const sw_tpe_result r[] = {
        {SW_TPE_DONE, 0, 0.5},     /* 0 */
        {SW_TPE_STOPPED, 3, 0.1},  /* 1: stopped at 3, better loss than any done point */
        {SW_TPE_DONE, 0, NAN},     /* 2: no value: last of the done */
        {SW_TPE_DONE, 0, 0.2},     /* 3 */
        {SW_TPE_PENDING, 0, 0.0},  /* 4: the liar */
        {SW_TPE_STOPPED, 9, 0.9},  /* 5: went further than 1 */
        {SW_TPE_DONE, 0, 0.5},     /* 6: ties with 0: after it */
        {SW_TPE_STOPPED, 3, 0.05}, /* 7 */
    };
    int order[8];
    const int want[8] = {3, 0, 6, 2, 5, 7, 1, 4};
    CHECK(sw_tpe_rank_points(r, 8, order) == 7, "7 points ran");
    for (int i = 0; i < 8; i++) CHECK(order[i] == want[i], "rank %d: point %d, want %d", i, order[i], want[i]);
}

/* The l/g choice: points 1, 2, 2, 2 of a choice of 3 (losses 0..3): gamma(4) = 1, so l is
 * the estimator of {1} and g that of {2, 2, 2}. l = (0.2 + 1/3, 0.6 + 1/3, 0.2 + 1/3) / 2,
 * g = (3/7 + 1/3, 3/7 + 1/3, 15/7 + 1/3) / 4 (rows as in test_parzen_choice). */
static void test_choose(void)
{
    sw_tpe_dim d = {SW_DIST_CHOICE, 0, 2, 3};
    const double good[] = {1}, bad[] = {2, 2, 2};
    sw_parzen l, g;
    CHECK(sw_parzen_init(&l, &d, good, 1) == SW_OK && sw_parzen_init(&g, &d, bad, 3) == SW_OK, "init");
    double lp[3] = {(0.2 + 1.0 / 3) / 2, (0.6 + 1.0 / 3) / 2, (0.2 + 1.0 / 3) / 2};
    double gp[3] = {(3.0 / 7 + 1.0 / 3) / 4, (3.0 / 7 + 1.0 / 3) / 4, (15.0 / 7 + 1.0 / 3) / 4};
    const double cand[] = {2, 0, 2, 1, 0, 1};
    double score;
    int best = sw_tpe_choose(&l, &g, cand, 6, &score);
    CHECK(best == 3, "chose candidate %d, want 3 (the first 1)", best);
    CHECK(fabs(score - log(lp[1] / gp[1])) < 1e-13, "score %.15g, want %.15g", score, log(lp[1] / gp[1]));
    best = sw_tpe_choose(&l, &g, cand, 3, &score); /* without a 1: the first 0 */
    CHECK(best == 1 && fabs(score - log(lp[0] / gp[0])) < 1e-13, "chose %d (score %g)", best, score);
    sw_parzen_free(&l);
    sw_parzen_free(&g);
}

/* Two keys, a choice of 3 and a uniform: the choice's best l/g is 1 (test_choose), the
 * uniform's near the good point 0.15. With only the choice key every candidate repeats an
 * earlier point: the first Sobol point that does not is taken. */
static void test_propose(void)
{
    const sw_tpe_dim dims[2] = {{SW_DIST_CHOICE, 0, 2, 3}, {SW_DIST_UNIFORM, 0, 1, 0}};
    double x[2 * 12] = {1, 0.15, 2, 0.9, 2, 0.8, 2, 0.7};
    sw_tpe_result r[12] = {{SW_TPE_DONE, 0, 0}, {SW_TPE_DONE, 0, 1}, {SW_TPE_DONE, 0, 2}, {SW_TPE_DONE, 0, 3}};
    sw_tpe_space s = {2, dims, 7, NULL, NULL};
    double out[2], again[2], score, score2;
    sw_tpe_origin how;
    CHECK(sw_tpe_propose(&s, x, r, 4, 4, out, &score, &how) == SW_OK && how == SW_TPE_BY_MODEL, "propose");
    CHECK(out[0] == 1 && out[1] < 0.5 && isfinite(score) && score > 0, "point (%g, %g), score %g", out[0], out[1], score);
    CHECK(sw_tpe_propose(&s, x, r, 4, 4, again, &score2, &how) == SW_OK && !memcmp(out, again, sizeof out) &&
              score == score2,
          "the same inputs give the same point");
    s.seed = 8;
    CHECK(sw_tpe_propose(&s, x, r, 4, 4, again, &score2, &how) == SW_OK && out[1] != again[1], "another seed: %g, %g",
          out[1], again[1]);
    s.seed = 7;
    CHECK(sw_tpe_propose(&s, x, r, 4, 5, again, &score2, &how) == SW_OK && out[1] != again[1], "another index");
    CHECK(sw_tpe_propose(&s, x, r, 0, 0, out, &score, &how) == SW_EINVAL, "no point ran: refused");

    /* a round of 4: each point sees the earlier ones as pending (constant liar) */
    double score4[4];
    sw_tpe_origin how4[4];
    CHECK(sw_tpe_round(&s, x, r, 4, 4, score4, how4) == SW_OK, "round");
    for (int j = 4; j < 8; j++) {
        CHECK(r[j].state == SW_TPE_PENDING, "point %d pending", j);
        for (int i = 0; i < j; i++)
            CHECK(x[2 * i] != x[2 * j] || x[2 * i + 1] != x[2 * j + 1], "points %d and %d are equal", i, j);
    }

    const sw_tpe_dim one[1] = {{SW_DIST_CHOICE, 0, 2, 3}};
    double y[4] = {1, 2, 2, 2};
    sw_search_config c;
    sw_search_defaults(&c);
    c.kind = SW_SEARCH_SOBOL;
    sw_search_points P;
    char err[128];
    CHECK(sw_search_points_init(&P, &c, 1, err, sizeof err) == SW_OK, "%s", err);
    sw_tpe_space s1 = {1, one, 7, &P, NULL};
    CHECK(sw_tpe_propose(&s1, y, r, 4, 4, out, &score, &how) == SW_OK, "propose");
    CHECK(how == SW_TPE_BY_FALLBACK && out[0] == 0 && isnan(score), "fallback: %g (how %d, score %g)", out[0], how,
          score);
    s1.fallback = NULL;
    CHECK(sw_tpe_propose(&s1, y, r, 4, 4, out, &score, &how) == SW_EINVAL, "no fallback: refused");
    sw_search_points_clear(&P);
}

/* ---- probe mode --------------------------------------------------------------------------
 * Reads commands from stdin, one per line, and answers each with lines of %.17g numbers:
 *   pdf DIST LO HI NCHOICES NOBS obs... NX x... NU (uc uv)...
 *       -> "mu ...", "sigma ...", "weight ...", "cat ..." (a choice's rows), "logpdf ..." at
 *          each x, "sample ..." (raw draws for each pair of uniforms)
 *   choose DIST LO HI NCHOICES NB below... NA above... NC cand...
 *       -> "choose INDEX SCORE" (l from below, g from above)
 *   rank N (STATE DEPTH LOSS)...   STATE 0 done, 1 stopped, 2 pending
 *       -> "rank RAN order..." */
static double *read_values(int *n)
{
    if (scanf("%d", n) != 1 || *n < 0) return NULL;
    double *v = calloc((size_t)*n + 1, sizeof *v);
    for (int i = 0; v && i < *n; i++)
        if (scanf("%lf", &v[i]) != 1) {
            free(v);
            return NULL;
        }
    return v;
}

static int read_dim(sw_tpe_dim *d)
{
    char name[32];
    if (scanf("%31s", name) != 1) return -1;
    d->dist = sw_sampler_find(name);
    if (d->dist == SW_DIST_COUNT || scanf("%lf %lf %d", &d->lo, &d->hi, &d->n_choices) != 3) return -1;
    return 0;
}

static void print_row(const char *name, const double *v, int n)
{
    printf("%s", name);
    for (int i = 0; v && i < n; i++) printf(" %.17g", v[i]);
    printf("\n");
}

static int probe_pdf(void)
{
    sw_tpe_dim d;
    int n, nx, nu;
    double *obs = NULL, *x = NULL, *u = NULL;
    sw_parzen pe = {0};
    int rc = 2;
    if (read_dim(&d) || !(obs = read_values(&n)) || sw_parzen_init(&pe, &d, obs, n) || !(x = read_values(&nx)) ||
        !(u = read_values(&nu)) || nu % 2)
        goto out;
    print_row("mu", pe.mu, pe.n);
    print_row("sigma", pe.sigma, pe.n);
    print_row("weight", pe.weight, pe.n);
    print_row("cat", pe.cat, pe.cat ? pe.n * d.n_choices : 0);
    printf("logpdf");
    for (int i = 0; i < nx; i++) printf(" %.17g", sw_parzen_log_pdf(&pe, x[i]));
    printf("\nsample");
    for (int i = 0; i < nu; i += 2) printf(" %.17g", sw_parzen_sample_raw(&pe, u[i], u[i + 1]));
    printf("\n");
    rc = 0;
out:
    sw_parzen_free(&pe);
    free(obs), free(x), free(u);
    return rc;
}

static int probe_choose(void)
{
    sw_tpe_dim d;
    int nb, na, nc;
    double *b = NULL, *a = NULL, *c = NULL, score;
    sw_parzen l = {0}, g = {0};
    int rc = 2;
    if (read_dim(&d) || !(b = read_values(&nb)) || !(a = read_values(&na)) || !(c = read_values(&nc)) || nc < 1 ||
        sw_parzen_init(&l, &d, b, nb) || sw_parzen_init(&g, &d, a, na))
        goto out;
    int best = sw_tpe_choose(&l, &g, c, nc, &score);
    printf("choose %d %.17g\n", best, score);
    rc = 0;
out:
    sw_parzen_free(&l), sw_parzen_free(&g);
    free(b), free(a), free(c);
    return rc;
}

static int probe_rank(void)
{
    int n;
    if (scanf("%d", &n) != 1 || n < 1) return 2;
    sw_tpe_result *r = calloc((size_t)n, sizeof *r);
    int *order = calloc((size_t)n, sizeof *order);
    for (int i = 0; r && order && i < n; i++) {
        int state;
        if (scanf("%d %d %lf", &state, &r[i].depth, &r[i].loss) != 3 || state < 0 || state >= SW_TPE_STATE_COUNT) {
            n = -1;
            break;
        }
        r[i].state = (sw_tpe_state)state;
    }
    int ran = n > 0 && r && order ? sw_tpe_rank_points(r, n, order) : -1;
    if (ran >= 0) {
        printf("rank %d", ran);
        for (int i = 0; i < n; i++) printf(" %d", order[i]);
        printf("\n");
    }
    free(r), free(order);
    return ran >= 0 ? 0 : 2;
}

static int probe(void)
{
    char cmd[16];
    while (scanf("%15s", cmd) == 1) {
        int rc = !strcmp(cmd, "pdf") ? probe_pdf() : !strcmp(cmd, "choose") ? probe_choose()
                                                   : !strcmp(cmd, "rank")   ? probe_rank() : 2;
        if (rc) {
            fprintf(stderr, "test_sweep_tpe probe: bad input at command %s\n", cmd);
            return rc;
        }
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "probe")) return probe();
    test_gamma_weights();
    test_parzen_uniform();
    test_parzen_clip();
    test_parzen_int();
    test_parzen_choice();
    test_truncnorm();
    test_rank();
    test_choose();
    test_propose();
    return check_report("sweep_tpe");
}
