/* test_sweep_sample.c: the points of sampled searches (sample.c): Sobol points against
 * scipy's (tests/sobol_reference.h, made by tests/make_sobol_table.py) and against the
 * published first points, the balance of every dimension of the table, the digital shift,
 * random points that depend on (seed, index, dimension) only, the unit-interval maps of
 * every distribution (ranges, unbiased integer and choice counts, rounding) and the search
 * keys' table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "sample.h"
#include "sobol_reference.h"

/* Every dimension of the table against scipy.stats.qmc.Sobol(scramble=False, bits=32). */
static void test_sobol_reference(void)
{
    CHECK(sw_sobol_max_dims() == 64, "%d dimensions", sw_sobol_max_dims());
    int bad = 0;
    for (int d = 0; d < SOBOL_REF_DIMS; d++) {
        uint32_t v[32];
        sw_sobol_directions(d, v);
        for (int i = 0; i < SOBOL_REF_POINTS; i++)
            if (sw_sobol_point(v, (uint32_t)i) != sobol_ref_first[i][d] && bad++ < 5)
                CHECK(0, "point %d dim %d: %u, scipy %u", i, d, sw_sobol_point(v, (uint32_t)i), sobol_ref_first[i][d]);
    }
    CHECK(bad == 0, "%d of the first %d points x %d dims differ from scipy", bad, SOBOL_REF_POINTS, SOBOL_REF_DIMS);
    bad = 0;
    for (int d = 0; d < sw_sobol_max_dims(); d++) {
        uint32_t v[32];
        sw_sobol_directions(d, v);
        for (int i = 0; i < SOBOL_REF_FAR; i++) {
            uint32_t got = sw_sobol_point(v, (uint32_t)sobol_ref_far_index[i]);
            if (got != sobol_ref_far[i][d] && bad++ < 5)
                CHECK(0, "point %llu dim %d: %u, scipy %u", (unsigned long long)sobol_ref_far_index[i], d, got,
                      sobol_ref_far[i][d]);
        }
    }
    CHECK(bad == 0, "%d far points differ from scipy", bad);
}

/* The first points of the two-dimensional Sobol sequence as published (every set of
 * direction numbers shares these two dimensions): 0, 1/2, then 3/4 and 1/4, ... */
static void test_sobol_published(void)
{
    static const double want[9][2] = {{0, 0},         {0.5, 0.5},     {0.75, 0.25},
                                      {0.25, 0.75},   {0.375, 0.375}, {0.875, 0.875},
                                      {0.625, 0.125}, {0.125, 0.625}, {0.1875, 0.3125}};
    sw_search_config c;
    sw_search_defaults(&c);
    c.kind = SW_SEARCH_SOBOL;
    sw_search_points P;
    char err[256];
    CHECK(sw_search_points_init(&P, &c, 2, err, sizeof err) == SW_OK, "%s", err);
    for (int i = 0; i < 9; i++)
        for (int d = 0; d < 2; d++)
            CHECK(sw_search_unit(&P, (uint64_t)i, d) == want[i][d], "point %d dim %d: %g, published %g", i, d,
                  sw_search_unit(&P, (uint64_t)i, d), want[i][d]);
    sw_search_points_clear(&P);
}

/* Of the first 2^m points, each dimension puts exactly one in each interval
 * [k/2^m, (k+1)/2^m): true of the Sobol construction whatever the direction numbers,
 * if they were read and expanded right. With a digital shift too (it permutes the
 * intervals). */
static bool balanced(const sw_search_points *P, int dim, int m)
{
    int n = 1 << m, count[1 << 10] = {0};
    for (int i = 0; i < n; i++) {
        double u = sw_search_unit(P, (uint64_t)i, dim);
        if (!(u >= 0 && u < 1)) return false;
        count[(int)(u * n)]++;
    }
    for (int k = 0; k < n; k++)
        if (count[k] != 1) return false;
    return true;
}

static void test_sobol_balance_and_shift(void)
{
    sw_search_config c;
    sw_search_defaults(&c);
    c.kind = SW_SEARCH_SOBOL;
    sw_search_points plain, shifted, shifted2, other;
    char err[256];
    int dims = sw_sobol_max_dims();
    CHECK(sw_search_points_init(&plain, &c, dims, err, sizeof err) == SW_OK, "%s", err);
    c.digital_shift = true;
    c.seed = 7;
    CHECK(sw_search_points_init(&shifted, &c, dims, err, sizeof err) == SW_OK, "%s", err);
    CHECK(sw_search_points_init(&shifted2, &c, dims, err, sizeof err) == SW_OK, "%s", err);
    c.seed = 8;
    CHECK(sw_search_points_init(&other, &c, dims, err, sizeof err) == SW_OK, "%s", err);
    for (int d = 0; d < dims; d++)
        for (int m = 1; m <= 10; m++) {
            CHECK(balanced(&plain, d, m), "dim %d is not balanced over 2^%d points", d, m);
            CHECK(balanced(&shifted, d, m), "shifted dim %d is not balanced over 2^%d points", d, m);
        }
    int same = 0, differ_seed = 0;
    for (int d = 0; d < dims; d++) {
        CHECK(sw_search_unit(&plain, 0, d) == 0, "unshifted point 0 is the origin");
        same += sw_search_unit(&shifted, 5, d) == sw_search_unit(&shifted2, 5, d);
        differ_seed += sw_search_unit(&shifted, 5, d) != sw_search_unit(&other, 5, d);
    }
    CHECK(same == dims, "the shift depends on the seed alone (%d of %d equal)", same, dims);
    CHECK(differ_seed == dims, "another seed shifts every dimension differently (%d of %d)", differ_seed, dims);
    CHECK(sw_search_unit(&shifted, 0, 0) != 0, "a shifted point 0 is not the origin");
    sw_search_points_clear(&plain);
    sw_search_points_clear(&shifted);
    sw_search_points_clear(&shifted2);
    sw_search_points_clear(&other);
    /* more dimensions than the table: refused, not read past its end */
    c.kind = SW_SEARCH_SOBOL;
    CHECK(sw_search_points_init(&plain, &c, dims + 1, err, sizeof err) == SW_EINVAL && strstr(err, "at most 64"),
          "%s", err);
    c.kind = SW_SEARCH_GRID;
    CHECK(sw_search_points_init(&plain, &c, 3, err, sizeof err) == SW_EINVAL, "grid samples nothing");
}

/* Random points: a function of (seed, index, dimension), whatever was asked before. */
static void test_random_points(void)
{
    sw_search_config c;
    sw_search_defaults(&c);
    c.kind = SW_SEARCH_RANDOM;
    c.seed = 42;
    sw_search_points P, Q;
    char err[256];
    CHECK(sw_search_points_init(&P, &c, 4, err, sizeof err) == SW_OK, "%s", err);
    enum { N = 4000 };
    static double fwd[N][4];
    double sum[4] = {0}, cross = 0;
    for (int i = 0; i < N; i++)
        for (int d = 0; d < 4; d++) {
            fwd[i][d] = sw_search_unit(&P, (uint64_t)i, d);
            CHECK(fwd[i][d] >= 0 && fwd[i][d] < 1, "u %g", fwd[i][d]);
            sum[d] += fwd[i][d];
        }
    for (int i = 0; i < N; i++) cross += (fwd[i][0] - 0.5) * (fwd[i][1] - 0.5);
    int order = 0;
    for (int i = N - 1; i >= 0; i--)
        for (int d = 3; d >= 0; d--) order += sw_search_unit(&P, (uint64_t)i, d) == fwd[i][d];
    CHECK(order == 4 * N, "points asked in reverse order differ (%d of %d equal)", order, 4 * N);
    for (int d = 0; d < 4; d++) CHECK(fabs(sum[d] / N - 0.5) < 0.02, "dim %d mean %g", d, sum[d] / N);
    CHECK(fabs(cross / N) < 0.01, "dims 0 and 1 correlate: %g", cross / N);
    c.seed = 43;
    CHECK(sw_search_points_init(&Q, &c, 4, err, sizeof err) == SW_OK, "%s", err);
    int equal = 0;
    for (int i = 0; i < 100; i++) equal += sw_search_unit(&Q, (uint64_t)i, 0) == fwd[i][0];
    CHECK(equal == 0, "seeds 42 and 43 share %d points", equal);
    sw_search_points_clear(&P);
    sw_search_points_clear(&Q);
}

static bool six_digits(double v)
{
    char text[64];
    snprintf(text, sizeof text, "%.*g", SW_SAMPLE_DIGITS, v);
    return strtod(text, NULL) == v;
}

/* The maps from [0, 1): ranges, rounding, and integer and choice values in equal shares. */
static void test_maps(void)
{
    const sw_sampler_info *uni = &sw_samplers[SW_DIST_UNIFORM], *logu = &sw_samplers[SW_DIST_LOGUNIFORM];
    const sw_sampler_info *iu = &sw_samplers[SW_DIST_INT_UNIFORM], *il = &sw_samplers[SW_DIST_INT_LOGUNIFORM];
    const sw_sampler_info *ch = &sw_samplers[SW_DIST_CHOICE];
    const double top = 1.0 - 1.0 / 9007199254740992.0; /* the largest u */
    CHECK(uni->map(0, 0.1, 0.5) == 0.1 && uni->map(top, 0.1, 0.5) <= 0.5, "uniform ends");
    CHECK(logu->map(0, 1e-4, 1e-2) == 1e-4 && logu->map(top, 1e-4, 1e-2) <= 1e-2, "loguniform ends");
    CHECK(fabs(logu->map(0.5, 1e-4, 1e-2) - 1e-3) < 1e-9, "loguniform's middle is the geometric mean: %g",
          logu->map(0.5, 1e-4, 1e-2));
    /* bounds with more digits than kept: rounding never leaves [low, high] */
    double lo = 0.123456789, hi = 0.123457891;
    for (int i = 0; i <= 1000; i++) {
        double u = i == 1000 ? top : i / 1000.0;
        double a = uni->map(u, lo, hi), b = logu->map(u, lo, hi);
        CHECK(a >= lo && a <= hi && b >= lo && b <= hi, "u %g: %.17g %.17g outside [%g, %g]", u, a, b, lo, hi);
    }
    int rounded = 0;
    for (int i = 0; i < 1000; i++) rounded += six_digits(uni->map(i / 1000.0 + 1e-4, 0, 0.5)) &&
                                              six_digits(logu->map(i / 1000.0 + 1e-4, 0.1, 10));
    CHECK(rounded == 1000, "%d of 1000 floats have %d significant digits", rounded, SW_SAMPLE_DIGITS);
    /* integers: N evenly spaced u give every value N/n times exactly */
    enum { N = 7 * 64 };
    int count[8] = {0}, ccount[7] = {0};
    for (int i = 0; i < N; i++) {
        double u = (i + 0.5) / N;
        int v = (int)iu->map(u, 3, 9);
        CHECK(v >= 3 && v <= 9, "int_uniform %d", v);
        if (v >= 3 && v <= 9) count[v - 3]++;
        int c = (int)ch->map(u, 0, 6);
        CHECK(c >= 0 && c <= 6, "choice %d", c);
        if (c >= 0 && c <= 6) ccount[c]++;
    }
    for (int k = 0; k < 7; k++)
        CHECK(count[k] == 64 && ccount[k] == 64, "value %d drawn %d / %d times, want 64", k, count[k], ccount[k]);
    CHECK(iu->map(top, 3, 9) == 9 && iu->map(0, 3, 9) == 3 && ch->map(top, 0, 2) == 2, "integer ends");
    /* int_loguniform: k gets log((k + 1) / k) / log((hi + 1) / lo) of [0, 1) */
    enum { M = 100000 };
    int lc[17] = {0};
    for (int i = 0; i < M; i++) {
        int v = (int)il->map((i + 0.5) / M, 1, 16);
        CHECK(v >= 1 && v <= 16, "int_loguniform %d", v);
        if (v >= 1 && v <= 16) lc[v]++;
    }
    for (int k = 1; k <= 16; k++) {
        double want = M * log((k + 1.0) / k) / log(17.0);
        CHECK(fabs(lc[k] - want) <= 2, "int_loguniform %d: %d, want %.1f", k, lc[k], want);
    }
    CHECK(il->map(top, 16, 128) == 128 && il->map(0, 16, 128) == 16, "int_loguniform ends");
}

/* The tables: names found, every distribution documented and mapped, search keys' defaults
 * and errors. */
static void test_tables(void)
{
    for (int d = 0; d < SW_DIST_COUNT; d++) {
        CHECK(sw_sampler_find(sw_samplers[d].name) == (sw_dist_kind)d, "%s", sw_samplers[d].name);
        CHECK(sw_samplers[d].map && sw_samplers[d].syntax && sw_samplers[d].doc, "row %d incomplete", d);
    }
    CHECK(sw_sampler_find("gaussian") == SW_DIST_COUNT, "unknown distribution found");
    sw_search_config c;
    sw_search_defaults(&c);
    CHECK(c.kind == SW_SEARCH_GRID && c.samples == 0 && c.seed == 0 && !c.digital_shift, "defaults");
    CHECK(sw_search_key_find("kind") == sw_search_key_find("search.kind") && sw_search_key_find("kind"), "kind");
    CHECK(!sw_search_key_find("shift") && !sw_search_key_find("search.shift"), "unknown key found");
    char err[256];
    const sw_search_key *kind = sw_search_key_find("kind"), *samples = sw_search_key_find("samples");
    const sw_search_key *shift = sw_search_key_find("digital_shift"), *seed = sw_search_key_find("seed");
    CHECK(sw_search_set(&c, kind, "sobol", false, err, sizeof err) == SW_OK && c.kind == SW_SEARCH_SOBOL, "sobol");
    CHECK(sw_search_set(&c, kind, "bayes", false, err, sizeof err) == SW_ECONFIG &&
          strstr(err, "search.kind: unknown value \"bayes\"; allowed: one of grid, random, sobol"), "%s", err);
    CHECK(sw_search_set(&c, samples, "0", false, err, sizeof err) == SW_ECONFIG &&
          strstr(err, "search.samples: 0 is out of range; allowed: an integer from 1 to 100000"), "%s", err);
    CHECK(sw_search_set(&c, samples, "8", true, err, sizeof err) == SW_ECONFIG && strstr(err, "quoted"), "%s", err);
    CHECK(sw_search_set(&c, samples, "2.5", false, err, sizeof err) == SW_ECONFIG, "2.5 samples");
    CHECK(sw_search_set(&c, seed, "-1", false, err, sizeof err) == SW_ECONFIG && strstr(err, "an integer >= 0"), "%s",
          err);
    CHECK(sw_search_set(&c, seed, "9223372036854775807", false, err, sizeof err) == SW_OK &&
          c.seed == INT64_MAX, "largest seed");
    CHECK(sw_search_set(&c, shift, "yes", false, err, sizeof err) == SW_ECONFIG, "yes is no boolean");
    CHECK(sw_search_set(&c, shift, "true", false, err, sizeof err) == SW_OK && c.digital_shift, "true");
    char text[64];
    sw_search_format(&c, kind, text, sizeof text);
    CHECK(!strcmp(text, "sobol"), "%s", text);
}

int main(void)
{
    test_sobol_reference();
    test_sobol_published();
    test_sobol_balance_and_shift();
    test_random_points();
    test_maps();
    test_tables();
    return check_report("sweep sample");
}
