/* live.c: the heartbeat of a sweep process and its live report (see live.h).
 *
 * One thread of its own does every write, so that no worker ever waits for the file
 * system or the report: workers only update their slot under a mutex and signal it. It
 * wakes when told, and at least once a second to see whether the report still runs. */
#define _POSIX_C_SOURCE 200809L
#include "live.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomicio.h"
#include "common.h"
#include "task.h"

extern char **environ;

/* The shortest time between two heartbeat writes (seconds). */
#define MIN_GAP 0.5
/* How long the end of a sweep waits for the report's last page before giving up on it. */
#define REPORT_WAIT 900.0

/* What one worker slot trains (under sw_live.lock). */
typedef struct {
    int run;            /* spec index, -1: idle */
    int epoch, until, resumed;
    double started, epoch_end; /* wall clock; epoch_end 0: no epoch yet */
    double value, best;
    const char *metric; /* /history name */
    int mode;           /* sw_metric_mode */
} live_slot;

struct sw_live {
    sw_live_options o;
    live_slot *slots;
    int n_slots;
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    char host[256];
    double started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running;       /* the thread was started */
    /* under lock: */
    bool stopping, dirty;
    unsigned events;    /* bit per sw_live_event not yet told to the report */
    double written;     /* wall clock of the last heartbeat write */
    bool warned_write;
    sw_live_report *report; /* NULL: none */
    bool own_report;    /* started by sw_live_start, ended by sw_live_stop */
};

/* The live report's process. Its fields are used by one thread at a time: the heartbeat
 * thread of the sw_live that uses it, or its owner while no sw_live does. */
struct sw_live_report {
    pid_t child;        /* 0: none (ended) */
    int sock;           /* its standard input, -1: none */
    char dir[PATH_MAX]; /* for the messages */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the heartbeat file -------------------------------------------------------------- */

/* "-" for an unknown time, else seconds with millisecond precision. */
static void put_time(FILE *f, double t)
{
    if (t > 0) fprintf(f, " %.3f", t);
    else fputs(" -", f);
}

/* The slot lines and counts of the heartbeat into a malloc'ed text (*len bytes). */
static char *heartbeat_text(sw_live *lv, const live_slot *slots, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) return NULL;
    const sw_live_options *o = &lv->o;
    sw_progress *p = o->progress;
    int finished = atomic_load(&p->finished) + p->finished_before, running = atomic_load(&p->running);
    int runs = o->rank > 0 ? 0 : p->total, pending = runs - finished - running;
    double eta = o->rank > 0 ? -1 : sw_progress_eta(p);
    fprintf(f, "sweep-live %d\nsweep %s\nhost %s\npid %ld\nrank %d %d\nshard %d %d\nthreads %d\n", SW_LIVE_VERSION,
            o->spec->name, lv->host, (long)getpid(), o->rank, o->ranks, o->shard_index, o->shard_count, o->threads);
    fprintf(f, "started %.3f\nupdated %.3f\ninterval %g\nreport %d\nruns %d\nfinished %d\npending %d\neta",
            lv->started, wall_now(), SW_LIVE_INTERVAL, lv->report != NULL, runs, finished,
            pending > 0 ? pending : 0);
    if (eta >= 0) fprintf(f, " %.1f\n", eta);
    else fputs(" -\n", f);
    for (int s = 0; s < lv->n_slots; s++) {
        const live_slot *x = &slots[s];
        if (x->run < 0) continue;
        const sw_run_spec *run = &o->spec->runs[x->run];
        fprintf(f, "run %d %d %d", x->epoch, x->until > 0 ? x->until : run->cfg.train.epochs, x->resumed);
        put_time(f, x->started);
        put_time(f, x->epoch_end);
        fprintf(f, " %.6g %.6g %s %s\n", x->value, x->best, x->metric, run->id);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Rewrites the heartbeat (temporary + rename: a reader sees the old file or the new one).
 * No fsync: it says what is happening now, and a crash makes it stale anyway. */
static void heartbeat_write(sw_live *lv, const live_slot *slots)
{
    size_t len = 0;
    char *text = heartbeat_text(lv, slots, &len);
    FILE *f = text ? fopen(lv->tmp, "w") : NULL;
    bool ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    if (ok && rename(lv->tmp, lv->path) != 0) ok = false;
    int saved = errno;
    if (!ok && f) unlink(lv->tmp);
    free(text);
    if (!ok && !lv->warned_write) {
        lv->warned_write = true;
        fprintf(stderr, "sweep: warning: cannot write %s (%s); `sweep status` and the report will not see this "
                        "process's running runs\n", lv->path, text ? strerror(saved) : "out of memory");
    }
}

/* ---- the report process ------------------------------------------------------------- */

/* Starts the report command with a socket as its standard input, in a process group of its
 * own. Returns 0, or -1 with errno set. */
static int report_spawn(sw_live_report *rep, const char *const *argv)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        errno = rc;
        return -1;
    }
    rep->child = pid;
    rep->sock = sv[0];
    return 0;
}

/* One line to the report. Never blocks and never raises SIGPIPE: when the report is busy
 * and its input full, the line is dropped (it rewrites anyway once it reads the others). */
static void report_tell(sw_live_report *rep, const char *line)
{
    if (!rep || rep->sock < 0) return;
    ssize_t n = send(rep->sock, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
}

/* Whether the report process ended; if so, says how (once) and forgets it. */
static void report_check(sw_live_report *rep, bool wait, double limit)
{
    if (!rep || rep->child <= 0) return;
    int status = 0;
    double until = wall_now() + limit;
    pid_t r;
    while ((r = waitpid(rep->child, &status, WNOHANG)) == 0 && wait && wall_now() < until) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (r == 0 && !wait) return;
    if (r == 0) { /* it did not finish its page in time */
        kill(-rep->child, SIGTERM);
        waitpid(rep->child, &status, 0);
        fprintf(stderr, "sweep: warning: the report did not finish its last page within %.0f s and was stopped; "
                        "`sweep report %s` writes it\n", limit, rep->dir);
    } else if (r > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        char how[64];
        if (WIFSIGNALED(status)) snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
        else snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
        fprintf(stderr, "sweep: warning: the live report stopped (%s; its message is above); the sweep goes on "
                        "without it, and `sweep report %s` writes the page\n", how, rep->dir);
    }
    rep->child = 0;
    if (rep->sock >= 0) close(rep->sock);
    rep->sock = -1;
}

sw_live_report *sw_live_report_start(const char *const *argv, const char *dir)
{
    if (!argv || !argv[0]) return NULL;
    sw_live_report *rep = calloc(1, sizeof *rep);
    if (!rep) {
        fprintf(stderr, "sweep: warning: out of memory for the live report; `sweep report %s` writes the page "
                        "afterwards\n", dir);
        return NULL;
    }
    rep->sock = -1;
    snprintf(rep->dir, sizeof rep->dir, "%s", dir);
    if (report_spawn(rep, argv) != 0) {
        fprintf(stderr, "sweep: warning: cannot start the live report (%s: %s); the sweep runs without it, and "
                        "`sweep report %s` writes the page afterwards\n", argv[0], strerror(errno), dir);
        free(rep);
        return NULL;
    }
    return rep;
}

void sw_live_report_notify(sw_live_report *rep, sw_live_event ev)
{
    if (ev < 0 || ev >= SW_LIVE_EVENT_COUNT) return;
    report_tell(rep, ev == SW_LIVE_BARRIER ? "barrier\n" : "run\n");
    report_check(rep, false, 0);
}

void sw_live_report_end(sw_live_report *rep, bool interrupted)
{
    if (!rep) return;
    if (rep->child > 0) {
        report_tell(rep, interrupted ? "interrupted\n" : "end\n");
        shutdown(rep->sock, SHUT_WR);
        report_check(rep, true, REPORT_WAIT);
    }
    if (rep->sock >= 0) close(rep->sock);
    free(rep);
}

/* ---- the thread -------------------------------------------------------------------- */

static void deadline_in(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_REALTIME, ts);
    long ns = ts->tv_nsec + (long)(seconds * 1e9);
    ts->tv_sec += ns / 1000000000L;
    ts->tv_nsec = ns % 1000000000L;
}

static void *live_main(void *arg)
{
    sw_live *lv = arg;
    live_slot *copy = calloc((size_t)lv->n_slots, sizeof *copy);
    pthread_mutex_lock(&lv->lock);
    while (!lv->stopping) {
        double now = wall_now(), since = now - lv->written;
        bool write = (lv->dirty && since >= MIN_GAP) || since >= SW_LIVE_INTERVAL;
        unsigned events = lv->events;
        lv->events = 0;
        if (write && copy) {
            memcpy(copy, lv->slots, (size_t)lv->n_slots * sizeof *copy);
            lv->dirty = false;
            lv->written = now;
        }
        pthread_mutex_unlock(&lv->lock);
        if (write && copy) heartbeat_write(lv, copy);
        if (events & (1u << SW_LIVE_BARRIER)) report_tell(lv->report, "barrier\n");
        else if (events) report_tell(lv->report, "run\n");
        report_check(lv->report, false, 0);
        pthread_mutex_lock(&lv->lock);
        if (lv->stopping || lv->events) continue;
        double wait = lv->dirty ? MIN_GAP - (wall_now() - lv->written) : 1.0;
        struct timespec ts;
        deadline_in(&ts, wait > 0.01 ? wait : 0.01);
        pthread_cond_timedwait(&lv->wake, &lv->lock, &ts);
    }
    pthread_mutex_unlock(&lv->lock);
    free(copy);
    return NULL;
}

/* ---- the interface ----------------------------------------------------------------- */

int sw_live_start(const sw_live_options *o, sw_live **out)
{
    *out = NULL;
    sw_live *lv = calloc(1, sizeof *lv);
    int n = o->progress->n_slots > 0 ? o->progress->n_slots : 1;
    if (!lv || !(lv->slots = calloc((size_t)n, sizeof *lv->slots))) {
        free(lv);
        return SW_ENOMEM;
    }
    lv->o = *o;
    lv->n_slots = n;
    for (int s = 0; s < n; s++) lv->slots[s].run = -1;
    lv->started = wall_now();
    if (gethostname(lv->host, sizeof lv->host - 1) != 0 || !lv->host[0]) snprintf(lv->host, sizeof lv->host, "-");
    for (char *c = lv->host; *c; c++)
        if (*c == ' ' || *c == '\n') *c = '_';
    char owner[320];
    sw_atomic_owner(owner, sizeof owner);
    snprintf(lv->path, sizeof lv->path, "%s/%s%s", o->dir, SW_LIVE_PREFIX, owner);
    snprintf(lv->tmp, sizeof lv->tmp, "%s.tmp", lv->path);
    pthread_mutex_init(&lv->lock, NULL);
    pthread_cond_init(&lv->wake, NULL);
    heartbeat_write(lv, lv->slots);
    lv->written = wall_now();
    if (o->rank == 0 && o->report) lv->report = o->report;
    else if (o->rank == 0 && o->report_argv) lv->report = sw_live_report_start(o->report_argv, o->dir);
    lv->own_report = lv->report && !o->report;
    lv->running = pthread_create(&lv->thread, NULL, live_main, lv) == 0;
    *out = lv;
    return SW_OK;
}

/* Marks the heartbeat out of date and wakes the thread. Caller holds lv->lock. */
static void touch(sw_live *lv)
{
    lv->dirty = true;
    pthread_cond_signal(&lv->wake);
}

void sw_live_run_started(sw_live *lv, int slot, int run, int until, int resumed_at)
{
    if (!lv || slot < 0 || slot >= lv->n_slots) return;
    sw_task_metric m = sw_task_metric_of(&lv->o.spec->runs[run].cfg.task);
    pthread_mutex_lock(&lv->lock);
    lv->slots[slot] = (live_slot){run, resumed_at, until, resumed_at, wall_now(), 0, NAN, NAN, m.name, m.mode};
    touch(lv);
    pthread_mutex_unlock(&lv->lock);
}

/* The value of history column `name` at epoch e (from 1); NaN when there is none. */
static double history_value(const sw_history *h, const char *name, int e)
{
    const double *col = !strcmp(name, "test_acc") ? h->test_acc : !strcmp(name, "test_loss") ? h->test_loss
                      : !strcmp(name, "val_acc")  ? h->val_acc  : !strcmp(name, "val_loss")  ? h->val_loss : NULL;
    return col && e >= 1 && e <= h->epochs ? col[e - 1] : NAN;
}

void sw_live_epoch(sw_live *lv, int slot, int epoch, const sw_history *h)
{
    if (!lv || slot < 0 || slot >= lv->n_slots) return;
    pthread_mutex_lock(&lv->lock);
    live_slot *x = &lv->slots[slot];
    x->epoch = epoch;
    x->epoch_end = wall_now();
    if (h) {
        x->value = history_value(h, x->metric, epoch);
        x->best = NAN;
        for (int e = 1; e <= epoch; e++) {
            double v = history_value(h, x->metric, e);
            if (v == v && (x->best != x->best || (x->mode == SW_METRIC_MAX ? v > x->best : v < x->best))) x->best = v;
        }
    }
    touch(lv);
    pthread_mutex_unlock(&lv->lock);
}

void sw_live_run_ended(sw_live *lv, int slot)
{
    if (!lv || slot < 0 || slot >= lv->n_slots) return;
    pthread_mutex_lock(&lv->lock);
    lv->slots[slot].run = -1;
    touch(lv);
    pthread_mutex_unlock(&lv->lock);
}

void sw_live_notify(sw_live *lv, sw_live_event ev)
{
    if (!lv || ev < 0 || ev >= SW_LIVE_EVENT_COUNT) return;
    pthread_mutex_lock(&lv->lock);
    lv->events |= 1u << ev;
    touch(lv);
    pthread_mutex_unlock(&lv->lock);
}

void sw_live_stop(sw_live *lv, bool interrupted)
{
    if (!lv) return;
    pthread_mutex_lock(&lv->lock);
    lv->stopping = true;
    pthread_cond_signal(&lv->wake);
    pthread_mutex_unlock(&lv->lock);
    if (lv->running) pthread_join(lv->thread, NULL);
    unlink(lv->path); /* this process is no longer running anything: before the last page */
    if (lv->own_report) sw_live_report_end(lv->report, interrupted);
    pthread_cond_destroy(&lv->wake);
    pthread_mutex_destroy(&lv->lock);
    free(lv->slots);
    free(lv);
}

/* Whether the heartbeat file `name` (in its directory) is that of a live process of this
 * host, by the "<host>.<pid>" its name ends with. */
static bool ours_alive(const char *name)
{
    char host[256];
    if (gethostname(host, sizeof host - 1) != 0) return true;
    host[sizeof host - 1] = 0;
    const char *owner = name + strlen(SW_LIVE_PREFIX), *dot = strrchr(owner, '.');
    if (!dot || (size_t)(dot - owner) != strlen(host) || strncmp(owner, host, (size_t)(dot - owner)) != 0)
        return true; /* another host's: it goes stale on its own */
    char *end;
    long pid = strtol(dot + 1, &end, 10);
    if (*end || pid <= 0) return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int sw_live_remove_stale(const char *dir, bool all)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    size_t plen = strlen(SW_LIVE_PREFIX);
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, SW_LIVE_PREFIX, plen) != 0) continue;
        size_t len = strlen(e->d_name);
        bool tmp = len > 4 && !strcmp(e->d_name + len - 4, ".tmp");
        if (!all && !tmp && ours_alive(e->d_name)) continue;
        if (!all && tmp) { /* a temporary: only a dead process's */
            char base[NAME_MAX + 1];
            snprintf(base, sizeof base, "%.*s", (int)(len - 4), e->d_name);
            if (ours_alive(base)) continue;
        }
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path && unlink(path) == 0) removed++;
    }
    closedir(d);
    return removed;
}

/* ---- reading heartbeats ---------------------------------------------------------------- */

void sw_live_processes_free(sw_live_process *p, int n)
{
    for (int i = 0; p && i < n; i++) {
        free(p[i].file);
        for (int r = 0; r < p[i].n_running; r++) free(p[i].running[r].id);
        free(p[i].running);
    }
    free(p);
}

/* "-" as 0, else the number. */
static double parse_time(const char *s)
{
    return strcmp(s, "-") ? strtod(s, NULL) : 0;
}

/* One "run ..." line into *r (r->id malloc'ed). Returns 0, or -1 when malformed. */
static int parse_run_line(const char *rest, sw_live_run *r)
{
    char started[32], ended[32], value[32], best[32];
    int used = 0;
    if (sscanf(rest, "%d %d %d %31s %31s %31s %31s %15s %n", &r->epoch, &r->until, &r->resumed, started, ended,
               value, best, r->metric, &used) != 8 || !rest[used])
        return -1;
    r->started = parse_time(started);
    r->epoch_end = parse_time(ended);
    r->value = strtod(value, NULL);
    r->best = strtod(best, NULL);
    r->id = strdup(rest + used);
    return r->id ? 0 : -1;
}

/* One line of a heartbeat into p. Returns 0, or -1 when it is malformed. */
static int parse_line(sw_live_process *p, char *line)
{
    char *sp = strchr(line, ' ');
    if (!sp) return -1;
    *sp = 0;
    const char *k = line, *v = sp + 1;
    if (!strcmp(k, "sweep-live")) return atoi(v) == SW_LIVE_VERSION ? 0 : -1;
    if (!strcmp(k, "sweep")) snprintf(p->sweep, sizeof p->sweep, "%s", v);
    else if (!strcmp(k, "host")) snprintf(p->host, sizeof p->host, "%s", v);
    else if (!strcmp(k, "pid")) p->pid = atol(v);
    else if (!strcmp(k, "rank")) return sscanf(v, "%d %d", &p->rank, &p->ranks) == 2 ? 0 : -1;
    else if (!strcmp(k, "shard")) return sscanf(v, "%d %d", &p->shard_index, &p->shard_count) == 2 ? 0 : -1;
    else if (!strcmp(k, "threads")) p->threads = atoi(v);
    else if (!strcmp(k, "started")) p->started = strtod(v, NULL);
    else if (!strcmp(k, "updated")) p->updated = strtod(v, NULL);
    else if (!strcmp(k, "interval")) p->interval = strtod(v, NULL);
    else if (!strcmp(k, "report")) p->report = atoi(v);
    else if (!strcmp(k, "runs")) p->runs = atoi(v);
    else if (!strcmp(k, "finished")) p->finished = atoi(v);
    else if (!strcmp(k, "pending")) p->pending = atoi(v);
    else if (!strcmp(k, "eta")) p->eta = strcmp(v, "-") ? strtod(v, NULL) : -1;
    else if (!strcmp(k, "run")) {
        sw_live_run *more = realloc(p->running, (size_t)(p->n_running + 1) * sizeof *more);
        if (!more) return -1;
        p->running = more;
        memset(&more[p->n_running], 0, sizeof *more);
        if (parse_run_line(v, &more[p->n_running])) return -1;
        p->n_running++;
    }
    return 0; /* keys of a later version are skipped */
}

/* Reads the heartbeat at path into p (p->file set by the caller). */
static void read_one(sw_live_process *p, double now)
{
    FILE *f = fopen(p->file, "r");
    if (!f) {
        snprintf(p->bad, sizeof p->bad, "%s", strerror(errno));
        return;
    }
    char line[4096];
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = 0;
        if (n++ == 0 && strncmp(line, "sweep-live ", 11)) bad = 1;
        if (!bad && parse_line(p, line)) bad = 1;
    }
    fclose(f);
    if (bad || n == 0 || p->updated <= 0 || p->pid <= 0) {
        snprintf(p->bad, sizeof p->bad, "not a heartbeat of this version (format sweep-live %d)", SW_LIVE_VERSION);
        return;
    }
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
    double age = now - p->updated;
    p->alive = true;
    if (!strcmp(host, p->host) && kill((pid_t)p->pid, 0) != 0 && errno == ESRCH) {
        p->alive = false;
        snprintf(p->gone, sizeof p->gone, "process %ld is no longer running on %.100s", p->pid, p->host);
    } else if (age > SW_LIVE_STALE + p->interval) {
        p->alive = false;
        snprintf(p->gone, sizeof p->gone, "not heard from for %.0f s", age);
    }
}

static int by_rank(const void *a, const void *b)
{
    const sw_live_process *x = a, *y = b;
    if (x->rank != y->rank) return x->rank - y->rank;
    int c = strcmp(x->host, y->host);
    return c ? c : (x->pid > y->pid) - (x->pid < y->pid);
}

int sw_live_read(const char *dir, double now, sw_live_process **out, int *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return SW_OK;
    size_t plen = strlen(SW_LIVE_PREFIX);
    struct dirent *e;
    int rc = SW_OK;
    while ((e = readdir(d)) && rc == SW_OK) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, SW_LIVE_PREFIX, plen) || (len > 4 && !strcmp(e->d_name + len - 4, ".tmp"))) continue;
        sw_live_process *more = realloc(*out, (size_t)(*n + 1) * sizeof *more);
        if (!more) {
            rc = SW_ENOMEM;
            break;
        }
        *out = more;
        sw_live_process *p = &more[*n];
        memset(p, 0, sizeof *p);
        p->eta = -1;
        size_t need = strlen(dir) + len + 2;
        if (!(p->file = malloc(need))) {
            rc = SW_ENOMEM;
            break;
        }
        (*n)++;
        snprintf(p->file, need, "%s/%s", dir, e->d_name);
        read_one(p, now);
    }
    closedir(d);
    if (rc == SW_OK && *n > 1) qsort(*out, (size_t)*n, sizeof **out, by_rank);
    return rc;
}
