/* options.h: how a sweep is asked to run (sw_sweep_options: directory, threads, shards,
 * MPI, stop signals) and what an invocation did (sw_sweep_outcome), shared by the run loop
 * (sweep.h), the output directory (outdir.h) and the progress lines (progress.h); which
 * runs a shard takes; the signals that stop a sweep. */
#ifndef SWEEP_OPTIONS_H
#define SWEEP_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "sweepspec.h"

/* The exit status of a sweep stopped by a stop signal: every run under way saved a
 * checkpoint where it stopped (or had nothing to save); the same command continues. 75 is
 * EX_TEMPFAIL of sysexits.h, "a temporary failure: retry later". */
#define SW_EXIT_INTERRUPTED 75
#define SW_EXIT_INTERRUPTED_TEXT "75"

/* The signals a sweep may be told to stop on (--stop-signals). */
#define SW_MAX_STOP_SIGNALS 8

/* "SIGTERM" for a signal of the table in options.c, "a signal" for another;
 * async-signal-safe (a constant string). */
const char *sw_signal_name(int sig);

/* Parses --stop-signals' LIST: names of the table (HUP, INT, TERM, USR1, USR2, XCPU, ALRM;
 * case-insensitive, with or without SIG), comma-separated, each at most once. Fills
 * out[0..max) and returns the count, or -1 with err saying what was wrong and what is
 * allowed. */
int sw_stop_signals_parse(const char *list, int *out, int max, char *err, size_t errlen);

typedef struct {
    const char *dir;  /* output directory */
    int threads;      /* >= 1: threads in all */
    /* Threads each run uses: 0 (auto) one per run while there are more runs than threads,
     * then the idle threads shared between the runs left; N >= 1: threads / N runs at a
     * time (at least one), each on N threads. */
    int threads_per_run;
    bool force;       /* accept a directory whose runs differ from the config's (beyond added
                         runs, which need no force): the files of removed and changed runs
                         are moved into DIR/dropped-N */
    FILE *report;     /* lines on what sw_sweep_prepare did to DIR: runs moved, runs added
                         (NULL: none) */
    bool quiet;       /* no progress output */
    bool fail_fast;   /* stop launching runs after the first failed or diverged one */
    /* Install the stop-signal handler for the duration of execute, for stop_signals[0..n)
     * (n_stop_signals 0: SIGINT, SIGTERM, SIGUSR1). */
    bool handle_signals;
    int stop_signals[SW_MAX_STOP_SIGNALS];
    int n_stop_signals;
    bool no_lock;     /* skip the DIR/.sweep.lock that keeps two processes out of one
                         directory (for cooperating processes, e.g. MPI ranks) */
    /* --shard K/N: this process runs only the runs at positions p with p % N == K of the
     * whole sweep (a tpe search: of each round) sorted longest-estimated first (ties in
     * grid order), so every shard gets
     * a similar share of the work and the split never depends on what is complete yet.
     * shard_count 0: no sharding. Shards of one sweep may run into one DIR at the same
     * time: prepare then takes a shared lock on DIR/.sweep.lock (a whole sweep takes it
     * exclusively) and leaves other processes' temporaries alone. */
    int shard_index, shard_count;
    /* A tpe search's round (rounds.h): execute prints no start and end lines of its own
     * (the caller prints them for the whole search). */
    bool in_rounds;
    /* Cooperate with the other ranks of MPI_COMM_WORLD (builds with SWEEP_HAVE_MPI only;
     * MPI initialised with at least MPI_THREAD_SERIALIZED). Rank 0 alone calls
     * sw_sweep_prepare; every rank calls sw_sweep_execute collectively. See sweep_mpi.h. */
    bool mpi;
    /* The live report (live.h): the command rank 0 starts to keep DIR/report.html current
     * while the sweep runs, NULL-terminated; NULL: none. */
    const char *const *report_argv;
    /* A live report kept by the caller across several sw_sweep_execute (a tpe search's
     * rounds; live.h's sw_live_report_start): used instead of report_argv and left running
     * when execute returns. NULL: execute starts and ends its own from report_argv. */
    struct sw_live_report *live_report;
} sw_sweep_options;

typedef struct {
    int total;        /* runs in the sweep */
    int skipped;      /* complete before this invocation */
    int done, diverged, failed; /* over all runs with a complete file (skipped ones included) */
    int stopped;      /* stopped early at a rung (stop:), skipped ones included */
    int not_run;      /* left pending (interrupted, --fail-fast, or behind a failed run's rung) */
    int waiting;      /* --shard with stop:: runs whose next rung waits for other shards' runs;
                         a tpe search: other shards' runs its next round waits for */
    bool interrupted; /* stopped by a stop signal (on any MPI rank) */
    double seconds;   /* wall time of execute */
} sw_sweep_outcome;

/* True when run `i` of `spec` belongs to shard k of n (see sw_sweep_options; a tpe
 * search splits each round so). */
bool sw_sweep_in_shard(const sw_sweep_spec *spec, int i, int k, int n);

#endif
