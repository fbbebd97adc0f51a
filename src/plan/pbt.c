/* pbt.c: population-based training's keys, barriers and decisions (see pbt.h). */
#define _POSIX_C_SOURCE 200809L
#include "pbt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"

/* Columns: the key, why a running member may change it. Keys that change the network's
 * shape (model.hidden, model.layers, model.cell, ...), its data (task.*, seed, train.batch)
 * or what its optimizer state means (train.optimizer) are not here. */
const sw_pbt_key sw_pbt_keys[] = {
    {"train.lr", "the step size; the schedule still multiplies it"},
    {"train.clip", "the gradient norm's ceiling (0: off)"},
    {"train.weight_decay", "the decay term of every step"},
    {"train.momentum", "sgd, rmsprop: the velocity's decay"},
    {"train.beta1", "adam, adamw: the first moment's decay"},
    {"train.beta2", "adam, adamw: the second moment's decay"},
    {"train.eps", "adam, adamw: the denominator's floor"},
    {"train.alpha", "rmsprop: the squared gradient's decay"},
    {"model.dropout", "the rate of dropout masks (the same stream of draws)"},
};
const size_t sw_pbt_keys_len = SW_ARRAY_LEN(sw_pbt_keys);

const sw_pbt_key *sw_pbt_key_find(const char *key)
{
    for (size_t i = 0; i < sw_pbt_keys_len; i++)
        if (!strcmp(sw_pbt_keys[i].key, key)) return &sw_pbt_keys[i];
    return NULL;
}

void sw_pbt_key_list(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < sw_pbt_keys_len && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", sw_pbt_keys[i].key);
}

int sw_pbt_barriers(int epochs, int interval, int *at)
{
    if (interval < 1 || epochs < 1) return 0;
    int n = 0;
    for (long long e = interval; e < epochs; e += interval) {
        if (n >= SW_PBT_MAX_GENERATIONS - 1) return 0;
        at[n++] = (int)e;
    }
    at[n++] = epochs;
    return n;
}

int sw_pbt_parse_factors(const char *text, double *f, int *n, char *err, size_t errlen)
{
    *n = 0;
    const char *p = text;
    while (*p == ' ' || *p == '[') p++;
    for (;;) {
        while (*p == ' ') p++;
        if (*p == ']' || !*p) break;
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p) {
            sw_set_error(err, errlen, "search.factors: expected a list of numbers, e.g. [0.8, 1.2], got \"%s\"", text);
            return SW_ECONFIG;
        }
        if (!isfinite(v) || v <= 0) {
            sw_set_error(err, errlen, "search.factors: every factor must be a number > 0, got %.*s", (int)(end - p), p);
            return SW_ECONFIG;
        }
        if (*n == SW_PBT_MAX_FACTORS) {
            sw_set_error(err, errlen, "search.factors: at most %d factors", SW_PBT_MAX_FACTORS);
            return SW_ECONFIG;
        }
        f[(*n)++] = v;
        p = end;
        while (*p == ' ') p++;
        if (*p == ',') p++;
        else if (*p && *p != ']') {
            sw_set_error(err, errlen, "search.factors: expected a list of numbers, e.g. [0.8, 1.2], got \"%s\"", text);
            return SW_ECONFIG;
        }
    }
    while (*p == ']' || *p == ' ') p++;
    if (*p) {
        sw_set_error(err, errlen, "search.factors: expected a list of numbers, e.g. [0.8, 1.2], got \"%s\"", text);
        return SW_ECONFIG;
    }
    if (*n == 0) {
        sw_set_error(err, errlen, "search.factors: needs at least one factor, e.g. [0.8, 1.2]");
        return SW_ECONFIG;
    }
    return SW_OK;
}

int sw_pbt_quota(const sw_pbt_setup *s)
{
    int q = (int)floor(s->quantile * s->population + 1e-9);
    return q < 1 ? 1 : q;
}

/* The Philox counter's last word for pbt's draws: distinct from the run streams' and the
 * search points' words (sample.c), so no block is shared with them. */
#define PBT_WORD 0x5042u

/* The 4 words of block `slot` of member `member` at barrier `generation`. */
static void pbt_block(uint64_t seed, int generation, int member, int slot, uint32_t w[4])
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)generation, (uint32_t)member, (uint32_t)slot, PBT_WORD};
    sw_philox4x32_10(ctr, key, w);
}

/* Two words as a uniform in [0, 1) with 53 bits (as sw_rng_uniform). */
static double unit_of(uint32_t a, uint32_t b)
{
    return ((double)(a >> 5) * 67108864.0 + (double)(b >> 6)) * (1.0 / 9007199254740992.0);
}

/* floor(u * n) within 0..n-1. */
static int index_below(double u, int n)
{
    int k = (int)floor(u * n);
    return k >= n ? n - 1 : k < 0 ? 0 : k;
}

double sw_pbt_explore(const sw_pbt_setup *s, int generation, int member, int d, double v)
{
    const sw_tpe_dim *dim = &s->dims[d];
    const sw_sampler_info *smp = &sw_samplers[dim->dist];
    uint32_t w[4];
    pbt_block(s->seed, generation, member, 1 + d, w);
    bool resample = unit_of(w[0], w[1]) < s->resample;
    double u = unit_of(w[2], w[3]);
    if (dim->dist == SW_DIST_CHOICE) {
        int n = dim->n_choices, k = (int)v;
        if (resample) return index_below(u, n);
        if (n < 2) return k;
        if (k <= 0) return 1;
        if (k >= n - 1) return n - 2;
        return u < 0.5 ? k - 1 : k + 1;
    }
    if (resample) return smp->map(u, dim->lo, dim->hi);
    double x = v * s->factors[index_below(u, s->n_factors)];
    if (smp->integer) x = floor(x + 0.5);
    if (x < dim->lo) x = dim->lo;
    if (x > dim->hi) x = dim->hi;
    return smp->integer ? x : sw_sample_round(x, dim->lo, dim->hi);
}

/* Better first (NaN last), then the smaller member index. */
typedef struct {
    double v;
    int member;
    sw_metric_mode mode;
} ranked;

static int by_metric_then_index(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    bool na = isnan(a->v), nb = isnan(b->v);
    if (na != nb) return na ? 1 : -1;
    if (!na && a->v != b->v) return (a->mode == SW_METRIC_MAX ? a->v > b->v : a->v < b->v) ? -1 : 1;
    return a->member - b->member;
}

int sw_pbt_decide(const sw_pbt_setup *s, int generation, const double *metric, const bool *open,
                  const double *values, sw_pbt_move *move, double *next)
{
    int n = s->population, q = sw_pbt_quota(s);
    ranked *r = malloc((size_t)n * sizeof *r);
    int *donors = malloc((size_t)n * sizeof *donors);
    if (!r || !donors) {
        free(r), free(donors);
        return SW_ENOMEM;
    }
    for (int i = 0; i < n; i++) r[i] = (ranked){metric[i], i, s->mode};
    qsort(r, (size_t)n, sizeof *r, by_metric_then_index);
    int n_donors = 0;
    for (int k = 0; k < n; k++) {
        int i = r[k].member;
        move[i] = (sw_pbt_move){metric[i], k, -1};
        if (k < q && open[i] && !isnan(metric[i])) donors[n_donors++] = i;
    }
    memcpy(next, values, (size_t)n * (size_t)s->n_dims * sizeof *next);
    for (int k = n - q; k < n && n_donors > 0; k++) {
        int i = r[k].member;
        if (k < q || !open[i]) continue; /* a member in both quotas (population < 2q) keeps its state */
        uint32_t w[4];
        pbt_block(s->seed, generation, i, 0, w);
        int d = donors[index_below(unit_of(w[0], w[1]), n_donors)];
        move[i].donor = d;
        for (int j = 0; j < s->n_dims; j++)
            next[(size_t)i * s->n_dims + j] = sw_pbt_explore(s, generation, i, j, values[(size_t)d * s->n_dims + j]);
    }
    free(r), free(donors);
    return SW_OK;
}

void sw_pbt_print_keys(FILE *f)
{
    fprintf(f, "\nspace: of a pbt search (keys a member may change while it trains)\n");
    for (size_t i = 0; i < sw_pbt_keys_len; i++) fprintf(f, "  %-22s %s\n", sw_pbt_keys[i].key, sw_pbt_keys[i].why);
}
