/* keeper.h: DIR/sweep.h5 kept current while a sweep runs, by rank 0 (or a lone process):
 * written before the first run, after every finished run (unless runs finish faster than it
 * can be written: keeper.c), and when the sweep ends. Writers of the index take turns
 * (outdir.h's lock). */
#ifndef SWEEP_KEEPER_H
#define SWEEP_KEEPER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "index.h"
#include "plan.h"

/* /search of the index for spec's points: s points into arrays owned by the struct, and
 * into spec (borrowed, kept while it lives). A spec without a sampled search leaves active
 * false. */
typedef struct {
    bool active;
    sw_index_search s;
    int *round, *first_run, *n_runs;
    const char **origin;
    double *score;
} sw_search_index;

/* Fills *x for spec. Returns SW_OK or SW_ENOMEM (then x is empty); sw_search_index_free
 * either way. */
int sw_search_index_init(sw_search_index *x, const sw_sweep_spec *spec);

/* NULL-tolerant; leaves x empty. */
void sw_search_index_free(sw_search_index *x);

/* DIR/sweep.h5, kept by rank 0 (or a lone process). */
typedef struct {
    const sw_sweep_spec *spec;
    const char *dir;
    const char **ids;
    sw_config *configs;
    sw_index_cache *cache; /* so that each run file is read once, not at every write */
    double written_at;     /* sw_now() after the last write */
    double cost;           /* seconds the last write took */
    int rc;                /* the first failed write after the first one, with its message */
    char err[512];
    const sw_index_decisions *decisions; /* early stopping's (NULL without) */
    sw_search_index search; /* a sampled search's points (/search) */
} index_keeper;

/* Sets up *ix for spec's runs in DIR (no write yet; the resume scan fills the cache).
 * Returns SW_OK or SW_ENOMEM; sw_index_keeper_free either way. */
int sw_index_keeper_init(index_keeper *ix, const sw_sweep_spec *spec, const char *dir);

/* Frees what ix owns; NULL-tolerant fields. */
void sw_index_keeper_free(index_keeper *ix);

/* The first write, before any run: its failure is the sweep's error (message in err). */
int sw_index_keeper_first(index_keeper *ix, char *err, size_t errlen);

/* After a finished run (the caller serialises): a write, unless the last one is too recent
 * for what it cost; a failure is kept for sw_index_keeper_last. */
void sw_index_keeper_after_run(index_keeper *ix);

/* The index once more, so it is current whatever happened: this write's failure, or else
 * an earlier one (message in err); SW_OK when none failed. */
int sw_index_keeper_last(index_keeper *ix, char *err, size_t errlen);

#endif
