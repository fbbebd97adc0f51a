/* sample.c: the search keys, the distributions of a space, and the points they map.
 *
 * Unit-interval maps are written so that no value is favoured: an integer or choice axis
 * of n values takes floor(u * n) (clamped to n - 1 against rounding), so each value gets
 * an equal share of [0, 1), and of any 2^m Sobol points the counts of two values differ
 * by at most one. Floats are rounded to SW_SAMPLE_DIGITS significant digits; that moves a
 * value by less than its own 5e-6 relative error, far below anything a hyperparameter
 * resolves, and gives runs values that read back exactly from their config text. */
#define _POSIX_C_SOURCE 200809L
#include "sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"
#include "sobol_joe_kuo.h"
#include "plan.h"

/* ---- search keys --------------------------------------------------------------------- */

static const char *const search_kinds[] = {"grid", "random", "sobol", "tpe", "pbt", NULL};
_Static_assert(SW_ARRAY_LEN(search_kinds) == SW_SEARCH_COUNT + 1, "search kinds");
_Static_assert(sizeof(sw_search_kind) == sizeof(int), "enum size");

#define SOFF(field) offsetof(sw_search_config, field)

/* Columns: key, type, offset, choices, min, max, default (YAML text; NULL: none, the key is
 * required where it applies), meaning. */
const sw_search_key sw_search_keys[] = {
    {.key = "search.kind", .type = SW_TYPE_ENUM, .offset = SOFF(kind), .choices = search_kinds,
     .default_text = "grid",
     .doc = "grid: the cartesian product of grid/zip (no space:); random: independent uniform points; sobol: "
            "the Sobol sequence (Joe-Kuo new-joe-kuo-6.21201), even coverage in sets of 2^m points; tpe: "
            "`startup` Sobol points, then rounds of `batch` points chosen from the results by TPE (Optuna 3.1's "
            "defaults), the same for any -j, MPI, shards and resume; pbt: population-based training, `population` "
            "members drawn at random from space: whose bottom `quantile` copies a top member's state and perturbs "
            "its values every `interval` epochs"},
    {.key = "search.samples", .type = SW_TYPE_INT, .offset = SOFF(samples), .min = 1, .max = SW_MAX_RUNS,
     .doc = "points drawn from space: (required by random, sobol and tpe; tpe: startup ones included); each is "
            "crossed with every grid/zip combination"},
    {.key = "search.seed", .type = SW_TYPE_INT64, .offset = SOFF(seed), .min = 0, .max = 9223372036854775807.0,
     .default_text = "0", .doc = "seed of the random points, of the digital shift and of tpe's candidates (not the "
                                 "runs' seed)"},
    {.key = "search.digital_shift", .type = SW_TYPE_BOOL, .offset = SOFF(digital_shift), .default_text = "false",
     .doc = "sobol and tpe's startup points: XOR every coordinate with a random 32-bit word per dimension drawn "
            "from search.seed (a randomised Sobol set that keeps its balance; without it point 0 is every axis' "
            "low end). Off for sobol unless given; on for tpe unless given, so that its seeds differ"},
    {.key = "search.startup", .type = SW_TYPE_INT, .offset = SOFF(startup), .min = 2, .max = SW_MAX_RUNS,
     .default_text = "16", .doc = "tpe: Sobol points (as kind sobol with this seed) run before the model chooses "
                                  "any (Optuna's n_startup_trials); at most samples"},
    {.key = "search.batch", .type = SW_TYPE_INT, .offset = SOFF(batch), .min = 1, .max = SW_MAX_RUNS,
     .default_text = "8", .doc = "tpe: points chosen per round, each round from the results of every earlier "
                                 "point (inside a round a constant liar keeps them apart); rounds are barriers"},
    {.key = "search.population", .type = SW_TYPE_INT, .offset = SOFF(population), .min = 2, .max = SW_MAX_RUNS,
     .doc = "pbt: members trained side by side (required by pbt); each starts from a random point of space:"},
    {.key = "search.interval", .type = SW_TYPE_INT, .offset = SOFF(interval), .min = 1, .max = 100000,
     .default_text = "1", .doc = "pbt: epochs between generations; every member reaches the barrier at each "
                                 "multiple below train.epochs, where the ranking exploits and explores (at most "
                                 "train.epochs, at most 255 generations)"},
    {.key = "search.quantile", .type = SW_TYPE_FLOAT, .offset = SOFF(quantile), .min = 0, .max = 0.5,
     .min_exclusive = true, .default_text = "0.25",
     .doc = "pbt: the share of members that exploit (the bottom ones by the selection metric, ties by member "
            "index) and of donors (the top ones): floor(quantile * population), at least 1 each"},
    {.key = "search.resample", .type = SW_TYPE_FLOAT, .offset = SOFF(resample), .min = 0, .max = 1,
     .default_text = "0.25", .doc = "pbt: the probability that an exploiting member's key is drawn again from "
                                    "space: instead of multiplied by a factor"},
    {.key = "search.factors", .type = SW_TYPE_STRING, .offset = SOFF(factors), .max = SW_PBT_FACTORS_TEXT,
     .default_text = "[0.8, 1.2]", .doc = "pbt: the factors an exploiting member's key is multiplied by (one drawn "
                                          "with equal odds; the result clamped to the space's bounds; a choice "
                                          "moves to a neighbouring value instead), each > 0, at most 8"},
};

int sw_search_rounds(const sw_search_config *c)
{
    if (c->kind != SW_SEARCH_TPE || c->samples <= c->startup) return 1;
    return 1 + (c->samples - c->startup + c->batch - 1) / c->batch;
}

int sw_search_round_points(const sw_search_config *c, int r, int *first)
{
    *first = 0;
    if (r < 0 || r >= sw_search_rounds(c)) return 0;
    if (c->kind != SW_SEARCH_TPE) return c->samples;
    int start = c->startup < c->samples ? c->startup : c->samples;
    if (r == 0) return start;
    *first = start + (r - 1) * c->batch;
    return c->samples - *first < c->batch ? c->samples - *first : c->batch;
}
const size_t sw_search_keys_len = SW_ARRAY_LEN(sw_search_keys);

const sw_search_key *sw_search_key_find(const char *name)
{
    for (size_t i = 0; i < sw_search_keys_len; i++) {
        const char *k = sw_search_keys[i].key;
        if (!strcmp(name, k) || !strcmp(name, k + strlen("search."))) return &sw_search_keys[i];
    }
    return NULL;
}

void sw_search_defaults(sw_search_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sw_search_keys_len; i++)
        if (sw_search_keys[i].default_text) {
            int rc = sw_search_set(c, &sw_search_keys[i], sw_search_keys[i].default_text, false, NULL, 0);
            SW_ASSERT(rc == SW_OK);
        }
}

int sw_search_set(sw_search_config *c, const sw_search_key *k, const char *text, bool quoted, char *err,
                  size_t errlen)
{
    return sw_key_set(c, k, text, quoted, err, errlen);
}

void sw_search_format(const sw_search_config *c, const sw_search_key *k, char *out, size_t outlen)
{
    sw_key_format(c, k, out, outlen);
}

/* ---- distributions ------------------------------------------------------------------- */

/* floor(u * n) for u in [0, 1), at most n - 1 whatever the rounding of u * n. */
static double index_of(double u, double n)
{
    double k = floor(u * n);
    return k > n - 1 ? n - 1 : k < 0 ? 0 : k;
}

double sw_sample_round(double v, double lo, double hi)
{
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    char text[64];
    snprintf(text, sizeof text, "%.*g", SW_SAMPLE_DIGITS, v);
    double r = strtod(text, NULL);
    return r >= lo && r <= hi ? r : v;
}

static double map_uniform(double u, double lo, double hi)
{
    return sw_sample_round(lo + u * (hi - lo), lo, hi);
}

static double map_loguniform(double u, double lo, double hi)
{
    return sw_sample_round(exp(log(lo) + u * (log(hi) - log(lo))), lo, hi);
}

static double map_int_uniform(double u, double lo, double hi)
{
    return lo + index_of(u, hi - lo + 1);
}

/* Integer k gets the share log((k + 1) / k) / log((hi + 1) / lo) of [0, 1): the log-uniform
 * law on [lo, hi + 1), floored. */
static double map_int_loguniform(double u, double lo, double hi)
{
    double v = floor(exp(log(lo) + u * (log(hi + 1) - log(lo))));
    return v < lo ? lo : v > hi ? hi : v;
}

const sw_sampler_info sw_samplers[SW_DIST_COUNT] = {
    [SW_DIST_UNIFORM] = {"uniform", false, false, false, map_uniform, "{uniform: [low, high]}",
                         "float keys: low + u (high - low), u uniform in [0, 1)"},
    [SW_DIST_LOGUNIFORM] = {"loguniform", false, true, false, map_loguniform, "{loguniform: [low, high]}",
                            "float keys, low > 0: exp(uniform(log low, log high)), for scales such as train.lr"},
    [SW_DIST_INT_UNIFORM] = {"int_uniform", true, false, false, map_int_uniform, "{int_uniform: [low, high]}",
                             "integer keys: each of low..high (both included) equally likely, low + floor(u (high - "
                             "low + 1))"},
    [SW_DIST_INT_LOGUNIFORM] = {"int_loguniform", true, true, false, map_int_loguniform,
                                "{int_loguniform: [low, high]}",
                                "integer keys, low > 0: floor(exp(uniform(log low, log(high + 1)))), so k in "
                                "low..high has weight log((k + 1) / k), for sizes such as model.hidden"},
    [SW_DIST_CHOICE] = {"choice", false, false, true, map_int_uniform, "{choice: [a, b, ...]}",
                        "any key or section: one of the listed values, each equally likely (floor(u n)); "
                        "values as in a grid list"},
};

sw_dist_kind sw_sampler_find(const char *name)
{
    for (int d = 0; d < SW_DIST_COUNT; d++)
        if (!strcmp(name, sw_samplers[d].name)) return (sw_dist_kind)d;
    return SW_DIST_COUNT;
}

/* ---- Sobol points ------------------------------------------------------------------- */

int sw_sobol_max_dims(void)
{
    return SW_SOBOL_DIMS;
}

/* Joe and Kuo's construction (their sobol.cc): v_k = m_k 2^(32-k) for k <= s, then
 * v_k = v_{k-s} ^ (v_{k-s} >> s) ^ XOR_{l=1}^{s-1} a_l v_{k-l}, with a_l the l-th of the
 * s - 1 bits of a from the top. */
void sw_sobol_directions(int dim, uint32_t v[32])
{
    SW_ASSERT(dim >= 0 && dim < SW_SOBOL_DIMS);
    if (dim == 0) {
        for (int k = 0; k < 32; k++) v[k] = 1u << (31 - k);
        return;
    }
    int s = sobol_joe_kuo[dim - 1].s;
    unsigned a = sobol_joe_kuo[dim - 1].a;
    SW_ASSERT(sobol_joe_kuo[dim - 1].d == dim + 1 && s <= SW_SOBOL_MAX_DEGREE);
    for (int k = 0; k < 32 && k < s; k++) v[k] = (uint32_t)sobol_joe_kuo[dim - 1].m[k] << (31 - k);
    for (int k = s; k < 32; k++) {
        uint32_t x = v[k - s] ^ (v[k - s] >> s);
        for (int l = 1; l < s; l++)
            if ((a >> (s - 1 - l)) & 1u) x ^= v[k - l];
        v[k] = x;
    }
}

uint32_t sw_sobol_point(const uint32_t v[32], uint32_t index)
{
    uint32_t gray = index ^ (index >> 1), x = 0;
    for (int k = 0; gray; k++, gray >>= 1)
        if (gray & 1u) x ^= v[k];
    return x;
}

/* The Philox counter's last word for search draws: distinct from the run streams' 0x5357,
 * so a search seed equal to a run's seed shares no block with that run's streams. */
#define SEARCH_WORD 0x5345u
#define SHIFT_WORD 0x5346u

/* One Philox4x32-10 block keyed on seed, with counter {a lo, a hi, b, word}. */
static void search_block(uint64_t seed, uint64_t a, uint32_t b, uint32_t word, uint32_t out[4])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)a, (uint32_t)(a >> 32), b, word};
    sw_philox4x32_10(ctr, key, out);
}

int sw_search_points_init(sw_search_points *p, const sw_search_config *c, int dims, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (c->kind == SW_SEARCH_GRID || dims < 1) {
        sw_set_error(err, errlen, "search: kind %s with %d dimensions samples no points", search_kinds[c->kind], dims);
        return SW_EINVAL;
    }
    p->kind = c->kind == SW_SEARCH_TPE ? SW_SEARCH_SOBOL : c->kind; /* tpe's startup and fallback points */
    p->seed = (uint64_t)c->seed;
    p->dims = dims;
    if (p->kind != SW_SEARCH_SOBOL) return SW_OK;
    if (dims > SW_SOBOL_DIMS) {
        sw_set_error(err, errlen, "search: sobol points have at most %d dimensions here, the space has %d", SW_SOBOL_DIMS,
                     dims);
        return SW_EINVAL;
    }
    p->v = calloc((size_t)dims, sizeof *p->v);
    p->shift = calloc((size_t)dims, sizeof *p->shift);
    if (!p->v || !p->shift) {
        sw_search_points_clear(p);
        return SW_ENOMEM;
    }
    for (int d = 0; d < dims; d++) {
        sw_sobol_directions(d, p->v[d]);
        if (c->digital_shift) {
            uint32_t w[4];
            search_block(p->seed, (uint64_t)d, 0, SHIFT_WORD, w);
            p->shift[d] = w[0];
        }
    }
    return SW_OK;
}

void sw_search_points_clear(sw_search_points *p)
{
    if (!p) return;
    free(p->v);
    free(p->shift);
    memset(p, 0, sizeof *p);
}

double sw_search_unit(const sw_search_points *p, uint64_t index, int dim)
{
    SW_ASSERT(dim >= 0 && dim < p->dims);
    if (p->kind == SW_SEARCH_SOBOL) {
        SW_ASSERT(index <= UINT32_MAX);
        uint32_t x = sw_sobol_point(p->v[dim], (uint32_t)index) ^ p->shift[dim];
        return x * (1.0 / 4294967296.0);
    }
    uint32_t w[4];
    search_block(p->seed, index, (uint32_t)dim, SEARCH_WORD, w);
    uint64_t hi = w[0] >> 5, lo = w[1] >> 6; /* 27 + 26 bits, as sw_rng_uniform */
    return ((double)hi * 67108864.0 + (double)lo) * (1.0 / 9007199254740992.0);
}

/* ---- help -------------------------------------------------------------------------- */

void sw_search_print_keys(FILE *f)
{
    fprintf(f, "\nsearch: (a sampled search; see docs/config.md)\n");
    for (size_t i = 0; i < sw_search_keys_len; i++) sw_key_print_row(f, &sw_search_keys[i]);
    fprintf(f, "\nspace: KEY: DISTRIBUTION (one per sampled key)\n");
    for (int d = 0; d < SW_DIST_COUNT; d++)
        fprintf(f, "%-30s %s\n", sw_samplers[d].syntax, sw_samplers[d].doc);
}
