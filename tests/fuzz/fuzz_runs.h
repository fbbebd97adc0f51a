/* fuzz_runs.h: what the run-file and index targets start from: synthetic run files written
 * by sweep's own writer (hdf5_synth.h's results, no engine), and the names a sweep file
 * holds, for the recipes' string dictionary. */
#ifndef SWEEP_FUZZ_RUNS_H
#define SWEEP_FUZZ_RUNS_H

#include "config.h"

#define FUZZ_N_RUNS 4

/* Writes synthetic run i (0 <= i < FUZZ_N_RUNS: done, diverged, failed before its arrays
 * existed, a regression task selected by its loss) as DIR/<id>.h5 with sw_h5_write_run,
 * *cfg getting its config. Returns the run id (static), or aborts on failure: a target
 * without its base files cannot run. */
const char *fuzz_write_run(const char *dir, int i, sw_config *cfg);

/* sweep's names and values: formats, statuses, metric names and modes, every config key
 * and enum choice, the base runs' ids. Static; *n gets the count. */
const char *const *fuzz_sweep_strings(int *n);

/* Calls sw_h5_init once (aborts when it fails). */
void fuzz_h5_init(void);

#endif
