/* dryrun.h: what `sweep CONFIG --dry-run` prints instead of running. */
#ifndef SWEEP_DRYRUN_H
#define SWEEP_DRYRUN_H

#include <stdio.h>

#include "plan.h"

/* Prints the --dry-run listing (every run: id, swept values, estimated cost; totals). */
void sw_sweep_print_plan(const sw_sweep_spec *spec, int threads, const char *dir, FILE *f);

#endif
