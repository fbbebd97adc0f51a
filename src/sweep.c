/* sweep.c: the output directory, its manifest, resume, the OpenMP run loop, Ctrl-C and
 * progress.
 *
 * Threads: the run loop is one OpenMP parallel region whose threads take the pending
 * runs, longest-estimated first, from a shared queue (an atomic position: the same as a
 * dynamic schedule); each run is one whole run on one thread. Under MPI the threads of
 * ranks > 0 ask rank 0 for the next run instead (protocol above dispatcher()). Nested
 * parallelism is switched off so an engine that ever used OpenMP inside a run could not
 * oversubscribe the machine. Writing the index, the counters and the finished-run lines
 * happen under one lock (finish_run). A separate ticker thread redraws the live progress
 * line on a terminal; it only reads atomics and takes the output lock. */
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

typedef struct {
    char **ids, **hashes;
    int n;
    char *name; /* the sweep's name (NULL if the manifest has none) */
    char *text; /* the sweep file's text (NULL in manifests written before it was kept) */
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
    if (join_path(path, sizeof path, dir, SW_MANIFEST_NAME, "")) return SW_EINVAL;
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

/* Writes the manifest under a temporary name, fsyncs, renames: never half-written. The
 * temporary's name holds the host and pid: shards of one sweep write the same manifest
 * into one directory at the same time, and each rename installs a complete one. */
static int manifest_write(const sw_sweep_spec *spec, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX], tmp[PATH_MAX], host[256] = "", suffix[320];
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "host");
    snprintf(suffix, sizeof suffix, ".tmp.%s.%ld", host, (long)getpid());
    if (join_path(path, sizeof path, dir, SW_MANIFEST_NAME, "") ||
        join_path(tmp, sizeof tmp, dir, "." SW_MANIFEST_NAME, suffix)) {
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
    fputs("config ", f);
    write_escaped(f, spec->text ? spec->text : "");
    fputc('\n', f);
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
    /* A concurrent shard's manifest temporary or lock file does not make DIR foreign. */
    while (!any && (e = readdir(d)))
        any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
              strncmp(e->d_name, "." SW_MANIFEST_NAME ".tmp.", sizeof SW_MANIFEST_NAME + 5) &&
              strcmp(e->d_name, ".sweep.lock");
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
        /* Shards of one sweep share the directory (a shared lock); a whole sweep or an MPI
         * job excludes them and every other process, since it removes temporaries. */
        bool shard = opt->shard_count > 0;
        if (flock(fd, (shard ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
            if (shard)
                snprintf(err, errlen, "a whole-sweep (or MPI) process is writing to %s; shards can share a directory "
                         "only with other shards. Wait for it to finish (or stop it)", dir);
            else
                snprintf(err, errlen, "another sweep process is writing to %s (a whole sweep, an MPI job or shards "
                         "of one); wait for it to finish (or stop it) before starting this one", dir);
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
    /* Shards share DIR with processes that may be writing right now: their temporaries
     * are not stale. A later whole-sweep invocation removes what killed shards left. */
    rc = opt->shard_count > 0 ? 0 : sw_h5_remove_temporaries(dir);
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
                       const sw_config *configs, sw_index_cache *cache, char *err, size_t errlen)
{
    sw_index_spec ix = {0};
    ix.sweep_name = spec->name;
    ix.config_text = spec->text;
    ix.run_ids = ids;
    ix.n_runs = spec->n_runs;
    ix.swept_keys = spec->n_swept ? keys : NULL;
    ix.n_swept = spec->n_swept;
    ix.configs = configs;
    ix.cache = cache;
    return sw_h5_write_index(dir, &ix, err, errlen);
}

void sw_sweep_print_plan(const sw_sweep_spec *spec, int threads, const char *dir, FILE *f)
{
    double total = 0, longest = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        total += spec->runs[i].cost;
        if (spec->runs[i].cost > longest) longest = spec->runs[i].cost;
    }
    fprintf(f, "sweep %s: %d run%s", spec->name, spec->n_runs, sw_plural(spec->n_runs));
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
            spec->n_runs, sw_plural(spec->n_runs), total / 1e9, d, t, sw_plural(t), SW_ASSUMED_FLOPS_PER_THREAD / 1e9);
}

bool sw_sweep_in_shard(const sw_sweep_spec *spec, int i, int k, int n)
{
    if (n <= 1) return true;
    /* Position of run i in the whole sweep sorted longest first (ties in grid order):
     * the runs before it are the costlier ones and the equally costly earlier ones. */
    double c = spec->runs[i].cost;
    int pos = 0;
    for (int j = 0; j < spec->n_runs; j++) {
        double cj = spec->runs[j].cost;
        if (cj > c || (cj == c && j < i)) pos++;
    }
    return pos % n == k;
}

/* ---- finishing a run (any thread of this process, or a report from another rank) -- */

enum { FIN_DONE, FIN_DIVERGED, FIN_FAILED, FIN_STOPPED, FIN_COUNT };
static const char *const fin_names[FIN_COUNT] = {"done", "diverged", "failed", "stopped"};

typedef struct {
    progress *p;
    const sw_sweep_spec *spec;
    const char *dir;
    const char *const *ids, *const *keys;
    const sw_config *configs;
    bool write_index;  /* this process keeps the index (not an MPI rank other than 0) */
    bool quiet;
    bool fail_fast;
    atomic_int fail_stop;
    atomic_int not_run;
    pthread_mutex_t lock; /* serialises the counters, index writes and lines below */
    int index_rc;
    char index_err[512];
    sw_index_cache *index_cache; /* so that each run file is read once, not at every write */
    double index_written_at;     /* sw_now() after the last index write */
    double index_cost;           /* seconds the last write took */
} finisher;

/* The index is rewritten after every finished run, except that when runs finish faster
 * than it can be written (thousands of tiny runs: a write of n rows costs O(n)), a write
 * waits until ten times the last write's duration has passed, so the index never costs
 * more than about a tenth of the sweep. It is always rewritten when the sweep ends. */
#define SW_INDEX_MAX_SHARE 0.1

/* Counts a finished run (kind FIN_*), rewrites the index, prints its line. `res` needs
 * only best_epoch, best_test_acc, final_test_acc and wall_seconds. */
static void finish_run(finisher *f, int i, int kind, const sw_run_result *res, const char *detail)
{
    progress *p = f->p;
    const sw_run_spec *run = &f->spec->runs[i];
    pthread_mutex_lock(&f->lock);
    if (kind == FIN_STOPPED) {
        atomic_fetch_add(&f->not_run, 1);
    } else {
        atomic_fetch_add(kind == FIN_DONE ? &p->done : kind == FIN_DIVERGED ? &p->diverged : &p->failed, 1);
        atomic_fetch_add(&p->finished, 1);
        if (f->fail_fast && kind != FIN_DONE) atomic_store(&f->fail_stop, 1);
        pthread_mutex_lock(&p->out_lock);
        p->work_finished += run->cost;
        pthread_mutex_unlock(&p->out_lock);
        if (f->write_index && sw_now() - f->index_written_at >= f->index_cost / SW_INDEX_MAX_SHARE) {
            char ierr[512];
            double t0 = sw_now();
            int irc = write_index(f->spec, f->dir, (const char **)f->ids, f->keys, f->configs, f->index_cache, ierr,
                                  sizeof ierr);
            f->index_written_at = sw_now();
            f->index_cost = f->index_written_at - t0;
            if (irc && f->index_rc == SW_OK) {
                f->index_rc = irc;
                snprintf(f->index_err, sizeof f->index_err, "%s", ierr);
            }
        }
    }
    if (!f->quiet) print_finished(p, run, res, fin_names[kind], detail);
    pthread_mutex_unlock(&f->lock);
}

/* ---- handing out runs -------------------------------------------------------------- */

typedef struct {
    const order_item *order;
    int n;
    atomic_int next;   /* position in order of the next run to hand out */
    atomic_int handed; /* runs handed out (to this process or, under MPI, to any rank) */
    finisher *fin;
} run_queue;

/* The next run (spec index) to start, or -1 when none is left or the sweep stops. */
static int queue_take(run_queue *q)
{
    if (atomic_load(&g_stop) || atomic_load(&q->fin->fail_stop)) return -1;
    int k = atomic_fetch_add(&q->next, 1);
    if (k >= q->n) return -1;
    atomic_fetch_add(&q->handed, 1);
    return q->order[k].idx;
}

#ifdef SWEEP_HAVE_MPI
/* MPI protocol (MPI_COMM_WORLD; every call made under g_mpi_lock, so the library needs
 * MPI_THREAD_SERIALIZED, checked by main):
 *   Rank 0 holds the queue of pending runs, longest first. Its own OpenMP threads take
 *   from it directly; a dispatcher thread answers the other ranks. A worker thread of
 *   rank r > 0 sends rank 0 a mpi_report (tag SW_TAG_REQ) carrying the outcome of its
 *   previous run (status -1 for none) and receives the next run index (tag SW_TAG_RUN),
 *   -1 meaning "stop". Rank 0 counts, prints and indexes each reported run like its own,
 *   and stops after sending one -1 to each worker thread of the other ranks (their counts
 *   are gathered first). The dispatcher polls with MPI_Iprobe and a 1 ms sleep, so it
 *   costs no CPU while rank 0's threads train. Messages are raw bytes: the ranks run the
 *   same binary (a homogeneous cluster). */
#include <mpi.h>

#define SW_TAG_REQ 711
#define SW_TAG_RUN 712

static pthread_mutex_t g_mpi_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    int status;   /* FIN_* of the previous run, -1 for none */
    int run;
    int best_epoch;
    int interrupted; /* the sender got SIGINT: rank 0 stops handing out runs */
    double best_test_acc, final_test_acc, wall_seconds;
    char detail[600];
} mpi_report;

typedef struct {
    run_queue *q;
    int stops_left; /* worker threads of the other ranks still to be told to stop */
} dispatcher_ctx;

static void *dispatcher(void *arg)
{
    dispatcher_ctx *d = arg;
    while (d->stops_left > 0) {
        int flag = 0;
        MPI_Status st;
        mpi_report rep;
        pthread_mutex_lock(&g_mpi_lock);
        MPI_Iprobe(MPI_ANY_SOURCE, SW_TAG_REQ, MPI_COMM_WORLD, &flag, &st);
        if (flag) MPI_Recv(&rep, (int)sizeof rep, MPI_BYTE, st.MPI_SOURCE, SW_TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        pthread_mutex_unlock(&g_mpi_lock);
        if (!flag) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (rep.interrupted) atomic_store(&g_stop, 1);
        if (rep.status >= 0 && rep.status < FIN_COUNT && rep.run >= 0 && rep.run < d->q->fin->spec->n_runs) {
            sw_run_result res;
            memset(&res, 0, sizeof res);
            res.best_epoch = rep.best_epoch;
            res.best_test_acc = rep.best_test_acc;
            res.final_test_acc = rep.final_test_acc;
            res.wall_seconds = rep.wall_seconds;
            rep.detail[sizeof rep.detail - 1] = 0;
            finish_run(d->q->fin, rep.run, rep.status, &res, rep.detail);
        }
        int next = queue_take(d->q);
        if (next < 0) d->stops_left--;
        pthread_mutex_lock(&g_mpi_lock);
        MPI_Send(&next, 1, MPI_INT, st.MPI_SOURCE, SW_TAG_RUN, MPI_COMM_WORLD);
        pthread_mutex_unlock(&g_mpi_lock);
    }
    return NULL;
}

/* A worker thread of rank > 0: reports its previous run, gets the next one (or -1). */
static int mpi_request(mpi_report *rep)
{
    int next = -1;
    rep->interrupted = atomic_load(&g_stop) != 0;
    pthread_mutex_lock(&g_mpi_lock);
    MPI_Send(rep, (int)sizeof *rep, MPI_BYTE, 0, SW_TAG_REQ, MPI_COMM_WORLD);
    MPI_Recv(&next, 1, MPI_INT, 0, SW_TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    pthread_mutex_unlock(&g_mpi_lock);
    return next;
}
#endif

int sw_sweep_execute(const sw_sweep_spec *spec, const sw_sweep_options *opt, sw_sweep_outcome *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    double t0 = sw_now();
    const char *dir = opt->dir;
    int rc = SW_OK;
    char path[PATH_MAX];
    int rank = 0, ranks = 1;
#ifdef SWEEP_HAVE_MPI
    bool mpi = opt->mpi;
    if (mpi) {
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    }
#else
    if (opt->mpi) {
        snprintf(err, errlen, "this sweep was built without MPI");
        return SW_EINVAL;
    }
#endif
    bool sharded = opt->shard_count > 1;
    bool quiet = opt->quiet || rank != 0;

    sw_index_cache *index_cache = NULL; /* rank 0's */
    double index_t0 = 0, index_t1 = 0;
    const char **ids = calloc((size_t)spec->n_runs, sizeof *ids);
    sw_config *configs = calloc((size_t)spec->n_runs, sizeof *configs);
    order_item *order = calloc((size_t)spec->n_runs, sizeof *order);
    int threads = opt->threads >= 1 ? opt->threads : 1;
    slot *slots = calloc((size_t)threads, sizeof *slots);
    epoch_ctx *ctxs = calloc((size_t)threads, sizeof *ctxs);
    if (!ids || !configs || !order || !slots || !ctxs) {
        free(ids), free(configs), free(order), free(slots), free(ctxs);
        return SW_ENOMEM;
    }
    for (int i = 0; i < spec->n_runs; i++) ids[i] = spec->runs[i].id, configs[i] = spec->runs[i].cfg;
    const char *const *keys = (const char *const *)spec->swept_keys;

    /* Resume: runs with a complete file are kept, with their recorded status. A shard
     * considers only its own runs. Under MPI every rank computes the same list (nothing
     * is written before all have: rank 0 starts writing after the gather below). */
    int n_pending = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        if (sharded && !sw_sweep_in_shard(spec, i, opt->shard_index, opt->shard_count)) continue;
        out->total++;
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
                                "using %d thread%s\n", threads, sw_plural(threads));
        }
    }

    int all_threads = threads;
#ifdef SWEEP_HAVE_MPI
    int remote_threads = 0;
    int *counts = NULL;
    if (mpi && ranks > 1) {
        /* Barrier as well: no rank writes before every rank has listed what is pending. */
        counts = rank == 0 ? calloc((size_t)ranks, sizeof *counts) : NULL;
        MPI_Gather(&threads, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            for (int r = 1; r < ranks && counts; r++) remote_threads += counts[r];
            all_threads += remote_threads;
        }
        free(counts);
    }
#endif

    /* Under MPI the index is rank 0's (the one the others report to); when it cannot be
     * written, every rank gives up together rather than wait for a dispatcher. */
    if (rank == 0) {
        index_cache = sw_index_cache_create(spec->n_runs); /* NULL: every write reads every file */
        index_t0 = sw_now();
        rc = write_index(spec, dir, ids, keys, configs, index_cache, err, errlen);
        index_t1 = sw_now();
    }
#ifdef SWEEP_HAVE_MPI
    if (mpi && ranks > 1) MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc && rank != 0) snprintf(err, errlen, "rank 0 could not write the index");
#endif
    if (rc) goto done;

    progress p;
    memset(&p, 0, sizeof p);
    p.spec = spec;
    p.opt = opt;
    p.slots = slots;
    p.n_slots = threads;
    p.total = out->total;
    p.finished_before = out->skipped;
    p.t0 = t0;
    p.tty = !quiet && isatty(STDERR_FILENO);
    pthread_mutex_init(&p.out_lock, NULL);
    for (int s = 0; s < threads; s++) atomic_store(&slots[s].run, -1), ctxs[s] = (epoch_ctx){&p, s};
    for (int q = 0; q < n_pending; q++) p.work_total += spec->runs[order[q].idx].cost;

    if (!quiet) {
        char where[128] = "", shard[64] = "";
        if (ranks > 1)
            snprintf(where, sizeof where, "%d ranks, %d thread%s in all", ranks, all_threads, sw_plural(all_threads));
        else
            snprintf(where, sizeof where, "%d thread%s", threads, sw_plural(threads));
        if (sharded) snprintf(shard, sizeof shard, " (shard %d/%d of %d)", opt->shard_index, opt->shard_count, spec->n_runs);
        if (out->skipped)
            fprintf(stderr, "sweep %s: %d run%s%s, %d already complete in %s, %d to run on %s\n", spec->name,
                    out->total, sw_plural(out->total), shard, out->skipped, dir, n_pending, where);
        else
            fprintf(stderr, "sweep %s: %d run%s%s on %s into %s\n", spec->name, out->total, sw_plural(out->total), shard,
                    where, dir);
    }

    struct sigaction old_int, old_term;
    bool handler = opt->handle_sigint;
    /* mpirun turns Ctrl-C into SIGTERM to every rank (then SIGKILL a few seconds later),
     * and Slurm sends SIGTERM at a job's time limit: under MPI it stops the sweep the same
     * way, so that what can finish in time (the index, finished runs) does. */
    bool term_handler = handler && opt->mpi;
    atomic_store(&g_stop, 0);
    g_sigints = 0;
    if (handler) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGINT, &sa, &old_int);
        if (term_handler) sigaction(SIGTERM, &sa, &old_term);
    }
    pthread_t tick;
    bool ticking = p.tty && n_pending > 0 && pthread_create(&tick, NULL, ticker, &p) == 0;

    finisher fin;
    memset(&fin, 0, sizeof fin);
    fin.p = &p;
    fin.spec = spec;
    fin.dir = dir;
    fin.ids = ids;
    fin.keys = keys;
    fin.configs = configs;
    fin.write_index = rank == 0;
    fin.index_cache = index_cache;
    fin.index_written_at = index_t1;
    fin.index_cost = index_t1 - index_t0;
    fin.quiet = quiet;
    fin.fail_fast = opt->fail_fast;
    atomic_init(&fin.fail_stop, 0);
    atomic_init(&fin.not_run, 0);
    pthread_mutex_init(&fin.lock, NULL);
    run_queue queue = {.order = order, .n = n_pending, .fin = &fin};
    atomic_init(&queue.next, 0);
    atomic_init(&queue.handed, 0);

#ifdef SWEEP_HAVE_MPI
    pthread_t disp;
    dispatcher_ctx dctx = {&queue, remote_threads};
    bool dispatching = false;
    if (rank == 0 && remote_threads > 0) {
        if (pthread_create(&disp, NULL, dispatcher, &dctx) != 0) {
            fprintf(stderr, "sweep: cannot start the MPI dispatcher thread\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        dispatching = true;
    }
#endif

    omp_set_max_active_levels(1);
#pragma omp parallel num_threads(threads)
    {
        int s = omp_get_thread_num();
#ifdef SWEEP_HAVE_MPI
        mpi_report rep;
        memset(&rep, 0, sizeof rep);
        rep.status = -1;
#endif
        for (;;) {
            int i;
#ifdef SWEEP_HAVE_MPI
            if (rank > 0) i = mpi_request(&rep);
            else
#endif
                i = queue_take(&queue);
            if (i < 0) break;
            const sw_run_spec *run = &spec->runs[i];
            atomic_store(&slots[s].epoch, 0);
            atomic_store(&slots[s].run, i);
            atomic_fetch_add(&p.running, 1);

            sw_train_hooks hooks = {on_epoch, &ctxs[s], &g_stop};
            sw_run_result res;
            int trc = sw_train_run(&run->cfg, &hooks, &res);
            int kind;
            char detail[600] = "";
            if (trc == SW_EINTERRUPTED) {
                kind = FIN_STOPPED;
                snprintf(detail, sizeof detail, "interrupted after epoch %d; will be redone on resume",
                         res.history.epochs);
            } else {
                const char *swept[64];
                int n_sw = spec->n_swept < 64 ? spec->n_swept : 64;
                for (int j = 0; j < n_sw; j++) swept[j] = spec->swept_keys[j];
                sw_run_meta meta = {run->id, spec->name, swept, n_sw};
                char werr[512] = "";
                int wrc = sw_h5_write_run(dir, &meta, &run->cfg, &res, werr, sizeof werr);
                if (wrc) {
                    kind = FIN_FAILED;
                    snprintf(detail, sizeof detail, "could not write its file: %s", werr);
                } else if (res.status == SW_RUN_DONE) {
                    kind = FIN_DONE;
                } else if (res.status == SW_RUN_DIVERGED) {
                    kind = FIN_DIVERGED;
                    snprintf(detail, sizeof detail, "%s", res.error);
                } else {
                    kind = FIN_FAILED;
                    snprintf(detail, sizeof detail, "%s", res.error[0] ? res.error : sw_strerror(trc));
                }
            }
            atomic_store(&slots[s].run, -1);
            atomic_fetch_sub(&p.running, 1);
#ifdef SWEEP_HAVE_MPI
            if (rank > 0) {
                /* Reported to rank 0 with the next request; counted locally too. */
                rep.status = kind;
                rep.run = i;
                rep.best_epoch = res.best_epoch;
                rep.best_test_acc = res.best_test_acc;
                rep.final_test_acc = res.final_test_acc;
                rep.wall_seconds = res.wall_seconds;
                snprintf(rep.detail, sizeof rep.detail, "%s", detail);
                if (kind == FIN_STOPPED) atomic_fetch_add(&fin.not_run, 1);
                else if (kind == FIN_DONE) atomic_fetch_add(&p.done, 1);
                else atomic_fetch_add(kind == FIN_DIVERGED ? &p.diverged : &p.failed, 1);
            } else
#endif
                finish_run(&fin, i, kind, &res, detail);
            sw_run_result_free(&res);
        }
#ifdef SWEEP_HAVE_MPI
        /* A rank > 0 thread's last request carried its last report; nothing is pending. */
#endif
    }

#ifdef SWEEP_HAVE_MPI
    if (dispatching) pthread_join(disp, NULL);
#endif
    if (ticking) {
        atomic_store(&p.ticker_stop, 1);
        pthread_join(tick, NULL);
    }
    if (p.tty && p.line_shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    if (handler) sigaction(SIGINT, &old_int, NULL);
    if (term_handler) sigaction(SIGTERM, &old_term, NULL);

    out->done += atomic_load(&p.done);
    out->diverged += atomic_load(&p.diverged);
    out->failed += atomic_load(&p.failed);
    /* Rank 0 (or a lone process) heard of every run: the ones never handed out are pending. */
    out->not_run = atomic_load(&fin.not_run) + (rank == 0 ? n_pending - atomic_load(&queue.handed) : 0);
    out->interrupted = atomic_load(&g_stop) != 0;
#ifdef SWEEP_HAVE_MPI
    if (mpi && ranks > 1) {
        int mine = out->interrupted, any = 0;
        MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        out->interrupted = any != 0;
    }
#endif
    pthread_mutex_destroy(&fin.lock);
    pthread_mutex_destroy(&p.out_lock);
    /* The index once more, so it is current whatever happened above. */
    if (rank == 0) {
        char ierr[512];
        int irc = write_index(spec, dir, ids, keys, configs, index_cache, ierr, sizeof ierr);
        if (irc || fin.index_rc) {
            snprintf(err, errlen, "cannot write the index %s/sweep.h5: %s", dir, irc ? ierr : fin.index_err);
            rc = irc ? irc : fin.index_rc;
        }
    }
    out->seconds = sw_now() - t0;
    if (!quiet) {
        char d[32];
        fmt_duration(out->seconds, d, sizeof d);
        if (out->interrupted)
            fprintf(stderr, "sweep %s: interrupted after %s: %d of %d run%s complete, %d pending; run the same command "
                            "again to resume\n", spec->name, d, out->done + out->diverged + out->failed, out->total,
                    sw_plural(out->total), out->not_run);
        else
            fprintf(stderr, "sweep %s: %d run%s: %d done, %d diverged, %d failed in %s; results in %s\n", spec->name,
                    out->total, sw_plural(out->total), out->done, out->diverged, out->failed, d, dir);
        if (!out->interrupted && out->not_run)
            fprintf(stderr, "sweep %s: %d run%s not started because of --fail-fast; run again without it to "
                            "finish %s\n", spec->name, out->not_run, out->not_run == 1 ? " was" : "s were",
                    out->not_run == 1 ? "it" : "them");
    }

done:
    sw_index_cache_free(index_cache);
    free(ids), free(configs), free(order), free(slots), free(ctxs);
    return rc;
}

/* ---- sweep index DIR ---------------------------------------------------------------- */

int sw_sweep_rebuild_index(const char *dir, FILE *report, char *err, size_t errlen)
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
    char **names = NULL;
    int n_files = sw_h5_list_runs(dir, &names);
    if (n_files < 0) {
        snprintf(err, errlen, "cannot list the run files of %s: %s", dir, sw_strerror(n_files));
        manifest_free(&m);
        return n_files;
    }
    /* The name: the manifest's, else that of the first complete run file. */
    char *name = m.name ? strdup(m.name) : NULL;
    int complete = 0;
    for (int k = 0; k < n_files; k++) {
        char path[PATH_MAX];
        if (join_path(path, sizeof path, dir, names[k], "")) continue;
        if (!sw_h5_run_is_complete(path)) continue;
        complete++;
        if (!name) {
            sw_run_file f;
            char rerr[256];
            if (sw_h5_read_run(path, 0, &f, rerr, sizeof rerr) == SW_OK && f.sweep) name = strdup(f.sweep);
            sw_run_file_free(&f);
        }
    }
    if (got == 0 && complete == 0) {
        snprintf(err, errlen, "%s holds neither a %s nor any complete run file: nothing to index", dir, SW_MANIFEST_NAME);
        rc = SW_ENOTFOUND;
        goto out;
    }
    sw_index_spec ix = {0};
    ix.sweep_name = name ? name : "";
    ix.config_text = m.text;
    ix.run_ids = got == 1 ? (const char *const *)m.ids : NULL;
    ix.n_runs = got == 1 ? m.n : 0;
    rc = sw_h5_write_index(dir, &ix, err, errlen);
    if (rc == SW_OK && report)
        fprintf(report, "sweep index: wrote %s/sweep.h5: %d run%s%s, %d with a complete file\n", dir,
                got == 1 ? m.n : complete, sw_plural(got == 1 ? m.n : complete),
                got == 1 ? " in the manifest's order" : " (no manifest: every run file present)", complete);
out:
    free(name);
    sw_h5_free_names(names, n_files);
    manifest_free(&m);
    return rc;
}
