/* keys.c: the keys of a sweep file resolved against the schema, and what they assign
 * (see keys.h). */
#include "keys.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- keys ------------------------------------------------------------------------- */

/* A section is a proper dotted prefix of some key: task, model, train, train.schedule,
 * record. */
bool sw_is_section(const char *name)
{
    size_t n = strlen(name);
    if (!n) return false;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (!strncmp(sw_schema[i].key, name, n) && sw_schema[i].key[n] == '.') return true;
    return false;
}

/* Lists the keys of a section ("cell, hidden, layers, dropout") for a message. */
static void section_keys(const char *section, char *out, size_t outlen)
{
    size_t n = strlen(section), used = 0;
    out[0] = 0;
    for (size_t i = 0; i < sw_schema_len && used < outlen; i++)
        if (!strncmp(sw_schema[i].key, section, n) && sw_schema[i].key[n] == '.')
            used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", sw_schema[i].key + n + 1);
}

/* Resolves `keynode` within `prefix` ("" at the top). Short forms (any unambiguous dotted
 * suffix) are accepted when allow_short. */
int sw_resolve_key_at(errbuf *e, const char *prefix, const node *keynode, bool allow_short, resolved *out)
{
    memset(out, 0, sizeof *out);
    const char *name = keynode->text;
    char full[160];
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", name);
    if (!*name) return sw_fail_at(e, keynode, "empty key");
    if ((out->leaf = sw_schema_find(full))) return SW_OK;
    if (sw_is_section(full)) {
        snprintf(out->section, sizeof out->section, "%s", full);
        return SW_OK;
    }
    if (allow_short && !*prefix) {
        const sw_key_info *leaf = NULL;
        const char *sec = NULL;
        char candidates[512] = "";
        int count = 0;
        const char *const *sections = sw_schema_sections;
        for (size_t i = 0; i < sw_schema_len; i++)
            if (sw_key_has_suffix(sw_schema[i].key, name)) {
                leaf = &sw_schema[i];
                count++;
                size_t u = strlen(candidates);
                snprintf(candidates + u, sizeof candidates - u, "%s%s", u ? ", " : "", sw_schema[i].key);
            }
        for (int i = 0; sections[i]; i++)
            if (sw_key_has_suffix(sections[i], name)) {
                sec = sections[i];
                count++;
                size_t u = strlen(candidates);
                snprintf(candidates + u, sizeof candidates - u, "%s%s", u ? ", " : "", sections[i]);
            }
        if (count > 1) return sw_fail_at(e, keynode, "key \"%s\" is ambiguous: it could be %s; write the full name", name, candidates);
        if (count == 1) {
            if (sec) {
                snprintf(out->section, sizeof out->section, "%s", sec);
                return SW_OK;
            }
            out->leaf = leaf;
            return SW_OK;
        }
    }
    const char *near = sw_schema_suggest(full);
    if (near) return sw_fail_at(e, keynode, "unknown key \"%s\"; did you mean \"%s\"?", full, near);
    if (*prefix) {
        char keys[512];
        section_keys(prefix, keys, sizeof keys);
        return sw_fail_at(e, keynode, "unknown key \"%s\"; the keys of %s are: %s", full, prefix, keys);
    }
    return sw_fail_at(e, keynode, "unknown key \"%s\"; see docs/config.md or `sweep help keys` for the keys", full);
}

/* ---- assignments ------------------------------------------------------------------ */

int sw_assigns_push(assigns *s, const sw_key_info *key, const node *keynode, const node *value)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        assign *a = realloc(s->a, (size_t)cap * sizeof *a);
        if (!a) return SW_ENOMEM;
        s->a = a, s->cap = cap;
    }
    s->a[s->n++] = (assign){key, value, keynode};
    return SW_OK;
}

const assign *sw_assigns_find(const assigns *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->a[i].key->key, key)) return &s->a[i];
    return NULL;
}

/* Sections that also take a single value, standing for one of their keys: `schedule:
 * cosine` is `schedule: {kind: cosine}`, as a schedule is mostly picked by its kind with
 * the other keys left at their defaults. */
static const struct {
    const char *section, *key;
} shorthands[] = {
    {"train.schedule", "train.schedule.kind"},
};

/* The key that v, written as the value of `section`, sets; NULL unless v is a single value
 * and the section has a shorthand. */
static const sw_key_info *shorthand_key(const char *section, const node *v)
{
    if (v->kind != NODE_SCALAR) return NULL;
    for (size_t i = 0; i < SW_ARRAY_LEN(shorthands); i++)
        if (!strcmp(section, shorthands[i].section)) return sw_schema_find(shorthands[i].key);
    return NULL;
}

/* Whether v, the value of key k (NULL for a section), lists several values rather than
 * being one: any list, except that a list-typed key (milestones) takes a list as one value,
 * so only a list of lists lists several. Decides what an exclude entry matches any of and
 * when a --set makes an axis. */
bool sw_lists_values(const sw_key_info *k, const node *v)
{
    if (v->kind != NODE_SEQ) return false;
    if (!k || (k->type != SW_TYPE_INT_LIST && k->type != SW_TYPE_FLOAT_LIST)) return true;
    return v->n > 0 && v->items[0]->kind == NODE_SEQ;
}

/* The short name of the per-epoch table of key k ("clip_values"; "values" for train.lr under
 * kind table), or NULL when no table gives k's value per epoch. */
static const char *per_epoch_table_of(const sw_key_info *k)
{
    for (size_t i = 0; i < sw_schema_len; i++)
        if (sw_schema[i].type == SW_TYPE_FLOAT_LIST && !strcmp(sw_schema[i].per_epoch_of, k->key))
            return strrchr(sw_schema[i].key, '.') + 1;
    return NULL;
}

/* A per-epoch table written as a YAML list: every item a number (a message at the item that
 * is not), then the key's own checks (each value in range: at the list). */
static int apply_table(errbuf *e, sw_config *cfg, const sw_key_info *k, const node *v)
{
    char err[600];
    double *vals = malloc((size_t)(v->n ? v->n : 1) * sizeof *vals);
    if (!vals) return sw_fail_at(e, v, "out of memory");
    for (int i = 0; i < v->n; i++) {
        const node *it = v->items[i];
        char *end = NULL;
        if (it->kind == NODE_SCALAR && !it->quoted && *it->text) vals[i] = strtod(it->text, &end);
        if (!end || *end || !isfinite(vals[i])) {
            free(vals);
            return sw_fail_at(e, it, "%s: item %d, %s%s%s, is not a number; allowed: a list of numbers, one per "
                              "epoch, e.g. [0.01, 0.01, 0.005]", k->key, i + 1, it->quoted ? "the quoted \"" : "",
                              it->kind == NODE_SCALAR ? it->text : sw_node_describe(it), it->quoted ? "\"" : "");
        }
    }
    int rc = sw_config_set_floats(cfg, k, vals, v->n, err, sizeof err);
    free(vals);
    if (rc) return sw_fail_at(e, v, "%s", err);
    return SW_OK;
}

/* Applies one value node to cfg; messages point at the node. */
int sw_apply_value(errbuf *e, sw_config *cfg, const sw_key_info *k, const node *v)
{
    char err[600];
    int rc;
    if (k->type == SW_TYPE_INT_LIST && v->kind == NODE_SEQ) {
        long long vals[SW_MAX_MILESTONES];
        if (v->n > SW_MAX_MILESTONES)
            return sw_fail_at(e, v, "%s: %d values; allowed: at most %d", k->key, v->n, SW_MAX_MILESTONES);
        for (int i = 0; i < v->n; i++) {
            const node *it = v->items[i];
            if (it->kind != NODE_SCALAR || it->quoted || !*it->text)
                return sw_fail_at(e, it, "%s: each item must be an integer epoch, e.g. [20, 40]", k->key);
            char *end;
            errno = 0;
            vals[i] = strtoll(it->text, &end, 10);
            if (*end || errno)
                return sw_fail_at(e, it, "%s: \"%s\" is not an integer; allowed: a list of integers, e.g. [20, 40]",
                               k->key, it->text);
        }
        rc = sw_config_set_list(cfg, k, vals, v->n, err, sizeof err);
        if (rc) return sw_fail_at(e, v, "%s", err);
        return SW_OK;
    }
    if (k->type == SW_TYPE_FLOAT_LIST && v->kind == NODE_SEQ) return apply_table(e, cfg, k, v);
    if (v->kind != NODE_SCALAR) {
        if (v->kind == NODE_SEQ && sw_schema_find(k->key) && per_epoch_table_of(k))
            return sw_fail_at(e, v, "%s: expected a single value, got a list; a value per epoch is written as "
                              "train.schedule.%s, or to sweep over several values put the key under grid:", k->key,
                              per_epoch_table_of(k));
        if (v->kind == NODE_SEQ)
            return sw_fail_at(e, v, "%s: expected a single value, got a list; to sweep over several values put "
                           "the key under grid:", k->key);
        return sw_fail_at(e, v, "%s: expected a single value, got a mapping", k->key);
    }
    rc = sw_config_set(cfg, k, v->text, v->quoted, err, sizeof err);
    if (rc) return sw_fail_at(e, v, "%s", err);
    return SW_OK;
}

/* Adds what (key, value) assigns within prefix: a leaf, a section's mapping, or the
 * `schedule: cosine` shorthand for the schedule's kind. */
int sw_collect_entry(errbuf *e, const char *prefix, const node *k, const node *v, bool allow_short, assigns *out)
{
    resolved r;
    int rc = sw_resolve_key_at(e, prefix, k, allow_short, &r);
    if (rc) return rc;
    if (!r.leaf && v->kind == NODE_MAP) return sw_collect(e, r.section, v, false, out);
    const sw_key_info *key = r.leaf ? r.leaf : shorthand_key(r.section, v);
    if (!key) {
        char keys[512];
        section_keys(r.section, keys, sizeof keys);
        return sw_fail_at(e, v, "%s is a section: expected a mapping of its keys (%s), got %s", r.section, keys,
                       sw_node_describe(v));
    }
    const assign *prev = sw_assigns_find(out, key->key);
    if (prev)
        return sw_fail_at(e, k, "%s is set twice (first at line %d, column %d)", key->key, prev->keynode->line,
                       prev->keynode->col);
    if (v->kind == NODE_MAP) return sw_fail_at(e, v, "%s: expected a single value, got a mapping", key->key);
    return sw_assigns_push(out, key, k, v);
}

int sw_collect(errbuf *e, const char *prefix, const node *map, bool allow_short, assigns *out)
{
    for (int i = 0; i < MAP_LEN(map); i++) {
        int rc = sw_collect_entry(e, prefix, MAP_KEY(map, i), MAP_VAL(map, i), allow_short, out);
        if (rc) return rc;
    }
    return SW_OK;
}

/* Whether v can be the value of what r names: anything for a key (its type is checked when
 * applied), a mapping of its keys or its shorthand for a section. */
bool sw_fits(const resolved *r, const node *v)
{
    return r->leaf || v->kind == NODE_MAP || shorthand_key(r->section, v);
}

/* Adds to out what v, the value of key node k resolved as r, assigns: a key takes v as it
 * is, a section the keys of its mapping or its shorthand. The caller has checked sw_fits(). */
int sw_value_assigns(errbuf *e, const resolved *r, const node *k, const node *v, assigns *out)
{
    if (r->leaf) return sw_assigns_push(out, r->leaf, k, v);
    if (v->kind == NODE_MAP) return sw_collect(e, r->section, v, false, out);
    return sw_assigns_push(out, shorthand_key(r->section, v), k, v);
}

int sw_apply_all(errbuf *e, sw_config *cfg, const assigns *s)
{
    for (int i = 0; i < s->n; i++) {
        int rc = sw_apply_value(e, cfg, s->a[i].key, s->a[i].value);
        if (rc) return rc;
    }
    return SW_OK;
}

/* ---- sections with a key table of their own (search:, stop:) -------------------------- */

/* "kind, samples, seed, digital_shift": the table's keys without "SECTION." */
static void section_key_list(const sw_section_keys *t, char *out, size_t outlen)
{
    size_t used = 0, skip = strlen(t->section) + 1;
    out[0] = 0;
    for (size_t i = 0; i < t->n && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", t->keys[i].key + skip);
}

int sw_section_entry(const sw_section_keys *t, errbuf *e, const node *keynode, const char *name, const node *v)
{
    size_t skip = strlen(t->section) + 1, found = t->n;
    for (size_t i = 0; i < t->n && !strchr(name, '.'); i++)
        if (!strcmp(name, t->keys[i].key + skip)) found = i;
    if (found == t->n) {
        const char *best = NULL;
        int best_d = 3;
        for (size_t i = 0; i < t->n; i++) {
            int d = sw_edit_distance(name, t->keys[i].key + skip);
            if (d < best_d) best_d = d, best = t->keys[i].key + skip;
        }
        char list[128];
        section_key_list(t, list, sizeof list);
        if (best) return sw_fail_at(e, keynode, "%s: unknown key \"%s\"; did you mean \"%s\"?", t->section, name, best);
        return sw_fail_at(e, keynode, "%s: unknown key \"%s\"; allowed: %s", t->section, name, list);
    }
    const sw_key_info *k = &t->keys[found];
    if (v->kind != NODE_SCALAR) return sw_fail_at(e, v, "%s: expected a single value, got %s", k->key, sw_node_describe(v));
    char err[600];
    if (sw_key_set(t->values, k, v->text, v->quoted, err, sizeof err)) return sw_fail_at(e, v, "%s", err);
    t->at[found] = v;
    return SW_OK;
}

int sw_section_entries(const sw_section_keys *t, errbuf *e, const node *v, const node **section)
{
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0) {
        char list[128];
        section_key_list(t, list, sizeof list);
        return sw_fail_at(e, v, "%s: expected a mapping of %s, e.g. %s: %s, got %s", t->section, list, t->section,
                          t->example, v->kind == NODE_MAP ? "an empty mapping" : sw_node_describe(v));
    }
    *section = v;
    for (int i = 0; i < MAP_LEN(v); i++) {
        int rc = sw_section_entry(t, e, MAP_KEY(v, i), MAP_KEY(v, i)->text, MAP_VAL(v, i));
        if (rc) return rc;
    }
    return SW_OK;
}
