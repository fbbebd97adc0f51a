/* h5io.h: the HDF5 files a sweep writes: one file per run, and the sweep index.
 *
 * The layout is a public contract, documented path by path in docs/hdf5-layout.md.
 * Every file is written under a temporary name in the same directory, closed, fsync'ed
 * and renamed, so a file under its final name is always complete.
 *
 * Thread safety: the HDF5 library must be the thread-safe build (checked by sw_h5_init);
 * the high-level H5LT/H5DS calls are serialised by a lock inside this module. Call
 * sw_h5_init() once from the main thread before anything else here. */
#ifndef SWEEP_H5IO_H
#define SWEEP_H5IO_H

#include <stddef.h>

#include "config.h"
#include "train.h"

/* Checks H5is_library_threadsafe() and turns HDF5's own error printing off.
 * Returns SW_OK, or SW_EHDF5 with a message in err when the library is not thread-safe. */
int sw_h5_init(char *err, size_t errlen);

/* What a run file records besides the result. */
typedef struct {
    const char *run_id;       /* also the file name: DIR/<run_id>.h5 */
    const char *sweep_name;
    const char *const *swept_keys; /* dotted keys varied by the sweep (stored in the file,
                                      so an index can be rebuilt from run files alone) */
    int n_swept;
} sw_run_meta;

/* Writes DIR/<run_id>.h5 atomically from a finished (done, diverged or failed) run.
 * Returns SW_OK or a negative code with a message in err; on error nothing is left
 * under the final name (and the temporary is removed). Thread-safe. */
int sw_h5_write_run(const char *dir, const sw_run_meta *meta, const sw_config *cfg,
                    const sw_run_result *result, char *err, size_t errlen);

/* 1 when PATH is a complete run file (opens, format "sweep-run", has a status),
 * 0 otherwise (missing, temporary, truncated, foreign). */
int sw_h5_run_is_complete(const char *path);

/* Removes temporaries left in DIR by an interrupted or killed writer. Returns the
 * number removed, or a negative code. */
int sw_h5_remove_temporaries(const char *dir);

/* What the sweep index is made of. Rows come from the run files present in dir. */
typedef struct {
    const char *sweep_name;
    const char *config_text;       /* the config file's text (NULL when unknown) */
    const char *const *run_ids;    /* the runs in grid order; NULL: every run file in dir */
    int n_runs;
    const char *const *swept_keys; /* table columns; NULL: taken from the run files */
    int n_swept;
} sw_index_spec;

/* (Re)writes DIR/sweep.h5 atomically: /runs/<id> external links, /table columns, root
 * attributes. Runs in the list without a complete file appear with status "pending".
 * Thread-safe; call it from one thread at a time. */
int sw_h5_write_index(const char *dir, const sw_index_spec *spec, char *err, size_t errlen);

#endif
