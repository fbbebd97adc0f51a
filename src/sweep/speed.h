/* speed.h: how fast this machine trains sweep's runs, for --dry-run's time estimate.
 *
 * The estimate divides each run's floating-point operations (estimate.h) by a rate of one
 * thread. That rate is taken, in this order of preference, from
 *   - the complete runs of this sweep already in the output directory (their configs'
 *     operations over their files' wall_seconds): what this machine did for these runs;
 *   - a probe: a few training steps of the sweep's costliest run (cut to one epoch of a few
 *     batches, nothing recorded; a file or text task is replaced by a synthetic task of the
 *     same length), timed on one thread: the difference between a longer and a shorter
 *     probe, so that setting up does not count;
 *   - SW_SPEED_ASSUMED_FLOPS, when neither can be had (the probe's config is refused). */
#ifndef SWEEP_SPEED_H
#define SWEEP_SPEED_H

#include "plan.h"

/* The rate assumed when nothing was measured. */
#define SW_SPEED_ASSUMED_FLOPS 40e9

typedef enum { SW_SPEED_EARLIER_RUNS, SW_SPEED_PROBE, SW_SPEED_ASSUMED, SW_SPEED_SOURCE_COUNT } sw_speed_source;

typedef struct {
    double flops_per_second; /* one thread */
    sw_speed_source source;
    int runs;                /* EARLIER_RUNS: the runs it came from */
    int probe_run;           /* PROBE: index into spec->runs of the run probed */
    double probe_seconds;    /* PROBE: wall time the probe took, setting up included */
} sw_speed;

/* Measures the rate for spec's runs, dir being the sweep's output directory (it may not
 * exist). Trains for a fraction of a second when no earlier run is found. Never fails:
 * falls back to SW_SPEED_ASSUMED. */
void sw_speed_measure(const sw_sweep_spec *spec, const char *dir, sw_speed *out);

/* One line for --dry-run: "measured: 12 earlier runs in DIR", "measured: 0.4 s probe of
 * run 3 (one thread)", "assumed". */
void sw_speed_describe(const sw_speed *s, const sw_sweep_spec *spec, const char *dir, char *out, size_t outlen);

#endif
