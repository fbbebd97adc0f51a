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

#include "config.h"
#include "train.h"

/* What a run file records besides the result. */
typedef struct {
    const char *run_id;       /* also the file name: DIR/<run_id>.h5 */
    const char *sweep_name;
    const char *const *swept_keys; /* dotted keys varied by the sweep (stored in the file,
                                      so an index can be rebuilt from run files alone) */
    int n_swept;
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
