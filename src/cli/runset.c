/* runset.c: the run files of one or more directories read for their summaries (see
 * runset.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "runset.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "h5read.h"
#include "index.h"
#include "outdir.h"
#include "table.h"
#include "task.h"

/* The `sweep` pseudo-key: the group keys are schema key strings, or this one (a pointer
 * compared by address) for the column of the sweep a run belongs to. */
const char sw_sweep_key[] = "sweep";

void sw_runset_free(run_set *rs)
{
    for (int i = 0; i < rs->n; i++) sw_run_file_free(&rs->runs[i]);
    for (int s = 0; s < rs->nsweeps; s++) {
        free(rs->sweeps[s].name);
        free(rs->sweeps[s].origin);
        free(rs->sweeps[s].label);
    }
    free(rs->sweeps);
    free(rs->runs);
    free(rs->loss);
    free(rs->source);
    free(rs->sweep_of);
    free(rs->keys);
    memset(rs, 0, sizeof *rs);
}

/* Compares the values of `key` in two configs: numbers numerically, choices by their order
 * in the schema (rnn < lstm < gru), lists and text by text. */
static int cmp_key(const sw_key_info *k, const sw_config *a, const sw_config *b)
{
    switch (k->type) {
    case SW_TYPE_FLOAT: {
        double x = sw_config_get_float(a, k), y = sw_config_get_float(b, k);
        return (x > y) - (x < y);
    }
    case SW_TYPE_STRING: return strcmp(sw_config_get_string(a, k), sw_config_get_string(b, k));
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

/* Compares runs a and b by a group key: a config key, or sw_sweep_key (first appearance). */
int sw_runset_cmp_group_key(const run_set *rs, const char *key, int a, int b)
{
    if (key == sw_sweep_key) return (rs->sweep_of[a] > rs->sweep_of[b]) - (rs->sweep_of[a] < rs->sweep_of[b]);
    return cmp_key(sw_schema_find(key), &rs->runs[a].config, &rs->runs[b].config);
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
        int r = cmp_key(sw_schema_find(c->rs->keys[k]), &c->rs->runs[a].config, &c->rs->runs[b].config);
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
        char hint[4096 + 256];
        sw_outdir_hint(dir, hint, sizeof hint);
        sw_set_error(err, errlen, "%s: no such directory%s", dir, hint);
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

/* Whether some run's value of k differs from the first run's. */
static int key_differs(const run_set *rs, const sw_key_info *k)
{
    for (int i = 1; i < rs->n; i++)
        if (cmp_key(k, &rs->runs[0].config, &rs->runs[i].config)) return 1;
    return 0;
}

/* rs->keys: the keys that tell the runs' configurations apart. The swept keys the files
 * list (their union, first-seen order) are not enough: files of several sweeps (linked or
 * copied into one directory, or several directories) may differ in a key none of them
 * swept (two sweeps at T=20 and T=50), and averaging such runs together would be wrong
 * without a word. So every key whose value differs between the runs comes too, before the
 * swept ones (it is constant within each sweep, so it varies slowest). */
static int collect_keys(run_set *rs)
{
    const char **swept = calloc(sw_schema_len, sizeof *swept);
    rs->keys = calloc(sw_schema_len, sizeof *rs->keys);
    if (!swept || !rs->keys) {
        free(swept);
        return SW_ENOMEM;
    }
    int nswept = 0;
    for (int i = 0; i < rs->n; i++)
        for (int k = 0; k < rs->runs[i].n_swept; k++) {
            const sw_key_info *key = sw_schema_find(rs->runs[i].swept_keys[k]);
            int seen = !key;
            for (int j = 0; j < nswept && !seen; j++) seen = swept[j] == key->key;
            if (!seen) swept[nswept++] = key->key;
        }
    for (size_t k = 0; k < sw_schema_len; k++) {
        int listed = 0;
        for (int j = 0; j < nswept && !listed; j++) listed = swept[j] == sw_schema[k].key;
        if (!listed && key_differs(rs, &sw_schema[k])) rs->keys[rs->nkeys++] = sw_schema[k].key;
    }
    rs->nunswept = rs->nkeys;
    for (int j = 0; j < nswept; j++) rs->keys[rs->nkeys++] = swept[j];
    free(swept);
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

/* Reads the run files of dirs[d] in that directory's grid order and appends them to rs. */
static int load_dir(int d, unsigned what, run_set *rs, FILE *diag, char *err, size_t errlen)
{
    run_set one;
    memset(&one, 0, sizeof one);
    int rc = read_run_files(rs->dirs[d], what, &one, diag, err, errlen);
    if (!rc) rc = collect_keys(&one);
    if (!rc) rc = order_runs(rs->dirs[d], &one);
    rs->unreadable += one.unreadable;
    rs->pending += one.pending;
    size_t n = (size_t)(rs->n + one.n ? rs->n + one.n : 1);
    sw_run_file *runs = rc ? NULL : realloc(rs->runs, n * sizeof *runs);
    if (runs) rs->runs = runs;
    int *source = runs ? realloc(rs->source, n * sizeof *source) : NULL;
    if (source) rs->source = source;
    if (!rc && (!runs || !source)) rc = SW_ENOMEM;
    if (!rc) { /* the files move over to rs */
        memcpy(rs->runs + rs->n, one.runs, (size_t)one.n * sizeof *one.runs);
        for (int i = 0; i < one.n; i++) rs->source[rs->n + i] = d;
        rs->n += one.n;
        one.n = 0;
    }
    sw_runset_free(&one);
    return rc;
}

/* The real directory of the file at path (symbolic links resolved), malloc'ed; NULL when it
 * cannot be resolved. */
static char *real_dir(const char *path)
{
    char *real = realpath(path, NULL);
    char *slash = real ? strrchr(real, '/') : NULL;
    if (slash) *(slash == real ? slash + 1 : slash) = '\0';
    return real;
}

/* How a sweep's directory is shown: the directory argument its first file was read from
 * when that is where its files are (then returns 1), else the real directory, relative to
 * the current one when it is below it. */
static int where_of(const run_set *rs, int i, const char *origin, char *out, size_t len)
{
    const char *dir = rs->dirs[rs->source[i]];
    char *real = realpath(dir, NULL), cwd[4096];
    int same = real && !strcmp(real, origin);
    free(real);
    size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (same)
        snprintf(out, len, "%s", dir);
    else if (n > 1 && !strncmp(origin, cwd, n) && origin[n] == '/')
        snprintf(out, len, "%s", origin + n + 1);
    else
        snprintf(out, len, "%s", origin);
    return same;
}

/* rs->sweeps and rs->sweep_of: which sweep each run belongs to (its name and real directory),
 * and each sweep's label (its name, or "name (DIR)" when another sweep has the same name). */
static int identify_sweeps(run_set *rs)
{
    size_t n = (size_t)(rs->n ? rs->n : 1);
    rs->sweep_of = malloc(n * sizeof *rs->sweep_of);
    rs->sweeps = calloc(n, sizeof *rs->sweeps);
    if (!rs->sweep_of || !rs->sweeps) return SW_ENOMEM;
    for (int i = 0; i < rs->n; i++) {
        const char *name = rs->runs[i].sweep ? rs->runs[i].sweep : "";
        char *origin = real_dir(rs->runs[i].path);
        if (!origin) origin = strdup(rs->dirs[rs->source[i]]);
        if (!origin) return SW_ENOMEM;
        int s = 0;
        while (s < rs->nsweeps && (strcmp(rs->sweeps[s].name, name) || strcmp(rs->sweeps[s].origin, origin))) s++;
        if (s == rs->nsweeps) {
            char where[4096];
            rs->sweeps[s].at_arg = where_of(rs, i, origin, where, sizeof where);
            rs->sweeps[s].origin = origin;
            rs->sweeps[s].name = strdup(name);
            rs->sweeps[s].label = strdup(where); /* replaced by the name below when it is unique */
            rs->nsweeps++;
            if (!rs->sweeps[s].name || !rs->sweeps[s].label) return SW_ENOMEM;
        } else {
            free(origin);
        }
        rs->sweep_of[i] = s;
        rs->sweeps[s].runs++;
    }
    for (int s = 0; s < rs->nsweeps; s++) {
        sweep_origin *sw = &rs->sweeps[s];
        int shared = 0;
        for (int o = 0; o < rs->nsweeps && !shared; o++) shared = o != s && !strcmp(rs->sweeps[o].name, sw->name);
        if (!sw->name[0]) continue; /* no name: its directory says which */
        size_t len = strlen(sw->name) + strlen(sw->label) + 4;
        char *label = malloc(len);
        if (!label) return SW_ENOMEM;
        if (shared)
            snprintf(label, len, "%s (%s)", sw->name, sw->label);
        else
            snprintf(label, len, "%s", sw->name);
        free(sw->label);
        sw->label = label;
    }
    return SW_OK;
}

/* Whether a run id names a point of a sampled search: one of its comma-separated parts is
 * "p" + digits + "-" + 8 hex digits (sweepspec.c's readable ids, e.g. p007-1a2b3c4d,seed=1). */
static int is_sampled_id(const char *id)
{
    for (const char *p = id; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p), digits = 1;
        while (digits < len && isdigit((unsigned char)p[digits])) digits++;
        int ok = p[0] == 'p' && digits > 1 && digits + 9 == len && p[digits] == '-';
        for (size_t h = digits + 1; ok && h < len; h++) ok = isxdigit((unsigned char)p[h]) != 0;
        if (ok) return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
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
    rs->sampled = rs->n > 0;
    for (int i = 0; i < rs->n && rs->sampled; i++) rs->sampled = is_sampled_id(rs->runs[i].run_id);
    return SW_OK;
}

/* Reads the run files of dirs[0..ndirs) into *rs (released with run_set_free whatever the
 * return), directory by directory, each in its grid order, with the keys that tell their
 * configurations apart, the sweeps they come from and what their metrics add. */
int sw_runset_load(const char *const *dirs, int ndirs, unsigned what, run_set *rs, FILE *diag, char *err,
                     size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    rs->dirs = dirs;
    rs->ndirs = ndirs;
    int rc = SW_OK;
    for (int d = 0; d < ndirs && !rc; d++) rc = load_dir(d, what, rs, diag, err, errlen);
    if (!rc) rc = collect_keys(rs);
    if (!rc) rc = identify_sweeps(rs);
    if (!rc) rc = collect_losses(rs);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    for (int i = 0; i < rs->n && !rs->sweep && !rc; i++)
        if (rs->runs[i].sweep && rs->runs[i].sweep[0]) rs->sweep = rs->runs[i].sweep;
    return rc;
}
