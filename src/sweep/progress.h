/* progress.h: what a sweep tells the user on stderr while it runs: the start line, one
 * line per finished run, on a terminal a live line (counts, elapsed time, ETA and the epoch
 * of every running run) redrawn four times a second by a ticker thread, and the end lines.
 *
 * Threads: worker threads write the slots and counters (atomics); every write to stderr
 * takes out_lock, so lines never interleave. The ETA is the estimated work left (flops of
 * the runs pending at the start, minus finished runs and the completed epochs of running
 * ones) at the rate seen so far. */
#ifndef SWEEP_PROGRESS_H
#define SWEEP_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "train.h"

/* How a run ended. STOPPED: interrupted by Ctrl-C, no run file written; the next invocation
 * resumes it from the checkpoint it saved (or redoes it when it has none). RUNG: it reached
 * its rung (early stopping) and waits for the rung's decision; its file says stopped until
 * it goes on. */
typedef enum { SW_END_DONE, SW_END_DIVERGED, SW_END_FAILED, SW_END_STOPPED, SW_END_RUNG, SW_END_COUNT } sw_run_end;

/* A finished run, as far as counting, indexing and printing it go. Plain data without
 * pointers: ranks > 0 send it to rank 0 as bytes (sweep_mpi.c). */
typedef struct {
    int end;    /* sw_run_end; -1: no run */
    int run;    /* index into spec->runs */
    int best_epoch;
    double best_test_acc, final_test_acc, wall_seconds;
    double best_test_loss;  /* for a regression, which has no accuracy */
    int until;        /* early stopping: the epoch the job trained to (0: the whole run) */
    int from;         /* the epochs the run had completed when the job started (0: none) */
    char detail[600]; /* why it failed, diverged or stopped ("" for none) */
} sw_run_report;

/* What one worker thread is training; the train hook's context (sw_progress_on_epoch). */
typedef struct {
    atomic_int run;   /* index into spec->runs, -1 when idle */
    atomic_int epoch; /* epochs completed by that run */
    atomic_int from;  /* ... when its job started: the job's own are epoch - from */
} sw_progress_slot;

typedef struct {
    const sw_sweep_spec *spec;
    sw_progress_slot *slots; /* one per worker thread of this process */
    int n_slots;
    int total, finished_before; /* runs of this invocation; complete before it */
    atomic_int done, diverged, failed, stopped, running, finished;
    double t0;            /* sw_now() at the start of execute */
    double work_total;    /* flops of the runs pending at the start */
    double work_finished; /* flops of the epochs jobs of this invocation trained (under out_lock) */
    bool tty;             /* draw the live line */
    pthread_mutex_t out_lock; /* every stderr write of the run loop */
    atomic_int ticker_stop;
    bool ticking;
    pthread_t ticker;
    int line_shown;       /* a live line is on screen (under out_lock) */
} sw_progress;

/* Sets up *p with n_slots idle slots. tty: draw the live line (the caller decides: stderr
 * is a terminal and output is wanted). Returns SW_OK or SW_ENOMEM (nothing to free). */
int sw_progress_init(sw_progress *p, const sw_sweep_spec *spec, int n_slots, int total, int finished_before,
                     double work_total, double t0, bool tty);

/* The job in `slot` resumed a run that had completed `epoch` epochs (its work counts from
 * there). */
void sw_progress_run_resumed(sw_progress *p, int slot, int epoch);

/* A job of run `run` that trained from epoch `from` to `to` (of its train.epochs) is done:
 * its share of the run's cost is work done. */
void sw_progress_add_work(sw_progress *p, int run, int from, int to);

/* Releases what init took (the ticker must be stopped). NULL-tolerant. */
void sw_progress_free(sw_progress *p);

/* The estimated seconds left (the live line's ETA): the work left at the rate seen so far;
 * -1 while unknown (the first second). Any thread. */
double sw_progress_eta(sw_progress *p);

/* Starts the ticker thread when p->tty (quietly none when it cannot start). */
void sw_progress_start_ticker(sw_progress *p);

/* Stops the ticker if it runs and clears the live line. */
void sw_progress_stop_ticker(sw_progress *p);

/* sw_train_hooks.on_epoch, with the slot of the thread as context. */
void sw_progress_on_epoch(void *slot, int epoch, const sw_history *h);

/* Slot `slot` starts run `run` / becomes idle. */
void sw_progress_run_started(sw_progress *p, int slot, int run);
void sw_progress_run_ended(sw_progress *p, int slot);

/* Counts a run that ended done, diverged or failed (not a stopped one). */
void sw_progress_count(sw_progress *p, const sw_run_report *r);

/* Counts run `run` stopped early at a rung, and prints its line: `detail` says where. */
void sw_progress_stopped(sw_progress *p, int run, const char *detail, bool quiet);

/* A line of its own (a rung's decision), above the live line. */
void sw_progress_note(sw_progress *p, const char *line);

/* The line of a finished run (on a terminal above the live line, which is redrawn). */
void sw_progress_print_finished(sw_progress *p, const sw_run_report *r);

/* "sweep NAME: N runs ... on T threads into DIR": what this invocation is about to do. */
void sw_progress_print_start(const sw_sweep_spec *spec, const sw_sweep_options *opt, const sw_sweep_outcome *out,
                             int n_pending, int threads, int ranks, int all_threads);

/* The closing lines: counts and time, or how to resume after Ctrl-C or --fail-fast. */
void sw_progress_print_end(const sw_sweep_spec *spec, const char *dir, const sw_sweep_outcome *out);

/* A metric's value as the summary table prints it: an accuracy (a name with "_acc") in
 * percent with two decimals ("93.70%"), a loss with four significant digits; "NaN". */
void sw_format_metric(const char *metric, double v, char *out, size_t outlen);

/* Seconds as "42s", "3m07s" or "2h05m"; "--" when unknown or absurd. */
void sw_format_duration(double s, char *out, size_t outlen);

#endif
