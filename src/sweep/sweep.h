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
 * Where it lives: sweep.c the run loop and Ctrl-C; dryrun.h the --dry-run plan; options.h what a
 * sweep is asked to do and what it did; outdir.h the output directory (sw_sweep_prepare,
 * lock, manifest, resume, sw_sweep_rebuild_index); progress.h the lines on stderr;
 * sweep_mpi.h (sweep_nompi.c without MPI) the ranks of an MPI job. */
#ifndef SWEEP_SWEEP_H
#define SWEEP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "sweepspec.h"

/* Runs what is not complete yet (runs whose file says `failed` are retried: failures
 * can be transient; done and diverged runs are kept; a file that does not read through
 * is moved aside to NAME.h5.damaged, with a line on stderr, and its run redone); fills *out. Returns SW_OK when the loop ran to its end
 * or was interrupted (see out), or a negative code for an error of the sweep itself (the
 * index could not be written, ...) with the message in err. Individual run failures are
 * not errors here: they are counted in out. */
int sw_sweep_execute(const sw_sweep_spec *spec, const sw_sweep_options *opt, sw_sweep_outcome *out, char *err,
                     size_t errlen);

/* Threads for -j when not given: omp_get_max_threads() (OMP_NUM_THREADS, else all cores). */
int sw_sweep_default_threads(void);

#endif
