/* pbtrun.c: a pbt search's lineage, configs and starting states (see pbtrun.h). */
#define _POSIX_C_SOURCE 200809L
#include "pbtrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "common.h"
#include "outdir.h"
#include "replay.h"
#include "runfile.h"
#include "testhook.h"

void sw_pbt_setup_of(const sw_sweep_spec *spec, sw_pbt_setup *s)
{
    memset(s, 0, sizeof *s);
    s->population = spec->n_runs;
    s->n_dims = spec->n_dims;
    s->dims = spec->space;
    s->quantile = spec->search.quantile;
    s->resample = spec->search.resample;
    s->seed = (uint64_t)spec->search.seed;
    s->mode = spec->stop_mode;
    char err[256];
    int rc = sw_pbt_parse_factors(spec->search.factors, s->factors, &s->n_factors, err, sizeof err);
    SW_ASSERT(rc == SW_OK); /* checked when the file was read */
}

void sw_pbt_lineage_free(sw_pbt_lineage *L)
{
    if (!L) return;
    free(L->values);
    free(L->moves);
    free(L->open);
    memset(L, 0, sizeof *L);
}

/* Whether barrier epoch b can be decided: every member reached it or ended short of it. */
static bool barrier_reached(const sw_stop_run_state *st, int n, int b)
{
    for (int i = 0; i < n; i++)
        if (st[i].epochs < b && !st[i].final) return false;
    return true;
}

int sw_pbt_lineage_build(const sw_sweep_spec *spec, const sw_stop_run_state *st, sw_pbt_lineage *L)
{
    memset(L, 0, sizeof *L);
    sw_pbt_setup s;
    sw_pbt_setup_of(spec, &s);
    int n = s.population, d = s.n_dims;
    L->population = n, L->n_dims = d;
    L->n_barriers = sw_pbt_barriers(spec->stop_epochs, spec->search.interval, L->barrier);
    SW_ASSERT(L->n_barriers > 0);
    size_t rows = (size_t)L->n_barriers * (size_t)n;
    L->values = calloc(rows * (size_t)(d ? d : 1), sizeof *L->values);
    L->moves = calloc(rows, sizeof *L->moves);
    L->open = calloc(rows, sizeof *L->open);
    double *metric = malloc((size_t)n * sizeof *metric);
    int rc = L->values && L->moves && L->open && metric ? SW_OK : SW_ENOMEM;
    for (int m = 0; !rc && m < n; m++) {
        memcpy(&L->values[(size_t)m * d], spec->points[spec->runs[m].point].values, (size_t)d * sizeof *L->values);
        L->moves[m] = (sw_pbt_move){NAN, m, -1};
        L->open[m] = true;
    }
    L->generations = 1;
    for (int g = 1; !rc && g < L->n_barriers; g++) {
        int b = L->barrier[g - 1];
        if (!barrier_reached(st, n, b)) break;
        bool *open = &L->open[(size_t)g * n];
        for (int i = 0; i < n; i++) {
            metric[i] = st[i].epochs >= b && st[i].values ? st[i].values[b - 1] : NAN;
            open[i] = !(st[i].final && st[i].epochs <= b);
        }
        rc = sw_pbt_decide(&s, g, metric, open, &L->values[(size_t)(g - 1) * n * d], &L->moves[(size_t)g * n],
                           &L->values[(size_t)g * n * d]);
        if (!rc) L->generations = g + 1;
    }
    free(metric);
    return rc;
}

int sw_pbt_lineage_read(const sw_sweep_spec *spec, const char *dir, sw_pbt_lineage *L)
{
    int n = spec->n_runs, rc = SW_OK;
    sw_stop_run_state *st = calloc((size_t)n, sizeof *st);
    double **values = calloc((size_t)n, sizeof *values);
    if (!st || !values) rc = SW_ENOMEM;
    for (int i = 0; !rc && i < n; i++) {
        char path[4096], why[4352];
        if (sw_outdir_path(path, sizeof path, dir, spec->runs[i].id, ".h5")) continue;
        sw_run_file f;
        /* the history alone (its checksums checked as it is read): every job reads the
         * population's files, and verifying each whole file (its weights and gradient
         * records) tripled a small search's CPU time */
        int r = sw_h5_read_run(path, SW_READ_HISTORY, &f, why, sizeof why);
        if (r == SW_ENOMEM) rc = r;
        else rc = sw_outdir_stop_state(r == SW_OK ? &f : NULL, sw_stop_metric_name(spec->stop.metric), &st[i],
                                       &values[i]);
        sw_run_file_free(&f);
    }
    if (!rc) rc = sw_pbt_lineage_build(spec, st, L);
    else memset(L, 0, sizeof *L);
    for (int i = 0; values && i < n; i++) free(values[i]);
    free(values);
    free(st);
    return rc;
}

int sw_pbt_generation_of(const sw_pbt_lineage *L, int until)
{
    for (int g = 0; g < L->n_barriers; g++)
        if (L->barrier[g] == until) return g;
    return -1;
}

int sw_pbt_config(const sw_sweep_spec *spec, const sw_pbt_lineage *L, int m, int g, sw_config *cfg, char *err,
                  size_t errlen)
{
    SW_ASSERT(g >= 0 && g < L->generations && m >= 0 && m < L->population);
    *cfg = spec->runs[m].cfg;
    const double *v = &L->values[((size_t)g * L->population + m) * L->n_dims];
    for (int d = 0; d < L->n_dims; d++) {
        char text[64];
        const char *t = text;
        if (spec->pbt_choice[d])
            t = spec->pbt_choice[d][(int)v[d]];
        else if (sw_samplers[spec->space[d].dist].integer)
            snprintf(text, sizeof text, "%.0f", v[d]);
        else
            sw_format_shortest(text, sizeof text, v[d], 1e6);
        int rc = sw_config_set(cfg, spec->pbt_key[d], t, false, err, errlen);
        if (rc) return rc;
    }
    return SW_OK;
}

int sw_pbt_snapshot_path(const char *dir, const char *run_id, int epoch, bool start, char *out, size_t outlen)
{
    char ext[64];
    snprintf(ext, sizeof ext, ".at%d%s%s", epoch, start ? ".start" : "", SW_CHECKPOINT_EXT);
    return sw_outdir_path(out, outlen, dir, run_id, ext);
}

/* Member m's snapshot at barrier g-1's epoch, read for its config of generation g-1. */
static int read_snapshot(const sw_sweep_spec *spec, const char *dir, const sw_pbt_lineage *L, int m, int g,
                         sw_train_state **out, char *err, size_t errlen)
{
    char path[4096];
    sw_config cfg;
    int rc = sw_pbt_snapshot_path(dir, spec->runs[m].id, L->barrier[g - 1], false, path, sizeof path);
    if (rc) {
        sw_set_error(err, errlen, "%s: path too long", dir);
        return rc;
    }
    if ((rc = sw_pbt_config(spec, L, m, g - 1, &cfg, err, errlen))) return rc;
    return sw_checkpoint_read(path, &cfg, out, err, errlen);
}

/* The parts a member takes from its donor: what the network and its optimizer are. */
static bool from_donor(const char *part)
{
    return !strcmp(part, "/state/weights") || !strcmp(part, "/state/optimizer/moments") ||
           !strcmp(part, "/state/optimizer/steps");
}

/* The donor's weights, moments and step count into st. */
static void take_donor_parts(sw_train_state *st, const sw_train_state *donor)
{
    sw_train_state_part mine[SW_TRAIN_STATE_MAX_PARTS], theirs[SW_TRAIN_STATE_MAX_PARTS];
    int n = sw_train_state_parts(st, mine, SW_TRAIN_STATE_MAX_PARTS);
    int k = sw_train_state_parts(donor, theirs, SW_TRAIN_STATE_MAX_PARTS);
    int taken = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++)
            if (from_donor(mine[i].path) && !strcmp(mine[i].path, theirs[j].path)) {
                SW_ASSERT(mine[i].count == theirs[j].count && mine[i].type == theirs[j].type);
                memcpy(mine[i].data, theirs[j].data, mine[i].count * sw_record_mem_size(mine[i].type));
                taken++;
            }
    SW_ASSERT(taken == 3);
}

int sw_pbt_start_state(const sw_sweep_spec *spec, const char *dir, const sw_pbt_lineage *L, int m, int g,
                       sw_train_state **out, char *err, size_t errlen)
{
    *out = NULL;
    SW_ASSERT(g >= 1 && g < L->generations);
    sw_train_state *own = NULL, *donor = NULL;
    int d = L->moves[(size_t)g * L->population + m].donor;
    int rc = read_snapshot(spec, dir, L, m, g, &own, err, errlen);
    if (!rc && d >= 0) rc = read_snapshot(spec, dir, L, d, g, &donor, err, errlen);
    if (!rc && d >= 0) {
        take_donor_parts(own, donor);
        char path[4096];
        sw_config cfg;
        if (sw_test_pbt_keep() &&
            !sw_pbt_snapshot_path(dir, spec->runs[m].id, L->barrier[g - 1], true, path, sizeof path) &&
            !sw_pbt_config(spec, L, m, g, &cfg, err, errlen))
            rc = sw_checkpoint_write(path, own, &cfg, err, errlen);
    }
    sw_train_state_free(donor);
    if (rc) sw_train_state_free(own);
    else *out = own;
    return rc;
}

static void remove_states(const sw_sweep_spec *spec, const char *dir, bool checkpoints);

void sw_pbt_remove_snapshots(const sw_sweep_spec *spec, const char *dir)
{
    if (!sw_test_pbt_keep()) remove_states(spec, dir, false);
}

void sw_pbt_remove_states(const sw_sweep_spec *spec, const char *dir)
{
    remove_states(spec, dir, true);
    char path[4096]; /* the old population's best member's replay (replay.h) */
    if (!sw_outdir_path(path, sizeof path, dir, SW_PBT_REPLAY_NAME, "")) unlink(path);
}

/* Every member's barrier states (and with `checkpoints` its checkpoint) removed. */
static void remove_states(const sw_sweep_spec *spec, const char *dir, bool checkpoints)
{
    int at[SW_PBT_MAX_GENERATIONS + 1];
    int n = sw_pbt_barriers(spec->stop_epochs, spec->search.interval, at);
    char path[4096];
    for (int i = 0; i < spec->n_runs; i++)
        for (int g = 0; g + 1 < n; g++) {
            if (!sw_pbt_snapshot_path(dir, spec->runs[i].id, at[g], false, path, sizeof path)) unlink(path);
            if (!sw_pbt_snapshot_path(dir, spec->runs[i].id, at[g], true, path, sizeof path)) unlink(path);
        }
    for (int i = 0; checkpoints && i < spec->n_runs; i++)
        if (!sw_outdir_checkpoint_path(dir, spec->runs[i].id, path, sizeof path)) unlink(path);
}

/* The value of key d that internal value v gives (a choice's position: its value). */
static double key_value(const sw_sweep_spec *spec, int d, double v)
{
    return spec->pbt_choice[d] ? strtod(spec->pbt_choice[d][(int)v], NULL) : v;
}

/* n rows of d internal values from `from` into `to`, as the keys' values. */
static void key_values(const sw_sweep_spec *spec, int d, const double *from, double *to)
{
    for (int k = 0; k < d; k++) to[k] = key_value(spec, k, from[k]);
}

void sw_pbt_record_free(sw_pbt_record *r)
{
    if (!r) return;
    free(r->values), free(r->metric), free(r->donor_metric), free(r->gen_values);
    free(r->first_epoch), free(r->rank), free(r->donor), free(r->keys);
    memset(r, 0, sizeof *r);
}

int sw_pbt_record_init(sw_pbt_record *r, const sw_sweep_spec *spec, const sw_pbt_lineage *L, int m, int g, int epochs)
{
    memset(r, 0, sizeof *r);
    SW_ASSERT(g >= 0 && g < L->generations);
    int n = L->population, d = L->n_dims, gens = g + 1;
    size_t rows = (size_t)(epochs > 0 ? epochs : 1), gd = (size_t)gens * (size_t)(d ? d : 1);
    r->values = malloc(rows * (size_t)(d ? d : 1) * sizeof *r->values);
    r->metric = malloc((size_t)gens * sizeof *r->metric), r->donor_metric = malloc((size_t)gens * sizeof *r->donor_metric);
    r->gen_values = malloc(gd * sizeof *r->gen_values);
    r->first_epoch = malloc((size_t)gens * sizeof *r->first_epoch), r->rank = malloc((size_t)gens * sizeof *r->rank);
    r->donor = malloc((size_t)gens * sizeof *r->donor);
    r->keys = malloc((size_t)(d ? d : 1) * sizeof *r->keys);
    if (!r->keys || !r->values || !r->metric || !r->donor_metric || !r->gen_values || !r->first_epoch || !r->rank || !r->donor)
        return SW_ENOMEM;
    for (int k = 0; k < d; k++) r->keys[k] = spec->pbt_key[k]->key;
    for (int k = 0; k < gens; k++) {
        const sw_pbt_move *mv = &L->moves[(size_t)k * n + m];
        r->first_epoch[k] = k ? L->barrier[k - 1] + 1 : 1;
        r->donor[k] = k && mv->donor >= 0 ? spec->runs[mv->donor].id : "";
        r->metric[k] = k ? mv->metric : NAN;
        r->donor_metric[k] = k && mv->donor >= 0 ? L->moves[(size_t)k * n + mv->donor].metric : NAN;
        r->rank[k] = k ? mv->rank : -1;
        key_values(spec, d, &L->values[((size_t)k * n + m) * d], &r->gen_values[(size_t)k * d]);
    }
    for (int e = 0, k = 0; e < epochs; e++) {
        while (k < g && e + 1 > L->barrier[k]) k++;
        key_values(spec, d, &L->values[((size_t)k * n + m) * d], &r->values[(size_t)e * d]);
    }
    r->life = (sw_run_lineage){d, r->keys, epochs, r->values, gens, r->first_epoch,
                               r->donor, r->metric, r->donor_metric, r->rank, r->gen_values};
    return SW_OK;
}

void sw_pbt_index_free(sw_pbt_index *x)
{
    if (!x) return;
    free(x->generation), free(x->epoch), free(x->member), free(x->rank), free(x->donor);
    free(x->metric), free(x->old_values), free(x->new_values), free(x->keys), free(x->run_ids);
    memset(x, 0, sizeof *x);
}

int sw_pbt_index_init(sw_pbt_index *x, const sw_sweep_spec *spec, const char *dir)
{
    memset(x, 0, sizeof *x);
    sw_pbt_lineage L;
    int rc = sw_pbt_lineage_read(spec, dir, &L);
    int n = L.population, d = L.n_dims, rows = rc ? 0 : (L.generations - 1) * n;
    size_t cr = (size_t)(rows ? rows : 1), cd = (size_t)(d ? d : 1);
    x->generation = malloc(cr * sizeof *x->generation), x->epoch = malloc(cr * sizeof *x->epoch);
    x->member = malloc(cr * sizeof *x->member), x->rank = malloc(cr * sizeof *x->rank);
    x->donor = malloc(cr * sizeof *x->donor), x->metric = malloc(cr * sizeof *x->metric);
    x->old_values = malloc(cr * cd * sizeof *x->old_values), x->new_values = malloc(cr * cd * sizeof *x->new_values);
    x->keys = malloc(cd * sizeof *x->keys), x->run_ids = malloc((size_t)(n ? n : 1) * sizeof *x->run_ids);
    if (!rc && (!x->generation || !x->epoch || !x->member || !x->rank || !x->donor || !x->metric ||
                !x->old_values || !x->new_values || !x->keys || !x->run_ids))
        rc = SW_ENOMEM;
    for (int k = 0; !rc && k < d; k++) x->keys[k] = spec->pbt_key[k]->key;
    for (int m = 0; !rc && m < n; m++) x->run_ids[m] = spec->runs[m].id;
    for (int g = 1, r = 0; !rc && g < L.generations; g++)
        for (int m = 0; m < n; m++, r++) {
            const sw_pbt_move *mv = &L.moves[(size_t)g * n + m];
            x->generation[r] = g, x->epoch[r] = L.barrier[g - 1], x->member[r] = m;
            x->rank[r] = mv->rank, x->donor[r] = mv->donor, x->metric[r] = mv->metric;
            key_values(spec, d, &L.values[((size_t)(g - 1) * n + m) * d], &x->old_values[(size_t)r * d]);
            key_values(spec, d, &L.values[((size_t)g * n + m) * d], &x->new_values[(size_t)r * d]);
        }
    if (!rc) {
        const sw_search_config *c = &spec->search;
        x->index = (sw_index_pbt){n, c->interval, L.n_barriers, c->quantile, c->resample, c->factors,
                                  (long long)c->seed, sw_stop_metric_name(spec->stop.metric), spec->stop_mode, d,
                                  x->keys, rows, x->generation, x->epoch, x->member, x->rank, x->donor, x->metric,
                                  x->old_values, x->new_values, x->run_ids};
    }
    sw_pbt_lineage_free(&L);
    return rc;
}
