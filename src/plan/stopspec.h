/* stopspec.h: the stop: section of a sweep file (stopping.h's keys: kind, metric, eta,
 * min_epochs), as the file and --set stop.KEY=VALUE write it, checked against the runs it
 * expands into. Internal to the plan's files. */
#ifndef SWEEP_STOPSPEC_H
#define SWEEP_STOPSPEC_H

#include "plan.h"
#include "stopping.h"
#include "yamltree.h"

/* The stop: settings and where each was written. */
typedef struct {
    sw_stop_config config;
    const node *node;   /* stop: (or the --set that wrote it last) */
    const node *at[8];  /* where each sw_stop_keys row was written; NULL: default */
} stop_spec;

/* One entry of stop: (or a --set stop.KEY=VALUE): name is the key without "stop.". */
int sw_stopspec_entry(stop_spec *T, errbuf *e, const node *keynode, const char *name, const node *v);

/* The stop: mapping. */
int sw_stopspec_entries(stop_spec *T, errbuf *e, const node *v);

/* After the runs are built: the settings fit every run of s (one train.epochs, above
 * min_epochs; a metric every run records, the same one for all). Fills s->stop*. */
int sw_stopspec_check(stop_spec *T, errbuf *e, sw_sweep_spec *s);

#endif
