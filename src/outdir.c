/* outdir.c: the output directory, its lock and manifest, resume, and `sweep index DIR`
 * (see outdir.h). */
#define _POSIX_C_SOURCE 200809L
#include "outdir.h"
#include "rounds.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicio.h"
#include "common.h"
#include "h5io.h"
#include "record.h"
#include "stopping.h"

/* The lock file: its name also keeps it out of dir_has_entries' account. */
#define SW_LOCK_NAME ".sweep.lock"
#define SW_INDEX_LOCK_NAME ".sweep.index.lock"

int sw_outdir_path(char *out, size_t outlen, const char *dir, const char *name, const char *ext)
{
    int n = snprintf(out, outlen, "%s/%s%s", dir, name, ext);
    return n < 0 || (size_t)n >= outlen ? SW_EINVAL : SW_OK;
}

int sw_outdir_checkpoint_path(const char *dir, const char *run_id, char *out, size_t outlen)
{
    return sw_outdir_path(out, outlen, dir, run_id, SW_CHECKPOINT_EXT);
}

/* ---- creating the directory --------------------------------------------------------- */

/* mkdir -p that remembers what it created, so a failure can undo it. */
static int make_dirs(const char *dir, char *err, size_t errlen, char ***created, int *n_created)
{
    *created = NULL;
    *n_created = 0;
    size_t len = strlen(dir);
    char *path = malloc(len + 1);
    if (!path) return SW_ENOMEM;
    memcpy(path, dir, len + 1);
    int rc = SW_OK;
    for (size_t i = 1; i <= len && !rc; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        char saved = path[i];
        path[i] = 0;
        if (mkdir(path, 0777) == 0) {
            char **c = realloc(*created, (size_t)(*n_created + 1) * sizeof *c);
            if (!c || !(c[*n_created] = strdup(path))) {
                if (c) *created = c;
                rc = SW_ENOMEM;
            } else {
                *created = c;
                (*n_created)++;
            }
        } else if (errno == EEXIST) {
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
                if (!strcmp(path, dir))
                    snprintf(err, errlen, "cannot create the output directory %s: it exists and is not a directory", dir);
                else
                    snprintf(err, errlen, "cannot create the output directory %s: %s exists and is not a directory",
                             dir, path);
                rc = SW_EIO;
            }
        } else {
            if (!strcmp(path, dir))
                snprintf(err, errlen, "cannot create the output directory %s: %s", dir, strerror(errno));
            else
                snprintf(err, errlen, "cannot create the output directory %s: %s: %s", dir, path, strerror(errno));
            rc = SW_EIO;
        }
        path[i] = saved;
    }
    free(path);
    return rc;
}

static void undo_dirs(char **created, int n)
{
    for (int i = n - 1; i >= 0; i--) rmdir(created[i]);
}

static void free_strings(char **s, int n)
{
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

/* ---- the manifest ------------------------------------------------------------------- */

/* An id and its position, for lookups by id (sorted by id: find_id). */
typedef struct {
    const char *id;
    int i;
} id_pos;

static int cmp_id_pos(const void *a, const void *b)
{
    return strcmp(((const id_pos *)a)->id, ((const id_pos *)b)->id);
}

/* ids[0..n) sorted for find_id (malloc'ed; NULL when out of memory). */
static id_pos *sort_ids(const char *const *ids, int n)
{
    id_pos *s = malloc((size_t)(n ? n : 1) * sizeof *s);
    for (int i = 0; s && i < n; i++) s[i] = (id_pos){ids[i], i};
    if (s) qsort(s, (size_t)n, sizeof *s, cmp_id_pos);
    return s;
}

/* The position of `id` in what sort_ids sorted; -1 when absent. */
static int find_id(const id_pos *sorted, int n, const char *id)
{
    id_pos key = {id, 0};
    const id_pos *at = n ? bsearch(&key, sorted, (size_t)n, sizeof *sorted, cmp_id_pos) : NULL;
    return at ? at->i : -1;
}

typedef struct {
    char **ids, **hashes;
    int *configs; /* per run: its configuration (sw_run_spec.config); -1 when its line has none */
    int *rounds;  /* per run: its round (sw_run_spec.round); -1 when its line has none */
    int n;
    id_pos *by_id; /* ids sorted (manifest_find) */
    char *name; /* the sweep's name (NULL if the manifest has none) */
    char *text; /* the sweep file's text (NULL in manifests written before it was kept) */
    /* early stopping: the line "stop KIND METRIC ETA MIN_EPOCHS EPOCHS [BY]" (has_stop; BY
     * absent in manifests from before stop.by, which ranked runs) */
    bool has_stop;
    sw_stop_config stop;
    int stop_epochs;
} manifest;

static void manifest_free(manifest *m)
{
    free_strings(m->ids, m->n);
    free_strings(m->hashes, m->n);
    free(m->configs);
    free(m->rounds);
    free(m->by_id);
    free(m->name);
    free(m->text);
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
static int manifest_read(const char *dir, manifest *m, char *err, size_t errlen)
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
    if (rc == 1 && !(m->by_id = sort_ids((const char *const *)m->ids, m->n))) rc = SW_ENOMEM;
    if (rc < 0) manifest_free(m);
    return rc;
}

static int manifest_find(const manifest *m, const char *id);

/* Whether run j of manifest `old` belongs to a round of spec's tpe search not chosen yet
 * here (another shard has gone further, or a file of an earlier round is missing now):
 * the same sweep, and a round spec does not know. Such runs are neither added nor removed. */
static bool future_run(const sw_sweep_spec *spec, const manifest *old, int j)
{
    return spec->search.kind == SW_SEARCH_TPE && old->rounds && old->rounds[j] >= spec->rounds_known && old->text &&
           spec->text && !strcmp(old->text, spec->text);
}

/* Writes the manifest through atomicio (temporary, fsync, rename): never half-written,
 * and a full disk is one message with nothing left behind. The temporary's name holds
 * the host and pid: shards of one sweep write the same manifest into one directory at the
 * same time, and each rename installs a complete one. The runs of later rounds `old`
 * lists (future_run; old may be NULL) are kept. */
static int manifest_write(const sw_sweep_spec *spec, const manifest *old, const char *dir, char *err, size_t errlen)
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
    /* early stopping's settings, so that `sweep index DIR` can put /decisions back */
    if (spec->stop.kind != SW_STOP_NONE)
        fprintf(f, "stop %s %s %d %d %d %s\n", sw_stop_kind_name(spec->stop.kind),
                sw_stop_metric_name(spec->stop.metric), spec->stop.eta, spec->stop.min_epochs, spec->stop_epochs,
                sw_stop_by_name(spec->stop.by));
    /* each run's configuration too, so that `sweep index DIR` can decide as the sweep did */
    for (int i = 0; i < spec->n_runs; i++)
        fprintf(f, "run %s %s %d %d\n", spec->runs[i].id, spec->runs[i].hash, spec->runs[i].config,
                spec->runs[i].round);
    for (int j = 0; old && j < old->n; j++)
        if (future_run(spec, old, j))
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

static int manifest_find(const manifest *m, const char *id)
{
    return m->by_id ? find_id(m->by_id, m->n, id) : -1;
}

/* True when DIR has entries besides . and .. */
static bool dir_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool any = false;
    /* A concurrent shard's manifest temporary or lock file does not make DIR foreign. */
    while (!any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
              strncmp(e->d_name, "." SW_MANIFEST_NAME ".tmp.", sizeof SW_MANIFEST_NAME + 5) &&
              strcmp(e->d_name, SW_LOCK_NAME) && strcmp(e->d_name, SW_INDEX_LOCK_NAME);
    closedir(d);
    return any;
}

/* ---- sw_sweep_prepare ----------------------------------------------------------------- */

/* How the runs of `spec` differ from those of a manifest: the runs added, removed (the
 * manifest's) and changed (spec's), in grid order, and a change of the stop settings. */
typedef struct {
    int *added, *removed, *changed; /* indices: spec, manifest, spec */
    int n_added, n_removed, n_changed;
    char stop[320]; /* "" or what changed in stop:, e.g. "stop.eta 3 -> 2" */
} run_diff;

static void diff_free(run_diff *d)
{
    free(d->added), free(d->removed), free(d->changed);
    memset(d, 0, sizeof *d);
}

/* "stop.eta 3 -> 2, ..." into out: how spec's stop settings differ from old's ("" when
 * they do not). stop.by counts only where it decides: when seeds make configurations. */
SW_PRINTF(4, 5)
static void append_item(char *out, size_t outlen, size_t *n, const char *fmt, ...)
{
    if (*n + 2 >= outlen) return;
    if (*n) *n += (size_t)snprintf(out + *n, outlen - *n, ", ");
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + *n, outlen - *n, fmt, ap);
    va_end(ap);
    *n = k < 0 ? outlen : *n + (size_t)k;
}

static void diff_stop(const sw_sweep_spec *spec, const manifest *old, char *out, size_t outlen)
{
    out[0] = 0;
    sw_stop_config was, now = spec->stop;
    sw_stop_defaults(&was);
    if (old->has_stop) was = old->stop;
    size_t n = 0;
    if (was.kind != now.kind)
        append_item(out, outlen, &n, "stop.kind %s -> %s", sw_stop_kind_name(was.kind), sw_stop_kind_name(now.kind));
    if (was.kind == SW_STOP_NONE || now.kind == SW_STOP_NONE) return;
    if (was.metric != now.metric)
        append_item(out, outlen, &n, "stop.metric %s -> %s", sw_stop_metric_name(was.metric),
                    sw_stop_metric_name(now.metric));
    if (was.eta != now.eta) append_item(out, outlen, &n, "stop.eta %d -> %d", was.eta, now.eta);
    if (was.min_epochs != now.min_epochs)
        append_item(out, outlen, &n, "stop.min_epochs %d -> %d", was.min_epochs, now.min_epochs);
    bool before_by = old->configs && old->n && old->configs[0] < 0; /* a manifest from before stop.by */
    if (was.by != now.by && spec->n_configs < spec->n_runs)
        append_item(out, outlen, &n, "stop.by %s -> %s%s", sw_stop_by_name(was.by), sw_stop_by_name(now.by),
                    before_by ? " (this directory was run before stop.by, ranking runs; --set stop.by=run goes on "
                                "so)" : "");
}

/* Fills *d. Returns SW_OK or SW_ENOMEM. */
static int diff_runs(const sw_sweep_spec *spec, const manifest *old, run_diff *d)
{
    memset(d, 0, sizeof *d);
    const char **ids = calloc((size_t)(spec->n_runs ? spec->n_runs : 1), sizeof *ids);
    for (int i = 0; ids && i < spec->n_runs; i++) ids[i] = spec->runs[i].id;
    id_pos *mine = ids ? sort_ids(ids, spec->n_runs) : NULL;
    d->added = malloc((size_t)(spec->n_runs ? spec->n_runs : 1) * sizeof *d->added);
    d->changed = malloc((size_t)(spec->n_runs ? spec->n_runs : 1) * sizeof *d->changed);
    d->removed = malloc((size_t)(old->n ? old->n : 1) * sizeof *d->removed);
    int rc = mine && d->added && d->changed && d->removed ? SW_OK : SW_ENOMEM;
    for (int i = 0; i < spec->n_runs && !rc; i++) {
        int j = manifest_find(old, spec->runs[i].id);
        if (j < 0) d->added[d->n_added++] = i;
        else if (strcmp(old->hashes[j], spec->runs[i].hash)) d->changed[d->n_changed++] = i;
    }
    for (int j = 0; j < old->n && !rc; j++)
        if (find_id(mine, spec->n_runs, old->ids[j]) < 0 && !future_run(spec, old, j)) d->removed[d->n_removed++] = j;
    if (!rc) diff_stop(spec, old, d->stop, sizeof d->stop);
    free(mine);
    free(ids);
    if (rc) diff_free(d);
    return rc;
}

/* The config run `id` had before: from its file in DIR (its /config), else from the old
 * sweep (re-read from the manifest's text; may be NULL). Returns true when found. */
static bool old_config(const char *dir, const char *id, const sw_sweep_spec *was, sw_config *cfg)
{
    char path[PATH_MAX], why[256];
    sw_run_file f;
    bool got = !sw_outdir_path(path, sizeof path, dir, id, ".h5") && sw_h5_read_run(path, 0, &f, why, sizeof why) == SW_OK &&
               !f.config_bad[0];
    if (got) *cfg = f.config;
    sw_run_file_free(&f);
    for (int i = 0; !got && was && i < was->n_runs; i++)
        if (!strcmp(was->runs[i].id, id)) *cfg = was->runs[i].cfg, got = true;
    return got;
}

/* The sweep a config text (as the manifest and the index keep it: the file's text, then
 * the "# --set KEY=VALUE" lines its --set overrides left) describes, read again as if
 * from the file at `path` (relative data paths alike); its overrides into sets[0..*n_sets)
 * (room for 64, malloc'ed, the caller frees them). NULL when it does not read now. */
static sw_sweep_spec *sweep_of_text(const char *path, const char *text, char **sets, int *n_sets)
{
    *n_sets = 0;
    /* the overrides' lines are the last ones: back over them to the end of the file's text */
    size_t len = strlen(text), file_len = len;
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
    len = file_len; /* parse appends the overrides' lines again */
    sw_sweep_spec *was = NULL;
    char err[256];
    if (sw_sweep_spec_parse(path, text, len, (const char *const *)sets, *n_sets, &was, err, sizeof err)) was = NULL;
    return was;
}

/* The sweep the manifest's config text described, read again as if from spec's file;
 * NULL when there is no text or it does not read now. */
static sw_sweep_spec *old_sweep(const sw_sweep_spec *spec, const manifest *old)
{
    if (!old->text) return NULL;
    char *sets[64];
    int n_sets = 0;
    sw_sweep_spec *was = sweep_of_text(spec->path, old->text, sets, &n_sets);
    for (int i = 0; i < n_sets; i++) free(sets[i]);
    return was;
}

/* "9 runs with a changed config (in train.lr; e.g. run X: train.lr 0.001 -> 0.01)" into
 * out: which keys of which runs changed, compared for the first few changed runs. */
static void describe_changed(const sw_sweep_spec *spec, const manifest *old, const run_diff *d, const char *dir,
                             char *out, size_t outlen)
{
    enum { COMPARED = 64 };
    bool differs[512] = {false}; /* per schema key: changed in a run compared */
    SW_ASSERT(sw_schema_len <= SW_ARRAY_LEN(differs));
    char example[640] = "";
    sw_sweep_spec *was = NULL;
    bool tried_old = false;
    for (int c = 0; c < d->n_changed && c < COMPARED; c++) {
        const sw_run_spec *run = &spec->runs[d->changed[c]];
        sw_config before;
        bool found = old_config(dir, run->id, was, &before);
        if (!found && !tried_old) {
            tried_old = true;
            was = old_sweep(spec, old);
            found = old_config(dir, run->id, was, &before);
        }
        if (!found) continue;
        char list[512] = "";
        size_t n = 0;
        for (size_t k = 0; k < sw_schema_len; k++) {
            char a[128], b[128];
            if (sw_key_is_runtime(&sw_schema[k])) continue;
            sw_config_format(&before, &sw_schema[k], a, sizeof a);
            sw_config_format(&run->cfg, &sw_schema[k], b, sizeof b);
            if (!strcmp(a, b)) continue;
            differs[k] = true;
            if (n < sizeof list)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s %s -> %s", n ? ", " : "", sw_schema[k].key, a, b);
        }
        if (!example[0] && list[0]) snprintf(example, sizeof example, "run %s: %s", run->id, list);
    }
    sw_sweep_spec_free(was);
    size_t n = (size_t)snprintf(out, outlen, "%d run%s with a changed config", d->n_changed, sw_plural(d->n_changed));
    int keys = 0;
    for (size_t k = 0; k < sw_schema_len && n < outlen; k++)
        if (differs[k]) n += (size_t)snprintf(out + n, outlen - n, "%s%s", keys++ ? ", " : " (in ", sw_schema[k].key);
    if (n >= outlen) return;
    if (keys)
        snprintf(out + n, outlen - n, "; e.g. %s)", example);
    else
        snprintf(out + n, outlen - n, " (e.g. run %s; no complete file or readable old config to compare it with)",
                 spec->runs[d->changed[0]].id);
}

/* Removed runs whose config is that of an added run (a new grid axis renames the runs:
 * seed=1 becomes hidden=8,seed=1): ", N of them ... under new ids, e.g. A is now B" into
 * out. Returns true when there are such runs. */
static bool describe_renamed(const sw_sweep_spec *spec, const manifest *old, const run_diff *d, char *out,
                             size_t outlen)
{
    const char **hashes = malloc((size_t)(d->n_added ? d->n_added : 1) * sizeof *hashes);
    id_pos *added = NULL;
    if (!hashes) return false;
    for (int i = 0; i < d->n_added; i++) hashes[i] = spec->runs[d->added[i]].hash;
    added = sort_ids(hashes, d->n_added);
    int same = 0, first = -1, as = -1;
    for (int j = 0; added && j < d->n_removed; j++) {
        int k = find_id(added, d->n_added, old->hashes[d->removed[j]]);
        if (k < 0) continue;
        if (!same++) first = d->removed[j], as = d->added[k];
    }
    if (same)
        snprintf(out, outlen, ", %d of them the same config under a new id (e.g. %s is now %s: a new grid axis "
                 "renames runs; --force redoes them under their new ids)", same, old->ids[first], spec->runs[as].id);
    free(added);
    free(hashes);
    return same > 0;
}

/* Does the difference need --force? Changed and removed runs, changed stop settings, and
 * runs added to an early-stopping sweep (its rungs rank all its runs: decisions already
 * taken would change) do; runs added to a plain sweep do not, nor the rounds a tpe search
 * adds (each round's rungs rank its own runs). */
static bool needs_force(const sw_sweep_spec *spec, const run_diff *d)
{
    bool ranked_together = spec->stop.kind != SW_STOP_NONE && spec->search.kind != SW_SEARCH_TPE;
    return d->n_changed || d->n_removed || d->stop[0] || (d->n_added && ranked_together);
}

/* SW_ECONFIG with the message in err when the differences d need --force. */
static int check_same_sweep(const sw_sweep_spec *spec, const manifest *old, const run_diff *d, const char *dir,
                            char *err, size_t errlen)
{
    if (!needs_force(spec, d)) return SW_OK;
    char what[1536];
    size_t n = 0;
    what[0] = 0;
    if (d->n_changed) describe_changed(spec, old, d, dir, what, sizeof what), n = strlen(what);
    if (d->n_removed && n < sizeof what) {
        n += (size_t)snprintf(what + n, sizeof what - n, "%s%d run%s removed (e.g. %s)", n ? "; " : "", d->n_removed,
                              sw_plural(d->n_removed), old->ids[d->removed[0]]);
        char renamed[1024];
        if (n < sizeof what && describe_renamed(spec, old, d, renamed, sizeof renamed))
            n += (size_t)snprintf(what + n, sizeof what - n, "%s", renamed);
    }
    if (d->stop[0] && n < sizeof what) n += (size_t)snprintf(what + n, sizeof what - n, "%s%s", n ? "; " : "", d->stop);
    if (d->n_added && spec->stop.kind != SW_STOP_NONE && spec->search.kind != SW_SEARCH_TPE && n < sizeof what)
        n += (size_t)snprintf(what + n, sizeof what - n, "%s%d run%s added (e.g. %s) to an early-stopping sweep, "
                              "whose rungs rank all its runs", n ? "; " : "", d->n_added, sw_plural(d->n_added),
                              spec->runs[d->added[0]].id);
    snprintf(err, errlen,
             "%s holds the results of a different sweep: %s. Use --force to run this config there (complete runs "
             "whose config did not change are kept; the files of changed and removed runs are moved to a "
             "subdirectory %s/dropped-N, never deleted, and changed runs redone), or choose another directory "
             "with -o", dir, what, dir);
    return SW_ECONFIG;
}

/* The checks made before anything is written: DIR is named, is a directory or absent, and
 * what it holds is this sweep's, or differs only by added runs (or opt->force). Reads its
 * manifest into *old (left empty when there is none) and the difference into *d. */
static int check_existing(const sw_sweep_spec *spec, const sw_sweep_options *opt, manifest *old, run_diff *d,
                          char *err, size_t errlen)
{
    const char *dir = opt->dir;
    if (!*dir) {
        snprintf(err, errlen, "the output directory name is empty");
        return SW_EINVAL;
    }
    struct stat st;
    if (stat(dir, &st) != 0) return SW_OK;
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot create the output directory %s: it exists and is not a directory", dir);
        return SW_EIO;
    }
    bool had_entries = dir_has_entries(dir);
    int got = manifest_read(dir, old, err, errlen);
    if (got < 0) return got;
    if (got == 0 && had_entries && !opt->force) {
        snprintf(err, errlen,
                 "%s exists and is not empty, but holds no %s (it is not a sweep's output directory); "
                 "choose another directory with -o, or use --force to write there anyway", dir, SW_MANIFEST_NAME);
        return SW_ECONFIG;
    }
    if (got == 0) return SW_OK;
    if (diff_runs(spec, old, d)) {
        snprintf(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    return opt->force ? SW_OK : check_same_sweep(spec, old, d, dir, err, errlen);
}

/* DIR/NAME opened (created if need be) for an flock, its path into lock (PATH_MAX).
 * Returns the descriptor, or SW_EIO with the message in err. */
static int open_lock_file(const char *dir, const char *name, char *lock, char *err, size_t errlen)
{
    lock[0] = 0;
    int fd = sw_outdir_path(lock, PATH_MAX, dir, name, "") ? -1 : open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the lock file %s: %s", lock, strerror(errno));
        return SW_EIO;
    }
    return fd;
}

/* One process per directory: two sweeps writing the same runs and index would race. The
 * lock is an flock on a hidden file, released by the kernel when the process ends however
 * it ends; the descriptor is kept open on purpose. Shards of one sweep share the directory
 * (a shared lock); a whole sweep or an MPI job excludes them and every other process,
 * since it removes temporaries. Returns SW_OK (lock held), SW_EIO (no lock file) or
 * SW_ECONFIG (another process holds the directory), with the message in err. */
static int take_lock(const char *dir, bool shard, char *err, size_t errlen)
{
    char lock[PATH_MAX];
    int fd = open_lock_file(dir, SW_LOCK_NAME, lock, err, errlen);
    if (fd < 0) return fd;
    if (flock(fd, (shard ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0) return SW_OK;
    if (shard)
        snprintf(err, errlen, "a whole-sweep (or MPI) process is writing to %s; shards can share a directory "
                 "only with other shards. Wait for it to finish (or stop it)", dir);
    else
        snprintf(err, errlen, "another sweep process is writing to %s (a whole sweep, an MPI job or shards "
                 "of one); wait for it to finish (or stop it) before starting this one", dir);
    close(fd);
    return SW_ECONFIG;
}

int sw_outdir_index_lock(const char *dir, char *err, size_t errlen)
{
    char lock[PATH_MAX];
    int fd = open_lock_file(dir, SW_INDEX_LOCK_NAME, lock, err, errlen);
    if (fd < 0) return fd;
    int rc;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) continue; /* a signal is not a reason to give up */
    if (rc == 0) return fd;
    snprintf(err, errlen, "cannot lock %s: %s", lock, strerror(errno));
    close(fd);
    return SW_EIO;
}

void sw_outdir_index_unlock(int fd)
{
    if (fd >= 0) close(fd); /* closing the only descriptor releases the flock */
}

/* DIR/dropped-N, the first N free, created; its path into out. Returns SW_OK, or SW_EIO
 * (errno says why). */
static int make_dropped_dir(const char *dir, char *out, size_t outlen)
{
    for (int k = 1; k < 100000; k++) {
        int n = snprintf(out, outlen, "%s/dropped-%d", dir, k);
        if (n < 0 || (size_t)n >= outlen) {
            errno = ENAMETOOLONG;
            return SW_EIO;
        }
        if (mkdir(out, 0777) == 0) return SW_OK;
        if (errno != EEXIST) return SW_EIO;
    }
    errno = EEXIST;
    return SW_EIO;
}

/* "a, b, c, d, ... (9 in all)" of ids[0..n) into out. */
static void list_ids(const char *const *ids, int n, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < n && i < 4 && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", ids[i]);
    if (n > 4 && used < outlen) snprintf(out + used, outlen - used, ", ... (%d in all)", n);
}

/* Moves the files of `n` runs (ids) into DIR/dropped-N (*moved_to, created on the first
 * file: "" when none had one) and removes their checkpoints (never resumable). A file gone
 * meanwhile (a shard moved it) is skipped. The ids moved are gathered into moved[] (room
 * for n), their count returned; SW_EIO with the message in err. */
static int move_runs(const char *dir, const char *const *ids, int n, char *moved_to, size_t tolen,
                     const char **moved, char *err, size_t errlen)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX], to[PATH_MAX + 32];
        struct stat st;
        if (!sw_outdir_checkpoint_path(dir, ids[i], path, sizeof path)) unlink(path);
        if (sw_outdir_path(path, sizeof path, dir, ids[i], ".h5") || lstat(path, &st) != 0) continue;
        if (!moved_to[0] && make_dropped_dir(dir, moved_to, tolen)) {
            snprintf(err, errlen, "cannot create a directory %s/dropped-N for the runs this sweep no longer has: %s",
                     dir, strerror(errno));
            moved_to[0] = 0;
            return SW_EIO;
        }
        snprintf(to, sizeof to, "%s/%s.h5", moved_to, ids[i]);
        if (rename(path, to) == 0) moved[count++] = ids[i];
        else if (errno != ENOENT) {
            snprintf(err, errlen, "cannot move %s to %s: %s", path, to, strerror(errno));
            return SW_EIO;
        }
    }
    return count;
}

/* Forced over a changed sweep: the files of the runs it no longer has (removed) and of
 * those whose config changed leave its view, moved (never deleted) into one new
 * DIR/dropped-N, so that summarize, index, report and the run loop count the same runs;
 * their checkpoints are removed. Says what moved where on `report` (may be NULL).
 * Returns SW_OK, SW_EIO or SW_ENOMEM with the message in err. */
static int drop_runs(const sw_sweep_spec *spec, const manifest *old, const run_diff *d, const char *dir, FILE *report,
                     char *err, size_t errlen)
{
    int n = d->n_removed + d->n_changed, rc = SW_OK;
    if (!n) return SW_OK;
    const char **ids = malloc((size_t)n * sizeof *ids), **moved = malloc((size_t)n * sizeof *moved);
    if (!ids || !moved) {
        free(ids), free(moved);
        snprintf(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    for (int i = 0; i < d->n_removed; i++) ids[i] = old->ids[d->removed[i]];
    for (int i = 0; i < d->n_changed; i++) ids[d->n_removed + i] = spec->runs[d->changed[i]].id;
    char to[PATH_MAX] = "", list[1024];
    int removed = move_runs(dir, ids, d->n_removed, to, sizeof to, moved, err, errlen);
    int changed = removed < 0 ? removed : move_runs(dir, ids + d->n_removed, d->n_changed, to, sizeof to,
                                                    moved + removed, err, errlen);
    if (removed < 0 || changed < 0) rc = SW_EIO;
    if (removed > 0 && report) {
        list_ids(moved, removed, list, sizeof list);
        fprintf(report, "sweep %s: moved the files of %d run%s this sweep no longer has to %s (%s): summarize, "
                "index and report leave them out\n", spec->name, removed, sw_plural(removed), to, list);
    }
    if (changed > 0 && report) {
        list_ids(moved + removed, changed, list, sizeof list);
        fprintf(report, "sweep %s: moved the files of %d run%s whose config changed to %s (%s); %s redone\n",
                spec->name, changed, sw_plural(changed), to, list, changed == 1 ? "it is" : "they are");
    }
    free(ids);
    free(moved);
    return rc;
}

/* Checkpoints of runs the sweep no longer has (forced over a changed sweep) can never be
 * resumed: removed with the other leftovers. A run's completed file keeps its id. */
static void remove_orphan_checkpoints(const sw_sweep_spec *spec, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    size_t ext = strlen(SW_CHECKPOINT_EXT);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= ext || strcmp(e->d_name + len - ext, SW_CHECKPOINT_EXT)) continue;
        bool known = false;
        for (int i = 0; i < spec->n_runs && !known; i++)
            known = strlen(spec->runs[i].id) == len - ext && !strncmp(spec->runs[i].id, e->d_name, len - ext);
        char path[PATH_MAX];
        if (!known && !sw_outdir_path(path, sizeof path, dir, e->d_name, "")) unlink(path);
    }
    closedir(d);
}

int sw_sweep_prepare(const sw_sweep_spec *spec, const sw_sweep_options *opt, char *err, size_t errlen)
{
    const char *dir = opt->dir;
    manifest old = {0};
    run_diff diff = {0};
    char **created = NULL;
    int n_created = 0;
    bool locked = false, theirs = false; /* theirs: another process holds DIR */
    int rc = sw_h5_init(err, errlen);
    if (rc) return rc;
    if ((rc = check_existing(spec, opt, &old, &diff, err, errlen))) goto out;
    if ((rc = make_dirs(dir, err, errlen, &created, &n_created))) goto out;
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "cannot write to the output directory %s: %s", dir, strerror(errno));
        rc = SW_EIO;
        goto out;
    }
    if (!opt->no_lock) {
        rc = take_lock(dir, opt->shard_count > 0, err, errlen);
        locked = rc == SW_OK;
        theirs = rc == SW_ECONFIG;
        if (rc) goto out;
    }
    if ((rc = drop_runs(spec, &old, &diff, dir, opt->report, err, errlen))) goto out;
    if (diff.n_added && opt->report) {
        char list[1024];
        const char **added = malloc((size_t)diff.n_added * sizeof *added);
        for (int i = 0; added && i < diff.n_added; i++) added[i] = spec->runs[diff.added[i]].id;
        if (added) list_ids(added, diff.n_added, list, sizeof list);
        fprintf(opt->report, "sweep %s: %d run%s added to the sweep in %s (%s)\n", spec->name, diff.n_added,
                sw_plural(diff.n_added), dir, added ? list : "");
        free(added);
    }
    remove_orphan_checkpoints(spec, dir);
    /* Shards share DIR with processes that may be writing right now: their temporaries
     * are not stale. A later whole-sweep invocation removes what killed shards left. */
    rc = opt->shard_count > 0 ? 0 : sw_h5_remove_temporaries(dir);
    if (rc < 0)
        snprintf(err, errlen, "cannot remove temporary files in %s: %s", dir, sw_strerror(rc));
    else
        rc = manifest_write(spec, &old, dir, err, errlen);
out:
    if (rc < 0 && n_created && !theirs) {
        /* This invocation made the directory: leave nothing of it behind. */
        char lock[PATH_MAX];
        if (locked && !sw_outdir_path(lock, sizeof lock, dir, SW_LOCK_NAME, "")) unlink(lock);
        undo_dirs(created, n_created);
    }
    free_strings(created, n_created);
    diff_free(&diff);
    manifest_free(&old);
    return rc < 0 ? rc : SW_OK;
}

/* ---- what a mistaken directory argument meant --------------------------------------- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The subdirectory of `parent` nearest to `name` (within two edits; not `name` itself)
 * into best (PATH_MAX). Returns true when there is one. */
static bool nearest_dir(const char *parent, const char *name, char *best)
{
    DIR *d = opendir(parent);
    if (!d) return false;
    int best_d = 3;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        if (e->d_name[0] == '.' || !strcmp(e->d_name, name)) continue;
        int dist = sw_edit_distance(name, e->d_name);
        if (dist >= best_d || snprintf(path, sizeof path, "%s/%s", parent, e->d_name) >= (int)sizeof path ||
            !is_dir(path))
            continue;
        best_d = dist;
        snprintf(best, PATH_MAX, "%s", !strcmp(parent, ".") ? e->d_name : path);
    }
    closedir(d);
    return best_d < 3;
}

void sw_outdir_hint(const char *dir, char *out, size_t outlen)
{
    out[0] = 0;
    size_t len = strlen(dir);
    int ext = len > 5 && !strcmp(dir + len - 5, ".yaml") ? 5 : len > 4 && !strcmp(dir + len - 4, ".yml") ? 4 : 0;
    char runs[PATH_MAX], near[PATH_MAX];
    if (ext) { /* a sweep file: its output directory */
        struct stat st;
        sw_sweep_spec *spec = NULL;
        char err[512];
        bool there = stat(dir, &st) == 0 && S_ISREG(st.st_mode);
        if (there && sw_sweep_spec_load(dir, NULL, 0, &spec, err, sizeof err) != SW_OK) spec = NULL;
        const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        if (spec) snprintf(runs, sizeof runs, "runs/%s", spec->name);
        else snprintf(runs, sizeof runs, "runs/%.*s", (int)(strlen(base) - (size_t)ext), base);
        sw_sweep_spec_free(spec);
        if (is_dir(runs))
            snprintf(out, outlen, "; %s is a sweep file, its results are in %s: sweep summarize %s", dir, runs, runs);
        else if (there)
            snprintf(out, outlen, "; %s is a sweep file, its results would be in %s (not there: run `sweep %s` "
                     "first, or give the directory its -o named)", dir, runs, dir);
        return;
    }
    char parent[PATH_MAX], name[PATH_MAX];
    const char *slash = strrchr(dir, '/');
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - dir) : 1, slash ? dir : ".");
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : dir);
    if (!slash && snprintf(runs, sizeof runs, "runs/%s", dir) < (int)sizeof runs && is_dir(runs)) {
        snprintf(out, outlen, "; did you mean %s?", runs);
    } else if (name[0] && nearest_dir(parent[0] ? parent : "/", name, near)) {
        snprintf(out, outlen, "; did you mean %s?", near);
    } else if (name[0] && slash && !strchr(parent, '/') && parent[0] && !is_dir(parent) &&
               nearest_dir(".", parent, near)) { /* rnus/t: the parent misspelt */
        char both[2 * PATH_MAX + 2];
        snprintf(both, sizeof both, "%s/%s", near, name);
        if (is_dir(both)) snprintf(out, outlen, "; did you mean %s?", both);
    }
}

/* ---- resume ----------------------------------------------------------------------------- */

int sw_outdir_move_aside(const char *path, char *moved, size_t movedlen)
{
    for (int k = 0; k < 1000; k++) {
        int n = k ? snprintf(moved, movedlen, "%s.damaged.%d", path, k) : snprintf(moved, movedlen, "%s.damaged", path);
        if (n < 0 || (size_t)n >= movedlen) return SW_EINVAL;
        struct stat st;
        if (lstat(moved, &st) == 0) continue;
        if (errno != ENOENT) return SW_EIO;
        return rename(path, moved) == 0 ? SW_OK : SW_EIO;
    }
    errno = EEXIST;
    return SW_EIO;
}

int sw_outdir_stop_state(const sw_run_file *f, const char *metric, sw_stop_run_state *st, double **values)
{
    *values = NULL;
    *st = (sw_stop_run_state){0, false, NULL};
    if (!f || f->status == SW_RUN_FAILED || f->status >= SW_RUN_STATUS_COUNT) return SW_OK;
    const double *col = sw_history_column(&f->history, metric);
    int e = f->epochs < f->history.epochs ? f->epochs : f->history.epochs;
    if (e > 0 && col) {
        if (!(*values = malloc((size_t)e * sizeof **values))) return SW_ENOMEM;
        memcpy(*values, col, (size_t)e * sizeof **values);
    } else {
        e = 0;
    }
    st->epochs = e;
    st->final = f->status == SW_RUN_DONE || f->status == SW_RUN_DIVERGED;
    st->values = *values;
    return SW_OK;
}

int sw_outdir_scan(const sw_sweep_spec *spec, const sw_sweep_options *opt, const sw_outdir_scan_options *scan,
                   sw_sweep_outcome *out, int *pending, char *err, size_t errlen)
{
    int n_pending = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        bool mine = sw_sweep_in_shard(spec, i, opt->shard_index, opt->shard_count);
        if (!mine && !scan->all_runs) continue;
        char path[PATH_MAX], why[PATH_MAX + 256], moved[PATH_MAX + 32];
        if (sw_outdir_path(path, sizeof path, opt->dir, spec->runs[i].id, ".h5")) {
            snprintf(err, errlen, "path too long for run %s in %s", spec->runs[i].id, opt->dir);
            return SW_EINVAL;
        }
        sw_run_file f;
        int rc = sw_h5_read_run(path, SW_READ_VERIFY | (scan->on_file ? SW_READ_HISTORY : 0), &f, why, sizeof why);
        sw_run_status status = f.status;
        if (rc == SW_OK && scan->on_file) scan->on_file(scan->ctx, i, &f);
        if (rc == SW_OK && mine) sw_index_cache_put(scan->cache, i, path, &f);
        sw_run_file_free(&f);
        if (rc == SW_ENOMEM) {
            snprintf(err, errlen, "%s", why);
            return rc;
        }
        if (!mine) continue;
        out->total++;
        if (rc == SW_EFORMAT && scan->move_aside) {
            /* Never deleted (it may be all that is left of a run), never trusted: moved out of
             * the way of the run's new file. */
            if (sw_outdir_move_aside(path, moved, sizeof moved) != SW_OK) {
                snprintf(err, errlen, "%s; cannot move it aside to redo the run: %s", why, strerror(errno));
                return SW_EIO;
            }
            if (scan->report) fprintf(scan->report, "sweep: damaged run file: %s; moved to %s, the run will be redone\n",
                                      why, moved);
        }
        if (rc == SW_OK && (status == SW_RUN_DONE || status == SW_RUN_DIVERGED)) {
            /* a process killed between writing the file and removing the checkpoint left it */
            char ckpt[PATH_MAX];
            if (scan->move_aside && !sw_outdir_checkpoint_path(opt->dir, spec->runs[i].id, ckpt, sizeof ckpt))
                unlink(ckpt);
            out->skipped++;
            if (status == SW_RUN_DONE) out->done++;
            else out->diverged++;
            continue;
        }
        /* missing, damaged, failed (failures can be transient) or stopped: redone, its file
         * replaced atomically */
        pending[n_pending++] = i;
    }
    return n_pending;
}

/* ---- sweep index DIR ---------------------------------------------------------------- */

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
 * manifest's runs (m->has_stop). Fills *d (rows owned by *o, ids by m). Returns SW_OK or
 * SW_ENOMEM. */
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
    /* a tpe search's rounds decided each among its own runs */
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
    sw_sweep_spec *s = sweep_of_text(path, m->text, sets, &n_sets);
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

int sw_sweep_rebuild_index(const char *dir, FILE *report, FILE *diag, char *err, size_t errlen)
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
    int got = manifest_read(dir, &m, err, errlen);
    if (got < 0) return got;
    char **names = NULL, **listed_ids = NULL;
    int n_files = sw_h5_list_runs(dir, &names);
    if (n_files < 0) {
        snprintf(err, errlen, "cannot list the run files of %s: %s", dir, sw_strerror(n_files));
        manifest_free(&m);
        return n_files;
    }
    /* The rows: the manifest's runs in grid order, else every run file present by name. */
    int n_ids = got == 1 ? m.n : n_files;
    if (got != 1 && n_files > 0 && (listed_ids = calloc((size_t)n_files, sizeof *listed_ids)))
        for (int k = 0; k < n_files && listed_ids; k++)
            if (!(listed_ids[k] = strndup(names[k], strlen(names[k]) - 3))) {
                sw_h5_free_names(listed_ids, k);
                listed_ids = NULL;
            }
    const char *const *ids = got == 1 ? (const char *const *)m.ids : (const char *const *)listed_ids;
    sw_index_cache *cache = sw_index_cache_create(n_ids);
    dir_reading rd = {0};
    sw_stop_plan plan = {0};
    sw_stop_outcome stop_out = {0};
    sw_sweep_spec *search_spec = NULL;
    sw_search_index search = {0};
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
    if (got == 1 && (rc = rebuild_search(dir, &m, diag, &search_spec, &search))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (search.active) ix.search = &search.s;
    sw_index_decisions dec;
    if (got == 1 && m.has_stop) {
        bool tpe = search_spec && search_spec->search.kind == SW_SEARCH_TPE;
        if ((rc = rebuild_decisions(dir, &m, tpe, &plan, &stop_out, &dec))) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        ix.decisions = &dec;
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
    sw_search_index_free(&search);
    sw_sweep_spec_free(search_spec);
    sw_stop_outcome_free(&stop_out);
    sw_stop_plan_free(&plan);
    free(rd.name);
    sw_index_cache_free(cache);
    sw_h5_free_names(listed_ids, listed_ids ? n_files : 0);
    sw_h5_free_names(names, n_files);
    manifest_free(&m);
    return rc;
}
