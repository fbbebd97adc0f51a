/* expand.c: a sweep file's axes expanded into its runs (see expand.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "expand.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "data.h"
#include "estimate.h"
#include "hash.h"
#include "task.h"
#include "validate.h"

#define MAX_ID_LEN 80

/* Keys whose values take part in a cross-key rule, so that a validation error about
 * `bad` can point at whichever of them the user actually wrote. */
static const char *const *related_keys(const char *bad)
{
    static const char *const batch[] = {"train.batch", "task.train_size", NULL};
    static const char *const signal[] = {"task.signal_steps", "task.seq_len", "task.kind", NULL};
    static const char *const miles[] = {"train.schedule.milestones", "train.schedule.kind", NULL};
    static const char *const minlr[] = {"train.schedule.min_lr", "train.lr", "train.schedule.kind", NULL};
    static const char *const nest[] = {"train.nesterov", "train.momentum", "train.optimizer", NULL};
    static const char *const path[] = {"task.path", "task.kind", NULL};
    static const char *const input[] = {"task.input_size", "task.kind", NULL};
    static const char *const steps[] = {"task.seq_len", "task.path", "task.kind", NULL};
    static const char *const sizes[] = {"task.train_size", "task.test_size", "task.path", NULL};
    static const char *const act[] = {"model.activation", "model.cell", NULL};
    static const char *const memory[] = {"task.seq_len", "model.hidden", "task.train_size", "train.batch",
                                         "model.layers", "model.cell", "task.test_size", "task.input_size",
                                         "record.probe_size", "train.epochs", NULL};
    if (!strcmp(bad, "train.batch")) return batch;
    if (!strcmp(bad, "task.signal_steps")) return signal;
    if (!strcmp(bad, "train.schedule.milestones")) return miles;
    if (!strcmp(bad, "train.schedule.min_lr")) return minlr;
    if (!strcmp(bad, "train.nesterov")) return nest;
    if (!strcmp(bad, "task.path") || !strcmp(bad, "task.kind")) return path;
    if (!strcmp(bad, "task.input_size")) return input;
    if (!strcmp(bad, "task.seq_len")) return steps;
    if (!strcmp(bad, "task.train_size") || !strcmp(bad, "task.test_size")) return sizes;
    if (!strcmp(bad, "model.activation")) return act;
    return memory;
}

/* Where to point for a validation error about `bad` in a run built from `pick`. */
static const node *locate(const loader *L, const int *pick, const char *bad)
{
    const char *const *rel = related_keys(bad);
    const char *const only[] = {bad, NULL};
    for (int pass = 0; pass < 2; pass++) {
        const char *const *keys = pass == 0 ? only : rel;
        for (int q = 0; keys[q]; q++) {
            for (int a = 0; a < L->ax.n; a++) {
                const assign *x = sw_assigns_find(&L->ax.ax[a].points[pick[a]], keys[q]);
                if (x) return x->value;
            }
            const assign *x = sw_assigns_find(&L->overrides, keys[q]);
            if (x) return x->value;
            x = sw_assigns_find(&L->base, keys[q]);
            if (x) return x->value;
        }
    }
    return L->root;
}

/* A value as it appears in a run id: compact ("1e-8", "1", "20+40") and safe in a file
 * name on every system. */
static void id_value(const sw_config *cfg, const sw_key_info *k, char *out, size_t outlen)
{
    char text[256];
    sw_config_format(cfg, k, text, sizeof text);
    if (k->type == SW_TYPE_FLOAT) {
        /* "1.0" -> "1", "1.0e-8" -> "1e-8": the YAML-safe ".0" carries nothing here. */
        char *dot0 = strstr(text, ".0");
        if (dot0 && (dot0[2] == 0 || dot0[2] == 'e')) memmove(dot0, dot0 + 2, strlen(dot0 + 2) + 1);
        char *plus = strstr(text, "e+");
        if (plus) memmove(plus + 1, plus + 2, strlen(plus + 2) + 1);
    }
    if (k->type == SW_TYPE_INT_LIST) {
        size_t j = 0;
        for (size_t i = 0; text[i] && j + 1 < outlen; i++) {
            char c = text[i];
            if (c == '[' || c == ']' || c == ' ') continue;
            out[j++] = c == ',' ? '+' : c;
        }
        out[j] = 0;
        if (!j) snprintf(out, outlen, "none");
        return;
    }
    size_t j = 0;
    for (size_t i = 0; text[i] && j + 1 < outlen; i++) {
        char c = text[i];
        out[j++] = (isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '+') ? c : '_';
    }
    out[j] = 0;
}

/* The swept keys (every key of every axis, in axis order) into s and L->swept. */
static int list_swept(loader *L, sw_sweep_spec *s)
{
    int nk = 0;
    for (int a = 0; a < L->ax.n; a++) nk += L->ax.ax[a].n_keys;
    s->swept_keys = calloc((size_t)(nk ? nk : 1), sizeof *s->swept_keys);
    s->swept_short = calloc((size_t)(nk ? nk : 1), sizeof *s->swept_short);
    L->swept = calloc((size_t)(nk ? nk : 1), sizeof *L->swept);
    if (!s->swept_keys || !s->swept_short || !L->swept) return SW_ENOMEM;
    for (int a = 0; a < L->ax.n; a++)
        for (int j = 0; j < L->ax.ax[a].n_keys; j++) {
            const sw_key_info *k = L->ax.ax[a].keys[j];
            char shortname[64];
            sw_short_key(k->key, shortname, sizeof shortname);
            L->swept[s->n_swept] = k;
            /* Counted before checking, so that the free releases a partial entry. */
            int rc = sw_dup_string(&s->swept_keys[s->n_swept], k->key);
            if (!rc) rc = sw_dup_string(&s->swept_short[s->n_swept], shortname);
            s->n_swept++;
            if (rc) return rc;
        }
    return SW_OK;
}

/* The number of runs before exclusion into *n_total, refused above SW_MAX_RUNS; and no axis
 * may repeat a value. */
static int check_size(loader *L, int *n_total)
{
    double total = 1;
    for (int a = 0; a < L->ax.n; a++) total *= L->ax.ax[a].n_points;
    if (total > SW_MAX_RUNS)
        return sw_fail_at(&L->e, L->grid_node ? L->grid_node : L->root,
                       "the sweep expands to %.0f runs; at most %d are allowed", total, SW_MAX_RUNS);
    /* A search's points are distinct by construction (build_search). */
    for (int a = 0; a < L->ax.n; a++) {
        int rc = L->ax.ax[a].sampled ? SW_OK : sw_axis_check_duplicates(&L->e, &L->base_cfg, &L->ax.ax[a]);
        if (rc) return rc;
    }
    *n_total = (int)total;
    return SW_OK;
}

/* The readable id of the run that takes point pick[a] of each axis, into id; returns its
 * length (snprintf-style, so possibly more than idlen). It names what each axis set for
 * this run: for a key -> list axis or a zip group that is every key of the axis; for a
 * list of mappings (train.schedule: [{kind: step, step: 10}, {kind: cosine}]) only the
 * keys that value writes. */
static size_t readable_id(const loader *L, const int *pick, const sw_config *cfg, char *id, size_t idlen)
{
    size_t used = 0;
    id[0] = 0;
    for (int a = 0; a < L->ax.n; a++) {
        const assigns *pt = &L->ax.ax[a].points[pick[a]];
        if (L->ax.ax[a].sampled && used < idlen) {
            /* The point's index in its sequence and a hash of its values: short, and
             * stable for the same search. */
            used += (size_t)snprintf(id + used, idlen - used, "%sp%0*llu-%08x", used ? "," : "", L->search.id_width,
                                     (unsigned long long)L->search.point_index[pick[a]], (unsigned)L->search.point_hash[pick[a]]);
            continue;
        }
        for (int q = 0; q < pt->n && used < idlen; q++) {
            char v[256], shortname[64];
            id_value(cfg, pt->a[q].key, v, sizeof v);
            sw_short_key(pt->a[q].key->key, shortname, sizeof shortname);
            used += (size_t)snprintf(id + used, idlen - used, "%s%s=%s", used ? "," : "", shortname, v);
        }
    }
    return used;
}

/* Fills run r of n_total (its config cfg, built from points pick) after validating cfg:
 * the swept values, the id (index + hash when the readable one is long), hash and cost. */
/* Fills in the sizes a run's config left to its task (sw_task_resolve). A file task's
 * data file is read here, once per process (data.h caches it), so that a bad file stops
 * the sweep before any run starts; a relative task.path is taken from the config file's
 * directory and recorded as the absolute path it names. */
static int resolve_task(const loader *L, sw_config *cfg, char *err, size_t errlen, const char **bad)
{
    if (cfg->task.kind != SW_TASK_FILE || !cfg->task.path[0]) return sw_task_resolve(&cfg->task, NULL, err, errlen, bad);
    char joined[2 * SW_MAX_PATH], real[PATH_MAX];
    const char *slash = L->path ? strrchr(L->path, '/') : NULL;
    if (cfg->task.path[0] != '/' && slash)
        snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - L->path), L->path, cfg->task.path);
    else
        snprintf(joined, sizeof joined, "%s", cfg->task.path);
    if (realpath(joined, real) && strlen(real) < sizeof cfg->task.path) snprintf(cfg->task.path, sizeof cfg->task.path, "%s", real);
    const sw_data_file *data = NULL;
    char why[1024];
    if (sw_data_open(cfg->task.path, &data, why, sizeof why)) {
        *bad = "task.path";
        sw_set_error(err, errlen, "task.path: %s", why);
        return SW_ECONFIG;
    }
    sw_data_shape shape = {data->target, data->outputs, data->seq_len, data->input, data->n_train, data->n_test};
    return sw_task_resolve(&cfg->task, &shape, err, errlen, bad);
}

static int fill_run(loader *L, sw_sweep_spec *s, sw_run_spec *run, const int *pick, int r, int n_total)
{
    run->values = calloc((size_t)(s->n_swept ? s->n_swept : 1), sizeof *run->values);
    if (!run->values) return SW_ENOMEM;
    int rc;
    for (int j = 0; j < s->n_swept; j++) {
        char v[256];
        id_value(&run->cfg, L->swept[j], v, sizeof v);
        if ((rc = sw_dup_string(&run->values[j], v))) return rc;
    }
    char id[1024], err[1024];
    size_t used = readable_id(L, pick, &run->cfg, id, sizeof id);
    if (!s->n_swept) snprintf(id, sizeof id, "run");
    const char *bad = NULL;
    if (resolve_task(L, &run->cfg, err, sizeof err, &bad) ||
        sw_config_validate(&run->cfg, err, sizeof err, &bad)) {
        const node *at = locate(L, pick, bad ? bad : "");
        return s->n_swept ? sw_fail_at(&L->e, at, "%s (in run %s)", err, id) : sw_fail_at(&L->e, at, "%s", err);
    }
    if (used > MAX_ID_LEN) {
        char tmp[64];
        /* numbered from 1, as --dry-run lists the runs */
        snprintf(tmp, sizeof tmp, "r%0*d-%08x", n_total >= 10000 ? 5 : n_total >= 1000 ? 4 : 3, r + 1,
                 (unsigned)(sw_fnv1a(id) & 0xffffffffu));
        rc = sw_dup_string(&run->id, tmp);
    } else {
        rc = sw_dup_string(&run->id, id);
    }
    if (rc) return rc;
    char *yaml = sw_config_to_yaml(&run->cfg);
    if (!yaml) return SW_ENOMEM;
    snprintf(run->hash, sizeof run->hash, "%016llx", (unsigned long long)sw_fnv1a(yaml));
    free(yaml);
    run->cost = sw_config_cost_flops(&run->cfg);
    return SW_OK;
}

/* Builds run r of the product (grid order: a mixed-radix counter, the last axis fastest)
 * and appends it to s->runs unless an exclude entry drops it. */
static int add_run(loader *L, sw_sweep_spec *s, int *pick, int r, int n_total)
{
    int rest = r;
    for (int a = L->ax.n - 1; a >= 0; a--) {
        pick[a] = rest % L->ax.ax[a].n_points;
        rest /= L->ax.ax[a].n_points;
    }
    sw_config cfg = L->base_cfg;
    for (int a = 0; a < L->ax.n; a++) {
        int rc = sw_apply_all(&L->e, &cfg, &L->ax.ax[a].points[pick[a]]);
        if (rc) return rc;
    }
    bool dropped = false;
    for (int x = 0; x < L->n_excl; x++)
        if (sw_exclusion_matches(&L->excl[x], &cfg)) {
            L->excl[x].matched++;
            dropped = true;
        }
    if (dropped) return SW_OK;
    sw_run_spec *run = &s->runs[s->n_runs];
    run->cfg = cfg;
    run->index = s->n_runs++;
    run->point = L->ax.n > 0 && L->ax.ax[0].sampled ? pick[0] : -1;
    return fill_run(L, s, run, pick, r, n_total);
}

static int by_id_then_index(const void *x, const void *y)
{
    const sw_run_spec *a = *(const sw_run_spec *const *)x, *b = *(const sw_run_spec *const *)y;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* After every run is built: refuses a sweep with no run left, warns about exclude entries
 * that matched nothing, and checks the ids are unique. */
static int check_runs(loader *L, sw_sweep_spec *s, int n_total)
{
    if (s->n_runs == 0)
        return sw_fail_at(&L->e, L->excl ? L->excl[0].where : L->root,
                       "every one of the %d runs is excluded, so the sweep would have no runs", n_total);
    for (int x = 0; x < L->n_excl; x++)
        if (!L->excl[x].matched) {
            char w[512];
            snprintf(w, sizeof w, "%s:%d:%d: warning: this exclude entry matches no run", L->path,
                     L->excl[x].where->line, L->excl[x].where->col);
            int rc = sw_sweep_spec_warn(s, w);
            if (rc) return rc;
        }
    /* Ids are unique when values are (checked per axis); guard the hash form too. Sorted,
     * as sampled searches make many runs: the first run repeating an earlier id is named,
     * with the earliest it repeats. */
    const sw_run_spec **order = malloc((size_t)s->n_runs * sizeof *order);
    if (!order) return SW_ENOMEM;
    for (int i = 0; i < s->n_runs; i++) order[i] = &s->runs[i];
    qsort(order, (size_t)s->n_runs, sizeof *order, by_id_then_index);
    const sw_run_spec *first = NULL, *again = NULL;
    for (int i = 1; i < s->n_runs; i++) {
        const sw_run_spec *a = order[i - 1], *b = order[i];
        bool starts = i == 1 || strcmp(order[i - 2]->id, a->id); /* a is the first of its id */
        if (starts && !strcmp(a->id, b->id) && (!again || b->index < again->index)) first = a, again = b;
    }
    free(order);
    if (again)
        return sw_fail_at(&L->e, L->grid_node ? L->grid_node : L->root, "runs %d and %d get the same id %s",
                       first->index + 1, again->index + 1, again->id);
    return SW_OK;
}

/* Sorting runs by their swept values without the seed (keys[i]), then grid order. */
typedef struct {
    const char *key;
    int index;
} config_key;

static int by_key_then_index(const void *x, const void *y)
{
    const config_key *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : a->index - b->index;
}

/* Numbers the configurations (sw_run_spec.config): runs whose swept values other than
 * `seed` are equal share one, numbered in the grid order of their first runs. */
static int number_configs(sw_sweep_spec *s)
{
    int seed = -1;
    for (int j = 0; j < s->n_swept; j++)
        if (!strcmp(s->swept_keys[j], "seed")) seed = j;
    s->n_configs = 0;
    if (seed < 0) { /* every run its own */
        for (int i = 0; i < s->n_runs; i++) s->runs[i].config = s->n_configs++;
        return SW_OK;
    }
    config_key *k = calloc((size_t)(s->n_runs ? s->n_runs : 1), sizeof *k);
    int *first = malloc((size_t)(s->n_runs ? s->n_runs : 1) * sizeof *first);
    int rc = k && first ? SW_OK : SW_ENOMEM;
    for (int i = 0; i < s->n_runs && !rc; i++) {
        size_t len = 1;
        for (int j = 0; j < s->n_swept; j++) len += j == seed ? 0 : strlen(s->runs[i].values[j]) + 1;
        char *t = malloc(len), *o = t;
        if (!t) {
            rc = SW_ENOMEM;
            break;
        }
        for (int j = 0; j < s->n_swept; j++)
            if (j != seed) o += sprintf(o, "%s\x1f", s->runs[i].values[j]); /* a separator no value holds */
        *o = 0;
        k[i] = (config_key){t, i};
    }
    if (!rc) {
        qsort(k, (size_t)s->n_runs, sizeof *k, by_key_then_index);
        for (int i = 0; i < s->n_runs; i++) /* each run's group starts with its first run */
            first[k[i].index] = i > 0 && !strcmp(k[i].key, k[i - 1].key) ? first[k[i - 1].index] : k[i].index;
        for (int i = 0; i < s->n_runs; i++)
            s->runs[i].config = first[i] == i ? s->n_configs++ : s->runs[first[i]].config;
    }
    for (int i = 0; k && i < s->n_runs; i++) free((char *)k[i].key);
    free(k);
    free(first);
    return rc;
}

/* Expands the axes into s's runs, in grid order. */
int sw_expand(loader *L, sw_sweep_spec *s)
{
    int n_total = 0, rc;
    if ((rc = sw_searchspec_build(&L->search, &L->e, &L->ax, &L->base_cfg, s)) || (rc = list_swept(L, s)) ||
        (rc = check_size(L, &n_total)))
        return rc;
    s->runs = calloc((size_t)n_total, sizeof *s->runs);
    int *pick = calloc((size_t)(L->ax.n ? L->ax.n : 1), sizeof *pick);
    rc = s->runs && pick ? SW_OK : SW_ENOMEM;
    for (int r = 0; r < n_total && !rc; r++) rc = add_run(L, s, pick, r, n_total);
    free(pick);
    if (!rc) rc = check_runs(L, s, n_total);
    if (!rc) rc = number_configs(s);
    if (!rc) rc = sw_searchspec_finish(&L->search, &L->e, s);
    return rc ? rc : sw_stopspec_check(&L->stop, &L->e, s);
}
