/* outdir.c: the output directory as the run loop sees it: its paths and locks, what a
 * mistaken directory argument meant, the resume scan, and `sweep index DIR` (see outdir.h;
 * prepare.c makes it ready, manifest.c keeps its manifest). */
#define _POSIX_C_SOURCE 200809L
#include "outdir.h"

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
#include "h5read.h"
#include "h5write.h"
#include "index.h"
#include "runfile.h"
#include "record.h"
#include "stopping.h"

int sw_outdir_path(char *out, size_t outlen, const char *dir, const char *name, const char *ext)
{
    int n = snprintf(out, outlen, "%s/%s%s", dir, name, ext);
    return n < 0 || (size_t)n >= outlen ? SW_EINVAL : SW_OK;
}

int sw_outdir_checkpoint_path(const char *dir, const char *run_id, char *out, size_t outlen)
{
    return sw_outdir_path(out, outlen, dir, run_id, SW_CHECKPOINT_EXT);
}

/* ---- locks -------------------------------------------------------------------------- */

int sw_outdir_open_lock(const char *dir, const char *name, char *lock, char *err, size_t errlen)
{
    lock[0] = 0;
    int fd = sw_outdir_path(lock, PATH_MAX, dir, name, "") ? -1 : open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the lock file %s: %s", lock, strerror(errno));
        return SW_EIO;
    }
    return fd;
}

int sw_outdir_index_lock(const char *dir, char *err, size_t errlen)
{
    char lock[PATH_MAX];
    int fd = sw_outdir_open_lock(dir, SW_INDEX_LOCK_NAME, lock, err, errlen);
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
