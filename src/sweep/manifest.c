/* manifest.c: DIR/sweep-manifest.txt, which runs an output directory is for (see
 * manifest.h). */
#define _POSIX_C_SOURCE 200809L
#include "manifest.h"
#include "sweepspec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicio.h"
#include "common.h"
#include "h5read.h"
#include "outdir.h"

static int cmp_id_pos(const void *a, const void *b)
{
    return strcmp(((const id_pos *)a)->id, ((const id_pos *)b)->id);
}

/* ids[0..n) sorted for find_id (malloc'ed; NULL when out of memory). */
id_pos *sw_ids_sort(const char *const *ids, int n)
{
    id_pos *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    for (int i = 0; s && i < n; i++) s[i] = (id_pos){ids[i], i};
    if (s) qsort(s, (size_t)n, sizeof *s, cmp_id_pos);
    return s;
}

/* The position of `id` in what sort_ids sorted; -1 when absent. */
int sw_ids_find(const id_pos *sorted, int n, const char *id)
{
    id_pos key = {id, 0};
    const id_pos *at = n ? bsearch(&key, sorted, (size_t)n, sizeof *sorted, cmp_id_pos) : NULL;
    return at ? at->i : -1;
}

void sw_manifest_free(manifest *m)
{
    sw_h5_free_names(m->ids, m->n);
    sw_h5_free_names(m->hashes, m->n);
    free(m->configs);
    free(m->rounds);
    free(m->by_id);
    free(m->name);
    free(m->text);
    free(m->pbt);
    memset(m, 0, sizeof *m);
}

/* The config text is kept on one manifest line, so that `sweep index DIR` can put it
 * back into a rebuilt index: backslash, newline and carriage return are escaped. */
static void write_escaped(FILE *f, const char *t)
{
    for (; *t; t++) {
        if (*t == '\\') fputs("\\\\", f);
        else if (*t == '\n') fputs("\\n", f);
        else if (*t == '\r') fputs("\\r", f);
        else fputc(*t, f);
    }
}

static char *unescape(const char *t)
{
    size_t n = strlen(t);
    char *out = malloc(n + 1), *o = out;
    if (!out) return NULL;
    for (; *t; t++) {
        if (*t == '\\' && t[1]) {
            t++;
            *o++ = *t == 'n' ? '\n' : *t == 'r' ? '\r' : *t;
        } else {
            *o++ = *t;
        }
    }
    *o = 0;
    return out;
}

/* Reads DIR/sweep-manifest.txt. Returns 1 when read, 0 when there is none, negative on
 * a malformed or unreadable one. */
int sw_manifest_read(const char *dir, manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    char path[PATH_MAX];
    if (sw_outdir_path(path, sizeof path, dir, SW_MANIFEST_NAME, "")) return SW_EINVAL;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return SW_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 1, lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n') line[--len] = 0;
        if (line[0] == '#' || line[0] == 0) continue;
        char id[512], hash[64];
        if (!strncmp(line, "name ", 5) || !strncmp(line, "config ", 7)) {
            char **slot = line[0] == 'n' ? &m->name : &m->text;
            free(*slot);
            if (!(*slot = line[0] == 'n' ? strdup(line + 5) : unescape(line + 7))) {
                rc = SW_ENOMEM;
                break;
            }
            continue;
        }
        if (!strncmp(line, "pbt ", 4)) {
            free(m->pbt);
            if (!(m->pbt = strdup(line + 4))) {
                rc = SW_ENOMEM;
                break;
            }
            continue;
        }
        if (!strncmp(line, "stop ", 5)) {
            char kind[32], metric[32], by[32] = "run";
            int eta, min_epochs, epochs;
            sw_stop_config c;
            sw_stop_defaults(&c);
            if (sscanf(line, "stop %31s %31s %d %d %d %31s", kind, metric, &eta, &min_epochs, &epochs, by) >= 5 &&
                sw_stop_set(&c, sw_stop_key_find("by"), by, false, NULL, 0) == SW_OK &&
                sw_stop_set(&c, sw_stop_key_find("kind"), kind, false, NULL, 0) == SW_OK &&
                sw_stop_set(&c, sw_stop_key_find("metric"), metric, false, NULL, 0) == SW_OK && eta >= 2 &&
                min_epochs >= 1 && epochs > min_epochs) {
                c.eta = eta, c.min_epochs = min_epochs;
                m->has_stop = c.kind != SW_STOP_NONE && c.metric != SW_STOP_METRIC_AUTO;
                m->stop = c;
                m->stop_epochs = epochs;
                continue;
            }
        }
        int config = -1, round = -1;
        if (sscanf(line, "run %511s %63s %d %d", id, hash, &config, &round) < 2) {
            snprintf(err, errlen, "%s:%d: malformed manifest line; remove the file to start afresh", path, lineno);
            rc = SW_EFORMAT;
            break;
        }
        char **ids = realloc(m->ids, (size_t)(m->n + 1) * sizeof *ids);
        if (ids) m->ids = ids;
        char **hashes = realloc(m->hashes, (size_t)(m->n + 1) * sizeof *hashes);
        if (hashes) m->hashes = hashes;
        int *configs = realloc(m->configs, (size_t)(m->n + 1) * sizeof *configs);
        if (configs) m->configs = configs;
        int *rounds = realloc(m->rounds, (size_t)(m->n + 1) * sizeof *rounds);
        if (rounds) m->rounds = rounds;
        if (!ids || !hashes || !configs || !rounds) {
            rc = SW_ENOMEM;
            break;
        }
        m->configs[m->n] = config;
        m->rounds[m->n] = round;
        m->ids[m->n] = strdup(id);
        m->hashes[m->n] = strdup(hash);
        m->n++;
        if (!m->ids[m->n - 1] || !m->hashes[m->n - 1]) {
            rc = SW_ENOMEM;
            break;
        }
    }
    free(line);
    fclose(f);
    if (rc == 1 && !(m->by_id = sw_ids_sort((const char *const *)m->ids, m->n))) rc = SW_ENOMEM;
    if (rc < 0) sw_manifest_free(m);
    return rc;
}

bool sw_manifest_future_run(const sw_sweep_spec *spec, const manifest *old, int j)
{
    return spec->search.kind == SW_SEARCH_TPE && old->rounds && old->rounds[j] >= spec->rounds_known && old->text &&
           spec->text && !strcmp(old->text, spec->text);
}

/* Writes the manifest through atomicio (temporary, fsync, rename): never half-written,
 * and a full disk is one message with nothing left behind. The temporary's name holds
 * the host and pid: shards of one sweep write the same manifest into one directory at the
 * same time, and each rename installs a complete one. */
int sw_manifest_write(const sw_sweep_spec *spec, const manifest *old, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX], owner[128], suffix[160];
    sw_atomic_owner(owner, sizeof owner);
    snprintf(suffix, sizeof suffix, ".tmp.%s", owner);
    if (sw_outdir_path(path, sizeof path, dir, SW_MANIFEST_NAME, "") ||
        sw_outdir_path(tmp, sizeof tmp, dir, "." SW_MANIFEST_NAME, suffix)) {
        snprintf(err, errlen, "output directory path too long: %s", dir);
        return SW_EINVAL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "cannot write %s: out of memory", path);
        return SW_ENOMEM;
    }
    fprintf(f, "# sweep manifest: the runs of this directory and a hash of each one's resolved config.\n"
               "# sweep compares it with the config on every invocation, to resume only the same sweep.\n");
    fprintf(f, "name %s\n", spec->name);
    fputs("config ", f);
    write_escaped(f, spec->text ? spec->text : "");
    fputc('\n', f);
    /* a pbt search's settings: its members' files follow from them (a change redoes them all) */
    char pbt[256];
    sw_manifest_pbt_line(spec, pbt, sizeof pbt);
    if (pbt[0]) fprintf(f, "pbt %s\n", pbt);
    /* early stopping's settings, so that `sweep index DIR` can put /decisions back */
    if (spec->stop.kind != SW_STOP_NONE)
        fprintf(f, "stop %s %s %d %d %d %s\n", sw_stop_kind_name(spec->stop.kind),
                sw_stop_metric_name(spec->stop.metric), spec->stop.eta, spec->stop.min_epochs, spec->stop_epochs,
                sw_stop_by_name(spec->stop.by));
    /* each run's configuration too, so that `sweep index DIR` can decide as the sweep did */
    for (int i = 0; i < spec->n_runs; i++)
        fprintf(f, "run %s %s %d %d\n", spec->runs[i].id, spec->runs[i].hash, spec->runs[i].config,
                spec->runs[i].round);
    for (int j = 0; old && j < old->n; j++) /* a tpe search's later rounds, chosen elsewhere */
        if (sw_manifest_future_run(spec, old, j))
            fprintf(f, "run %s %s %d %d\n", old->ids[j], old->hashes[j], old->configs[j], old->rounds[j]);
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    int rc = SW_ENOMEM;
    if (bad || !text)
        snprintf(err, errlen, "cannot write %s: out of memory", path);
    else
        rc = sw_atomic_write(dir, path, tmp, text, len, err, errlen);
    free(text);
    return rc;
}

int sw_manifest_find(const manifest *m, const char *id)
{
    return m->by_id ? sw_ids_find(m->by_id, m->n, id) : -1;
}

sw_sweep_spec *sw_manifest_sweep(const char *path, const char *text, char **sets, int *n_sets)
{
    *n_sets = 0;
    /* the overrides' lines are the last ones: back over them to the end of the file's text */
    size_t file_len = strlen(text);
    while (file_len > 0) {
        size_t start = file_len - 1; /* file_len ends a line ("\n" at file_len - 1) */
        while (start > 0 && text[start - 1] != '\n') start--;
        if (strncmp(text + start, "# --set ", 8) || text[file_len - 1] != '\n') break;
        file_len = start;
    }
    for (const char *at = text + file_len; *at && *n_sets < 64;) {
        const char *end = strchr(at, '\n');
        char *one = strndup(at + 8, (size_t)(end - at - 8));
        if (!one) break;
        sets[(*n_sets)++] = one;
        at = end + 1;
    }
    sw_sweep_spec *was = NULL;
    char err[256];
    /* parse appends the overrides' lines again */
    if (sw_sweep_spec_parse(path, text, file_len, (const char *const *)sets, *n_sets, &was, err, sizeof err))
        was = NULL;
    return was;
}

void sw_manifest_pbt_line(const sw_sweep_spec *spec, char *out, size_t outlen)
{
    const sw_search_config *c = &spec->search;
    if (c->kind != SW_SEARCH_PBT) {
        if (outlen) out[0] = 0;
        return;
    }
    char q[32], r[32];
    sw_format_shortest(q, sizeof q, c->quantile, 1e6);
    sw_format_shortest(r, sizeof r, c->resample, 1e6);
    snprintf(out, outlen, "%d %s %s %lld %s", c->interval, q, r, (long long)c->seed, c->factors);
}
