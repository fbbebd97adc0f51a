/* runwrite.h: writing a run's file: its result (record.h's table), config and identity.
 *
 * The layout is a public contract, documented path by path in docs/hdf5-layout.md. The
 * file is built in memory and written under a temporary name in the same directory,
 * fsync'ed and renamed (h5write.h), so a file under its final name is always complete and
 * a failed write (a full disk) leaves nothing behind. Every array carries a Fletcher-32
 * checksum, so that reading the file through (runfile.h) finds damaged bytes. */
#ifndef SWEEP_RUNWRITE_H
#define SWEEP_RUNWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "train.h"

/* A pbt member's life (the sweep's pbtrun.h): the values of the keys its search changes, per
 * epoch (/history/<key>) and per generation with whose state it continued from (/lineage). */
typedef struct {
    int n_keys;
    const char *const *keys;      /* dotted keys, e.g. "train.lr" */
    int epochs;                   /* the epochs of values */
    const double *values;         /* (epochs, n_keys): the values epoch e + 1 trained with */
    int generations;              /* the generations it has begun */
    const int32_t *first_epoch;   /* (generations) the first epoch of each: the barrier before + 1 */
    const char *const *donor;     /* (generations) the run id whose state it continued from ("": its own) */
    const double *metric;         /* (generations) its metric at the barrier before (NaN for 0) */
    const double *donor_metric;   /* (generations) its donor's there (NaN without one) */
    const int32_t *rank;          /* (generations) its rank there (0 best; -1 for 0) */
    const double *gen_values;     /* (generations, n_keys) the values it trained with */
} sw_run_lineage;

/* What a run file records besides the result. */
typedef struct {
    const char *run_id;       /* also the file name: DIR/<run_id>.h5 */
    const char *sweep_name;
    const char *const *swept_keys; /* dotted keys varied by the sweep (stored in the file,
                                      so an index can be rebuilt from run files alone) */
    int n_swept;
    const sw_run_lineage *lineage; /* a pbt member's; NULL for other runs */
} sw_run_meta;

/* Writes DIR/<run_id>.h5 atomically from a finished (done, diverged, failed or stopped) run.
 * Returns SW_OK or a negative code with a message in err; on error nothing is left
 * under the final name (and the temporary is removed). Thread-safe. */
int sw_h5_write_run(const char *dir, const sw_run_meta *meta, const sw_config *cfg,
                    const sw_run_result *result, char *err, size_t errlen);

/* True when `id` can name a run file: non-empty, at most 200 bytes, not starting with '.',
 * without '/' or control characters, and not "sweep" (the index, runfile.h). */
bool sw_run_id_valid(const char *id);

#endif
