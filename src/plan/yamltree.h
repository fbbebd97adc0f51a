/* yamltree.h: a sweep file (or a --set value) read into a tree of scalars, lists and
 * mappings, each node with its position, and the messages that point at a node.
 *
 * Every error is "FILE:LINE:COLUMN: message", or "--set KEY=VALUE: message" for a node
 * from the command line; warnings are the same with "warning: " before the message.
 * Anchors, aliases, tags, several documents and duplicate keys are refused where they
 * stand. Internal to the plan's files (plan/). */
#ifndef SWEEP_YAMLTREE_H
#define SWEEP_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "plan.h"

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

/* Entries of a mapping. */
#define MAP_LEN(m) ((m)->n / 2)
#define MAP_KEY(m, i) ((m)->items[2 * (i)])
#define MAP_VAL(m, i) ((m)->items[2 * (i) + 1])

/* Where messages go: err, errlen bytes (may be NULL: messages are dropped). */
typedef struct {
    char *err;
    size_t errlen;
} errbuf;

/* Frees a node and everything under it; NULL-tolerant. */
void sw_node_free(node *n);

/* "a single value", "a list" or "a mapping", for messages. */
const char *sw_node_describe(const node *n);

/* Writes "FILE:LINE:COL: message" (where NULL: the message alone) into e; returns
 * SW_ECONFIG. */
SW_PRINTF(3, 4)
int sw_fail_at(errbuf *e, const node *where, const char *fmt, ...);

/* Adds "FILE:LINE:COL: warning: message" to s's warnings (where NULL: "PATH: warning:
 * ..." with s's path). Returns SW_OK or SW_ENOMEM. */
SW_PRINTF(3, 4)
int sw_warn_at(sw_sweep_spec *s, const node *where, const char *fmt, ...);

/* Parses len bytes of text (named src in messages; cli: positions within a --set value)
 * into *root (NULL for an empty document), the caller's to sw_node_free. Returns SW_OK,
 * SW_ECONFIG with the message in e, or SW_ENOMEM. */
int sw_yaml_read(const char *text, size_t len, const char *src, bool cli, errbuf *e, node **root);

#endif
