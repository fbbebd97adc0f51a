/* estimate.h: what one run of a config costs, estimated before it runs: the memory it needs
 * (the sweep refuses runs that would not fit, validate.h) and its floating-point operations
 * (runs are ordered longest first; the progress lines estimate the time left from them).
 * Sizes a config leaves to its task (0) are resolved first, as the run would resolve them. */
#ifndef SWEEP_ESTIMATE_H
#define SWEEP_ESTIMATE_H

#include "config.h"

/* What a process running runs takes besides them: the code and data of sweep and its
 * libraries (6.9-7.1 MiB resident for `sweep --version`; the smallest runs peak at 11-14 MiB), HDF5's buffers
 * while a run's file is written and read back (1-2 MiB), and what the allocator keeps free
 * for the next file (common.h's sw_malloc_tune). */
#define SW_PROCESS_BYTES (20.0 * 1024 * 1024)

/* Bytes of memory one run of this config needs in a process of its own, from start to its
 * file written: the run's (training, data, parameters, what it records) plus
 * SW_PROCESS_BYTES; an estimate that errs high, compared with measured peaks by
 * tests/bench_scaling.py. Used to refuse runs that would not fit and to choose how many run
 * at once (for those, the process's part is counted once per run: higher still). */
double sw_config_memory_bytes(const sw_config *cfg);

/* Relative cost of one run (floating-point operations of training and evaluation);
 * used to order runs longest-first and to estimate time remaining. */
double sw_config_cost_flops(const sw_config *cfg);

#endif
