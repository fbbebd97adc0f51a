/* gridspec.h: the axes of a sweep's product, from grid: (key -> list: one axis per key)
 * and zip: (groups of equal-length lists that vary together), and the partial runs that
 * exclude: drops. The first axis varies slowest; a key may vary on one axis only. Internal
 * to the plan's files. */
#ifndef SWEEP_GRIDSPEC_H
#define SWEEP_GRIDSPEC_H

#include <stdbool.h>

#include "config.h"
#include "keys.h"
#include "yamltree.h"

typedef struct {
    assigns *points;      /* one assignment set per value of the axis */
    int n_points;
    const sw_key_info **keys; /* keys the axis varies, first-seen order */
    int n_keys;
    const node *where;    /* for messages */
    bool zip;             /* from a zip group (--set cannot change it) */
    bool sampled;         /* the points of a search (space:), one per value */
    bool choice;          /* the values of a space: choice (not an axis of the product) */
} axis;

typedef struct {
    axis *ax;
    int n, cap;
} axes;

/* Frees what the axis owns and zeroes it. */
void sw_axis_clear(axis *a);

/* A zeroed axis of n_points empty assignment sets; SW_OK or SW_ENOMEM. */
int sw_axis_alloc(axis *a, int n_points, const node *where, bool zip);

/* Lists the keys the axis's points assign (a->keys, first-seen order). */
int sw_axis_finish_keys(axis *a);

/* Fills points[0..list->n) from the values of one entry (key k resolved as r -> list);
 * where_name ("grid", "zip", "space", "--set") prefixes the messages. */
int sw_entry_points(errbuf *e, const char *where_name, const node *k, const resolved *r, const node *list,
                    assigns *points);

/* Checks that v, the value of key k, is a non-empty list. where_name prefixes the message;
 * NULL when the location already says where (a --set). */
int sw_check_list(errbuf *e, const char *where_name, const node *k, const node *v);

/* The axis already varying `key`, or -1. */
int sw_axes_find(const axes *s, const sw_key_info *key);

/* Appends *a (taken over: *a is zeroed). SW_OK or SW_ENOMEM. */
int sw_axes_push(axes *s, axis *a);

/* Removes axis i, keeping the order of the others. */
void sw_axes_remove(axes *s, int i);

/* Whether axes x and a vary a key in common. */
bool sw_axes_overlap(const axis *x, const axis *a);

/* Checks that no two values of the axis make identical runs from base_cfg (seed: [1, 1]). */
int sw_axis_check_duplicates(errbuf *e, const sw_config *base_cfg, const axis *a);

/* Adds an axis per key of the grid: mapping `map` under prefix (sections nest). */
int sw_grid_entries(errbuf *e, const char *prefix, const node *map, axes *out);

/* Adds the axis of one zip: group. */
int sw_zip_group(errbuf *e, const node *group, axes *out);

typedef struct {
    const sw_key_info *key;
    char **values; /* formatted; a run matches when its value is one of these */
    int n;
} excl_term;

typedef struct {
    excl_term *terms;
    int n;
    const node *where;
    int matched;
} exclusion;

/* Builds the exclusion of one exclude: entry (a mapping of keys to a value or a list of
 * them: any of). */
int sw_exclusion_build(errbuf *e, const node *map, exclusion *x);

/* Whether cfg matches every term of x. */
bool sw_exclusion_matches(const exclusion *x, const sw_config *cfg);

/* Frees what x owns and zeroes it. */
void sw_exclusion_clear(exclusion *x);

#endif
