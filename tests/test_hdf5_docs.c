/* test_hdf5_docs.c DOCS/hdf5-layout.md: the run-file section of the layout reference lists
 * exactly the paths of record.c's table, each once, with the table's shape and dtype.
 *
 * Read from the "## Run file" heading to the next "## " heading. A "### " heading whose
 * first `code` is an absolute path sets the group that relative names in its tables are
 * resolved against (headings without one, like "Root attributes", and groups the table does
 * not cover, like /config, are skipped). A table row's first cell lists one or more
 * `names`; the shape cell then lists one [shape] per name ("[L], [T], [H]"). Weights groups
 * are documented by their heading; their tables name tensors (model.h's table). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "record.h"

#define MAX_LINES 4000
#define MAX_CELLS 8

static int documented[256];

/* Splits a table line "| a | b |" into trimmed cells (in place); returns the count. */
static int split_cells(char *line, char **cells)
{
    int n = 0;
    char *p = strchr(line, '|');
    while (p && n < MAX_CELLS) {
        char *start = p + 1, *end = strchr(start, '|');
        if (!end) break;
        *end = 0;
        while (*start == ' ') start++;
        for (char *e = end - 1; e >= start && (*e == ' ' || *e == '\n'); e--) *e = 0;
        cells[n++] = start;
        p = end;
    }
    return n;
}

/* The i-th `code` span of s into out; 0 when there is none. */
static int code_span(const char *s, int i, char *out, size_t outlen)
{
    for (int k = 0; (s = strchr(s, '`')); k++) {
        const char *end = strchr(s + 1, '`');
        if (!end) return 0;
        if (k == i) {
            snprintf(out, outlen, "%.*s", (int)(end - s - 1), s + 1);
            return 1;
        }
        s = end + 1;
    }
    return 0;
}

static const sw_record_row *weights_row_containing(const char *path)
{
    for (size_t i = 0; i < sw_record_len; i++) {
        size_t n = strlen(sw_record[i].path);
        if (sw_record[i].kind == SW_REC_WEIGHTS && !strncmp(path, sw_record[i].path, n) && path[n] == '/')
            return &sw_record[i];
    }
    return NULL;
}

static int group_is_covered(const char *group)
{
    size_t n = strlen(group);
    for (size_t i = 0; i < sw_record_len; i++)
        if (!strncmp(sw_record[i].path, group, n) && (sw_record[i].path[n] == '/' || !sw_record[i].path[n])) return 1;
    return 0;
}

/* "[R, L, T]" (spaces and brackets dropped) against the row's dims. */
static void check_shape(const sw_record_row *row, const char *text)
{
    char want[64] = "", got[64] = "";
    size_t used = 0;
    for (int d = 0; d < row->rank; d++)
        used += (size_t)snprintf(want + used, sizeof want - used, "%s%s", d ? "," : "", sw_record_size_symbol(row->dims[d]));
    used = 0;
    for (const char *c = text; *c && used + 1 < sizeof got; c++)
        if (*c != ' ' && *c != '[' && *c != ']') got[used++] = *c;
    got[used] = 0;
    CHECK(!strcmp(want, got), "docs give %s the shape [%s], the table [%s]", row->path, got, want);
}

/* One row of a table: every name of its first cell, resolved against `group`. */
static void check_row(char *line, const char *group, int shape_col, int type_col)
{
    char *cells[MAX_CELLS];
    int nc = split_cells(line, cells);
    char name[128], dir[128], path[256];
    snprintf(dir, sizeof dir, "%s", group);
    int names = 0;
    while (code_span(cells[0], names, name, sizeof name)) names++;
    for (int i = 0; code_span(cells[0], i, name, sizeof name); i++) {
        if (name[0] == '/') {
            snprintf(path, sizeof path, "%s", name);
            snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(name, '/') - name), name);
        } else {
            snprintf(path, sizeof path, "%s/%s", dir, name);
        }
        const sw_record_row *row = sw_record_find(path);
        if (!row && weights_row_containing(path)) continue; /* a tensor of a weights group */
        if (!row && sw_record_text_find(path)) continue;    /* a text attribute */
        CHECK(row != NULL, "docs list %s, which record.c's table does not have", path);
        if (!row) continue;
        documented[row - sw_record]++;
        if (shape_col > 0 && shape_col < nc) {
            char shapes[256], *save = NULL, *part = NULL;
            snprintf(shapes, sizeof shapes, "%s", cells[shape_col]);
            part = strtok_r(shapes, "]", &save); /* the i-th of "[L], [T], [H]" */
            for (int k = 0; k < i && part && names > 1; k++) part = strtok_r(NULL, "]", &save);
            if (part && *part == ',') part++;
            check_shape(row, part ? part : "");
        }
        if (type_col > 0 && type_col < nc)
            CHECK(!strcmp(cells[type_col], sw_record_type_name(row->type)), "docs give %s the type %s, the table %s",
                  path, cells[type_col], sw_record_type_name(row->type));
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s docs/hdf5-layout.md\n", argv[0]);
        return 2;
    }
    CHECK(sw_record_len < SW_ARRAY_LEN(documented), "the table outgrew this test");
    FILE *f = fopen(argv[1], "r");
    CHECK(f != NULL, "cannot open %s", argv[1]);
    if (!f) return check_report("hdf5 docs");
    static char lines[MAX_LINES][1024];
    int n = 0;
    while (n < MAX_LINES && fgets(lines[n], sizeof lines[n], f)) n++;
    fclose(f);

    int in_run_file = 0, shape_col = -1, type_col = -1;
    char group[128] = "", name[128];
    for (int i = 0; i < n; i++) {
        char *line = lines[i];
        if (!strncmp(line, "## ", 3)) in_run_file = !strncmp(line, "## Run file", 11);
        if (!in_run_file) continue;
        if (!strncmp(line, "### ", 4)) {
            group[0] = 0;
            if (code_span(line, 0, name, sizeof name) && name[0] == '/') snprintf(group, sizeof group, "%s", name);
            for (int k = 0; code_span(line, k, name, sizeof name); k++) {
                const sw_record_row *row = sw_record_find(name);
                if (row && row->kind == SW_REC_WEIGHTS) documented[row - sw_record]++;
            }
            continue;
        }
        if (line[0] != '|' || !group[0] || !group_is_covered(group)) continue;
        if (i + 1 < n && !strncmp(lines[i + 1], "|---", 4)) { /* a header: find the columns */
            char *cells[MAX_CELLS];
            int nc = split_cells(line, cells);
            shape_col = type_col = -1;
            for (int c = 0; c < nc; c++) {
                if (!strcmp(cells[c], "shape")) shape_col = c;
                if (!strcmp(cells[c], "dtype") || !strcmp(cells[c], "type")) type_col = c;
            }
            continue;
        }
        if (!strncmp(line, "| `", 3)) check_row(line, group, shape_col, type_col);
    }
    for (size_t i = 0; i < sw_record_len; i++)
        CHECK(documented[i] == 1, "%s is documented %d times in the run-file section (want 1)", sw_record[i].path,
              documented[i]);
    return check_report("hdf5 docs");
}
