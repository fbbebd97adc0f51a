/* index.h: DIR/sweep.h5, the index of a sweep's output directory: one row per run (its
 * status, swept values and best-epoch summary, read from its file), external links to the
 * run files, the config's text, the early-stopping decisions (/decisions) and a sampled
 * search's points (/search). The layout
 * is a public contract, documented in docs/hdf5-layout.md. It is written atomically, as
 * run files are (h5write.h), and rewritten after every finished run. */
#ifndef SWEEP_INDEX_H
#define SWEEP_INDEX_H

#include <stdbool.h>
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
    bool rounds;                    /* a tpe search: rows carry their round (rows[i].group) */
} sw_index_decisions;

/* A sampled search's points, for the index's /search group (docs/hdf5-layout.md): its
 * settings, and per point (in the order the points were chosen) its round, how it was
 * chosen, its l/g score and its runs (rows of /table, whose summaries give its metric). */
typedef struct {
    const char *kind;              /* random, sobol, tpe */
    int samples, startup, batch;   /* startup, batch: tpe's (0 otherwise) */
    int rounds, rounds_known;      /* of the whole search; whose points are known */
    long long seed;
    bool digital_shift;
    const char *metric;            /* the runs' selection metric ("" when they differ) */
    sw_metric_mode mode;
    int n_points;
    const int *round;              /* (n_points) */
    const char *const *origin;     /* (n_points) random, sobol, tpe, fallback */
    const double *score;           /* (n_points) log l - log g; NaN but for tpe's model points */
    const int *first_run, *n_runs; /* (n_points) its rows of /table: run_ids[first_run ..] */
    int n_keys;                    /* the first n_keys swept keys are the space's */
} sw_index_search;

/* What the sweep index is made of. Rows come from the run files present in dir. */
/* A pbt search's decisions (/pbt): one row per member at each barrier decided, in
 * generation then member order. Written by the sweep's pbtrun.h (sw_pbt_index_init). */
typedef struct {
    int population, interval, n_generations; /* n_generations: train.epochs' (barriers + 1) */
    double quantile, resample;
    const char *factors;           /* as written, "[0.8, 1.2]" */
    long long seed;
    const char *metric;            /* the selection metric ranked */
    sw_metric_mode mode;
    int n_keys;
    const char *const *keys;       /* the space's keys */
    int n_rows;
    const int32_t *generation, *epoch, *member, *rank, *donor; /* (n_rows); donor -1: none */
    const double *metric_value;    /* (n_rows) */
    const double *old_values, *new_values; /* (n_rows, n_keys) before and after the barrier */
    const char *const *run_ids;    /* (population) member -> run id */
} sw_index_pbt;

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
    /* Optional (NULL: not a sampled search; used only with run_ids): written as /search. */
    const sw_index_search *search;
    /* Optional (NULL: not a pbt search): written as /pbt. */
    const sw_index_pbt *pbt;
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
    int32_t *round;    /* (n) a tpe search's round of the run; NULL in other sweeps */
} sw_decisions;

/* Reads /decisions of DIR/sweep.h5 into *out (initialised here; release it with
 * sw_decisions_free whatever the return). Returns SW_OK; SW_ENOTFOUND when there is no
 * readable index or it has no /decisions (a sweep without early stopping); SW_EFORMAT when
 * /decisions is malformed (a missing column, columns of different lengths; reason in
 * err); SW_ENOMEM. Reads only; thread-safe. */
int sw_h5_read_decisions(const char *dir, sw_decisions *out, char *err, size_t errlen);

/* Frees what *d owns; NULL-tolerant; leaves *d zeroed. */
void sw_decisions_free(sw_decisions *d);

/* ---- a sampled search's points: /search of the index ------------------------------------ */

/* /search of DIR/sweep.h5 as read back (the columns summaries and reports need). Every
 * pointer is owned by the struct (sw_search_table_free). */
typedef struct {
    char kind[16];     /* random, sobol, tpe */
    char metric[16];   /* the points' metric ("" when the runs' differ) */
    int mode;          /* sw_metric_mode */
    int samples, rounds, rounds_known, startup, batch;
    int n;             /* points known */
    int32_t *round;    /* (n) */
    double *metric_of; /* (n) the point's metric; NaN while pending */
    double *best_so_far; /* (n) */
    double *score;     /* (n) */
    char **origin;     /* (n) */
    char **status;     /* (n) done, stopped, diverged, pending, excluded */
} sw_search_table;

/* Reads /search of DIR/sweep.h5 into *out (initialised here; sw_search_table_free whatever
 * the return). Returns SW_OK; SW_ENOTFOUND when there is no readable index or no /search;
 * SW_EFORMAT (reason in err) when /search is malformed; SW_ENOMEM. */
int sw_h5_read_search(const char *dir, sw_search_table *out, char *err, size_t errlen);

/* NULL-tolerant; leaves *t zeroed. */
void sw_search_table_free(sw_search_table *t);

#endif
