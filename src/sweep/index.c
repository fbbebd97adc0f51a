/* index.c: DIR/sweep.h5, the sweep's index (see index.h and docs/hdf5-layout.md): written
 * from the run files present (through h5write.c, atomically, as run files are) and read
 * back in part (the grid order, the early-stopping decisions). */
#define _POSIX_C_SOURCE 200809L
#include "index.h"

#include <hdf5.h>

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "h5read.h"
#include "h5write.h"
#include "hash.h"
#include "runwrite.h"
#include "plan.h"
#include "tpe.h"
#include "version.h"

#define INDEX_FORMAT "sweep-index"
#define INDEX_FORMAT_VERSION 1

/* ---- the cache of run summaries -------------------------------------------------------- */

typedef struct {
    int valid;
    sw_run_file file;      /* summary only (sw_h5_read_run flags 0) */
    struct timespec mtime; /* the file as it was read: a change means it was replaced */
    off_t size;
    ino_t ino;
} index_cache_entry;

struct sw_index_cache {
    int n;
    index_cache_entry *rows;
};

sw_index_cache *sw_index_cache_create(int n_runs)
{
    if (n_runs < 0) return NULL;
    sw_index_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->n = n_runs;
    c->rows = calloc((size_t)(n_runs ? n_runs : 1), sizeof *c->rows);
    if (!c->rows) {
        free(c);
        return NULL;
    }
    return c;
}

void sw_index_cache_free(sw_index_cache *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) sw_run_file_free(&c->rows[i].file);
    free(c->rows);
    free(c);
}

/* The entry takes *file over (zeroed here), as the file at `st` was. */
static void cache_take(index_cache_entry *e, sw_run_file *file, const struct stat *st)
{
    sw_run_file_free(&e->file);
    e->file = *file;
    memset(file, 0, sizeof *file);
    e->valid = 1;
    e->mtime = st->st_mtim;
    e->size = st->st_size;
    e->ino = st->st_ino;
}

void sw_index_cache_put(sw_index_cache *c, int i, const char *path, sw_run_file *file)
{
    struct stat st;
    if (c && i >= 0 && i < c->n && file->status < SW_RUN_STATUS_COUNT && stat(path, &st) == 0)
        cache_take(&c->rows[i], file, &st);
    else
        sw_run_file_free(file);
}

/* Run files are replaced by rename, never rewritten in place: a new inode, and a new
 * mtime and size, say the cached summary is stale. */
static bool same_file_state(const index_cache_entry *e, const struct stat *st)
{
    return e->ino == st->st_ino && e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
           e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* ---- writing the index ------------------------------------------------------------------ */

typedef struct {
    const char *id;
    int have;          /* 1: a complete file was read into `file` */
    int unreadable;    /* a file is under the final name but could not be read */
    sw_run_file own;   /* read for this write only (no cache, or a row the cache lacks) */
    const sw_run_file *file; /* &own or a cache entry; valid when have */
    const sw_config *cfg; /* where the swept values come from, NULL when unknown */
} index_row;

/* Column buffers of the index table, one value per row. */
typedef struct {
    int n;
    hsize_t dims[1];
    hid_t st, bt;       /* string and bool types */
    const char **strs;
    char **owned;       /* strings of strs this writer allocated */
    int64_t *ints;
    double *dbls;
    int8_t *bools;
} table_cols;

static void free_owned(table_cols *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->owned[i]);
        c->owned[i] = NULL;
    }
}

/* run_id, status and path. */
static void write_id_columns(sw_h5w *w, hid_t g, const index_row *rows, table_cols *c)
{
    int n = c->n;
    for (int i = 0; i < n; i++) c->strs[i] = rows[i].id;
    sw_h5w_array(w, g, "run_id", c->st, c->st, 1, c->dims, c->strs, "run id (file name without .h5)");
    for (int i = 0; i < n; i++)
        c->strs[i] = rows[i].have ? sw_run_status_name(rows[i].file->status)
                                  : rows[i].unreadable ? "unreadable" : "pending";
    /* the long_name predates status stopped (early stopping): kept, so that an index is
     * the same bytes as before for sweeps without stop: */
    sw_h5w_array(w, g, "status", c->st, c->st, 1, c->dims, c->strs, "done | diverged | failed | pending | unreadable");
    for (int i = 0; i < n && !w->rc; i++) {
        if (rows[i].have) {
            size_t len = strlen(rows[i].id) + 4;
            if (!(c->owned[i] = malloc(len))) {
                sw_h5w_fail(w, SW_ENOMEM, "out of memory");
                break;
            }
            snprintf(c->owned[i], len, "%s.h5", rows[i].id);
        }
        c->strs[i] = c->owned[i] ? c->owned[i] : "";
    }
    sw_h5w_array(w, g, "path", c->st, c->st, 1, c->dims, c->strs, "run file, relative to this file's directory");
    free_owned(c);
}

/* The column of one swept key, typed like the key (lists and choices as text). */
static void write_key_column(sw_h5w *w, hid_t g, const index_row *rows, table_cols *c, const sw_key_info *k)
{
    for (int i = 0; i < c->n && !w->rc; i++) {
        const sw_config *cfg = rows[i].cfg;
        switch (k->type) {
        case SW_TYPE_INT:
        case SW_TYPE_INT64: c->ints[i] = cfg ? sw_config_get_int(cfg, k) : 0; break;
        case SW_TYPE_FLOAT: c->dbls[i] = cfg ? sw_config_get_float(cfg, k) : NAN; break;
        case SW_TYPE_BOOL: c->bools[i] = cfg ? sw_config_get_int(cfg, k) != 0 : 0; break;
        default: {
            char text[SW_MAX_PATH + 8] = "";
            if (cfg && k->type == SW_TYPE_STRING)
                snprintf(text, sizeof text, "%s", sw_config_get_string(cfg, k));
            else if (cfg)
                sw_config_format(cfg, k, text, sizeof text);
            if (!(c->owned[i] = strdup(text))) sw_h5w_fail(w, SW_ENOMEM, "out of memory");
            c->strs[i] = c->owned[i];
        }
        }
    }
    switch (k->type) {
    case SW_TYPE_INT:
    case SW_TYPE_INT64: sw_h5w_array(w, g, k->key, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->dims, c->ints, k->doc); break;
    case SW_TYPE_FLOAT: sw_h5w_array(w, g, k->key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c->dims, c->dbls, k->doc); break;
    case SW_TYPE_BOOL: sw_h5w_array(w, g, k->key, c->bt, c->bt, 1, c->dims, c->bools, k->doc); break;
    default: sw_h5w_array(w, g, k->key, c->st, c->st, 1, c->dims, c->strs, k->doc);
    }
    free_owned(c);
}

/* The summary columns; NaN / 0 for runs without a readable file. */
static void write_summary_columns(sw_h5w *w, hid_t g, const index_row *rows, table_cols *c)
{
    struct {
        const char *name, *long_name;
        size_t off;
    } dcols[] = {
        {"best_test_acc", "test accuracy at best_epoch (fraction); NaN when unknown", offsetof(sw_run_file, best_test_acc)},
        {"best_metric", "the run's selection metric (its file's /summary metric) at best_epoch; NaN when unknown",
         offsetof(sw_run_file, best_metric)},
        {"final_test_acc", "test accuracy after the last epoch (fraction)", offsetof(sw_run_file, final_test_acc)},
        {"final_train_acc", "training accuracy of the last epoch (fraction)", offsetof(sw_run_file, final_train_acc)},
        {"wall_seconds", "wall seconds of the whole run", offsetof(sw_run_file, wall_seconds)},
    };
    for (size_t k = 0; k < SW_ARRAY_LEN(dcols) && !w->rc; k++) {
        for (int i = 0; i < c->n; i++)
            c->dbls[i] = rows[i].have ? *(const double *)((const char *)rows[i].file + dcols[k].off) : NAN;
        sw_h5w_array(w, g, dcols[k].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, c->dims, c->dbls, dcols[k].long_name);
        if (k == 0) { /* keep best_epoch beside best_test_acc */
            for (int i = 0; i < c->n; i++) c->ints[i] = rows[i].have ? rows[i].file->best_epoch : 0;
            sw_h5w_array(w, g, "best_epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->dims, c->ints,
                      "epoch of the best value of the run's metric (from 1); 0 when unknown");
        }
    }
    for (int i = 0; i < c->n; i++) c->ints[i] = rows[i].have ? rows[i].file->epochs : 0;
    sw_h5w_array(w, g, "epochs", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->dims, c->ints, "epochs completed");
}

static int write_index_table(sw_h5w *w, hid_t root, const index_row *rows, int n, const char *const *keys,
                             int nkeys)
{
    hid_t g = sw_h5w_group(w, root, "table");
    if (g < 0) return w->rc;
    size_t cn = (size_t)(n ? n : 1);
    table_cols c = {n, {(hsize_t)n}, sw_h5w_str_type(), sw_h5w_bool_type(), calloc(cn, sizeof *c.strs), calloc(cn, sizeof *c.owned),
                    calloc(cn, sizeof *c.ints), calloc(cn, sizeof *c.dbls), calloc(cn, sizeof *c.bools)};
    if (c.st < 0 || c.bt < 0 || !c.strs || !c.owned || !c.ints || !c.dbls || !c.bools) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    write_id_columns(w, g, rows, &c);
    for (int k = 0; k < nkeys && !w->rc; k++) {
        const sw_key_info *key = sw_schema_find(keys[k]);
        if (!key) {
            sw_h5w_fail(w, SW_EINVAL, "swept key '%s' is not a config key", keys[k]);
            break;
        }
        write_key_column(w, g, rows, &c, key);
    }
    write_summary_columns(w, g, rows, &c);

done:
    if (c.st >= 0) H5Tclose(c.st);
    if (c.bt >= 0) H5Tclose(c.bt);
    if (c.owned) free_owned(&c);
    free(c.strs);
    free(c.owned);
    free(c.ints);
    free(c.dbls);
    free(c.bools);
    H5Gclose(g);
    return w->rc;
}

/* Fills row i: the run's id and, when its file is complete and readable, its summary
 * (from spec->cache while the file is unchanged; a newly read one goes into the cache). */
static int collect_row(sw_h5w *w, const char *dir, const sw_index_spec *spec, char **listed, int i,
                       index_row *r)
{
    if (spec->run_ids) {
        r->id = spec->run_ids[i];
    } else {
        listed[i][strlen(listed[i]) - 3] = 0; /* strip .h5 */
        r->id = listed[i];
    }
    if (!sw_run_id_valid(r->id)) return sw_h5w_fail(w, SW_EINVAL, "invalid run id '%s'", r->id ? r->id : "(null)");
    char path[PATH_MAX], msg[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s.h5", dir, r->id);
    struct stat st;
    bool exists = stat(path, &st) == 0;
    index_cache_entry *cached = spec->cache && spec->run_ids && i < spec->cache->n ? &spec->cache->rows[i] : NULL;
    if (cached && cached->valid && !(exists && same_file_state(cached, &st))) {
        sw_run_file_free(&cached->file); /* replaced (a failed run redone) or removed */
        cached->valid = 0;
    }
    int rc = SW_ENOTFOUND;
    if (cached && cached->valid) {
        r->file = &cached->file;
    } else if (exists && (rc = sw_h5_read_run(path, SW_READ_VERIFY, &r->own, msg, sizeof msg)) == SW_OK) {
        r->file = &r->own;
        if (cached) { /* the cache takes the summary over */
            cache_take(cached, &r->own, &st);
            r->file = &cached->file;
        }
    } else {
        if (rc == SW_ENOMEM) return sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        if (exists && spec->diag) fprintf(spec->diag, "%s; listed as unreadable\n", msg);
        sw_run_file_free(&r->own);
        r->file = NULL;
    }
    r->have = r->file != NULL;
    r->unreadable = !r->have && exists;
    r->cfg = r->have ? &r->file->config : spec->configs ? &spec->configs[i] : NULL;
    return SW_OK;
}

/* The key columns: the spec's swept keys, else those of the first run file read. *keys
 * is a new array of borrowed strings (the caller frees the array). */
static int index_keys(sw_h5w *w, const sw_index_spec *spec, const index_row *rows, int n, const char ***keys,
                      int *nkeys)
{
    const char *const *from = spec->swept_keys;
    int count = spec->n_swept > 0 ? spec->n_swept : 0, found = from != NULL;
    for (int i = 0; i < n && !found; i++)
        if (rows[i].have) {
            from = (const char *const *)rows[i].file->swept_keys;
            count = rows[i].file->n_swept;
            found = 1;
        }
    *nkeys = 0;
    if (!found) return SW_OK; /* *keys stays NULL: no key columns */
    if (!(*keys = calloc((size_t)(count + 1), sizeof **keys))) return sw_h5w_fail(w, SW_ENOMEM, "out of memory");
    for (int i = 0; i < count; i++) (*keys)[(*nkeys)++] = from[i];
    for (int i = 0; i < *nkeys; i++)
        if (!sw_schema_find((*keys)[i])) return sw_h5w_fail(w, SW_EINVAL, "swept key '%s' is not a config key", (*keys)[i]);
    return SW_OK;
}

/* /pbt: the search's settings as attributes, one row per member and barrier decided in
 * parallel 1-D datasets, the keys' values before and after under old/ and new/
 * (docs/hdf5-layout.md). */
static int write_pbt(sw_h5w *w, hid_t root, const sw_index_pbt *P)
{
    hid_t g = sw_h5w_group(w, root, "pbt");
    if (g < 0) return w->rc;
    sw_h5w_attr_i64(w, g, "population", P->population);
    sw_h5w_attr_i64(w, g, "interval", P->interval);
    sw_h5w_attr_i64(w, g, "generations", P->n_generations);
    sw_h5w_attr_f64(w, g, "quantile", P->quantile);
    sw_h5w_attr_f64(w, g, "resample", P->resample);
    sw_h5w_attr_str(w, g, "factors", P->factors);
    sw_h5w_attr_i64(w, g, "seed", P->seed);
    sw_h5w_attr_str(w, g, "metric", P->metric);
    sw_h5w_attr_str(w, g, "mode", sw_metric_mode_name(P->mode));
    sw_h5w_attr_strs(w, g, "keys", P->keys, P->n_keys);
    int n = P->n_rows;
    size_t cn = (size_t)(n ? n : 1);
    hsize_t dims[1] = {(hsize_t)n};
    const char **strs = malloc(cn * sizeof *strs);
    double *dbls = malloc(cn * sizeof *dbls);
    hid_t st = sw_h5w_str_type();
    if (!strs || !dbls || st < 0) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    const struct {
        const char *name, *long_name;
        const int32_t *v;
    } icols[] = {
        {"generation", "the generation the barrier begins (from 1): its values hold from epoch + 1", P->generation},
        {"epoch", "the barrier's epoch: the metric is read there", P->epoch},
        {"member", "the member (its row of /table)", P->member},
        {"rank", "its rank by the metric there (0: best; ties by member, NaN last)", P->rank},
        {"donor", "the member whose state it continued from (-1: its own)", P->donor},
    };
    for (size_t c = 0; c < SW_ARRAY_LEN(icols); c++)
        sw_h5w_array(w, g, icols[c].name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, icols[c].v, icols[c].long_name);
    for (int i = 0; i < n; i++) strs[i] = P->run_ids[P->member[i]];
    sw_h5w_array(w, g, "run", st, st, 1, dims, strs, "the member's run id");
    for (int i = 0; i < n; i++) strs[i] = P->donor[i] >= 0 ? P->run_ids[P->donor[i]] : "";
    sw_h5w_array(w, g, "donor_run", st, st, 1, dims, strs, "the donor's run id (empty: none)");
    sw_h5w_array(w, g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, P->metric_value,
                 "the member's selection metric at the barrier (NaN: diverged)");
    const char *side[2] = {"old", "new"};
    for (int s = 0; s < 2 && !w->rc; s++) {
        hid_t sg = sw_h5w_group(w, g, side[s]);
        const double *v = s ? P->new_values : P->old_values;
        for (int k = 0; k < P->n_keys && sg >= 0; k++) {
            for (int i = 0; i < n; i++) dbls[i] = v[(size_t)i * P->n_keys + k];
            sw_h5w_array(w, sg, P->keys[k], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
                         s ? "the value it trains with after the barrier" : "the value it trained with before the barrier");
        }
        if (sg >= 0) H5Gclose(sg);
    }
done:
    if (st >= 0) H5Tclose(st);
    free(strs);
    free(dbls);
    H5Gclose(g);
    return w->rc;
}

/* /decisions: the stop settings as attributes, one row per decision in parallel 1-D
 * datasets (docs/hdf5-layout.md). */
static int write_decisions(sw_h5w *w, hid_t root, const sw_index_decisions *d)
{
    hid_t g = sw_h5w_group(w, root, "decisions");
    if (g < 0) return w->rc;
    sw_h5w_attr_str(w, g, "kind", sw_stop_kind_name(d->kind));
    sw_h5w_attr_str(w, g, "metric", sw_stop_metric_name(d->metric));
    sw_h5w_attr_i64(w, g, "eta", d->eta);
    sw_h5w_attr_i64(w, g, "min_epochs", d->min_epochs);
    sw_h5w_attr_str(w, g, "by", sw_stop_by_name(d->by));
    int n = d->n_rows;
    size_t cn = (size_t)(n ? n : 1);
    hsize_t dims[1] = {(hsize_t)n};
    int32_t *ints = malloc(cn * sizeof *ints);
    double *dbls = malloc(cn * sizeof *dbls);
    int8_t *flags = malloc(cn * sizeof *flags);
    const char **strs = malloc(cn * sizeof *strs);
    hid_t st = sw_h5w_str_type();
    if (!ints || !dbls || !flags || !strs || st < 0) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    static const struct {
        const char *name, *long_name;
        size_t off;
    } icols[] = {
        {"bracket", "hyperband bracket (0 for sha and median)", offsetof(sw_stop_decision, bracket)},
        {"rung", "rung of the decision (from 0: sha's rung k is at min_epochs * eta^k epochs)",
         offsetof(sw_stop_decision, rung)},
        {"epoch", "the rung's epoch: the decision reads the metric there", offsetof(sw_stop_decision, epoch)},
        {"configuration", "the run's configuration (from 0, in grid order): runs differing only in seed share it",
         offsetof(sw_stop_decision, config)},
    };
    for (size_t c = 0; c < SW_ARRAY_LEN(icols); c++) {
        for (int i = 0; i < n; i++) ints[i] = *(const int *)((const char *)&d->rows[i] + icols[c].off);
        sw_h5w_array(w, g, icols[c].name, H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, ints, icols[c].long_name);
    }
    if (d->rounds) {
        for (int i = 0; i < n; i++) ints[i] = d->rows[i].group;
        sw_h5w_array(w, g, "round", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, ints,
                     "a tpe search's round: each round's rungs rank its own runs");
    }
    for (int i = 0; i < n; i++) strs[i] = d->run_ids[d->rows[i].run];
    sw_h5w_array(w, g, "run", st, st, 1, dims, strs, "run id (file name without .h5)");
    for (int i = 0; i < n; i++) dbls[i] = d->rows[i].metric;
    sw_h5w_array(w, g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
              "the metric ranked at the rung (by configuration: the mean of its runs' curves; median: the best up "
              "to the rung); NaN: a run diverged before");
    for (int i = 0; i < n; i++) dbls[i] = d->rows[i].run_metric;
    sw_h5w_array(w, g, "run_metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
              "the run's own metric at the rung (median: its best up to the rung); NaN: it diverged before");
    for (int i = 0; i < n; i++) dbls[i] = d->rows[i].cutoff;
    sw_h5w_array(w, g, "cutoff", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, dbls,
              "the worst metric still promoted at the rung; NaN when none was");
    for (int i = 0; i < n; i++) flags[i] = d->rows[i].promoted ? 1 : 0;
    sw_h5w_array(w, g, "promoted", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, dims, flags, "1 promoted, 0 stopped");
done:
    if (st >= 0) H5Tclose(st);
    free(ints);
    free(dbls);
    free(flags);
    free(strs);
    H5Gclose(g);
    return w->rc;
}

/* What a point of the search came to, from the rows of its runs: "pending" while one has
 * no final file (done, diverged or stopped), else "done", "diverged" or "stopped"
 * (sw_tpe_point_result's metric); "excluded" without runs. */
static const char *point_outcome(const index_row *rows, int first, int n, sw_metric_mode mode, double *metric,
                                 int *epochs)
{
    *metric = NAN, *epochs = 0;
    if (n <= 0) return "excluded";
    sw_tpe_run *runs = malloc((size_t)n * sizeof *runs);
    if (!runs) return "pending";
    bool diverged = false;
    for (int i = 0; i < n; i++) {
        const index_row *r = &rows[first + i];
        sw_run_status st = r->have ? r->file->status : SW_RUN_STATUS_COUNT;
        runs[i] = (sw_tpe_run){st == SW_RUN_DONE || st == SW_RUN_DIVERGED || st == SW_RUN_STOPPED, st == SW_RUN_DONE,
                               r->have ? r->file->epochs : 0, r->have ? r->file->best_metric : NAN};
        diverged |= st == SW_RUN_DIVERGED;
    }
    sw_tpe_result res;
    bool known = sw_tpe_point_result(runs, n, mode, &res, metric);
    free(runs);
    if (!known) return "pending";
    *epochs = res.state == SW_TPE_DONE ? rows[first].file->epochs : res.depth;
    return res.state == SW_TPE_DONE ? "done" : diverged ? "diverged" : "stopped";
}

/* /search: the search's settings as attributes, one row per point (docs/hdf5-layout.md):
 * its number, round, origin and score, the space's values (as /table's columns of its
 * first run), its metric, epochs and status from its runs, and the best metric so far. */
static int write_search(sw_h5w *w, hid_t root, const sw_index_search *S, const index_row *rows, int n_rows,
                        const char *const *keys, int nkeys)
{
    hid_t g = sw_h5w_group(w, root, "search");
    if (g < 0) return w->rc;
    sw_h5w_attr_str(w, g, "kind", S->kind);
    sw_h5w_attr_i64(w, g, "samples", S->samples);
    sw_h5w_attr_i64(w, g, "seed", S->seed);
    sw_h5w_attr_bool(w, g, "digital_shift", S->digital_shift);
    sw_h5w_attr_i64(w, g, "startup", S->startup);
    sw_h5w_attr_i64(w, g, "batch", S->batch);
    sw_h5w_attr_i64(w, g, "rounds", S->rounds);
    sw_h5w_attr_i64(w, g, "rounds_known", S->rounds_known);
    sw_h5w_attr_str(w, g, "metric", S->metric);
    sw_h5w_attr_str(w, g, "mode", sw_metric_mode_name(S->mode));
    int n = S->n_points;
    size_t cn = (size_t)(n ? n : 1);
    index_row *first = calloc(cn, sizeof *first); /* each point's first run, for its values */
    int32_t *rounds = malloc(cn * sizeof *rounds);
    double *metric = malloc(cn * sizeof *metric), *best = malloc(cn * sizeof *best);
    int64_t *epochs = malloc(cn * sizeof *epochs);
    const char **status = malloc(cn * sizeof *status);
    table_cols c = {n, {(hsize_t)n}, sw_h5w_str_type(), sw_h5w_bool_type(), calloc(cn, sizeof *c.strs),
                    calloc(cn, sizeof *c.owned), calloc(cn, sizeof *c.ints), calloc(cn, sizeof *c.dbls),
                    calloc(cn, sizeof *c.bools)};
    if (!first || !rounds || !metric || !best || !epochs || !status || c.st < 0 || c.bt < 0 || !c.strs || !c.owned || !c.ints ||
        !c.dbls || !c.bools) {
        sw_h5w_fail(w, SW_ENOMEM, "out of memory");
        goto done;
    }
    double so_far = NAN;
    for (int k = 0; k < n; k++) {
        int f = S->first_run[k], m = S->n_runs[k];
        if (f < 0 || f + m > n_rows) {
            sw_h5w_fail(w, SW_EINVAL, "search point %d has runs beyond the table", k);
            goto done;
        }
        first[k] = m > 0 ? rows[f] : (index_row){0};
        c.ints[k] = k;
        rounds[k] = S->round[k];
        int e;
        status[k] = point_outcome(rows, f, m, S->mode, &metric[k], &e);
        epochs[k] = e;
        if (!isnan(metric[k]) && (isnan(so_far) || (S->mode == SW_METRIC_MAX ? metric[k] > so_far : metric[k] < so_far)))
            so_far = metric[k];
        best[k] = so_far;
    }
    hsize_t *dims = c.dims;
    sw_h5w_array(w, g, "point", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, c.ints,
                 "the point's number: the order the points were chosen in (tpe: p<number> of its runs' ids)");
    sw_h5w_array(w, g, "round", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, rounds,
                 "0: drawn before any run; tpe: round r >= 1, chosen from the results of rounds < r");
    sw_h5w_array(w, g, "origin", c.st, c.st, 1, dims, S->origin, "random, sobol, tpe (the best l/g candidate) or "
                 "fallback (every candidate repeated a point: the next Sobol point)");
    sw_h5w_array(w, g, "score", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, S->score,
                 "tpe: the sum over keys of log l(x) - log g(x) at the point; NaN for other points");
    for (int j = 0; j < S->n_keys && j < nkeys && !w->rc; j++) {
        const sw_key_info *key = sw_schema_find(keys[j]);
        if (key) write_key_column(w, g, first, &c, key);
    }
    sw_h5w_array(w, g, "metric", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, metric,
                 "the mean of its runs' best_metric once every one is final; NaN before");
    sw_h5w_array(w, g, "epochs", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, epochs,
                 "epochs it trained: its runs' (a point stopped early: the fewest of them); 0 while pending");
    sw_h5w_array(w, g, "status", c.st, c.st, 1, dims, status, "done, stopped (early, at a rung), diverged, pending "
                 "(a run is not final), excluded (exclude: dropped every run)");
    sw_h5w_array(w, g, "best_so_far", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, best,
                 "the best metric of points 0..this one (NaN until one has a value)");
done:
    if (c.st >= 0) H5Tclose(c.st);
    if (c.bt >= 0) H5Tclose(c.bt);
    if (c.owned) free_owned(&c);
    free(c.strs), free(c.owned), free(c.ints), free(c.dbls), free(c.bools);
    free(first), free(rounds), free(metric), free(best), free(epochs), free(status);
    H5Gclose(g);
    return w->rc;
}

/* Writes the index under a temporary name and renames it: root attributes, /runs links,
 * /table. */
static int write_index_file(sw_h5w *w, const char *dir, const sw_index_spec *spec,
                            const index_row *rows, int n, const char *const *keys, int nkeys)
{
    int counts[SW_RUN_STATUS_COUNT] = {0}, pending = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i].have)
            counts[rows[i].file->status]++;
        else
            pending++;
    }
    char tmp[PATH_MAX];
    hid_t file = sw_h5w_create(w, dir, "sweep", tmp, sizeof tmp);
    if (file < 0) return w->rc;
    char hash[65] = "";
    if (spec->config_text) sw_sha256_hex(spec->config_text, strlen(spec->config_text), hash);
    sw_h5w_attr_str(w, file, "format", INDEX_FORMAT);
    sw_h5w_attr_i32(w, file, "format_version", INDEX_FORMAT_VERSION);
    sw_h5w_attr_str(w, file, "sweep", spec->sweep_name ? spec->sweep_name : "");
    sw_h5w_attr_str(w, file, "config", spec->config_text ? spec->config_text : "");
    sw_h5w_attr_str(w, file, "config_sha256", hash);
    sw_h5w_attr_strs(w, file, "swept_keys", keys, nkeys);
    sw_h5w_attr_created(w, file);
    sw_h5w_attr_str(w, file, "program_version", SWEEP_VERSION);
    sw_h5w_attr_str(w, file, "library_versions", sw_library_versions());
    sw_h5w_attr_i64(w, file, "runs_total", n);
    sw_h5w_attr_i64(w, file, "runs_done", counts[SW_RUN_DONE]);
    sw_h5w_attr_i64(w, file, "runs_diverged", counts[SW_RUN_DIVERGED]);
    sw_h5w_attr_i64(w, file, "runs_failed", counts[SW_RUN_FAILED]);
    sw_h5w_attr_i64(w, file, "runs_pending", pending);
    if (spec->decisions || counts[SW_RUN_STOPPED]) sw_h5w_attr_i64(w, file, "runs_stopped", counts[SW_RUN_STOPPED]);

    hid_t runs = sw_h5w_group(w, file, "runs");
    for (int i = 0; i < n && !w->rc; i++) {
        if (!rows[i].have) continue;
        char target[PATH_MAX];
        snprintf(target, sizeof target, "%s.h5", rows[i].id);
        if (H5Lcreate_external(target, "/", runs, rows[i].id, H5P_DEFAULT, H5P_DEFAULT) < 0)
            sw_h5w_fail(w, SW_EHDF5, "external link /runs/%s", rows[i].id);
    }
    if (runs >= 0) H5Gclose(runs);
    write_index_table(w, file, rows, n, keys, nkeys);
    if (spec->decisions) write_decisions(w, file, spec->decisions);
    if (spec->search && spec->run_ids) write_search(w, file, spec->search, rows, n, keys, nkeys);
    if (spec->pbt) write_pbt(w, file, spec->pbt);
    return sw_h5w_finish(w, file, dir, tmp);
}

int sw_h5_write_index(const char *dir, const sw_index_spec *spec, char *err, size_t errlen)
{
    sw_h5_quiet();
    if (!dir || !spec) {
        sw_set_error(err, errlen, "sw_h5_write_index: missing argument");
        return SW_EINVAL;
    }
    char final[PATH_MAX];
    if (snprintf(final, sizeof final, "%s/" SW_INDEX_NAME, dir) >= (int)sizeof final) {
        sw_set_error(err, errlen, "path too long: %s", dir);
        return SW_EINVAL;
    }
    sw_h5w w = {final, err, errlen, SW_OK, false, true, {0, NULL}, false, 0, {0, 0, 0}, NULL, 0};
    char **listed = NULL;
    int n = spec->n_runs;
    if (!spec->run_ids && (n = sw_h5_list_runs(dir, &listed)) < 0) {
        sw_set_error(err, errlen, "cannot list %s: %s", dir, sw_strerror(n));
        return n;
    }
    const char **keys = NULL;
    int nkeys = 0;
    index_row *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows) sw_h5w_fail(&w, SW_ENOMEM, "out of memory");
    for (int i = 0; i < n && !w.rc; i++) collect_row(&w, dir, spec, listed, i, &rows[i]);
    if (!w.rc) index_keys(&w, spec, rows, n, &keys, &nkeys);
    if (!w.rc) write_index_file(&w, dir, spec, rows, n, keys, nkeys);
    if (rows)
        for (int i = 0; i < n; i++) sw_run_file_free(&rows[i].own);
    free(rows);
    free(keys);
    sw_h5_free_names(listed, spec->run_ids ? 0 : n);
    return w.rc;
}

/* ---- reading it back ---------------------------------------------------------------------- */

/* The group `name` of DIR's index, opened read-only for the table readers below (path:
 * PATH_MAX bytes, set to the index's path). Returns SW_OK with *f and *g open (the caller
 * closes both); SW_ENOTFOUND when there is no index, it is not one or has no such group;
 * SW_EFORMAT when `name` is there but not a group, SW_EINVAL when the path is too long (err
 * set for both). */
static int open_index_group(const char *dir, const char *name, char *path, hid_t *f, hid_t *g, char *err,
                            size_t errlen)
{
    *f = *g = -1;
    if (snprintf(path, PATH_MAX, "%s/" SW_INDEX_NAME, dir) >= PATH_MAX) {
        sw_set_error(err, errlen, "path too long: %s", dir);
        return SW_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) != 0) return SW_ENOTFOUND;
    sw_h5_quiet();
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_ENOTFOUND;
    }
    char *format = NULL;
    int rc = SW_ENOTFOUND;
    if (sw_h5r_str(*f, "format", &format) == SW_OK && !strcmp(format, INDEX_FORMAT) &&
        H5Lexists(*f, name, H5P_DEFAULT) > 0) {
        *g = H5Gopen2(*f, name, H5P_DEFAULT);
        rc = *g >= 0 ? SW_OK : SW_EFORMAT;
        if (rc) sw_set_error(err, errlen, "%s: /%s is not a group", path, name);
    }
    free(format);
    if (rc != SW_OK) {
        H5Fclose(*f);
        H5Eclear2(H5E_DEFAULT);
        *f = -1;
    }
    return rc;
}

int sw_h5_read_index_order(const char *dir, char ***run_ids)
{
    *run_ids = NULL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/" SW_INDEX_NAME, dir) >= (int)sizeof path) return SW_EINVAL;
    struct stat st;
    if (stat(path, &st) != 0) return SW_ENOTFOUND;
    sw_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return SW_EFORMAT;
    }
    int rc = SW_EFORMAT, n = 0;
    char *format = NULL;
    if (sw_h5r_str(f, "format", &format) == SW_OK && strcmp(format, INDEX_FORMAT) == 0 &&
        H5Lexists(f, "table", H5P_DEFAULT) > 0 && H5Lexists(f, "table/run_id", H5P_DEFAULT) > 0) {
        hid_t d = H5Dopen2(f, "table/run_id", H5P_DEFAULT);
        if (d >= 0) {
            rc = sw_h5r_strs(d, 0, run_ids, &n);
            H5Dclose(d);
        }
    }
    free(format);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return rc == SW_OK ? n : rc;
}

void sw_decisions_free(sw_decisions *d)
{
    if (!d) return;
    free(d->bracket);
    free(d->rung);
    free(d->epoch);
    sw_h5_free_names(d->run, d->run ? d->n : 0);
    free(d->value);
    free(d->cutoff);
    free(d->promoted);
    free(d->configuration);
    free(d->run_value);
    free(d->round);
    memset(d, 0, sizeof *d);
}

/* Reads the columns of the open group /decisions into *out (out->n from /decisions/run,
 * which every other column must match in length). Returns SW_OK, SW_EFORMAT (reason in
 * err) or SW_ENOMEM; what was read stays in *out for sw_decisions_free. */
static int read_decision_columns(hid_t g, sw_decisions *out, const char *path, char *err, size_t errlen)
{
    hsize_t dims[2];
    int rank = sw_h5r_dims(g, "run", dims, 2);
    if (rank != 1 || dims[0] > SW_H5R_MAX_LIST) {
        sw_set_error(err, errlen, "%s: /decisions/run is missing or not 1-D", path);
        return SW_EFORMAT;
    }
    size_t n = (size_t)dims[0];
    hid_t d = H5Dopen2(g, "run", H5P_DEFAULT);
    int nrun = 0, rc = d >= 0 ? sw_h5r_strs(d, 0, &out->run, &nrun) : SW_EFORMAT;
    if (d >= 0) H5Dclose(d);
    if (rc) {
        if (rc != SW_ENOMEM) sw_set_error(err, errlen, "%s: /decisions/run is not a list of run ids", path);
        return rc;
    }
    out->n = nrun;
    size_t bytes = n ? n : 1;
    out->bracket = malloc(bytes * sizeof *out->bracket);
    out->rung = malloc(bytes * sizeof *out->rung);
    out->epoch = malloc(bytes * sizeof *out->epoch);
    out->value = malloc(bytes * sizeof *out->value);
    out->cutoff = malloc(bytes * sizeof *out->cutoff);
    out->promoted = malloc(bytes * sizeof *out->promoted);
    if (!out->bracket || !out->rung || !out->epoch || !out->value || !out->cutoff || !out->promoted)
        return SW_ENOMEM;
    const struct {
        const char *name;
        hid_t type;
        void *buf;
    } cols[] = {{"bracket", H5T_NATIVE_INT32, out->bracket}, {"rung", H5T_NATIVE_INT32, out->rung},
                {"epoch", H5T_NATIVE_INT32, out->epoch},     {"metric", H5T_NATIVE_DOUBLE, out->value},
                {"cutoff", H5T_NATIVE_DOUBLE, out->cutoff},  {"promoted", H5T_NATIVE_INT8, out->promoted}};
    for (size_t k = 0; k < SW_ARRAY_LEN(cols); k++) {
        if (H5Lexists(g, cols[k].name, H5P_DEFAULT) <= 0 || sw_h5r_dims(g, cols[k].name, dims, 2) != 1 ||
            dims[0] != n || sw_h5r_dset(g, cols[k].name, cols[k].type, cols[k].buf, n) != SW_OK) {
            sw_set_error(err, errlen, "%s: /decisions/%s is missing, unreadable or not of the %zu rows of "
                         "/decisions/run", path, cols[k].name, n);
            return SW_EFORMAT;
        }
    }
    /* written since stop.by: absent from older indexes, malformed when present otherwise */
    if (H5Lexists(g, "configuration", H5P_DEFAULT) > 0 || H5Lexists(g, "run_metric", H5P_DEFAULT) > 0) {
        out->configuration = malloc(bytes * sizeof *out->configuration);
        out->run_value = malloc(bytes * sizeof *out->run_value);
        if (!out->configuration || !out->run_value) return SW_ENOMEM;
        const char *bad = NULL;
        if (sw_h5r_dims(g, "configuration", dims, 2) != 1 || dims[0] != n ||
            sw_h5r_dset(g, "configuration", H5T_NATIVE_INT32, out->configuration, n) != SW_OK)
            bad = "configuration";
        else if (sw_h5r_dims(g, "run_metric", dims, 2) != 1 || dims[0] != n ||
                 sw_h5r_dset(g, "run_metric", H5T_NATIVE_DOUBLE, out->run_value, n) != SW_OK)
            bad = "run_metric";
        if (bad) {
            sw_set_error(err, errlen, "%s: /decisions/%s is unreadable or not of the %zu rows of /decisions/run",
                         path, bad, n);
            return SW_EFORMAT;
        }
    }
    if (H5Lexists(g, "round", H5P_DEFAULT) > 0) { /* a tpe search's */
        if (!(out->round = malloc(bytes * sizeof *out->round))) return SW_ENOMEM;
        if (sw_h5r_dims(g, "round", dims, 2) != 1 || dims[0] != n ||
            sw_h5r_dset(g, "round", H5T_NATIVE_INT32, out->round, n) != SW_OK) {
            sw_set_error(err, errlen, "%s: /decisions/round is unreadable or not of the %zu rows of /decisions/run",
                         path, n);
            return SW_EFORMAT;
        }
    }
    return SW_OK;
}

int sw_h5_read_decisions(const char *dir, sw_decisions *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    hid_t f, g;
    int rc = open_index_group(dir, "decisions", path, &f, &g, err, errlen);
    if (rc != SW_OK) return rc;
    rc = SW_EFORMAT;
    char *s = NULL;
    long long eta = 0, min_epochs = 0;
    if (sw_h5r_str(g, "kind", &s) == SW_OK) snprintf(out->kind, sizeof out->kind, "%s", s);
    free(s);
    s = NULL;
    if (sw_h5r_str(g, "metric", &s) == SW_OK) snprintf(out->metric, sizeof out->metric, "%s", s);
    if (!out->kind[0] || !out->metric[0] || sw_h5r_i64(g, "eta", &eta) != SW_OK ||
        sw_h5r_i64(g, "min_epochs", &min_epochs) != SW_OK || eta < 0 || eta > 1000000 || min_epochs < 0 ||
        min_epochs > 1000000) {
        sw_set_error(err, errlen, "%s: /decisions lacks one of its attributes kind, metric, eta, min_epochs", path);
        goto done;
    }
    out->eta = (int)eta;
    out->min_epochs = (int)min_epochs;
    free(s);
    s = NULL;
    snprintf(out->by, sizeof out->by, "%s", sw_h5r_str(g, "by", &s) == SW_OK ? s : "run");
    rc = read_decision_columns(g, out, path, err, errlen);
done:
    free(s);
    H5Gclose(g);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    return rc;
}

/* ---- a sampled search's points: /search of the index -------------------------------------- */

void sw_search_table_free(sw_search_table *t)
{
    if (!t) return;
    free(t->round);
    free(t->metric_of);
    free(t->best_so_far);
    free(t->score);
    sw_h5_free_names(t->origin, t->origin ? t->n : 0);
    sw_h5_free_names(t->status, t->status ? t->n : 0);
    memset(t, 0, sizeof *t);
}

/* The attributes and columns of the open group /search into *out. */
static int read_search_group(hid_t g, sw_search_table *out, const char *path, char *err, size_t errlen)
{
    char *s = NULL;
    if (sw_h5r_str(g, "kind", &s) == SW_OK) snprintf(out->kind, sizeof out->kind, "%s", s);
    free(s), s = NULL;
    if (sw_h5r_str(g, "metric", &s) == SW_OK) snprintf(out->metric, sizeof out->metric, "%s", s);
    free(s), s = NULL;
    out->mode = sw_h5r_str(g, "mode", &s) == SW_OK && !strcmp(s, "min") ? SW_METRIC_MIN : SW_METRIC_MAX;
    free(s);
    long long v[5] = {0};
    const char *ints[] = {"samples", "rounds", "rounds_known", "startup", "batch"};
    for (int k = 0; k < 5; k++)
        if (sw_h5r_i64(g, ints[k], &v[k]) != SW_OK || v[k] < 0 || v[k] > SW_MAX_RUNS) {
            sw_set_error(err, errlen, "%s: /search lacks its attribute %s", path, ints[k]);
            return SW_EFORMAT;
        }
    out->samples = (int)v[0], out->rounds = (int)v[1], out->rounds_known = (int)v[2];
    out->startup = (int)v[3], out->batch = (int)v[4];
    hsize_t dims[2];
    if (sw_h5r_dims(g, "origin", dims, 2) != 1 || dims[0] > SW_MAX_RUNS) {
        sw_set_error(err, errlen, "%s: /search/origin is missing or not 1-D", path);
        return SW_EFORMAT;
    }
    size_t n = (size_t)dims[0], bytes = n ? n : 1;
    int got = 0;
    hid_t d = H5Dopen2(g, "origin", H5P_DEFAULT);
    int rc = d >= 0 ? sw_h5r_strs(d, 0, &out->origin, &got) : SW_EFORMAT;
    if (d >= 0) H5Dclose(d);
    out->n = got;
    if (!rc && (size_t)got == n) {
        int got_status = 0;
        d = H5Dopen2(g, "status", H5P_DEFAULT);
        rc = d >= 0 ? sw_h5r_strs(d, 0, &out->status, &got_status) : SW_EFORMAT;
        if (d >= 0) H5Dclose(d);
        if (!rc && got_status != got) {
            sw_h5_free_names(out->status, got_status);
            out->status = NULL;
            rc = SW_EFORMAT;
        }
    }
    if (rc) {
        if (rc != SW_ENOMEM) sw_set_error(err, errlen, "%s: /search/origin or /search/status is not a list of names "
                                          "of one length", path);
        return rc;
    }
    out->round = malloc(bytes * sizeof *out->round);
    out->metric_of = malloc(bytes * sizeof *out->metric_of);
    out->best_so_far = malloc(bytes * sizeof *out->best_so_far);
    out->score = malloc(bytes * sizeof *out->score);
    if (!out->round || !out->metric_of || !out->best_so_far || !out->score) return SW_ENOMEM;
    const struct {
        const char *name;
        hid_t type;
        void *buf;
    } cols[] = {{"round", H5T_NATIVE_INT32, out->round}, {"metric", H5T_NATIVE_DOUBLE, out->metric_of},
                {"best_so_far", H5T_NATIVE_DOUBLE, out->best_so_far}, {"score", H5T_NATIVE_DOUBLE, out->score}};
    for (size_t k = 0; k < SW_ARRAY_LEN(cols); k++)
        if (H5Lexists(g, cols[k].name, H5P_DEFAULT) <= 0 || sw_h5r_dims(g, cols[k].name, dims, 2) != 1 ||
            dims[0] != n || sw_h5r_dset(g, cols[k].name, cols[k].type, cols[k].buf, n) != SW_OK) {
            sw_set_error(err, errlen, "%s: /search/%s is missing, unreadable or not of the %zu rows of /search/origin",
                         path, cols[k].name, n);
            return SW_EFORMAT;
        }
    return SW_OK;
}

int sw_h5_read_search(const char *dir, sw_search_table *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[PATH_MAX];
    hid_t f, g;
    int rc = open_index_group(dir, "search", path, &f, &g, err, errlen);
    if (rc != SW_OK) return rc;
    rc = read_search_group(g, out, path, err, errlen);
    H5Gclose(g);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    return rc;
}
