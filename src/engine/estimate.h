/* estimate.h: what one run of a config costs, estimated before it runs: the memory it needs
 * (the sweep refuses runs that would not fit, validate.h) and its floating-point operations
 * (runs are ordered longest first; the progress lines estimate the time left from them).
 * Sizes a config leaves to its task (0) are resolved first, as the run would resolve them. */
#ifndef SWEEP_ESTIMATE_H
#define SWEEP_ESTIMATE_H

#include "config.h"

/* Bytes of memory one run of this config needs while training (an estimate that errs
 * high); used to refuse runs that would not fit. */
double sw_config_memory_bytes(const sw_config *cfg);

/* Relative cost of one run (floating-point operations of training and evaluation);
 * used to order runs longest-first and to estimate time remaining. */
double sw_config_cost_flops(const sw_config *cfg);

#endif
