/* yamltree.c: a sweep file's YAML read with libyaml's event API into a small tree that keeps
 * every node's position (see yamltree.h).
 *
 * The event API (not the document API) is used because it shows anchors, aliases and
 * tags, which the sweep language rejects, and lets duplicate keys be caught with their
 * positions. */
#define _POSIX_C_SOURCE 200809L
#include "yamltree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common.h"

#define MAX_DEPTH 32

/* ---- the tree ------------------------------------------------------------------- */

void sw_node_free(node *n)
{
    if (!n) return;
    for (int i = 0; i < n->n; i++) sw_node_free(n->items[i]);
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

/* ---- messages --------------------------------------------------------------------- */

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
int sw_fail_at(errbuf *e, const node *where, const char *fmt, ...)
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
    return sw_fail_at(e, &where, "%s", text);
}

const char *sw_node_describe(const node *n)
{
    switch (n->kind) {
    case NODE_SCALAR: return "a single value";
    case NODE_SEQ: return "a list";
    default: return "a mapping";
    }
}

/* A warning in the form of fail_at's messages: "FILE:LINE:COL: warning: ...". */
SW_PRINTF(3, 4)
int sw_warn_at(sw_sweep_spec *s, const node *where, const char *fmt, ...)
{
    char text[900], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!where)
        snprintf(line, sizeof line, "%s: warning: %s", s->path, text);
    else if (where->cli)
        snprintf(line, sizeof line, "%s: warning: %s", where->src, text);
    else
        snprintf(line, sizeof line, "%s:%d:%d: warning: %s", where->src ? where->src : s->path, where->line, where->col,
                 text);
    return sw_sweep_spec_warn(s, line);
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
            sw_node_free(child);
            return rc;
        }
        if (n->kind == NODE_MAP && n->n % 2 == 1) {
            /* A key: a plain name, and not one seen before in this mapping. */
            if (child->kind != NODE_SCALAR)
                return sw_fail_at(r->e, child, "a key must be a plain name, not %s", sw_node_describe(child));
            for (int i = 0; i + 1 < n->n; i += 2)
                if (!strcmp(n->items[i]->text, child->text))
                    return sw_fail_at(r->e, child, "duplicate key \"%s\" (first at line %d, column %d)", child->text,
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
            sw_node_free(n);
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
        sw_node_free(n);
        return rc;
    }
    *out = n;
    return SW_OK;
}

/* Parses one YAML document. *root is NULL for an empty stream. */
int sw_yaml_read(const char *text, size_t len, const char *src, bool cli, errbuf *e, node **root)
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
        sw_node_free(doc);
        return rc;
    }
    *root = doc;
    return SW_OK;
}
