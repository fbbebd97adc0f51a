/* outdir.h: a sweep's output directory, as the run loop sees it.
 *
 * outdir.c owns everything about DIR besides the run files themselves (h5io writes those):
 * creating it, its lock (DIR/.sweep.lock), its manifest (DIR/sweep-manifest.txt: which runs
 * the directory is for), which runs it already holds (resume), and rebuilding its index.
 * It implements sweep.h's sw_sweep_prepare and sw_sweep_rebuild_index. */
#ifndef SWEEP_OUTDIR_H
#define SWEEP_OUTDIR_H

#include <stddef.h>

#include "sweep.h"

/* Writes "DIR/<name><ext>" into out. Returns SW_OK, or SW_EINVAL when it does not fit. */
int sw_outdir_path(char *out, size_t outlen, const char *dir, const char *name, const char *ext);

/* The resume scan: which runs of `spec` this invocation has to run. Considers only the
 * runs of its shard (opt->shard_*); each is counted in out->total, and a run whose file
 * in opt->dir is complete with status done or diverged is kept (out->skipped and
 * out->done or out->diverged). The others (missing, incomplete, failed: failures can be
 * transient) are listed in pending[] (spec->n_runs entries, the caller's) as spec indices
 * in grid order. Returns their count, or SW_EINVAL with the message in err when a run's
 * path is too long. Reads only. */
int sw_outdir_scan(const sw_sweep_spec *spec, const sw_sweep_options *opt, sw_sweep_outcome *out, int *pending,
                   char *err, size_t errlen);

#endif
