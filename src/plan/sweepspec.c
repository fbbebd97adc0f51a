/* sweepspec.c: a sweep file read into its plan: the top-level keys (name, description,
 * base, grid, zip, exclude, search, space, stop), --set overrides on top, then the runs
 * (see sweepspec.h). The file's parts have files of their own: yamltree.c the YAML,
 * keys.c the config keys, gridspec.c grid/zip/exclude, searchspec.c search/space,
 * stopspec.c stop, expand.c the runs.
 *
 * Everything is checked before a run list is returned, so a caller that gets SW_OK can
 * start work knowing no config error will surface later. */
#define _POSIX_C_SOURCE 200809L
#include "sweepspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "expand.h"
#include "loader.h"

/* ---- the top-level keys ----------------------------------------------------------- */

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

static int top_name(loader *L, sw_sweep_spec *s, const node *v)
{
    if (v->kind != NODE_SCALAR || !valid_name(v->text))
        return sw_fail_at(&L->e, v, "name: \"%s\" is not a usable name; allowed: letters, digits, '.', '_' and '-' "
                       "(it names the output directory runs/<name>)", v->kind == NODE_SCALAR ? v->text : "");
    free(s->name);
    L->name_node = v;
    return sw_dup_string(&s->name, v->text);
}

static int top_description(loader *L, sw_sweep_spec *s, const node *v)
{
    if (v->kind != NODE_SCALAR) return sw_fail_at(&L->e, v, "description: expected text, got %s", sw_node_describe(v));
    free(s->description);
    return sw_dup_string(&s->description, v->text);
}

static int top_base(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    if (v->kind == NODE_SCALAR && !v->quoted && (!*v->text || !strcmp(v->text, "null") || !strcmp(v->text, "~")))
        return SW_OK; /* `base:` with nothing under it: all defaults */
    if (v->kind != NODE_MAP)
        return sw_fail_at(&L->e, v, "base: expected a mapping of sections (task, model, train, record) and seed, got %s",
                       sw_node_describe(v));
    return sw_collect(&L->e, "", v, false, &L->base);
}

static int top_grid(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    L->grid_node = v;
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0)
        return sw_fail_at(&L->e, v, "grid: expected a mapping of keys to lists of values (e.g. seed: [1, 2, 3]), got %s",
                       v->kind == NODE_MAP ? "an empty mapping" :
                       v->kind == NODE_SCALAR && !*v->text ? "nothing" : sw_node_describe(v));
    return sw_grid_entries(&L->e, "", v, &L->ax);
}

/* One group (a mapping) or a list of them. */
static int top_zip(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    if (v->kind == NODE_MAP) return sw_zip_group(&L->e, v, &L->ax);
    if (v->kind != NODE_SEQ || v->n == 0)
        return sw_fail_at(&L->e, v, "zip: expected a list of groups, each a mapping of keys to lists of equal length");
    for (int g = 0; g < v->n; g++) {
        int rc = sw_zip_group(&L->e, v->items[g], &L->ax);
        if (rc) return rc;
    }
    return SW_OK;
}

static int top_search(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    return sw_searchspec_entries(&L->search, &L->e, v);
}

static int top_stop(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    return sw_stopspec_entries(&L->stop, &L->e, v);
}

static int top_space(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    L->search.space_node = v;
    if (v->kind != NODE_MAP || MAP_LEN(v) == 0)
        return sw_fail_at(&L->e, v, "space: expected a mapping of keys to distributions, e.g. train.lr: {loguniform: "
                       "[1.0e-4, 1.0e-2]}, got %s", v->kind == NODE_MAP ? "an empty mapping" :
                       v->kind == NODE_SCALAR && !*v->text ? "nothing" : sw_node_describe(v));
    return sw_searchspec_space(&L->search, &L->e, "", v);
}

/* A list of entries, or one entry (checked as such, so a scalar is refused here). */
static int top_exclude(loader *L, sw_sweep_spec *s, const node *v)
{
    (void)s;
    int n = v->kind == NODE_SEQ ? v->n : 1;
    if (v->kind == NODE_SEQ && n == 0) return sw_fail_at(&L->e, v, "exclude: an empty list; remove the key or add entries");
    if (v->kind == NODE_SCALAR)
        return sw_fail_at(&L->e, v, "exclude: expected a list of partial runs, e.g. [{cell: lstm, seq_len: 500}]");
    L->excl = calloc((size_t)n, sizeof *L->excl);
    if (!L->excl) return SW_ENOMEM;
    for (int j = 0; j < n; j++) {
        L->n_excl++;
        int rc = sw_exclusion_build(&L->e, v->kind == NODE_SEQ ? v->items[j] : v, &L->excl[j]);
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
    if (sw_is_section(name) || sw_schema_find(name) || (sw_resolve_key_at(&quiet, "", k, true, &r) == SW_OK))
        return sw_fail_at(&L->e, k, "unknown top-level key \"%s\"; config keys go under base: (e.g. base: {%s: ...}) "
                       "or grid:", name, name);
    const char *best = NULL;
    int best_d = 3;
    for (size_t t = 0; t < SW_ARRAY_LEN(top_keys); t++) {
        int d = sw_edit_distance(name, top_keys[t].name);
        if (d < best_d) best_d = d, best = top_keys[t].name;
    }
    if (best) return sw_fail_at(&L->e, k, "unknown top-level key \"%s\"; did you mean \"%s\"?", name, best);
    char list[128];
    top_key_list(list, sizeof list);
    return sw_fail_at(&L->e, k, "unknown top-level key \"%s\"; allowed: %s", name, list);
}

/* Reads the top level of the file into s (name, description) and L (base, axes, excludes). */
static int load_top(loader *L, sw_sweep_spec *s)
{
    const node *root = L->root;
    if (!root) {
        node empty = {.kind = NODE_MAP, .line = 1, .col = 1, .src = L->path};
        return sw_fail_at(&L->e, &empty, "the sweep file is empty; it needs at least a name (see configs/reference.yaml)");
    }
    if (root->kind != NODE_MAP) {
        char list[128];
        top_key_list(list, sizeof list);
        return sw_fail_at(&L->e, root, "the top level must be a mapping with keys %s; got %s", list, sw_node_describe(root));
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

/* ---- --set ---------------------------------------------------------------------- */

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
        sw_node_free(n);
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
        return sw_fail_at(&L->e, whole, "expected KEY=VALUE, e.g. --set train.epochs=5 or --set seed=[1,2,3]");
    node *k = kept_scalar(L, strndup(set, (size_t)(eq - set)), label);
    if (!k) return SW_ENOMEM;
    for (const char *p = k->text; *p; p++)
        if (isspace((unsigned char)*p))
            return sw_fail_at(&L->e, k, "the key \"%s\" contains spaces; write --set KEY=VALUE without spaces around =",
                           k->text);
    node *v = NULL;
    int rc = sw_yaml_read(eq + 1, strlen(eq + 1), label, true, &L->e, &v);
    if (rc) return rc;
    if (!v) {
        /* `--set key=`: an empty value. */
        if (!(v = kept_scalar(L, strdup(""), label))) return SW_ENOMEM;
    } else if ((rc = keep_node(L, v))) {
        sw_node_free(v);
        return rc;
    }
    *keynode = k, *value = v;
    return SW_OK;
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
    if ((rc = sw_check_list(e, NULL, keynode, v))) return rc;
    if ((rc = sw_axis_alloc(&a, v->n, keynode, false))) return rc;
    if ((rc = sw_entry_points(e, "--set", keynode, r, v, a.points)) || (rc = sw_axis_finish_keys(&a))) goto fail;
    for (int j = 0; j < a.n_keys; j++)
        if ((rc = sw_searchspec_release(&L->search, &L->e, L->path, a.keys[j], keynode))) goto fail;
    int at = -1;
    for (int j = 0; j < a.n_keys; j++) {
        int other = sw_axes_find(&L->ax, a.keys[j]);
        if (other >= 0 && L->ax.ax[other].zip) {
            rc = sw_fail_at(e, keynode, "%s varies in the zip group at %s:%d:%d; change it in the file", a.keys[j]->key,
                         L->path, L->ax.ax[other].where->line, L->ax.ax[other].where->col);
            goto fail;
        }
        if (at < 0) at = other;
    }
    for (int i = L->ax.n - 1; i >= 0; i--)
        if (i != at && sw_axes_overlap(&L->ax.ax[i], &a)) {
            sw_axes_remove(&L->ax, i);
            if (i < at) at--;
        }
    if (at >= 0) {
        sw_axis_clear(&L->ax.ax[at]);
        L->ax.ax[at] = a;
        return SW_OK;
    }
    if ((rc = sw_axes_push(&L->ax, &a))) goto fail;
    return SW_OK;
fail:
    sw_axis_clear(&a);
    return rc;
}

/* A --set of single values sets each key it names for every run, in place of a grid axis
 * varying that key alone; a later --set of a key wins over an earlier one. */
static int set_values(loader *L, const node *keynode, const node *v)
{
    assigns add = {0};
    int rc = sw_collect_entry(&L->e, "", keynode, v, true, &add);
    for (int j = 0; !rc && j < add.n; j++) {
        const sw_key_info *k = add.a[j].key;
        if ((rc = sw_searchspec_release(&L->search, &L->e, L->path, k, keynode))) break;
        int other = sw_axes_find(&L->ax, k);
        if (other >= 0) {
            const axis *o = &L->ax.ax[other];
            if (o->zip || o->n_keys > 1) {
                rc = sw_fail_at(&L->e, keynode, "%s varies together with other keys (%s at %s:%d:%d); change it in the file",
                             k->key, o->zip ? "zip group" : "grid axis", L->path, o->where->line, o->where->col);
                break;
            }
            sw_axes_remove(&L->ax, other);
        }
        for (int q = 0; q < L->overrides.n; q++)
            if (L->overrides.a[q].key == k) {
                memmove(&L->overrides.a[q], &L->overrides.a[q + 1], (size_t)(L->overrides.n - q - 1) * sizeof(assign));
                L->overrides.n--;
                break;
            }
        rc = sw_assigns_push(&L->overrides, k, add.a[j].keynode, add.a[j].value);
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
    if (!strcmp(keynode->text, "search")) return sw_searchspec_entries(&L->search, &L->e, v);
    if (!strcmp(keynode->text, "stop")) return sw_stopspec_entries(&L->stop, &L->e, v);
    if (!strncmp(keynode->text, "stop.", 5)) {
        L->stop.node = keynode;
        return sw_stopspec_entry(&L->stop, &L->e, keynode, keynode->text + 5, v);
    }
    if (!strncmp(keynode->text, "search.", 7)) {
        L->search.node = keynode;
        return sw_searchspec_entry(&L->search, &L->e, keynode, keynode->text + 7, v);
    }
    resolved r;
    if ((rc = sw_resolve_key_at(&L->e, "", keynode, true, &r))) return rc;
    return sw_lists_values(r.leaf, v) ? set_axis(L, keynode, &r, v) : set_values(L, keynode, v);
}

/* ---- the whole file ----------------------------------------------------------------- */

/* sw_sweep_spec_parse with a tpe search's chosen points (may be NULL). */
static int parse_search(const char *path, const char *text, size_t len, const char *const *sets, int n_sets,
                        const sw_search_chosen *chosen, sw_sweep_spec **out, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = 0;
    loader L;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.search.chosen = chosen;
    L.e = (errbuf){err, errlen};
    sw_search_defaults(&L.search.config);
    sw_stop_defaults(&L.stop.config);
    sw_sweep_spec *s = calloc(1, sizeof *s);
    if (!s) return SW_ENOMEM;
    int rc;
    if ((rc = sw_dup_string(&s->path, path)) || (rc = sw_dup_string(&s->description, ""))) goto done;
    if (!(s->name = default_name(path))) { rc = SW_ENOMEM; goto done; }
    if ((rc = sw_yaml_read(text, len, path, false, &L.e, &L.root))) goto done;
    if ((rc = load_top(&L, s))) goto done;
    /* Base values, checked one by one (type and range) where they were written. */
    sw_config_defaults(&L.base_cfg);
    if ((rc = sw_apply_all(&L.e, &L.base_cfg, &L.base))) goto done;
    for (int i = 0; i < n_sets; i++)
        if ((rc = apply_set(&L, sets[i]))) goto done;
    if ((rc = sw_apply_all(&L.e, &L.base_cfg, &L.overrides))) goto done;
    if ((rc = sw_expand(&L, s))) goto done;

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
    for (int i = 0; i < L.n_set_roots; i++) sw_node_free(L.set_roots[i]);
    free(L.set_roots);
    free(L.base.a);
    free(L.overrides.a);
    for (int a = 0; a < L.ax.n; a++) sw_axis_clear(&L.ax.ax[a]);
    free(L.ax.ax);
    for (int x = 0; x < L.n_excl; x++) sw_exclusion_clear(&L.excl[x]);
    free(L.excl);
    free(L.swept);
    sw_searchspec_clear(&L.search);
    sw_node_free(L.root);
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
