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
 * every rank. */
#define _POSIX_C_SOURCE 200809L
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "common.h"
#include "data.h"
#include "h5io.h"
#include "outdir.h"
#include "progress.h"
#include "sweep_mpi.h"
#include "train.h"

/* A rough single-thread speed of the engine, only for --dry-run's time estimate. */
#define SW_ASSUMED_FLOPS_PER_THREAD 40e9

/* ---- Ctrl-C -------------------------------------------------------------------------- */

static atomic_int g_stop;           /* read by every run at each epoch boundary */
static volatile sig_atomic_t g_sigints; /* written by on_sigint only, never nested (sa_mask) */
/* The handler stores to g_stop: only a lock-free atomic is safe in a signal handler. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int must be lock-free");

static void on_sigint(int sig)
{
    (void)sig;
    g_sigints++;
    if (g_sigints >= 2) _exit(130);
    atomic_store(&g_stop, 1);
    static const char text[] = "\nsweep: interrupted; finishing the current epoch of running runs, which "
                               "save a checkpoint to resume from (press Ctrl-C again to quit at once)\n";
    ssize_t ignored = write(STDERR_FILENO, text, sizeof text - 1);
    (void)ignored;
}

typedef struct {
    bool sigint, sigterm; /* handlers installed */
    struct sigaction old_int, old_term;
} signal_guard;

/* Clears the stop flag and, when `sigint`, installs on_sigint for SIGINT, and for SIGTERM
 * too when `sigterm`, until signals_restore. Returns 0, or -1 (errno set) when sigaction
 * failed; then no handler stays installed and the signals keep their previous action. */
static int signals_install(signal_guard *g, bool sigint, bool sigterm)
{
    g->sigint = g->sigterm = false;
    atomic_store(&g_stop, 0);
    g_sigints = 0;
    if (!sigint) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    /* Blocked while it runs: a SIGTERM arriving in the SIGINT handler (or the reverse)
     * would otherwise interleave the two updates of the counter. */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &sa, &g->old_int) != 0) return -1;
    g->sigint = true;
    if (sigterm) {
        if (sigaction(SIGTERM, &sa, &g->old_term) != 0) {
            int saved = errno;
            sigaction(SIGINT, &g->old_int, NULL);
            g->sigint = false;
            errno = saved;
            return -1;
        }
        g->sigterm = true;
    }
    return 0;
}

/* Puts back the actions signals_install replaced. A failure here cannot be acted upon:
 * restoring a valid previous action only fails for an invalid signal number. */
static void signals_restore(signal_guard *g)
{
    if (g->sigint) sigaction(SIGINT, &g->old_int, NULL);
    if (g->sigterm) sigaction(SIGTERM, &g->old_term, NULL);
}

/* ---- the plan ------------------------------------------------------------------------ */

int sw_sweep_default_threads(void)
{
    int n = omp_get_max_threads();
    return n >= 1 ? n : 1;
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
    sw_format_duration(seconds, d, sizeof d);
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

/* ---- the index ------------------------------------------------------------------------ */

/* DIR/sweep.h5, kept by rank 0 (or a lone process). */
typedef struct {
    const sw_sweep_spec *spec;
    const char *dir;
    const char **ids;
    sw_config *configs;
    sw_index_cache *cache; /* so that each run file is read once, not at every write */
    double written_at;     /* sw_now() after the last write */
    double cost;           /* seconds the last write took */
    int rc;                /* the first failed write after the first one, with its message */
    char err[512];
} index_keeper;

/* Sets up *ix for spec's runs (no write yet; the resume scan fills the cache). Returns
 * SW_OK or SW_ENOMEM; index_free either way. */
static int index_init(index_keeper *ix, const sw_sweep_spec *spec, const char *dir)
{
    memset(ix, 0, sizeof *ix);
    ix->spec = spec;
    ix->dir = dir;
    ix->ids = calloc((size_t)spec->n_runs, sizeof *ix->ids);
    ix->configs = calloc((size_t)spec->n_runs, sizeof *ix->configs);
    ix->cache = sw_index_cache_create(spec->n_runs); /* so that each run file is read once */
    if (!ix->ids || !ix->configs || !ix->cache) return SW_ENOMEM;
    for (int i = 0; i < spec->n_runs; i++) ix->ids[i] = spec->runs[i].id, ix->configs[i] = spec->runs[i].cfg;
    return SW_OK;
}

/* NULL-tolerant, as is every field. */
static void index_free(index_keeper *ix)
{
    if (!ix) return;
    sw_index_cache_free(ix->cache);
    free(ix->ids);
    free(ix->configs);
    memset(ix, 0, sizeof *ix);
}

/* Writes the index now, noting when and how long it took. */
static int index_write(index_keeper *ix, char *err, size_t errlen)
{
    const sw_sweep_spec *spec = ix->spec;
    sw_index_spec s = {0};
    s.sweep_name = spec->name;
    s.config_text = spec->text;
    s.run_ids = ix->ids;
    s.n_runs = spec->n_runs;
    s.swept_keys = spec->n_swept ? (const char *const *)spec->swept_keys : NULL;
    s.n_swept = spec->n_swept;
    s.configs = ix->configs;
    s.cache = ix->cache;
    double t0 = sw_now();
    int rc = sw_h5_write_index(ix->dir, &s, err, errlen);
    ix->written_at = sw_now();
    ix->cost = ix->written_at - t0;
    return rc;
}

/* The first write, before any run: its failure is the sweep's error. */
static int index_first(index_keeper *ix, char *err, size_t errlen)
{
    return index_write(ix, err, errlen);
}

/* The index is rewritten after every finished run, except that when runs finish faster
 * than it can be written (thousands of tiny runs: a write of n rows costs O(n)), a write
 * waits until ten times the last write's duration has passed, so the index never costs
 * more than about a tenth of the sweep. It is always rewritten when the sweep ends. */
#define SW_INDEX_MAX_SHARE 0.1

/* After a finished run (caller serialises): a failure is kept for index_last. */
static void index_after_run(index_keeper *ix)
{
    if (sw_now() - ix->written_at < ix->cost / SW_INDEX_MAX_SHARE) return;
    char ierr[512];
    int irc = index_write(ix, ierr, sizeof ierr);
    if (irc && ix->rc == SW_OK) {
        ix->rc = irc;
        snprintf(ix->err, sizeof ix->err, "%s", ierr);
    }
}

/* The index once more, so it is current whatever happened; reports this write's failure
 * or else an earlier one. */
static int index_last(index_keeper *ix, char *err, size_t errlen)
{
    char ierr[512];
    int irc = index_write(ix, ierr, sizeof ierr);
    if (!irc && !ix->rc) return SW_OK;
    snprintf(err, errlen, "%s", irc ? ierr : ix->err); /* names the index's path */
    return irc ? irc : ix->rc;
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
    pthread_mutex_t lock; /* serialises finish_run */
    /* Threads: `threads` in all, `workers` of them take runs; working[w] is 1 while
     * worker w may still take or is training a run. */
    int threads, workers, per_run;
    atomic_int *working;
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

/* Counts a finished run (of this process, or on rank 0 one another rank reported),
 * rewrites the index (rank 0) and prints its line. */
static void finish_run(sweep_loop *L, const sw_run_report *r)
{
    pthread_mutex_lock(&L->lock);
    if (r->end == SW_END_STOPPED) {
        atomic_fetch_add(&L->not_run, 1);
    } else {
        sw_progress_count(L->p, r);
        if (L->fail_fast && r->end != SW_END_DONE) atomic_store(&L->fail_stop, 1);
        if (L->rank == 0) index_after_run(L->index);
    }
    if (!L->quiet) sw_progress_print_finished(L->p, r);
    pthread_mutex_unlock(&L->lock);
}

/* A run's checkpoints (sw_train_hooks.on_checkpoint): where they go, for which config, and
 * the message of a failed write (the run's error then). */
typedef struct {
    const char *path;
    const sw_config *cfg;
    int saved_epoch; /* of the last checkpoint written, 0 for none */
    char err[512];
} checkpoint_ctx;

static int save_checkpoint(void *ctx, const sw_train_state *state)
{
    checkpoint_ctx *c = ctx;
    int rc = sw_checkpoint_write(c->path, state, c->cfg, c->err, sizeof c->err);
    if (rc == SW_OK) c->saved_epoch = sw_train_state_epoch(state);
    return rc;
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

/* Trains run i on the calling thread (slot `slot` of the progress), from its checkpoint
 * when it has one, writes its file (then removes the checkpoint) and fills *rep with how
 * it ended. */
static void run_one(sweep_loop *L, int slot, int i, sw_run_report *rep)
{
    const sw_sweep_spec *spec = L->spec;
    const sw_run_spec *run = &spec->runs[i];
    worker_ctx wc = {L, slot};
    char ckpt[PATH_MAX];
    checkpoint_ctx cc = {ckpt, &run->cfg, 0, ""};
    bool checkpoints = sw_outdir_checkpoint_path(L->dir, run->id, ckpt, sizeof ckpt) == SW_OK;
    sw_train_state *resume = checkpoints ? load_checkpoint(L, run, ckpt) : NULL;
    int resumed_at = resume ? sw_train_state_epoch(resume) : 0;
    if (resumed_at) sw_progress_on_epoch(&L->p->slots[slot], resumed_at, NULL);
    sw_train_hooks hooks = {.on_epoch = sw_progress_on_epoch,
                            .ctx = &L->p->slots[slot],
                            .stop = &g_stop,
                            .threads = run_threads,
                            .threads_ctx = &wc,
                            .threads_exact = L->per_run > 0,
                            .resume = resume,
                            .on_checkpoint = checkpoints ? save_checkpoint : NULL,
                            .checkpoint_ctx = &cc};
    if (run->cfg.task.kind == SW_TASK_FILE) {
        /* loaded (and checked) when the sweep was expanded; here only looked up */
        const sw_data_file *data = NULL;
        char why[1024];
        if (sw_data_open(run->cfg.task.path, &data, why, sizeof why) == SW_OK) {
            hooks.train_data = &data->train;
            hooks.test_data = &data->test;
        }
    }
    sw_run_result res;
    int trc = sw_train_run(&run->cfg, &hooks, &res);
    sw_train_state_free(resume);
    rep->run = i;
    rep->detail[0] = 0;
    if (cc.err[0]) snprintf(res.error, sizeof res.error, "saving a checkpoint: %s", cc.err);
    if (trc == SW_EINTERRUPTED) {
        rep->end = SW_END_STOPPED;
        if (cc.saved_epoch == res.history.epochs)
            snprintf(rep->detail, sizeof rep->detail, "interrupted after epoch %d; checkpoint saved, the run "
                     "resumes there", res.history.epochs);
        else
            snprintf(rep->detail, sizeof rep->detail, "interrupted after epoch %d; will be redone on resume",
                     res.history.epochs);
    } else {
        const char *swept[64];
        int n_sw = spec->n_swept < 64 ? spec->n_swept : 64;
        for (int j = 0; j < n_sw; j++) swept[j] = spec->swept_keys[j];
        sw_run_meta meta = {run->id, spec->name, swept, n_sw};
        char werr[512] = "";
        int wrc = sw_h5_write_run(L->dir, &meta, &run->cfg, &res, werr, sizeof werr);
        /* its file is complete: the checkpoint has served (a stopped run, at an early-stopping
         * rung, keeps it to continue from) */
        if (wrc == SW_OK && checkpoints && res.status != SW_RUN_STOPPED) unlink(ckpt);
        if (wrc) {
            rep->end = SW_END_FAILED;
            snprintf(rep->detail, sizeof rep->detail, "could not write its file: %s", werr);
        } else if (res.status == SW_RUN_DONE) {
            rep->end = SW_END_DONE;
        } else if (res.status == SW_RUN_DIVERGED) {
            rep->end = SW_END_DIVERGED;
            snprintf(rep->detail, sizeof rep->detail, "%s", res.error);
        } else {
            rep->end = SW_END_FAILED;
            snprintf(rep->detail, sizeof rep->detail, "%s", res.error[0] ? res.error : sw_strerror(trc));
        }
    }
    if (resumed_at && rep->end != SW_END_STOPPED) {
        size_t used = strlen(rep->detail);
        snprintf(rep->detail + used, sizeof rep->detail - used, "%sresumed at epoch %d", used ? "; " : "", resumed_at);
    }
    rep->best_epoch = res.best_epoch;
    rep->best_test_acc = res.best_test_acc;
    rep->best_test_loss = res.best_test_loss;
    rep->final_test_acc = res.final_test_acc;
    rep->wall_seconds = res.wall_seconds;
    sw_run_result_free(&res);
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
        int i = L->rank > 0 ? sw_mpi_request(&rep, atomic_load(&g_stop) != 0) : queue_take(L);
        if (i < 0) break;
        sw_progress_run_started(L->p, slot, i);
        run_one(L, slot, i, &rep);
        sw_progress_run_ended(L->p, slot);
        finish_run(L, &rep);
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
static int hook_take(void *L)
{
    return queue_take(L);
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
    /* mpirun turns Ctrl-C into SIGTERM to every rank (then SIGKILL a few seconds later),
     * and Slurm sends SIGTERM at a job's time limit: under MPI it stops the sweep the same
     * way, so that what can finish in time (the index, finished runs) does. */
    if (signals_install(&sig, opt->handle_sigint, opt->mpi) != 0)
        fprintf(stderr, "sweep: warning: cannot handle Ctrl-C (sigaction: %s); it will stop the sweep at once, "
                "and the runs in progress will be redone by the same command\n", strerror(errno));
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
    /* Rank 0 (or a lone process) heard of every run: the ones never handed out are pending. */
    out->not_run = atomic_load(&L->not_run) + (L->rank == 0 ? L->n_pending - atomic_load(&L->handed) : 0);
    out->interrupted = atomic_load(&g_stop) != 0;
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

/* The first index write (rank 0). Under MPI the index is rank 0's (the one the others
 * report to); when it cannot be written, every rank gives up together rather than wait
 * for a dispatcher. */
static int open_index(index_keeper *ix, int rank, int ranks, char *err, size_t errlen)
{
    int rc = rank == 0 ? index_first(ix, err, errlen) : SW_OK;
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
    order_item *order = calloc((size_t)(spec->n_runs ? spec->n_runs : 1), sizeof *order);
    if ((rc = index_init(&ix, spec, opt->dir)) || !order) {
        rc = SW_ENOMEM;
        goto done;
    }
    /* Under MPI every rank lists the same runs; none writes before all have (the index is
     * first written after sw_mpi_remote_threads, a barrier). Every rank reads the files
     * through; rank 0 alone moves damaged ones aside, and whether another rank finds such
     * a file damaged or already gone, the run is pending all the same. */
    sw_outdir_scan_options scan = {.move_aside = rank == 0, .report = stderr, .cache = rank == 0 ? ix.cache : NULL};
    int n_pending = list_pending(spec, opt, &scan, out, order, err, errlen);
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
    rc = sw_progress_init(&p, spec, workers, out->total, out->skipped, work, t0, !quiet && isatty(STDERR_FILENO));
    if (rc) goto done;
    if (!(working = calloc((size_t)workers, sizeof *working))) {
        rc = SW_ENOMEM;
        goto done;
    }
    int remote_threads = ranks > 1 ? sw_mpi_remote_threads(workers) : 0;
    if ((rc = open_index(&ix, rank, ranks, err, errlen))) goto done;
    if (!quiet) sw_progress_print_start(spec, opt, out, n_pending, threads, ranks, workers + remote_threads);

    sweep_loop L = {.spec = spec, .dir = opt->dir, .rank = rank, .quiet = quiet, .fail_fast = opt->fail_fast,
                    .p = &p, .index = &ix, .order = order, .n_pending = n_pending, .threads = threads,
                    .workers = workers, .per_run = per_run, .working = working};
    pthread_mutex_init(&L.lock, NULL);
    run_all(&L, opt, remote_threads, out);
    pthread_mutex_destroy(&L.lock);
    if (ranks > 1) out->interrupted = sw_mpi_any(out->interrupted);
    if (rank == 0) rc = index_last(&ix, err, errlen);
    out->seconds = sw_now() - t0;
    if (!quiet) sw_progress_print_end(spec, opt->dir, out);
done:
    sw_progress_free(&p);
    index_free(&ix);
    free(order);
    free(working);
    return rc;
}
