/* rebuild.c: `sweep index DIR`, the index rebuilt from the run files present (see
 * rebuild.h). */
#define _POSIX_C_SOURCE 200809L
#include "rebuild.h"
#include "pbtrun.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "h5read.h"
#include "h5write.h"
#include "index.h"
#include "keeper.h"
#include "manifest.h"
#include "outdir.h"
#include "rounds.h"
#include "runfile.h"
#include "stopping.h"

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const char *const *)a)[0], ((const char *const *)b)[0]);
}

/* What reading a directory's run files found. */
typedef struct {
    int complete, damaged;
    char *name;
} dir_reading;

/* Reads every run file of DIR (names[0..n_files)) through once: names those that do not
 * verify on diag, counts the complete ones, takes the sweep's name from the first, and
 * keeps the summary of each file that is one of the index's rows (ids[0..n_ids)) in the
 * cache for the index write. Returns SW_OK or SW_ENOMEM (message in err). */
static int read_dir_files(const char *dir, char **names, int n_files, const char *const *ids, int n_ids,
                          sw_index_cache *cache, FILE *diag, dir_reading *rd, char *err, size_t errlen)
{
    /* (id, row) pairs sorted by id: a file's row by binary search */
    struct pair { const char *id; int row; } *sorted = malloc((size_t)(n_ids ? n_ids : 1) * sizeof *sorted);
    if (!sorted) return SW_ENOMEM;
    for (int i = 0; i < n_ids; i++) sorted[i] = (struct pair){ids[i], i};
    qsort(sorted, (size_t)n_ids, sizeof *sorted, cmp_id);
    int rc = SW_OK;
    for (int k = 0; k < n_files && rc == SW_OK; k++) {
        char path[PATH_MAX], id[PATH_MAX], why[PATH_MAX + 256];
        if (sw_outdir_path(path, sizeof path, dir, names[k], "")) continue;
        snprintf(id, sizeof id, "%.*s", (int)strlen(names[k]) - 3, names[k]); /* without .h5 */
        const char *key = id;
        struct pair *at = n_ids ? bsearch(&key, sorted, (size_t)n_ids, sizeof *sorted, cmp_id) : NULL;
        sw_run_file f;
        int got = sw_h5_read_run(path, SW_READ_VERIFY, &f, why, sizeof why);
        if (got == SW_OK) {
            rd->complete++;
            if (!rd->name && f.sweep && !(rd->name = strdup(f.sweep))) got = SW_ENOMEM;
            if (at) sw_index_cache_put(cache, at->row, path, &f);
        } else if (got == SW_EFORMAT) {
            rd->damaged++;
            if (diag) fprintf(diag, "sweep index: %s; %s\n", why, at ? "listed as unreadable" : "not indexed");
        }
        sw_run_file_free(&f);
        if (got == SW_ENOMEM) {
            snprintf(err, errlen, "out of memory");
            rc = got;
        }
    }
    free(sorted);
    return rc;
}

/* The decisions early stopping has taken in DIR, recomputed from the run files of the
 * manifest's runs (m->has_stop; a tpe search's rounds each among its own runs). Fills *d
 * (rows owned by *o, ids by m). Returns SW_OK or SW_ENOMEM. */
static int rebuild_decisions(const char *dir, const manifest *m, bool tpe, sw_stop_plan *plan, sw_stop_outcome *o,
                             sw_index_decisions *d)
{
    sw_stop_run_state *st = calloc((size_t)(m->n ? m->n : 1), sizeof *st);
    double **values = calloc((size_t)(m->n ? m->n : 1), sizeof *values);
    sw_metric_mode mode = strstr(sw_stop_metric_name(m->stop.metric), "_acc") ? SW_METRIC_MAX : SW_METRIC_MIN;
    /* configurations numbered from 0 in order of first run, as sweep writes them */
    bool configs = m->n > 0;
    for (int i = 0, next = 0; i < m->n && configs; i++) {
        configs = m->configs[i] >= 0 && m->configs[i] <= next;
        next += m->configs[i] == next;
    }
    /* a manifest without them (before stop.by) ranked runs */
    sw_stop_by by = configs ? m->stop.by : SW_STOP_BY_RUN;
    int rc = st && values ? sw_stop_plan_init(plan, m->stop.kind, mode, by, m->stop.eta, m->stop.min_epochs,
                                              m->stop_epochs, m->n, (const char *const *)m->ids,
                                              configs ? m->configs : NULL)
                          : SW_ENOMEM;
    bool rounds = tpe && m->rounds && m->n > 0;
    for (int i = 0; i < m->n && rounds; i++) rounds = m->rounds[i] >= 0;
    if (rc == SW_OK && rounds) rc = sw_stop_plan_set_groups(plan, m->rounds);
    if (rc == SW_EINVAL) rc = SW_OK; /* rounds out of order: decided as one group */
    for (int i = 0; i < m->n && rc == SW_OK; i++) {
        char path[PATH_MAX], why[PATH_MAX + 256];
        if (sw_outdir_path(path, sizeof path, dir, m->ids[i], ".h5")) continue;
        sw_run_file f;
        int got = sw_h5_read_run(path, SW_READ_VERIFY | SW_READ_HISTORY, &f, why, sizeof why);
        if (got == SW_ENOMEM) rc = got;
        else rc = sw_outdir_stop_state(got == SW_OK ? &f : NULL, sw_stop_metric_name(m->stop.metric), &st[i],
                                       &values[i]);
        sw_run_file_free(&f);
    }
    if (rc == SW_OK) rc = sw_stop_evaluate(plan, st, o);
    if (rc == SW_OK)
        *d = (sw_index_decisions){m->stop.kind, m->stop.metric, m->stop.eta, m->stop.min_epochs, o->decisions,
                                  o->n_decisions, (const char *const *)m->ids, by, plan->group != NULL};
    for (int i = 0; values && i < m->n; i++) free(values[i]);
    free(values);
    free(st);
    return rc;
}

/* A sampled search's /search for the index `sweep index DIR` rebuilds over the manifest's
 * runs: its sweep read again from the manifest's text, a tpe search's rounds chosen again
 * from the files (rounds.h). Fills *x when that sweep's runs are the manifest's, in its
 * order; *spec (the caller frees it) keeps what x borrows. Says on diag why not (may be
 * NULL). Returns SW_OK (x->active false when there is nothing to write) or SW_ENOMEM. */
static int rebuild_search(const char *dir, const manifest *m, FILE *diag, sw_sweep_spec **spec, sw_search_index *x)
{
    memset(x, 0, sizeof *x);
    *spec = NULL;
    if (!m->text || !strstr(m->text, "search")) return SW_OK;
    char path[PATH_MAX], *sets[64], err[512];
    int n_sets = 0, rc = SW_OK;
    snprintf(path, sizeof path, "%s/%s.yaml", dir, m->name ? m->name : "sweep");
    sw_sweep_spec *s = sw_manifest_sweep(path, m->text, sets, &n_sets);
    if (s && s->search.kind == SW_SEARCH_TPE) {
        sw_rounds *R = sw_rounds_create(s);
        rc = R ? sw_rounds_catch_up(R, &s, (const char *const *)sets, n_sets, dir, false, NULL, err, sizeof err)
               : SW_ENOMEM;
        sw_rounds_free(R);
        if (rc && rc != SW_ENOMEM && diag) fprintf(diag, "sweep index: /search left out: %s\n", err);
        if (rc && rc != SW_ENOMEM) rc = SW_OK, sw_sweep_spec_free(s), s = NULL;
    }
    bool same = s && s->search.kind != SW_SEARCH_GRID && s->n_runs <= m->n;
    for (int i = 0; same && i < s->n_runs; i++) same = !strcmp(s->runs[i].id, m->ids[i]);
    if (s && s->search.kind != SW_SEARCH_GRID && !same && diag)
        fprintf(diag, "sweep index: /search left out: the sweep in the manifest's config text has other runs than "
                      "its run list\n");
    if (rc == SW_OK && same) rc = sw_search_index_init(x, s);
    for (int i = 0; i < n_sets; i++) free(sets[i]);
    *spec = s;
    return rc;
}

/* The run ids of the n run files `names` (their names without ".h5"), for a directory
 * without a manifest; NULL when n is 0 or memory runs out. The caller frees them with
 * sw_h5_free_names(ids, n). */
static char **ids_of_files(char **names, int n)
{
    char **ids = n > 0 ? calloc((size_t)n, sizeof *ids) : NULL;
    for (int k = 0; k < n && ids; k++)
        if (!(ids[k] = strndup(names[k], strlen(names[k]) - 3))) {
            sw_h5_free_names(ids, k);
            ids = NULL;
        }
    return ids;
}

/* What sw_sweep_rebuild_index decides again from the files for the index: a search's
 * points, a pbt population, a stopping plan's decisions (each where the manifest has one). */
typedef struct {
    sw_sweep_spec *search_spec;
    sw_search_index search;
    sw_pbt_index pbt;
    sw_stop_plan plan;
    sw_stop_outcome stop_out;
    sw_index_decisions dec;
} rebuilt_plans;

static void rebuilt_plans_free(rebuilt_plans *r)
{
    sw_search_index_free(&r->search);
    sw_pbt_index_free(&r->pbt);
    sw_sweep_spec_free(r->search_spec);
    sw_stop_outcome_free(&r->stop_out);
    sw_stop_plan_free(&r->plan);
}

/* Decides a search's points, a pbt population and a stopping plan's decisions again from
 * the manifest m and the files of dir, and points ix at them. SW_OK or SW_ENOMEM. */
static int rebuild_plans(const char *dir, const manifest *m, FILE *diag, rebuilt_plans *r, sw_index_spec *ix)
{
    int rc = rebuild_search(dir, m, diag, &r->search_spec, &r->search);
    if (rc) return rc;
    if (r->search.active) ix->search = &r->search.s;
    if (r->search.active && r->search_spec->search.kind == SW_SEARCH_PBT) { /* decided again from the files */
        if ((rc = sw_pbt_index_init(&r->pbt, r->search_spec, dir))) return rc;
        ix->pbt = &r->pbt.index;
    }
    bool tpe = r->search_spec && r->search_spec->search.kind == SW_SEARCH_TPE;
    if (m->has_stop) {
        if ((rc = rebuild_decisions(dir, m, tpe, &r->plan, &r->stop_out, &r->dec))) return rc;
        ix->decisions = &r->dec;
    }
    return SW_OK;
}

int sw_sweep_rebuild_index(const char *dir, FILE *report, FILE *diag, int *damaged, char *err, size_t errlen)
{
    int rc = sw_h5_init(err, errlen);
    if (rc) return rc;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char hint[PATH_MAX + 256];
        sw_outdir_hint(dir, hint, sizeof hint);
        snprintf(err, errlen, "%s is not a directory%s", dir, hint);
        return SW_ENOTFOUND;
    }
    manifest m;
    int got = sw_manifest_read(dir, &m, err, errlen);
    if (got < 0) return got;
    char **names = NULL, **listed_ids = NULL;
    int n_files = sw_h5_list_runs(dir, &names);
    if (n_files < 0) {
        snprintf(err, errlen, "cannot list the run files of %s: %s", dir, sw_strerror(n_files));
        sw_manifest_free(&m);
        return n_files;
    }
    /* The rows: the manifest's runs in grid order, else every run file present by name. */
    int n_ids = got == 1 ? m.n : n_files;
    if (got != 1) listed_ids = ids_of_files(names, n_files);
    const char *const *ids = got == 1 ? (const char *const *)m.ids : (const char *const *)listed_ids;
    sw_index_cache *cache = sw_index_cache_create(n_ids);
    dir_reading rd = {0};
    rebuilt_plans plans = {0};
    if (!cache || (n_ids > 0 && !ids)) {
        snprintf(err, errlen, "out of memory");
        rc = SW_ENOMEM;
        goto out;
    }
    if ((rc = read_dir_files(dir, names, n_files, ids, n_ids, cache, diag, &rd, err, errlen))) goto out;
    if (got == 0 && rd.complete == 0) {
        snprintf(err, errlen, "%s holds neither a %s nor any complete run file: nothing to index", dir, SW_MANIFEST_NAME);
        rc = SW_ENOTFOUND;
        goto out;
    }
    sw_index_spec ix = {0};
    /* the name: the manifest's, else that of the first complete run file */
    ix.sweep_name = m.name ? m.name : rd.name ? rd.name : "";
    ix.config_text = m.text;
    ix.run_ids = ids;
    ix.n_runs = n_ids;
    ix.cache = cache;
    if (got == 1 && (rc = rebuild_plans(dir, &m, diag, &plans, &ix))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    int lock = sw_outdir_index_lock(dir, err, errlen);
    if (lock < 0) {
        rc = lock;
        goto out;
    }
    rc = sw_h5_write_index(dir, &ix, err, errlen);
    sw_outdir_index_unlock(lock);
    if (rc == SW_OK && report) {
        fprintf(report, "sweep index: wrote %s/sweep.h5: %d run%s%s, %d with a complete file", dir, n_ids,
                sw_plural(n_ids), got == 1 ? " in the manifest's order" : " (no manifest: every run file present)",
                rd.complete);
        if (rd.damaged)
            fprintf(report, "; %d file%s that do%s not verify (named above)", rd.damaged, sw_plural(rd.damaged),
                    rd.damaged == 1 ? "es" : "");
        fprintf(report, "\n");
    }
out:
    if (damaged) *damaged = rd.damaged;
    rebuilt_plans_free(&plans);
    free(rd.name);
    sw_index_cache_free(cache);
    sw_h5_free_names(listed_ids, listed_ids ? n_files : 0);
    sw_h5_free_names(names, n_files);
    sw_manifest_free(&m);
    return rc;
}
