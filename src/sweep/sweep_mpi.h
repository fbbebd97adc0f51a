/* sweep_mpi.h: everything sweep does with MPI, behind one seam. sweep_mpi.c implements it
 * (compiled when CMake finds an MPI library); sweep_nompi.c stands in otherwise: one
 * process is rank 0 of 1 and has nothing to exchange. Callers ask MPI for nothing before
 * main has initialised it (sw_sweep_options.mpi, main.c's g_mpi).
 *
 * How ranks share a sweep (MPI_COMM_WORLD): every rank lists the pending runs the same way
 * (the same files, the same order). Rank 0 holds the queue, longest first: its own worker
 * threads take from it directly, and a dispatcher thread answers the worker threads of the
 * other ranks. Each of those sends a request carrying the report of its previous run and
 * receives its next job: a run index and the epoch to train it to (0: to the end; early
 * stopping's rungs otherwise), or -1: stop, or SW_MPI_WAIT: nothing yet (a rung barrier
 * waits for runs still training), ask again. Rank 0 counts, prints and indexes a
 * reported run like one of its own, and the dispatcher ends once it has told every remote
 * worker thread to stop. Run files are written by whichever rank trains the run. */
#ifndef SWEEP_SWEEP_MPI_H
#define SWEEP_SWEEP_MPI_H

#include <stdbool.h>
#include <stddef.h>

#include "progress.h"

/* This process's rank and the number of ranks: 0 and 1 unless `use`, then those of
 * MPI_COMM_WORLD. Returns SW_OK, or SW_EINVAL with the message in err when `use` is asked
 * of a build without MPI. */
int sw_mpi_world(bool use, int *rank, int *ranks, char *err, size_t errlen);

/* Collective. Returns rank 0's `value` on every rank. */
int sw_mpi_share(int value);

/* Collective. Rank 0's v[0..n) into v on every rank. */
void sw_mpi_share_doubles(double *v, int n);

/* Collective. True on every rank when `mine` is true on any. */
bool sw_mpi_any(bool mine);

/* Collective, and a barrier: no rank returns before every rank has called it (so none
 * writes before all have listed what is pending). Returns, on rank 0, the worker threads
 * of the other ranks added up; 0 on the others. */
int sw_mpi_remote_threads(int threads);

/* A job's answer when none can start yet but the sweep goes on. */
#define SW_MPI_WAIT (-2)

/* What rank 0's dispatcher needs from the run loop. Called from the dispatcher thread. */
typedef struct {
    void *ctx;
    /* the next run to hand out and the epoch to train it to (*until), -1 when none is left
     * or the sweep stops, SW_MPI_WAIT when none can start yet; never blocks */
    int (*take)(void *ctx, int *until);
    void (*finish)(void *ctx, const sw_run_report *r); /* count, index and print a remote run */
    void (*interrupt)(void *ctx); /* a rank got Ctrl-C (or SIGTERM): stop handing out runs */
    int n_runs;               /* reports of runs outside 0..n_runs-1 are dropped */
} sw_mpi_loop;

typedef struct sw_mpi_dispatcher sw_mpi_dispatcher;

/* Rank 0: starts the dispatcher for `remote_threads` (> 0) worker threads of the other
 * ranks; *loop must outlive it. When the thread cannot start the other ranks would wait
 * forever: the job is aborted. */
sw_mpi_dispatcher *sw_mpi_dispatch_start(const sw_mpi_loop *loop, int remote_threads);

/* Waits until the dispatcher has told every remote worker thread to stop, and frees it.
 * NULL-tolerant. */
void sw_mpi_dispatch_join(sw_mpi_dispatcher *d);

/* A worker thread of a rank > 0: sends rank 0 the report of its previous run (prev->end
 * -1: none) and whether this rank was interrupted; returns the next run to start with the
 * epoch to train it to in *until, SW_MPI_WAIT (ask again shortly, reporting nothing), or
 * -1 when there is none (the thread then has nothing left to report). */
int sw_mpi_request(const sw_run_report *prev, bool interrupted, int *until);

#endif
