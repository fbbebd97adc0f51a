/* keys.h: the keys of a sweep file (base:, grid:, zip:, exclude:, space:, --set) resolved
 * against the config schema (config.h): canonical ("model.hidden"), any dotted suffix that
 * names one key ("hidden"), or a section ("model") holding a mapping of its keys; and what
 * they assign: (key, value node) pairs applied to a config, messages pointing at the value.
 * Internal to the plan's files (config.h resolves a key by name alone). */
#ifndef SWEEP_KEYS_H
#define SWEEP_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "yamltree.h"

/* What a key in the file names: one config key, or a section of them. */
typedef struct {
    const sw_key_info *leaf;
    char section[160];
} resolved;

/* True when name is a section: a proper dotted prefix of some key (task, model, train,
 * train.schedule, record). */
bool sw_is_section(const char *name);

/* Resolves keynode within `prefix` ("" at the top) into *out: a key or a section. Short
 * forms (any unambiguous dotted suffix) are accepted when allow_short. SW_ECONFIG with a
 * message (did you mean, the section's keys) pointing at keynode. */
int sw_resolve_key_at(errbuf *e, const char *prefix, const node *keynode, bool allow_short, resolved *out);

typedef struct {
    const sw_key_info *key;
    const node *value;
    const node *keynode;
} assign;

typedef struct {
    assign *a;
    int n, cap;
} assigns;

int sw_assigns_push(assigns *s, const sw_key_info *key, const node *keynode, const node *value);

/* The assignment of `key` (dotted, canonical) in s, or NULL. */
const assign *sw_assigns_find(const assigns *s, const char *key);

/* Whether v, the value of key k (NULL for a section), lists several values rather than
 * being one (see keys.c). */
bool sw_lists_values(const sw_key_info *k, const node *v);

/* Sets key k of cfg from the value node v; messages point at v. */
int sw_apply_value(errbuf *e, sw_config *cfg, const sw_key_info *k, const node *v);

/* Applies every assignment of s to cfg, in order. */
int sw_apply_all(errbuf *e, sw_config *cfg, const assigns *s);

/* Adds to out what the mapping `map` under prefix assigns (each key once). */
int sw_collect(errbuf *e, const char *prefix, const node *map, bool allow_short, assigns *out);

/* Adds what one (key, value) entry under prefix assigns: a key, a section's mapping, or a
 * section's one-value shorthand (`schedule: cosine`). */
int sw_collect_entry(errbuf *e, const char *prefix, const node *k, const node *v, bool allow_short, assigns *out);

/* Whether v can be the value of what r names: anything for a key (its type is checked when
 * applied), a mapping of its keys or its shorthand for a section. */
bool sw_fits(const resolved *r, const node *v);

/* Adds to out what v, the value of key node k resolved as r, assigns (sw_fits checked). */
int sw_value_assigns(errbuf *e, const resolved *r, const node *k, const node *v, assigns *out);

/* A section of a sweep file with a key table of its own (search:, stop:), and where to put
 * what it says. */
typedef struct {
    const char *section;      /* "search": its keys are "search.KEY" */
    const sw_key_info *keys;  /* the table (sw_key_set's rules; offsets into *values) */
    size_t n;
    void *values;             /* the section's settings */
    const node **at;          /* [n]: where each key was written (its value node) */
    const char *example;      /* a mapping for messages: "{kind: sobol, samples: 32}" */
} sw_section_keys;

/* One entry of the section (or a --set SECTION.KEY=VALUE): name is the key without
 * "SECTION."; an unknown name gets "did you mean" within two edits, else the list. */
int sw_section_entry(const sw_section_keys *t, errbuf *e, const node *keynode, const char *name, const node *v);

/* The section's mapping v, entry by entry; *section = v once it is one. */
int sw_section_entries(const sw_section_keys *t, errbuf *e, const node *v, const node **section);

#endif
