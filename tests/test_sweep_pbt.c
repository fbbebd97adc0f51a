/* test_sweep_pbt.c: population-based training's decisions (src/plan/pbt.c) against
 * populations worked out by hand: the ranking (ties by member index, NaN last, both
 * directions), who exploits and who may donate (quotas, diverged members), the donor and
 * every explored value from the Philox block the documentation names (recomputed here
 * from the primitive), factors, clamping to the bounds, integer rounding, choices moving
 * to a neighbour, resampling and its rate, the barriers and the factors' text. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "pbt.h"
#include "rng.h"

/* Block {generation, member, slot, 0x5042} under seed, as pbt.h documents it. */
static void block(uint64_t seed, int g, int m, int slot, uint32_t w[4])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)g, (uint32_t)m, (uint32_t)slot, 0x5042u};
    sw_philox4x32_10(ctr, key, w);
}

static double unit53(uint32_t a, uint32_t b)
{
    return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) / 9007199254740992.0;
}

static sw_tpe_dim lr_dim = {SW_DIST_LOGUNIFORM, 1e-3, 1e-1, 0};

static sw_pbt_setup setup(int n, double quantile, double resample, const double *f, int nf, const sw_tpe_dim *dims,
                          int nd, sw_metric_mode mode)
{
    sw_pbt_setup s = {.population = n, .n_dims = nd, .dims = dims, .quantile = quantile, .resample = resample,
                      .n_factors = nf, .seed = 7, .mode = mode};
    memcpy(s.factors, f, (size_t)nf * sizeof *f);
    return s;
}

/* 8 members, quantile 0.25 (2 exploit, 2 donate), ties and a NaN. */
static void test_ranking(void)
{
    const double f[] = {0.8, 1.2};
    sw_pbt_setup s = setup(8, 0.25, 0.0, f, 2, &lr_dim, 1, SW_METRIC_MAX);
    CHECK(sw_pbt_quota(&s) == 2, "quota %d", sw_pbt_quota(&s));
    double metric[8] = {0.5, 0.9, 0.5, 0.9, 0.1, NAN, 0.7, 0.1};
    bool open[8] = {true, true, true, true, true, true, true, true};
    double values[8] = {0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08}, next[8];
    sw_pbt_move mv[8];
    CHECK(sw_pbt_decide(&s, 3, metric, open, values, mv, next) == SW_OK, "decide");
    /* by hand: 0.9 (1), 0.9 (3), 0.7 (6), 0.5 (0), 0.5 (2), 0.1 (4), 0.1 (7), NaN (5) */
    const int rank[8] = {3, 0, 4, 1, 5, 7, 2, 6};
    for (int i = 0; i < 8; i++) CHECK(mv[i].rank == rank[i], "member %d rank %d, want %d", i, mv[i].rank, rank[i]);
    for (int i = 0; i < 8; i++) {
        bool exploits = i == 5 || i == 7;
        CHECK((mv[i].donor >= 0) == exploits, "member %d donor %d", i, mv[i].donor);
        if (!exploits) CHECK(next[i] == values[i], "member %d keeps its value: %g", i, next[i]);
    }
    for (int i = 5; i <= 7; i += 2) {
        uint32_t w[4];
        block(7, 3, i, 0, w);
        int want = (int[]){1, 3}[(int)floor(unit53(w[0], w[1]) * 2)];
        CHECK(mv[i].donor == want, "member %d donor %d, want %d", i, mv[i].donor, want);
        block(7, 3, i, 1, w);
        double fac = f[(int)floor(unit53(w[2], w[3]) * 2)];
        double v = values[want] * fac;
        CHECK(fabs(next[i] - v) <= 1e-6 * v, "member %d value %.9g, want %.9g", i, next[i], v);
    }
    /* lower is better: the order reverses, NaN still last, ties still by index */
    s.mode = SW_METRIC_MIN;
    CHECK(sw_pbt_decide(&s, 3, metric, open, values, mv, next) == SW_OK, "decide");
    /* 0.1 (4), 0.1 (7), 0.5 (0), 0.5 (2), 0.7 (6), 0.9 (1), 0.9 (3), NaN (5) */
    const int rank_min[8] = {2, 5, 3, 6, 0, 7, 4, 1};
    for (int i = 0; i < 8; i++) CHECK(mv[i].rank == rank_min[i], "min: member %d rank %d, want %d", i, mv[i].rank, rank_min[i]);
    CHECK(mv[5].donor >= 0 && mv[3].donor >= 0 && mv[1].donor < 0, "min: 3 and 5 exploit (%d %d %d)", mv[1].donor,
          mv[3].donor, mv[5].donor);
    CHECK(mv[5].donor == 4 || mv[5].donor == 7, "min: donors are 4 and 7 (%d)", mv[5].donor);
}

/* A diverged member (not open) neither exploits nor donates; no donor: nobody exploits. */
static void test_closed(void)
{
    const double f[] = {2.0};
    sw_pbt_setup s = setup(4, 0.5, 0.0, f, 1, &lr_dim, 1, SW_METRIC_MAX);
    double metric[4] = {0.9, 0.8, 0.2, 0.1}, values[4] = {0.01, 0.02, 0.03, 0.04}, next[4];
    bool open[4] = {false, true, true, false};
    sw_pbt_move mv[4];
    CHECK(sw_pbt_decide(&s, 1, metric, open, values, mv, next) == SW_OK, "decide");
    CHECK(mv[2].donor == 1 && mv[3].donor == -1 && mv[0].donor == -1, "donors %d %d %d", mv[0].donor, mv[2].donor,
          mv[3].donor);
    CHECK(next[2] == 0.04, "2 takes 1's value doubled: %g", next[2]);
    bool none[4] = {false, false, true, true};
    CHECK(sw_pbt_decide(&s, 1, metric, none, values, mv, next) == SW_OK, "decide");
    CHECK(mv[2].donor == -1 && mv[3].donor == -1, "no open donor: nobody exploits");
    double nan_top[4] = {NAN, NAN, NAN, NAN};
    bool all[4] = {true, true, true, true};
    CHECK(sw_pbt_decide(&s, 1, nan_top, all, values, mv, next) == SW_OK, "decide");
    CHECK(mv[2].donor == -1 && mv[3].donor == -1 && mv[0].rank == 0 && mv[3].rank == 3, "all NaN: by index, none");
}

/* Factors, clamping, integers, choices, resampling. */
static void test_explore(void)
{
    const double up[] = {1.5}, down[] = {0.5};
    sw_pbt_setup s = setup(4, 0.25, 0.0, up, 1, &lr_dim, 1, SW_METRIC_MAX);
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 0.09) == 0.1, "clamped to high: %g", sw_pbt_explore(&s, 1, 0, 0, 0.09));
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 0.01) == 0.015, "0.01 * 1.5: %.17g", sw_pbt_explore(&s, 1, 0, 0, 0.01));
    s = setup(4, 0.25, 0.0, down, 1, &lr_dim, 1, SW_METRIC_MAX);
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 0.0011) == 0.001, "clamped to low: %g", sw_pbt_explore(&s, 1, 0, 0, 0.0011));
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 0.0123457) == 0.00617285, "rounded to 6 digits: %.17g",
          sw_pbt_explore(&s, 1, 0, 0, 0.0123457));
    sw_tpe_dim ints = {SW_DIST_INT_UNIFORM, 1, 10, 0};
    s = setup(4, 0.25, 0.0, up, 1, &ints, 1, SW_METRIC_MAX);
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 3) == 5, "round(3 * 1.5) = 5: %g", sw_pbt_explore(&s, 1, 0, 0, 3));
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 8) == 10, "12 clamped to 10: %g", sw_pbt_explore(&s, 1, 0, 0, 8));
    sw_tpe_dim choice = {SW_DIST_CHOICE, 0, 2, 3};
    s = setup(4, 0.25, 0.0, up, 1, &choice, 1, SW_METRIC_MAX);
    CHECK(sw_pbt_explore(&s, 1, 0, 0, 0) == 1 && sw_pbt_explore(&s, 1, 0, 0, 2) == 1, "ends move inwards");
    int seen[3] = {0};
    for (int m = 0; m < 200; m++) {
        double v = sw_pbt_explore(&s, 2, m, 0, 1);
        uint32_t w[4];
        block(7, 2, m, 1, w);
        CHECK(v == (unit53(w[2], w[3]) < 0.5 ? 0 : 2), "member %d: the middle moves by the draw (%g)", m, v);
        seen[(int)v]++;
    }
    CHECK(seen[1] == 0 && seen[0] > 70 && seen[2] > 70, "middle: down %d, up %d", seen[0], seen[2]);
    /* resample 1: every value drawn again, from the block's second uniform */
    s = setup(4, 0.25, 1.0, up, 1, &lr_dim, 1, SW_METRIC_MAX);
    for (int m = 0; m < 20; m++) {
        uint32_t w[4];
        block(7, 4, m, 1, w);
        double want = sw_samplers[SW_DIST_LOGUNIFORM].map(unit53(w[2], w[3]), 1e-3, 1e-1);
        double got = sw_pbt_explore(&s, 4, m, 0, 0.05);
        CHECK(got == want, "member %d resampled %.17g, want %.17g", m, got, want);
    }
    /* resample 0.25: about a quarter of the draws resample (not a factor of 0.05) */
    s = setup(4, 0.25, 0.25, up, 1, &lr_dim, 1, SW_METRIC_MAX);
    int resampled = 0, n = 8000;
    for (int g = 1; g <= 8; g++)
        for (int m = 0; m < n / 8; m++) resampled += sw_pbt_explore(&s, g, m, 0, 0.05) != 0.075;
    CHECK(resampled > 0.22 * n && resampled < 0.28 * n, "resampled %d of %d", resampled, n);
}

/* The draws depend on (seed, generation, member) alone: the same whatever else is decided. */
static void test_counter_based(void)
{
    const double f[] = {0.8, 1.2};
    sw_pbt_setup s = setup(4, 0.25, 0.5, f, 2, &lr_dim, 1, SW_METRIC_MAX);
    double a = sw_pbt_explore(&s, 5, 3, 0, 0.01);
    for (int g = 0; g < 5; g++) (void)sw_pbt_explore(&s, g, 1, 0, 0.02);
    CHECK(sw_pbt_explore(&s, 5, 3, 0, 0.01) == a, "the same draw again");
    int differ = 0;
    for (int m = 0; m < 16; m++) differ += sw_pbt_explore(&s, 5, m, 0, 0.01) != a;
    CHECK(differ > 4, "members draw apart (%d of 16 differ)", differ);
    s.seed = 8;
    differ = 0;
    for (int m = 0; m < 16; m++) differ += sw_pbt_explore(&s, 5, m, 0, 0.01) != sw_pbt_explore(&(sw_pbt_setup){.population = 4,
        .n_dims = 1, .dims = &lr_dim, .quantile = 0.25, .resample = 0.5, .factors = {0.8, 1.2}, .n_factors = 2,
        .seed = 7}, 5, m, 0, 0.01);
    CHECK(differ > 4, "seeds draw apart (%d of 16 differ)", differ);
}

static void test_barriers_and_factors(void)
{
    int at[SW_PBT_MAX_GENERATIONS + 1];
    CHECK(sw_pbt_barriers(6, 2, at) == 3 && at[0] == 2 && at[1] == 4 && at[2] == 6, "6 by 2");
    CHECK(sw_pbt_barriers(7, 3, at) == 3 && at[0] == 3 && at[1] == 6 && at[2] == 7, "7 by 3");
    CHECK(sw_pbt_barriers(5, 5, at) == 1 && at[0] == 5, "5 by 5");
    CHECK(sw_pbt_barriers(255, 1, at) == 255 && sw_pbt_barriers(256, 1, at) == 0, "at most 255 generations");
    double f[SW_PBT_MAX_FACTORS];
    int n;
    char err[256];
    CHECK(sw_pbt_parse_factors("[0.8, 1.2]", f, &n, err, sizeof err) == SW_OK && n == 2 && f[0] == 0.8 && f[1] == 1.2,
          "list");
    CHECK(sw_pbt_parse_factors("0.5,2", f, &n, err, sizeof err) == SW_OK && n == 2 && f[1] == 2, "--set text");
    const char *bad[] = {"[]", "", "[0.8, 0]", "[-1]", "[a]", "[1, 2, 3, 4, 5, 6, 7, 8, 9]", "[1 2]", "[inf]"};
    for (size_t i = 0; i < SW_ARRAY_LEN(bad); i++) {
        err[0] = 0;
        CHECK(sw_pbt_parse_factors(bad[i], f, &n, err, sizeof err) == SW_ECONFIG && !strncmp(err, "search.factors: ", 16),
              "\"%s\" refused: %s", bad[i], err);
    }
    CHECK(sw_pbt_key_find("train.lr") && sw_pbt_key_find("model.dropout") && !sw_pbt_key_find("model.hidden") &&
          !sw_pbt_key_find("train.batch") && !sw_pbt_key_find("seed"), "the table of keys");
}

/* Every key a pbt member may change has a per-epoch table (config.h), so that `sweep
 * replay` can write any member's life as one run. */
static void test_keys_have_tables(void)
{
    for (size_t i = 0; i < sw_pbt_keys_len; i++) {
        bool found = false;
        for (size_t j = 0; j < sw_schema_len; j++)
            found |= sw_schema[j].type == SW_TYPE_FLOAT_LIST && !strcmp(sw_schema[j].per_epoch_of, sw_pbt_keys[i].key);
        CHECK(found, "pbt key %s has no per-epoch table (train.schedule.*_values)", sw_pbt_keys[i].key);
    }
}

int main(void)
{
    test_keys_have_tables();
    test_ranking();
    test_closed();
    test_explore();
    test_counter_based();
    test_barriers_and_factors();
    return check_report("sweep_pbt");
}
