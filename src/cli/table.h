/* table.h: a table of cells, built row by row and printed as aligned text, markdown or CSV
 * (the summaries of `sweep summarize`). A cell keeps its display text, its CSV text and a
 * number for sorting, so one table serves every format; columns may be shown in text,
 * in CSV, or both. Internal to the command line (cli/). */
#ifndef SWEEP_TABLE_H
#define SWEEP_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "common.h"

typedef enum { SW_TABLE_TEXT, SW_TABLE_MARKDOWN, SW_TABLE_CSV, SW_TABLE_FORMAT_COUNT } sw_table_format;

enum { IN_TEXT = 1, IN_CSV = 2, IN_BOTH = 3 };

typedef struct {
    char id[96];     /* CSV header and --sort name */
    char title[96];  /* text/markdown header */
    int numeric;     /* right-aligned; sorted by number */
    int desc;        /* sorted descending unless told otherwise */
    int where;       /* IN_TEXT, IN_CSV or both */
    int keep;        /* a metric: shown even when it is the same in every row */
    int is_key;      /* a group key's column (or the run id's) */
    char legend[256];/* what it means, one line (--legend); "" when it needs none */
} column;

typedef struct {
    char *text; /* display text ("-" when missing) */
    char *csv;  /* CSV field ("" when missing) */
    double num; /* sort key; NaN when missing */
} cell;

typedef struct {
    column *cols;
    int ncols, capcols;
    cell *cells; /* nrows x ncols */
    int nrows, caprows;
    int oom;
} table;

/* CSV numbers: full precision, whole numbers in plain digits ("50", not "5e+01"). */
#define CSV_NUMBER(buf, v) sw_format_shortest(buf, sizeof buf, v, 1e15)

/* Stable merge sort of idx[0..n) by cmp(ctx, a, b). Returns -1 when out of memory (idx is
 * then left as it was). */
int sw_sort_indices(int *idx, int n, int (*cmp)(void *, int, int), void *ctx);

/* Adds a column (id: CSV header and --sort name; title: text header; where: IN_*);
 * returns its index, or -1 when out of memory (t->oom). */
int sw_tab_col(table *t, const char *id, const char *title, int numeric, int desc, int where);

/* Adds a row of missing cells; returns its index, or -1 when out of memory (t->oom). */
int sw_tab_row(table *t);

/* Sets a cell: display text, CSV text and sort number (copied). */
void sw_tab_set(table *t, int row, int col, const char *text, const char *csv, double num);

/* A number cell: fmt is a printf format of the one double that follows, the cell's value;
 * "-" when it is not finite. */
SW_PRINTF(4, 5)
void sw_tab_num(table *t, int row, int col, const char *fmt, ...);

/* Seconds (enough digits for tiny runs, no false precision for long ones), an integer, a
 * text (not sortable as a number). */
void sw_tab_seconds(table *t, int row, int col, double v);
void sw_tab_int(table *t, int row, int col, long long v);
void sw_tab_text(table *t, int row, int col, const char *s);

/* Display width of UTF-8 text (code points). */
int sw_text_width(const char *s);

/* The cell at (row, col). */
cell *sw_tab_cell(const table *t, int row, int col);

/* Frees what the table owns and zeroes it. */
void sw_tab_free(table *t);

/* Prints the table in `format` with the notes above it (text and markdown); in text and
 * markdown, with drop_constant and at least two rows, columns whose text is the same in
 * every row are left out and stated once above the table. */
void sw_tab_print(const table *t, sw_table_format format, FILE *out, const char *const *notes, int nnotes,
                  int drop_constant);

/* Sorts the rows stably by column col, descending when desc; missing values last. SW_OK or
 * SW_ENOMEM (message in err). */
int sw_tab_sort_column(table *t, int col, int desc, char *err, size_t errlen);

/* Keeps the first n rows. */
void sw_tab_truncate(table *t, int n);

/* Keeps rows[0..n) (distinct row indices), in that order; frees the others. SW_OK or
 * SW_ENOMEM (t unchanged). */
int sw_tab_select(table *t, const int *rows, int n);

#endif
