/* outdir.h: a sweep's output directory, as the run loop sees it.
 *
 * outdir.c owns everything about DIR besides the run files themselves (h5io writes those):
 * creating it, its lock (DIR/.sweep.lock), its manifest (DIR/sweep-manifest.txt: which runs
 * the directory is for), which runs it already holds (resume), and rebuilding its index.
 * prepare.h makes it ready for a sweep; manifest.h reads and writes its manifest;
 * rebuild.h rebuilds its index. */
#ifndef SWEEP_OUTDIR_H
#define SWEEP_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "index.h"
#include "runfile.h"
#include "manifest.h"
#include "options.h"
#include "stopping.h"

/* The lock files in DIR (hidden, so that no reader takes them for data). */
#define SW_LOCK_NAME ".sweep.lock"
#define SW_INDEX_LOCK_NAME ".sweep.index.lock"

/* DIR/NAME opened (created if need be) for an flock, its path into lock (PATH_MAX bytes).
 * Returns the descriptor, or SW_EIO with the message in err. */
int sw_outdir_open_lock(const char *dir, const char *name, char *lock, char *err, size_t errlen);

/* Writes "DIR/<name><ext>" into out. Returns SW_OK, or SW_EINVAL when it does not fit. */
int sw_outdir_path(char *out, size_t outlen, const char *dir, const char *name, const char *ext);

/* A run's checkpoint (checkpoint.h): "DIR/<run_id>.ckpt" into out. Not ".h5", so that
 * nothing taking DIR's *.h5 for run files (sw_h5_list_runs, analysis) sees it; not hidden,
 * so that the removal of temporaries leaves it alone. It lives until the run's file is
 * written; sw_sweep_prepare removes those of runs that are no longer the sweep's (or whose
 * config changed, on --force). Returns SW_OK, or SW_EINVAL when it does not fit. */
#define SW_CHECKPOINT_EXT ".ckpt"
int sw_outdir_checkpoint_path(const char *dir, const char *run_id, char *out, size_t outlen);

/* Writers of DIR/sweep.h5 take turns. Each write reads the run files present and then
 * replaces the index; shards of one sweep write it concurrently, and were two of those
 * writes to interleave, the index renamed in last could predate the other shard's last
 * run file (it then listed that run as pending). Under this lock, the index written last
 * has read every run file completed before it began. Blocks until the lock is free (a
 * write takes milliseconds; a killed holder's lock is released by the kernel). Returns a
 * descriptor >= 0 for sw_outdir_index_unlock, or SW_EIO with the message in err. */
int sw_outdir_index_lock(const char *dir, char *err, size_t errlen);

/* Releases a lock from sw_outdir_index_lock; a negative descriptor is ignored. */
void sw_outdir_index_unlock(int fd);

/* Moves the file at PATH to "PATH.damaged" (or ".damaged.1", ".damaged.2", ... when that
 * name is taken: nothing is overwritten), the name into `moved`. Returns SW_OK, or
 * SW_EINVAL (name too long) or SW_EIO (errno says why). */
int sw_outdir_move_aside(const char *path, char *moved, size_t movedlen);

/* What the resume scan does besides deciding. */
typedef struct {
    bool move_aside;          /* move files that do not verify aside (sw_outdir_move_aside):
                                 one process per directory (MPI: rank 0; shards: each its own runs) */
    FILE *report;             /* a line per file moved aside (may be NULL) */
    sw_index_cache *cache;    /* gets the summary of every complete file (may be NULL) */
    /* Early stopping: every run's file is read (not only the shard's), with its history,
     * and handed to on_file (ctx, spec index, the file as read) when it is complete. */
    bool all_runs;
    void (*on_file)(void *ctx, int run, const sw_run_file *file);
    void *ctx;
} sw_outdir_scan_options;

/* The resume scan: which runs of `spec` this invocation has to run. Considers only the
 * runs of its shard (opt->shard_*); each is counted in out->total, and a run whose file
 * in opt->dir is complete (it reads through: sw_h5_verify_run) with status done or
 * diverged is kept (out->skipped and out->done or out->diverged). The others (missing,
 * damaged, failed: failures can be transient; stopped, which only early stopping's
 * decisions can keep) are listed in pending[] (spec->n_runs
 * entries, the caller's) as spec indices in grid order; with scan->move_aside a damaged
 * file is first moved aside and reported, and a kept run's checkpoint, if one was left,
 * removed. Returns their count, or a negative code with
 * the message in err (a run's path too long, a damaged file that cannot be moved aside,
 * out of memory). */
int sw_outdir_scan(const sw_sweep_spec *spec, const sw_sweep_options *opt, const sw_outdir_scan_options *scan,
                   sw_sweep_outcome *out, int *pending, char *err, size_t errlen);

/* What a run file tells early stopping (stopping.h): its epochs and whether it is done or
 * diverged, and `metric`'s values (a /history column) copied into *values (malloc'ed, the
 * caller's; NULL when none). A failed file, or none (f NULL), counts as no epoch. Returns
 * SW_OK or SW_ENOMEM. */
int sw_outdir_stop_state(const sw_run_file *f, const char *metric, sw_stop_run_state *st, double **values);

/* For a directory argument that is not a directory (`sweep summarize DIR`, `sweep index
 * DIR`): "; ..." into out saying what was probably meant, else "". A sweep file (NAME.yaml,
 * there or not) points to its output directory runs/<name> (the name inside the file when
 * it reads); a missing DIR to the nearest name beside it (within two edits) or to
 * runs/DIR. Reads only. */
void sw_outdir_hint(const char *dir, char *out, size_t outlen);

#endif
