/* searchspec.h: a sampled search, from the search: section (kind random, sobol or tpe, samples,
 * seed; sample.h's keys) and the space: section (key -> distribution): its points, drawn as
 * a function of the search's settings alone, become the first (slowest) axis of the
 * product. --set can change the search (search.KEY=VALUE) and take keys out of the space.
 * Internal to the plan's files. */
#ifndef SWEEP_SEARCHSPEC_H
#define SWEEP_SEARCHSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "gridspec.h"
#include "keys.h"
#include "plan.h"
#include "sample.h"
#include "yamltree.h"

/* One key of space: and the distribution it is drawn from. */
typedef struct space_entry {
    const node *keynode; /* the key as written */
    const node *where;   /* the distribution mapping: sampled values point here */
    const node *args;    /* its [low, high] or its choice list */
    sw_dist_kind dist;
    const sw_key_info *key; /* the key a range samples (NULL for a choice) */
    double lo, hi;          /* a range's bounds */
    axis options;           /* a choice: one assignment set per value, with their keys */
    int dim;                /* its position among the keys parsed: the dimension it draws */
} space_entry;

/* A search as the file (and --set) wrote it, and its points once built. */
typedef struct {
    sw_search_config config;
    const node *node;          /* search: (or the --set that wrote it last) */
    const node *at[16];        /* where each sw_search_keys row was written; NULL: default */
    const node *space_node;    /* space: */
    space_entry *space;        /* the keys of space:, in file order */
    int n_space, n_dims;       /* n_dims: entries parsed, so each keeps its dimension */
    node *synth;               /* sampled values as scalar nodes, [point][range entry] */
    size_t n_synth;
    uint64_t *point_index;     /* per point of the search: its index in the sequence */
    uint32_t *point_hash;      /* and a hash of its values (run ids) */
    int id_width;              /* digits of the largest point index in run ids */
    const sw_search_chosen *chosen; /* tpe: the points chosen after the startup (may be NULL) */
    double *point_values;      /* per point: its internal values, one per space entry */
    int n_points;
} search_spec;

/* One entry of search: (or a --set search.KEY=VALUE): name is the key without "search.". */
int sw_searchspec_entry(search_spec *S, errbuf *e, const node *keynode, const char *name, const node *v);

/* The search: mapping. */
int sw_searchspec_entries(search_spec *S, errbuf *e, const node *v);

/* The keys of the space: mapping under prefix ("" at the top; sections nest). */
int sw_searchspec_space(search_spec *S, errbuf *e, const char *prefix, const node *map);

/* A --set of key k takes it out of the space (the other keys keep their dimensions);
 * refused when k is sampled together with other keys (a choice of sections). */
int sw_searchspec_release(search_spec *S, errbuf *e, const char *path, const sw_key_info *k, const node *at);

/* Checks the search against the file (its axes ax, base_cfg) and, for kind random, sobol or
 * tpe, draws its points (tpe: its startup points, then those S->chosen holds) and puts them
 * first in ax; warnings go to s. */
int sw_searchspec_build(search_spec *S, errbuf *e, axes *ax, const sw_config *base_cfg, sw_sweep_spec *s);

/* After s's runs are built (each run's `point` set): the search's space, points and rounds
 * into s (kind grid: nothing), and each run's round; a tpe search's runs must share one
 * selection metric. Returns SW_OK, SW_ECONFIG (message in e) or SW_ENOMEM. */
int sw_searchspec_finish(search_spec *S, errbuf *e, sw_sweep_spec *s);

/* Frees what S owns. */
void sw_searchspec_clear(search_spec *S);

#endif
