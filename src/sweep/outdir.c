/* outdir.c: the output directory, its lock and manifest, resume, and `sweep index DIR`
 * (see outdir.h). */
#define _POSIX_C_SOURCE 200809L
#include "outdir.h"

#include <dirent.h>
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
#include "h5read.h"
#include "h5write.h"
#include "index.h"
#include "runfile.h"
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

typedef struct {
    char **ids, **hashes;
    int n;
    char *name; /* the sweep's name (NULL if the manifest has none) */
    char *text; /* the sweep file's text (NULL in manifests written before it was kept) */
    /* early stopping: the line "stop KIND METRIC ETA MIN_EPOCHS EPOCHS" (has_stop) */
    bool has_stop;
    sw_stop_config stop;
    int stop_epochs;
} manifest;

static void manifest_free(manifest *m)
{
    free_strings(m->ids, m->n);
    free_strings(m->hashes, m->n);
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
            char kind[32], metric[32];
            int eta, min_epochs, epochs;
            sw_stop_config c;
            sw_stop_defaults(&c);
            if (sscanf(line, "stop %31s %31s %d %d %d", kind, metric, &eta, &min_epochs, &epochs) == 5 &&
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
        if (sscanf(line, "run %511s %63s", id, hash) != 2) {
            snprintf(err, errlen, "%s:%d: malformed manifest line; remove the file to start afresh", path, lineno);
            rc = SW_EFORMAT;
            break;
        }
        char **ids = realloc(m->ids, (size_t)(m->n + 1) * sizeof *ids);
        if (ids) m->ids = ids;
        char **hashes = realloc(m->hashes, (size_t)(m->n + 1) * sizeof *hashes);
        if (hashes) m->hashes = hashes;
        if (!ids || !hashes) {
            rc = SW_ENOMEM;
            break;
        }
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
    if (rc < 0) manifest_free(m);
    return rc;
}

/* Writes the manifest through atomicio (temporary, fsync, rename): never half-written,
 * and a full disk is one message with nothing left behind. The temporary's name holds
 * the host and pid: shards of one sweep write the same manifest into one directory at the
 * same time, and each rename installs a complete one. */
static int manifest_write(const sw_sweep_spec *spec, const char *dir, char *err, size_t errlen)
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
        fprintf(f, "stop %s %s %d %d %d\n", sw_stop_kind_name(spec->stop.kind), sw_stop_metric_name(spec->stop.metric),
                spec->stop.eta, spec->stop.min_epochs, spec->stop_epochs);
    for (int i = 0; i < spec->n_runs; i++) fprintf(f, "run %s %s\n", spec->runs[i].id, spec->runs[i].hash);
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
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->ids[i], id)) return i;
    return -1;
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

/* How the runs of `spec` differ from those of a manifest, with one example of each kind. */
typedef struct {
    int added, removed, changed;
    const char *ex_added, *ex_removed, *ex_changed;
} run_diff;

static run_diff diff_runs(const sw_sweep_spec *spec, const manifest *old)
{
    run_diff d = {0};
    for (int i = 0; i < spec->n_runs; i++) {
        int j = manifest_find(old, spec->runs[i].id);
        if (j < 0) {
            d.added++;
            if (!d.ex_added) d.ex_added = spec->runs[i].id;
        } else if (strcmp(old->hashes[j], spec->runs[i].hash)) {
            d.changed++;
            if (!d.ex_changed) d.ex_changed = spec->runs[i].id;
        }
    }
    for (int j = 0; j < old->n; j++) {
        bool found = false;
        for (int i = 0; i < spec->n_runs && !found; i++) found = !strcmp(old->ids[j], spec->runs[i].id);
        if (!found) {
            d.removed++;
            if (!d.ex_removed) d.ex_removed = old->ids[j];
        }
    }
    return d;
}

/* SW_ECONFIG with the message in err when DIR's manifest lists other runs or other configs. */
static int check_same_sweep(const sw_sweep_spec *spec, const manifest *old, const char *dir, char *err, size_t errlen)
{
    run_diff d = diff_runs(spec, old);
    if (!d.added && !d.removed && !d.changed) return SW_OK;
    char what[1024];
    size_t n = 0;
    if (d.added)
        n += (size_t)snprintf(what + n, sizeof what - n, "%d run%s added (e.g. %s)", d.added, d.added > 1 ? "s" : "",
                              d.ex_added);
    if (d.removed && n < sizeof what)
        n += (size_t)snprintf(what + n, sizeof what - n, "%s%d removed (e.g. %s)", n ? ", " : "", d.removed,
                              d.ex_removed);
    if (d.changed && n < sizeof what)
        n += (size_t)snprintf(what + n, sizeof what - n, "%s%d with a changed config (e.g. %s)", n ? ", " : "",
                              d.changed, d.ex_changed);
    snprintf(err, errlen,
             "%s holds the results of a different sweep: %s. Use --force to run this config there "
             "(complete runs whose config did not change are kept, changed ones are redone), or choose "
             "another directory with -o", dir, what);
    return SW_ECONFIG;
}

/* The checks made before anything is written: DIR is named, is a directory or absent, and
 * what it holds is this sweep's (or opt->force). Reads its manifest into *old (left empty
 * when there is none). */
static int check_existing(const sw_sweep_spec *spec, const sw_sweep_options *opt, manifest *old, char *err,
                          size_t errlen)
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
    return got == 1 && !opt->force ? check_same_sweep(spec, old, dir, err, errlen) : SW_OK;
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

/* Forced over a changed sweep: the files and checkpoints of runs whose config changed are
 * outdated. */
static void remove_changed_runs(const sw_sweep_spec *spec, const manifest *old, const char *dir)
{
    for (int i = 0; i < spec->n_runs && old->n; i++) {
        int j = manifest_find(old, spec->runs[i].id);
        if (j >= 0 && strcmp(old->hashes[j], spec->runs[i].hash)) {
            char path[PATH_MAX];
            if (!sw_outdir_path(path, sizeof path, dir, spec->runs[i].id, ".h5")) unlink(path);
            if (!sw_outdir_checkpoint_path(dir, spec->runs[i].id, path, sizeof path)) unlink(path);
        }
    }
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
    char **created = NULL;
    int n_created = 0;
    bool locked = false, theirs = false; /* theirs: another process holds DIR */
    int rc = sw_h5_init(err, errlen);
    if (rc) return rc;
    if ((rc = check_existing(spec, opt, &old, err, errlen))) goto out;
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
    remove_changed_runs(spec, &old, dir);
    remove_orphan_checkpoints(spec, dir);
    /* Shards share DIR with processes that may be writing right now: their temporaries
     * are not stale. A later whole-sweep invocation removes what killed shards left. */
    rc = opt->shard_count > 0 ? 0 : sw_h5_remove_temporaries(dir);
    if (rc < 0)
        snprintf(err, errlen, "cannot remove temporary files in %s: %s", dir, sw_strerror(rc));
    else
        rc = manifest_write(spec, dir, err, errlen);
out:
    if (rc < 0 && n_created && !theirs) {
        /* This invocation made the directory: leave nothing of it behind. */
        char lock[PATH_MAX];
        if (locked && !sw_outdir_path(lock, sizeof lock, dir, SW_LOCK_NAME, "")) unlink(lock);
        undo_dirs(created, n_created);
    }
    free_strings(created, n_created);
    manifest_free(&old);
    return rc < 0 ? rc : SW_OK;
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
static int rebuild_decisions(const char *dir, const manifest *m, sw_stop_plan *plan, sw_stop_outcome *o,
                             sw_index_decisions *d)
{
    sw_stop_run_state *st = calloc((size_t)(m->n ? m->n : 1), sizeof *st);
    double **values = calloc((size_t)(m->n ? m->n : 1), sizeof *values);
    sw_metric_mode mode = strstr(sw_stop_metric_name(m->stop.metric), "_acc") ? SW_METRIC_MAX : SW_METRIC_MIN;
    int rc = st && values ? sw_stop_plan_init(plan, m->stop.kind, mode, m->stop.eta, m->stop.min_epochs,
                                              m->stop_epochs, m->n, (const char *const *)m->ids)
                          : SW_ENOMEM;
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
                                  o->n_decisions, (const char *const *)m->ids};
    for (int i = 0; values && i < m->n; i++) free(values[i]);
    free(values);
    free(st);
    return rc;
}

int sw_sweep_rebuild_index(const char *dir, FILE *report, FILE *diag, char *err, size_t errlen)
{
    int rc = sw_h5_init(err, errlen);
    if (rc) return rc;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
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
    sw_index_decisions dec;
    if (got == 1 && m.has_stop) {
        if ((rc = rebuild_decisions(dir, &m, &plan, &stop_out, &dec))) {
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
    sw_stop_outcome_free(&stop_out);
    sw_stop_plan_free(&plan);
    free(rd.name);
    sw_index_cache_free(cache);
    sw_h5_free_names(listed_ids, listed_ids ? n_files : 0);
    sw_h5_free_names(names, n_files);
    manifest_free(&m);
    return rc;
}
