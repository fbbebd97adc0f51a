/* loader.h: the state of reading one sweep file (sweepspec.c) and expanding it into runs
 * (expand.c): the tree, what base: and --set assign, the axes, the exclusions, the search
 * and the stop settings. Internal to the plan's files. */
#ifndef SWEEP_LOADER_H
#define SWEEP_LOADER_H

#include "config.h"
#include "gridspec.h"
#include "keys.h"
#include "searchspec.h"
#include "stopspec.h"
#include "yamltree.h"

typedef struct {
    const char *path;
    errbuf e;
    node *root;
    node **set_roots; /* parsed --set values (and key nodes), freed at the end */
    int n_set_roots;
    assigns base, overrides;
    axes ax;
    exclusion *excl;
    int n_excl;
    const node *name_node, *grid_node;
    sw_config base_cfg;
    const sw_key_info **swept; /* the keys of sw_sweep_spec.swept_keys */
    search_spec search;        /* search: and space: */
    stop_spec stop;            /* stop: */
} loader;

#endif
