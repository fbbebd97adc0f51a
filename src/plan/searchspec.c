/* searchspec.c: a sampled search: the search: and space: sections of a sweep file and the
 * points drawn from them (see searchspec.h). */
#define _POSIX_C_SOURCE 200809L
#include "searchspec.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hash.h"
#include "pbt.h"

/* Where search key `name` was written (its value), NULL when left at its default. */
static const node *search_written(const search_spec *S, const char *name)
{
    return S->at[sw_search_key_find(name) - sw_search_keys];
}

static void space_entry_clear(space_entry *e)
{
    sw_axis_clear(&e->options);
    memset(e, 0, sizeof *e);
}

void sw_searchspec_clear(search_spec *S)
{
    for (int i = 0; i < S->n_space; i++) space_entry_clear(&S->space[i]);
    free(S->space);
    for (size_t i = 0; S->synth && i < S->n_synth; i++) free(S->synth[i].text);
    free(S->synth);
    free(S->point_index);
    free(S->point_hash);
    free(S->point_values);
}

/* The keys entry e sets: its range's key, or every key its choice's values write. */
static int entry_keys(const space_entry *e, const sw_key_info *const **keys)
{
    if (e->dist == SW_DIST_CHOICE) {
        *keys = e->options.keys;
        return e->options.n_keys;
    }
    *keys = &e->key;
    return 1;
}

static const space_entry *space_find(const search_spec *S, const sw_key_info *k)
{
    for (int i = 0; i < S->n_space; i++) {
        const sw_key_info *const *keys;
        int n = entry_keys(&S->space[i], &keys);
        for (int j = 0; j < n; j++)
            if (keys[j] == k) return &S->space[i];
    }
    return NULL;
}

/* ---- search: ---------------------------------------------------------------------- */

/* The search: section's keys (sample.h), written into S. */
static sw_section_keys search_section(search_spec *S)
{
    SW_ASSERT(sw_search_keys_len <= SW_ARRAY_LEN(S->at));
    return (sw_section_keys){"search", sw_search_keys, sw_search_keys_len, &S->config, S->at,
                             "{kind: sobol, samples: 32}"};
}

/* search.factors written as a list ([0.8, 1.2]): its items as the key's text, "[0.8, 1.2]"
 * (pbt.h's sw_pbt_parse_factors reads it when the search is checked). */
static int factors_entry(search_spec *S, errbuf *e, const node *keynode, const node *v)
{
    char text[SW_PBT_FACTORS_TEXT + 1];
    size_t used = (size_t)snprintf(text, sizeof text, "[");
    for (int i = 0; i < v->n; i++) {
        const node *item = v->items[i];
        if (item->kind != NODE_SCALAR || item->quoted)
            return sw_fail_at(e, item, "search.factors: expected a list of numbers, e.g. [0.8, 1.2], got %s",
                              sw_node_describe(item));
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", i ? ", " : "", item->text);
        if (used >= sizeof text) return sw_fail_at(e, v, "search.factors: longer than %d characters", SW_PBT_FACTORS_TEXT);
    }
    snprintf(text + used, sizeof text - used, "]");
    node as_text = *v;
    as_text.kind = NODE_SCALAR, as_text.text = text, as_text.quoted = false;
    sw_section_keys t = search_section(S);
    int rc = sw_section_entry(&t, e, keynode, "factors", &as_text);
    if (!rc) S->at[sw_search_key_find("factors") - sw_search_keys] = v; /* errors point at the list */
    return rc;
}

int sw_searchspec_entry(search_spec *S, errbuf *e, const node *keynode, const char *name, const node *v)
{
    if (!strcmp(name, "factors") && v->kind == NODE_SEQ) return factors_entry(S, e, keynode, v);
    sw_section_keys t = search_section(S);
    return sw_section_entry(&t, e, keynode, name, v);
}

int sw_searchspec_entries(search_spec *S, errbuf *e, const node *v)
{
    sw_section_keys t = search_section(S);
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0) return sw_section_entries(&t, e, v, &S->node); /* its message */
    S->node = v;
    for (int i = 0; i < MAP_LEN(v); i++) {
        int rc = sw_searchspec_entry(S, e, MAP_KEY(v, i), MAP_KEY(v, i)->text, MAP_VAL(v, i));
        if (rc) return rc;
    }
    return SW_OK;
}

/* ---- space: ----------------------------------------------------------------------- */

/* Whether mapping v, the value of a section, is written as a distribution ({choice:
 * [...]}) rather than as nested keys: its one key names a distribution, or names nothing
 * of the section and does not hold a mapping (a misspelt distribution, not a misspelt
 * key, so that the message is about the right one). */
static bool is_distribution(const char *section, const node *v)
{
    if (v->kind != NODE_MAP || MAP_LEN(v) != 1) return false;
    const char *name = MAP_KEY(v, 0)->text;
    if (sw_sampler_find(name) != SW_DIST_COUNT) return true;
    char full[256];
    snprintf(full, sizeof full, "%s.%s", section, name);
    return !sw_is_section(full) && !sw_schema_find(full) && MAP_VAL(v, 0)->kind != NODE_MAP;
}

/* "uniform, loguniform, int_uniform, int_loguniform, choice" */
static void sampler_list(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (int d = 0; d < SW_DIST_COUNT && used < outlen; d++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", d ? ", " : "", sw_samplers[d].name);
}

static int unknown_distribution(errbuf *e, const char *key, const node *name)
{
    const char *best = NULL;
    int best_d = 4;
    for (int d = 0; d < SW_DIST_COUNT; d++) {
        int dist = sw_edit_distance(name->text, sw_samplers[d].name);
        if (dist < best_d) best_d = dist, best = sw_samplers[d].name;
    }
    char list[128];
    sampler_list(list, sizeof list);
    if (best)
        return sw_fail_at(e, name, "space: %s: unknown distribution \"%s\"; did you mean \"%s\"? allowed: %s", key,
                       name->text, best, list);
    return sw_fail_at(e, name, "space: %s: unknown distribution \"%s\"; allowed: %s", key, name->text, list);
}

/* Checks that the key fits the distribution's kind of values. */
static int check_range_key(errbuf *e, const sw_sampler_info *d, const sw_key_info *k, const node *at)
{
    bool is_int = k->type == SW_TYPE_INT || k->type == SW_TYPE_INT64;
    if (k->type == SW_TYPE_FLOAT_LIST)
        return sw_fail_at(e, at, "space: %s is a per-epoch table, one run's values: it cannot be searched (search "
                          "the key it tabulates, %s)", k->key, k->per_epoch_of);
    if (k->type == SW_TYPE_FLOAT && d->integer)
        return sw_fail_at(e, at, "space: %s takes a float; %s is for integer keys (use uniform or loguniform)", k->key,
                       d->name);
    if (is_int && !d->integer)
        return sw_fail_at(e, at, "space: %s is an integer key; %s draws floats (use int_%s, or choice)", k->key, d->name,
                       d->name);
    if (!is_int && k->type != SW_TYPE_FLOAT)
        return sw_fail_at(e, at, "space: %s takes %s values; only {choice: [...]} samples it", k->key,
                       k->type == SW_TYPE_ENUM ? "named" : k->type == SW_TYPE_BOOL ? "boolean" :
                       k->type == SW_TYPE_STRING ? "text" : "list");
    return SW_OK;
}

/* [low, high] of a range distribution into e->lo, e->hi: each bound a valid value of the
 * key (its type and range, as if written in base:), low below high, and low > 0 on a log
 * scale. */
static int range_bounds(errbuf *err, space_entry *e, const sw_sampler_info *d)
{
    const node *a = e->args;
    if (a->kind != NODE_SEQ || a->n != 2 || a->items[0]->kind != NODE_SCALAR || a->items[1]->kind != NODE_SCALAR)
    {
        char got[64];
        if (a->kind == NODE_SEQ)
            snprintf(got, sizeof got, "a list of %d %s", a->n, a->n == 2 ? "items that are not single values" : "values");
        else
            snprintf(got, sizeof got, "%s", sw_node_describe(a));
        return sw_fail_at(err, a, "space: %s: %s takes [low, high], got %s", e->key->key, d->name, got);
    }
    double v[2];
    for (int i = 0; i < 2; i++) {
        const node *b = a->items[i];
        char *end = NULL;
        v[i] = (!b->quoted && *b->text) ? strtod(b->text, &end) : NAN;
        bool number = !b->quoted && *b->text && !*end && isfinite(v[i]);
        if (i == 0 && d->log && number && v[i] <= 0)
            return sw_fail_at(err, b, "space: %s: %s needs low > 0 (it samples on a log scale), got %s", e->key->key,
                           d->name, b->text);
        int rc = sw_apply_value(err, &(sw_config){0}, e->key, b);
        if (rc) return rc;
        if (d->integer && fabs(v[i]) > SW_SAMPLE_INT_LIMIT)
            return sw_fail_at(err, b, "space: %s: %s: bounds beyond 2^53 are not supported", e->key->key, d->name);
    }
    if (!(v[0] < v[1]))
        return sw_fail_at(err, a, "space: %s: %s: low %s must be less than high %s", e->key->key, d->name,
                       a->items[0]->text, a->items[1]->text);
    e->lo = v[0], e->hi = v[1];
    return SW_OK;
}

/* One key of space: (under prefix), or a section's mapping of them. */
static int space_entry_parse(search_spec *S, errbuf *err, const char *prefix, const node *k, const node *v)
{
    resolved r;
    int rc = sw_resolve_key_at(err, prefix, k, !*prefix, &r);
    if (rc) return rc;
    if (!r.leaf && v->kind == NODE_MAP && !is_distribution(r.section, v)) return sw_searchspec_space(S, err, r.section, v);
    const char *name = r.leaf ? r.leaf->key : r.section;
    if (v->kind != NODE_MAP)
        return sw_fail_at(err, v, "space: %s: expected a distribution, e.g. {loguniform: [0.0001, 0.01]}, "
                       "{int_uniform: [16, 128]} or {choice: [a, b]}, got %s%s", name, sw_node_describe(v),
                       v->kind == NODE_SEQ ? " (a list of values to try each goes under grid:)" : "");
    if (MAP_LEN(v) != 1)
        return sw_fail_at(err, v, "space: %s: expected one distribution, e.g. {uniform: [0.0, 0.5]}, got %d entries", name,
                       MAP_LEN(v));
    sw_dist_kind dist = sw_sampler_find(MAP_KEY(v, 0)->text);
    if (dist == SW_DIST_COUNT) return unknown_distribution(err, name, MAP_KEY(v, 0));
    const sw_sampler_info *d = &sw_samplers[dist];
    space_entry *grown = realloc(S->space, (size_t)(S->n_space + 1) * sizeof *grown);
    if (!grown) return SW_ENOMEM;
    S->space = grown;
    space_entry *e = &S->space[S->n_space++];
    memset(e, 0, sizeof *e);
    e->keynode = k, e->where = v, e->args = MAP_VAL(v, 0), e->dist = dist, e->dim = S->n_dims++;
    if (d->list) {
        const node *list = e->args;
        if (list->kind != NODE_SEQ || list->n == 0)
            return sw_fail_at(err, list, "space: %s: choice takes a non-empty list of values, e.g. {choice: [32, 64]}",
                           name);
        if ((rc = sw_axis_alloc(&e->options, list->n, v, false))) return rc;
        e->options.choice = true;
        if ((rc = sw_entry_points(err, "space", k, &r, list, e->options.points)) || (rc = sw_axis_finish_keys(&e->options)))
            return rc;
    } else {
        if (!r.leaf)
            return sw_fail_at(err, MAP_KEY(v, 0), "space: %s is a section; only {choice: [...]} of its mappings samples it",
                           r.section);
        e->key = r.leaf;
        if ((rc = check_range_key(err, d, r.leaf, MAP_KEY(v, 0))) || (rc = range_bounds(err, e, d))) return rc;
    }
    /* A key sampled twice (written long and short, or in a choice of sections). */
    const sw_key_info *const *keys;
    int n = entry_keys(e, &keys);
    for (int i = 0; i < S->n_space - 1; i++)
        for (int j = 0; j < n; j++) {
            const sw_key_info *const *other;
            int m = entry_keys(&S->space[i], &other);
            for (int q = 0; q < m; q++)
                if (other[q] == keys[j])
                    return sw_fail_at(err, k, "space: %s is sampled twice (first at line %d, column %d)", keys[j]->key,
                                   S->space[i].keynode->line, S->space[i].keynode->col);
        }
    return SW_OK;
}

int sw_searchspec_space(search_spec *S, errbuf *e, const char *prefix, const node *map)
{
    for (int i = 0; i < MAP_LEN(map); i++) {
        int rc = space_entry_parse(S, e, prefix, MAP_KEY(map, i), MAP_VAL(map, i));
        if (rc) return rc;
    }
    return SW_OK;
}

/* A --set of key k takes it out of the space: it is then set (or swept) as the --set says.
 * The other keys keep their dimensions, so their values do not change. */
int sw_searchspec_release(search_spec *S, errbuf *e, const char *path, const sw_key_info *k, const node *at)
{
    const space_entry *found = space_find(S, k);
    if (!found) return SW_OK;
    const sw_key_info *const *keys;
    if (entry_keys(found, &keys) > 1)
        return sw_fail_at(e, at, "%s is sampled together with other keys (space: at %s:%d:%d); change it in the file",
                       k->key, path, found->keynode->line, found->keynode->col);
    int i = (int)(found - S->space);
    space_entry_clear(&S->space[i]);
    memmove(&S->space[i], &S->space[i + 1], (size_t)(S->n_space - i - 1) * sizeof *S->space);
    S->n_space--;
    return SW_OK;
}

/* ---- the points ------------------------------------------------------------------- */

/* The per-epoch table that gives key's value in cfg (config.h), or NULL: a table of it, or
 * for train.lr the table schedule. */
static const char *tabulated(const sw_config *cfg, const sw_key_info *key)
{
    int n;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (sw_schema[i].type == SW_TYPE_FLOAT_LIST && !strcmp(sw_schema[i].per_epoch_of, key->key) &&
            sw_config_get_floats(cfg, &sw_schema[i], &n) && n > 0)
            return sw_schema[i].key;
    return NULL;
}

/* A pbt space: every key one a running member may change (pbt.h's table): a range of
 * such a key, or a choice whose values each set one such key. */
static int check_pbt_space(const search_spec *S, errbuf *err, const sw_config *base_cfg)
{
    char list[512];
    sw_pbt_key_list(list, sizeof list);
    for (int i = 0; i < S->n_space; i++) {
        const space_entry *e = &S->space[i];
        const sw_key_info *const *keys;
        int n = entry_keys(e, &keys);
        for (int j = 0; j < n; j++)
            if (!sw_pbt_key_find(keys[j]->key))
                return sw_fail_at(err, e->keynode, "space: %s cannot change while a pbt member trains (it changes "
                                  "the network's shape, its data or its optimizer's state); a pbt space holds %s",
                                  keys[j]->key, list);
        for (int j = 0; j < n; j++)
            if (tabulated(base_cfg, keys[j]))
                return sw_fail_at(err, e->keynode, "space: %s has a per-epoch table in base: (%s); a pbt member's "
                                  "value would be overridden every epoch: remove one of them", keys[j]->key,
                                  tabulated(base_cfg, keys[j]));
        if (e->dist == SW_DIST_CHOICE && n != 1)
            return sw_fail_at(err, e->keynode, "space: a pbt choice sets one key, the same for each value; this one "
                              "sets %d keys", n);
        for (int v = 0; e->dist == SW_DIST_CHOICE && v < e->options.n_points; v++)
            if (e->options.points[v].n != 1)
                return sw_fail_at(err, e->keynode, "space: a pbt choice's values each set one key, but value %d sets "
                                  "%d", v + 1, e->options.points[v].n);
    }
    return SW_OK;
}

/* A pbt search's settings: a population and no samples, factors that parse, no grid or zip
 * axes (the members are the runs), an interval within train.epochs and generations the
 * plan can hold, and a pbt space. */
static int check_pbt(search_spec *S, errbuf *err, const axes *ax, const sw_config *base_cfg)
{
    const sw_search_config *c = &S->config;
    const node *kind_at = search_written(S, "kind") ? search_written(S, "kind") : S->node;
    if (search_written(S, "samples"))
        return sw_fail_at(err, search_written(S, "samples"), "search.samples applies to kind random, sobol and tpe; "
                          "a pbt search trains search.population members");
    if (c->digital_shift)
        return sw_fail_at(err, search_written(S, "digital_shift"), "search.digital_shift applies to kind sobol and "
                          "tpe only");
    if (!c->population)
        return sw_fail_at(err, kind_at, "search.kind pbt needs population, the members trained side by side: e.g. "
                          "search: {kind: pbt, population: 16, interval: 2}");
    char msg[256];
    double f[SW_PBT_MAX_FACTORS];
    int n_f;
    const node *f_at = search_written(S, "factors") ? search_written(S, "factors") : kind_at;
    if (sw_pbt_parse_factors(c->factors, f, &n_f, msg, sizeof msg)) return sw_fail_at(err, f_at, "%s", msg);
    if (ax->n > 0)
        return sw_fail_at(err, ax->ax[0].where, "a pbt search's runs are its members; grid: and zip: do not apply "
                          "(run one pbt sweep per setting)");
    const node *i_at = search_written(S, "interval") ? search_written(S, "interval") : kind_at;
    int at[SW_PBT_MAX_GENERATIONS + 1];
    if (c->interval > base_cfg->train.epochs)
        return sw_fail_at(err, i_at, "search.interval: %d is more than train.epochs %d: a member would never reach "
                          "a generation's barrier", c->interval, base_cfg->train.epochs);
    if (base_cfg->seed > INT64_MAX - c->population)
        return sw_fail_at(err, kind_at, "seed: pbt member m trains with seed + m, and seed %lld + %d is beyond the "
                          "largest seed", (long long)base_cfg->seed, c->population - 1);
    if (!sw_pbt_barriers(base_cfg->train.epochs, c->interval, at))
        return sw_fail_at(err, i_at, "search.interval: %d makes more than %d generations of train.epochs %d; raise "
                          "it", c->interval, SW_PBT_MAX_GENERATIONS, base_cfg->train.epochs);
    return check_pbt_space(S, err, base_cfg);
}

/* Whether the search's settings fit together and with the rest of the file; warns about
 * a sobol sample count that is not a power of 2. */
static int check_search(search_spec *S, errbuf *err, axes *ax, const sw_config *base_cfg, sw_sweep_spec *s)
{
    const sw_search_config *c = &S->config;
    const node *kind_at = search_written(S, "kind") ? search_written(S, "kind") : S->node;
    const node *samples_at = search_written(S, "samples"), *shift_at = search_written(S, "digital_shift");
    const char *kind = sw_search_keys[0].choices[c->kind];
    const node *startup_at = search_written(S, "startup"), *batch_at = search_written(S, "batch");
    if (c->kind != SW_SEARCH_TPE && (startup_at || batch_at))
        return sw_fail_at(err, startup_at ? startup_at : batch_at, "search.%s applies to kind tpe only, not %s",
                          startup_at ? "startup" : "batch", kind);
    if (c->kind == SW_SEARCH_GRID) {
        if (S->space_node)
            return sw_fail_at(err, S->space_node, "space: is sampled by a search of kind random, sobol or tpe; add "
                              "e.g. search: {kind: sobol, samples: 32}");
        if (samples_at)
            return sw_fail_at(err, samples_at, "search.samples applies to kind random, sobol and tpe, not grid");
        if (c->digital_shift)
            return sw_fail_at(err, shift_at, "search.digital_shift applies to kind sobol and tpe only");
        return SW_OK;
    }
    if (!S->n_space)
        return sw_fail_at(err, kind_at, "search.kind %s samples the keys of space:, and %s; add e.g. space: "
                       "{train.lr: {loguniform: [1.0e-4, 1.0e-2]}}", kind,
                       S->space_node ? "--set took every key out of it" : "there is none");
    if (c->kind == SW_SEARCH_PBT) return check_pbt(S, err, ax, base_cfg);
    static const char *const pbt_only[] = {"population", "interval", "quantile", "resample", "factors"};
    for (size_t k = 0; k < SW_ARRAY_LEN(pbt_only); k++)
        if (search_written(S, pbt_only[k]))
            return sw_fail_at(err, search_written(S, pbt_only[k]), "search.%s applies to kind pbt only, not %s",
                              pbt_only[k], kind);
    if (!c->samples)
        return sw_fail_at(err, kind_at, "search.kind %s needs samples, the number of points: e.g. search: {kind: %s, "
                       "samples: 32}", kind, kind);
    if (c->digital_shift && c->kind == SW_SEARCH_RANDOM)
        return sw_fail_at(err, shift_at, "search.digital_shift applies to kind sobol and tpe only");
    if (c->kind != SW_SEARCH_RANDOM && S->n_dims > sw_sobol_max_dims())
        return sw_fail_at(err, S->space_node, "space: %d keys; %s points have at most %d dimensions", S->n_dims,
                          c->kind == SW_SEARCH_TPE ? "tpe's startup (Sobol)" : "sobol", sw_sobol_max_dims());
    if (c->kind == SW_SEARCH_TPE) {
        if (c->samples < c->startup)
            return sw_fail_at(err, samples_at, "search.samples: %d is fewer than search.startup %d; tpe runs its "
                              "startup points first (lower startup, or raise samples)", c->samples, c->startup);
        if (!shift_at) S->config.digital_shift = true; /* so that tpe's seeds start from different points */
    }
    if (c->kind == SW_SEARCH_SOBOL && (c->samples & (c->samples - 1))) {
        int below = 1;
        while (below * 2 < c->samples) below *= 2;
        int rc = sw_warn_at(s, samples_at, "search.samples: %d is not a power of 2; sobol points cover the space "
                         "evenly in sets of 2^m (e.g. %d or %d)", c->samples, below, below * 2);
        if (rc) return rc;
    }
    for (int i = 0; i < S->n_space; i++) {
        const space_entry *e = &S->space[i];
        const sw_key_info *const *keys;
        int n = entry_keys(e, &keys);
        for (int j = 0; j < n; j++) {
            int other = sw_axes_find(ax, keys[j]);
            if (other >= 0)
                return sw_fail_at(err, e->keynode, "%s is sampled in space: and also swept (%s at %s:%d:%d); a key can "
                               "vary in one place only", keys[j]->key, ax->ax[other].zip ? "zip group" : "grid axis",
                               ax->ax[other].where->src, ax->ax[other].where->line, ax->ax[other].where->col);
        }
        if (e->dist == SW_DIST_CHOICE) {
            int rc = sw_axis_check_duplicates(err, base_cfg, &e->options);
            if (rc) return rc;
        }
    }
    /* A space of choice and integer axes only has so many distinct points. */
    double combos = 1;
    for (int i = 0; i < S->n_space && combos <= SW_MAX_RUNS; i++) {
        const space_entry *e = &S->space[i];
        if (e->dist == SW_DIST_CHOICE)
            combos *= e->options.n_points;
        else if (sw_samplers[e->dist].integer)
            combos *= e->hi - e->lo + 1;
        else
            combos = INFINITY;
    }
    if (c->samples > combos)
        return sw_fail_at(err, samples_at, "search.samples: %d is more than the %.0f distinct points of this space (its "
                       "keys are choices and integer ranges); lower samples, or use a grid", c->samples, combos);
    return SW_OK;
}

/* Point idx's internal values (one per space entry: a float, an integer, a choice's
 * index) from the unit cube of P. */
static void unit_point(const search_spec *S, const sw_search_points *P, uint64_t idx, double *v)
{
    for (int i = 0; i < S->n_space; i++) {
        const space_entry *e = &S->space[i];
        double u = sw_search_unit(P, idx, e->dim);
        v[i] = e->dist == SW_DIST_CHOICE ? sw_samplers[e->dist].map(u, 0, e->options.n_points - 1)
                                         : sw_samplers[e->dist].map(u, e->lo, e->hi);
    }
}

/* The point with internal values v into pt: scalar nodes for ranges (from synth, one per
 * range entry) and the chosen value's assignments for choices. */
static int point_assigns(const search_spec *S, const double *v, node *synth, assigns *pt)
{
    pt->n = 0;
    int r = 0;
    for (int i = 0; i < S->n_space; i++) {
        const space_entry *e = &S->space[i];
        const sw_sampler_info *d = &sw_samplers[e->dist];
        int rc;
        if (e->dist == SW_DIST_CHOICE) {
            const assigns *opt = &e->options.points[(int)v[i]];
            for (int q = 0; q < opt->n; q++)
                if ((rc = sw_assigns_push(pt, opt->a[q].key, opt->a[q].keynode, opt->a[q].value))) return rc;
            continue;
        }
        char text[64];
        if (d->integer)
            snprintf(text, sizeof text, "%.0f", v[i]);
        else
            sw_format_shortest(text, sizeof text, v[i], 1e6);
        node *n = &synth[r++];
        free(n->text);
        if (!(n->text = strdup(text))) return SW_ENOMEM;
        n->kind = NODE_SCALAR;
        n->src = e->where->src, n->cli = e->where->cli, n->line = e->where->line, n->col = e->where->col;
        if ((rc = sw_assigns_push(pt, e->key, e->keynode, n))) return rc;
    }
    return SW_OK;
}

/* The values point pt gives the sampled keys, "key=value;..." in space order, into out. */
static int point_signature(const search_spec *S, errbuf *e, const sw_config *base_cfg, const assigns *pt, char *out,
                           size_t outlen)
{
    sw_config cfg = *base_cfg;
    int rc = sw_apply_all(e, &cfg, pt);
    if (rc) return rc;
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < S->n_space && used < outlen; i++) {
        const sw_key_info *const *keys;
        int n = entry_keys(&S->space[i], &keys);
        for (int j = 0; j < n && used < outlen; j++) {
            char v[256];
            sw_config_format(&cfg, keys[j], v, sizeof v);
            used += (size_t)snprintf(out + used, outlen - used, "%s=%s;", keys[j]->key, v);
        }
    }
    return used < outlen ? SW_OK : sw_fail_at(e, S->space_node, "space: a point's values exceed %zu bytes", outlen);
}

/* The points a tpe search has chosen so far (S->chosen) must be whole rounds after the
 * startup. Returns their count, or SW_ECONFIG with the message in e. */
static int chosen_points(search_spec *S, errbuf *e, int n_start)
{
    const sw_search_config *c = &S->config;
    if (c->kind != SW_SEARCH_TPE) return 0;
    int n = S->chosen ? S->chosen->n : 0, whole = 0;
    for (int r = 1, first, k; whole < n && (k = sw_search_round_points(c, r, &first)) > 0; r++) whole += k;
    if (n < 0 || n > c->samples - n_start || whole != n)
        return sw_fail_at(e, S->node, "search: %d chosen points are not whole rounds of this search (samples %d, "
                          "startup %d, batch %d)", n, c->samples, c->startup, c->batch);
    return n;
}

/* A table of the points kept so far, by the text of their values. */
typedef struct {
    uint32_t *slot; /* open addressing: kept point + 1, or 0 */
    size_t n_slots;
    uint64_t *hash; /* per kept point */
    char **sig;     /* per kept point */
} point_table;

/* Whether sig (hash h) is a point kept before; else keeps it as point `kept`. Returns 1
 * (seen), 0 (kept) or SW_ENOMEM. */
static int point_seen(point_table *t, const char *sig, uint64_t h, int kept)
{
    size_t slot = (size_t)h & (t->n_slots - 1);
    for (; t->slot[slot]; slot = (slot + 1) & (t->n_slots - 1))
        if (t->hash[t->slot[slot] - 1] == h && !strcmp(t->sig[t->slot[slot] - 1], sig)) return 1;
    if (!(t->sig[kept] = strdup(sig))) return SW_ENOMEM;
    t->slot[slot] = (uint32_t)kept + 1;
    t->hash[kept] = h;
    return 0;
}

/* Point `kept` of the search from its internal values v: its assignments in axis a, its
 * values kept, its hash for run ids. Returns 1 when it repeats an earlier point (nothing
 * kept), 0, or a negative code. */
static int add_point(search_spec *S, errbuf *e, const sw_config *base_cfg, point_table *t, axis *a, int kept,
                     const double *v, int n_range)
{
    char sig[4096];
    assigns *pt = &a->points[kept];
    int rc = point_assigns(S, v, &S->synth[(size_t)kept * (size_t)n_range], pt);
    if (!rc) rc = point_signature(S, e, base_cfg, pt, sig, sizeof sig);
    if (rc) return rc;
    uint64_t h = sw_fnv1a(sig);
    if ((rc = point_seen(t, sig, h, kept))) return rc;
    memcpy(&S->point_values[(size_t)kept * (size_t)S->n_space], v, (size_t)S->n_space * sizeof *v);
    S->point_hash[kept] = (uint32_t)(h & 0xffffffffu);
    return 0;
}

/* Why drawn points of S's space repeat, for the warning: sampled floats keep
 * SW_SAMPLE_DIGITS significant digits (close draws coincide), choices and integer ranges
 * have few values; either or both. */
static void repeat_cause(const search_spec *S, char *why, size_t len)
{
    bool floats = false, discrete = false;
    for (int i = 0; i < S->n_space; i++) {
        bool d = S->space[i].dist == SW_DIST_CHOICE || sw_samplers[S->space[i].dist].integer;
        discrete |= d;
        floats |= !d;
    }
    snprintf(why, len, "%s%s%s", floats ? "sampled floats are kept to " SW_SAMPLE_DIGITS_TEXT
             " significant digits, so close draws coincide" : "", floats && discrete ? "; " : "",
             discrete ? "the space's choices and integer ranges allow few combinations" : "");
}

/* The points drawn from the seed (random, sobol; tpe's startup): n of them, a draw
 * repeating an earlier point skipped (so that they are n distinct points that depend on
 * nothing but the seed, the kind and the space). Returns the number of draws, or a
 * negative code. */
static int64_t draw_points(search_spec *S, errbuf *e, const sw_config *base_cfg, sw_sweep_spec *s, point_table *t,
                           axis *a, int n, int n_range)
{
    char err[512];
    sw_search_points P;
    int rc = sw_search_points_init(&P, &S->config, S->n_dims, err, sizeof err);
    if (rc) return rc == SW_ENOMEM ? rc : sw_fail_at(e, S->space_node, "%s", err);
    double *v = malloc((size_t)(S->n_space ? S->n_space : 1) * sizeof *v);
    /* Enough draws for any space with n distinct points but a few (checked above), and
     * bounded when rounding makes the values of a float range collide. */
    uint64_t limit = (uint64_t)n * 64 + 4096, idx = 0;
    if (S->config.kind != SW_SEARCH_RANDOM && limit > UINT32_MAX) limit = UINT32_MAX;
    int kept = 0, skipped = 0;
    rc = v ? SW_OK : SW_ENOMEM;
    for (; !rc && kept < n && idx < limit; idx++) {
        unit_point(S, &P, idx, v);
        rc = add_point(S, e, base_cfg, t, a, kept, v, n_range);
        if (rc == 1) skipped++, rc = SW_OK;
        else if (!rc) S->point_index[kept++] = idx;
    }
    free(v);
    sw_search_points_clear(&P);
    if (!rc && kept < n)
        rc = sw_fail_at(e, search_written(S, "samples"), "search.samples: only %d distinct points came out of %llu "
                        "draws from this space (its values repeat, e.g. from few choices or narrow ranges); lower "
                        "samples or widen the space", kept, (unsigned long long)idx);
    if (!rc && skipped) {
        char why[200];
        repeat_cause(S, why, sizeof why);
        rc = sw_warn_at(s, S->space_node, "%d drawn point%s repeated an earlier point and %s skipped (%s); the search "
                        "uses points 0..%llu less those", skipped, sw_plural(skipped), skipped == 1 ? "was" : "were",
                        why, (unsigned long long)(idx - 1));
    }
    return rc ? rc : (int64_t)idx;
}

/* The points of a sampled search as the first axis of the product (the slowest: every
 * grid/zip combination of point 0, then of point 1, ...). random and sobol: `samples`
 * points drawn from the seed (draw_points), named by their index in the sequence; tpe:
 * its startup points drawn so, then the points chosen in its later rounds (S->chosen),
 * named by their number. */
int sw_searchspec_build(search_spec *S, errbuf *e, axes *ax, const sw_config *base_cfg, sw_sweep_spec *s)
{
    int rc = check_search(S, e, ax, base_cfg, s);
    if (rc || S->config.kind == SW_SEARCH_GRID) return rc;
    bool tpe = S->config.kind == SW_SEARCH_TPE;
    int n_start = tpe ? S->config.startup : S->config.kind == SW_SEARCH_PBT ? S->config.population : S->config.samples;
    int n_chosen = chosen_points(S, e, n_start);
    if (n_chosen < 0) return n_chosen;
    const int n = n_start + n_chosen;
    int n_range = 0;
    for (int i = 0; i < S->n_space; i++) n_range += S->space[i].dist != SW_DIST_CHOICE;
    axis a;
    point_table t = {0};
    t.n_slots = 1;
    while (t.n_slots < 2 * (size_t)n) t.n_slots *= 2;
    t.slot = calloc(t.n_slots, sizeof *t.slot);
    t.hash = calloc((size_t)n, sizeof *t.hash);
    t.sig = calloc((size_t)n + 1, sizeof *t.sig);
    S->n_points = n;
    S->point_index = calloc((size_t)n, sizeof *S->point_index);
    S->point_hash = calloc((size_t)n, sizeof *S->point_hash);
    S->point_values = calloc((size_t)n * (size_t)(S->n_space ? S->n_space : 1), sizeof *S->point_values);
    S->n_synth = (size_t)n * (size_t)n_range;
    S->synth = calloc(S->n_synth ? S->n_synth : 1, sizeof *S->synth);
    rc = sw_axis_alloc(&a, n, S->space_node, false);
    if (!rc && (!t.slot || !t.hash || !t.sig || !S->point_index || !S->point_hash || !S->point_values || !S->synth))
        rc = SW_ENOMEM;
    a.sampled = true;
    int64_t drawn = rc ? rc : draw_points(S, e, base_cfg, s, &t, &a, n_start, n_range);
    if (drawn < 0) rc = (int)drawn;
    for (int j = 0; !rc && j < n_chosen; j++) {
        int k = n_start + j;
        if ((rc = add_point(S, e, base_cfg, &t, &a, k, &S->chosen->values[(size_t)j * (size_t)S->n_space],
                            n_range)) == 1)
            rc = sw_fail_at(e, S->node, "search: chosen point %d repeats an earlier point", k);
    }
    if (!rc) rc = sw_axis_finish_keys(&a);
    if (!rc) {
        uint64_t top = tpe ? (uint64_t)S->config.samples - 1 : (uint64_t)drawn - 1;
        if (tpe)
            for (int k = 0; k < n; k++) S->point_index[k] = (uint64_t)k; /* numbered as chosen */
        S->id_width = 3;
        for (; top >= 1000; top /= 10) S->id_width++;
        rc = sw_axes_push(ax, &a);
    }
    if (!rc) {
        /* first: the points vary slowest */
        axis sampled = ax->ax[ax->n - 1];
        memmove(&ax->ax[1], &ax->ax[0], (size_t)(ax->n - 1) * sizeof *ax->ax);
        ax->ax[0] = sampled;
    } else {
        sw_axis_clear(&a);
    }
    for (int i = 0; t.sig && i < n; i++) free(t.sig[i]);
    free(t.sig);
    free(t.hash);
    free(t.slot);
    return rc;
}

/* The round of point k of search c. */
static int round_of_point(const sw_search_config *c, int k)
{
    return c->kind != SW_SEARCH_TPE || k < c->startup ? 0 : 1 + (k - c->startup) / c->batch;
}

/* tpe ranks points by their runs' selection metric: it must be one for all. */
static int check_search_metric(search_spec *S, errbuf *e, sw_sweep_spec *s)
{
    s->search_metric = sw_task_metric_of(&s->runs[0].cfg.task);
    for (int i = 1; i < s->n_runs; i++) {
        sw_task_metric m = sw_task_metric_of(&s->runs[i].cfg.task);
        if (strcmp(m.name, s->search_metric.name) || m.mode != s->search_metric.mode)
            return sw_fail_at(e, search_written(S, "kind") ? search_written(S, "kind") : S->node,
                              "search.kind tpe ranks its points by the runs' selection metric, but that is %s for "
                              "run %s and %s for run %s (their tasks differ); search them in separate sweeps",
                              s->search_metric.name, s->runs[0].id, m.name, s->runs[i].id);
    }
    return SW_OK;
}

/* A point's description in s from what S built: its round, origin, score, values. */
static int describe_point(const search_spec *S, sw_sweep_spec *s, int k, int n_start)
{
    const sw_search_config *c = &S->config;
    sw_search_point *p = &s->points[k];
    p->round = round_of_point(c, k);
    p->origin = c->kind == SW_SEARCH_RANDOM || c->kind == SW_SEARCH_PBT ? SW_POINT_RANDOM : SW_POINT_SOBOL;
    p->score = NAN;
    if (k >= n_start) {
        p->origin = S->chosen->origin ? S->chosen->origin[k - n_start] : SW_POINT_TPE;
        p->score = S->chosen->score ? S->chosen->score[k - n_start] : NAN;
    }
    p->first_run = s->n_runs;
    size_t dims = (size_t)(S->n_space ? S->n_space : 1);
    if (!(p->values = malloc(dims * sizeof *p->values))) return SW_ENOMEM;
    memcpy(p->values, &S->point_values[(size_t)k * S->n_space], (size_t)S->n_space * sizeof *p->values);
    if (p->round + 1 > s->rounds_known) s->rounds_known = p->round + 1;
    return SW_OK;
}

/* A pbt search: the key each dimension sets and a choice's values as text, into s (after
 * s->space). Returns SW_OK or SW_ENOMEM. */
static int pbt_keys_into(const search_spec *S, sw_sweep_spec *s)
{
    size_t dims = (size_t)(S->n_space ? S->n_space : 1);
    s->pbt_key = calloc(dims, sizeof *s->pbt_key);
    s->pbt_choice = calloc(dims, sizeof *s->pbt_choice);
    if (!s->pbt_key || !s->pbt_choice) return SW_ENOMEM;
    for (int i = 0; i < S->n_space; i++) {
        const space_entry *en = &S->space[i];
        if (en->dist != SW_DIST_CHOICE) {
            s->pbt_key[i] = en->key;
            continue;
        }
        s->pbt_key[i] = en->options.points[0].a[0].key; /* check_pbt_space: one key for every value */
        if (!(s->pbt_choice[i] = calloc((size_t)en->options.n_points, sizeof **s->pbt_choice))) return SW_ENOMEM;
        for (int v = 0; v < en->options.n_points; v++)
            if (!(s->pbt_choice[i][v] = strdup(en->options.points[v].a[0].value->text))) return SW_ENOMEM;
    }
    return SW_OK;
}

int sw_searchspec_finish(search_spec *S, errbuf *e, sw_sweep_spec *s)
{
    const sw_search_config *c = &S->config;
    s->search = *c;
    if (c->kind == SW_SEARCH_GRID) return SW_OK;
    size_t dims = (size_t)(S->n_space ? S->n_space : 1);
    s->n_dims = S->n_space;
    s->space = calloc(dims, sizeof *s->space);
    s->space_sobol_dim = calloc(dims, sizeof *s->space_sobol_dim);
    s->points = calloc((size_t)(S->n_points ? S->n_points : 1), sizeof *s->points);
    if (!s->space || !s->space_sobol_dim || !s->points) return SW_ENOMEM;
    for (int i = 0; i < S->n_space; i++) {
        const space_entry *en = &S->space[i];
        bool choice = en->dist == SW_DIST_CHOICE;
        s->space[i] = (sw_tpe_dim){en->dist, choice ? 0 : en->lo, choice ? en->options.n_points - 1 : en->hi,
                                   choice ? en->options.n_points : 0};
        s->space_sobol_dim[i] = en->dim;
        if (!choice) s->n_space_keys++;
        else s->n_space_keys += en->options.n_keys;
    }
    if (c->kind == SW_SEARCH_PBT) {
        int rc = pbt_keys_into(S, s);
        if (rc) return rc;
        /* member m's own seed (initial weights, data order, dropout draws): seed + m */
        for (int m = 0; m < s->n_runs; m++) s->runs[m].cfg.seed += m;
    }
    int n_start = c->kind == SW_SEARCH_TPE ? c->startup : c->kind == SW_SEARCH_PBT ? c->population : c->samples;
    for (int k = 0; k < S->n_points; k++, s->n_points++) {
        int rc = describe_point(S, s, k, n_start);
        if (rc) return rc;
    }
    for (int i = s->n_runs - 1; i >= 0; i--) { /* a point's runs are consecutive */
        sw_search_point *p = &s->points[s->runs[i].point];
        p->first_run = i;
        p->n_runs++;
        s->runs[i].round = p->round;
    }
    s->n_rounds = sw_search_rounds(c);
    return c->kind == SW_SEARCH_TPE ? check_search_metric(S, e, s) : SW_OK;
}
