/* sweepspec.c: reading a sweep file with libyaml's event API into a small tree that keeps
 * every node's position, then resolving keys against the schema (config.h), building the
 * grid and zip axes, applying --set overrides and expanding the runs.
 *
 * The event API (not the document API) is used because it shows anchors, aliases and
 * tags, which the sweep language rejects, and lets duplicate keys be caught with their
 * positions. Everything is checked before a run list is returned, so a caller that gets
 * SW_OK can start work knowing no config error will surface later. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sweepspec.h"
#include "data.h"
#include "sample.h"
#include "stopping.h"
#include "task.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common.h"

#define MAX_DEPTH 32
#define MAX_ID_LEN 80

/* ---- the tree ------------------------------------------------------------------- */

typedef enum { NODE_SCALAR, NODE_SEQ, NODE_MAP } node_kind;

typedef struct node {
    node_kind kind;
    char *text;        /* scalar text */
    bool quoted;       /* any non-plain scalar style: a string, never a number or boolean */
    const char *src;   /* file name, or the "--set KEY=VALUE" it came from */
    bool cli;          /* from --set: positions are within the value, not a file */
    int line, col;     /* 1-based */
    struct node **items; /* SEQ: items; MAP: key, value, key, value, ... */
    int n, cap;
} node;

static void node_free(node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) node_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

static int node_push(node *parent, node *child)
{
    if (parent->n == parent->cap) {
        int cap = parent->cap ? 2 * parent->cap : 8;
        node **items = realloc(parent->items, (size_t)cap * sizeof *items);
        if (!items) return SW_ENOMEM;
        parent->items = items, parent->cap = cap;
    }
    parent->items[parent->n++] = child;
    return SW_OK;
}

/* Entries of a mapping. */
#define MAP_LEN(m) ((m)->n / 2)
#define MAP_KEY(m, i) ((m)->items[2 * (i)])
#define MAP_VAL(m, i) ((m)->items[2 * (i) + 1])

/* ---- messages --------------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
} errbuf;

/* A --set value "0.001,0.01" (a plain scalar with commas) that did not fit its key was
 * probably meant as several values: "; for several values (a grid axis) write --set
 * 'lr=[0.001, 0.01]'" into out, else "". */
static void comma_hint(const node *where, char *out, size_t outlen)
{
    out[0] = 0;
    const char *eq = where && where->src ? strchr(where->src, '=') : NULL;
    if (!where || !where->cli || where->kind != NODE_SCALAR || where->quoted || !where->text ||
        !strchr(where->text, ',') || strncmp(where->src, "--set ", 6) || !eq)
        return;
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - where->src - 6), where->src + 6);
    const sw_key_info *k = sw_resolve_key(key);
    size_t n = (size_t)snprintf(out, outlen, "; %s --set '%s=[",
                                k && k->type == SW_TYPE_INT_LIST ? "a list is written in brackets:"
                                                                 : "for several values (a grid axis) write",
                                key);
    for (const char *t = where->text; *t && n < outlen; t++) {
        if (*t == ',') n += (size_t)snprintf(out + n, outlen - n, ", ");
        else if (*t != ' ') n += (size_t)snprintf(out + n, outlen - n, "%c", *t);
    }
    if (n < outlen) snprintf(out + n, outlen - n, "]'");
}

/* "FILE:LINE:COL: message", or "--set K=V: message" for nodes from the command line. */
SW_PRINTF(3, 4)
static int fail_at(errbuf *e, const node *where, const char *fmt, ...)
{
    char text[1024], hint[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!e->err || !e->errlen) return SW_ECONFIG;
    comma_hint(where, hint, sizeof hint);
    if (!where)
        snprintf(e->err, e->errlen, "%s", text);
    else if (where->cli)
        snprintf(e->err, e->errlen, "%s: %s%s", where->src, text, hint);
    else
        snprintf(e->err, e->errlen, "%s:%d:%d: %s", where->src, where->line, where->col, text);
    return SW_ECONFIG;
}

SW_PRINTF(5, 6)
static int fail_mark(errbuf *e, const char *src, bool cli, yaml_mark_t mark, const char *fmt, ...)
{
    node where = {0};
    where.src = src, where.cli = cli;
    where.line = (int)mark.line + 1, where.col = (int)mark.column + 1;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return fail_at(e, &where, "%s", text);
}

static const char *describe_node(const node *n)
{
    switch (n->kind) {
    case NODE_SCALAR: return "a single value";
    case NODE_SEQ: return "a list";
    default: return "a mapping";
    }
}

/* ---- reading YAML ------------------------------------------------------------------ */

typedef struct {
    yaml_parser_t parser;
    const char *src;
    bool cli;
    errbuf *e;
    const char *text; /* what is read (for messages about tabs) */
    size_t len;
} reader;

/* libyaml's message when a tab stops it ("found character that cannot start any token"
 * at a tab, or its own words about a tab) made plain: YAML indents with spaces only. */
static int tab_error(reader *r, yaml_mark_t mark)
{
    size_t at = mark.index < r->len ? mark.index : r->len;
    size_t start = at;
    while (start > 0 && r->text[start - 1] != '\n') start--;
    bool indent = true; /* only blanks before the tab on its line */
    for (size_t i = start; i < at; i++) indent &= r->text[i] == ' ' || r->text[i] == '\t';
    return fail_mark(r->e, r->src, r->cli, mark, "%s",
                     indent ? "tabs are not allowed in YAML indentation; indent with spaces"
                            : "a tab is not allowed here in YAML; use spaces (a tab may only separate values)");
}

static int next_event(reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev)) return SW_OK;
    const yaml_parser_t *p = &r->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    size_t at = p->problem_mark.index;
    if ((r->text && at < r->len && r->text[at] == '\t') || strstr(problem, "tab")) return tab_error(r, p->problem_mark);
    if (p->context)
        return fail_mark(r->e, r->src, r->cli, p->problem_mark, "YAML syntax error: %s (%s at line %d, column %d)",
                         problem, p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return fail_mark(r->e, r->src, r->cli, p->problem_mark, "YAML syntax error: %s", problem);
}

static node *new_node(reader *r, node_kind kind, yaml_mark_t mark)
{
    node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->src = r->src;
    n->cli = r->cli;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    return n;
}

/* Rejects what the sweep language leaves out: anchors (and with them aliases) and tags,
 * whose meaning differs between YAML tools. */
static int check_props(reader *r, const yaml_event_t *ev, const yaml_char_t *anchor, const yaml_char_t *tag,
                       bool implicit_tag)
{
    if (anchor)
        return fail_mark(r->e, r->src, r->cli, ev->start_mark,
                         "anchors (&%s) are not supported in sweep files; write each value out", (const char *)anchor);
    if (tag && !implicit_tag)
        return fail_mark(r->e, r->src, r->cli, ev->start_mark,
                         "tags (%s) are not supported in sweep files; values are typed by their key", (const char *)tag);
    return SW_OK;
}

static int read_node(reader *r, yaml_event_t *ev, int depth, node **out);

static int read_collection(reader *r, node *n, yaml_event_type_t end, int depth)
{
    for (;;) {
        yaml_event_t ev;
        int rc = next_event(r, &ev);
        if (rc) return rc;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return SW_OK;
        }
        node *child = NULL;
        rc = read_node(r, &ev, depth + 1, &child);
        yaml_event_delete(&ev);
        if (rc) return rc;
        if ((rc = node_push(n, child))) {
            node_free(child);
            return rc;
        }
        if (n->kind == NODE_MAP && n->n % 2 == 1) {
            /* A key: a plain name, and not one seen before in this mapping. */
            if (child->kind != NODE_SCALAR)
                return fail_at(r->e, child, "a key must be a plain name, not %s", describe_node(child));
            for (int i = 0; i + 1 < n->n; i += 2)
                if (!strcmp(n->items[i]->text, child->text))
                    return fail_at(r->e, child, "duplicate key \"%s\" (first at line %d, column %d)", child->text,
                                   n->items[i]->line, n->items[i]->col);
        }
    }
}

static int read_node(reader *r, yaml_event_t *ev, int depth, node **out)
{
    *out = NULL;
    if (depth > MAX_DEPTH) return fail_mark(r->e, r->src, r->cli, ev->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
    int rc;
    node *n = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return fail_mark(r->e, r->src, r->cli, ev->start_mark,
                         "aliases (*%s) are not supported in sweep files; write the value out",
                         (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        if ((rc = check_props(r, ev, ev->data.scalar.anchor, ev->data.scalar.tag,
                              ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit)))
            return rc;
        if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
            return fail_mark(r->e, r->src, r->cli, ev->start_mark, "a value contains a NUL character");
        if (!(n = new_node(r, NODE_SCALAR, ev->start_mark))) return SW_ENOMEM;
        n->text = strdup((const char *)ev->data.scalar.value);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (!n->text) {
            node_free(n);
            return SW_ENOMEM;
        }
        *out = n;
        return SW_OK;
    case YAML_SEQUENCE_START_EVENT:
        if ((rc = check_props(r, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag,
                              ev->data.sequence_start.implicit)))
            return rc;
        if (!(n = new_node(r, NODE_SEQ, ev->start_mark))) return SW_ENOMEM;
        rc = read_collection(r, n, YAML_SEQUENCE_END_EVENT, depth);
        break;
    case YAML_MAPPING_START_EVENT:
        if ((rc = check_props(r, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag,
                              ev->data.mapping_start.implicit)))
            return rc;
        if (!(n = new_node(r, NODE_MAP, ev->start_mark))) return SW_ENOMEM;
        rc = read_collection(r, n, YAML_MAPPING_END_EVENT, depth);
        break;
    default:
        return fail_mark(r->e, r->src, r->cli, ev->start_mark, "unexpected YAML event");
    }
    if (rc) {
        node_free(n);
        return rc;
    }
    *out = n;
    return SW_OK;
}

/* Parses one YAML document. *root is NULL for an empty stream. */
static int read_yaml(const char *text, size_t len, const char *src, bool cli, errbuf *e, node **root)
{
    *root = NULL;
    reader r = {.src = src, .cli = cli, .e = e, .text = text, .len = len};
    if (!yaml_parser_initialize(&r.parser)) return SW_ENOMEM;
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_event_t ev;
    int rc = SW_OK;
    node *doc = NULL;
    bool started = false;
    for (;;) {
        if ((rc = next_event(&r, &ev))) break;
        yaml_event_type_t type = ev.type;
        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (type == YAML_DOCUMENT_START_EVENT) {
            if (started) {
                rc = fail_mark(e, src, cli, ev.start_mark,
                               "a second YAML document (after ---); a sweep file holds one document");
                yaml_event_delete(&ev);
                break;
            }
            started = true;
        } else if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
                   type == YAML_MAPPING_START_EVENT || type == YAML_ALIAS_EVENT) {
            rc = read_node(&r, &ev, 0, &doc);
            if (rc) {
                yaml_event_delete(&ev);
                break;
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&r.parser);
    if (rc) {
        node_free(doc);
        return rc;
    }
    *root = doc;
    return SW_OK;
}

/* ---- keys ------------------------------------------------------------------------- */

static bool ends_with_component(const char *key, const char *suffix)
{
    size_t k = strlen(key), s = strlen(suffix);
    if (s > k) return false;
    if (strcmp(key + k - s, suffix)) return false;
    return s == k || key[k - s - 1] == '.';
}

/* A section is a proper dotted prefix of some key: task, model, train, train.schedule,
 * record. */
static bool is_section(const char *name)
{
    size_t n = strlen(name);
    if (!n) return false;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (!strncmp(sw_schema[i].key, name, n) && sw_schema[i].key[n] == '.') return true;
    return false;
}

const sw_key_info *sw_resolve_key(const char *name)
{
    const sw_key_info *k = sw_schema_find(name);
    if (k) return k;
    const sw_key_info *found = NULL;
    for (size_t i = 0; i < sw_schema_len; i++)
        if (ends_with_component(sw_schema[i].key, name)) {
            if (found) return NULL;
            found = &sw_schema[i];
        }
    return found;
}

const sw_key_info *sw_resolve_key_explained(const char *name, char *err, size_t errlen)
{
    const sw_key_info *k = sw_resolve_key(name);
    if (k) return k;
    char candidates[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < sw_schema_len && used < sizeof candidates; i++)
        if (*name && ends_with_component(sw_schema[i].key, name))
            used += (size_t)snprintf(candidates + used, sizeof candidates - used, "%s%s", used ? ", " : "",
                                     sw_schema[i].key);
    if (used) {
        sw_set_error(err, errlen, "key '%s' is ambiguous: it could be %s; write the full name", name, candidates);
        return NULL;
    }
    const char *near = sw_schema_suggest(name);
    if (near)
        sw_set_error(err, errlen, "unknown key '%s' (did you mean '%s'?)", name, near);
    else
        sw_set_error(err, errlen, "unknown key '%s'; `sweep help keys` lists the keys", name);
    return NULL;
}

void sw_short_key(const char *canonical, char *out, size_t outlen)
{
    /* Try suffixes from the last component outward. */
    const char *p = canonical + strlen(canonical);
    for (;;) {
        while (p > canonical && p[-1] != '.') p--;
        int matches = 0;
        for (size_t i = 0; i < sw_schema_len; i++) matches += ends_with_component(sw_schema[i].key, p);
        if (matches == 1 || p == canonical) break;
        p--; /* step over the dot to take one more component */
    }
    snprintf(out, outlen, "%s", p);
}

/* What a key in the file names: one config key, or a section of them. */
typedef struct {
    const sw_key_info *leaf;
    char section[160];
} resolved;

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
static int resolve_key(errbuf *e, const char *prefix, const node *keynode, bool allow_short, resolved *out)
{
    memset(out, 0, sizeof *out);
    const char *name = keynode->text;
    char full[160];
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", name);
    if (!*name) return fail_at(e, keynode, "empty key");
    if ((out->leaf = sw_schema_find(full))) return SW_OK;
    if (is_section(full)) {
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
            if (ends_with_component(sw_schema[i].key, name)) {
                leaf = &sw_schema[i];
                count++;
                size_t u = strlen(candidates);
                snprintf(candidates + u, sizeof candidates - u, "%s%s", u ? ", " : "", sw_schema[i].key);
            }
        for (int i = 0; sections[i]; i++)
            if (ends_with_component(sections[i], name)) {
                sec = sections[i];
                count++;
                size_t u = strlen(candidates);
                snprintf(candidates + u, sizeof candidates - u, "%s%s", u ? ", " : "", sections[i]);
            }
        if (count > 1) return fail_at(e, keynode, "key \"%s\" is ambiguous: it could be %s; write the full name", name, candidates);
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
    if (near) return fail_at(e, keynode, "unknown key \"%s\"; did you mean \"%s\"?", full, near);
    if (*prefix) {
        char keys[512];
        section_keys(prefix, keys, sizeof keys);
        return fail_at(e, keynode, "unknown key \"%s\"; the keys of %s are: %s", full, prefix, keys);
    }
    return fail_at(e, keynode, "unknown key \"%s\"; see docs/config.md or `sweep help keys` for the keys", full);
}

/* ---- assignments ------------------------------------------------------------------ */

typedef struct {
    const sw_key_info *key;
    const node *value;
    const node *keynode;
} assign;

typedef struct {
    assign *a;
    int n, cap;
} assigns;

static int assigns_push(assigns *s, const sw_key_info *key, const node *keynode, const node *value)
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

static const assign *assigns_find(const assigns *s, const char *key)
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
static bool lists_values(const sw_key_info *k, const node *v)
{
    if (v->kind != NODE_SEQ) return false;
    if (!k || k->type != SW_TYPE_INT_LIST) return true;
    return v->n > 0 && v->items[0]->kind == NODE_SEQ;
}

/* Applies one value node to cfg; messages point at the node. */
static int apply_value(errbuf *e, sw_config *cfg, const sw_key_info *k, const node *v)
{
    char err[600];
    int rc;
    if (k->type == SW_TYPE_INT_LIST && v->kind == NODE_SEQ) {
        long long vals[SW_MAX_MILESTONES];
        if (v->n > SW_MAX_MILESTONES)
            return fail_at(e, v, "%s: %d values; allowed: at most %d", k->key, v->n, SW_MAX_MILESTONES);
        for (int i = 0; i < v->n; i++) {
            const node *it = v->items[i];
            if (it->kind != NODE_SCALAR || it->quoted || !*it->text)
                return fail_at(e, it, "%s: each item must be an integer epoch, e.g. [20, 40]", k->key);
            char *end;
            errno = 0;
            vals[i] = strtoll(it->text, &end, 10);
            if (*end || errno)
                return fail_at(e, it, "%s: \"%s\" is not an integer; allowed: a list of integers, e.g. [20, 40]",
                               k->key, it->text);
        }
        rc = sw_config_set_list(cfg, k, vals, v->n, err, sizeof err);
        if (rc) return fail_at(e, v, "%s", err);
        return SW_OK;
    }
    if (v->kind != NODE_SCALAR) {
        if (v->kind == NODE_SEQ)
            return fail_at(e, v, "%s: expected a single value, got a list; to sweep over several values put "
                           "the key under grid:", k->key);
        return fail_at(e, v, "%s: expected a single value, got a mapping", k->key);
    }
    rc = sw_config_set(cfg, k, v->text, v->quoted, err, sizeof err);
    if (rc) return fail_at(e, v, "%s", err);
    return SW_OK;
}

static int collect(errbuf *e, const char *prefix, const node *map, bool allow_short, assigns *out);

/* Adds what (key, value) assigns within prefix: a leaf, a section's mapping, or the
 * `schedule: cosine` shorthand for the schedule's kind. */
static int collect_entry(errbuf *e, const char *prefix, const node *k, const node *v, bool allow_short, assigns *out)
{
    resolved r;
    int rc = resolve_key(e, prefix, k, allow_short, &r);
    if (rc) return rc;
    if (!r.leaf && v->kind == NODE_MAP) return collect(e, r.section, v, false, out);
    const sw_key_info *key = r.leaf ? r.leaf : shorthand_key(r.section, v);
    if (!key) {
        char keys[512];
        section_keys(r.section, keys, sizeof keys);
        return fail_at(e, v, "%s is a section: expected a mapping of its keys (%s), got %s", r.section, keys,
                       describe_node(v));
    }
    const assign *prev = assigns_find(out, key->key);
    if (prev)
        return fail_at(e, k, "%s is set twice (first at line %d, column %d)", key->key, prev->keynode->line,
                       prev->keynode->col);
    if (v->kind == NODE_MAP) return fail_at(e, v, "%s: expected a single value, got a mapping", key->key);
    return assigns_push(out, key, k, v);
}

static int collect(errbuf *e, const char *prefix, const node *map, bool allow_short, assigns *out)
{
    for (int i = 0; i < MAP_LEN(map); i++) {
        int rc = collect_entry(e, prefix, MAP_KEY(map, i), MAP_VAL(map, i), allow_short, out);
        if (rc) return rc;
    }
    return SW_OK;
}

/* Whether v can be the value of what r names: anything for a key (its type is checked when
 * applied), a mapping of its keys or its shorthand for a section. */
static bool fits(const resolved *r, const node *v)
{
    return r->leaf || v->kind == NODE_MAP || shorthand_key(r->section, v);
}

/* Adds to out what v, the value of key node k resolved as r, assigns: a key takes v as it
 * is, a section the keys of its mapping or its shorthand. The caller has checked fits(). */
static int value_assigns(errbuf *e, const resolved *r, const node *k, const node *v, assigns *out)
{
    if (r->leaf) return assigns_push(out, r->leaf, k, v);
    if (v->kind == NODE_MAP) return collect(e, r->section, v, false, out);
    return assigns_push(out, shorthand_key(r->section, v), k, v);
}

static int apply_all(errbuf *e, sw_config *cfg, const assigns *s)
{
    for (int i = 0; i < s->n; i++) {
        int rc = apply_value(e, cfg, s->a[i].key, s->a[i].value);
        if (rc) return rc;
    }
    return SW_OK;
}

/* ---- axes --------------------------------------------------------------------------- */

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

static void axis_clear(axis *a)
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

static int axis_alloc(axis *a, int n_points, const node *where, bool zip)
{
    memset(a, 0, sizeof *a);
    a->points = calloc((size_t)(n_points ? n_points : 1), sizeof *a->points);
    if (!a->points) return SW_ENOMEM;
    a->n_points = n_points;
    a->where = where;
    a->zip = zip;
    return SW_OK;
}

static int axis_finish_keys(axis *a)
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
static int entry_points(errbuf *e, const char *where_name, const node *k, const resolved *r, const node *list,
                        assigns *points)
{
    for (int p = 0; p < list->n; p++) {
        const node *item = list->items[p];
        if (!fits(r, item))
            return fail_at(e, item, "%s: %s is a section: each value must be a mapping of its keys, got %s", where_name,
                           r->section, describe_node(item));
        if (r->leaf && r->leaf->type == SW_TYPE_INT_LIST && item->kind != NODE_SEQ)
            return fail_at(e, item, "%s: %s: each value is itself a list of epochs; write [[20, 40], [30]]",
                           where_name, r->leaf->key);
        if (r->leaf && r->leaf->type != SW_TYPE_INT_LIST && item->kind != NODE_SCALAR)
            return fail_at(e, item, "%s: %s: each value must be a single value, got %s", where_name, r->leaf->key,
                           describe_node(item));
        int rc = value_assigns(e, r, k, item, &points[p]);
        if (rc) return rc;
    }
    return SW_OK;
}

/* where_name ("grid", "zip") prefixes the message; NULL when the location already says
 * where (a --set). */
static int check_list(errbuf *e, const char *where_name, const node *k, const node *v)
{
    const char *w = where_name ? where_name : "", *sep = where_name ? ": " : "";
    if (v->kind != NODE_SEQ)
        return fail_at(e, v, "%s%s%s: expected a list of values, e.g. %s: [a, b], got %s", w, sep, k->text, k->text,
                       describe_node(v));
    if (v->n == 0)
        return fail_at(e, v, "%s%s%s: the list is empty, so the sweep would have no runs; give at least one value", w,
                       sep, k->text);
    return SW_OK;
}

/* The axis already varying key `key`, or -1. */
static int axes_find(const axes *s, const sw_key_info *key)
{
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < s->ax[i].n_keys; j++)
            if (s->ax[i].keys[j] == key) return i;
    return -1;
}

static int axes_push(axes *s, axis *a)
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
        int other = axes_find(s, a->keys[j]);
        if (other >= 0)
            return fail_at(e, at, "%s is already swept (%s at line %d, column %d); a key can vary in one place only",
                           a->keys[j]->key, s->ax[other].zip ? "zip group" : "grid axis", s->ax[other].where->line,
                           s->ax[other].where->col);
    }
    return SW_OK;
}

static int grid_entries(errbuf *e, const char *prefix, const node *map, axes *out);

static int grid_entry(errbuf *e, const char *prefix, const node *k, const node *v, axes *out)
{
    resolved r;
    int rc = resolve_key(e, prefix, k, !*prefix, &r);
    if (rc) return rc;
    if (!r.leaf && v->kind == NODE_MAP) return grid_entries(e, r.section, v, out);
    if ((rc = check_list(e, "grid", k, v))) return rc;
    axis a;
    if ((rc = axis_alloc(&a, v->n, k, false))) return rc;
    if ((rc = entry_points(e, "grid", k, &r, v, a.points)) || (rc = axis_finish_keys(&a)) ||
        (rc = check_overlap(e, out, &a, k)) || (rc = axes_push(out, &a))) {
        axis_clear(&a);
        return rc;
    }
    return SW_OK;
}

static int grid_entries(errbuf *e, const char *prefix, const node *map, axes *out)
{
    for (int i = 0; i < MAP_LEN(map); i++) {
        int rc = grid_entry(e, prefix, MAP_KEY(map, i), MAP_VAL(map, i), out);
        if (rc) return rc;
    }
    return SW_OK;
}

static int zip_group(errbuf *e, const node *group, axes *out)
{
    if (group->kind != NODE_MAP)
        return fail_at(e, group, "zip: each group must be a mapping of keys to lists of equal length, got %s",
                       describe_node(group));
    if (MAP_LEN(group) == 0) return fail_at(e, group, "zip: an empty group; give at least one key with a list");
    int n = -1;
    const node *first = NULL;
    for (int i = 0; i < MAP_LEN(group); i++) {
        const node *k = MAP_KEY(group, i), *v = MAP_VAL(group, i);
        int rc = check_list(e, "zip", k, v);
        if (rc) return rc;
        if (n < 0) {
            n = v->n, first = k;
        } else if (v->n != n) {
            return fail_at(e, k, "zip: lists of unequal length: %s has %d values (line %d) but %s has %d; every list in "
                           "a zip group needs the same length", first->text, n, first->line, k->text, v->n);
        }
    }
    axis a;
    int rc = axis_alloc(&a, n, group, true);
    if (rc) return rc;
    for (int i = 0; i < MAP_LEN(group); i++) {
        const node *k = MAP_KEY(group, i), *v = MAP_VAL(group, i);
        resolved r;
        if ((rc = resolve_key(e, "", k, true, &r))) break;
        if ((rc = entry_points(e, "zip", k, &r, v, a.points))) break;
    }
    if (!rc) {
        for (int p = 0; p < a.n_points && !rc; p++)
            for (int i = 0; i < a.points[p].n && !rc; i++)
                for (int j = 0; j < i && !rc; j++)
                    if (a.points[p].a[i].key == a.points[p].a[j].key)
                        rc = fail_at(e, a.points[p].a[i].keynode, "zip: %s appears twice in this group",
                                     a.points[p].a[i].key->key);
    }
    if (rc || (rc = axis_finish_keys(&a)) || (rc = check_overlap(e, out, &a, group)) || (rc = axes_push(out, &a))) {
        axis_clear(&a);
        return rc;
    }
    return SW_OK;
}

/* ---- exclusions ------------------------------------------------------------------- */

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

static void exclusion_clear(exclusion *x)
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
    int rc = apply_value(e, &scratch, t->key, v);
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

static int exclusion_build(errbuf *e, const node *map, exclusion *x)
{
    memset(x, 0, sizeof *x);
    x->where = map;
    if (map->kind != NODE_MAP)
        return fail_at(e, map, "exclude: each entry must be a mapping of keys to values (a partial run), got %s",
                       describe_node(map));
    if (MAP_LEN(map) == 0) return fail_at(e, map, "exclude: an empty entry would drop every run");
    /* Values are either single values or lists meaning "any of"; resolve keys first
     * (sections allowed), then split lists. */
    for (int i = 0; i < MAP_LEN(map); i++) {
        const node *k = MAP_KEY(map, i), *v = MAP_VAL(map, i);
        resolved r;
        int rc = resolve_key(e, "", k, true, &r);
        if (rc) return rc;
        assigns tmp = {0};
        rc = fits(&r, v) ? value_assigns(e, &r, k, v, &tmp)
                         : fail_at(e, v, "exclude: %s is a section: expected a mapping of its keys", r.section);
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
                if (x->terms[q].key == t->key) rc = fail_at(e, tmp.a[j].keynode, "exclude: %s appears twice in this entry", t->key->key);
            const node *val = tmp.a[j].value;
            if (rc) break;
            if (lists_values(t->key, val)) {
                if (val->n == 0) rc = fail_at(e, val, "exclude: %s: an empty list matches nothing", t->key->key);
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

static bool exclusion_matches(const exclusion *x, const sw_config *cfg)
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

/* ---- run ids ------------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A value as it appears in a run id: compact ("1e-8", "1", "20+40") and safe in a file
 * name on every system. */
static void id_value(const sw_config *cfg, const sw_key_info *k, char *out, size_t outlen)
{
    char text[256];
    sw_config_format(cfg, k, text, sizeof text);
    if (k->type == SW_TYPE_FLOAT) {
        /* "1.0" -> "1", "1.0e-8" -> "1e-8": the YAML-safe ".0" carries nothing here. */
        char *dot0 = strstr(text, ".0");
        if (dot0 && (dot0[2] == 0 || dot0[2] == 'e')) memmove(dot0, dot0 + 2, strlen(dot0 + 2) + 1);
        char *plus = strstr(text, "e+");
        if (plus) memmove(plus + 1, plus + 2, strlen(plus + 2) + 1);
    }
    if (k->type == SW_TYPE_INT_LIST) {
        size_t j = 0;
        for (size_t i = 0; text[i] && j + 1 < outlen; i++) {
            char c = text[i];
            if (c == '[' || c == ']' || c == ' ') continue;
            out[j++] = c == ',' ? '+' : c;
        }
        out[j] = 0;
        if (!j) snprintf(out, outlen, "none");
        return;
    }
    size_t j = 0;
    for (size_t i = 0; text[i] && j + 1 < outlen; i++) {
        char c = text[i];
        out[j++] = (isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '+') ? c : '_';
    }
    out[j] = 0;
}

/* ---- the whole file ----------------------------------------------------------------- */

static bool valid_name(const char *s)
{
    if (!*s || *s == '.' || *s == '-' || strlen(s) > 100) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return false;
    return true;
}

static char *default_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *name = strdup(base);
    if (!name) return NULL;
    char *dot = strrchr(name, '.');
    if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml"))) *dot = 0;
    for (char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') *p = '_';
    if (!*name || *name == '.') {
        free(name);
        name = strdup("sweep");
    }
    return name;
}

void sw_sweep_spec_free(sw_sweep_spec *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_runs; i++) {
        free(s->runs[i].id);
        if (s->runs[i].values)
            for (int j = 0; j < s->n_swept; j++) free(s->runs[i].values[j]);
        free(s->runs[i].values);
    }
    free(s->runs);
    for (int j = 0; j < s->n_swept; j++) {
        free(s->swept_keys[j]);
        if (s->swept_short) free(s->swept_short[j]);
    }
    free(s->swept_keys);
    free(s->swept_short);
    for (int j = 0; j < s->n_warnings; j++) free(s->warnings[j]);
    free(s->warnings);
    for (int k = 0; s->points && k < s->n_points; k++) free(s->points[k].values);
    free(s->points);
    free(s->space);
    free(s->space_sobol_dim);
    free(s->name);
    free(s->description);
    free(s->path);
    free(s->text);
    free(s);
}

/* Keys whose values take part in a cross-key rule, so that a validation error about
 * `bad` can point at whichever of them the user actually wrote. */
static const char *const *related_keys(const char *bad)
{
    static const char *const batch[] = {"train.batch", "task.train_size", NULL};
    static const char *const signal[] = {"task.signal_steps", "task.seq_len", "task.kind", NULL};
    static const char *const miles[] = {"train.schedule.milestones", "train.schedule.kind", NULL};
    static const char *const minlr[] = {"train.schedule.min_lr", "train.lr", "train.schedule.kind", NULL};
    static const char *const nest[] = {"train.nesterov", "train.momentum", "train.optimizer", NULL};
    static const char *const path[] = {"task.path", "task.kind", NULL};
    static const char *const input[] = {"task.input_size", "task.kind", NULL};
    static const char *const steps[] = {"task.seq_len", "task.path", "task.kind", NULL};
    static const char *const sizes[] = {"task.train_size", "task.test_size", "task.path", NULL};
    static const char *const act[] = {"model.activation", "model.cell", NULL};
    static const char *const memory[] = {"task.seq_len", "model.hidden", "task.train_size", "train.batch",
                                         "model.layers", "model.cell", "task.test_size", "task.input_size",
                                         "record.probe_size", "train.epochs", NULL};
    if (!strcmp(bad, "train.batch")) return batch;
    if (!strcmp(bad, "task.signal_steps")) return signal;
    if (!strcmp(bad, "train.schedule.milestones")) return miles;
    if (!strcmp(bad, "train.schedule.min_lr")) return minlr;
    if (!strcmp(bad, "train.nesterov")) return nest;
    if (!strcmp(bad, "task.path") || !strcmp(bad, "task.kind")) return path;
    if (!strcmp(bad, "task.input_size")) return input;
    if (!strcmp(bad, "task.seq_len")) return steps;
    if (!strcmp(bad, "task.train_size") || !strcmp(bad, "task.test_size")) return sizes;
    if (!strcmp(bad, "model.activation")) return act;
    return memory;
}

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
    /* a sampled search */
    sw_search_config search;
    const node *search_node;  /* search: (or the --set that wrote it last) */
    const node *search_at[8]; /* where each sw_search_keys row was written; NULL: default */
    const node *space_node;
    struct space_entry *space; /* the keys of space:, in file order */
    int n_space, n_dims;       /* n_dims: entries parsed, so each keeps its dimension */
    node *synth;               /* sampled values as scalar nodes, [point][range entry] */
    size_t n_synth;
    uint64_t *point_index;     /* per point of the search: its index in the sequence */
    uint32_t *point_hash;      /* and a hash of its values (run ids) */
    int id_width;              /* digits of the largest point index in run ids */
    const sw_search_chosen *chosen; /* tpe: the points chosen after the startup (may be NULL) */
    double *point_values;      /* per point: its internal values, one per space entry */
    int n_points;
    /* early stopping */
    sw_stop_config stop;
    const node *stop_node;     /* stop: (or the --set that wrote it last) */
    const node *stop_at[8];    /* where each sw_stop_keys row was written; NULL: default */
} loader;

/* Where to point for a validation error about `bad` in a run built from `pick`. */
static const node *locate(const loader *L, const int *pick, const char *bad)
{
    const char *const *rel = related_keys(bad);
    const char *const only[] = {bad, NULL};
    for (int pass = 0; pass < 2; pass++) {
        const char *const *keys = pass == 0 ? only : rel;
        for (int q = 0; keys[q]; q++) {
            for (int a = 0; a < L->ax.n; a++) {
                const assign *x = assigns_find(&L->ax.ax[a].points[pick[a]], keys[q]);
                if (x) return x->value;
            }
            const assign *x = assigns_find(&L->overrides, keys[q]);
            if (x) return x->value;
            x = assigns_find(&L->base, keys[q]);
            if (x) return x->value;
        }
    }
    return L->root;
}

/* ---- sampled searches ------------------------------------------------------------ */

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

static int add_warning(sw_sweep_spec *s, const char *text);
static int check_axis_duplicates(loader *L, const axis *a);

/* Where search key `name` was written (its value), NULL when left at its default. */
static const node *search_written(const loader *L, const char *name)
{
    return L->search_at[sw_search_key_find(name) - sw_search_keys];
}

/* A warning in the form of fail_at's messages: "FILE:LINE:COL: warning: ...". */
static int warn_at(loader *L, sw_sweep_spec *s, const node *where, const char *fmt, ...)
{
    char text[900], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!where)
        snprintf(line, sizeof line, "%s: warning: %s", L->path, text);
    else if (where->cli)
        snprintf(line, sizeof line, "%s: warning: %s", where->src, text);
    else
        snprintf(line, sizeof line, "%s:%d:%d: warning: %s", where->src ? where->src : L->path, where->line, where->col,
                 text);
    return add_warning(s, line);
}

static void space_entry_clear(space_entry *e)
{
    axis_clear(&e->options);
    memset(e, 0, sizeof *e);
}

static void search_clear(loader *L)
{
    for (int i = 0; i < L->n_space; i++) space_entry_clear(&L->space[i]);
    free(L->space);
    for (size_t i = 0; L->synth && i < L->n_synth; i++) free(L->synth[i].text);
    free(L->synth);
    free(L->point_index);
    free(L->point_hash);
    free(L->point_values);
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

static const space_entry *space_find(const loader *L, const sw_key_info *k)
{
    for (int i = 0; i < L->n_space; i++) {
        const sw_key_info *const *keys;
        int n = entry_keys(&L->space[i], &keys);
        for (int j = 0; j < n; j++)
            if (keys[j] == k) return &L->space[i];
    }
    return NULL;
}

/* ---- search: */

/* "kind, samples, seed, digital_shift" */
static void search_key_list(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < sw_search_keys_len && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", sw_search_keys[i].key + 7);
}

/* One entry of search: (or a --set search.KEY=VALUE): name is the key without "search.". */
static int search_entry(loader *L, const node *keynode, const char *name, const node *v)
{
    const sw_search_key *k = sw_search_key_find(name);
    if (!k || strchr(name, '.')) {
        const char *best = NULL;
        int best_d = 3;
        for (size_t i = 0; i < sw_search_keys_len; i++) {
            int d = sw_edit_distance(name, sw_search_keys[i].key + 7);
            if (d < best_d) best_d = d, best = sw_search_keys[i].key + 7;
        }
        char list[128];
        search_key_list(list, sizeof list);
        if (best) return fail_at(&L->e, keynode, "search: unknown key \"%s\"; did you mean \"%s\"?", name, best);
        return fail_at(&L->e, keynode, "search: unknown key \"%s\"; allowed: %s", name, list);
    }
    if (v->kind != NODE_SCALAR) return fail_at(&L->e, v, "%s: expected a single value, got %s", k->key, describe_node(v));
    char err[600];
    if (sw_search_set(&L->search, k, v->text, v->quoted, err, sizeof err)) return fail_at(&L->e, v, "%s", err);
    SW_ASSERT(sw_search_keys_len <= SW_ARRAY_LEN(L->search_at));
    L->search_at[k - sw_search_keys] = v;
    return SW_OK;
}

static int search_entries(loader *L, const node *v)
{
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0) {
        char list[128];
        search_key_list(list, sizeof list);
        return fail_at(&L->e, v, "search: expected a mapping of %s, e.g. search: {kind: sobol, samples: 32}, got %s",
                       list, v->kind == NODE_MAP ? "an empty mapping" : describe_node(v));
    }
    L->search_node = v;
    for (int i = 0; i < MAP_LEN(v); i++) {
        int rc = search_entry(L, MAP_KEY(v, i), MAP_KEY(v, i)->text, MAP_VAL(v, i));
        if (rc) return rc;
    }
    return SW_OK;
}

/* ---- stop: */

/* "kind, metric, eta, min_epochs" */
static void stop_key_list(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < sw_stop_keys_len && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", sw_stop_keys[i].key + 5);
}

/* One entry of stop: (or a --set stop.KEY=VALUE): name is the key without "stop.". */
static int stop_entry(loader *L, const node *keynode, const char *name, const node *v)
{
    const sw_key_info *k = sw_stop_key_find(name);
    if (!k || strchr(name, '.')) {
        const char *best = NULL;
        int best_d = 3;
        for (size_t i = 0; i < sw_stop_keys_len; i++) {
            int d = sw_edit_distance(name, sw_stop_keys[i].key + 5);
            if (d < best_d) best_d = d, best = sw_stop_keys[i].key + 5;
        }
        char list[128];
        stop_key_list(list, sizeof list);
        if (best) return fail_at(&L->e, keynode, "stop: unknown key \"%s\"; did you mean \"%s\"?", name, best);
        return fail_at(&L->e, keynode, "stop: unknown key \"%s\"; allowed: %s", name, list);
    }
    if (v->kind != NODE_SCALAR) return fail_at(&L->e, v, "%s: expected a single value, got %s", k->key, describe_node(v));
    char err[600];
    if (sw_stop_set(&L->stop, k, v->text, v->quoted, err, sizeof err)) return fail_at(&L->e, v, "%s", err);
    SW_ASSERT(sw_stop_keys_len <= SW_ARRAY_LEN(L->stop_at));
    L->stop_at[k - sw_stop_keys] = v;
    return SW_OK;
}

static int stop_entries(loader *L, const node *v)
{
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0) {
        char list[128];
        stop_key_list(list, sizeof list);
        return fail_at(&L->e, v, "stop: expected a mapping of %s, e.g. stop: {kind: sha, metric: val_acc, eta: 3, "
                       "min_epochs: 5}, got %s", list, v->kind == NODE_MAP ? "an empty mapping" : describe_node(v));
    }
    L->stop_node = v;
    for (int i = 0; i < MAP_LEN(v); i++) {
        int rc = stop_entry(L, MAP_KEY(v, i), MAP_KEY(v, i)->text, MAP_VAL(v, i));
        if (rc) return rc;
    }
    return SW_OK;
}

/* Where stop key `name` was written (its value), else stop: itself (NULL without). */
static const node *stop_written(const loader *L, const char *name)
{
    const node *at = L->stop_at[sw_stop_key_find(name) - sw_stop_keys];
    return at ? at : L->stop_node;
}

/* After the runs are built: the stop settings fit every run (one train.epochs, above
 * min_epochs; a metric every run records, the same one for all). Fills s->stop*. */
static int check_stop(loader *L, sw_sweep_spec *s)
{
    s->stop = L->stop;
    if (L->stop.kind == SW_STOP_NONE) return SW_OK;
    const sw_config *first = &s->runs[0].cfg;
    for (int i = 0; i < s->n_runs; i++) {
        const sw_run_spec *run = &s->runs[i];
        if (run->cfg.train.epochs != first->train.epochs)
            return fail_at(&L->e, stop_written(L, "kind"), "stop: the runs' rungs are epochs of one train.epochs, but "
                           "it varies (run %s has %d, run %s %d); sweep train.epochs in separate sweeps",
                           s->runs[0].id, first->train.epochs, run->id, run->cfg.train.epochs);
        char err[512];
        sw_stop_metric m;
        sw_metric_mode mode;
        if (sw_stop_resolve_metric(&L->stop, &run->cfg, &m, &mode, err, sizeof err))
            return fail_at(&L->e, stop_written(L, "metric"), "%s", err);
        if (i > 0 && m != s->stop.metric)
            return fail_at(&L->e, stop_written(L, "metric"), "stop.metric auto means %s for run %s but %s for run %s "
                           "(their tasks differ); name the metric", sw_stop_metric_name(s->stop.metric),
                           s->runs[0].id, sw_stop_metric_name(m), run->id);
        s->stop.metric = m;
        s->stop_mode = mode;
    }
    if (L->stop.min_epochs >= first->train.epochs)
        return fail_at(&L->e, stop_written(L, "min_epochs"), "stop.min_epochs: %d is not below train.epochs %d: the "
                       "first rung must come before the end", L->stop.min_epochs, first->train.epochs);
    s->stop_epochs = first->train.epochs;
    return SW_OK;
}

/* ---- space: */

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
    return !is_section(full) && !sw_schema_find(full) && MAP_VAL(v, 0)->kind != NODE_MAP;
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
        return fail_at(e, name, "space: %s: unknown distribution \"%s\"; did you mean \"%s\"? allowed: %s", key,
                       name->text, best, list);
    return fail_at(e, name, "space: %s: unknown distribution \"%s\"; allowed: %s", key, name->text, list);
}

/* Checks that the key fits the distribution's kind of values. */
static int check_range_key(errbuf *e, const sw_sampler_info *d, const sw_key_info *k, const node *at)
{
    bool is_int = k->type == SW_TYPE_INT || k->type == SW_TYPE_INT64;
    if (k->type == SW_TYPE_FLOAT && d->integer)
        return fail_at(e, at, "space: %s takes a float; %s is for integer keys (use uniform or loguniform)", k->key,
                       d->name);
    if (is_int && !d->integer)
        return fail_at(e, at, "space: %s is an integer key; %s draws floats (use int_%s, or choice)", k->key, d->name,
                       d->name);
    if (!is_int && k->type != SW_TYPE_FLOAT)
        return fail_at(e, at, "space: %s takes %s values; only {choice: [...]} samples it", k->key,
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
            snprintf(got, sizeof got, "%s", describe_node(a));
        return fail_at(err, a, "space: %s: %s takes [low, high], got %s", e->key->key, d->name, got);
    }
    double v[2];
    for (int i = 0; i < 2; i++) {
        const node *b = a->items[i];
        char *end = NULL;
        v[i] = (!b->quoted && *b->text) ? strtod(b->text, &end) : NAN;
        bool number = !b->quoted && *b->text && !*end && isfinite(v[i]);
        if (i == 0 && d->log && number && v[i] <= 0)
            return fail_at(err, b, "space: %s: %s needs low > 0 (it samples on a log scale), got %s", e->key->key,
                           d->name, b->text);
        int rc = apply_value(err, &(sw_config){0}, e->key, b);
        if (rc) return rc;
        if (d->integer && fabs(v[i]) > SW_SAMPLE_INT_LIMIT)
            return fail_at(err, b, "space: %s: %s: bounds beyond 2^53 are not supported", e->key->key, d->name);
    }
    if (!(v[0] < v[1]))
        return fail_at(err, a, "space: %s: %s: low %s must be less than high %s", e->key->key, d->name,
                       a->items[0]->text, a->items[1]->text);
    e->lo = v[0], e->hi = v[1];
    return SW_OK;
}

static int space_entries(loader *L, const char *prefix, const node *map);

/* One key of space: (under prefix), or a section's mapping of them. */
static int space_entry_parse(loader *L, const char *prefix, const node *k, const node *v)
{
    errbuf *err = &L->e;
    resolved r;
    int rc = resolve_key(err, prefix, k, !*prefix, &r);
    if (rc) return rc;
    if (!r.leaf && v->kind == NODE_MAP && !is_distribution(r.section, v)) return space_entries(L, r.section, v);
    const char *name = r.leaf ? r.leaf->key : r.section;
    if (v->kind != NODE_MAP)
        return fail_at(err, v, "space: %s: expected a distribution, e.g. {loguniform: [0.0001, 0.01]}, "
                       "{int_uniform: [16, 128]} or {choice: [a, b]}, got %s%s", name, describe_node(v),
                       v->kind == NODE_SEQ ? " (a list of values to try each goes under grid:)" : "");
    if (MAP_LEN(v) != 1)
        return fail_at(err, v, "space: %s: expected one distribution, e.g. {uniform: [0.0, 0.5]}, got %d entries", name,
                       MAP_LEN(v));
    sw_dist_kind dist = sw_sampler_find(MAP_KEY(v, 0)->text);
    if (dist == SW_DIST_COUNT) return unknown_distribution(err, name, MAP_KEY(v, 0));
    const sw_sampler_info *d = &sw_samplers[dist];
    space_entry *grown = realloc(L->space, (size_t)(L->n_space + 1) * sizeof *grown);
    if (!grown) return SW_ENOMEM;
    L->space = grown;
    space_entry *e = &L->space[L->n_space++];
    memset(e, 0, sizeof *e);
    e->keynode = k, e->where = v, e->args = MAP_VAL(v, 0), e->dist = dist, e->dim = L->n_dims++;
    if (d->list) {
        const node *list = e->args;
        if (list->kind != NODE_SEQ || list->n == 0)
            return fail_at(err, list, "space: %s: choice takes a non-empty list of values, e.g. {choice: [32, 64]}",
                           name);
        if ((rc = axis_alloc(&e->options, list->n, v, false))) return rc;
        e->options.choice = true;
        if ((rc = entry_points(err, "space", k, &r, list, e->options.points)) || (rc = axis_finish_keys(&e->options)))
            return rc;
    } else {
        if (!r.leaf)
            return fail_at(err, MAP_KEY(v, 0), "space: %s is a section; only {choice: [...]} of its mappings samples it",
                           r.section);
        e->key = r.leaf;
        if ((rc = check_range_key(err, d, r.leaf, MAP_KEY(v, 0))) || (rc = range_bounds(err, e, d))) return rc;
    }
    /* A key sampled twice (written long and short, or in a choice of sections). */
    const sw_key_info *const *keys;
    int n = entry_keys(e, &keys);
    for (int i = 0; i < L->n_space - 1; i++)
        for (int j = 0; j < n; j++) {
            const sw_key_info *const *other;
            int m = entry_keys(&L->space[i], &other);
            for (int q = 0; q < m; q++)
                if (other[q] == keys[j])
                    return fail_at(err, k, "space: %s is sampled twice (first at line %d, column %d)", keys[j]->key,
                                   L->space[i].keynode->line, L->space[i].keynode->col);
        }
    return SW_OK;
}

static int space_entries(loader *L, const char *prefix, const node *map)
{
    for (int i = 0; i < MAP_LEN(map); i++) {
        int rc = space_entry_parse(L, prefix, MAP_KEY(map, i), MAP_VAL(map, i));
        if (rc) return rc;
    }
    return SW_OK;
}

/* A --set of key k takes it out of the space: it is then set (or swept) as the --set says.
 * The other keys keep their dimensions, so their values do not change. */
static int space_release(loader *L, const sw_key_info *k, const node *at)
{
    const space_entry *found = space_find(L, k);
    if (!found) return SW_OK;
    const sw_key_info *const *keys;
    if (entry_keys(found, &keys) > 1)
        return fail_at(&L->e, at, "%s is sampled together with other keys (space: at %s:%d:%d); change it in the file",
                       k->key, L->path, found->keynode->line, found->keynode->col);
    int i = (int)(found - L->space);
    space_entry_clear(&L->space[i]);
    memmove(&L->space[i], &L->space[i + 1], (size_t)(L->n_space - i - 1) * sizeof *L->space);
    L->n_space--;
    return SW_OK;
}

/* ---- the points */

/* Whether the search's settings fit together and with the rest of the file; warns about
 * a sobol sample count that is not a power of 2. */
static int check_search(loader *L, sw_sweep_spec *s)
{
    const sw_search_config *c = &L->search;
    const node *kind_at = search_written(L, "kind") ? search_written(L, "kind") : L->search_node;
    const node *samples_at = search_written(L, "samples"), *shift_at = search_written(L, "digital_shift");
    const char *kind = sw_search_keys[0].choices[c->kind];
    const node *startup_at = search_written(L, "startup"), *batch_at = search_written(L, "batch");
    if (c->kind != SW_SEARCH_TPE && (startup_at || batch_at))
        return fail_at(&L->e, startup_at ? startup_at : batch_at, "search.%s applies to kind tpe only, not %s",
                       startup_at ? "startup" : "batch", kind);
    if (c->kind == SW_SEARCH_GRID) {
        if (L->space_node)
            return fail_at(&L->e, L->space_node, "space: is sampled by a search of kind random, sobol or tpe; add "
                           "e.g. search: {kind: sobol, samples: 32}");
        if (samples_at)
            return fail_at(&L->e, samples_at, "search.samples applies to kind random, sobol and tpe, not grid");
        if (c->digital_shift) return fail_at(&L->e, shift_at, "search.digital_shift applies to kind sobol and tpe only");
        return SW_OK;
    }
    if (!L->n_space)
        return fail_at(&L->e, kind_at, "search.kind %s samples the keys of space:, and %s; add e.g. space: "
                       "{train.lr: {loguniform: [1.0e-4, 1.0e-2]}}", kind,
                       L->space_node ? "--set took every key out of it" : "there is none");
    if (!c->samples)
        return fail_at(&L->e, kind_at, "search.kind %s needs samples, the number of points: e.g. search: {kind: %s, "
                       "samples: 32}", kind, kind);
    if (c->digital_shift && c->kind == SW_SEARCH_RANDOM)
        return fail_at(&L->e, shift_at, "search.digital_shift applies to kind sobol and tpe only");
    if (c->kind != SW_SEARCH_RANDOM && L->n_dims > sw_sobol_max_dims())
        return fail_at(&L->e, L->space_node, "space: %d keys; %s points have at most %d dimensions", L->n_dims,
                       c->kind == SW_SEARCH_TPE ? "tpe's startup (Sobol)" : "sobol", sw_sobol_max_dims());
    if (c->kind == SW_SEARCH_TPE) {
        if (c->samples < c->startup)
            return fail_at(&L->e, samples_at, "search.samples: %d is fewer than search.startup %d; tpe runs its "
                           "startup points first (lower startup, or raise samples)", c->samples, c->startup);
        if (!shift_at) L->search.digital_shift = true; /* so that tpe's seeds start from different points */
    }
    if (c->kind == SW_SEARCH_SOBOL && (c->samples & (c->samples - 1))) {
        int below = 1;
        while (below * 2 < c->samples) below *= 2;
        int rc = warn_at(L, s, samples_at, "search.samples: %d is not a power of 2; sobol points cover the space "
                         "evenly in sets of 2^m (e.g. %d or %d)", c->samples, below, below * 2);
        if (rc) return rc;
    }
    for (int i = 0; i < L->n_space; i++) {
        const space_entry *e = &L->space[i];
        const sw_key_info *const *keys;
        int n = entry_keys(e, &keys);
        for (int j = 0; j < n; j++) {
            int other = axes_find(&L->ax, keys[j]);
            if (other >= 0)
                return fail_at(&L->e, e->keynode, "%s is sampled in space: and also swept (%s at %s:%d:%d); a key can "
                               "vary in one place only", keys[j]->key, L->ax.ax[other].zip ? "zip group" : "grid axis",
                               L->ax.ax[other].where->src, L->ax.ax[other].where->line, L->ax.ax[other].where->col);
        }
        if (e->dist == SW_DIST_CHOICE) {
            int rc = check_axis_duplicates(L, &e->options);
            if (rc) return rc;
        }
    }
    /* A space of choice and integer axes only has so many distinct points. */
    double combos = 1;
    for (int i = 0; i < L->n_space && combos <= SW_MAX_RUNS; i++) {
        const space_entry *e = &L->space[i];
        if (e->dist == SW_DIST_CHOICE)
            combos *= e->options.n_points;
        else if (sw_samplers[e->dist].integer)
            combos *= e->hi - e->lo + 1;
        else
            combos = INFINITY;
    }
    if (c->samples > combos)
        return fail_at(&L->e, samples_at, "search.samples: %d is more than the %.0f distinct points of this space (its "
                       "keys are choices and integer ranges); lower samples, or use a grid", c->samples, combos);
    return SW_OK;
}

/* Point idx's internal values (one per space entry: a float, an integer, a choice's
 * index) from the unit cube of P. */
static void unit_point(const loader *L, const sw_search_points *P, uint64_t idx, double *v)
{
    for (int i = 0; i < L->n_space; i++) {
        const space_entry *e = &L->space[i];
        double u = sw_search_unit(P, idx, e->dim);
        v[i] = e->dist == SW_DIST_CHOICE ? sw_samplers[e->dist].map(u, 0, e->options.n_points - 1)
                                         : sw_samplers[e->dist].map(u, e->lo, e->hi);
    }
}

/* The point with internal values v into pt: scalar nodes for ranges (from synth, one per
 * range entry) and the chosen value's assignments for choices. */
static int point_assigns(loader *L, const double *v, node *synth, assigns *pt)
{
    pt->n = 0;
    int r = 0;
    for (int i = 0; i < L->n_space; i++) {
        const space_entry *e = &L->space[i];
        const sw_sampler_info *d = &sw_samplers[e->dist];
        int rc;
        if (e->dist == SW_DIST_CHOICE) {
            const assigns *opt = &e->options.points[(int)v[i]];
            for (int q = 0; q < opt->n; q++)
                if ((rc = assigns_push(pt, opt->a[q].key, opt->a[q].keynode, opt->a[q].value))) return rc;
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
        if ((rc = assigns_push(pt, e->key, e->keynode, n))) return rc;
    }
    return SW_OK;
}

/* The values point pt gives the sampled keys, "key=value;..." in space order, into out. */
static int point_signature(loader *L, const assigns *pt, char *out, size_t outlen)
{
    sw_config cfg = L->base_cfg;
    int rc = apply_all(&L->e, &cfg, pt);
    if (rc) return rc;
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < L->n_space && used < outlen; i++) {
        const sw_key_info *const *keys;
        int n = entry_keys(&L->space[i], &keys);
        for (int j = 0; j < n && used < outlen; j++) {
            char v[256];
            sw_config_format(&cfg, keys[j], v, sizeof v);
            used += (size_t)snprintf(out + used, outlen - used, "%s=%s;", keys[j]->key, v);
        }
    }
    return used < outlen ? SW_OK : fail_at(&L->e, L->space_node, "space: a point's values exceed %zu bytes", outlen);
}

/* The points a tpe search has chosen so far (L->chosen) must be whole rounds after the
 * startup. Returns their count, or SW_EINVAL with the message in err. */
static int chosen_points(loader *L, int n_start)
{
    const sw_search_config *c = &L->search;
    int n = c->kind == SW_SEARCH_TPE && L->chosen ? L->chosen->n : 0, whole = 0;
    for (int r = 1, first, k; whole < n && (k = sw_search_round_points(c, r, &first)) > 0; r++) whole += k;
    if (n < 0 || n > c->samples - n_start || whole != n)
        return fail_at(&L->e, L->search_node, "search: %d chosen points are not whole rounds of this search (samples "
                       "%d, startup %d, batch %d)", n, c->samples, c->startup, c->batch);
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
static int add_point(loader *L, point_table *t, axis *a, int kept, const double *v, int n_range)
{
    char sig[4096];
    assigns *pt = &a->points[kept];
    int rc = point_assigns(L, v, &L->synth[(size_t)kept * (size_t)n_range], pt);
    if (!rc) rc = point_signature(L, pt, sig, sizeof sig);
    if (rc) return rc;
    uint64_t h = fnv1a(sig);
    if ((rc = point_seen(t, sig, h, kept))) return rc;
    memcpy(&L->point_values[(size_t)kept * (size_t)L->n_space], v, (size_t)L->n_space * sizeof *v);
    L->point_hash[kept] = (uint32_t)(h & 0xffffffffu);
    return 0;
}

/* The startup points: Sobol or random draws, a draw repeating an earlier point skipped
 * (so that the points are n distinct ones that depend on nothing but the seed, the kind
 * and the space). Returns the last index drawn + 1, or a negative code. */
static int64_t draw_points(loader *L, sw_sweep_spec *s, point_table *t, axis *a, int n, int n_range)
{
    char err[512];
    sw_search_points P;
    int rc = sw_search_points_init(&P, &L->search, L->n_dims, err, sizeof err);
    if (rc) return rc == SW_ENOMEM ? rc : fail_at(&L->e, L->space_node, "%s", err);
    double *v = malloc((size_t)L->n_space * sizeof *v);
    /* Enough draws for any space with n distinct points but a few (checked above), and
     * bounded when rounding makes the values of a float range collide. */
    uint64_t limit = (uint64_t)n * 64 + 4096, idx = 0;
    if (L->search.kind != SW_SEARCH_RANDOM && limit > UINT32_MAX) limit = UINT32_MAX;
    int kept = 0, skipped = 0;
    rc = v ? SW_OK : SW_ENOMEM;
    for (; !rc && kept < n && idx < limit; idx++) {
        unit_point(L, &P, idx, v);
        rc = add_point(L, t, a, kept, v, n_range);
        if (rc == 1) skipped++, rc = SW_OK;
        else if (!rc) L->point_index[kept++] = idx;
    }
    free(v);
    sw_search_points_clear(&P);
    if (!rc && kept < n)
        rc = fail_at(&L->e, search_written(L, "samples"), "search.samples: only %d distinct points came out of %llu "
                     "draws from this space (its values repeat, e.g. from few choices or narrow ranges); lower samples "
                     "or widen the space", kept, (unsigned long long)idx);
    if (!rc && skipped)
        rc = warn_at(L, s, L->space_node, "%d drawn point%s repeated an earlier point and %s skipped (the space's "
                     "choices and integer ranges allow few combinations); the search uses points 0..%llu less those",
                     skipped, sw_plural(skipped), skipped == 1 ? "was" : "were", (unsigned long long)(idx - 1));
    return rc ? rc : (int64_t)idx;
}

/* The points of a sampled search as the first axis of the product (the slowest: every
 * grid/zip combination of point 0, then of point 1, ...). random and sobol: `samples`
 * points drawn from the seed (draw_points), named by their index in the sequence; tpe:
 * its startup points drawn so, then the points chosen in its later rounds (L->chosen),
 * named by their number. */
static int build_search(loader *L, sw_sweep_spec *s)
{
    int rc = check_search(L, s);
    if (rc || L->search.kind == SW_SEARCH_GRID) return rc;
    bool tpe = L->search.kind == SW_SEARCH_TPE;
    int n_start = tpe ? L->search.startup : L->search.samples;
    int n_chosen = chosen_points(L, n_start);
    if (n_chosen < 0) return n_chosen;
    const int n = n_start + n_chosen;
    int n_range = 0;
    for (int i = 0; i < L->n_space; i++) n_range += L->space[i].dist != SW_DIST_CHOICE;
    axis a;
    point_table t = {0};
    t.n_slots = 1;
    while (t.n_slots < 2 * (size_t)n) t.n_slots *= 2;
    t.slot = calloc(t.n_slots, sizeof *t.slot);
    t.hash = calloc((size_t)n, sizeof *t.hash);
    t.sig = calloc((size_t)n + 1, sizeof *t.sig);
    L->n_points = n;
    L->point_index = calloc((size_t)n, sizeof *L->point_index);
    L->point_hash = calloc((size_t)n, sizeof *L->point_hash);
    L->point_values = calloc((size_t)n * (size_t)(L->n_space ? L->n_space : 1), sizeof *L->point_values);
    L->n_synth = (size_t)n * (size_t)n_range;
    L->synth = calloc(L->n_synth ? L->n_synth : 1, sizeof *L->synth);
    rc = axis_alloc(&a, n, L->space_node, false);
    if (!rc && (!t.slot || !t.hash || !t.sig || !L->point_index || !L->point_hash || !L->point_values || !L->synth))
        rc = SW_ENOMEM;
    a.sampled = true;
    int64_t drawn = rc ? rc : draw_points(L, s, &t, &a, n_start, n_range);
    if (drawn < 0) rc = (int)drawn;
    for (int j = 0; !rc && j < n_chosen; j++) {
        int k = n_start + j;
        if ((rc = add_point(L, &t, &a, k, &L->chosen->values[(size_t)j * (size_t)L->n_space], n_range)) == 1)
            rc = fail_at(&L->e, L->search_node, "search: chosen point %d repeats an earlier point", k);
    }
    if (!rc) rc = axis_finish_keys(&a);
    if (!rc) {
        uint64_t top = tpe ? (uint64_t)L->search.samples - 1 : (uint64_t)drawn - 1;
        if (tpe)
            for (int k = 0; k < n; k++) L->point_index[k] = (uint64_t)k; /* numbered as proposed */
        L->id_width = 3;
        for (; top >= 1000; top /= 10) L->id_width++;
        rc = axes_push(&L->ax, &a);
    }
    if (!rc) {
        /* first: the points vary slowest */
        axis sampled = L->ax.ax[L->ax.n - 1];
        memmove(&L->ax.ax[1], &L->ax.ax[0], (size_t)(L->ax.n - 1) * sizeof *L->ax.ax);
        L->ax.ax[0] = sampled;
    } else {
        axis_clear(&a);
    }
    for (int i = 0; t.sig && i < n; i++) free(t.sig[i]);
    free(t.sig);
    free(t.hash);
    free(t.slot);
    return rc;
}

static int keep_node(loader *L, node *n)
{
    node **roots = realloc(L->set_roots, (size_t)(L->n_set_roots + 1) * sizeof *roots);
    if (!roots) return SW_ENOMEM;
    L->set_roots = roots;
    L->set_roots[L->n_set_roots++] = n;
    return SW_OK;
}

/* A new scalar node owning `text`, from --set `src`, kept until the loader ends. NULL when
 * out of memory (text is freed; NULL text counts as out of memory). */
static node *kept_scalar(loader *L, char *text, const char *src)
{
    node *n = text ? calloc(1, sizeof *n) : NULL;
    if (!n) {
        free(text);
        return NULL;
    }
    n->kind = NODE_SCALAR;
    n->text = text;
    n->src = src;
    n->cli = true;
    n->line = n->col = 1;
    if (keep_node(L, n)) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* Splits one --set KEY=VALUE into a key node and the parsed value node, both kept until the
 * loader ends. Every node of it has the label "--set KEY=VALUE" as its source, so that
 * messages name the override; a kept node owns the label. */
static int read_set(loader *L, const char *set, node **keynode, node **value)
{
    size_t label_len = strlen(set) + 8;
    char *label = malloc(label_len);
    if (!label) return SW_ENOMEM;
    snprintf(label, label_len, "--set %s", set);
    node *whole = kept_scalar(L, label, label);
    if (!whole) return SW_ENOMEM;
    const char *eq = strchr(set, '=');
    if (!eq || eq == set)
        return fail_at(&L->e, whole, "expected KEY=VALUE, e.g. --set train.epochs=5 or --set seed=[1,2,3]");
    node *k = kept_scalar(L, strndup(set, (size_t)(eq - set)), label);
    if (!k) return SW_ENOMEM;
    for (const char *p = k->text; *p; p++)
        if (isspace((unsigned char)*p))
            return fail_at(&L->e, k, "the key \"%s\" contains spaces; write --set KEY=VALUE without spaces around =",
                           k->text);
    node *v = NULL;
    int rc = read_yaml(eq + 1, strlen(eq + 1), label, true, &L->e, &v);
    if (rc) return rc;
    if (!v) {
        /* `--set key=`: an empty value. */
        if (!(v = kept_scalar(L, strdup(""), label))) return SW_ENOMEM;
    } else if ((rc = keep_node(L, v))) {
        node_free(v);
        return rc;
    }
    *keynode = k, *value = v;
    return SW_OK;
}

/* Removes axis i, keeping the order of the others. */
static void axes_remove(axes *s, int i)
{
    axis_clear(&s->ax[i]);
    memmove(&s->ax[i], &s->ax[i + 1], (size_t)(s->n - i - 1) * sizeof *s->ax);
    s->n--;
}

/* Whether axes x and a vary a key in common. */
static bool axes_overlap(const axis *x, const axis *a)
{
    for (int i = 0; i < x->n_keys; i++)
        for (int j = 0; j < a->n_keys; j++)
            if (x->keys[i] == a->keys[j]) return true;
    return false;
}

/* A --set that lists values makes its keys one grid axis: in place of the axis varying its
 * first key already swept, else appended; other axes on its keys are dropped, or the key
 * would vary twice. Keys of a zip group vary together with the group's other keys, so
 * only the file can change them. */
static int set_axis(loader *L, const node *keynode, const resolved *r, const node *v)
{
    errbuf *e = &L->e;
    axis a;
    int rc;
    if ((rc = check_list(e, NULL, keynode, v))) return rc;
    if ((rc = axis_alloc(&a, v->n, keynode, false))) return rc;
    if ((rc = entry_points(e, "--set", keynode, r, v, a.points)) || (rc = axis_finish_keys(&a))) goto fail;
    for (int j = 0; j < a.n_keys; j++)
        if ((rc = space_release(L, a.keys[j], keynode))) goto fail;
    int at = -1;
    for (int j = 0; j < a.n_keys; j++) {
        int other = axes_find(&L->ax, a.keys[j]);
        if (other >= 0 && L->ax.ax[other].zip) {
            rc = fail_at(e, keynode, "%s varies in the zip group at %s:%d:%d; change it in the file", a.keys[j]->key,
                         L->path, L->ax.ax[other].where->line, L->ax.ax[other].where->col);
            goto fail;
        }
        if (at < 0) at = other;
    }
    for (int i = L->ax.n - 1; i >= 0; i--)
        if (i != at && axes_overlap(&L->ax.ax[i], &a)) {
            axes_remove(&L->ax, i);
            if (i < at) at--;
        }
    if (at >= 0) {
        axis_clear(&L->ax.ax[at]);
        L->ax.ax[at] = a;
        return SW_OK;
    }
    if ((rc = axes_push(&L->ax, &a))) goto fail;
    return SW_OK;
fail:
    axis_clear(&a);
    return rc;
}

/* A --set of single values sets each key it names for every run, in place of a grid axis
 * varying that key alone; a later --set of a key wins over an earlier one. */
static int set_values(loader *L, const node *keynode, const node *v)
{
    assigns add = {0};
    int rc = collect_entry(&L->e, "", keynode, v, true, &add);
    for (int j = 0; !rc && j < add.n; j++) {
        const sw_key_info *k = add.a[j].key;
        if ((rc = space_release(L, k, keynode))) break;
        int other = axes_find(&L->ax, k);
        if (other >= 0) {
            const axis *o = &L->ax.ax[other];
            if (o->zip || o->n_keys > 1) {
                rc = fail_at(&L->e, keynode, "%s varies together with other keys (%s at %s:%d:%d); change it in the file",
                             k->key, o->zip ? "zip group" : "grid axis", L->path, o->where->line, o->where->col);
                break;
            }
            axes_remove(&L->ax, other);
        }
        for (int q = 0; q < L->overrides.n; q++)
            if (L->overrides.a[q].key == k) {
                memmove(&L->overrides.a[q], &L->overrides.a[q + 1], (size_t)(L->overrides.n - q - 1) * sizeof(assign));
                L->overrides.n--;
                break;
            }
        rc = assigns_push(&L->overrides, k, add.a[j].keynode, add.a[j].value);
    }
    free(add.a);
    return rc;
}

/* One --set KEY=VALUE: a list of values makes the key an axis, anything else overrides it. */
static int apply_set(loader *L, const char *set)
{
    node *keynode = NULL, *v = NULL;
    int rc = read_set(L, set, &keynode, &v);
    if (rc) return rc;
    /* --set search.samples=8, --set 'search={kind: random, samples: 8}' */
    if (!strcmp(keynode->text, "search")) return search_entries(L, v);
    if (!strcmp(keynode->text, "stop")) return stop_entries(L, v);
    if (!strncmp(keynode->text, "stop.", 5)) {
        L->stop_node = keynode;
        return stop_entry(L, keynode, keynode->text + 5, v);
    }
    if (!strncmp(keynode->text, "search.", 7)) {
        L->search_node = keynode;
        return search_entry(L, keynode, keynode->text + 7, v);
    }
    resolved r;
    if ((rc = resolve_key(&L->e, "", keynode, true, &r))) return rc;
    return lists_values(r.leaf, v) ? set_axis(L, keynode, &r, v) : set_values(L, keynode, v);
}

static int dup_string(char **dst, const char *src)
{
    *dst = strdup(src ? src : "");
    return *dst ? SW_OK : SW_ENOMEM;
}

static int add_warning(sw_sweep_spec *s, const char *text)
{
    char **w = realloc(s->warnings, (size_t)(s->n_warnings + 1) * sizeof *w);
    if (!w) return SW_ENOMEM;
    s->warnings = w;
    if (!(s->warnings[s->n_warnings] = strdup(text))) return SW_ENOMEM;
    s->n_warnings++;
    return SW_OK;
}

/* Checks that no two values of one axis make identical runs (e.g. seed: [1, 1]). */
static int check_axis_duplicates(loader *L, const axis *a)
{
    errbuf *e = &L->e;
    char **sig = calloc((size_t)a->n_points, sizeof *sig);
    if (!sig) return SW_ENOMEM;
    int rc = SW_OK;
    for (int p = 0; p < a->n_points && !rc; p++) {
        sw_config c = L->base_cfg;
        if ((rc = apply_all(e, &c, &a->points[p]))) break;
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
                rc = fail_at(e, at, "value %d of this %s repeats value %d (%s); each run must differ", p + 1,
                             a->choice ? "choice" : a->zip ? "zip group" : "axis", q + 1, sig[p]);
                break;
            }
    }
    for (int p = 0; p < a->n_points; p++) free(sig[p]);
    free(sig);
    return rc;
}

/* The swept keys (every key of every axis, in axis order) into s and L->swept. */
static int list_swept(loader *L, sw_sweep_spec *s)
{
    int nk = 0;
    for (int a = 0; a < L->ax.n; a++) nk += L->ax.ax[a].n_keys;
    s->swept_keys = calloc((size_t)(nk ? nk : 1), sizeof *s->swept_keys);
    s->swept_short = calloc((size_t)(nk ? nk : 1), sizeof *s->swept_short);
    L->swept = calloc((size_t)(nk ? nk : 1), sizeof *L->swept);
    if (!s->swept_keys || !s->swept_short || !L->swept) return SW_ENOMEM;
    for (int a = 0; a < L->ax.n; a++)
        for (int j = 0; j < L->ax.ax[a].n_keys; j++) {
            const sw_key_info *k = L->ax.ax[a].keys[j];
            char shortname[64];
            sw_short_key(k->key, shortname, sizeof shortname);
            L->swept[s->n_swept] = k;
            /* Counted before checking, so that the free releases a partial entry. */
            int rc = dup_string(&s->swept_keys[s->n_swept], k->key);
            if (!rc) rc = dup_string(&s->swept_short[s->n_swept], shortname);
            s->n_swept++;
            if (rc) return rc;
        }
    return SW_OK;
}

/* The number of runs before exclusion into *n_total, refused above SW_MAX_RUNS; and no axis
 * may repeat a value. */
static int check_size(loader *L, int *n_total)
{
    double total = 1;
    for (int a = 0; a < L->ax.n; a++) total *= L->ax.ax[a].n_points;
    if (total > SW_MAX_RUNS)
        return fail_at(&L->e, L->grid_node ? L->grid_node : L->root,
                       "the sweep expands to %.0f runs; at most %d are allowed", total, SW_MAX_RUNS);
    /* A search's points are distinct by construction (build_search). */
    for (int a = 0; a < L->ax.n; a++) {
        int rc = L->ax.ax[a].sampled ? SW_OK : check_axis_duplicates(L, &L->ax.ax[a]);
        if (rc) return rc;
    }
    *n_total = (int)total;
    return SW_OK;
}

/* The readable id of the run that takes point pick[a] of each axis, into id; returns its
 * length (snprintf-style, so possibly more than idlen). It names what each axis set for
 * this run: for a key -> list axis or a zip group that is every key of the axis; for a
 * list of mappings (train.schedule: [{kind: step, step: 10}, {kind: cosine}]) only the
 * keys that value writes. */
static size_t readable_id(const loader *L, const int *pick, const sw_config *cfg, char *id, size_t idlen)
{
    size_t used = 0;
    id[0] = 0;
    for (int a = 0; a < L->ax.n; a++) {
        const assigns *pt = &L->ax.ax[a].points[pick[a]];
        if (L->ax.ax[a].sampled && used < idlen) {
            /* The point's index in its sequence and a hash of its values: short, and
             * stable for the same search. */
            used += (size_t)snprintf(id + used, idlen - used, "%sp%0*llu-%08x", used ? "," : "", L->id_width,
                                     (unsigned long long)L->point_index[pick[a]], (unsigned)L->point_hash[pick[a]]);
            continue;
        }
        for (int q = 0; q < pt->n && used < idlen; q++) {
            char v[256], shortname[64];
            id_value(cfg, pt->a[q].key, v, sizeof v);
            sw_short_key(pt->a[q].key->key, shortname, sizeof shortname);
            used += (size_t)snprintf(id + used, idlen - used, "%s%s=%s", used ? "," : "", shortname, v);
        }
    }
    return used;
}

/* Fills run r of n_total (its config cfg, built from points pick) after validating cfg:
 * the swept values, the id (index + hash when the readable one is long), hash and cost. */
/* Fills in the sizes a run's config left to its task (sw_task_resolve). A file task's
 * data file is read here, once per process (data.h caches it), so that a bad file stops
 * the sweep before any run starts; a relative task.path is taken from the config file's
 * directory and recorded as the absolute path it names. */
static int resolve_task(const loader *L, sw_config *cfg, char *err, size_t errlen, const char **bad)
{
    if (cfg->task.kind != SW_TASK_FILE || !cfg->task.path[0]) return sw_task_resolve(&cfg->task, NULL, err, errlen, bad);
    char joined[2 * SW_MAX_PATH], real[PATH_MAX];
    const char *slash = L->path ? strrchr(L->path, '/') : NULL;
    if (cfg->task.path[0] != '/' && slash)
        snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - L->path), L->path, cfg->task.path);
    else
        snprintf(joined, sizeof joined, "%s", cfg->task.path);
    if (realpath(joined, real) && strlen(real) < sizeof cfg->task.path) snprintf(cfg->task.path, sizeof cfg->task.path, "%s", real);
    const sw_data_file *data = NULL;
    char why[1024];
    if (sw_data_open(cfg->task.path, &data, why, sizeof why)) {
        *bad = "task.path";
        sw_set_error(err, errlen, "task.path: %s", why);
        return SW_ECONFIG;
    }
    sw_data_shape shape = {data->target, data->outputs, data->seq_len, data->input, data->n_train, data->n_test};
    return sw_task_resolve(&cfg->task, &shape, err, errlen, bad);
}

static int fill_run(loader *L, sw_sweep_spec *s, sw_run_spec *run, const int *pick, int r, int n_total)
{
    run->values = calloc((size_t)(s->n_swept ? s->n_swept : 1), sizeof *run->values);
    if (!run->values) return SW_ENOMEM;
    int rc;
    for (int j = 0; j < s->n_swept; j++) {
        char v[256];
        id_value(&run->cfg, L->swept[j], v, sizeof v);
        if ((rc = dup_string(&run->values[j], v))) return rc;
    }
    char id[1024], err[1024];
    size_t used = readable_id(L, pick, &run->cfg, id, sizeof id);
    if (!s->n_swept) snprintf(id, sizeof id, "run");
    const char *bad = NULL;
    if (resolve_task(L, &run->cfg, err, sizeof err, &bad) ||
        sw_config_validate(&run->cfg, err, sizeof err, &bad)) {
        const node *at = locate(L, pick, bad ? bad : "");
        return s->n_swept ? fail_at(&L->e, at, "%s (in run %s)", err, id) : fail_at(&L->e, at, "%s", err);
    }
    if (used > MAX_ID_LEN) {
        char tmp[64];
        /* numbered from 1, as --dry-run lists the runs */
        snprintf(tmp, sizeof tmp, "r%0*d-%08x", n_total >= 10000 ? 5 : n_total >= 1000 ? 4 : 3, r + 1,
                 (unsigned)(fnv1a(id) & 0xffffffffu));
        rc = dup_string(&run->id, tmp);
    } else {
        rc = dup_string(&run->id, id);
    }
    if (rc) return rc;
    char *yaml = sw_config_to_yaml(&run->cfg);
    if (!yaml) return SW_ENOMEM;
    snprintf(run->hash, sizeof run->hash, "%016llx", (unsigned long long)fnv1a(yaml));
    free(yaml);
    run->cost = sw_config_cost_flops(&run->cfg);
    return SW_OK;
}

/* Builds run r of the product (grid order: a mixed-radix counter, the last axis fastest)
 * and appends it to s->runs unless an exclude entry drops it. */
static int add_run(loader *L, sw_sweep_spec *s, int *pick, int r, int n_total)
{
    int rest = r;
    for (int a = L->ax.n - 1; a >= 0; a--) {
        pick[a] = rest % L->ax.ax[a].n_points;
        rest /= L->ax.ax[a].n_points;
    }
    sw_config cfg = L->base_cfg;
    for (int a = 0; a < L->ax.n; a++) {
        int rc = apply_all(&L->e, &cfg, &L->ax.ax[a].points[pick[a]]);
        if (rc) return rc;
    }
    bool dropped = false;
    for (int x = 0; x < L->n_excl; x++)
        if (exclusion_matches(&L->excl[x], &cfg)) {
            L->excl[x].matched++;
            dropped = true;
        }
    if (dropped) return SW_OK;
    sw_run_spec *run = &s->runs[s->n_runs];
    run->cfg = cfg;
    run->index = s->n_runs++;
    run->point = L->ax.n > 0 && L->ax.ax[0].sampled ? pick[0] : -1;
    return fill_run(L, s, run, pick, r, n_total);
}

static int by_id_then_index(const void *x, const void *y)
{
    const sw_run_spec *a = *(const sw_run_spec *const *)x, *b = *(const sw_run_spec *const *)y;
    int c = strcmp(a->id, b->id);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* After every run is built: refuses a sweep with no run left, warns about exclude entries
 * that matched nothing, and checks the ids are unique. */
static int check_runs(loader *L, sw_sweep_spec *s, int n_total)
{
    if (s->n_runs == 0)
        return fail_at(&L->e, L->excl ? L->excl[0].where : L->root,
                       "every one of the %d runs is excluded, so the sweep would have no runs", n_total);
    for (int x = 0; x < L->n_excl; x++)
        if (!L->excl[x].matched) {
            char w[512];
            snprintf(w, sizeof w, "%s:%d:%d: warning: this exclude entry matches no run", L->path,
                     L->excl[x].where->line, L->excl[x].where->col);
            int rc = add_warning(s, w);
            if (rc) return rc;
        }
    /* Ids are unique when values are (checked per axis); guard the hash form too. Sorted,
     * as sampled searches make many runs: the first run repeating an earlier id is named,
     * with the earliest it repeats. */
    const sw_run_spec **order = malloc((size_t)s->n_runs * sizeof *order);
    if (!order) return SW_ENOMEM;
    for (int i = 0; i < s->n_runs; i++) order[i] = &s->runs[i];
    qsort(order, (size_t)s->n_runs, sizeof *order, by_id_then_index);
    const sw_run_spec *first = NULL, *again = NULL;
    for (int i = 1; i < s->n_runs; i++) {
        const sw_run_spec *a = order[i - 1], *b = order[i];
        bool starts = i == 1 || strcmp(order[i - 2]->id, a->id); /* a is the first of its id */
        if (starts && !strcmp(a->id, b->id) && (!again || b->index < again->index)) first = a, again = b;
    }
    free(order);
    if (again)
        return fail_at(&L->e, L->grid_node ? L->grid_node : L->root, "runs %d and %d get the same id %s",
                       first->index + 1, again->index + 1, again->id);
    return SW_OK;
}

/* Sorting runs by their swept values without the seed (keys[i]), then grid order. */
typedef struct {
    const char *key;
    int index;
} config_key;

static int by_key_then_index(const void *x, const void *y)
{
    const config_key *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : a->index - b->index;
}

/* Numbers the configurations (sw_run_spec.config): runs whose swept values other than
 * `seed` are equal share one, numbered in the grid order of their first runs. */
static int number_configs(sw_sweep_spec *s)
{
    int seed = -1;
    for (int j = 0; j < s->n_swept; j++)
        if (!strcmp(s->swept_keys[j], "seed")) seed = j;
    s->n_configs = 0;
    if (seed < 0) { /* every run its own */
        for (int i = 0; i < s->n_runs; i++) s->runs[i].config = s->n_configs++;
        return SW_OK;
    }
    config_key *k = calloc((size_t)(s->n_runs ? s->n_runs : 1), sizeof *k);
    int *first = malloc((size_t)(s->n_runs ? s->n_runs : 1) * sizeof *first);
    int rc = k && first ? SW_OK : SW_ENOMEM;
    for (int i = 0; i < s->n_runs && !rc; i++) {
        size_t len = 1;
        for (int j = 0; j < s->n_swept; j++) len += j == seed ? 0 : strlen(s->runs[i].values[j]) + 1;
        char *t = malloc(len), *o = t;
        if (!t) {
            rc = SW_ENOMEM;
            break;
        }
        for (int j = 0; j < s->n_swept; j++)
            if (j != seed) o += sprintf(o, "%s\x1f", s->runs[i].values[j]); /* a separator no value holds */
        *o = 0;
        k[i] = (config_key){t, i};
    }
    if (!rc) {
        qsort(k, (size_t)s->n_runs, sizeof *k, by_key_then_index);
        for (int i = 0; i < s->n_runs; i++) /* each run's group starts with its first run */
            first[k[i].index] = i > 0 && !strcmp(k[i].key, k[i - 1].key) ? first[k[i - 1].index] : k[i].index;
        for (int i = 0; i < s->n_runs; i++)
            s->runs[i].config = first[i] == i ? s->n_configs++ : s->runs[first[i]].config;
    }
    for (int i = 0; k && i < s->n_runs; i++) free((char *)k[i].key);
    free(k);
    free(first);
    return rc;
}

const char *sw_point_origin_name(sw_point_origin o)
{
    static const char *const names[] = {"random", "sobol", "tpe", "fallback"};
    _Static_assert(SW_ARRAY_LEN(names) == SW_POINT_ORIGIN_COUNT, "point origins");
    return (unsigned)o < SW_POINT_ORIGIN_COUNT ? names[o] : "unknown";
}

/* The round of point k of search c. */
static int round_of_point(const sw_search_config *c, int k)
{
    return c->kind != SW_SEARCH_TPE || k < c->startup ? 0 : 1 + (k - c->startup) / c->batch;
}

/* tpe ranks points by their runs' selection metric: it must be one for all. */
static int check_search_metric(loader *L, sw_sweep_spec *s)
{
    s->search_metric = sw_task_metric_of(&s->runs[0].cfg.task);
    for (int i = 1; i < s->n_runs; i++) {
        sw_task_metric m = sw_task_metric_of(&s->runs[i].cfg.task);
        if (strcmp(m.name, s->search_metric.name) || m.mode != s->search_metric.mode)
            return fail_at(&L->e, search_written(L, "kind") ? search_written(L, "kind") : L->search_node,
                           "search.kind tpe ranks its points by the runs' selection metric, but that is %s for run %s "
                           "and %s for run %s (their tasks differ); search them in separate sweeps",
                           s->search_metric.name, s->runs[0].id, m.name, s->runs[i].id);
    }
    return SW_OK;
}

/* After the runs are built: the search's space, points and rounds into s (grid: none). */
static int finish_search(loader *L, sw_sweep_spec *s)
{
    const sw_search_config *c = &L->search;
    s->search = *c;
    if (c->kind == SW_SEARCH_GRID) return SW_OK;
    size_t dims = (size_t)(L->n_space ? L->n_space : 1);
    s->n_dims = L->n_space;
    s->n_space_keys = L->ax.ax[0].n_keys;
    s->space = calloc(dims, sizeof *s->space);
    s->space_sobol_dim = calloc(dims, sizeof *s->space_sobol_dim);
    s->points = calloc((size_t)(L->n_points ? L->n_points : 1), sizeof *s->points);
    if (!s->space || !s->space_sobol_dim || !s->points) return SW_ENOMEM;
    for (int i = 0; i < L->n_space; i++) {
        const space_entry *e = &L->space[i];
        bool choice = e->dist == SW_DIST_CHOICE;
        s->space[i] = (sw_tpe_dim){e->dist, choice ? 0 : e->lo, choice ? e->options.n_points - 1 : e->hi,
                                   choice ? e->options.n_points : 0};
        s->space_sobol_dim[i] = e->dim;
    }
    int n_start = c->kind == SW_SEARCH_TPE ? c->startup : c->samples;
    for (int k = 0; k < L->n_points; k++) {
        sw_search_point *p = &s->points[k];
        s->n_points++;
        p->round = round_of_point(c, k);
        p->origin = c->kind == SW_SEARCH_RANDOM ? SW_POINT_RANDOM : SW_POINT_SOBOL;
        p->score = NAN;
        if (k >= n_start) {
            p->origin = L->chosen->origin ? L->chosen->origin[k - n_start] : SW_POINT_TPE;
            p->score = L->chosen->score ? L->chosen->score[k - n_start] : NAN;
        }
        p->first_run = s->n_runs;
        if (!(p->values = malloc(dims * sizeof *p->values))) return SW_ENOMEM;
        memcpy(p->values, &L->point_values[(size_t)k * L->n_space], (size_t)L->n_space * sizeof *p->values);
        if (p->round + 1 > s->rounds_known) s->rounds_known = p->round + 1;
    }
    for (int i = s->n_runs - 1; i >= 0; i--) { /* a point's runs are consecutive */
        sw_search_point *p = &s->points[s->runs[i].point];
        p->first_run = i;
        p->n_runs++;
        s->runs[i].round = p->round;
    }
    s->n_rounds = sw_search_rounds(c);
    return c->kind == SW_SEARCH_TPE ? check_search_metric(L, s) : SW_OK;
}

/* Expands the axes into s's runs, in grid order. */
static int expand(loader *L, sw_sweep_spec *s)
{
    int n_total, rc;
    if ((rc = build_search(L, s)) || (rc = list_swept(L, s)) || (rc = check_size(L, &n_total))) return rc;
    s->runs = calloc((size_t)n_total, sizeof *s->runs);
    int *pick = calloc((size_t)(L->ax.n ? L->ax.n : 1), sizeof *pick);
    rc = s->runs && pick ? SW_OK : SW_ENOMEM;
    for (int r = 0; r < n_total && !rc; r++) rc = add_run(L, s, pick, r, n_total);
    free(pick);
    if (!rc) rc = check_runs(L, s, n_total);
    if (!rc) rc = number_configs(s);
    if (!rc) rc = finish_search(L, s);
    return rc ? rc : check_stop(L, s);
}

static int top_name(loader *L, sw_sweep_spec *s, const node *v)
{
    if (v->kind != NODE_SCALAR || !valid_name(v->text))
        return fail_at(&L->e, v, "name: \"%s\" is not a usable name; allowed: letters, digits, '.', '_' and '-' "
                       "(it names the output directory runs/<name>)", v->kind == NODE_SCALAR ? v->text : "");
    free(s->name);
    L->name_node = v;
    return dup_string(&s->name, v->text);
}

static int top_description(loader *L, sw_sweep_spec *s, const node *v)
{
    if (v->kind != NODE_SCALAR) return fail_at(&L->e, v, "description: expected text, got %s", describe_node(v));
    free(s->description);
    return dup_string(&s->description, v->text);
}

static int top_base(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    if (v->kind == NODE_SCALAR && !v->quoted && (!*v->text || !strcmp(v->text, "null") || !strcmp(v->text, "~")))
        return SW_OK; /* `base:` with nothing under it: all defaults */
    if (v->kind != NODE_MAP)
        return fail_at(&L->e, v, "base: expected a mapping of sections (task, model, train, record) and seed, got %s",
                       describe_node(v));
    return collect(&L->e, "", v, false, &L->base);
}

static int top_grid(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    L->grid_node = v;
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0)
        return fail_at(&L->e, v, "grid: expected a mapping of keys to lists of values (e.g. seed: [1, 2, 3]), got %s",
                       v->kind == NODE_MAP ? "an empty mapping" :
                       v->kind == NODE_SCALAR && !*v->text ? "nothing" : describe_node(v));
    return grid_entries(&L->e, "", v, &L->ax);
}

/* One group (a mapping) or a list of them. */
static int top_zip(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    if (v->kind == NODE_MAP) return zip_group(&L->e, v, &L->ax);
    if (v->kind != NODE_SEQ || v->n == 0)
        return fail_at(&L->e, v, "zip: expected a list of groups, each a mapping of keys to lists of equal length");
    for (int g = 0; g < v->n; g++) {
        int rc = zip_group(&L->e, v->items[g], &L->ax);
        if (rc) return rc;
    }
    return SW_OK;
}

static int top_search(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    return search_entries(L, v);
}

static int top_stop(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    return stop_entries(L, v);
}

static int top_space(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    L->space_node = v;
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0)
        return fail_at(&L->e, v, "space: expected a mapping of keys to distributions, e.g. train.lr: {loguniform: "
                       "[1.0e-4, 1.0e-2]}, got %s", v->kind == NODE_MAP ? "an empty mapping" :
                       v->kind == NODE_SCALAR && !*v->text ? "nothing" : describe_node(v));
    return space_entries(L, "", v);
}

/* A list of entries, or one entry (checked as such, so a scalar is refused here). */
static int top_exclude(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    int n = v->kind == NODE_SEQ ? v->n : 1;
    if (v->kind == NODE_SEQ && n == 0) return fail_at(&L->e, v, "exclude: an empty list; remove the key or add entries");
    if (v->kind == NODE_SCALAR)
        return fail_at(&L->e, v, "exclude: expected a list of partial runs, e.g. [{cell: lstm, seq_len: 500}]");
    L->excl = calloc((size_t)n, sizeof *L->excl);
    if (!L->excl) return SW_ENOMEM;
    for (int j = 0; j < n; j++) {
        L->n_excl++;
        int rc = exclusion_build(&L->e, v->kind == NODE_SEQ ? v->items[j] : v, &L->excl[j]);
        if (rc) return rc;
    }
    return SW_OK;
}

/* The top-level keys of a sweep file, in the order messages list them. */
static const struct {
    const char *name;
    int (*load)(loader *L, sw_sweep_spec *s, const node *value);
} top_keys[] = {
    {"name", top_name}, {"description", top_description}, {"base", top_base},
    {"grid", top_grid}, {"zip", top_zip},                 {"exclude", top_exclude},
    {"search", top_search}, {"space", top_space}, {"stop", top_stop},
};

/* "name, description, base, grid, zip, exclude, search, space, stop" */
static void top_key_list(char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t t = 0; t < SW_ARRAY_LEN(top_keys) && used < outlen; t++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", t ? ", " : "", top_keys[t].name);
}

/* The error for a top-level key k that is none of top_keys: a config key written outside
 * base:, else a typo of a top-level key when one is at most two edits away (the top-level
 * names are short and unlike each other), else the list. */
static int unknown_top_key(loader *L, const node *k)
{
    const char *name = k->text;
    resolved r;
    errbuf quiet = {NULL, 0};
    if (is_section(name) || sw_schema_find(name) || (resolve_key(&quiet, "", k, true, &r) == SW_OK))
        return fail_at(&L->e, k, "unknown top-level key \"%s\"; config keys go under base: (e.g. base: {%s: ...}) "
                       "or grid:", name, name);
    const char *best = NULL;
    int best_d = 3;
    for (size_t t = 0; t < SW_ARRAY_LEN(top_keys); t++) {
        int d = sw_edit_distance(name, top_keys[t].name);
        if (d < best_d) best_d = d, best = top_keys[t].name;
    }
    if (best) return fail_at(&L->e, k, "unknown top-level key \"%s\"; did you mean \"%s\"?", name, best);
    char list[128];
    top_key_list(list, sizeof list);
    return fail_at(&L->e, k, "unknown top-level key \"%s\"; allowed: %s", name, list);
}

/* Reads the top level of the file into s (name, description) and L (base, axes, excludes). */
static int load_top(loader *L, sw_sweep_spec *s)
{
    const node *root = L->root;
    if (!root) {
        node empty = {.kind = NODE_MAP, .line = 1, .col = 1, .src = L->path};
        return fail_at(&L->e, &empty, "the sweep file is empty; it needs at least a name (see configs/reference.yaml)");
    }
    if (root->kind != NODE_MAP) {
        char list[128];
        top_key_list(list, sizeof list);
        return fail_at(&L->e, root, "the top level must be a mapping with keys %s; got %s", list, describe_node(root));
    }
    for (int i = 0; i < MAP_LEN(root); i++) {
        const node *k = MAP_KEY(root, i);
        size_t t = 0;
        while (t < SW_ARRAY_LEN(top_keys) && strcmp(k->text, top_keys[t].name)) t++;
        int rc = t < SW_ARRAY_LEN(top_keys) ? top_keys[t].load(L, s, MAP_VAL(root, i)) : unknown_top_key(L, k);
        if (rc) return rc;
    }
    return SW_OK;
}

/* sw_sweep_spec_parse with a tpe search's chosen points (may be NULL). */
static int parse_search(const char *path, const char *text, size_t len, const char *const *sets, int n_sets,
                        const sw_search_chosen *chosen, sw_sweep_spec **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = 0;
    loader L;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.chosen = chosen;
    L.e = (errbuf){err, errlen};
    sw_search_defaults(&L.search);
    sw_stop_defaults(&L.stop);
    sw_sweep_spec *s = calloc(1, sizeof *s);
    if (!s) return SW_ENOMEM;
    int rc;
    if ((rc = dup_string(&s->path, path)) || (rc = dup_string(&s->description, ""))) goto done;
    if (!(s->name = default_name(path))) { rc = SW_ENOMEM; goto done; }
    if ((rc = read_yaml(text, len, path, false, &L.e, &L.root))) goto done;
    if ((rc = load_top(&L, s))) goto done;
    /* Base values, checked one by one (type and range) where they were written. */
    sw_config_defaults(&L.base_cfg);
    if ((rc = apply_all(&L.e, &L.base_cfg, &L.base))) goto done;
    for (int i = 0; i < n_sets; i++)
        if ((rc = apply_set(&L, sets[i]))) goto done;
    if ((rc = apply_all(&L.e, &L.base_cfg, &L.overrides))) goto done;
    if ((rc = expand(&L, s))) goto done;

    /* The text recorded in the index: the file, then the overrides that shaped the runs. */
    size_t total = len + 1;
    for (int i = 0; i < n_sets; i++) total += strlen(sets[i]) + 16;
    s->text = malloc(total + 2);
    if (!s->text) { rc = SW_ENOMEM; goto done; }
    memcpy(s->text, text, len);
    s->file_len = len;
    size_t used = len;
    if (n_sets && used && s->text[used - 1] != '\n') s->text[used++] = '\n';
    for (int i = 0; i < n_sets; i++) used += (size_t)snprintf(s->text + used, total + 2 - used, "# --set %s\n", sets[i]);
    s->text[used] = 0;

done:
    for (int i = 0; i < L.n_set_roots; i++) node_free(L.set_roots[i]);
    free(L.set_roots);
    free(L.base.a);
    free(L.overrides.a);
    for (int a = 0; a < L.ax.n; a++) axis_clear(&L.ax.ax[a]);
    free(L.ax.ax);
    for (int x = 0; x < L.n_excl; x++) exclusion_clear(&L.excl[x]);
    free(L.excl);
    free(L.swept);
    search_clear(&L);
    node_free(L.root);
    if (rc) {
        if (rc == SW_ENOMEM && err && errlen && !err[0]) snprintf(err, errlen, "%s: out of memory", path);
        sw_sweep_spec_free(s);
        return rc;
    }
    *out = s;
    return SW_OK;
}

int sw_sweep_spec_parse(const char *path, const char *text, size_t len, const char *const *sets, int n_sets,
                        sw_sweep_spec **out, char *err, size_t errlen)
{
    return parse_search(path, text, len, sets, n_sets, NULL, out, err, errlen);
}

int sw_sweep_spec_reload(const sw_sweep_spec *spec, const char *const *sets, int n_sets,
                         const sw_search_chosen *chosen, sw_sweep_spec **out, char *err, size_t errlen)
{
    return parse_search(spec->path, spec->text, spec->file_len, sets, n_sets, chosen, out, err, errlen);
}

int sw_sweep_spec_load(const char *path, const char *const *sets, int n_sets, sw_sweep_spec **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the sweep file: %s", path, strerror(errno));
        return SW_EIO;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    int rc = SW_OK;
    while (text) {
        if (len + 1024 > cap) {
            if (cap > (16u << 20)) {
                snprintf(err, errlen, "%s: the sweep file is larger than 16 MiB; is it the right file?", path);
                rc = SW_ECONFIG;
                break;
            }
            char *bigger = realloc(text, cap * 2);
            if (!bigger) {
                /* Parsing what was read so far would check a truncated file. */
                rc = SW_ENOMEM;
                break;
            }
            text = bigger, cap *= 2;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    if (!text) rc = SW_ENOMEM;
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read the sweep file: %s", path, strerror(errno));
        rc = SW_EIO;
    }
    fclose(f);
    if (rc) {
        if (rc == SW_ENOMEM) snprintf(err, errlen, "%s: out of memory", path);
        free(text);
        return rc;
    }
    text[len] = 0;
    rc = sw_sweep_spec_parse(path, text, len, sets, n_sets, out, err, errlen);
    free(text);
    return rc;
}
