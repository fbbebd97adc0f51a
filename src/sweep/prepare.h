/* prepare.h: an output directory made ready for a sweep before its runs start. */
#ifndef SWEEP_PREPARE_H
#define SWEEP_PREPARE_H

#include <stddef.h>

#include "options.h"
#include "plan.h"

/* Checks and creates opt->dir, takes its lock (held until the process exits: a second
 * sweep on the same directory is refused; shards share it), compares its manifest, removes stale
 * temporaries and writes the manifest. Runs added to the sweep need no force; changed or
 * removed runs (naming which keys of which run changed), changed stop settings, and runs
 * added to an early-stopping sweep need opt->force, which moves the files of removed and
 * changed runs into a new DIR/dropped-N (never deleting one), out of every reader's view.
 * On error (directory cannot be created, a different sweep is there and
 * !force, ...) returns a negative code with the message in err, and leaves no file or
 * directory it created behind. */
int sw_sweep_prepare(const sw_sweep_spec *spec, const sw_sweep_options *opt, char *err, size_t errlen);

#endif
