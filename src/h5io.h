/* h5io.h: the HDF5 files a sweep writes: one file per run, and the sweep index.
 *
 * The layout is a public contract, documented path by path in docs/hdf5-layout.md.
 * Every file is built in memory and written under a temporary name in the same directory,
 * fsync'ed and renamed (atomicio.h), so a file under its final name is always complete and
 * a failed write (a full disk) leaves nothing behind. Run files carry a Fletcher-32
 * checksum on every array; one counts as complete only when it reads through
 * (sw_h5_verify_run), which also finds files damaged after they were written.
 *
 * Thread safety: the HDF5 library must be the thread-safe build (checked by sw_h5_init);
 * the high-level H5LT/H5DS calls are serialised by a lock inside this module. Call
 * sw_h5_init() once from the main thread before anything else here. */
#ifndef SWEEP_H5IO_H
#define SWEEP_H5IO_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "stopping.h"
#include "train.h"

/* Checks H5is_library_threadsafe() and turns HDF5's own error printing off.
 * Returns SW_OK, or SW_EHDF5 with a message in err when the library is not thread-safe. */
int sw_h5_init(char *err, size_t errlen);

/* What a run file records besides the result. */
typedef struct {
    const char *run_id;       /* also the file name: DIR/<run_id>.h5 */
    const char *sweep_name;
    const char *const *swept_keys; /* dotted keys varied by the sweep (stored in the file,
                                      so an index can be rebuilt from run files alone) */
    int n_swept;
} sw_run_meta;

/* Writes DIR/<run_id>.h5 atomically from a finished (done, diverged, failed or stopped) run.
 * Returns SW_OK or a negative code with a message in err; on error nothing is left
 * under the final name (and the temporary is removed). Thread-safe. */
int sw_h5_write_run(const char *dir, const sw_run_meta *meta, const sw_config *cfg,
                    const sw_run_result *result, char *err, size_t errlen);

/* Reads the run file at PATH through (sw_h5_read_run with SW_READ_VERIFY): SW_OK when it
 * is complete, with its status in *status (may be NULL); SW_ENOTFOUND when there is no
 * such file; SW_EFORMAT when it is damaged, truncated, empty, foreign or a temporary, the
 * reason in err ("DIR/x.h5: /history/test_acc has shape [3,7]; its config implies [2]");
 * SW_ENOMEM. Thread-safe. */
int sw_h5_verify_run(const char *path, sw_run_status *status, char *err, size_t errlen);

/* For modules that call HDF5 themselves (checkpoint.c): turns off HDF5's own printing of
 * its error stack for the calling thread (it is per thread in the thread-safe build). */
void sw_h5_quiet(void);

/* The first line of the innermost message on the calling thread's HDF5 error stack (or
 * "") into buf, then clears the stack. */
void sw_h5_detail(char buf[200]);

/* 1 when sw_h5_verify_run(PATH) is SW_OK, 0 otherwise. */
int sw_h5_run_is_complete(const char *path);

/* Removes temporaries left in DIR by an interrupted or killed writer. Returns the
 * number removed, or a negative code. */
int sw_h5_remove_temporaries(const char *dir);

/* Summaries of complete run files kept between index writes by one writer (one thread
 * at a time). A cached row is re-read when its file is replaced or removed. */
typedef struct sw_index_cache sw_index_cache;

/* A cache for an index of n_runs runs (run_ids order); NULL when out of memory. */
sw_index_cache *sw_index_cache_create(int n_runs);

/* Frees the cache and every summary in it; NULL is accepted. */
void sw_index_cache_free(sw_index_cache *cache);

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
} sw_index_spec;

/* (Re)writes DIR/sweep.h5 atomically: /runs/<id> external links, /table columns, root
 * attributes, /decisions (spec->decisions). Runs in the list without a complete file appear with status "pending".
 * Thread-safe; call it from one thread at a time. */
int sw_h5_write_index(const char *dir, const sw_index_spec *spec, char *err, size_t errlen);

/* ---- reading run files (summaries, the index, tests) ------------------------------ */

/* What to read besides the root attributes, /config and /summary (always read). */
enum {
    SW_READ_HISTORY = 1,   /* /history into `history` */
    SW_READ_GRADIENTS = 2, /* /gradients/epoch and /gradients/dloss_dh_norm */
    /* Read the file through first: every array and attribute of the run record a file of
     * its status holds (record.c's table; rows added later may be absent), each array with
     * the shape its /config and /summary/epochs_completed imply and every byte of it
     * readable (run files written since the checksum have Fletcher-32 on every array, so
     * damaged data is found as well as damaged metadata), and every /config value of its
     * key's type and range. A file that fails is SW_EFORMAT, the reason in err. */
    SW_READ_VERIFY = 4
};

/* One run file as read back. Every pointer is owned by the struct (sw_run_file_free). */
typedef struct {
    char *path;
    char *run_id, *sweep, *error, *created, *program_version, *config_text;
    sw_run_status status;   /* SW_RUN_STATUS_COUNT when the file's status is not known */
    sw_config config;       /* from the /config attributes; defaults for keys the file lacks */
    int config_missing;     /* number of schema keys absent from /config */
    char config_bad[320];   /* "" or why the first /config key that is present but unusable
                               (unreadable, of the wrong type, out of its range) is; such a
                               key keeps its default */
    char **swept_keys;      /* root attribute swept_keys */
    int n_swept;
    double wall_seconds;
    /* /summary; accuracies and losses are NaN when no epoch completed */
    int epochs, epochs_planned, best_epoch;
    double best_test_acc, best_test_loss, final_test_acc, final_train_acc;
    long long param_count;
    /* What best_epoch was chosen by: /summary metric ("test_acc" or "test_loss") and
     * metric_mode (0 max, 1 min: task.h's sw_metric_mode), and its value there; files from
     * before these attributes get their task's metric (test_acc / max for classification). */
    char metric[16];
    int metric_mode;
    double best_metric;
    /* ||dl/dh_1|| / ||dl/dh_T|| of the last layer at the last recorded epoch, from
     * /gradients/dloss_dh_norm (always read; NaN when the file has no gradient record) */
    double vanishing_ratio;
    /* ||dl/dx_1|| / ||dl/dx_T||, the gradient reaching the input, at the last recorded epoch,
     * from /gradients/dloss_dx_norm (always read; NaN when the file has none: older files) */
    double input_ratio;
    /* SW_READ_HISTORY: `epochs` entries per array (one block, owned) */
    sw_history history;
    /* SW_READ_GRADIENTS */
    int grad_records, grad_layers, grad_steps; /* R, L, T */
    int32_t *grad_epoch;    /* (R) */
    float *dloss_dh_norm;   /* (R,L,T) */
} sw_run_file;

/* Reads the run file at PATH (what: SW_READ_* bits) into *out, which
 * is initialised here and released with sw_run_file_free() whatever the return value.
 * Returns SW_OK, SW_ENOTFOUND (no such file), SW_EFORMAT (not a sweep run file, or a
 * contract path is missing or malformed), SW_ENOMEM; message in err. Thread-safe. */
int sw_h5_read_run(const char *path, unsigned what, sw_run_file *out, char *err, size_t errlen);

/* Frees what *f owns; NULL-tolerant; leaves *f zeroed. */
void sw_run_file_free(sw_run_file *f);

/* Keeps *file, run i's summary just read and verified from PATH (sw_h5_read_run with
 * SW_READ_VERIFY, without history or gradients), for the next index write, which then
 * does not read the file again while it is unchanged. Takes *file over (it is zeroed, or
 * freed when the cache cannot take it). */
void sw_index_cache_put(sw_index_cache *cache, int i, const char *path, sw_run_file *file);

/* Lists the run files of DIR (names ending in ".h5", except sweep.h5 and hidden
 * temporaries), sorted by name, into a newly allocated array of malloc'ed names (not
 * paths) the caller frees with sw_h5_free_names. Returns the count or a negative code. */
int sw_h5_list_runs(const char *dir, char ***names);
void sw_h5_free_names(char **names, int n);

/* Reads /table/run_id of DIR/sweep.h5 (the grid order of the sweep) into a newly
 * allocated array of malloc'ed ids (free with sw_h5_free_names). Returns the count, or a
 * negative code when there is no readable index. */
int sw_h5_read_index_order(const char *dir, char ***run_ids);

/* SHA-256 of `len` bytes as 64 lowercase hex digits plus NUL (the index's config hash,
 * comparable with `sha256sum`). */
void sw_sha256_hex(const void *data, size_t len, char out[65]);

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
