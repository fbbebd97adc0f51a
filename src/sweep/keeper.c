/* keeper.c: DIR/sweep.h5 kept current while a sweep runs (see keeper.h). */
#define _POSIX_C_SOURCE 200809L
#include "keeper.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "outdir.h"
#include "pbtrun.h"

/* ---- /search ---------------------------------------------------------------------------- */

void sw_search_index_free(sw_search_index *x)
{
    if (!x) return;
    free(x->round), free(x->first_run), free(x->n_runs), free(x->origin), free(x->score);
    memset(x, 0, sizeof *x);
}

int sw_search_index_init(sw_search_index *x, const sw_sweep_spec *spec)
{
    memset(x, 0, sizeof *x);
    const sw_search_config *c = &spec->search;
    if (c->kind == SW_SEARCH_GRID) return SW_OK;
    size_t n = (size_t)(spec->n_points ? spec->n_points : 1);
    x->round = malloc(n * sizeof *x->round), x->first_run = malloc(n * sizeof *x->first_run);
    x->n_runs = malloc(n * sizeof *x->n_runs), x->origin = malloc(n * sizeof *x->origin);
    x->score = malloc(n * sizeof *x->score);
    if (!x->round || !x->first_run || !x->n_runs || !x->origin || !x->score) {
        sw_search_index_free(x);
        return SW_ENOMEM;
    }
    for (int k = 0; k < spec->n_points; k++) {
        const sw_search_point *p = &spec->points[k];
        x->round[k] = p->round, x->first_run[k] = p->first_run, x->n_runs[k] = p->n_runs;
        x->origin[k] = sw_point_origin_name(p->origin), x->score[k] = p->score;
    }
    bool tpe = c->kind == SW_SEARCH_TPE;
    x->active = true;
    x->s = (sw_index_search){sw_search_keys[0].choices[c->kind], c->samples, tpe ? c->startup : 0,
                             tpe ? c->batch : 0, spec->n_rounds, spec->rounds_known, (long long)c->seed,
                             c->digital_shift, spec->search_metric.name ? spec->search_metric.name : "",
                             spec->search_metric.mode, spec->n_points, x->round, x->origin, x->score, x->first_run,
                             x->n_runs, spec->n_space_keys};
    return SW_OK;
}

/* Sets up *ix for spec's runs (no write yet; the resume scan fills the cache). Returns
 * SW_OK or SW_ENOMEM; sw_index_keeper_free either way. */
int sw_index_keeper_init(index_keeper *ix, const sw_sweep_spec *spec, const char *dir)
{
    memset(ix, 0, sizeof *ix);
    ix->spec = spec;
    ix->dir = dir;
    ix->ids = calloc((size_t)spec->n_runs, sizeof *ix->ids);
    ix->configs = calloc((size_t)spec->n_runs, sizeof *ix->configs);
    ix->cache = sw_index_cache_create(spec->n_runs); /* so that each run file is read once */
    if (!ix->ids || !ix->configs || !ix->cache) return SW_ENOMEM;
    for (int i = 0; i < spec->n_runs; i++) ix->ids[i] = spec->runs[i].id, ix->configs[i] = spec->runs[i].cfg;
    return sw_search_index_init(&ix->search, spec);
}

/* NULL-tolerant, as is every field. */
void sw_index_keeper_free(index_keeper *ix)
{
    if (!ix) return;
    sw_index_cache_free(ix->cache);
    free(ix->ids);
    free(ix->configs);
    sw_search_index_free(&ix->search);
    memset(ix, 0, sizeof *ix);
}

/* Writes the index now, noting when and how long it took. */
static int index_write(index_keeper *ix, char *err, size_t errlen)
{
    const sw_sweep_spec *spec = ix->spec;
    sw_index_spec s = {0};
    s.sweep_name = spec->name;
    s.config_text = spec->text;
    s.run_ids = ix->ids;
    s.n_runs = spec->n_runs;
    s.swept_keys = spec->n_swept ? (const char *const *)spec->swept_keys : NULL;
    s.n_swept = spec->n_swept;
    s.configs = ix->configs;
    s.cache = ix->cache;
    s.decisions = ix->decisions;
    s.search = ix->search.active ? &ix->search.s : NULL;
    double t0 = sw_now();
    sw_pbt_index pbt = {0};
    if (spec->search.kind == SW_SEARCH_PBT) { /* decided again from the members' files */
        if (sw_pbt_index_init(&pbt, spec, ix->dir)) {
            sw_pbt_index_free(&pbt);
            snprintf(err, errlen, "%s: out of memory", ix->dir);
            return SW_ENOMEM;
        }
        s.pbt = &pbt.index;
    }
    int lock = sw_outdir_index_lock(ix->dir, err, errlen); /* shards of this sweep write it too */
    int rc = lock < 0 ? lock : sw_h5_write_index(ix->dir, &s, err, errlen);
    if (lock >= 0) sw_outdir_index_unlock(lock);
    sw_pbt_index_free(&pbt);
    if (rc && lock < 0) return rc;
    ix->written_at = sw_now();
    ix->cost = ix->written_at - t0;
    return rc;
}

/* The first write, before any run: its failure is the sweep's error. */
int sw_index_keeper_first(index_keeper *ix, char *err, size_t errlen)
{
    return index_write(ix, err, errlen);
}

/* The index is rewritten after every finished run, except that when runs finish faster
 * than it can be written (thousands of tiny runs: a write of n rows costs O(n)), a write
 * waits until ten times the last write's duration has passed, so the index never costs
 * more than about a tenth of the sweep. It is always rewritten when the sweep ends. */
#define SW_INDEX_MAX_SHARE 0.1

/* After a finished run (caller serialises): a failure is kept for sw_index_keeper_last. */
void sw_index_keeper_after_run(index_keeper *ix)
{
    if (sw_now() - ix->written_at < ix->cost / SW_INDEX_MAX_SHARE) return;
    char ierr[512];
    int irc = index_write(ix, ierr, sizeof ierr);
    if (irc && ix->rc == SW_OK) {
        ix->rc = irc;
        snprintf(ix->err, sizeof ix->err, "%s", ierr);
    }
}

/* The index once more, so it is current whatever happened; reports this write's failure
 * or else an earlier one. */
int sw_index_keeper_last(index_keeper *ix, char *err, size_t errlen)
{
    char ierr[512];
    int irc = index_write(ix, ierr, sizeof ierr);
    if (!irc && !ix->rc) return SW_OK;
    snprintf(err, errlen, "%s", irc ? ierr : ix->err); /* names the index's path */
    return irc ? irc : ix->rc;
}
