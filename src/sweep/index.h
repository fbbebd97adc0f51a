/* index.h: DIR/sweep.h5, the index of a sweep's output directory: one row per run (its
 * status, swept values and best-epoch summary, read from its file), external links to the
 * run files, the config's text, and the early-stopping decisions (/decisions). The layout
 * is a public contract, documented in docs/hdf5-layout.md. It is written atomically, as
 * run files are (h5write.h), and rewritten after every finished run. */
#ifndef SWEEP_INDEX_H
#define SWEEP_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "runfile.h"
#include "stopping.h"

/* Summaries of complete run files kept between index writes by one writer (one thread
 * at a time). A cached row is re-read when its file is replaced or removed. */
typedef struct sw_index_cache sw_index_cache;

/* A cache for an index of n_runs runs (run_ids order); NULL when out of memory. */
sw_index_cache *sw_index_cache_create(int n_runs);

/* Frees the cache and every summary in it; NULL is accepted. */
void sw_index_cache_free(sw_index_cache *cache);

/* Keeps *file, run i's summary just read and verified from PATH (sw_h5_read_run with
 * SW_READ_VERIFY, without history or gradients), for the next index write, which then
 * does not read the file again while it is unchanged. Takes *file over (it is zeroed, or
 * freed when the cache cannot take it). */
void sw_index_cache_put(sw_index_cache *cache, int i, const char *path, sw_run_file *file);

/* The early-stopping decisions of a sweep, for the index's /decisions group. */
typedef struct {
    sw_stop_kind kind;
    sw_stop_metric metric;          /* resolved (not auto) */
    int eta, min_epochs;
    const sw_stop_decision *rows;   /* by bracket, rung and run id (sw_stop_evaluate's order) */
    int n_rows;
    const char *const *run_ids;     /* rows[i].run indexes this */
    sw_stop_by by;                  /* what the rule ranked (attribute `by`) */
} sw_index_decisions;

/* What the sweep index is made of. Rows come from the run files present in dir. */
typedef struct {
    const char *sweep_name;
    const char *config_text;       /* the config file's text (NULL when unknown) */
    const char *const *run_ids;    /* the runs in grid order; NULL: every run file in dir */
    int n_runs;
    const char *const *swept_keys; /* table columns; NULL: taken from the run files */
    int n_swept;
    /* Optional (may be NULL): each listed run's resolved config, parallel to run_ids, so
     * that pending rows (no complete file yet) still show their swept values. Without it
     * pending rows hold empty strings / NaN / 0 in the swept-key columns. */
    const sw_config *configs;
    /* Optional (may be NULL; used only with run_ids): summaries kept from earlier writes,
     * parallel to run_ids. With it each complete run file is read once, not at every
     * write, so rewriting the index after each of n runs reads O(n) files, not O(n^2). */
    sw_index_cache *cache;
    /* Optional (may be NULL): one line per run whose file is present but does not verify
     * (the reason; the row says "unreadable"). */
    FILE *diag;
    /* Optional (NULL: a sweep without early stopping): written as /decisions, and the root
     * attribute runs_stopped with it. */
    const sw_index_decisions *decisions;
} sw_index_spec;

/* (Re)writes DIR/sweep.h5 atomically: /runs/<id> external links, /table columns, root
 * attributes, /decisions (spec->decisions). Runs in the list without a complete file appear with status "pending".
 * Thread-safe; call it from one thread at a time. */
int sw_h5_write_index(const char *dir, const sw_index_spec *spec, char *err, size_t errlen);

/* Reads /table/run_id of DIR/sweep.h5 (the grid order of the sweep) into a newly
 * allocated array of malloc'ed ids (free with sw_h5_free_names, h5read.h). Returns the count, or a
 * negative code when there is no readable index. */
int sw_h5_read_index_order(const char *dir, char ***run_ids);

/* ---- early-stopping decisions: /decisions of the index -------------------------------- */

/* The decisions an early-stopping sweep made at its rung barriers, as DIR/sweep.h5 keeps
 * them under /decisions (docs/hdf5-layout.md): one row per (bracket, rung, run), in that
 * order. Every pointer is owned by the struct (sw_decisions_free). */
typedef struct {
    char kind[16];     /* sha, hyperband, median */
    char metric[16];   /* what the rungs compare, e.g. val_acc */
    int eta, min_epochs;
    int n;             /* rows */
    int32_t *bracket;  /* (n) from 0; 0 except in hyperband */
    int32_t *rung;     /* (n) from 0 */
    int32_t *epoch;    /* (n) the rung's epoch */
    char **run;        /* (n) run ids */
    double *value;     /* (n) the metric ranked at that epoch (by configuration: its configuration's) */
    double *cutoff;    /* (n) the rung's cutoff; NaN when nobody was promoted */
    int8_t *promoted;  /* (n) 1 promoted, 0 stopped there */
    char by[16];       /* configuration or run ("run" in indexes from before stop.by) */
    int32_t *configuration; /* (n) the run's configuration; NULL in indexes from before stop.by */
    double *run_value; /* (n) the run's own metric; NULL in indexes from before stop.by */
} sw_decisions;

/* Reads /decisions of DIR/sweep.h5 into *out (initialised here; release it with
 * sw_decisions_free whatever the return). Returns SW_OK; SW_ENOTFOUND when there is no
 * readable index or it has no /decisions (a sweep without early stopping); SW_EFORMAT when
 * /decisions is malformed (a missing column, columns of different lengths; reason in
 * err); SW_ENOMEM. Reads only; thread-safe. */
int sw_h5_read_decisions(const char *dir, sw_decisions *out, char *err, size_t errlen);

/* Frees what *d owns; NULL-tolerant; leaves *d zeroed. */
void sw_decisions_free(sw_decisions *d);

#endif
