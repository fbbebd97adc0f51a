/* sweep.h: running the runs of a sweep into an output directory.
 *
 * sw_sweep_prepare() checks and creates the output directory (nothing is written when it
 * fails), compares the runs with the directory's manifest (refusing a changed sweep
 * unless forced), and removes temporaries of an interrupted earlier invocation.
 * sw_sweep_execute() then runs every run that has no complete file, longest-estimated
 * first, one worker thread per run at a time; when fewer runs remain than threads, the
 * runs left share the idle threads (a run's passes split its batch, model.h: results do
 * not change). Each finished run is written by h5io and the index DIR/sweep.h5 is
 * rewritten.
 *
 * Checkpoints: a run saves its state to DIR/<run id>.ckpt at the epochs train.h's rule
 * picks (record.checkpoint_every), and a later invocation resumes it from there with a
 * bit-identical result (the checkpoint is removed once the run's file is written).
 *
 * Ctrl-C: the first SIGINT stops launching runs and asks in-flight runs to stop at their
 * next epoch boundary, where they save a checkpoint; sw_sweep_execute then returns with
 * `interrupted` set. A second SIGINT exits the process at once with status 130; files
 * under their final names are complete whatever moment the process dies, since h5io
 * writes temporaries and renames them.
 *
 * Beyond one process: shards (sw_sweep_options.shard_*) split the runs statically between
 * independent processes sharing DIR; MPI ranks (sw_sweep_options.mpi) share them
 * dynamically, rank 0 handing out runs longest first (protocol in sweep_mpi.h).
 * Either way each run's file is what `-j 1` in one process would write.
 *
 * Where it lives: sweep.c the run loop, Ctrl-C and the --dry-run plan; outdir.c the output
 * directory (prepare, lock, manifest, resume, rebuild_index); progress.c the lines on
 * stderr; sweep_mpi.c (sweep_nompi.c without MPI) the ranks of an MPI job. */
#ifndef SWEEP_SWEEP_H
#define SWEEP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sweepspec.h"

/* The file in DIR listing the sweep's runs (id and config hash), to detect a changed sweep. */
#define SW_MANIFEST_NAME "sweep-manifest.txt"

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
    bool handle_sigint; /* install the Ctrl-C handler for the duration of execute */
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
} sw_sweep_options;

typedef struct {
    int total;        /* runs in the sweep */
    int skipped;      /* complete before this invocation */
    int done, diverged, failed; /* over all runs with a complete file (skipped ones included) */
    int stopped;      /* stopped early at a rung (stop:), skipped ones included */
    int not_run;      /* left pending (interrupted, --fail-fast, or behind a failed run's rung) */
    int waiting;      /* --shard with stop:: runs whose next rung waits for other shards' runs */
    bool interrupted; /* stopped by SIGINT */
    double seconds;   /* wall time of execute */
} sw_sweep_outcome;

/* Checks and creates opt->dir, takes its lock (held until the process exits: a second
 * sweep on the same directory is refused; shards share it), compares its manifest, removes stale
 * temporaries and writes the manifest. Runs added to the sweep need no force; changed or
 * removed runs (naming which keys of which run changed), changed stop settings, and runs
 * added to an early-stopping sweep need opt->force, which moves the files of removed and
 * changed runs into a new DIR/dropped-N (never deleting one), out of every reader's view.
 * On error (directory cannot be created, a different sweep is there and
 * !force, ...) returns a negative code with the message in err, and leaves no file or
 * directory it created behind. */
int sw_sweep_prepare(const sw_sweep_spec *spec, const sw_sweep_options *opt, char *err, size_t errlen);

/* Runs what is not complete yet (runs whose file says `failed` are retried: failures
 * can be transient; done and diverged runs are kept; a file that does not read through
 * is moved aside to NAME.h5.damaged, with a line on stderr, and its run redone); fills *out. Returns SW_OK when the loop ran to its end
 * or was interrupted (see out), or a negative code for an error of the sweep itself (the
 * index could not be written, ...) with the message in err. Individual run failures are
 * not errors here: they are counted in out. */
int sw_sweep_execute(const sw_sweep_spec *spec, const sw_sweep_options *opt, sw_sweep_outcome *out, char *err,
                     size_t errlen);

/* Rebuilds DIR/sweep.h5 from the run files present: in the manifest's grid order when
 * DIR holds one (rows of runs without a file are "pending"), with the config text of the
 * existing index when it is readable; otherwise every run file present, by name. Every
 * file is read through once (sw_h5_verify_run); each that does not verify (damaged,
 * truncated, empty, foreign) is named with the reason on `diag` (may be NULL) and its row
 * says "unreadable". Writes a one-line account to `report` (may be NULL). Returns SW_OK or
 * a negative code with the message in err. */
int sw_sweep_rebuild_index(const char *dir, FILE *report, FILE *diag, char *err, size_t errlen);

/* True when run `i` of `spec` belongs to shard k of n (see sw_sweep_options; a tpe
 * search splits each round so). */
bool sw_sweep_in_shard(const sw_sweep_spec *spec, int i, int k, int n);

/* Prints the --dry-run listing (every run: id, swept values, estimated cost; totals). */
void sw_sweep_print_plan(const sw_sweep_spec *spec, int threads, const char *dir, FILE *f);

/* Threads for -j when not given: omp_get_max_threads() (OMP_NUM_THREADS, else all cores). */
int sw_sweep_default_threads(void);

#endif
