/* runset.c: the run files of a directory read for its summaries (see runset.h). */
#define _POSIX_C_SOURCE 200809L
#include "runset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "h5read.h"
#include "index.h"
#include "task.h"
#include "table.h"

void sw_runset_free(run_set *rs)
{
    for (int i = 0; i < rs->n; i++) sw_run_file_free(&rs->runs[i]);
    free(rs->runs);
    free(rs->loss);
    free(rs->keys);
    memset(rs, 0, sizeof *rs);
}

/* Compares the values of `key` in two configs: numbers numerically, choices by their order
 * in the schema (rnn < lstm < gru), lists by text. */
int sw_runset_cmp_key(const sw_key_info *k, const sw_config *a, const sw_config *b)
{
    switch (k->type) {
    case SW_TYPE_FLOAT: {
        double x = sw_config_get_float(a, k), y = sw_config_get_float(b, k);
        return (x > y) - (x < y);
    }
    case SW_TYPE_INT_LIST: {
        char x[256], y[256];
        sw_config_format(a, k, x, sizeof x);
        sw_config_format(b, k, y, sizeof y);
        return strcmp(x, y);
    }
    default: {
        long long x = sw_config_get_int(a, k), y = sw_config_get_int(b, k);
        return (x > y) - (x < y);
    }
    }
}

typedef struct {
    run_set *rs;
    int *pos; /* index position, or INT_MAX when not listed */
} order_ctx;

static int cmp_runs(void *vctx, int a, int b)
{
    order_ctx *c = vctx;
    if (c->pos[a] != c->pos[b]) return (c->pos[a] > c->pos[b]) - (c->pos[a] < c->pos[b]);
    for (int k = 0; k < c->rs->nkeys; k++) {
        const sw_key_info *key = sw_schema_find(c->rs->keys[k]);
        if (!key) continue;
        int r = sw_runset_cmp_key(key, &c->rs->runs[a].config, &c->rs->runs[b].config);
        if (r) return r;
    }
    return strcmp(c->rs->runs[a].run_id, c->rs->runs[b].run_id);
}

/* Reads every run file of dir into rs->runs (what: SW_READ_* parts beyond the summary).
 * A file that cannot be read is reported on diag and counted in rs->unreadable. */
static int read_run_files(const char *dir, unsigned what, run_set *rs, FILE *diag, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        sw_set_error(err, errlen, "%s: no such directory", dir);
        return SW_ENOTFOUND;
    }
    char **names = NULL;
    int n = sw_h5_list_runs(dir, &names);
    if (n < 0) {
        sw_set_error(err, errlen, "cannot list %s: %s", dir, sw_strerror(n));
        return n;
    }
    int rc = SW_OK;
    rs->runs = calloc((size_t)(n ? n : 1), sizeof *rs->runs);
    for (int i = 0; i < n && rs->runs; i++) {
        char path[4096], msg[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        sw_run_file *rf = &rs->runs[rs->n];
        /* Only a file that reads through counts (a damaged one is named and skipped). */
        rc = sw_h5_read_run(path, what | SW_READ_VERIFY, rf, msg, sizeof msg);
        /* The final losses are only in /history: read it for the runs that show them. */
        if (rc == SW_OK && !(what & SW_READ_HISTORY) &&
            (rf->metric_mode == SW_METRIC_MIN || isfinite(sw_task_baseline_loss(&rf->config.task)))) {
            sw_run_file_free(rf);
            rc = sw_h5_read_run(path, what | SW_READ_HISTORY, rf, msg, sizeof msg);
        }
        if (rc == SW_OK && rf->status >= SW_RUN_STATUS_COUNT) {
            snprintf(msg, sizeof msg, "%s: unknown status", path);
            rc = SW_EFORMAT;
        }
        if (rc == SW_OK) {
            rs->n++;
            continue;
        }
        sw_run_file_free(rf);
        if (rc == SW_ENOMEM) break;
        /* A summarizer that dies on one bad file is useless after a crash: say so and go on. */
        if (diag) fprintf(diag, "summarize: skipping %s\n", msg);
        rs->unreadable++;
        rc = SW_OK;
    }
    sw_h5_free_names(names, n);
    if (!rs->runs || rc == SW_ENOMEM) {
        sw_set_error(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    return SW_OK;
}

/* rs->keys: the swept keys the files list, their union in first-seen order; for files
 * that list none, the keys whose values differ between runs. */
static int collect_keys(run_set *rs)
{
    int cap = 0;
    for (int i = 0; i < rs->n; i++) cap += rs->runs[i].n_swept;
    rs->keys = calloc((size_t)(cap ? cap : 1), sizeof *rs->keys);
    if (!rs->keys) return SW_ENOMEM;
    for (int i = 0; i < rs->n; i++)
        for (int k = 0; k < rs->runs[i].n_swept; k++) {
            const char *key = rs->runs[i].swept_keys[k];
            int seen = 0;
            for (int j = 0; j < rs->nkeys && !seen; j++) seen = !strcmp(rs->keys[j], key);
            if (!seen && sw_schema_find(key)) rs->keys[rs->nkeys++] = key;
        }
    if (rs->nkeys == 0 && rs->n > 1) {
        free(rs->keys);
        rs->keys = calloc(sw_schema_len, sizeof *rs->keys);
        if (!rs->keys) return SW_ENOMEM;
        for (size_t k = 0; k < sw_schema_len; k++)
            for (int i = 1; i < rs->n; i++)
                if (sw_runset_cmp_key(&sw_schema[k], &rs->runs[0].config, &rs->runs[i].config)) {
                    rs->keys[rs->nkeys++] = sw_schema[k].key;
                    break;
                }
    }
    return SW_OK;
}

/* Puts rs->runs in the grid order of dir's index (runs it does not list after them, by
 * their key values, then id), and counts the runs it lists without a file (pending). */
static int order_runs(const char *dir, run_set *rs)
{
    char **order = NULL;
    int norder = sw_h5_read_index_order(dir, &order);
    size_t n = (size_t)(rs->n > 0 ? rs->n : 1);
    int *pos = malloc(n * sizeof *pos);
    int *idx = malloc(n * sizeof *idx);
    sw_run_file *sorted = malloc(n * sizeof *sorted);
    int rc = pos && idx && sorted ? SW_OK : SW_ENOMEM;
    for (int i = 0; i < rs->n && !rc; i++) {
        pos[i] = 0x7fffffff;
        idx[i] = i;
        for (int j = 0; j < norder; j++)
            if (!strcmp(order[j], rs->runs[i].run_id)) {
                pos[i] = j;
                break;
            }
    }
    if (norder > 0 && !rc) {
        rs->in_index = 1;
        for (int j = 0; j < norder; j++) {
            int found = 0;
            for (int i = 0; i < rs->n && !found; i++) found = !strcmp(order[j], rs->runs[i].run_id);
            rs->pending += !found;
        }
        rs->pending -= rs->unreadable < rs->pending ? rs->unreadable : rs->pending;
    }
    if (!rc) {
        order_ctx ctx = {rs, pos};
        sw_sort_indices(idx, rs->n, cmp_runs, &ctx);
        for (int i = 0; i < rs->n; i++) sorted[i] = rs->runs[idx[i]];
        memcpy(rs->runs, sorted, (size_t)rs->n * sizeof *sorted);
    }
    free(sorted);
    free(idx);
    free(pos);
    sw_h5_free_names(order, norder > 0 ? norder : 0);
    return rc;
}

/* rs->loss, rs->fams and rs->loss_name from the runs (in their final order). */
static int collect_losses(run_set *rs)
{
    rs->loss = calloc((size_t)(rs->n > 0 ? rs->n : 1), sizeof *rs->loss);
    if (!rs->loss) return SW_ENOMEM;
    int mse = 1;
    for (int i = 0; i < rs->n; i++) {
        const sw_run_file *r = &rs->runs[i];
        run_loss *l = &rs->loss[i];
        const sw_history *h = &r->history;
        l->by_loss = r->metric_mode == SW_METRIC_MIN;
        l->baseline = sw_task_baseline_loss(&r->config.task);
        l->shows_loss = l->by_loss || isfinite(l->baseline);
        l->val = !strncmp(r->metric, "val_", 4);
        /* best_metric is the test loss only when the test set chose the epoch */
        l->best_loss = l->by_loss && !l->val && isfinite(r->best_metric) ? r->best_metric : r->best_test_loss;
        l->val_best = l->val ? r->best_metric : NAN;
        l->final_loss = h->epochs > 0 && h->test_loss ? h->test_loss[h->epochs - 1] : NAN;
        l->final_train_loss = h->epochs > 0 && h->train_loss ? h->train_loss[h->epochs - 1] : NAN;
        rs->fams |= l->by_loss ? FAM_LOSS_METRIC : FAM_ACC;
        if (l->shows_loss) rs->fams |= FAM_LOSS;
        if (isfinite(l->baseline)) rs->fams |= FAM_BASELINE;
        if (l->val) rs->fams |= l->by_loss ? FAM_VAL_LOSS : FAM_VAL_ACC;
        if (r->status == SW_RUN_STOPPED) rs->fams |= FAM_STOPPED;
        if (isfinite(r->input_ratio)) rs->fams |= FAM_INPUT_GRAD;
        /* only regression tasks are selected by their loss, which is then the MSE */
        if (l->shows_loss && !l->by_loss) mse = 0;
    }
    rs->loss_name = mse ? "MSE" : "loss";
    /* Files of different tasks copied into one directory share no swept task.kind, yet
     * averaging a copy accuracy with a mean_sign one, or an MSE with a cross-entropy, says
     * nothing: when tasks with losses to show are among them, the task tells rows apart. */
    const sw_key_info *kind = sw_schema_find("task.kind");
    SW_ASSERT(kind);
    int listed = 0, varies = 0;
    for (int k = 0; k < rs->nkeys; k++) listed |= !strcmp(rs->keys[k], kind->key);
    for (int i = 1; i < rs->n && !varies; i++) varies = rs->runs[i].config.task.kind != rs->runs[0].config.task.kind;
    if ((rs->fams & FAM_LOSS) && varies && !listed) {
        const char **keys = realloc(rs->keys, (size_t)(rs->nkeys + 1) * sizeof *keys);
        if (!keys) return SW_ENOMEM;
        memmove(keys + 1, keys, (size_t)rs->nkeys * sizeof *keys);
        keys[0] = kind->key;
        rs->keys = keys;
        rs->nkeys++;
    }
    return SW_OK;
}

/* Reads the run files of dir into *rs (released with run_set_free whatever the return),
 * in grid order, with their swept keys, what their metrics add and the sweep's name. */
int sw_runset_load(const char *dir, unsigned what, run_set *rs, FILE *diag, char *err, size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    int rc = read_run_files(dir, what, rs, diag, err, errlen);
    if (!rc) rc = collect_keys(rs);
    if (!rc) rc = order_runs(dir, rs);
    if (!rc) rc = collect_losses(rs);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    for (int i = 0; i < rs->n && !rs->sweep && !rc; i++)
        if (rs->runs[i].sweep && rs->runs[i].sweep[0]) rs->sweep = rs->runs[i].sweep;
    return rc;
}
