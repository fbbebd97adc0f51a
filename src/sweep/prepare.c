/* prepare.c: an output directory made ready for a sweep (see prepare.h): created, locked,
 * its manifest compared with the sweep (what was added, removed or changed, and whether
 * that needs --force), the files of dropped runs moved aside, stale checkpoints removed. */
#define _POSIX_C_SOURCE 200809L
#include "prepare.h"
#include "pbtrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "h5read.h"
#include "h5write.h"
#include "manifest.h"
#include "live.h"
#include "outdir.h"
#include "runfile.h"
#include "sweepspec.h"

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
/* A pbt search's members depend on each other (every barrier ranks them all): changed
 * settings (search.interval, quantile, resample, seed, factors), or any member added,
 * removed or changed, change every member; all of those already in the manifest count as
 * changed (moved aside and redone, with --force). */
static void diff_pbt(const sw_sweep_spec *spec, const manifest *old, run_diff *d)
{
    char now[256];
    sw_manifest_pbt_line(spec, now, sizeof now);
    bool settings = !old->pbt || strcmp(old->pbt, now);
    if (settings && !d->stop[0])
        snprintf(d->stop, sizeof d->stop, "the pbt search's settings (interval quantile resample seed factors) "
                 "changed from %.100s to %.100s", old->pbt ? old->pbt : "none", now);
    if (!settings && !d->n_added && !d->n_removed && !d->n_changed) return;
    d->n_changed = 0;
    for (int i = 0; i < spec->n_runs; i++)
        if (sw_manifest_find(old, spec->runs[i].id) >= 0) d->changed[d->n_changed++] = i;
}

static int diff_runs(const sw_sweep_spec *spec, const manifest *old, run_diff *d)
{
    memset(d, 0, sizeof *d);
    const char **ids = calloc((size_t)(spec->n_runs ? spec->n_runs : 1), sizeof *ids);
    for (int i = 0; ids && i < spec->n_runs; i++) ids[i] = spec->runs[i].id;
    id_pos *mine = ids ? sw_ids_sort(ids, spec->n_runs) : NULL;
    d->added = malloc((size_t)(spec->n_runs ? spec->n_runs : 1) * sizeof *d->added);
    d->changed = malloc((size_t)(spec->n_runs ? spec->n_runs : 1) * sizeof *d->changed);
    d->removed = malloc((size_t)(old->n ? old->n : 1) * sizeof *d->removed);
    int rc = mine && d->added && d->changed && d->removed ? SW_OK : SW_ENOMEM;
    for (int i = 0; i < spec->n_runs && !rc; i++) {
        int j = sw_manifest_find(old, spec->runs[i].id);
        if (j < 0) d->added[d->n_added++] = i;
        else if (strcmp(old->hashes[j], spec->runs[i].hash)) d->changed[d->n_changed++] = i;
    }
    for (int j = 0; j < old->n && !rc; j++)
        if (sw_ids_find(mine, spec->n_runs, old->ids[j]) < 0 && !sw_manifest_future_run(spec, old, j))
            d->removed[d->n_removed++] = j;
    if (!rc) diff_stop(spec, old, d->stop, sizeof d->stop);
    if (!rc && spec->search.kind == SW_SEARCH_PBT) diff_pbt(spec, old, d);
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

/* The sweep the manifest's config text described, read again as if from spec's file
 * (relative data paths alike); NULL when there is no text or it does not read now. */
static sw_sweep_spec *old_sweep(const sw_sweep_spec *spec, const manifest *old)
{
    if (!old->text) return NULL;
    char *sets[64];
    int n_sets = 0;
    sw_sweep_spec *was = sw_manifest_sweep(spec->path, old->text, sets, &n_sets);
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
    added = sw_ids_sort(hashes, d->n_added);
    int same = 0, first = -1, as = -1;
    for (int j = 0; added && j < d->n_removed; j++) {
        int k = sw_ids_find(added, d->n_added, old->hashes[d->removed[j]]);
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
    bool ranked_together = (spec->stop.kind != SW_STOP_NONE && spec->search.kind != SW_SEARCH_TPE) ||
                           spec->search.kind == SW_SEARCH_PBT;
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
    int got = sw_manifest_read(dir, old, err, errlen);
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

/* One process per directory: two sweeps writing the same runs and index would race. The
 * lock is an flock on a hidden file, released by the kernel when the process ends however
 * it ends; the descriptor is kept open on purpose. Shards of one sweep share the directory
 * (a shared lock); a whole sweep or an MPI job excludes them and every other process,
 * since it removes temporaries. Returns SW_OK (lock held), SW_EIO (no lock file) or
 * SW_ECONFIG (another process holds the directory), with the message in err. */
static int take_lock(const char *dir, bool shard, char *err, size_t errlen)
{
    char lock[PATH_MAX];
    int fd = sw_outdir_open_lock(dir, SW_LOCK_NAME, lock, err, errlen);
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
 * resumed: removed with the other leftovers. A run's completed file keeps its id. Not for
 * a tpe search: its spec holds the rounds chosen so far, and a run of a later round
 * stopped by a signal has its checkpoint there (one of another config is refused when
 * read). A pbt search's members keep their states at its barriers (pbtrun.h). */
static void remove_orphan_checkpoints(const sw_sweep_spec *spec, const char *dir)
{
    if (spec->search.kind == SW_SEARCH_TPE) return;
    DIR *d = opendir(dir);
    if (!d) return;
    size_t ext = strlen(SW_CHECKPOINT_EXT);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= ext || strcmp(e->d_name + len - ext, SW_CHECKPOINT_EXT)) continue;
        bool known = false;
        for (int i = 0; i < spec->n_runs && !known; i++) {
            size_t id = strlen(spec->runs[i].id);
            known = !strncmp(spec->runs[i].id, e->d_name, id) &&
                    (id == len - ext || /* a pbt member's state at a barrier, DIR/<run id>.at<E>[.start].ckpt */
                     (spec->search.kind == SW_SEARCH_PBT && !strncmp(e->d_name + id, ".at", 3)));
        }
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
    /* a changed pbt search: its members' states at the barriers and checkpoints are another
     * population's */
    if (spec->search.kind == SW_SEARCH_PBT && diff.n_changed) sw_pbt_remove_states(spec, dir);
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
    /* heartbeats of processes that are gone (a whole sweep holds DIR alone: all of them) */
    sw_live_remove_stale(dir, opt->shard_count == 0);
    /* Shards share DIR with processes that may be writing right now: their temporaries
     * are not stale. A later whole-sweep invocation removes what killed shards left. */
    rc = opt->shard_count > 0 ? 0 : sw_h5_remove_temporaries(dir);
    if (rc < 0)
        snprintf(err, errlen, "cannot remove temporary files in %s: %s", dir, sw_strerror(rc));
    else
        rc = sw_manifest_write(spec, &old, dir, err, errlen);
out:
    if (rc < 0 && n_created && !theirs) {
        /* This invocation made the directory: leave nothing of it behind. */
        char lock[PATH_MAX];
        if (locked && !sw_outdir_path(lock, sizeof lock, dir, SW_LOCK_NAME, "")) unlink(lock);
        undo_dirs(created, n_created);
    }
    sw_h5_free_names(created, n_created);
    diff_free(&diff);
    sw_manifest_free(&old);
    return rc < 0 ? rc : SW_OK;
}
