/* gridspec.c: the axes of a sweep's product from grid: and zip:, and the runs exclude:
 * drops (see gridspec.h). */
#define _POSIX_C_SOURCE 200809L
#include "gridspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- axes --------------------------------------------------------------------------- */

void sw_axis_clear(axis *a)
{
    for (int i = 0; i < a->n_points; i++) free(a->points[i].a);
    free(a->points);
    free(a->keys);
    memset(a, 0, sizeof *a);
}

static int axis_add_key(axis *a, const sw_key_info *k)
{
    for (int i = 0; i < a->n_keys; i++)
        if (a->keys[i] == k) return SW_OK;
    const sw_key_info **keys = realloc(a->keys, (size_t)(a->n_keys + 1) * sizeof *keys);
    if (!keys) return SW_ENOMEM;
    a->keys = keys;
    a->keys[a->n_keys++] = k;
    return SW_OK;
}

int sw_axis_alloc(axis *a, int n_points, const node *where, bool zip)
{
    memset(a, 0, sizeof *a);
    a->points = calloc((size_t)(n_points ? n_points : 1), sizeof *a->points);
    if (!a->points) return SW_ENOMEM;
    a->n_points = n_points;
    a->where = where;
    a->zip = zip;
    return SW_OK;
}

int sw_axis_finish_keys(axis *a)
{
    for (int p = 0; p < a->n_points; p++)
        for (int i = 0; i < a->points[p].n; i++) {
            int rc = axis_add_key(a, a->points[p].a[i].key);
            if (rc) return rc;
        }
    return SW_OK;
}

/* Fills the points of one axis entry (key -> list), appending to points[0..n). Used for
 * grid entries and for each member of a zip group. */
int sw_entry_points(errbuf *e, const char *where_name, const node *k, const resolved *r, const node *list,
                        assigns *points)
{
    for (int p = 0; p < list->n; p++) {
        const node *item = list->items[p];
        if (!sw_fits(r, item))
            return sw_fail_at(e, item, "%s: %s is a section: each value must be a mapping of its keys, got %s", where_name,
                           r->section, sw_node_describe(item));
        if (r->leaf && r->leaf->type == SW_TYPE_FLOAT_LIST)
            return sw_fail_at(e, k, "%s: %s is a per-epoch table, one run's values: it cannot be swept; write one "
                              "config per table (or sweep the key it tabulates, %s)", where_name ? where_name : "--set",
                              r->leaf->key, r->leaf->per_epoch_of);
        if (r->leaf && r->leaf->type == SW_TYPE_INT_LIST && item->kind != NODE_SEQ)
            return sw_fail_at(e, item, "%s: %s: each value is itself a list of epochs; write [[20, 40], [30]]",
                           where_name, r->leaf->key);
        if (r->leaf && r->leaf->type != SW_TYPE_INT_LIST && item->kind != NODE_SCALAR)
            return sw_fail_at(e, item, "%s: %s: each value must be a single value, got %s", where_name, r->leaf->key,
                           sw_node_describe(item));
        int rc = sw_value_assigns(e, r, k, item, &points[p]);
        if (rc) return rc;
        for (int i = 0; i < points[p].n; i++)
            if (sw_key_is_sweep_setting(points[p].a[i].key))
                return sw_fail_at(e, k, "%s: %s is a setting of the whole sweep, not of a run: it cannot vary "
                                  "between runs (set it under base: or with --set %s=VALUE)",
                                  where_name ? where_name : "--set", points[p].a[i].key->key,
                                  points[p].a[i].key->key);
    }
    return SW_OK;
}

/* where_name ("grid", "zip") prefixes the message; NULL when the location already says
 * where (a --set). */
int sw_check_list(errbuf *e, const char *where_name, const node *k, const node *v)
{
    const char *w = where_name ? where_name : "", *sep = where_name ? ": " : "";
    if (v->kind != NODE_SEQ)
        return sw_fail_at(e, v, "%s%s%s: expected a list of values, e.g. %s: [a, b], got %s", w, sep, k->text, k->text,
                       sw_node_describe(v));
    if (v->n == 0)
        return sw_fail_at(e, v, "%s%s%s: the list is empty, so the sweep would have no runs; give at least one value", w,
                       sep, k->text);
    return SW_OK;
}

/* The axis already varying key `key`, or -1. */
int sw_axes_find(const axes *s, const sw_key_info *key)
{
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < s->ax[i].n_keys; j++)
            if (s->ax[i].keys[j] == key) return i;
    return -1;
}

int sw_axes_push(axes *s, axis *a)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        axis *ax = realloc(s->ax, (size_t)cap * sizeof *ax);
        if (!ax) return SW_ENOMEM;
        s->ax = ax, s->cap = cap;
    }
    s->ax[s->n++] = *a;
    memset(a, 0, sizeof *a);
    return SW_OK;
}

/* Refuses a key varied by two axes: the product would be ambiguous. */
static int check_overlap(errbuf *e, const axes *s, const axis *a, const node *at)
{
    for (int j = 0; j < a->n_keys; j++) {
        int other = sw_axes_find(s, a->keys[j]);
        if (other >= 0)
            return sw_fail_at(e, at, "%s is already swept (%s at line %d, column %d); a key can vary in one place only",
                           a->keys[j]->key, s->ax[other].zip ? "zip group" : "grid axis", s->ax[other].where->line,
                           s->ax[other].where->col);
    }
    return SW_OK;
}

static int grid_entry(errbuf *e, const char *prefix, const node *k, const node *v, axes *out)
{
    resolved r;
    int rc = sw_resolve_key_at(e, prefix, k, !*prefix, &r);
    if (rc) return rc;
    if (!r.leaf && v->kind == NODE_MAP) return sw_grid_entries(e, r.section, v, out);
    if ((rc = sw_check_list(e, "grid", k, v))) return rc;
    axis a;
    if ((rc = sw_axis_alloc(&a, v->n, k, false))) return rc;
    if ((rc = sw_entry_points(e, "grid", k, &r, v, a.points)) || (rc = sw_axis_finish_keys(&a)) ||
        (rc = check_overlap(e, out, &a, k)) || (rc = sw_axes_push(out, &a))) {
        sw_axis_clear(&a);
        return rc;
    }
    return SW_OK;
}

int sw_grid_entries(errbuf *e, const char *prefix, const node *map, axes *out)
{
    for (int i = 0; i < MAP_LEN(map); i++) {
        int rc = grid_entry(e, prefix, MAP_KEY(map, i), MAP_VAL(map, i), out);
        if (rc) return rc;
    }
    return SW_OK;
}

int sw_zip_group(errbuf *e, const node *group, axes *out)
{
    if (group->kind != NODE_MAP)
        return sw_fail_at(e, group, "zip: each group must be a mapping of keys to lists of equal length, got %s",
                       sw_node_describe(group));
    if (MAP_LEN(group) == 0) return sw_fail_at(e, group, "zip: an empty group; give at least one key with a list");
    int n = -1;
    const node *first = NULL;
    for (int i = 0; i < MAP_LEN(group); i++) {
        const node *k = MAP_KEY(group, i), *v = MAP_VAL(group, i);
        int rc = sw_check_list(e, "zip", k, v);
        if (rc) return rc;
        if (n < 0) {
            n = v->n, first = k;
        } else if (v->n != n) {
            return sw_fail_at(e, k, "zip: lists of unequal length: %s has %d values (line %d) but %s has %d; every list in "
                           "a zip group needs the same length", first->text, n, first->line, k->text, v->n);
        }
    }
    axis a;
    int rc = sw_axis_alloc(&a, n, group, true);
    if (rc) return rc;
    for (int i = 0; i < MAP_LEN(group); i++) {
        const node *k = MAP_KEY(group, i), *v = MAP_VAL(group, i);
        resolved r;
        if ((rc = sw_resolve_key_at(e, "", k, true, &r))) break;
        if ((rc = sw_entry_points(e, "zip", k, &r, v, a.points))) break;
    }
    if (!rc) {
        for (int p = 0; p < a.n_points && !rc; p++)
            for (int i = 0; i < a.points[p].n && !rc; i++)
                for (int j = 0; j < i && !rc; j++)
                    if (a.points[p].a[i].key == a.points[p].a[j].key)
                        rc = sw_fail_at(e, a.points[p].a[i].keynode, "zip: %s appears twice in this group",
                                     a.points[p].a[i].key->key);
    }
    if (rc || (rc = sw_axis_finish_keys(&a)) || (rc = check_overlap(e, out, &a, group)) || (rc = sw_axes_push(out, &a))) {
        sw_axis_clear(&a);
        return rc;
    }
    return SW_OK;
}

/* Removes axis i, keeping the order of the others. */
void sw_axes_remove(axes *s, int i)
{
    sw_axis_clear(&s->ax[i]);
    memmove(&s->ax[i], &s->ax[i + 1], (size_t)(s->n - i - 1) * sizeof *s->ax);
    s->n--;
}

/* Whether axes x and a vary a key in common. */
bool sw_axes_overlap(const axis *x, const axis *a)
{
    for (int i = 0; i < x->n_keys; i++)
        for (int j = 0; j < a->n_keys; j++)
            if (x->keys[i] == a->keys[j]) return true;
    return false;
}

/* Checks that no two values of one axis make identical runs (e.g. seed: [1, 1]). */
int sw_axis_check_duplicates(errbuf *e, const sw_config *base_cfg, const axis *a)
{
    char **sig = calloc((size_t)a->n_points, sizeof *sig);
    if (!sig) return SW_ENOMEM;
    int rc = SW_OK;
    for (int p = 0; p < a->n_points && !rc; p++) {
        sw_config c = *base_cfg;
        if ((rc = sw_apply_all(e, &c, &a->points[p]))) break;
        char buf[2048];
        size_t used = 0;
        for (int j = 0; j < a->n_keys && used < sizeof buf; j++) {
            char v[256];
            sw_config_format(&c, a->keys[j], v, sizeof v);
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s", j ? ", " : "", a->keys[j]->key, v);
        }
        if (!(sig[p] = strdup(buf))) {
            rc = SW_ENOMEM;
            break;
        }
        for (int q = 0; q < p; q++)
            if (!strcmp(sig[p], sig[q])) {
                const node *at = a->points[p].n ? a->points[p].a[0].value : a->where;
                rc = sw_fail_at(e, at, "value %d of this %s repeats value %d (%s); each run must differ", p + 1,
                             a->choice ? "choice" : a->zip ? "zip group" : "axis", q + 1, sig[p]);
                break;
            }
    }
    for (int p = 0; p < a->n_points; p++) free(sig[p]);
    free(sig);
    return rc;
}

/* ---- exclusions ------------------------------------------------------------------- */

void sw_exclusion_clear(exclusion *x)
{
    for (int i = 0; i < x->n; i++) {
        for (int j = 0; j < x->terms[i].n; j++) free(x->terms[i].values[j]);
        free(x->terms[i].values);
    }
    free(x->terms);
    memset(x, 0, sizeof *x);
}

static int excl_add_value(errbuf *e, excl_term *t, const node *v)
{
    sw_config scratch;
    sw_config_defaults(&scratch);
    int rc = sw_apply_value(e, &scratch, t->key, v);
    if (rc) return rc;
    char text[256];
    sw_config_format(&scratch, t->key, text, sizeof text);
    char **values = realloc(t->values, (size_t)(t->n + 1) * sizeof *values);
    if (!values) return SW_ENOMEM;
    t->values = values;
    if (!(t->values[t->n] = strdup(text))) return SW_ENOMEM;
    t->n++;
    return SW_OK;
}

int sw_exclusion_build(errbuf *e, const node *map, exclusion *x)
{
    memset(x, 0, sizeof *x);
    x->where = map;
    if (map->kind != NODE_MAP)
        return sw_fail_at(e, map, "exclude: each entry must be a mapping of keys to values (a partial run), got %s",
                       sw_node_describe(map));
    if (MAP_LEN(map) == 0) return sw_fail_at(e, map, "exclude: an empty entry would drop every run");
    /* Values are either single values or lists meaning "any of"; resolve keys first
     * (sections allowed), then split lists. */
    for (int i = 0; i < MAP_LEN(map); i++) {
        const node *k = MAP_KEY(map, i), *v = MAP_VAL(map, i);
        resolved r;
        int rc = sw_resolve_key_at(e, "", k, true, &r);
        if (rc) return rc;
        assigns tmp = {0};
        rc = sw_fits(&r, v) ? sw_value_assigns(e, &r, k, v, &tmp)
                         : sw_fail_at(e, v, "exclude: %s is a section: expected a mapping of its keys", r.section);
        for (int j = 0; !rc && j < tmp.n; j++) {
            excl_term *terms = realloc(x->terms, (size_t)(x->n + 1) * sizeof *terms);
            if (!terms) {
                rc = SW_ENOMEM;
                break;
            }
            x->terms = terms;
            excl_term *t = &x->terms[x->n++];
            memset(t, 0, sizeof *t);
            t->key = tmp.a[j].key;
            for (int q = 0; q < x->n - 1; q++)
                if (x->terms[q].key == t->key) rc = sw_fail_at(e, tmp.a[j].keynode, "exclude: %s appears twice in this entry", t->key->key);
            const node *val = tmp.a[j].value;
            if (rc) break;
            if (sw_lists_values(t->key, val)) {
                if (val->n == 0) rc = sw_fail_at(e, val, "exclude: %s: an empty list matches nothing", t->key->key);
                for (int q = 0; !rc && q < val->n; q++) rc = excl_add_value(e, t, val->items[q]);
            } else {
                rc = excl_add_value(e, t, val);
            }
        }
        free(tmp.a);
        if (rc) return rc;
    }
    return SW_OK;
}

bool sw_exclusion_matches(const exclusion *x, const sw_config *cfg)
{
    char text[256];
    for (int i = 0; i < x->n; i++) {
        sw_config_format(cfg, x->terms[i].key, text, sizeof text);
        bool any = false;
        for (int j = 0; j < x->terms[i].n && !any; j++) any = !strcmp(text, x->terms[i].values[j]);
        if (!any) return false;
    }
    return true;
}
