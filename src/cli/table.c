/* table.c: tables of cells printed as aligned text, markdown or CSV, and sorted by a column
 * (see table.h). */
#define _POSIX_C_SOURCE 200809L
#include "table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Stable merge sort of idx[0..n) by cmp(ctx, a, b). Returns -1 when out of memory (idx is
 * then left as it was). */
int sw_sort_indices(int *idx, int n, int (*cmp)(void *, int, int), void *ctx)
{
    if (n < 2) return 0;
    int *tmp = malloc((size_t)n * sizeof *tmp);
    if (!tmp) return -1;
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = cmp(ctx, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
            while (i < mid) tmp[k++] = idx[i++];
            while (j < hi) tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *idx);
    }
    free(tmp);
    return 0;
}

/* ---- tables ---------------------------------------------------------------------------- */

int sw_tab_col(table *t, const char *id, const char *title, int numeric, int desc, int where)
{
    if (t->ncols == t->capcols) {
        int cap = t->capcols ? 2 * t->capcols : 16;
        column *c = realloc(t->cols, (size_t)cap * sizeof *c);
        if (!c) {
            t->oom = 1;
            return -1;
        }
        t->cols = c;
        t->capcols = cap;
    }
    column *c = &t->cols[t->ncols];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->title, sizeof c->title, "%s", title);
    c->numeric = numeric;
    c->desc = desc;
    c->where = where;
    return t->ncols++;
}

/* Adds an empty row (columns must all exist). Returns its index or -1. */
int sw_tab_row(table *t)
{
    if (t->nrows == t->caprows) {
        int cap = t->caprows ? 2 * t->caprows : 16;
        cell *c = realloc(t->cells, (size_t)cap * t->ncols * sizeof *c);
        if (!c) {
            t->oom = 1;
            return -1;
        }
        t->cells = c;
        t->caprows = cap;
    }
    for (int j = 0; j < t->ncols; j++) t->cells[(size_t)t->nrows * t->ncols + j] = (cell){NULL, NULL, NAN};
    return t->nrows++;
}

void sw_tab_set(table *t, int row, int col, const char *text, const char *csv, double num)
{
    if (row < 0 || col < 0) return;
    cell *c = &t->cells[(size_t)row * t->ncols + col];
    free(c->text);
    free(c->csv);
    c->text = strdup(text);
    c->csv = strdup(csv);
    c->num = num;
    if (!c->text || !c->csv) t->oom = 1;
}

void sw_tab_free(table *t)
{
    for (int i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i].text);
        free(t->cells[i].csv);
    }
    free(t->cells);
    free(t->cols);
    memset(t, 0, sizeof *t);
}

cell *sw_tab_cell(const table *t, int row, int col)
{
    return &t->cells[(size_t)row * t->ncols + col];
}

/* Number cells: fmt is a printf format of one double, the cell's value (so the compiler
 * checks every call's format against it); "-" when the value is not finite. */
SW_PRINTF(4, 5)
void sw_tab_num(table *t, int row, int col, const char *fmt, ...)
{
    char text[64] = "-", csv[64] = "";
    va_list ap;
    va_start(ap, fmt);
    double v = va_arg(ap, double);
    va_end(ap);
    if (isfinite(v)) {
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        CSV_NUMBER(csv, v);
    }
    sw_tab_set(t, row, col, text, csv, v);
}

/* Seconds: enough digits for tiny test runs, no false precision for long ones. */
void sw_tab_seconds(table *t, int row, int col, double v)
{
    sw_tab_num(t, row, col, !isfinite(v) || v >= 100 ? "%.0f" : v >= 1 ? "%.1f" : "%.3f", v);
}

void sw_tab_int(table *t, int row, int col, long long v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    sw_tab_set(t, row, col, s, s, (double)v);
}

void sw_tab_text(table *t, int row, int col, const char *s)
{
    sw_tab_set(t, row, col, s, s, NAN);
}

/* Display width of UTF-8 text (code points). */
int sw_text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

static void put_csv_field(FILE *out, const char *s)
{
    int quote = s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ');
    for (const char *p = s; *p && !quote; p++) quote = *p == ',' || *p == '"' || *p == '\n' || *p == '\r';
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* Markdown cells: escape the pipe. */
static void put_md_cell(FILE *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '|') fputc('\\', out);
        fputc(*p == '\n' ? ' ' : *p, out);
    }
}

/* CSV: the header of CSV ids, then every row; every IN_CSV column. */
static void print_csv(const table *t, FILE *out)
{
    for (int i = -1; i < t->nrows; i++) {
        int first = 1;
        for (int j = 0; j < t->ncols; j++)
            if (t->cols[j].where & IN_CSV) {
                if (!first) fputc(',', out);
                put_csv_field(out, i < 0 ? t->cols[j].id : sw_tab_cell(t, i, j)->csv);
                first = 0;
            }
        fputc('\n', out);
    }
}

/* Chooses the IN_TEXT columns to print (show[j] = 1). With drop_constant and at least two
 * rows, a column whose text is the same in every row is left out and stated in `constant`
 * ("title value, ..."; "" when none). Returns the number of columns shown. */
static int choose_columns(const table *t, int drop_constant, int *show, char *constant, size_t len)
{
    size_t used = 0;
    int nshown = 0;
    constant[0] = 0;
    for (int j = 0; j < t->ncols; j++) {
        if (!(t->cols[j].where & IN_TEXT)) continue;
        show[j] = 1;
        /* A metric column stays: a table without its main numbers says nothing. */
        if (drop_constant && t->nrows >= 2 && !t->cols[j].keep) {
            int same = 1;
            for (int i = 1; i < t->nrows && same; i++)
                same = strcmp(sw_tab_cell(t, i, j)->text, sw_tab_cell(t, 0, j)->text) == 0;
            if (same) {
                show[j] = 0;
                /* An all-empty column (no run has an error) says nothing: hide it quietly. */
                if (used < len && sw_tab_cell(t, 0, j)->text[0])
                    used += (size_t)snprintf(constant + used, len - used, "%s%s %s", used ? ", " : "",
                                             t->cols[j].title, sw_tab_cell(t, 0, j)->text);
            }
        }
        nshown += show[j];
    }
    return nshown;
}

static void print_markdown(const table *t, const int *show, FILE *out)
{
    fputc('|', out);
    for (int j = 0; j < t->ncols; j++)
        if (show[j]) {
            fputc(' ', out);
            put_md_cell(out, t->cols[j].title);
            fputs(" |", out);
        }
    fputs("\n|", out);
    for (int j = 0; j < t->ncols; j++)
        if (show[j]) fputs(t->cols[j].numeric ? "---:|" : "---|", out);
    fputc('\n', out);
    for (int i = 0; i < t->nrows; i++) {
        fputc('|', out);
        for (int j = 0; j < t->ncols; j++)
            if (show[j]) {
                fputc(' ', out);
                put_md_cell(out, sw_tab_cell(t, i, j)->text);
                fputs(" |", out);
            }
        fputc('\n', out);
    }
}

/* Aligned text: the titles, a rule of dashes, the rows; numbers right-aligned. */
static void print_text(const table *t, const int *show, FILE *out)
{
    int *width = calloc((size_t)(t->ncols ? t->ncols : 1), sizeof *width);
    if (!width) return;
    int last = -1; /* the last column shown is not padded on the right */
    for (int j = 0; j < t->ncols; j++) {
        if (!show[j]) continue;
        last = j;
        width[j] = sw_text_width(t->cols[j].title);
        for (int i = 0; i < t->nrows; i++) {
            int w = sw_text_width(sw_tab_cell(t, i, j)->text);
            if (w > width[j]) width[j] = w;
        }
    }
    for (int pass = 0; pass < t->nrows + 2; pass++) {
        int first = 1;
        for (int j = 0; j < t->ncols; j++) {
            if (!show[j]) continue;
            if (!first) fputs("  ", out);
            first = 0;
            if (pass == 1) {
                for (int k = 0; k < width[j]; k++) fputc('-', out);
                continue;
            }
            const char *s = pass == 0 ? t->cols[j].title : sw_tab_cell(t, pass - 2, j)->text;
            int pad = width[j] - sw_text_width(s);
            if (t->cols[j].numeric)
                fprintf(out, "%*s%s", pad, "", s);
            else
                fprintf(out, "%s%*s", s, j == last ? 0 : pad, "");
        }
        fputc('\n', out);
    }
    free(width);
}

/* Prints the table. notes: lines printed above it (text/markdown only). In text and
 * markdown, with drop_constant and at least two rows, columns whose text is the same in
 * every row are left out and stated once above the table. */
void sw_tab_print(const table *t, sw_table_format format, FILE *out, const char *const *notes,
                      int nnotes, int drop_constant)
{
    if (format == SW_TABLE_CSV) {
        print_csv(t, out);
        return;
    }
    int *show = calloc((size_t)(t->ncols ? t->ncols : 1), sizeof *show);
    if (!show) return;
    char constant[2048];
    int nshown = choose_columns(t, drop_constant, show, constant, sizeof constant);
    for (int k = 0; k < nnotes; k++) fprintf(out, format == SW_TABLE_MARKDOWN ? "%s  \n" : "%s\n", notes[k]);
    if (constant[0])
        fprintf(out, format == SW_TABLE_MARKDOWN ? "Same in every row: %s  \n" : "same in every row: %s\n", constant);
    if (nnotes || constant[0]) fputc('\n', out);
    if (nshown && format == SW_TABLE_MARKDOWN)
        print_markdown(t, show, out);
    else if (nshown)
        print_text(t, show, out);
    free(show);
}

/* --sort: finds the column (by CSV id, text title or alias) and sorts rows stably. */
typedef struct {
    const table *t;
    int col, desc;
} sort_ctx;

static int cmp_rows(void *vctx, int a, int b)
{
    sort_ctx *c = vctx;
    const cell *x = sw_tab_cell(c->t, a, c->col), *y = sw_tab_cell(c->t, b, c->col);
    if (c->t->cols[c->col].numeric) {
        int nx = isnan(x->num), ny = isnan(y->num);
        if (nx || ny) return nx - ny; /* missing last, whatever the direction */
        int r = (x->num > y->num) - (x->num < y->num);
        return c->desc ? -r : r;
    }
    int r = strcmp(x->csv, y->csv);
    return c->desc ? -r : r;
}

/* Sorts the rows stably by column col, descending when desc. */
int sw_tab_sort_column(table *t, int col, int desc, char *err, size_t errlen)
{
    sort_ctx ctx = {t, col, desc};
    int *idx = malloc((size_t)(t->nrows ? t->nrows : 1) * sizeof *idx);
    cell *sorted = malloc((size_t)(t->nrows ? t->nrows : 1) * t->ncols * sizeof *sorted);
    if (!idx || !sorted) {
        free(idx);
        free(sorted);
        sw_set_error(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    for (int i = 0; i < t->nrows; i++) idx[i] = i;
    sw_sort_indices(idx, t->nrows, cmp_rows, &ctx);
    for (int i = 0; i < t->nrows; i++)
        memcpy(sorted + (size_t)i * t->ncols, t->cells + (size_t)idx[i] * t->ncols, (size_t)t->ncols * sizeof *sorted);
    memcpy(t->cells, sorted, (size_t)t->nrows * t->ncols * sizeof *sorted);
    free(sorted);
    free(idx);
    return SW_OK;
}

int sw_tab_select(table *t, const int *rows, int n)
{
    cell *kept = malloc((size_t)(n ? n : 1) * t->ncols * sizeof *kept);
    char *used = calloc((size_t)(t->nrows ? t->nrows : 1), 1);
    if (!kept || !used) {
        free(kept), free(used);
        return SW_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        memcpy(kept + (size_t)i * t->ncols, t->cells + (size_t)rows[i] * t->ncols, (size_t)t->ncols * sizeof *kept);
        used[rows[i]] = 1;
    }
    for (int i = 0; i < t->nrows; i++)
        for (int j = 0; j < t->ncols && !used[i]; j++) {
            free(sw_tab_cell(t, i, j)->text);
            free(sw_tab_cell(t, i, j)->csv);
        }
    memcpy(t->cells, kept, (size_t)n * t->ncols * sizeof *kept);
    t->nrows = n;
    free(kept), free(used);
    return SW_OK;
}

/* Keeps the first n rows (--top). */
void sw_tab_truncate(table *t, int n)
{
    for (int i = n; i < t->nrows; i++)
        for (int j = 0; j < t->ncols; j++) {
            free(sw_tab_cell(t, i, j)->text);
            free(sw_tab_cell(t, i, j)->csv);
        }
    if (n < t->nrows) t->nrows = n;
}
