/* sweep.c: the run loop: which runs this process starts and on how many threads, training
 * each one, and what happens when it ends (its file, the counts, the index, its line);
 * Ctrl-C; the --dry-run plan. The rest of sweep.h lives beside it: outdir.c the output
 * directory (prepare, lock, manifest, resume scan, `sweep index`), progress.c the lines on
 * stderr, sweep_mpi.c the ranks of an MPI job (sweep_nompi.c without MPI).
 *
 * Threads: the run loop's worker threads (POSIX threads, so that each run's own OpenMP
 * regions are top-level ones with a thread pool of their own) take the pending runs,
 * longest-estimated first, from a shared queue (an atomic position: the same as a dynamic
 * schedule); each run is trained by the worker that took it. Under MPI the workers of
 * ranks > 0 ask rank 0 for the next run instead (sweep_mpi.h). A worker with nothing left
 * to take ends; the runs still training then take the threads it leaves (run_threads),
 * so one long run at the end of a sweep does not leave cores idle. Counting a finished
 * run, writing the index and printing its line happen under one lock (finish_run), on
 * every rank.
 *
 * Early stopping (stop:, stopping.h): the queue holds jobs, (run, epoch to train it to),
 * from sw_stop_evaluate over the runs' files; after each job the run's file is read back,
 * the state evaluated again, and rungs whose barrier passed are decided. A worker with
 * nothing to take while jobs are still training waits for them (its threads go to the
 * runs training); rank 0 tells remote workers to ask again. Shards: each process reads
 * every run's file, runs the jobs of its own runs and ends when the next ones wait for
 * another shard's runs (re-reading those once first). */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "common.h"
#include "data.h"
#include "estimate.h"
#include "index.h"
#include "keeper.h"
#include "live.h"
#include "runfile.h"
#include "runwrite.h"
#include "outdir.h"
#include "progress.h"
#include "stopping.h"
#include "sweep_mpi.h"
#include "testhook.h"
#include "pbtrun.h"
#include "replay.h"
#include "train.h"

/* ---- stop signals ----------------------------------------------------------------- */

static atomic_int g_stop;               /* read by every run before each training step */
static volatile sig_atomic_t g_stopping; /* a stop signal came; written by on_stop_signal only */
/* The handler stores to g_stop: only a lock-free atomic is safe in a signal handler. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free");

/* A stop signal (options.h's stop_signals): the first asks every running run to stop at
 * its next training step and save a checkpoint there, and the sweep to start nothing more;
 * the process then exits with SW_EXIT_INTERRUPTED. Further ones change nothing (a batch
 * system may send TERM after its warning signal, and the checkpoints being written must
 * not be lost), except a second SIGINT: a user pressing Ctrl-C again means "now". Never
 * nested: every stop signal is blocked while it runs (sa_mask). */
static void on_stop_signal(int sig)
{
    if (g_stopping) {
        if (sig == SIGINT) _exit(130);
        return;
    }
    g_stopping = 1;
    atomic_store(&g_stop, 1);
    /* async-signal-safe: only write(2), of text put together without stdio */
    char text[400];
    size_t n = 0;
    const char *parts[] = {"\nsweep: interrupted (", sw_signal_name(sig),
                           "); each running run stops at its next training step and saves a checkpoint there, then "
                           "the sweep exits " SW_EXIT_INTERRUPTED_TEXT " (run the same command again to continue)",
                           sig == SIGINT ? "; press Ctrl-C again to quit at once" : "", "\n"};
    for (size_t i = 0; i < SW_ARRAY_LEN(parts); i++)
        for (const char *c = parts[i]; *c && n < sizeof text; c++) text[n++] = *c;
    ssize_t ignored = write(STDERR_FILENO, text, n);
    (void)ignored;
}

typedef struct {
    int n;
    int sig[SW_MAX_STOP_SIGNALS];
    struct sigaction old[SW_MAX_STOP_SIGNALS];
} signal_guard;

/* Clears the stop flag and installs on_stop_signal for `signals` (n of them), until
 * signals_restore. Returns 0, or -1 (errno set) when sigaction failed; then no handler
 * stays installed and the signals keep their previous action. */
static int signals_install(signal_guard *g, const int *signals, int n)
{
    g->n = 0;
    atomic_store(&g_stop, 0);
    g_stopping = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < n; i++) sigaddset(&sa.sa_mask, signals[i]);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < n && i < SW_MAX_STOP_SIGNALS; i++) {
        if (sigaction(signals[i], &sa, &g->old[g->n]) != 0) {
            int saved = errno;
            while (g->n > 0) --g->n, sigaction(g->sig[g->n], &g->old[g->n], NULL);
            errno = saved;
            return -1;
        }
        g->sig[g->n++] = signals[i];
    }
    return 0;
}

/* Puts back the actions signals_install replaced. A failure here cannot be acted upon:
 * restoring a valid previous action only fails for an invalid signal number. */
static void signals_restore(signal_guard *g)
{
    while (g->n > 0) --g->n, sigaction(g->sig[g->n], &g->old[g->n], NULL);
}

/* ---- threads ------------------------------------------------------------------------- */

int sw_sweep_default_threads(void)
{
    int n = omp_get_max_threads();
    return n >= 1 ? n : 1;
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

/* Early stopping's view of the runs (stopping.h): every run's state from its file, the
 * latest evaluation and the jobs ready to hand out. Every rank builds it from the same
 * files (so they agree on what is pending); rank 0 alone updates it, under the loop's
 * lock. */
typedef struct {
    sw_stop_plan plan;
    const char **ids;
    sw_stop_run_state *st;  /* per run */
    double **values;        /* per run: its metric by epoch (st[i].values), owned */
    sw_run_status *status;  /* per run: its file's status (SW_RUN_STATUS_COUNT: none) */
    sw_stop_outcome now;    /* the latest evaluation */
    sw_index_decisions table; /* now's decisions, for the index */
    bool *busy;             /* a job of the run is training */
    bool *failed;           /* its job failed in this invocation: not handed out again */
    bool *mine;             /* in this invocation's shard */
    bool *reported;         /* its stop was counted and printed */
    int *decided;           /* per group and bracket: rungs decided and announced */
    sw_stop_job *queue;     /* jobs ready, longest first; next: the next to hand out */
    int n_queue, next;
    int in_flight;
    bool shards;            /* other processes run other runs: re-read theirs before giving up */
    sw_live *live;          /* told when a rung closes (NULL: nobody to tell) */
    pthread_cond_t changed; /* a job ended (the queue may have grown, or nothing is left) */
} stop_sched;

/* One invocation's run loop, shared by its worker threads and rank 0's dispatcher. */
typedef struct {
    const sw_sweep_spec *spec;
    const char *dir;
    int rank;             /* MPI rank; 0 for a lone process */
    bool quiet, fail_fast;
    sw_progress *p;
    index_keeper *index;  /* written by rank 0 only */
    /* The queue: rank 0's (other ranks' threads ask rank 0). */
    const order_item *order;
    int n_pending;
    atomic_int next;      /* position in order of the next run to hand out */
    atomic_int handed;    /* runs handed out (to this process or, under MPI, to any rank) */
    atomic_int fail_stop; /* --fail-fast saw a failure: hand out nothing more */
    atomic_int not_run;   /* runs stopped by Ctrl-C */
    pthread_mutex_t lock; /* serialises finish_run (and early stopping's queue) */
    /* Threads: `threads` in all, `workers` of them take runs; working[w] is 1 while
     * worker w may still take or is training a run. */
    int threads, workers, per_run;
    atomic_int *working;
    stop_sched *stop;     /* early stopping (rank 0; NULL without, and on other ranks) */
    sw_live *live;        /* the heartbeat and the live report (live.h; NULL-tolerant) */
} sweep_loop;

/* What one worker's runs are told through their hooks. */
typedef struct {
    sweep_loop *L;
    int slot;
} worker_ctx;

/* Threads the run of worker c->slot may use now (sw_train_hooks.threads): the fixed
 * --threads-per-run, or an equal share of all threads between the workers still working,
 * the lowest slots taking the remainder. */
static int run_threads(void *ctx)
{
    const worker_ctx *c = ctx;
    const sweep_loop *L = c->L;
    if (L->per_run > 0) return L->per_run;
    int active = 0, before = 0;
    for (int s = 0; s < L->workers; s++)
        if (atomic_load(&L->working[s])) active++, before += s < c->slot;
    if (active == 0) return 1;
    return L->threads / active + (before < L->threads % active);
}

/* The next run (spec index) to start, or -1 when none is left or the sweep stops. */
static int queue_take(sweep_loop *L)
{
    if (atomic_load(&g_stop) || atomic_load(&L->fail_stop)) return -1;
    int k = atomic_fetch_add(&L->next, 1);
    if (k >= L->n_pending) return -1;
    atomic_fetch_add(&L->handed, 1);
    return L->order[k].idx;
}

/* ---- early stopping's jobs */

static void stop_free(stop_sched *S)
{
    if (!S) return;
    for (int i = 0; S->values && i < S->plan.n_runs; i++) free(S->values[i]);
    sw_stop_outcome_free(&S->now);
    sw_stop_plan_free(&S->plan);
    free(S->ids), free(S->st), free(S->values), free(S->status), free(S->busy), free(S->failed), free(S->mine);
    free(S->reported), free(S->decided), free(S->queue);
    pthread_cond_destroy(&S->changed);
    free(S);
}

static stop_sched *stop_create(const sw_sweep_spec *spec, const sw_sweep_options *opt)
{
    stop_sched *S = calloc(1, sizeof *S);
    if (!S) return NULL;
    pthread_cond_init(&S->changed, NULL);
    size_t n = (size_t)(spec->n_runs ? spec->n_runs : 1);
    int planned = sw_sweep_spec_stop_plan(spec, &S->plan, &S->ids);
    S->st = calloc(n, sizeof *S->st), S->values = calloc(n, sizeof *S->values);
    S->status = calloc(n, sizeof *S->status);
    S->busy = calloc(n, sizeof *S->busy), S->failed = calloc(n, sizeof *S->failed);
    S->mine = calloc(n, sizeof *S->mine), S->reported = calloc(n, sizeof *S->reported);
    S->decided = calloc((size_t)S->plan.n_groups * SW_STOP_MAX_RUNGS + 1, sizeof *S->decided);
    S->queue = calloc(n, sizeof *S->queue);
    if (!S->ids || !S->st || !S->values || !S->status || !S->busy || !S->failed || !S->mine || !S->reported ||
        !S->decided || !S->queue || planned) {
        stop_free(S);
        return NULL;
    }
    for (int i = 0; i < spec->n_runs; i++) {
        S->status[i] = SW_RUN_STATUS_COUNT;
        S->mine[i] = sw_sweep_in_shard(spec, i, opt->shard_index, opt->shard_count);
    }
    S->shards = opt->shard_count > 1;
    S->table = (sw_index_decisions){spec->stop.kind, spec->stop.metric, spec->stop.eta, spec->stop.min_epochs,
                                    NULL, 0, S->ids, spec->stop.by, spec->search.kind == SW_SEARCH_TPE};
    return S;
}

/* Run i's state from its file as read (f NULL: no complete file). */
static int stop_take_file(stop_sched *S, const sw_sweep_spec *spec, int i, const sw_run_file *f)
{
    free(S->values[i]);
    S->values[i] = NULL;
    S->status[i] = f ? f->status : SW_RUN_STATUS_COUNT;
    return sw_outdir_stop_state(f, sw_stop_metric_name(spec->stop.metric), &S->st[i], &S->values[i]);
}

/* The resume scan's callback: every complete run file, with its history. */
static void stop_on_file(void *ctx, int run, const sw_run_file *f)
{
    void **pair = ctx;
    stop_take_file(pair[0], pair[1], run, f);
}

/* Reads run i's file again (after a job, or another shard's). Returns SW_OK or SW_ENOMEM. */
static int stop_reread(stop_sched *S, const sw_sweep_spec *spec, const char *dir, int i)
{
    char path[4096], why[4352];
    if (sw_outdir_path(path, sizeof path, dir, spec->runs[i].id, ".h5")) return SW_OK;
    sw_run_file f;
    int rc = sw_h5_read_run(path, SW_READ_VERIFY | SW_READ_HISTORY, &f, why, sizeof why);
    if (rc != SW_ENOMEM) rc = stop_take_file(S, spec, i, rc == SW_OK ? &f : NULL);
    sw_run_file_free(&f);
    return rc;
}

static const sw_sweep_spec *g_queue_spec; /* by_job_cost's: qsort has no context argument */

/* Longest first: the epochs to train (from the start) times the run's cost per epoch. */
static int by_job_cost(const void *a, const void *b)
{
    const sw_stop_job *x = a, *y = b;
    double cx = g_queue_spec->runs[x->run].cost * x->until, cy = g_queue_spec->runs[y->run].cost * y->until;
    if (cx != cy) return cx > cy ? -1 : 1;
    return x->run - y->run;
}

/* The decision row where run i stopped, or NULL. */
static const sw_stop_decision *stop_row(const stop_sched *S, int i)
{
    for (int d = 0; d < S->now.n_decisions; d++)
        if (S->now.decisions[d].run == i && !S->now.decisions[d].promoted) return &S->now.decisions[d];
    return NULL;
}

/* pbt: the line for barrier `g` (from 1) just decided: who exploits whom, into line.
 * Returns SW_OK or SW_ENOMEM. */
static int pbt_line(const sw_sweep_spec *spec, const stop_sched *S, int g, char *line, size_t len)
{
    sw_pbt_lineage lin;
    int rc = sw_pbt_lineage_build(spec, S->st, &lin);
    if (rc || g >= lin.generations) {
        sw_pbt_lineage_free(&lin);
        return rc;
    }
    const char *metric = sw_stop_metric_name(spec->stop.metric);
    int n = lin.population, exploits = 0;
    for (int m = 0; m < n; m++) exploits += lin.moves[(size_t)g * n + m].donor >= 0;
    size_t used = (size_t)snprintf(line, len, "sweep %s: generation %d (epoch %d): %d of %d member%s exploit%s",
                                   spec->name, g, lin.barrier[g - 1], exploits, n, sw_plural(n), exploits ? ":" : "");
    for (int m = 0; m < n && used < len; m++) {
        const sw_pbt_move *mv = &lin.moves[(size_t)g * n + m];
        if (mv->donor < 0) continue;
        char mine[32], theirs[32];
        sw_format_metric(metric, mv->metric, mine, sizeof mine);
        sw_format_metric(metric, lin.moves[(size_t)g * n + mv->donor].metric, theirs, sizeof theirs);
        used += (size_t)snprintf(line + used, len - used, " %s <- %s (%s %s, %s)", spec->runs[m].id,
                                 spec->runs[mv->donor].id, metric, mine, theirs);
    }
    sw_pbt_lineage_free(&lin);
    return SW_OK;
}

/* Evaluates the state again: the queue of jobs this process can hand out, and (announce)
 * a line per rung newly decided and one per run of this shard newly stopped, counted as
 * finished in p. A run of this shard stopped for good no longer needs its checkpoint in
 * DIR: it is removed. Caller holds the loop's lock. Returns SW_OK or SW_ENOMEM. */
static int stop_refresh(const sw_sweep_spec *spec, const char *dir, stop_sched *S, sw_progress *p, bool quiet,
                        bool announce)
{
    int rc = sw_stop_evaluate(&S->plan, S->st, &S->now);
    if (rc) return rc;
    S->table.rows = S->now.decisions;
    S->table.n_rows = S->now.n_decisions;
    S->n_queue = S->next = 0;
    for (int j = 0; j < S->now.n_jobs; j++) {
        const sw_stop_job *job = &S->now.jobs[j];
        if (S->mine[job->run] && !S->busy[job->run] && !S->failed[job->run]) S->queue[S->n_queue++] = *job;
    }
    g_queue_spec = spec;
    qsort(S->queue, (size_t)S->n_queue, sizeof *S->queue, by_job_cost);
    const char *metric = sw_stop_metric_name(spec->stop.metric);
    bool configs = sw_stop_plan_by_configurations(&S->plan);
    char cut[32], val[32], mine[32];
    /* the rungs decided since the last evaluation: one line each (rows come by bracket and
     * rung, so each rung's rows are one block) */
    const sw_stop_decision *dec = S->now.decisions;
    for (int d = 0, e; d < S->now.n_decisions; d = e) {
        int g = dec[d].group, b = dec[d].bracket, k = dec[d].rung, up = 0, units = 0, units_up = 0;
        for (e = d; e < S->now.n_decisions && dec[e].group == g && dec[e].bracket == b && dec[e].rung == k; e++)
            up += dec[e].promoted;
        for (int x = d; x < e; x++) /* a unit counted at its smallest id, its first row */
            if (!strcmp(S->ids[dec[x].run], S->plan.unit_id[S->plan.unit[dec[x].run]]))
                units++, units_up += dec[x].promoted;
        int ordinal = k - sw_stop_bracket_first_rung(&S->plan, b);
        int *decided = &S->decided[g * SW_STOP_MAX_RUNGS + b];
        if (ordinal < *decided) continue;
        *decided = ordinal + 1;
        sw_live_notify(S->live, SW_LIVE_BARRIER); /* a rung's barrier closed */
        char line[512], where[64] = "", who[96];
        size_t w = 0;
        if (spec->search.kind == SW_SEARCH_TPE) w += (size_t)snprintf(where, sizeof where, "round %d ", g + 1);
        if (S->plan.n_brackets > 1) snprintf(where + w, sizeof where - w, "bracket %d ", b);
        if (configs)
            snprintf(who, sizeof who, "%d of %d configuration%s (%d of %d runs) go on", units_up, units,
                     sw_plural(units), up, e - d);
        else
            snprintf(who, sizeof who, "%d of %d run%s go on", up, e - d, sw_plural(e - d));
        sw_format_metric(metric, dec[d].cutoff, cut, sizeof cut);
        snprintf(line, sizeof line, "sweep %s: %srung %d (epoch %d): %s (%s%s %s %s)", spec->name, where, k,
                 dec[d].epoch, who, metric, configs ? " mean" : "", S->plan.mode == SW_METRIC_MAX ? ">=" : "<=",
                 cut);
        if (spec->search.kind == SW_SEARCH_PBT && pbt_line(spec, S, k + 1, line, sizeof line)) return SW_ENOMEM;
        if (announce && !quiet) sw_progress_note(p, line);
    }
    for (int i = 0; i < spec->n_runs; i++) {
        if (S->now.fate[i] != SW_FATE_STOPPED || S->reported[i]) continue;
        S->reported[i] = true;
        if (!S->mine[i]) continue;
        char ckpt[PATH_MAX];
        if (sw_outdir_checkpoint_path(dir, spec->runs[i].id, ckpt, sizeof ckpt) == SW_OK) unlink(ckpt);
        if (!announce) continue;
        const sw_stop_decision *x = stop_row(S, i);
        char detail[256], of[96] = "";
        sw_format_metric(metric, x ? x->cutoff : NAN, cut, sizeof cut);
        sw_format_metric(metric, x ? x->metric : NAN, val, sizeof val);
        sw_format_metric(metric, x ? x->run_metric : NAN, mine, sizeof mine);
        if (configs && S->plan.unit_size[S->plan.unit[i]] > 1)
            snprintf(of, sizeof of, " (its configuration's mean over %d runs: %s)",
                     S->plan.unit_size[S->plan.unit[i]], val);
        snprintf(detail, sizeof detail, "at epoch %d (rung %d): %s %s%s, %s %s to go on", x ? x->epoch : 0,
                 x ? x->rung : 0, metric, mine, of, S->plan.mode == SW_METRIC_MAX ? "at least" : "at most", cut);
        sw_progress_stopped(p, i, detail, quiet);
    }
    return SW_OK;
}

/* Shards: other processes' runs may have reached their rungs since they were read; read
 * the files of those still open again. Returns SW_OK or SW_ENOMEM. */
static int stop_reread_others(sweep_loop *L, stop_sched *S)
{
    int rc = SW_OK;
    for (int i = 0; i < L->spec->n_runs && rc == SW_OK; i++)
        if (!S->mine[i] && S->now.fate[i] == SW_FATE_OPEN) rc = stop_reread(S, L->spec, L->dir, i);
    return rc;
}

/* The next job: the run and (*until) the epoch to train it to. slot < 0 (the MPI
 * dispatcher) never waits: SW_MPI_WAIT when jobs are training but none is ready; a worker
 * waits for them, its threads lent to the runs training meanwhile. -1: nothing left to
 * run (or the sweep stops). */
static int stop_take(sweep_loop *L, int slot, int *until)
{
    stop_sched *S = L->stop;
    int run = -1;
    bool reread = S->shards;
    pthread_mutex_lock(&L->lock);
    for (;;) {
        if (atomic_load(&g_stop) || atomic_load(&L->fail_stop)) break;
        if (S->next < S->n_queue) {
            const sw_stop_job *job = &S->queue[S->next++];
            run = job->run;
            *until = job->until;
            S->busy[run] = true;
            S->in_flight++;
            break;
        }
        if (S->in_flight == 0) {
            if (!reread || stop_reread_others(L, S) || stop_refresh(L->spec, L->dir, S, L->p, L->quiet, true) ||
                S->n_queue == 0)
                break;
            reread = false;
            continue;
        }
        if (slot < 0) {
            run = SW_MPI_WAIT;
            break;
        }
        atomic_store(&L->working[slot], 0);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&S->changed, &L->lock, &ts);
    }
    if (slot >= 0) atomic_store(&L->working[slot], 1);
    pthread_mutex_unlock(&L->lock);
    return run;
}

/* A job ended (caller holds L->lock): the run's file read back into the state, a rung's
 * detail for its line, then the state evaluated again. */
static void stop_job_read(sweep_loop *L, sw_run_report *r)
{
    stop_sched *S = L->stop;
    int i = r->run;
    if (S->busy[i]) S->busy[i] = false, S->in_flight--;
    if (r->end == SW_END_FAILED) S->failed[i] = true;
    if (stop_reread(S, L->spec, L->dir, i) != SW_OK) S->failed[i] = true; /* out of memory: not again */
    /* written but not read back up to its rung (damaged since?): not handed out again now */
    if (r->end != SW_END_STOPPED && !S->st[i].final && S->st[i].epochs < r->until) S->failed[i] = true;
    if (r->end == SW_END_RUNG && r->until >= 1 && S->st[i].epochs >= r->until) { /* "val_acc 0.8; resumed ..." */
        char was[sizeof r->detail], v[32];
        snprintf(was, sizeof was, "%s", r->detail);
        sw_format_metric(sw_stop_metric_name(L->spec->stop.metric), S->st[i].values[r->until - 1], v, sizeof v);
        snprintf(r->detail, sizeof r->detail, "%s %s%s%.500s", sw_stop_metric_name(L->spec->stop.metric), v,
                 was[0] ? "; " : "", was);
    }
}

static void stop_job_decide(sweep_loop *L)
{
    stop_sched *S = L->stop;
    if (stop_refresh(L->spec, L->dir, S, L->p, L->quiet, true) != SW_OK) /* out of memory: hand out nothing more */
        S->n_queue = S->next = 0;
    pthread_cond_broadcast(&S->changed);
}

/* The next job for worker `slot` (-1: the MPI dispatcher, which must not wait). */
static int take(sweep_loop *L, int slot, int *until)
{
    *until = 0;
    return L->stop ? stop_take(L, slot, until) : queue_take(L);
}

/* Counts a finished run (of this process, or on rank 0 one another rank reported),
 * rewrites the index (rank 0) and prints its line. */
static void finish_run(sweep_loop *L, const sw_run_report *r)
{
    sw_run_report rep = *r;
    pthread_mutex_lock(&L->lock);
    if (L->stop) stop_job_read(L, &rep);
    if (rep.end == SW_END_STOPPED) {
        atomic_fetch_add(&L->not_run, 1);
    } else if (rep.end == SW_END_RUNG) { /* not finished: its rung decides; its epochs are done */
        sw_progress_add_work(L->p, rep.run, rep.from, rep.until);
    } else {
        sw_progress_count(L->p, &rep);
        if (L->fail_fast && rep.end != SW_END_DONE) atomic_store(&L->fail_stop, 1);
    }
    if (!L->quiet) sw_progress_print_finished(L->p, &rep);
    if (L->stop) stop_job_decide(L);
    if (L->rank == 0 && rep.end != SW_END_STOPPED) sw_index_keeper_after_run(L->index);
    if (rep.end != SW_END_STOPPED) {
        sw_live_notify(L->live, SW_LIVE_RUN_FINISHED);
        sw_test_note(SW_TEST_RUN, L->spec->runs[rep.run].id);
    }
    pthread_mutex_unlock(&L->lock);
}

/* A run's checkpoints (sw_train_hooks.on_checkpoint): where they go, for which config, and
 * the message of a failed write (the run's error then). */
typedef struct {
    const char *path;
    const sw_config *cfg;
    const char *run_id;
    const char *dir;
    int snapshot_epoch;          /* pbt: the barrier the job ends at, whose state is kept (0: none) */
    bool saved;                  /* a checkpoint was written by this job */
    int saved_epoch, saved_step; /* where the last one was taken */
    char err[512];
} checkpoint_ctx;

/* pbt: the checkpoint just written at a barrier is also the member's snapshot there (a
 * second name for it: the checkpoint is replaced, never rewritten in place). */
static int keep_snapshot(checkpoint_ctx *c)
{
    char snap[PATH_MAX];
    if (sw_pbt_snapshot_path(c->dir, c->run_id, c->snapshot_epoch, false, snap, sizeof snap)) {
        snprintf(c->err, sizeof c->err, "%s: path too long", c->dir);
        return SW_EINVAL;
    }
    if ((unlink(snap) && errno != ENOENT) || link(c->path, snap)) {
        snprintf(c->err, sizeof c->err, "cannot keep its state at epoch %d as %.300s: %s", c->snapshot_epoch, snap,
                 strerror(errno));
        return SW_EIO;
    }
    return SW_OK;
}

static int save_checkpoint(void *ctx, const sw_train_state *state)
{
    checkpoint_ctx *c = ctx;
    int rc = sw_checkpoint_write(c->path, state, c->cfg, c->err, sizeof c->err);
    if (rc == SW_OK && c->snapshot_epoch && sw_train_state_epoch(state) == c->snapshot_epoch &&
        sw_train_state_step(state) == 0)
        rc = keep_snapshot(c);
    if (rc == SW_OK) {
        c->saved = true;
        c->saved_epoch = sw_train_state_epoch(state);
        c->saved_step = sw_train_state_step(state);
        sw_test_note(SW_TEST_CHECKPOINT, c->run_id);
        sw_test_hold_point();
    }
    return rc;
}

/* sw_train_hooks.on_epoch: the progress slot, the heartbeat, and a test hook (testhook.h). */
typedef struct {
    sw_progress_slot *slot;
    const char *run_id;
    sw_live *live;
    int live_slot;
} epoch_ctx;

static void on_epoch(void *ctx, int epoch, const sw_history *h)
{
    epoch_ctx *c = ctx;
    sw_progress_on_epoch(c->slot, epoch, h);
    sw_live_epoch(c->live, c->live_slot, epoch, h);
    sw_test_note(SW_TEST_EPOCH, c->run_id);
    sw_test_hold_point();
}

/* sw_train_hooks.on_step: a test hook only (an atomic load when none is set). */
static void on_step(void *ctx, int epoch, int step)
{
    (void)epoch, (void)step;
    epoch_ctx *c = ctx;
    sw_test_note(SW_TEST_STEP, c->run_id);
    sw_test_hold_point();
}

/* Where a state of run `cfg` is, for its lines: "after epoch 4" at a boundary, "in epoch 5
 * after step 17 of 40" inside an epoch. */
static void position_text(char *out, size_t len, const sw_config *cfg, int epoch, int step)
{
    if (step == 0)
        snprintf(out, len, "after epoch %d", epoch);
    else
        snprintf(out, len, "in epoch %d after step %d of %d", epoch + 1, step, sw_train_steps_per_epoch(cfg));
}

/* The state to resume run `run` from: its checkpoint at `path`, or NULL when there is none.
 * One that does not read through or is not this run's (another config or program version)
 * is named on stderr and removed: the run starts over, and its next checkpoint is sound. */
static sw_train_state *load_checkpoint(sweep_loop *L, const sw_run_spec *run, const char *path)
{
    sw_train_state *st = NULL;
    char why[1024];
    int rc = sw_checkpoint_read(path, &run->cfg, &st, why, sizeof why);
    if (rc == SW_OK || rc == SW_ENOTFOUND) return st;
    pthread_mutex_lock(&L->p->out_lock);
    if (L->p->tty && L->p->line_shown) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "sweep: checkpoint ignored: %s; run %s starts over\n", why, run->id);
    pthread_mutex_unlock(&L->p->out_lock);
    if (rc != SW_ENOMEM) unlink(path);
    return NULL;
}

/* Where a job of run `run` to epoch `until` (0: the end) starts: its checkpoint, which a
 * run stopped at an early-stopping rung keeps, so that a promoted run continues from its
 * rung; a checkpoint at or beyond `until` (left by other stop: settings) is not used, and
 * the run starts over (runs are deterministic: the same file). Frees what it drops. */
static sw_train_state *job_start(sw_train_state *resume, int until)
{
    if (resume && until > 0 && sw_train_state_epoch(resume) >= until) {
        sw_train_state_free(resume);
        return NULL;
    }
    return resume;
}

/* pbt: the config run i trains with in the generation that ends at `until` (its values
 * then, from the lineage its population's files give) and where it starts: its own
 * checkpoint when one lies inside that generation (an interrupted job), else its state at
 * the generation's first barrier (with its donor's network when it exploits there).
 * Returns SW_OK, or a negative code with err. */
static int pbt_job(sweep_loop *L, int i, int until, const char *ckpt, sw_config *cfg, sw_train_state **resume,
                   sw_pbt_lineage *lin_out, char *err, size_t errlen)
{
    *resume = NULL;
    sw_pbt_lineage lin;
    int rc = sw_pbt_lineage_read(L->spec, L->dir, &lin);
    int g = rc ? -1 : sw_pbt_generation_of(&lin, until);
    if (!rc && (g < 0 || g >= lin.generations)) {
        snprintf(err, errlen, "the population's files do not decide the generation that ends at epoch %d", until);
        rc = SW_EINVAL;
    }
    if (!rc) rc = sw_pbt_config(L->spec, &lin, i, g, cfg, err, errlen);
    if (!rc) {
        int first = g ? lin.barrier[g - 1] : 0;
        sw_train_state *own = NULL;
        char why[1024];
        if (ckpt && sw_checkpoint_read(ckpt, cfg, &own, why, sizeof why) == SW_OK) {
            int e = sw_train_state_epoch(own), s = sw_train_state_step(own);
            if (!((e > first || (e == first && s > 0)) && e < until)) {
                sw_train_state_free(own);
                own = NULL;
            }
        }
        if (!own && g > 0) rc = sw_pbt_start_state(L->spec, L->dir, &lin, i, g, &own, err, errlen);
        *resume = own;
    }
    if (rc) sw_pbt_lineage_free(&lin);
    else *lin_out = lin; /* the member's file records it */
    return rc;
}

/* Where the job of run i to `until` starts (*resume, NULL: from scratch) and the config it
 * trains with (*cfg: the run's, or a pbt member's of that generation; *lin, the caller's to
 * free: the population's lineage). Returns SW_OK, or a negative code with err (pbt: its
 * starting state cannot be made). */
static int job_prepare(sweep_loop *L, int i, int until, const char *ckpt, bool checkpoints, sw_config *cfg,
                       sw_train_state **resume, sw_pbt_lineage *lin, char *err, size_t errlen)
{
    const sw_run_spec *run = &L->spec->runs[i];
    *cfg = run->cfg;
    memset(lin, 0, sizeof *lin);
    if (L->spec->search.kind == SW_SEARCH_PBT)
        return pbt_job(L, i, until, checkpoints ? ckpt : NULL, cfg, resume, lin, err, errlen);
    *resume = job_start(checkpoints ? load_checkpoint(L, run, ckpt) : NULL, until);
    return SW_OK;
}

/* Writes the file of run i's job to `until` from res (train's return code trc; lin: a pbt
 * member's lineage, else NULL), removes its checkpoint (ckpt, NULL: none) once the run no
 * longer needs it, and says in rep how the job ended. */
static void write_job_file(sweep_loop *L, int i, int until, const sw_pbt_lineage *lin, const sw_run_result *res,
                           int trc, const char *ckpt, sw_run_report *rep)
{
    const sw_sweep_spec *spec = L->spec;
    const sw_run_spec *run = &spec->runs[i];
    const char *swept[64];
    int n_sw = spec->n_swept < 64 ? spec->n_swept : 64;
    for (int j = 0; j < n_sw; j++) swept[j] = spec->swept_keys[j];
    sw_run_meta meta = {run->id, spec->name, swept, n_sw, NULL};
    sw_pbt_record life = {0};
    char werr[512] = "";
    int wrc = lin ? sw_pbt_record_init(&life, spec, lin, i, sw_pbt_generation_of(lin, until), res->history.epochs)
                  : SW_OK;
    if (lin) meta.lineage = &life.life;
    if (wrc == SW_OK) wrc = sw_h5_write_run(L->dir, &meta, &run->cfg, res, werr, sizeof werr);
    else snprintf(werr, sizeof werr, "out of memory");
    sw_pbt_record_free(&life);
    /* its file is complete: the checkpoint has served (a stopped run, at an early-stopping
     * rung, keeps it to continue from) */
    if (wrc == SW_OK && ckpt && res->status != SW_RUN_STOPPED) unlink(ckpt);
    if (wrc) {
        rep->end = SW_END_FAILED;
        snprintf(rep->detail, sizeof rep->detail, "could not write its file: %s", werr);
    } else if (res->status == SW_RUN_DONE) {
        rep->end = SW_END_DONE;
    } else if (res->status == SW_RUN_STOPPED) {
        rep->end = SW_END_RUNG;
    } else if (res->status == SW_RUN_DIVERGED) {
        rep->end = SW_END_DIVERGED;
        snprintf(rep->detail, sizeof rep->detail, "%s", res->error);
    } else {
        rep->end = SW_END_FAILED;
        snprintf(rep->detail, sizeof rep->detail, "%s", res->error[0] ? res->error : sw_strerror(trc));
    }
}

/* Trains run i (up to epoch `until`, 0: to the end) on the calling thread (slot `slot` of
 * the progress), from its checkpoint when it has one, writes its file (then removes the
 * checkpoint, unless the run stopped at a rung) and fills *rep with how it ended. */
static void run_one(sweep_loop *L, int slot, int i, int until, sw_run_report *rep)
{
    const sw_sweep_spec *spec = L->spec;
    const sw_run_spec *run = &spec->runs[i];
    worker_ctx wc = {L, slot};
    char ckpt[PATH_MAX];
    sw_config cfg;
    bool pbt = spec->search.kind == SW_SEARCH_PBT;
    checkpoint_ctx cc = {.path = ckpt, .cfg = &cfg, .run_id = run->id, .dir = L->dir,
                         .snapshot_epoch = pbt && until < run->cfg.train.epochs ? until : 0};
    epoch_ctx ec = {&L->p->slots[slot], run->id, L->live, slot};
    bool checkpoints = sw_outdir_checkpoint_path(L->dir, run->id, ckpt, sizeof ckpt) == SW_OK;
    sw_train_state *resume = NULL;
    sw_pbt_lineage lin;
    rep->run = i;
    rep->until = until;
    rep->from = 0;
    rep->detail[0] = 0;
    if (job_prepare(L, i, until, ckpt, checkpoints, &cfg, &resume, &lin, rep->detail, sizeof rep->detail)) {
        rep->end = SW_END_FAILED;
        return;
    }
    char resumed[96] = "";
    bool was_resumed = resume != NULL;
    int resumed_at = resume ? sw_train_state_epoch(resume) : 0;
    if (resume) position_text(resumed, sizeof resumed, &cfg, resumed_at, sw_train_state_step(resume));
    rep->from = resumed_at;
    if (resumed_at) sw_progress_run_resumed(L->p, slot, resumed_at);
    sw_live_run_started(L->live, slot, i, until, resumed_at);
    sw_train_hooks hooks = {.on_epoch = on_epoch,
                            .on_step = on_step,
                            .ctx = &ec,
                            .stop = &g_stop,
                            .threads = run_threads,
                            .threads_ctx = &wc,
                            .threads_exact = L->per_run > 0,
                            .until_epoch = until,
                            .resume = resume,
                            .on_checkpoint = checkpoints ? save_checkpoint : NULL,
                            .checkpoint_ctx = &cc,
                            .checkpoint_unthrottled = sw_test_checkpoints_unthrottled()};
    if (run->cfg.task.kind == SW_TASK_FILE) {
        /* loaded (and checked) when the sweep was expanded; here only looked up */
        const sw_data_file *data = NULL;
        char why[1024];
        if (sw_data_open(run->cfg.task.path, &data, why, sizeof why) == SW_OK) {
            hooks.train_data = &data->train;
            hooks.test_data = &data->test;
        }
    } else if (run->cfg.task.kind == SW_TASK_TEXT) {
        const sw_text *text = NULL; /* as a data file: loaded when the sweep was expanded */
        char why[1024];
        if (sw_text_open(run->cfg.task.path, &text, why, sizeof why) == SW_OK) hooks.text = text;
    }
    sw_run_result res;
    int trc = sw_train_run(&cfg, &hooks, &res);
    sw_train_state_free(resume);
    if (cc.err[0]) snprintf(res.error, sizeof res.error, "saving a checkpoint: %.230s", cc.err);
    if (trc == SW_EINTERRUPTED) {
        rep->end = SW_END_STOPPED;
        char at[96];
        if (cc.saved) {
            position_text(at, sizeof at, &run->cfg, cc.saved_epoch, cc.saved_step);
            snprintf(rep->detail, sizeof rep->detail, "interrupted %s; checkpoint saved, the run resumes there", at);
        } else if (was_resumed) {
            snprintf(rep->detail, sizeof rep->detail, "interrupted before its next step; the run resumes from its "
                     "checkpoint (%s)", resumed);
        } else {
            snprintf(rep->detail, sizeof rep->detail, "interrupted before a checkpoint; the run will be redone");
        }
    } else {
        write_job_file(L, i, until, pbt ? &lin : NULL, &res, trc, checkpoints ? ckpt : NULL, rep);
    }
    if (was_resumed && rep->end != SW_END_STOPPED) { /* "resumed at epoch 4", "resumed in epoch 5 after step 17 of 40" */
        size_t used = strlen(rep->detail);
        bool boundary = !strncmp(resumed, "after ", 6);
        snprintf(rep->detail + used, sizeof rep->detail - used, "%sresumed %s%s", used ? "; " : "",
                 boundary ? "at epoch " : "", boundary ? resumed + strlen("after epoch ") : resumed);
    }
    rep->best_epoch = res.best_epoch;
    rep->best_test_acc = res.best_test_acc;
    rep->best_test_loss = res.best_test_loss;
    rep->final_test_acc = res.final_test_acc;
    rep->wall_seconds = res.wall_seconds;
    sw_run_result_free(&res);
    sw_pbt_lineage_free(&lin);
}

/* One worker: runs from the queue (rank 0) or from rank 0 (other ranks, whose requests
 * carry the report of their previous run) until there are none; then its threads go to
 * the runs still training. */
static void worker(sweep_loop *L, int slot)
{
    sw_run_report rep;
    memset(&rep, 0, sizeof rep);
    rep.end = -1;
    for (;;) {
        int until = 0;
        int i = L->rank > 0 ? sw_mpi_request(&rep, atomic_load(&g_stop) != 0, &until) : take(L, slot, &until);
        if (i == SW_MPI_WAIT) { /* a rung barrier on rank 0: ask again, lending the threads meanwhile */
            rep.end = -1;
            atomic_store(&L->working[slot], 0);
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            atomic_store(&L->working[slot], 1);
            continue;
        }
        if (i < 0) break;
        sw_progress_run_started(L->p, slot, i);
        run_one(L, slot, i, until, &rep);
        sw_progress_run_ended(L->p, slot);
        sw_live_run_ended(L->live, slot);
        finish_run(L, &rep);
        sw_test_hold_point();
    }
    atomic_store(&L->working[slot], 0);
}

typedef struct {
    sweep_loop *L;
    int slot;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg *a = arg;
    worker(a->L, a->slot);
    return NULL;
}

/* What rank 0's MPI dispatcher calls. */
static int hook_take(void *L, int *until)
{
    return take(L, -1, until);
}

static void hook_finish(void *L, const sw_run_report *r)
{
    finish_run(L, r);
}

static void hook_interrupt(void *L)
{
    (void)L;
    atomic_store(&g_stop, 1);
}

/* Runs the queue on L->workers workers of this process (the calling thread is worker 0;
 * workers that cannot be created leave their share to the others), and on rank 0 hands
 * runs to the `remote_threads` worker threads of the other ranks; adds the counts to *out. */
static void run_all(sweep_loop *L, const sw_sweep_options *opt, int remote_threads, sw_sweep_outcome *out)
{
    signal_guard sig;
    /* Every mode (one process, a shard, every MPI rank: mpirun turns Ctrl-C into SIGTERM to
     * every rank, Slurm sends SIGTERM at a job's time limit and on scancel, and the warning
     * signal of --signal=B:USR1@120 before it) stops the same way. */
    int defaults[] = {SIGINT, SIGTERM, SIGUSR1};
    const int *signals = opt->n_stop_signals > 0 ? opt->stop_signals : defaults;
    int n_signals = opt->n_stop_signals > 0 ? opt->n_stop_signals : (int)SW_ARRAY_LEN(defaults);
    if (signals_install(&sig, signals, opt->handle_signals ? n_signals : 0) != 0)
        fprintf(stderr, "sweep: warning: cannot handle stop signals (sigaction: %s); they will end the sweep at "
                "once, and the runs in progress will be redone from their last checkpoints by the same command\n",
                strerror(errno));
    if (L->n_pending > 0) sw_progress_start_ticker(L->p);
    sw_mpi_loop hooks = {L, hook_take, hook_finish, hook_interrupt, L->spec->n_runs};
    sw_mpi_dispatcher *disp = L->rank == 0 && remote_threads > 0 ? sw_mpi_dispatch_start(&hooks, remote_threads) : NULL;

    pthread_t *tid = calloc((size_t)L->workers, sizeof *tid);
    worker_arg *args = calloc((size_t)L->workers, sizeof *args);
    int started = 1;
    for (int s = 0; s < L->workers; s++) atomic_store(&L->working[s], s == 0);
    for (int s = 1; tid && args && s < L->workers; s++) {
        args[s] = (worker_arg){L, s};
        atomic_store(&L->working[s], 1);
        if (pthread_create(&tid[s], NULL, worker_main, &args[s])) {
            atomic_store(&L->working[s], 0);
            break;
        }
        started++;
    }
    worker(L, 0);
    for (int s = 1; s < started; s++) pthread_join(tid[s], NULL);
    free(tid);
    free(args);

    sw_mpi_dispatch_join(disp);
    sw_progress_stop_ticker(L->p);
    signals_restore(&sig);
    out->done += atomic_load(&L->p->done);
    out->diverged += atomic_load(&L->p->diverged);
    out->failed += atomic_load(&L->p->failed);
    out->stopped += atomic_load(&L->p->stopped);
    out->interrupted = atomic_load(&g_stop) != 0;
    /* Rank 0 (or a lone process) heard of every run: the ones never handed out are pending. */
    out->not_run = atomic_load(&L->not_run) + (L->rank == 0 && !L->stop ? L->n_pending - atomic_load(&L->handed) : 0);
    if (L->stop) { /* the runs still open, besides those that failed now (counted as failed) */
        const stop_sched *S = L->stop;
        int open = 0;
        for (int i = 0; i < L->spec->n_runs; i++) open += S->mine[i] && S->now.fate[i] == SW_FATE_OPEN && !S->failed[i];
        if (S->shards && !out->interrupted && !atomic_load(&L->fail_stop))
            out->waiting = open, out->not_run = 0;
        else
            out->not_run = open;
    }
}

/* ---- sw_sweep_execute ------------------------------------------------------------------- */

/* Resume: runs with a complete file are kept, with their recorded status; the others go
 * into order[], longest first. Returns their count, or a negative code. */
static int list_pending(const sw_sweep_spec *spec, const sw_sweep_options *opt, const sw_outdir_scan_options *scan,
                        sw_sweep_outcome *out, order_item *order, char *err, size_t errlen)
{
    int *pending = malloc((size_t)(spec->n_runs ? spec->n_runs : 1) * sizeof *pending);
    if (!pending) return SW_ENOMEM;
    int n = sw_outdir_scan(spec, opt, scan, out, pending, err, errlen);
    for (int q = 0; q < n; q++) order[q] = (order_item){spec, pending[q]};
    free(pending);
    if (n > 0) qsort(order, (size_t)n, sizeof *order, by_cost_desc);
    return n;
}

/* Early stopping's resume: every run's state evaluated; this shard's runs that are done,
 * diverged or stopped at a rung are kept, the open ones go into order[], longest first.
 * Returns their count, or SW_ENOMEM. */
static int stop_pending(const sw_sweep_spec *spec, const char *dir, stop_sched *S, sw_sweep_outcome *out,
                        order_item *order)
{
    int rc = stop_refresh(spec, dir, S, NULL, true, false);
    if (rc) return rc;
    out->total = out->skipped = out->done = out->diverged = out->stopped = 0;
    int n = 0;
    for (int i = 0; i < spec->n_runs; i++) {
        if (!S->mine[i]) continue;
        out->total++;
        if (S->now.fate[i] == SW_FATE_OPEN) {
            order[n++] = (order_item){spec, i};
            continue;
        }
        out->skipped++;
        if (S->now.fate[i] == SW_FATE_STOPPED) out->stopped++;
        else if (S->status[i] == SW_RUN_DONE) out->done++;
        else out->diverged++;
    }
    if (n > 0) qsort(order, (size_t)n, sizeof *order, by_cost_desc);
    return n;
}

/* Concurrent runs must fit in memory together: fewer threads rather than swapping.
 * Returns the number of threads whose biggest runs together take at most 3/4 of RAM. */
static int fit_memory(const sw_sweep_spec *spec, const order_item *order, int n_pending, int threads, bool quiet)
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
        if (!quiet)
            fprintf(stderr, "sweep: note: the largest runs need more memory together than this machine has; "
                            "using %d thread%s\n", threads, sw_plural(threads));
    }
    return threads;
}

/* pbt: whether every member's file is final (the snapshots have served). */
static bool pbt_finished(const stop_sched *S, int n)
{
    for (int i = 0; i < n; i++)
        if (S->now.fate[i] != SW_FATE_FINAL) return false;
    return true;
}

/* A finished pbt search: its best member's life as one run's config, DIR/pbt-replay.yaml
 * (replay.h), for `sweep summarize` to point at. A failure costs the sweep nothing but the
 * file (a warning says why; `sweep replay DIR` tells it again). */
static void write_best_replay(const char *dir, bool quiet)
{
    char path[PATH_MAX], err[1024];
    if (sw_outdir_path(path, sizeof path, dir, SW_PBT_REPLAY_NAME, "")) return;
    if (sw_replay_write(dir, NULL, path, NULL, err, sizeof err) && !quiet)
        fprintf(stderr, "sweep: warning: no %s: %s\n", SW_PBT_REPLAY_NAME, err);
}

/* The first index write (rank 0). Under MPI the index is rank 0's (the one the others
 * report to); when it cannot be written, every rank gives up together rather than wait
 * for a dispatcher. */
static int open_index(index_keeper *ix, int rank, int ranks, char *err, size_t errlen)
{
    int rc = rank == 0 ? sw_index_keeper_first(ix, err, errlen) : SW_OK;
    if (ranks > 1) rc = sw_mpi_share(rc);
    if (rc && rank != 0) snprintf(err, errlen, "rank 0 could not write the index");
    return rc;
}

int sw_sweep_execute(const sw_sweep_spec *spec, const sw_sweep_options *opt, sw_sweep_outcome *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    double t0 = sw_now();
    int rank = 0, ranks = 1;
    int rc = sw_mpi_world(opt->mpi, &rank, &ranks, err, errlen);
    if (rc) return rc;
    bool quiet = opt->quiet || rank != 0;
    index_keeper ix;
    sw_progress p = {0};
    atomic_int *working = NULL;
    stop_sched *S = NULL;
    sw_live *live = NULL;
    order_item *order = calloc((size_t)(spec->n_runs ? spec->n_runs : 1), sizeof *order);
    if ((rc = sw_index_keeper_init(&ix, spec, opt->dir)) || !order) {
        rc = SW_ENOMEM;
        goto done;
    }
    /* Under MPI every rank lists the same runs; none writes before all have (the index is
     * first written after sw_mpi_remote_threads, a barrier). Every rank reads the files
     * through; rank 0 alone moves damaged ones aside, and whether another rank finds such
     * a file damaged or already gone, the run is pending all the same. */
    sw_outdir_scan_options scan = {.move_aside = rank == 0, .report = stderr, .cache = rank == 0 ? ix.cache : NULL};
    /* Early stopping reads every run's file with its history: decisions need them all. */
    void *stop_ctx[2] = {NULL, (void *)spec};
    bool pbt = spec->search.kind == SW_SEARCH_PBT; /* its barriers are rungs where all go on */
    if (spec->stop.kind != SW_STOP_NONE || pbt) {
        if (!(S = stop_create(spec, opt))) {
            rc = SW_ENOMEM;
            goto done;
        }
        stop_ctx[0] = S;
        scan.all_runs = true, scan.on_file = stop_on_file, scan.ctx = stop_ctx;
        if (rank == 0 && !pbt) ix.decisions = &S->table;
    }
    int n_pending = list_pending(spec, opt, &scan, out, order, err, errlen);
    if (n_pending >= 0 && S) n_pending = stop_pending(spec, opt->dir, S, out, order);
    if (n_pending < 0) {
        rc = n_pending;
        goto done;
    }
    /* threads in all; workers: runs at a time (fewer when memory or the runs are fewer) */
    int threads = opt->threads >= 1 ? opt->threads : 1, per_run = opt->threads_per_run > 0 ? opt->threads_per_run : 0;
    int workers = per_run ? threads / per_run : threads;
    if (workers < 1) workers = 1;
    if (workers > n_pending) workers = n_pending > 0 ? n_pending : 1;
    workers = fit_memory(spec, order, n_pending, workers, opt->quiet);
    if (per_run) threads = workers * per_run;
    double work = 0;
    for (int q = 0; q < n_pending; q++) work += spec->runs[order[q].idx].cost;
    if (S) /* roughly: the share of the epochs the plan trains */
        work *= (double)sw_stop_planned_epochs(&S->plan) / ((double)spec->n_runs * spec->stop_epochs);
    rc = sw_progress_init(&p, spec, workers, out->total, out->skipped, work, t0, !quiet && isatty(STDERR_FILENO));
    if (rc) goto done;
    if (!(working = calloc((size_t)workers, sizeof *working))) {
        rc = SW_ENOMEM;
        goto done;
    }
    int remote_threads = ranks > 1 ? sw_mpi_remote_threads(workers) : 0;
    if ((rc = open_index(&ix, rank, ranks, err, errlen))) goto done;
    if (!quiet) sw_progress_print_start(spec, opt, out, n_pending, threads, ranks, workers + remote_threads);
    sw_live_options lo = {opt->dir, spec, &p, rank, ranks, opt->shard_index, opt->shard_count, threads,
                          opt->report_argv, opt->live_report, quiet};
    if (sw_live_start(&lo, &live) != SW_OK && !quiet)
        fprintf(stderr, "sweep: warning: out of memory for the heartbeat; `sweep status` will not see this process\n");
    if (S) S->live = live;

    sweep_loop L = {.spec = spec, .dir = opt->dir, .rank = rank, .quiet = quiet, .fail_fast = opt->fail_fast,
                    .p = &p, .index = &ix, .order = order, .n_pending = n_pending, .threads = threads,
                    .workers = workers, .per_run = per_run, .working = working, .stop = rank == 0 ? S : NULL,
                    .live = live};
    pthread_mutex_init(&L.lock, NULL);
    run_all(&L, opt, remote_threads, out);
    pthread_mutex_destroy(&L.lock);
    if (ranks > 1) out->interrupted = sw_mpi_any(out->interrupted);
    if (rank == 0) rc = sw_index_keeper_last(&ix, err, errlen);
    if (rank == 0 && pbt && S && pbt_finished(S, spec->n_runs)) {
        sw_pbt_remove_snapshots(spec, opt->dir);
        write_best_replay(opt->dir, quiet);
    }
    /* after the index's last write: the report's last page reads it */
    if (S) S->live = NULL;
    sw_live_stop(live, out->interrupted);
    live = NULL;
    out->seconds = sw_now() - t0;
    if (!quiet && !opt->in_rounds) sw_progress_print_end(spec, opt->dir, out);
done:
    sw_live_stop(live, true);
    sw_progress_free(&p);
    sw_index_keeper_free(&ix);
    stop_free(S);
    free(order);
    free(working);
    return rc;
}
