/* expand.h: the product of a sweep file's axes, in grid order (the first axis slowest),
 * less what exclude: drops, made into runs: each run's config resolved (its task's sizes,
 * a data file read once) and validated, its id, config hash and cost; then the checks
 * across runs (unique ids, the stop settings). A validation error points at the value in
 * the file that the run took for the key at fault, or at a key the rule involves. Internal
 * to the plan's files. */
#ifndef SWEEP_EXPAND_H
#define SWEEP_EXPAND_H

#include "loader.h"
#include "plan.h"

/* Expands L's axes into s's runs (and s's swept keys and stop settings). */
int sw_expand(loader *L, sw_sweep_spec *s);

#endif
