/* sweep.c: the output directory, its manifest, resume, the OpenMP run loop, Ctrl-C and
 * progress.
 *
 * Threads: the run loop is one OpenMP parallel region with a dynamic schedule over the
 * pending runs, longest-estimated first; each iteration is one whole run on one thread.
 * Nested parallelism is switched off so an engine that ever used OpenMP inside a run
 * could not oversubscribe the machine. Writing the index, the counters and the finished-
 * run lines happen in one critical section. A separate ticker thread redraws the live
 * progress line on a terminal; it only reads atomics and takes the same output lock. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/file.h>

#include "common.h"
#include "h5io.h"
#include "train.h"

/* A rough single-thread speed of the engine, only for --dry-run's time estimate. */
#define SW_ASSUMED_FLOPS_PER_THREAD 40e9

/* ---- Ctrl-C -------------------------------------------------------------------------- */

static atomic_int g_stop;           /* read by every run at each epoch boundary */
static volatile sig_atomic_t g_sigints;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigints++;
    if (g_sigints >= 2) _exit(130);
    atomic_store(&g_stop, 1);
    static const char text[] = "\nsweep: interrupted; finishing the current epoch of running runs "
                               "(press Ctrl-C again to quit at once)\n";
    ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
    (void)ignored;
}

/* ---- small helpers ----------------------------------------------------------------- */

static void fmt_duration(double s, char *out, size_t outlen)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(out, outlen, "--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t < 60)
        snprintf(out, outlen, "%lds", t);
    else if (t < 3600)
        snprintf(out, outlen, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, outlen, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

static int join_path(char *out, size_t outlen, const char *dir, const char *name, const char *ext)
{
    int n = snprintf(out, outlen, "%s/%s%s", dir, name, ext);
    return n < 0 || (size_t)n >= outlen ? SW_EINVAL : SW_OK;
}

int sw_sweep_default_threads(void)
{
    int n = omp_get_max_threads();
    return n >= 1 ? n : 1;
}

/* ---- the output directory --------------------------------------------------------- */

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
                snprintf(err, errlen, "cannot create the output directory %s: %s exists and is not a directory", dir,
                         path);
                rc = SW_EIO;
            }
        } else {
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

typedef struct {
    char **ids, **hashes;
    int n;
} manifest;

static void manifest_free(manifest *m)
{
    free_strings(m->ids, m->n);
    free_strings(m->hashes, m->n);
    memset(m, 0, sizeof *m);
}

/* Reads DIR/sweep-manifest.txt. Returns 1 when read, 0 when there is none, negative on
 * a malformed or unreadable one. */
static int manifest_read(const char *dir, manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    char path[PATH_MAX];
    if (join_path(path, sizeof path, dir, SW_MANIFEST_NAME, "")) return SW_EINVAL;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return SW_EIO;
    }
    char line[1024];
    int rc = 1, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        char id[512], hash[64];
        if (!strncmp(line, "name ", 5)) continue;
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
    fclose(f);
    if (rc < 0) manifest_free(m);
    return rc;
}

/* Writes the manifest under a temporary name, fsyncs, renames: never half-written. */
static int manifest_write(const sw_sweep_spec *spec, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (join_path(path, sizeof path, dir, SW_MANIFEST_NAME, "") ||
        join_path(tmp, sizeof tmp, dir, "." SW_MANIFEST_NAME, ".tmp")) {
        snprintf(err, errlen, "output directory path too long: %s", dir);
        return SW_EINVAL;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return SW_EIO;
    }
    fprintf(f, "# sweep manifest: the runs of this directory and a hash of each one's resolved config.\n"
               "# sweep compares it with the config on every invocation, to resume only the same sweep.\n");
    fprintf(f, "name %s\n", spec->name);
    for (int i = 0; i < spec->n_runs; i++) fprintf(f, "run %s %s\n", spec->runs[i].id, spec->runs[i].hash);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return SW_EIO;
    }
    return SW_OK;
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
    while (!any && (e = readdir(d))) any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return any;
}

int sw_sweep_prepare(const sw_sweep_spec *spec, const sw_sweep_options *opt, char *err, size_t errlen)
{
    const char *dir = opt->dir;
    int rc = sw_h5_init(err, errlen);
    if (rc) return rc;
    if (!*dir) {
        snprintf(err, errlen, "the output directory name is empty");
        return SW_EINVAL;
    }
    struct stat st;
    bool existed = stat(dir, &st) == 0;
    if (existed && !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot create the output directory %s: it exists and is not a directory", dir);
        return SW_EIO;
    }
    bool had_entries = existed && dir_has_entries(dir);
    manifest old = {0};
    if (existed) {
        int got = manifest_read(dir, &old, err, errlen);
        if (got < 0) return got;
        if (got == 0 && had_entries && !opt->force) {
            snprintf(err, errlen,
                     "%s exists and is not empty, but holds no %s (it is not a sweep's output directory); "
                     "choose another directory with -o, or use --force to write there anyway", dir, SW_MANIFEST_NAME);
            return SW_ECONFIG;
        }
        if (got == 1) {
            int added = 0, removed = 0, changed = 0;
            const char *ex_added = NULL, *ex_removed = NULL, *ex_changed = NULL;
            for (int i = 0; i < spec->n_runs; i++) {
                int j = manifest_find(&old, spec->runs[i].id);
                if (j < 0) {
                    added++;
                    if (!ex_added) ex_added = spec->runs[i].id;
                } else if (strcmp(old.hashes[j], spec->runs[i].hash)) {
                    changed++;
                    if (!ex_changed) ex_changed = spec->runs[i].id;
                }
            }
            for (int j = 0; j < old.n; j++) {
                bool found = false;
                for (int i = 0; i < spec->n_runs && !found; i++) found = !strcmp(old.ids[j], spec->runs[i].id);
                if (!found) {
                    removed++;
                    if (!ex_removed) ex_removed = old.ids[j];
                }
            }
            if ((added || removed || changed) && !opt->force) {
                char what[1024];
                size_t n = 0;
                if (added) n += (size_t)snprintf(what + n, sizeof what - n, "%d run%s added (e.g. %s)", added,
                                                 added > 1 ? "s" : "", ex_added);
                if (removed && n < sizeof what)
                    n += (size_t)snprintf(what + n, sizeof what - n, "%s%d removed (e.g. %s)", n ? ", " : "", removed,
                                          ex_removed);
                if (changed && n < sizeof what)
                    n += (size_t)snprintf(what + n, sizeof what - n, "%s%d with a changed config (e.g. %s)",
                                          n ? ", " : "", changed, ex_changed);
                snprintf(err, errlen,
                         "%s holds the results of a different sweep: %s. Use --force to run this config there "
                         "(complete runs whose config did not change are kept, changed ones are redone), or choose "
                         "another directory with -o", dir, what);
                manifest_free(&old);
                return SW_ECONFIG;
            }
        }
    }
    char **created = NULL;
    int n_created = 0;
    if ((rc = make_dirs(dir, err, errlen, &created, &n_created))) {
        undo_dirs(created, n_created);
        free_strings(created, n_created);
        manifest_free(&old);
        return rc;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "cannot write to the output directory %s: %s", dir, strerror(errno));
        undo_dirs(created, n_created);
        free_strings(created, n_created);
        manifest_free(&old);
        return SW_EIO;
    }
    /* One process per directory: two sweeps writing the same runs and index would race.
     * The lock is an flock on a hidden file, released by the kernel when the process
     * ends however it ends; the descriptor is kept open on purpose. */
    if (!opt->no_lock) {
        char lock[PATH_MAX] = "";
        int fd = join_path(lock, sizeof lock, dir, ".sweep.lock", "") ? -1 : open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create the lock file %s: %s", lock, strerror(errno));
            undo_dirs(created, n_created);
            free_strings(created, n_created);
            manifest_free(&old);
            return SW_EIO;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(err, errlen, "another sweep process is writing to %s; wait for it to finish (or stop it) "
                     "before starting this one", dir);
            close(fd);
            manifest_free(&old);
            return SW_ECONFIG;
        }
    }
    /* Forced over a changed sweep: the files of runs whose config changed are outdated. */
    for (int i = 0; i < spec->n_runs && old.n; i++) {
        int j = manifest_find(&old, spec->runs[i].id);
        if (j >= 0 && strcmp(old.hashes[j], spec->runs[i].hash)) {
            char path[PATH_MAX];
            if (!join_path(path, sizeof path, dir, spec->runs[i].id, ".h5")) unlink(path);
        }
    }
    manifest_free(&old);
    rc = sw_h5_remove_temporaries(dir);
    if (rc < 0) {
        snprintf(err, errlen, "cannot remove temporary files in %s: %s", dir, sw_strerror(rc));
    } else {
        rc = manifest_write(spec, dir, err, errlen);
    }
    if (rc < 0 && n_created) {
        /* This invocation made the directory: leave nothing of it behind. */
        char lock[PATH_MAX];
        if (!join_path(lock, sizeof lock, dir, ".sweep.lock", "")) unlink(lock);
        undo_dirs(created, n_created);
    }
    free_strings(created, n_created);
    return rc < 0 ? rc : SW_OK;
}

/* ---- progress ---------------------------------------------------------------------- */

typedef struct {
    atomic_int run;    /* index into spec->runs, -1 when idle */
    atomic_int epoch;  /* epochs completed by that run */
} slot;

typedef struct {
    const sw_sweep_spec *spec;
    const sw_sweep_options *opt;
    slot *slots;
    int n_slots;
    int total, finished_before;
    atomic_int done, diverged, failed, running, finished;
    double t0;
    double work_total;   /* flops of the runs pending at the start */
    double work_finished; /* flops of runs finished in this invocation (under the lock) */
    bool tty;
    pthread_mutex_t out_lock; /* stderr writes */
    atomic_int ticker_stop;
    int line_shown;       /* a live line is on screen (under out_lock) */
} progress;

typedef struct {
    progress *p;
    int slot;
} epoch_ctx;

static void on_epoch(void *ctx, int epoch, const sw_history *h)
{
    (void)h;
    epoch_ctx *c = ctx;
    atomic_store(&c->p->slots[c->slot].epoch, epoch);
}

static double work_done(progress *p, double finished)
{
    double w = finished;
    for (int s = 0; s < p->n_slots; s++) {
        int r = atomic_load(&p->slots[s].run);
        if (r < 0) continue;
        const sw_run_spec *run = &p->spec->runs[r];
        w += run->cost * atomic_load(&p->slots[s].epoch) / (double)run->cfg.train.epochs;
    }
    return w;
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    return 100;
}

/* The live line: counts, elapsed, ETA and the epochs of the running runs. Caller holds
 * out_lock. */
static void draw_line(progress *p, double finished_work)
{
    char line[2048], el[32], eta[32];
    double elapsed = sw_now() - p->t0, w = work_done(p, finished_work);
    fmt_duration(elapsed, el, sizeof el);
    if (w > 0 && elapsed > 1)
        fmt_duration((p->work_total - w) * elapsed / w, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "--");
    int done = atomic_load(&p->done), div = atomic_load(&p->diverged), fail = atomic_load(&p->failed);
    size_t n = (size_t)snprintf(line, sizeof line, "%d/%d done, %d running, %d failed%s | %s elapsed, ETA %s |",
                                done + div + fail + p->finished_before, p->total, atomic_load(&p->running), fail + div,
                                div ? " or diverged" : "", el, eta);
    for (int s = 0; s < p->n_slots && n < sizeof line; s++) {
        int r = atomic_load(&p->slots[s].run);
        if (r < 0) continue;
        n += (size_t)snprintf(line + n, sizeof line - n, " %s %d/%d", p->spec->runs[r].id,
                              atomic_load(&p->slots[s].epoch), p->spec->runs[r].cfg.train.epochs);
    }
    int width = terminal_width() - 1;
    if ((int)strlen(line) > width) {
        line[width] = 0;
        if (width > 3) memcpy(line + width - 3, "...", 3);
    }
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->line_shown = 1;
}

static void *ticker(void *arg)
{
    progress *p = arg;
    while (!atomic_load(&p->ticker_stop)) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (atomic_load(&p->ticker_stop)) break;
        pthread_mutex_lock(&p->out_lock);
        draw_line(p, p->work_finished);
        pthread_mutex_unlock(&p->out_lock);
    }
    return NULL;
}

/* One line per finished run (on a terminal above the live line). */
static void print_finished(progress *p, const sw_run_spec *run, const sw_run_result *res, const char *status,
                           const char *detail)
{
    char line[1024];
    int k = atomic_load(&p->finished) + p->finished_before;
    if (!strcmp(status, "done") || !strcmp(status, "diverged")) {
        int planned = run->cfg.train.epochs;
        if (res->best_epoch > 0)
            snprintf(line, sizeof line, "[%d/%d] %-8s %s  best %.2f%% at epoch %d/%d, final %.2f%%, %.3g s%s%s", k,
                     p->total, status, run->id, 100 * res->best_test_acc, res->best_epoch, planned,
                     100 * res->final_test_acc, res->wall_seconds, detail && *detail ? "; " : "", detail ? detail : "");
        else
            snprintf(line, sizeof line, "[%d/%d] %-8s %s  no epoch completed, %.3g s%s%s", k, p->total, status,
                     run->id, res->wall_seconds, detail && *detail ? "; " : "", detail ? detail : "");
    } else {
        snprintf(line, sizeof line, "[%d/%d] %-8s %s  %s", k, p->total, status, run->id, detail ? detail : "");
    }
    pthread_mutex_lock(&p->out_lock);
    if (p->tty && p->line_shown) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "%s\n", line);
    if (p->tty) draw_line(p, p->work_finished);
    fflush(stderr);
    pthread_mutex_unlock(&p->out_lock);
}

/* ---- the run loop ------------------------------------------------------------------- */

typedef struct {
    const sw_sweep_spec *spec;
    int idx;
} order_item;

static int by_cost_desc(const void *a, const void *b)
{
    const order_item *x = a, *y = b;
    double cx = x->spec->runs[x->idx].cost, cy = y->spec->runs[y->idx].cost;
    if (cx != cy) return cx > cy ? -1 : 1;
    return x->idx - y->idx;
}

static int write_index(const sw_sweep_spec *spec, const char *dir, const char *const *ids, const char *const *keys,
                       const sw_config *configs, char *err, size_t errlen)
{
    sw_index_spec ix = {0};
    ix.sweep_name = spec->name;
    ix.config_text = spec->text;
    ix.run_ids = ids;
    ix.n_runs = spec->n_runs;
    ix.swept_keys = spec->n_swept ? keys : NULL;
    ix.n_swept = spec->n_swept;
    ix.configs = configs;
    return sw_h5_write_index(dir, &ix, err, errlen);
}

void sw_sweep_print_plan(const sw_sweep_spec *spec, int threads, const char *dir, FILE *f)
{
    double total = 0, longest = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        total += spec->runs[i].cost;
        if (spec->runs[i].cost > longest) longest = spec->runs[i].cost;
    }
    fprintf(f, "sweep %s: %d run%s", spec->name, spec->n_runs, spec->n_runs == 1 ? "" : "s");
    if (spec->n_swept) {
        fprintf(f, " over ");
        for (int j = 0; j < spec->n_swept; j++) fprintf(f, "%s%s", j ? ", " : "", spec->swept_keys[j]);
    }
    fprintf(f, "\noutput: %s (nothing is written by --dry-run)\n\n", dir);
    size_t idw = 6;
    for (int i = 0; i < spec->n_runs; i++)
        if (strlen(spec->runs[i].id) > idw) idw = strlen(spec->runs[i].id);
    fprintf(f, "%5s  %-*s", "#", (int)idw, "run id");
    int *w = calloc((size_t)(spec->n_swept ? spec->n_swept : 1), sizeof *w);
    for (int j = 0; w && j < spec->n_swept; j++) {
        w[j] = (int)strlen(spec->swept_short[j]);
        for (int i = 0; i < spec->n_runs; i++)
            if ((int)strlen(spec->runs[i].values[j]) > w[j]) w[j] = (int)strlen(spec->runs[i].values[j]);
        fprintf(f, "  %*s", w[j], spec->swept_short[j]);
    }
    fprintf(f, "  %10s\n", "est. GFLOP");
    for (int i = 0; i < spec->n_runs; i++) {
        fprintf(f, "%5d  %-*s", i + 1, (int)idw, spec->runs[i].id);
        for (int j = 0; w && j < spec->n_swept; j++) fprintf(f, "  %*s", w[j], spec->runs[i].values[j]);
        fprintf(f, "  %10.1f\n", spec->runs[i].cost / 1e9);
    }
    free(w);
    int t = threads < spec->n_runs ? threads : spec->n_runs;
    double seconds = total / SW_ASSUMED_FLOPS_PER_THREAD / t;
    double floor_s = longest / SW_ASSUMED_FLOPS_PER_THREAD;
    if (seconds < floor_s) seconds = floor_s;
    char d[32];
    fmt_duration(seconds, d, sizeof d);
    fprintf(f, "\ntotal: %d run%s, %.1f GFLOP; roughly %s on %d thread%s (assuming ~%.0f GFLOP/s per thread)\n",
            spec->n_runs, spec->n_runs == 1 ? "" : "s", total / 1e9, d, t, t == 1 ? "" : "s", SW_ASSUMED_FLOPS_PER_THREAD / 1e9);
}

int sw_sweep_execute(const sw_sweep_spec *spec, const sw_sweep_options *opt, sw_sweep_outcome *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->total = spec->n_runs;
    double t0 = sw_now();
    const char *dir = opt->dir;
    int rc = SW_OK;
    char path[PATH_MAX];

    const char **ids = calloc((size_t)spec->n_runs, sizeof *ids);
    sw_config *configs = calloc((size_t)spec->n_runs, sizeof *configs);
    order_item *order = calloc((size_t)spec->n_runs, sizeof *order);
    bool *pending = calloc((size_t)spec->n_runs, sizeof *pending);
    int threads = opt->threads >= 1 ? opt->threads : 1;
    slot *slots = calloc((size_t)threads, sizeof *slots);
    epoch_ctx *ctxs = calloc((size_t)threads, sizeof *ctxs);
    if (!ids || !configs || !order || !pending || !slots || !ctxs) {
        free(ids), free(configs), free(order), free(pending), free(slots), free(ctxs);
        return SW_ENOMEM;
    }
    for (int i = 0; i < spec->n_runs; i++) ids[i] = spec->runs[i].id, configs[i] = spec->runs[i].cfg;
    const char *const *keys = (const char *const *)spec->swept_keys;

    /* Resume: runs with a complete file are kept, with their recorded status. */
    int n_pending = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        if (join_path(path, sizeof path, dir, spec->runs[i].id, ".h5")) {
            snprintf(err, errlen, "path too long for run %s in %s", spec->runs[i].id, dir);
            rc = SW_EINVAL;
            goto done;
        }
        if (sw_h5_run_is_complete(path)) {
            sw_run_file f;
            char rerr[256];
            int status = SW_RUN_STATUS_COUNT;
            if (sw_h5_read_run(path, 0, &f, rerr, sizeof rerr) == SW_OK) status = (int)f.status;
            sw_run_file_free(&f);
            if (status == SW_RUN_DONE || status == SW_RUN_DIVERGED) {
                out->skipped++;
                if (status == SW_RUN_DONE) out->done++;
                else out->diverged++;
                continue;
            }
            /* failed (or unreadable status): retried; its file is replaced atomically. */
        }
        pending[i] = true;
        order[n_pending++] = (order_item){spec, i};
    }
    qsort(order, (size_t)n_pending, sizeof *order, by_cost_desc);
    if (threads > n_pending) threads = n_pending > 0 ? n_pending : 1;

    /* Concurrent runs must fit in memory together: fewer threads rather than swapping. */
    {
        long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
        double limit = pages > 0 && psize > 0 ? 0.75 * (double)pages * (double)psize : 0;
        while (limit > 0 && threads > 1) {
            /* The biggest `threads` runs, conservatively. */
            double sum = 0;
            double *mem = malloc((size_t)n_pending * sizeof *mem);
            if (!mem) break;
            for (int q = 0; q < n_pending; q++) mem[q] = sw_config_memory_bytes(&spec->runs[order[q].idx].cfg);
            for (int k = 0; k < threads; k++) {
                int best = -1;
                for (int q = 0; q < n_pending; q++)
                    if (mem[q] >= 0 && (best < 0 || mem[q] > mem[best])) best = q;
                if (best < 0) break;
                sum += mem[best];
                mem[best] = -1;
            }
            free(mem);
            if (sum <= limit) break;
            threads--;
            if (!opt->quiet)
                fprintf(stderr, "sweep: note: the largest runs need more memory together than this machine has; "
                                "using %d thread%s\n", threads, threads == 1 ? "" : "s");
        }
    }

    if ((rc = write_index(spec, dir, ids, keys, configs, err, errlen))) goto done;

    progress p;
    memset(&p, 0, sizeof p);
    p.spec = spec;
    p.opt = opt;
    p.slots = slots;
    p.n_slots = threads;
    p.total = spec->n_runs;
    p.finished_before = out->skipped;
    p.t0 = t0;
    p.tty = !opt->quiet && isatty(STDERR_FILENO);
    pthread_mutex_init(&p.out_lock, NULL);
    for (int s = 0; s < threads; s++) atomic_store(&slots[s].run, -1), ctxs[s] = (epoch_ctx){&p, s};
    for (int q = 0; q < n_pending; q++) p.work_total += spec->runs[order[q].idx].cost;

    if (!opt->quiet) {
        if (out->skipped)
            fprintf(stderr, "sweep %s: %d runs, %d already complete in %s, %d to run on %d thread%s\n", spec->name,
                    spec->n_runs, out->skipped, dir, n_pending, threads, threads == 1 ? "" : "s");
        else
            fprintf(stderr, "sweep %s: %d runs on %d thread%s into %s\n", spec->name, spec->n_runs, threads,
                    threads == 1 ? "" : "s", dir);
    }

    struct sigaction old_int;
    bool handler = opt->handle_sigint;
    atomic_store(&g_stop, 0);
    g_sigints = 0;
    if (handler) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, &old_int);
    }
    pthread_t tick;
    bool ticking = p.tty && n_pending > 0 && pthread_create(&tick, NULL, ticker, &p) == 0;

    atomic_int fail_stop;
    atomic_init(&fail_stop, 0);
    atomic_int not_run;
    atomic_init(&not_run, 0);
    int index_rc = SW_OK;
    char index_err[512] = "";

    omp_set_max_active_levels(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int q = 0; q < n_pending; q++) {
        int s = omp_get_thread_num();
        int i = order[q].idx;
        const sw_run_spec *run = &spec->runs[i];
        if (atomic_load(&g_stop) || atomic_load(&fail_stop)) {
            atomic_fetch_add(&not_run, 1);
            continue;
        }
        atomic_store(&slots[s].epoch, 0);
        atomic_store(&slots[s].run, i);
        atomic_fetch_add(&p.running, 1);

        sw_train_hooks hooks = {on_epoch, &ctxs[s], &g_stop};
        sw_run_result res;
        int trc = sw_train_run(&run->cfg, &hooks, &res);
        const char *status;
        char detail[600] = "";
        int wrc = SW_OK;
        if (trc == SW_EINTERRUPTED) {
            status = "stopped";
            snprintf(detail, sizeof detail, "interrupted after epoch %d; will be redone on resume", res.history.epochs);
        } else {
            const char *swept[64];
            int n_sw = spec->n_swept < 64 ? spec->n_swept : 64;
            for (int j = 0; j < n_sw; j++) swept[j] = spec->swept_keys[j];
            sw_run_meta meta = {run->id, spec->name, swept, n_sw};
            char werr[512] = "";
            wrc = sw_h5_write_run(dir, &meta, &run->cfg, &res, werr, sizeof werr);
            if (wrc) {
                status = "failed";
                snprintf(detail, sizeof detail, "could not write its file: %s", werr);
            } else if (res.status == SW_RUN_DONE) {
                status = "done";
            } else if (res.status == SW_RUN_DIVERGED) {
                status = "diverged";
                snprintf(detail, sizeof detail, "%s", res.error);
            } else {
                status = "failed";
                snprintf(detail, sizeof detail, "%s", res.error[0] ? res.error : sw_strerror(trc));
            }
        }
#pragma omp critical(sweep_finish)
        {
            atomic_store(&slots[s].run, -1);
            atomic_fetch_sub(&p.running, 1);
            if (trc == SW_EINTERRUPTED) {
                atomic_fetch_add(&not_run, 1);
            } else {
                if (!strcmp(status, "done")) atomic_fetch_add(&p.done, 1);
                else if (!strcmp(status, "diverged")) atomic_fetch_add(&p.diverged, 1);
                else atomic_fetch_add(&p.failed, 1);
                atomic_fetch_add(&p.finished, 1);
                if (opt->fail_fast && strcmp(status, "done")) atomic_store(&fail_stop, 1);
                pthread_mutex_lock(&p.out_lock);
                p.work_finished += run->cost;
                pthread_mutex_unlock(&p.out_lock);
                char ierr[512];
                int irc = write_index(spec, dir, ids, keys, configs, ierr, sizeof ierr);
                if (irc && index_rc == SW_OK) {
                    index_rc = irc;
                    snprintf(index_err, sizeof index_err, "%s", ierr);
                }
            }
            if (!opt->quiet) print_finished(&p, run, &res, status, detail);
        }
        sw_run_result_free(&res);
    }

    if (ticking) {
        atomic_store(&p.ticker_stop, 1);
        pthread_join(tick, NULL);
    }
    if (p.tty && p.line_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    if (handler) sigaction(SIGINT, &old_int, NULL);
    pthread_mutex_destroy(&p.out_lock);

    out->done += atomic_load(&p.done);
    out->diverged += atomic_load(&p.diverged);
    out->failed += atomic_load(&p.failed);
    out->not_run = atomic_load(&not_run);
    out->interrupted = atomic_load(&g_stop) != 0;
    /* The index once more, so it is current whatever happened above. */
    char ierr[512];
    int irc = write_index(spec, dir, ids, keys, configs, ierr, sizeof ierr);
    if (irc || index_rc) {
        snprintf(err, errlen, "cannot write the index %s/sweep.h5: %s", dir, irc ? ierr : index_err);
        rc = irc ? irc : index_rc;
    }
    out->seconds = sw_now() - t0;
    if (!opt->quiet) {
        char d[32];
        fmt_duration(out->seconds, d, sizeof d);
        if (out->interrupted)
            fprintf(stderr, "sweep %s: interrupted after %s: %d of %d runs complete, %d pending; run the same command "
                            "again to resume\n", spec->name, d, out->done + out->diverged + out->failed, out->total,
                    out->not_run);
        else
            fprintf(stderr, "sweep %s: %d runs: %d done, %d diverged, %d failed in %s; results in %s\n", spec->name,
                    out->total, out->done, out->diverged, out->failed, d, dir);
        if (!out->interrupted && out->not_run)
            fprintf(stderr, "sweep %s: %d runs were not started because of --fail-fast; run again without it to "
                            "finish them\n", spec->name, out->not_run);
    }

done:
    free(ids), free(configs), free(order), free(pending), free(slots), free(ctxs);
    return rc;
}
