/* summary.c: best-epoch tables from run files (see summary.h).
 *
 * Flow: read every run file of the directory (root, /config, /summary and the vanishing
 * figure; /history only for --history), order the runs as the index lists them (the
 * sweep's grid order), build a table of cells, then sort and print it as text, markdown or
 * CSV. A cell keeps its display text, its CSV text and a number for sorting, so one table
 * serves every format. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "summary.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "h5io.h"
#include "outdir.h"
#include "sweepspec.h"
#include "task.h"

/* ---- small utilities ------------------------------------------------------------------ */

/* Stable merge sort of idx[0..n) by cmp(ctx, a, b). Returns -1 when out of memory (idx is
 * then left as it was). */
static int sort_indices(int *idx, int n, int (*cmp)(void *, int, int), void *ctx)
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    int n;
    double mean, std, min, max, median;
} stats;

/* Statistics of the finite values among v[0..n); std is the sample standard deviation
 * (n-1), NaN for fewer than two values; everything NaN when there is no value. */
static stats stats_of(const double *v, int n)
{
    stats s = {0, NAN, NAN, NAN, NAN, NAN};
    double *w = malloc((size_t)(n ? n : 1) * sizeof *w);
    if (!w) return s;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) w[s.n++] = v[i];
    if (s.n) {
        double sum = 0;
        for (int i = 0; i < s.n; i++) sum += w[i];
        s.mean = sum / s.n;
        if (s.n > 1) {
            double ss = 0;
            for (int i = 0; i < s.n; i++) ss += (w[i] - s.mean) * (w[i] - s.mean);
            s.std = sqrt(ss / (s.n - 1));
        }
        qsort(w, (size_t)s.n, sizeof *w, cmp_double);
        s.min = w[0];
        s.max = w[s.n - 1];
        s.median = s.n % 2 ? w[s.n / 2] : 0.5 * (w[s.n / 2 - 1] + w[s.n / 2]);
    }
    free(w);
    return s;
}

/* Geometric mean of the finite, non-negative values (0 when one is 0); NaN when none. */
static double geometric_mean(const double *v, int n)
{
    double logs = 0;
    int m = 0, zero = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]) || v[i] < 0) continue;
        if (v[i] == 0)
            zero = 1;
        else
            logs += log(v[i]);
        m++;
    }
    if (!m) return NAN;
    return zero ? 0.0 : exp(logs / m);
}

/* ---- tables ---------------------------------------------------------------------------- */

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

static int tab_col(table *t, const char *id, const char *title, int numeric, int desc, int where)
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
static int tab_row(table *t)
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

static void tab_set(table *t, int row, int col, const char *text, const char *csv, double num)
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

static void tab_free(table *t)
{
    for (int i = 0; i < t->nrows * t->ncols; i++) {
        free(t->cells[i].text);
        free(t->cells[i].csv);
    }
    free(t->cells);
    free(t->cols);
    memset(t, 0, sizeof *t);
}

static cell *tab_cell(const table *t, int row, int col)
{
    return &t->cells[(size_t)row * t->ncols + col];
}

/* CSV numbers: full precision, whole numbers in plain digits ("50", not "5e+01"). */
#define CSV_NUMBER(buf, v) sw_format_shortest(buf, sizeof buf, v, 1e15)

/* Number cells: fmt is a printf format of one double, the cell's value (so the compiler
 * checks every call's format against it); "-" when the value is not finite. */
SW_PRINTF(4, 5)
static void set_num(table *t, int row, int col, const char *fmt, ...)
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
    tab_set(t, row, col, text, csv, v);
}

/* Seconds: enough digits for tiny test runs, no false precision for long ones. */
static void set_seconds(table *t, int row, int col, double v)
{
    set_num(t, row, col, !isfinite(v) || v >= 100 ? "%.0f" : v >= 1 ? "%.1f" : "%.3f", v);
}

static void set_int(table *t, int row, int col, long long v)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", v);
    tab_set(t, row, col, s, s, (double)v);
}

static void set_text(table *t, int row, int col, const char *s)
{
    tab_set(t, row, col, s, s, NAN);
}

/* Display width of UTF-8 text (code points). */
static int text_width(const char *s)
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
                put_csv_field(out, i < 0 ? t->cols[j].id : tab_cell(t, i, j)->csv);
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
                same = strcmp(tab_cell(t, i, j)->text, tab_cell(t, 0, j)->text) == 0;
            if (same) {
                show[j] = 0;
                /* An all-empty column (no run has an error) says nothing: hide it quietly. */
                if (used < len && tab_cell(t, 0, j)->text[0])
                    used += (size_t)snprintf(constant + used, len - used, "%s%s %s", used ? ", " : "",
                                             t->cols[j].title, tab_cell(t, 0, j)->text);
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
                put_md_cell(out, tab_cell(t, i, j)->text);
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
        width[j] = text_width(t->cols[j].title);
        for (int i = 0; i < t->nrows; i++) {
            int w = text_width(tab_cell(t, i, j)->text);
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
            const char *s = pass == 0 ? t->cols[j].title : tab_cell(t, pass - 2, j)->text;
            int pad = width[j] - text_width(s);
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
static void tab_print(const table *t, sw_table_format format, FILE *out, const char *const *notes,
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
    const cell *x = tab_cell(c->t, a, c->col), *y = tab_cell(c->t, b, c->col);
    if (c->t->cols[c->col].numeric) {
        int nx = isnan(x->num), ny = isnan(y->num);
        if (nx || ny) return nx - ny; /* missing last, whatever the direction */
        int r = (x->num > y->num) - (x->num < y->num);
        return c->desc ? -r : r;
    }
    int r = strcmp(x->csv, y->csv);
    return c->desc ? -r : r;
}

/* --sort's names beyond a column's CSV id and text title. */
static const char *const sort_aliases[][2] = {
    {"best", "best_acc_pct_mean"},      {"best_acc", "best_acc_pct_mean"},
    {"best_test_acc", "best_acc_pct_mean"}, {"final", "final_acc_pct_mean"},
    {"final_acc", "final_acc_pct_mean"}, {"final_test_acc", "final_acc_pct_mean"},
    {"train", "final_train_acc_pct_mean"}, {"epoch", "best_epoch_median"},
    {"best_epoch", "best_epoch_median"}, {"vanishing", "vanishing_ratio"}, {"input", "input_ratio"},
    {"seconds", "seconds_per_run"},      {"time", "seconds_per_run"},
    {"params", "param_count"},           {"parameters", "param_count"},
    /* tables of runs selected by their loss have no accuracy: the same names find the loss */
    {"best", "best_loss_mean"},          {"final", "final_loss_mean"},
    {"train", "final_train_loss_mean"},  {"loss", "best_loss_mean"},
    {"mse", "best_loss_mean"},           {"best_loss", "best_loss_mean"},
    {"final_loss", "final_loss_mean"},   {"baseline", "baseline_loss"},
    /* the validation metric that chose the best epoch */
    {"val", "val_acc_pct_mean"},         {"val", "val_loss_mean"},
    {"val_acc", "val_acc_pct_mean"},
};

/* The column named by its CSV id (exactly), its text title or an alias; per-run tables
 * name the same things without the statistic. -1 when none. */
static int find_named_column(const table *t, const char *name)
{
    for (int j = 0; j < t->ncols; j++)
        if (!strcmp(t->cols[j].id, name) || !strcmp(t->cols[j].title, name)) return j;
    for (size_t a = 0; a < SW_ARRAY_LEN(sort_aliases); a++)
        if (!strcmp(sort_aliases[a][0], name)) {
            for (int j = 0; j < t->ncols; j++)
                if (!strcmp(t->cols[j].id, sort_aliases[a][1])) return j;
            char alt[96];
            snprintf(alt, sizeof alt, "%s", sort_aliases[a][1]);
            char *m = strstr(alt, "_mean");
            if (m) *m = 0;
            if (!strcmp(alt, "best_epoch_median")) snprintf(alt, sizeof alt, "best_epoch");
            if (!strcmp(alt, "seconds_per_run")) snprintf(alt, sizeof alt, "wall_seconds");
            for (int j = 0; j < t->ncols; j++)
                if (!strcmp(t->cols[j].id, alt)) return j;
        }
    return -1;
}

/* The column --sort NAME means: a column's name, or a config key written as anywhere else
 * (its short form: lr, cell, schedule.kind). On failure -1, with why in err: the nearest
 * name, or that a known key is not a column of this table. */
static int find_column(const table *t, const char *name, char *err, size_t errlen)
{
    int j = find_named_column(t, name);
    if (j >= 0) return j;
    const sw_key_info *k = sw_resolve_key(name);
    if (k && (j = find_named_column(t, k->key)) >= 0) return j;
    if (k) {
        sw_set_error(err, errlen, "--sort: %s is not a column of this table (its rows are not told apart by it; "
                     "--by %s groups by it)", k->key, name);
        return -1;
    }
    const char *near = NULL;
    int best = 1000;
    for (int c = 0; c < t->ncols; c++)
        for (int w = 0; w < 2; w++) {
            const char *cand = w ? t->cols[c].title : t->cols[c].id;
            int d = sw_edit_distance(name, cand);
            if (d < best && (t->cols[c].where & (w ? IN_TEXT : IN_CSV))) best = d, near = cand;
        }
    for (size_t a = 0; a < SW_ARRAY_LEN(sort_aliases); a++) {
        int d = sw_edit_distance(name, sort_aliases[a][0]);
        if (d < best && find_named_column(t, sort_aliases[a][0]) >= 0) best = d, near = sort_aliases[a][0];
    }
    int limit = (int)strlen(name) / 3;
    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit; /* a typo, as config keys count one */
    size_t used = (size_t)snprintf(err, errlen, "unknown --sort column '%s'", name);
    if (near && best <= limit && used < errlen)
        used += (size_t)snprintf(err + used, errlen - used, " (did you mean '%s'?)", near);
    if (used < errlen) used += (size_t)snprintf(err + used, errlen - used, "; columns:");
    for (int c = 0; c < t->ncols && used < errlen; c++)
        if (t->cols[c].where & IN_CSV) used += (size_t)snprintf(err + used, errlen - used, " %s", t->cols[c].id);
    return -1;
}

/* Sorts the rows stably by column col, descending when desc. */
static int tab_sort_column(table *t, int col, int desc, char *err, size_t errlen)
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
    sort_indices(idx, t->nrows, cmp_rows, &ctx);
    for (int i = 0; i < t->nrows; i++)
        memcpy(sorted + (size_t)i * t->ncols, t->cells + (size_t)idx[i] * t->ncols, (size_t)t->ncols * sizeof *sorted);
    memcpy(t->cells, sorted, (size_t)t->nrows * t->ncols * sizeof *sorted);
    free(sorted);
    free(idx);
    return SW_OK;
}

/* --sort [-|+]NAME: the column's own direction unless a sign forces one. */
static int tab_sort(table *t, const char *spec, char *err, size_t errlen)
{
    int dir = 0; /* 0 default, 1 ascending, -1 descending */
    if (spec[0] == '-') dir = -1, spec++;
    else if (spec[0] == '+') dir = 1, spec++;
    int col = find_column(t, spec, err, errlen);
    if (col < 0) return SW_EINVAL;
    return tab_sort_column(t, col, dir ? dir < 0 : t->cols[col].desc, err, errlen);
}

/* Keeps the first n rows (--top). */
static void tab_truncate(table *t, int n)
{
    for (int i = n; i < t->nrows; i++)
        for (int j = 0; j < t->ncols; j++) {
            free(tab_cell(t, i, j)->text);
            free(tab_cell(t, i, j)->csv);
        }
    if (n < t->nrows) t->nrows = n;
}

/* ---- the runs of a directory ---------------------------------------------------------- */

/* What a run's metric adds to the tables. A run selected by the lowest test loss (a
 * regression task: its loss is the MSE) has no accuracy to show; a run whose task has a
 * baseline loss (what a constant answer scores) is shown with its test loss next to it. */
typedef struct {
    int by_loss;      /* metric_mode min: the best epoch is the lowest test loss */
    int shows_loss;   /* by_loss, or a baseline to compare the loss with: in the loss columns */
    double best_loss; /* test loss at the best epoch */
    double final_loss, final_train_loss; /* of the last epoch in /history; NaN when unread */
    double baseline;  /* sw_task_baseline_loss; NaN when the task has none */
    int val;          /* selected on its validation set (/summary metric val_acc or val_loss) */
    double val_best;  /* that metric at the best epoch (accuracy as a fraction); NaN without */
} run_loss;

/* The families of columns a table can have: a column is there when the runs have every
 * family it names (FAM_ALWAYS: none), so a directory of classification runs gets exactly
 * the accuracy columns and regression or copy runs add theirs. */
enum {
    FAM_ALWAYS = 0,
    FAM_ACC = 1,         /* a run is selected by test accuracy */
    FAM_LOSS = 2,        /* a run shows its loss (run_loss.shows_loss) */
    FAM_LOSS_METRIC = 4, /* a run is selected by test loss */
    FAM_BASELINE = 8,    /* a run's task has a baseline loss */
    FAM_NEVER = 16,      /* no run: the column is not in that format */
    FAM_VAL_ACC = 32,    /* a run is selected by validation accuracy (task.val_size > 0) */
    FAM_VAL_LOSS = 64,   /* a run is selected by validation loss (a regression with val_size) */
    FAM_STOPPED = 128,   /* a run was stopped early at a rung */
    FAM_INPUT_GRAD = 256 /* a run file records the input's gradient (/gradients/dloss_dx_norm) */
};

/* The sweeps the runs come from. A sweep is its name (the run files' root attribute `sweep`)
 * and the directory its files really are in (links resolved), so that the files of two
 * sweeps linked or copied into one directory, or given as several directories, are never
 * taken for one sweep, even when both sweeps have the same name. */
typedef struct {
    char *name;   /* the runs' `sweep` attribute ("" when absent) */
    char *origin; /* the real directory of its files (with the name, its identity) */
    char *label;  /* what the table shows: the name, or "name (DIR)" when sweeps share it */
    int runs;
    int at_arg;   /* its files are in the directory argument they were read from (not links) */
} sweep_origin;

/* The `sweep` pseudo-key: the group keys are schema key strings, or this one (a pointer
 * compared by address) for the column of the sweep a run belongs to. */
static const char SWEEP_KEY[] = "sweep";

typedef struct {
    sw_run_file *runs; /* in grid order, directory by directory */
    run_loss *loss;    /* parallel to runs */
    int *source;       /* parallel to runs: the index in dirs of the directory it was read from */
    int *sweep_of;     /* parallel to runs: its entry in sweeps */
    int n;
    const char **keys; /* schema key strings: first the nunswept keys whose values differ between
                          the runs though no file lists them as swept (schema order), then the
                          swept keys the files list (their union, first-seen order) */
    int nkeys, nunswept;
    sweep_origin *sweeps; /* in order of first appearance */
    int nsweeps;
    const char *const *dirs; /* the directories read, as given */
    int ndirs;
    int unreadable, pending;
    char *sweep;       /* name from the first run that has one */
    unsigned fams;     /* FAM_* bits the runs have */
    const char *loss_name; /* "MSE" when every run in the loss columns is a regression run
                              (selected by test loss), else "loss" */
    int sampled;       /* every run is a point of a sampled search (its id names the point) */
} run_set;

static void run_set_free(run_set *rs)
{
    for (int i = 0; i < rs->n; i++) sw_run_file_free(&rs->runs[i]);
    for (int s = 0; s < rs->nsweeps; s++) {
        free(rs->sweeps[s].name);
        free(rs->sweeps[s].origin);
        free(rs->sweeps[s].label);
    }
    free(rs->sweeps);
    free(rs->runs);
    free(rs->loss);
    free(rs->source);
    free(rs->sweep_of);
    free(rs->keys);
    memset(rs, 0, sizeof *rs);
}

/* Compares the values of `key` in two configs: numbers numerically, choices by their order
 * in the schema (rnn < lstm < gru), lists and text by text. */
static int cmp_key(const sw_key_info *k, const sw_config *a, const sw_config *b)
{
    switch (k->type) {
    case SW_TYPE_FLOAT: {
        double x = sw_config_get_float(a, k), y = sw_config_get_float(b, k);
        return (x > y) - (x < y);
    }
    case SW_TYPE_STRING: return strcmp(sw_config_get_string(a, k), sw_config_get_string(b, k));
    case SW_TYPE_INT_LIST: {
        char x[256], y[256];
        sw_config_format(a, k, x, sizeof x);
        sw_config_format(b, k, y, sizeof y);
        return strcmp(x, y);
    }
    default: {
        long long x = sw_config_get_int(a, k), y = sw_config_get_int(b, k);
        return (x > y) - (x < y);
    }
    }
}

/* Compares runs a and b by a group key: a config key, or SWEEP_KEY (first appearance). */
static int cmp_group_key(const run_set *rs, const char *key, int a, int b)
{
    if (key == SWEEP_KEY) return (rs->sweep_of[a] > rs->sweep_of[b]) - (rs->sweep_of[a] < rs->sweep_of[b]);
    return cmp_key(sw_schema_find(key), &rs->runs[a].config, &rs->runs[b].config);
}

typedef struct {
    run_set *rs;
    int *pos; /* index position, or INT_MAX when not listed */
} order_ctx;

static int cmp_runs(void *vctx, int a, int b)
{
    order_ctx *c = vctx;
    if (c->pos[a] != c->pos[b]) return (c->pos[a] > c->pos[b]) - (c->pos[a] < c->pos[b]);
    for (int k = 0; k < c->rs->nkeys; k++) {
        int r = cmp_key(sw_schema_find(c->rs->keys[k]), &c->rs->runs[a].config, &c->rs->runs[b].config);
        if (r) return r;
    }
    return strcmp(c->rs->runs[a].run_id, c->rs->runs[b].run_id);
}

/* Reads every run file of dir into rs->runs (what: SW_READ_* parts beyond the summary).
 * A file that cannot be read is reported on diag and counted in rs->unreadable. */
static int read_run_files(const char *dir, unsigned what, run_set *rs, FILE *diag, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char hint[4096 + 256];
        sw_outdir_hint(dir, hint, sizeof hint);
        sw_set_error(err, errlen, "%s: no such directory%s", dir, hint);
        return SW_ENOTFOUND;
    }
    char **names = NULL;
    int n = sw_h5_list_runs(dir, &names);
    if (n < 0) {
        sw_set_error(err, errlen, "cannot list %s: %s", dir, sw_strerror(n));
        return n;
    }
    int rc = SW_OK;
    rs->runs = calloc((size_t)(n ? n : 1), sizeof *rs->runs);
    for (int i = 0; i < n && rs->runs; i++) {
        char path[4096], msg[4200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        sw_run_file *rf = &rs->runs[rs->n];
        /* Only a file that reads through counts (a damaged one is named and skipped). */
        rc = sw_h5_read_run(path, what | SW_READ_VERIFY, rf, msg, sizeof msg);
        /* The final losses are only in /history: read it for the runs that show them. */
        if (rc == SW_OK && !(what & SW_READ_HISTORY) &&
            (rf->metric_mode == SW_METRIC_MIN || isfinite(sw_task_baseline_loss(&rf->config.task)))) {
            sw_run_file_free(rf);
            rc = sw_h5_read_run(path, what | SW_READ_HISTORY, rf, msg, sizeof msg);
        }
        if (rc == SW_OK && rf->status >= SW_RUN_STATUS_COUNT) {
            snprintf(msg, sizeof msg, "%s: unknown status", path);
            rc = SW_EFORMAT;
        }
        if (rc == SW_OK) {
            rs->n++;
            continue;
        }
        sw_run_file_free(rf);
        if (rc == SW_ENOMEM) break;
        /* A summarizer that dies on one bad file is useless after a crash: say so and go on. */
        if (diag) fprintf(diag, "summarize: skipping %s\n", msg);
        rs->unreadable++;
        rc = SW_OK;
    }
    sw_h5_free_names(names, n);
    if (!rs->runs || rc == SW_ENOMEM) {
        sw_set_error(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    return SW_OK;
}

/* Whether some run's value of k differs from the first run's. */
static int key_differs(const run_set *rs, const sw_key_info *k)
{
    for (int i = 1; i < rs->n; i++)
        if (cmp_key(k, &rs->runs[0].config, &rs->runs[i].config)) return 1;
    return 0;
}

/* rs->keys: the keys that tell the runs' configurations apart. The swept keys the files
 * list (their union, first-seen order) are not enough: files of several sweeps (linked or
 * copied into one directory, or several directories) may differ in a key none of them
 * swept (two sweeps at T=20 and T=50), and averaging such runs together would be wrong
 * without a word. So every key whose value differs between the runs comes too, before the
 * swept ones (it is constant within each sweep, so it varies slowest). */
static int collect_keys(run_set *rs)
{
    const char **swept = calloc(sw_schema_len, sizeof *swept);
    rs->keys = calloc(sw_schema_len, sizeof *rs->keys);
    if (!swept || !rs->keys) {
        free(swept);
        return SW_ENOMEM;
    }
    int nswept = 0;
    for (int i = 0; i < rs->n; i++)
        for (int k = 0; k < rs->runs[i].n_swept; k++) {
            const sw_key_info *key = sw_schema_find(rs->runs[i].swept_keys[k]);
            int seen = !key;
            for (int j = 0; j < nswept && !seen; j++) seen = swept[j] == key->key;
            if (!seen) swept[nswept++] = key->key;
        }
    for (size_t k = 0; k < sw_schema_len; k++) {
        int listed = 0;
        for (int j = 0; j < nswept && !listed; j++) listed = swept[j] == sw_schema[k].key;
        if (!listed && key_differs(rs, &sw_schema[k])) rs->keys[rs->nkeys++] = sw_schema[k].key;
    }
    rs->nunswept = rs->nkeys;
    for (int j = 0; j < nswept; j++) rs->keys[rs->nkeys++] = swept[j];
    free(swept);
    return SW_OK;
}

/* Puts rs->runs in the grid order of dir's index (runs it does not list after them, by
 * their key values, then id), and counts the runs it lists without a file (pending). */
static int order_runs(const char *dir, run_set *rs)
{
    char **order = NULL;
    int norder = sw_h5_read_index_order(dir, &order);
    size_t n = (size_t)(rs->n > 0 ? rs->n : 1);
    int *pos = malloc(n * sizeof *pos);
    int *idx = malloc(n * sizeof *idx);
    sw_run_file *sorted = malloc(n * sizeof *sorted);
    int rc = pos && idx && sorted ? SW_OK : SW_ENOMEM;
    for (int i = 0; i < rs->n && !rc; i++) {
        pos[i] = 0x7fffffff;
        idx[i] = i;
        for (int j = 0; j < norder; j++)
            if (!strcmp(order[j], rs->runs[i].run_id)) {
                pos[i] = j;
                break;
            }
    }
    if (norder > 0 && !rc) {
        for (int j = 0; j < norder; j++) {
            int found = 0;
            for (int i = 0; i < rs->n && !found; i++) found = !strcmp(order[j], rs->runs[i].run_id);
            rs->pending += !found;
        }
        rs->pending -= rs->unreadable < rs->pending ? rs->unreadable : rs->pending;
    }
    if (!rc) {
        order_ctx ctx = {rs, pos};
        sort_indices(idx, rs->n, cmp_runs, &ctx);
        for (int i = 0; i < rs->n; i++) sorted[i] = rs->runs[idx[i]];
        memcpy(rs->runs, sorted, (size_t)rs->n * sizeof *sorted);
    }
    free(sorted);
    free(idx);
    free(pos);
    sw_h5_free_names(order, norder > 0 ? norder : 0);
    return rc;
}

/* Reads the run files of dirs[d] in that directory's grid order and appends them to rs. */
static int load_dir(int d, unsigned what, run_set *rs, FILE *diag, char *err, size_t errlen)
{
    run_set one;
    memset(&one, 0, sizeof one);
    int rc = read_run_files(rs->dirs[d], what, &one, diag, err, errlen);
    if (!rc) rc = collect_keys(&one);
    if (!rc) rc = order_runs(rs->dirs[d], &one);
    rs->unreadable += one.unreadable;
    rs->pending += one.pending;
    size_t n = (size_t)(rs->n + one.n ? rs->n + one.n : 1);
    sw_run_file *runs = rc ? NULL : realloc(rs->runs, n * sizeof *runs);
    if (runs) rs->runs = runs;
    int *source = runs ? realloc(rs->source, n * sizeof *source) : NULL;
    if (source) rs->source = source;
    if (!rc && (!runs || !source)) rc = SW_ENOMEM;
    if (!rc) { /* the files move over to rs */
        memcpy(rs->runs + rs->n, one.runs, (size_t)one.n * sizeof *one.runs);
        for (int i = 0; i < one.n; i++) rs->source[rs->n + i] = d;
        rs->n += one.n;
        one.n = 0;
    }
    run_set_free(&one);
    return rc;
}

/* The real directory of the file at path (symbolic links resolved), malloc'ed; NULL when it
 * cannot be resolved. */
static char *real_dir(const char *path)
{
    char *real = realpath(path, NULL);
    char *slash = real ? strrchr(real, '/') : NULL;
    if (slash) *(slash == real ? slash + 1 : slash) = '\0';
    return real;
}

/* How a sweep's directory is shown: the directory argument its first file was read from
 * when that is where its files are (then returns 1), else the real directory, relative to
 * the current one when it is below it. */
static int where_of(const run_set *rs, int i, const char *origin, char *out, size_t len)
{
    const char *dir = rs->dirs[rs->source[i]];
    char *real = realpath(dir, NULL), cwd[4096];
    int same = real && !strcmp(real, origin);
    free(real);
    size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (same)
        snprintf(out, len, "%s", dir);
    else if (n > 1 && !strncmp(origin, cwd, n) && origin[n] == '/')
        snprintf(out, len, "%s", origin + n + 1);
    else
        snprintf(out, len, "%s", origin);
    return same;
}

/* rs->sweeps and rs->sweep_of: which sweep each run belongs to (its name and real directory),
 * and each sweep's label (its name, or "name (DIR)" when another sweep has the same name). */
static int identify_sweeps(run_set *rs)
{
    size_t n = (size_t)(rs->n ? rs->n : 1);
    rs->sweep_of = malloc(n * sizeof *rs->sweep_of);
    rs->sweeps = calloc(n, sizeof *rs->sweeps);
    if (!rs->sweep_of || !rs->sweeps) return SW_ENOMEM;
    for (int i = 0; i < rs->n; i++) {
        const char *name = rs->runs[i].sweep ? rs->runs[i].sweep : "";
        char *origin = real_dir(rs->runs[i].path);
        if (!origin) origin = strdup(rs->dirs[rs->source[i]]);
        if (!origin) return SW_ENOMEM;
        int s = 0;
        while (s < rs->nsweeps && (strcmp(rs->sweeps[s].name, name) || strcmp(rs->sweeps[s].origin, origin))) s++;
        if (s == rs->nsweeps) {
            char where[4096];
            rs->sweeps[s].at_arg = where_of(rs, i, origin, where, sizeof where);
            rs->sweeps[s].origin = origin;
            rs->sweeps[s].name = strdup(name);
            rs->sweeps[s].label = strdup(where); /* replaced by the name below when it is unique */
            rs->nsweeps++;
            if (!rs->sweeps[s].name || !rs->sweeps[s].label) return SW_ENOMEM;
        } else {
            free(origin);
        }
        rs->sweep_of[i] = s;
        rs->sweeps[s].runs++;
    }
    for (int s = 0; s < rs->nsweeps; s++) {
        sweep_origin *sw = &rs->sweeps[s];
        int shared = 0;
        for (int o = 0; o < rs->nsweeps && !shared; o++) shared = o != s && !strcmp(rs->sweeps[o].name, sw->name);
        if (!sw->name[0]) continue; /* no name: its directory says which */
        size_t len = strlen(sw->name) + strlen(sw->label) + 4;
        char *label = malloc(len);
        if (!label) return SW_ENOMEM;
        if (shared)
            snprintf(label, len, "%s (%s)", sw->name, sw->label);
        else
            snprintf(label, len, "%s", sw->name);
        free(sw->label);
        sw->label = label;
    }
    return SW_OK;
}

/* Whether a run id names a point of a sampled search: one of its comma-separated parts is
 * "p" + digits + "-" + 8 hex digits (sweepspec.c's readable ids, e.g. p007-1a2b3c4d,seed=1). */
static int is_sampled_id(const char *id)
{
    for (const char *p = id; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p), digits = 1;
        while (digits < len && isdigit((unsigned char)p[digits])) digits++;
        int ok = p[0] == 'p' && digits > 1 && digits + 9 == len && p[digits] == '-';
        for (size_t h = digits + 1; ok && h < len; h++) ok = isxdigit((unsigned char)p[h]) != 0;
        if (ok) return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/* rs->loss, rs->fams and rs->loss_name from the runs (in their final order). */
static int collect_losses(run_set *rs)
{
    rs->loss = calloc((size_t)(rs->n > 0 ? rs->n : 1), sizeof *rs->loss);
    if (!rs->loss) return SW_ENOMEM;
    int mse = 1;
    for (int i = 0; i < rs->n; i++) {
        const sw_run_file *r = &rs->runs[i];
        run_loss *l = &rs->loss[i];
        const sw_history *h = &r->history;
        l->by_loss = r->metric_mode == SW_METRIC_MIN;
        l->baseline = sw_task_baseline_loss(&r->config.task);
        l->shows_loss = l->by_loss || isfinite(l->baseline);
        l->val = !strncmp(r->metric, "val_", 4);
        /* best_metric is the test loss only when the test set chose the epoch */
        l->best_loss = l->by_loss && !l->val && isfinite(r->best_metric) ? r->best_metric : r->best_test_loss;
        l->val_best = l->val ? r->best_metric : NAN;
        l->final_loss = h->epochs > 0 && h->test_loss ? h->test_loss[h->epochs - 1] : NAN;
        l->final_train_loss = h->epochs > 0 && h->train_loss ? h->train_loss[h->epochs - 1] : NAN;
        rs->fams |= l->by_loss ? FAM_LOSS_METRIC : FAM_ACC;
        if (l->shows_loss) rs->fams |= FAM_LOSS;
        if (isfinite(l->baseline)) rs->fams |= FAM_BASELINE;
        if (l->val) rs->fams |= l->by_loss ? FAM_VAL_LOSS : FAM_VAL_ACC;
        if (r->status == SW_RUN_STOPPED) rs->fams |= FAM_STOPPED;
        if (isfinite(r->input_ratio)) rs->fams |= FAM_INPUT_GRAD;
        /* only regression tasks are selected by their loss, which is then the MSE */
        if (l->shows_loss && !l->by_loss) mse = 0;
    }
    rs->loss_name = mse ? "MSE" : "loss";
    rs->sampled = rs->n > 0;
    for (int i = 0; i < rs->n && rs->sampled; i++) rs->sampled = is_sampled_id(rs->runs[i].run_id);
    return SW_OK;
}

/* Reads the run files of dirs[0..ndirs) into *rs (released with run_set_free whatever the
 * return), directory by directory, each in its grid order, with the keys that tell their
 * configurations apart, the sweeps they come from and what their metrics add. */
static int load_runs(const char *const *dirs, int ndirs, unsigned what, run_set *rs, FILE *diag, char *err,
                     size_t errlen)
{
    memset(rs, 0, sizeof *rs);
    rs->dirs = dirs;
    rs->ndirs = ndirs;
    int rc = SW_OK;
    for (int d = 0; d < ndirs && !rc; d++) rc = load_dir(d, what, rs, diag, err, errlen);
    if (!rc) rc = collect_keys(rs);
    if (!rc) rc = identify_sweeps(rs);
    if (!rc) rc = collect_losses(rs);
    if (rc == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    for (int i = 0; i < rs->n && !rs->sweep && !rc; i++)
        if (rs->runs[i].sweep && rs->runs[i].sweep[0]) rs->sweep = rs->runs[i].sweep;
    return rc;
}

/* ---- the three tables ------------------------------------------------------------------ */

static double pct(double fraction)
{
    return 100.0 * fraction;
}

/* The cell of group key `key` (a config key or SWEEP_KEY) for run i. */
static void key_cell(table *t, int row, int col, const char *key, const run_set *rs, int i)
{
    if (key == SWEEP_KEY) {
        tab_set(t, row, col, rs->sweeps[rs->sweep_of[i]].label, rs->sweeps[rs->sweep_of[i]].label, rs->sweep_of[i]);
        return;
    }
    const sw_key_info *k = sw_schema_find(key);
    const sw_config *cfg = &rs->runs[i].config;
    char text[SW_MAX_PATH + 8];
    if (k->type == SW_TYPE_STRING)
        snprintf(text, sizeof text, "%s", sw_config_get_string(cfg, k));
    else
        sw_config_format(cfg, k, text, sizeof text);
    double num = NAN; /* choices sort in schema order, lists and text by text */
    if (k->type == SW_TYPE_FLOAT) num = sw_config_get_float(cfg, k);
    else if (k->type != SW_TYPE_INT_LIST && k->type != SW_TYPE_STRING) num = (double)sw_config_get_int(cfg, k);
    tab_set(t, row, col, text, text, num);
}

static int key_numeric(const char *key)
{
    const sw_key_info *k = key == SWEEP_KEY ? NULL : sw_schema_find(key);
    return k && (k->type == SW_TYPE_INT || k->type == SW_TYPE_INT64 || k->type == SW_TYPE_FLOAT);
}

/* Short column titles: the last part of a dotted key (task.seq_len -> seq_len) unless two
 * keys would share it. */
static const char *key_title(const char *key, const char *const *keys, int nkeys)
{
    const char *dot = strrchr(key, '.');
    const char *s = dot ? dot + 1 : key;
    for (int i = 0; i < nkeys; i++) {
        if (keys[i] == key || !strcmp(keys[i], key)) continue;
        const char *d = strrchr(keys[i], '.');
        if (!strcmp(d ? d + 1 : keys[i], s)) return key;
    }
    return s;
}

/* Adds the columns of the group keys; their legend is the key's meaning. */
static void add_key_columns(table *t, const char *const *keys, int nkeys)
{
    for (int k = 0; k < nkeys; k++) {
        int c = tab_col(t, keys[k], key_title(keys[k], keys, nkeys), key_numeric(keys[k]), 0, IN_BOTH);
        if (c < 0) continue;
        t->cols[c].is_key = 1;
        const sw_key_info *ki = keys[k] == SWEEP_KEY ? NULL : sw_schema_find(keys[k]);
        if (ki)
            snprintf(t->cols[c].legend, sizeof t->cols[c].legend, "%s: %s", ki->key, ki->doc);
        else
            snprintf(t->cols[c].legend, sizeof t->cols[c].legend,
                     "the sweep the runs come from (its name; and its directory when several sweeps share it)");
    }
}

static void mean_pm_std(char *out, size_t len, stats s)
{
    if (!s.n)
        snprintf(out, len, "-");
    else if (s.n < 2)
        snprintf(out, len, "%.2f", s.mean);
    else
        snprintf(out, len, "%.2f +- %.2f", s.mean, s.std);
}

/* Losses span orders of magnitude (an MSE of 1e-5 is a solved adding problem): they are
 * printed with significant digits, not decimals. */
#define LOSS_FMT "%.4g"

static void loss_pm_std(char *out, size_t len, stats s)
{
    if (!s.n)
        snprintf(out, len, "-");
    else if (s.n < 2)
        snprintf(out, len, LOSS_FMT, s.mean);
    else
        snprintf(out, len, LOSS_FMT " +- %.2g", s.mean, s.std);
}

/* A column of the per-configuration or per-run table. It is in text when the runs have
 * every family of text_fam, in CSV when they have csv_fam's (FAM_NEVER: not in that
 * format), so a table only has the columns its runs' metrics give values to. `named`
 * titles end in the name of the loss ("best" -> "best MSE"). A `metric` column stays in the
 * text table even when every row has the same value. `legend`: its meaning in one line
 * (--legend, `sweep help summarize`); NULL for the CSV-only columns. */
typedef struct {
    const char *id, *title;
    int numeric, desc;
    unsigned text_fam, csv_fam;
    int named, metric;
    const char *legend;
} column_spec;

static int has_fams(unsigned have, unsigned want)
{
    return (have & want) == want;
}

/* Adds the columns of specs[0..n) that rs's runs have; col[k] is spec k's column, or -1
 * when it is not in the table (the cell setters ignore -1). */
static void add_columns(table *t, const column_spec *specs, int n, const run_set *rs, int *col)
{
    for (int k = 0; k < n; k++) {
        const column_spec *c = &specs[k];
        int where = (has_fams(rs->fams, c->text_fam) ? IN_TEXT : 0) | (has_fams(rs->fams, c->csv_fam) ? IN_CSV : 0);
        col[k] = -1;
        if (!where) continue;
        char title[96];
        snprintf(title, sizeof title, "%s%s%s", c->title, c->named ? " " : "", c->named ? rs->loss_name : "");
        col[k] = tab_col(t, c->id, title, c->numeric, c->desc, where);
        if (col[k] < 0) continue;
        t->cols[col[k]].keep = c->metric;
        snprintf(t->cols[col[k]].legend, sizeof t->cols[col[k]].legend, "%s", c->legend ? c->legend : "");
    }
}

/* The columns of the per-configuration table after its key columns, in order. Text shows
 * "mean +- std" and a range; CSV gives each statistic a column of raw numbers. Accuracies
 * sort high first, losses low first. */
enum {
    G_RUNS, G_DONE, G_STOPPED, G_FAILED, G_DIVERGED, G_PARAMS,
    G_VAL, G_VAL_MEAN, G_VAL_STD,
    G_BEST, G_RANGE, G_BEST_MEAN, G_BEST_STD, G_BEST_MIN, G_BEST_MAX,
    G_LVAL, G_LVAL_MEAN, G_LVAL_STD,
    G_LBEST, G_LRANGE, G_LBEST_MEAN, G_LBEST_STD, G_LBEST_MIN, G_LBEST_MAX, G_BASELINE,
    G_EPOCH, G_FINAL, G_FINAL_MEAN, G_FINAL_STD, G_LFINAL, G_LFINAL_MEAN, G_LFINAL_STD,
    G_TRAIN, G_LTRAIN, G_VANISHING, G_INPUT, G_SECONDS, G_COUNT
};

/* Meanings shared by the per-configuration and per-run tables (--legend). */
#define LEG_VAL_ACC "validation accuracy at the best epoch (the validation set chose that epoch)"
#define LEG_BEST_ACC "test accuracy at the best epoch (/summary/best_test_acc); with a validation set, at the epoch it chose"
#define LEG_VAL_LOSS "validation loss at the best epoch (the lowest: it chose that epoch)"
#define LEG_BEST_LOSS "test loss at the best epoch (for a regression the lowest, i.e. the MSE); lower is better"
#define LEG_BASELINE "a constant answer's loss: adding 1/6 (always 1), copy 10 ln 8 / (T+20); a model must get below it"
#define LEG_FINAL_ACC "test accuracy after the last epoch the run completed"
#define LEG_FINAL_LOSS "test loss after the last epoch the run completed"
#define LEG_TRAIN_ACC "training accuracy of the last epoch (dropout on)"
#define LEG_TRAIN_LOSS "training loss of the last epoch"
#define LEG_VANISHING "||dl/dh_1|| / ||dl/dh_T||, last layer, last recorded epoch: near 1 the gradient reaches the " \
                      "first step, far below 1 it vanishes"
#define LEG_INPUT "||dl/dx_1|| / ||dl/dx_T||: the same for the gradient reaching the inputs (every cell, transformer included)"
#define LEG_PARAMS "trainable parameters of the model (/summary/param_count): what a configuration costs"
#define STAT "; mean +- sample std over the row's runs"

#define ALL FAM_ALWAYS
#define NEVER FAM_NEVER
static const column_spec group_columns[G_COUNT] = {
    [G_RUNS] = {"runs", "runs", 1, 1, ALL, ALL, 0, 0, "run files in the row, whatever their status"},
    [G_DONE] = {"done", "done", 1, 1, ALL, ALL, 0, 0, "runs that completed every epoch"},
    [G_STOPPED] = {"stopped", "stopped", 1, 0, FAM_STOPPED, FAM_STOPPED, 0, 0,
                   "runs early stopping ended at a rung (averaged with their best epoch so far)"},
    [G_FAILED] = {"failed", "failed", 1, 0, ALL, ALL, 0, 0, "runs an error ended (counted, not averaged; --runs says why)"},
    [G_DIVERGED] = {"diverged", "diverged", 1, 0, ALL, ALL, 0, 0,
                    "runs whose loss or gradient became NaN or Inf (counted, not averaged)"},
    [G_PARAMS] = {"param_count", "params", 1, 0, ALL, ALL, 0, 0, LEG_PARAMS "; a range when the row's runs differ"},
    /* the validation metric the best epoch was chosen by, before the test set's value there */
    [G_VAL] = {"val_acc", "val acc %", 1, 1, FAM_VAL_ACC, NEVER, 0, 1, LEG_VAL_ACC STAT},
    [G_VAL_MEAN] = {"val_acc_pct_mean", "val acc mean", 1, 1, NEVER, FAM_VAL_ACC, 0, 0, NULL},
    [G_VAL_STD] = {"val_acc_pct_std", "val acc std", 1, 0, NEVER, FAM_VAL_ACC, 0, 0, NULL},
    [G_BEST] = {"best_acc", "best acc %", 1, 1, FAM_ACC, NEVER, 0, 1, LEG_BEST_ACC STAT},
    [G_RANGE] = {"best_acc_range", "min-max", 1, 1, FAM_ACC, NEVER, 0, 1,
                 "the lowest and highest best acc % of the row's runs"},
    [G_BEST_MEAN] = {"best_acc_pct_mean", "best acc mean", 1, 1, NEVER, FAM_ACC, 0, 0, NULL},
    [G_BEST_STD] = {"best_acc_pct_std", "best acc std", 1, 0, NEVER, FAM_ACC, 0, 0, NULL},
    [G_BEST_MIN] = {"best_acc_pct_min", "best acc min", 1, 1, NEVER, FAM_ACC, 0, 0, NULL},
    [G_BEST_MAX] = {"best_acc_pct_max", "best acc max", 1, 1, NEVER, FAM_ACC, 0, 0, NULL},
    [G_LVAL] = {"val_loss", "val", 1, 0, FAM_VAL_LOSS, NEVER, 1, 1, LEG_VAL_LOSS STAT},
    [G_LVAL_MEAN] = {"val_loss_mean", "val loss mean", 1, 0, NEVER, FAM_VAL_LOSS, 0, 0, NULL},
    [G_LVAL_STD] = {"val_loss_std", "val loss std", 1, 0, NEVER, FAM_VAL_LOSS, 0, 0, NULL},
    [G_LBEST] = {"best_loss", "best", 1, 0, FAM_LOSS, NEVER, 1, 1, LEG_BEST_LOSS STAT},
    [G_LRANGE] = {"best_loss_range", "min-max", 1, 0, FAM_LOSS_METRIC, NEVER, 0, 1,
                  "the lowest and highest best loss of the row's runs selected by their loss"},
    [G_LBEST_MEAN] = {"best_loss_mean", "best loss mean", 1, 0, NEVER, FAM_LOSS, 0, 0, NULL},
    [G_LBEST_STD] = {"best_loss_std", "best loss std", 1, 0, NEVER, FAM_LOSS, 0, 0, NULL},
    [G_LBEST_MIN] = {"best_loss_min", "best loss min", 1, 0, NEVER, FAM_LOSS, 0, 0, NULL},
    [G_LBEST_MAX] = {"best_loss_max", "best loss max", 1, 0, NEVER, FAM_LOSS, 0, 0, NULL},
    [G_BASELINE] = {"baseline_loss", "baseline", 1, 0, FAM_BASELINE, FAM_BASELINE, 0, 0, LEG_BASELINE},
    [G_EPOCH] = {"best_epoch_median", "best epoch", 1, 0, ALL, ALL, 0, 0,
                 "median of the runs' best epochs (the epoch their metric was best, from 1)"},
    [G_FINAL] = {"final_acc", "final acc %", 1, 1, FAM_ACC, NEVER, 0, 1, LEG_FINAL_ACC STAT},
    [G_FINAL_MEAN] = {"final_acc_pct_mean", "final acc mean", 1, 1, NEVER, FAM_ACC, 0, 0, NULL},
    [G_FINAL_STD] = {"final_acc_pct_std", "final acc std", 1, 0, NEVER, FAM_ACC, 0, 0, NULL},
    [G_LFINAL] = {"final_loss", "final", 1, 0, FAM_LOSS_METRIC, NEVER, 1, 1, LEG_FINAL_LOSS STAT},
    [G_LFINAL_MEAN] = {"final_loss_mean", "final loss mean", 1, 0, NEVER, FAM_LOSS, 0, 0, NULL},
    [G_LFINAL_STD] = {"final_loss_std", "final loss std", 1, 0, NEVER, FAM_LOSS, 0, 0, NULL},
    [G_TRAIN] = {"final_train_acc_pct_mean", "train acc %", 1, 1, FAM_ACC, FAM_ACC, 0, 1, LEG_TRAIN_ACC "; mean over the row's runs"},
    [G_LTRAIN] = {"final_train_loss_mean", "train", 1, 0, FAM_LOSS_METRIC, FAM_LOSS, 1, 1, LEG_TRAIN_LOSS "; mean over the row's runs"},
    [G_VANISHING] = {"vanishing_ratio", "dh1/dhT", 1, 0, ALL, ALL, 0, 0, LEG_VANISHING "; geometric mean"},
    [G_INPUT] = {"input_ratio", "dx1/dxT", 1, 0, FAM_INPUT_GRAD, FAM_INPUT_GRAD, 0, 0, LEG_INPUT "; geometric mean"},
    [G_SECONDS] = {"seconds_per_run", "s/run", 1, 0, ALL, ALL, 0, 0, "mean wall seconds per run"},
};

/* Numbers over the averaged runs of one group, one array per statistic (n each). */
enum { V_BEST, V_EPOCH, V_FINAL, V_TRAIN, V_VAN, V_INPUT, V_SEC, V_LBEST, V_LFINAL, V_LTRAIN, V_VAL, V_LVAL, V_COUNT };

/* Whether a run's numbers enter a group's statistics: done runs, and early-stopped ones with
 * their best epoch so far. A stopped run is a result of the search, not a failure; leaving
 * it out would average only the seeds that survived the rungs, the lucky ones. */
static int in_statistics(sw_run_status status)
{
    return status == SW_RUN_DONE || status == SW_RUN_STOPPED;
}

/* Puts in group[i] the group of run i (runs with equal values of every gkey share one,
 * numbered in order of first appearance) and in first[g] the first run of group g.
 * Returns the number of groups. */
static int assign_groups(const run_set *rs, const char *const *gkeys, int ngk, int *group, int *first)
{
    int ngroups = 0;
    for (int i = 0; i < rs->n; i++) {
        group[i] = -1;
        for (int g = 0; g < ngroups && group[i] < 0; g++) {
            int same = 1;
            for (int k = 0; k < ngk && same; k++)
                same = cmp_group_key(rs, gkeys[k], i, first[g]) == 0;
            if (same) group[i] = g;
        }
        if (group[i] < 0) {
            first[ngroups] = i;
            group[i] = ngroups++;
        }
    }
    return ngroups;
}

/* "mean +- std" of a loss in text, its mean in CSV. */
static void set_loss_stat(table *t, int row, int col, stats s)
{
    char text[96], csv[32];
    loss_pm_std(text, sizeof text, s);
    CSV_NUMBER(csv, s.mean);
    tab_set(t, row, col, text, s.n ? csv : "", s.mean);
}

/* The parameter count of the runs of group g (those whose file records one): one number,
 * or its range in text (CSV: empty) when they differ (a --by that merges model sizes). */
static void set_params(table *t, int row, int col, const run_set *rs, const int *group, int g)
{
    long long lo = 0, hi = 0;
    for (int i = 0; i < rs->n; i++) {
        long long p = rs->runs[i].param_count;
        if (group[i] != g || p <= 0) continue;
        if (!lo || p < lo) lo = p;
        if (p > hi) hi = p;
    }
    if (lo == hi && lo > 0) {
        set_int(t, row, col, lo);
    } else if (lo) {
        char text[64];
        snprintf(text, sizeof text, "%lld-%lld", lo, hi);
        tab_set(t, row, col, text, "", (double)hi);
    } else {
        tab_set(t, row, col, "-", "", NAN);
    }
}

/* Fills the statistics columns col[G_*] of `row` for group g; v[V_*] are scratch arrays
 * of rs->n values each. */
static void group_row(table *t, int row, const int *col, const run_set *rs, const int *group, int g, double *const *v)
{
    int m = 0, counts[SW_RUN_STATUS_COUNT] = {0}, total = 0;
    double bmin = INFINITY, bmax = -INFINITY;
    for (int i = 0; i < rs->n; i++) {
        if (group[i] != g) continue;
        const sw_run_file *r = &rs->runs[i];
        const run_loss *l = &rs->loss[i];
        total++;
        counts[r->status]++;
        if (isfinite(l->baseline)) {
            bmin = fmin(bmin, l->baseline);
            bmax = fmax(bmax, l->baseline);
        }
        if (!in_statistics(r->status)) continue;
        /* a run selected by its loss has no accuracy to average */
        v[V_BEST][m] = l->by_loss ? NAN : pct(r->best_test_acc);
        v[V_EPOCH][m] = r->best_epoch > 0 ? r->best_epoch : NAN;
        v[V_FINAL][m] = l->by_loss ? NAN : pct(r->final_test_acc);
        v[V_TRAIN][m] = l->by_loss ? NAN : pct(r->final_train_acc);
        v[V_VAN][m] = r->vanishing_ratio;
        v[V_INPUT][m] = r->input_ratio;
        v[V_SEC][m] = r->wall_seconds;
        v[V_LBEST][m] = l->shows_loss ? l->best_loss : NAN;
        v[V_LFINAL][m] = l->shows_loss ? l->final_loss : NAN;
        v[V_LTRAIN][m] = l->shows_loss ? l->final_train_loss : NAN;
        v[V_VAL][m] = l->val && !l->by_loss ? pct(l->val_best) : NAN;
        v[V_LVAL][m] = l->val && l->by_loss ? l->val_best : NAN;
        m++;
    }
    set_int(t, row, col[G_RUNS], total);
    set_int(t, row, col[G_DONE], counts[SW_RUN_DONE]);
    set_int(t, row, col[G_STOPPED], counts[SW_RUN_STOPPED]);
    set_int(t, row, col[G_FAILED], counts[SW_RUN_FAILED]);
    set_int(t, row, col[G_DIVERGED], counts[SW_RUN_DIVERGED]);
    set_params(t, row, col[G_PARAMS], rs, group, g);
    stats sb = stats_of(v[V_BEST], m), se = stats_of(v[V_EPOCH], m), sf = stats_of(v[V_FINAL], m),
          st = stats_of(v[V_TRAIN], m), ss = stats_of(v[V_SEC], m);
    char text[96], csv[32];
    stats sv = stats_of(v[V_VAL], m), slv = stats_of(v[V_LVAL], m);
    mean_pm_std(text, sizeof text, sv);
    CSV_NUMBER(csv, sv.mean);
    tab_set(t, row, col[G_VAL], text, sv.n ? csv : "", sv.mean);
    set_num(t, row, col[G_VAL_MEAN], "%.2f", sv.mean);
    set_num(t, row, col[G_VAL_STD], "%.2f", sv.std);
    set_loss_stat(t, row, col[G_LVAL], slv);
    set_num(t, row, col[G_LVAL_MEAN], LOSS_FMT, slv.mean);
    set_num(t, row, col[G_LVAL_STD], LOSS_FMT, slv.std);
    mean_pm_std(text, sizeof text, sb);
    CSV_NUMBER(csv, sb.mean);
    tab_set(t, row, col[G_BEST], text, sb.n ? csv : "", sb.mean);
    if (sb.n)
        snprintf(text, sizeof text, "%.2f-%.2f", sb.min, sb.max);
    else
        snprintf(text, sizeof text, "-");
    tab_set(t, row, col[G_RANGE], text, "", sb.max - sb.min);
    set_num(t, row, col[G_BEST_MEAN], "%.2f", sb.mean);
    set_num(t, row, col[G_BEST_STD], "%.2f", sb.std);
    set_num(t, row, col[G_BEST_MIN], "%.2f", sb.min);
    set_num(t, row, col[G_BEST_MAX], "%.2f", sb.max);
    set_num(t, row, col[G_EPOCH], se.median == floor(se.median) ? "%.0f" : "%.1f", se.median);
    mean_pm_std(text, sizeof text, sf);
    CSV_NUMBER(csv, sf.mean);
    tab_set(t, row, col[G_FINAL], text, sf.n ? csv : "", sf.mean);
    set_num(t, row, col[G_FINAL_MEAN], "%.2f", sf.mean);
    set_num(t, row, col[G_FINAL_STD], "%.2f", sf.std);
    set_num(t, row, col[G_TRAIN], "%.2f", st.mean);

    /* Losses: lower is better, so the range reads best-worst and sorting puts the lowest first. */
    stats sl = stats_of(v[V_LBEST], m), slf = stats_of(v[V_LFINAL], m), slt = stats_of(v[V_LTRAIN], m);
    set_loss_stat(t, row, col[G_LBEST], sl);
    if (sl.n)
        snprintf(text, sizeof text, LOSS_FMT "-" LOSS_FMT, sl.min, sl.max);
    else
        snprintf(text, sizeof text, "-");
    tab_set(t, row, col[G_LRANGE], text, "", sl.max - sl.min);
    set_num(t, row, col[G_LBEST_MEAN], LOSS_FMT, sl.mean);
    set_num(t, row, col[G_LBEST_STD], LOSS_FMT, sl.std);
    set_num(t, row, col[G_LBEST_MIN], LOSS_FMT, sl.min);
    set_num(t, row, col[G_LBEST_MAX], LOSS_FMT, sl.max);
    if (bmin == bmax || bmin > bmax) {
        set_num(t, row, col[G_BASELINE], LOSS_FMT, bmin == bmax ? bmin : NAN);
    } else { /* a group over several lengths or tasks: their range, no single number */
        snprintf(text, sizeof text, LOSS_FMT "-" LOSS_FMT, bmin, bmax);
        tab_set(t, row, col[G_BASELINE], text, "", NAN);
    }
    set_loss_stat(t, row, col[G_LFINAL], slf);
    set_num(t, row, col[G_LFINAL_MEAN], LOSS_FMT, slf.mean);
    set_num(t, row, col[G_LFINAL_STD], LOSS_FMT, slf.std);
    set_num(t, row, col[G_LTRAIN], LOSS_FMT, slt.mean);

    set_num(t, row, col[G_VANISHING], "%.3g", geometric_mean(v[V_VAN], m));
    set_num(t, row, col[G_INPUT], "%.3g", geometric_mean(v[V_INPUT], m));
    set_seconds(t, row, col[G_SECONDS], ss.mean);
}

/* One row per configuration: the runs grouped by the values of gkeys. */
static int group_table(const run_set *rs, const char *const *gkeys, int ngk, table *t)
{
    int c_keys = t->ncols;
    add_key_columns(t, gkeys, ngk);
    int col[G_COUNT];
    add_columns(t, group_columns, G_COUNT, rs, col);
    if (t->oom) return SW_ENOMEM;

    int n = rs->n;
    int *group = malloc((size_t)(n ? n : 1) * sizeof *group);
    int *first = malloc((size_t)(n ? n : 1) * sizeof *first);
    double *b = malloc((size_t)(n ? n : 1) * V_COUNT * sizeof *b);
    if (!group || !first || !b) {
        free(group);
        free(first);
        free(b);
        return SW_ENOMEM;
    }
    double *v[V_COUNT];
    for (int k = 0; k < V_COUNT; k++) v[k] = b + (size_t)k * (n ? n : 1);
    int ngroups = assign_groups(rs, gkeys, ngk, group, first);
    for (int g = 0; g < ngroups; g++) {
        int row = tab_row(t);
        if (row < 0) break;
        for (int k = 0; k < ngk; k++)
            key_cell(t, row, c_keys + k, gkeys[k], rs, first[g]);
        group_row(t, row, col, rs, group, g, v);
    }
    free(group);
    free(first);
    free(b);
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* The columns of the per-run table after its id and key columns, in order. */
enum {
    R_STATUS, R_PARAMS, R_VAL, R_BEST, R_LVAL, R_LBEST, R_BASELINE, R_EPOCH, R_FINAL, R_LFINAL, R_TRAIN, R_LTRAIN,
    R_EPOCHS, R_VANISHING, R_INPUT, R_SECONDS, R_ERROR, R_COUNT
};

static const column_spec run_columns[R_COUNT] = {
    [R_STATUS] = {"status", "status", 0, 0, ALL, ALL, 0, 0,
                  "done, stopped (at epochs completed/planned), diverged or failed"},
    [R_PARAMS] = {"param_count", "params", 1, 0, ALL, ALL, 0, 0, LEG_PARAMS},
    [R_VAL] = {"val_acc_pct", "val acc %", 1, 1, FAM_VAL_ACC, FAM_VAL_ACC, 0, 1, LEG_VAL_ACC},
    [R_BEST] = {"best_acc_pct", "best acc %", 1, 1, FAM_ACC, FAM_ACC, 0, 1, LEG_BEST_ACC},
    [R_LVAL] = {"val_loss", "val", 1, 0, FAM_VAL_LOSS, FAM_VAL_LOSS, 1, 1, LEG_VAL_LOSS},
    [R_LBEST] = {"best_loss", "best", 1, 0, FAM_LOSS, FAM_LOSS, 1, 1, LEG_BEST_LOSS},
    [R_BASELINE] = {"baseline_loss", "baseline", 1, 0, FAM_BASELINE, FAM_BASELINE, 0, 0, LEG_BASELINE},
    [R_EPOCH] = {"best_epoch", "best epoch", 1, 0, ALL, ALL, 0, 0, "the epoch the run's metric was best (from 1)"},
    [R_FINAL] = {"final_acc_pct", "final acc %", 1, 1, FAM_ACC, FAM_ACC, 0, 1, LEG_FINAL_ACC},
    [R_LFINAL] = {"final_loss", "final", 1, 0, FAM_LOSS_METRIC, FAM_LOSS, 1, 1, LEG_FINAL_LOSS},
    [R_TRAIN] = {"final_train_acc_pct", "train acc %", 1, 1, FAM_ACC, FAM_ACC, 0, 1, LEG_TRAIN_ACC},
    [R_LTRAIN] = {"final_train_loss", "train", 1, 0, FAM_LOSS_METRIC, FAM_LOSS, 1, 1, LEG_TRAIN_LOSS},
    [R_EPOCHS] = {"epochs", "epochs", 1, 0, ALL, ALL, 0, 0, "epochs the run completed"},
    [R_VANISHING] = {"vanishing_ratio", "dh1/dhT", 1, 0, ALL, ALL, 0, 0, LEG_VANISHING},
    [R_INPUT] = {"input_ratio", "dx1/dxT", 1, 0, FAM_INPUT_GRAD, FAM_INPUT_GRAD, 0, 0, LEG_INPUT},
    [R_SECONDS] = {"wall_seconds", "seconds", 1, 0, ALL, ALL, 0, 0, "wall seconds of the run"},
    [R_ERROR] = {"error", "error", 0, 0, ALL, ALL, 0, 0, "why a run failed or diverged"},
};
#undef ALL
#undef NEVER

/* One row per run: its id, the values of keys[0..nkeys) and its numbers. */
static int run_table(const run_set *rs, const char *const *keys, int nkeys, table *t)
{
    int c_id = tab_col(t, "run_id", "run", 0, 0, IN_BOTH);
    if (c_id >= 0) {
        t->cols[c_id].is_key = 1;
        snprintf(t->cols[c_id].legend, sizeof t->cols[c_id].legend, "the run's id (its file name without .h5)");
    }
    int c_keys = t->ncols;
    add_key_columns(t, keys, nkeys);
    int col[R_COUNT];
    add_columns(t, run_columns, R_COUNT, rs, col);
    if (t->oom) return SW_ENOMEM;
    for (int i = 0; i < rs->n; i++) {
        const sw_run_file *r = &rs->runs[i];
        const run_loss *l = &rs->loss[i];
        int row = tab_row(t);
        if (row < 0) break;
        set_text(t, row, c_id, r->run_id);
        for (int k = 0; k < nkeys; k++) key_cell(t, row, c_keys + k, keys[k], rs, i);
        if (r->status == SW_RUN_STOPPED) { /* where: the text says it, CSV keeps the status word */
            char where[64];
            snprintf(where, sizeof where, "stopped at %d/%d", r->epochs, r->epochs_planned);
            tab_set(t, row, col[R_STATUS], where, sw_run_status_name(r->status), NAN);
        } else {
            set_text(t, row, col[R_STATUS], sw_run_status_name(r->status));
        }
        if (r->param_count > 0)
            set_int(t, row, col[R_PARAMS], r->param_count);
        else
            tab_set(t, row, col[R_PARAMS], "-", "", NAN);
        set_num(t, row, col[R_VAL], "%.2f", l->val && !l->by_loss ? pct(l->val_best) : NAN);
        set_num(t, row, col[R_LVAL], LOSS_FMT, l->val && l->by_loss ? l->val_best : NAN);
        set_num(t, row, col[R_BEST], "%.2f", l->by_loss ? NAN : pct(r->best_test_acc));
        set_num(t, row, col[R_LBEST], LOSS_FMT, l->shows_loss ? l->best_loss : NAN);
        set_num(t, row, col[R_BASELINE], LOSS_FMT, l->baseline);
        if (r->best_epoch > 0)
            set_int(t, row, col[R_EPOCH], r->best_epoch);
        else
            tab_set(t, row, col[R_EPOCH], "-", "", NAN);
        set_num(t, row, col[R_FINAL], "%.2f", l->by_loss ? NAN : pct(r->final_test_acc));
        set_num(t, row, col[R_LFINAL], LOSS_FMT, l->shows_loss ? l->final_loss : NAN);
        set_num(t, row, col[R_TRAIN], "%.2f", l->by_loss ? NAN : pct(r->final_train_acc));
        set_num(t, row, col[R_LTRAIN], LOSS_FMT, l->shows_loss ? l->final_train_loss : NAN);
        set_int(t, row, col[R_EPOCHS], r->epochs);
        set_num(t, row, col[R_VANISHING], "%.3g", r->vanishing_ratio);
        set_num(t, row, col[R_INPUT], "%.3g", r->input_ratio);
        set_seconds(t, row, col[R_SECONDS], r->wall_seconds);
        set_text(t, row, col[R_ERROR], r->error ? r->error : "");
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* One run's per-epoch table. A regression run (`regression`: selected by its loss, no
 * accuracy recorded) has no accuracy columns, and its losses get significant digits. A run
 * with a validation set (`val`) gets its loss and accuracy after the test set's. */
static int history_table(const sw_run_file *r, int regression, int val, table *t)
{
    int acc = regression ? 0 : IN_BOTH;
    int c_epoch = tab_col(t, "epoch", "epoch", 1, 0, IN_BOTH);
    int c_lr = tab_col(t, "lr", "lr", 1, 0, IN_BOTH);
    int c_trl = tab_col(t, "train_loss", "train loss", 1, 0, IN_BOTH);
    int c_tra = acc ? tab_col(t, "train_acc_pct", "train acc %", 1, 1, acc) : -1;
    int c_tel = tab_col(t, "test_loss", "test loss", 1, 0, IN_BOTH);
    int c_tea = acc ? tab_col(t, "test_acc_pct", "test acc %", 1, 1, acc) : -1;
    int c_vl = val ? tab_col(t, "val_loss", "val loss", 1, 0, IN_BOTH) : -1;
    int c_va = val && acc ? tab_col(t, "val_acc_pct", "val acc %", 1, 1, IN_BOTH) : -1;
    int c_gn = tab_col(t, "grad_norm", "grad norm", 1, 0, IN_BOTH);
    int c_sec = tab_col(t, "seconds", "seconds", 1, 0, IN_BOTH);
    int c_best = tab_col(t, "best", "best", 0, 0, IN_BOTH);
    if (t->oom) return SW_ENOMEM;
    const sw_history *h = &r->history;
    for (int e = 0; e < h->epochs; e++) {
        int row = tab_row(t);
        if (row < 0) break;
        set_int(t, row, c_epoch, e + 1);
        set_num(t, row, c_lr, "%.3g", h->lr[e]);
        set_num(t, row, c_trl, regression ? LOSS_FMT : "%.4f", h->train_loss[e]);
        set_num(t, row, c_tra, "%.2f", pct(h->train_acc[e]));
        set_num(t, row, c_tel, regression ? LOSS_FMT : "%.4f", h->test_loss[e]);
        set_num(t, row, c_tea, "%.2f", pct(h->test_acc[e]));
        if (val) {
            set_num(t, row, c_vl, regression ? LOSS_FMT : "%.4f", h->val_loss ? h->val_loss[e] : NAN);
            set_num(t, row, c_va, "%.2f", h->val_acc ? pct(h->val_acc[e]) : NAN);
        }
        set_num(t, row, c_gn, "%#.4g", h->grad_norm[e]);
        set_seconds(t, row, c_sec, h->seconds[e]);
        int is_best = e + 1 == r->best_epoch;
        tab_set(t, row, c_best, is_best ? "*" : "", is_best ? "1" : "0", is_best);
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* ---- early stopping: the rungs of sweep.h5's /decisions --------------------------------- */

/* An accuracy metric (val_acc, test_acc): shown in percent like the tables' accuracies. */
static int metric_is_acc(const char *metric)
{
    size_t n = strlen(metric);
    return n >= 4 && !strcmp(metric + n - 4, "_acc");
}

/* One row per (bracket, rung) of d, in d's order: the rung's epoch, the runs that reached
 * it, how many were promoted and how many stopped there, and the cutoff. A bracket column
 * only when there is more than one bracket (hyperband). */
static int rung_table(const sw_decisions *d, table *t)
{
    int brackets = 0;
    for (int i = 1; i < d->n; i++) brackets |= d->bracket[i] != d->bracket[0];
    int acc = metric_is_acc(d->metric);
    int c_round = d->round ? tab_col(t, "round", "round", 1, 0, IN_BOTH) : -1;
    int c_bracket = brackets ? tab_col(t, "bracket", "bracket", 1, 0, IN_BOTH) : -1;
    int c_rung = tab_col(t, "rung", "rung", 1, 0, IN_BOTH);
    int c_epoch = tab_col(t, "epoch", "epoch", 1, 0, IN_BOTH);
    int c_runs = tab_col(t, "runs", "runs", 1, 1, IN_BOTH);
    int c_promoted = tab_col(t, "promoted", "promoted", 1, 1, IN_BOTH);
    int c_stopped = tab_col(t, "stopped", "stopped", 1, 1, IN_BOTH);
    int c_cutoff = tab_col(t, acc ? "cutoff_pct" : "cutoff", acc ? "cutoff %" : "cutoff", 1, 0, IN_BOTH);
    if (t->oom) return SW_ENOMEM;
    for (int i = 0; i < d->n;) {
        int j = i, promoted = 0;
        double cutoff = NAN;
        for (; j < d->n && d->bracket[j] == d->bracket[i] && d->rung[j] == d->rung[i] &&
               (!d->round || d->round[j] == d->round[i]);
             j++) {
            promoted += d->promoted[j] != 0;
            if (!isfinite(cutoff)) cutoff = d->cutoff[j];
        }
        int row = tab_row(t);
        if (row < 0) break;
        if (c_round >= 0) set_int(t, row, c_round, d->round[i] + 1);
        if (c_bracket >= 0) set_int(t, row, c_bracket, d->bracket[i]);
        set_int(t, row, c_rung, d->rung[i]);
        set_int(t, row, c_epoch, d->epoch[i]);
        set_int(t, row, c_runs, j - i);
        set_int(t, row, c_promoted, promoted);
        set_int(t, row, c_stopped, j - i - promoted);
        if (acc)
            set_num(t, row, c_cutoff, "%.2f", pct(cutoff));
        else
            set_num(t, row, c_cutoff, LOSS_FMT, cutoff);
        i = j;
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* The line above the rung table: the rule, its metric and where the numbers come from
 * (`dir` named when the table covers several directories; NULL otherwise). */
static void rungs_note(char *note, size_t len, const sw_decisions *d, const char *dir)
{
    /* configurations of several runs: fewer configurations than rows at the first rung */
    bool seeds = false;
    int n = 0, max = -1, distinct = 0;
    while (d->configuration && n < d->n && d->rung[n] == d->rung[0] && d->bracket[n] == d->bracket[0]) {
        if (d->configuration[n] > max) max = d->configuration[n];
        n++;
    }
    bool *seen = n > 0 && max >= 0 && max < 100000000 ? calloc((size_t)max + 1, 1) : NULL;
    for (int i = 0; seen && i < n; i++)
        if (d->configuration[i] >= 0 && !seen[d->configuration[i]]) seen[d->configuration[i]] = true, distinct++;
    seeds = seen && distinct < n;
    free(seen);
    snprintf(note, len, "early stopping%s%s: %s on %s%s, eta %d, min_epochs %d%s; %d decision%s in sweep.h5 /decisions "
             "(cutoff: the rung's threshold, - when nobody was promoted)", dir ? " in " : "", dir ? dir : "", d->kind,
             d->metric, metric_is_acc(d->metric) ? " (percent)" : "", d->eta, d->min_epochs,
             seeds && !strcmp(d->by, "configuration") ? ", by configuration (the mean of its seeds)" : "", d->n,
             sw_plural(d->n));
}

/* Below a sweep's table (text, markdown): the per-rung account of DIR/sweep.h5's /decisions,
 * when it has them. A malformed /decisions is said on diag (may be NULL) and left out: the
 * table above stands on the run files alone. `named`: say which directory it is. */
static void rungs_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag)
{
    sw_decisions d;
    char err[512] = "", note[1024];
    int rc = sw_h5_read_decisions(dir, &d, err, sizeof err);
    if (rc && rc != SW_ENOTFOUND && diag)
        fprintf(diag, "summarize: early-stopping decisions left out: %s\n", err[0] ? err : sw_strerror(rc));
    if (rc == SW_OK && d.n > 0) {
        table t;
        memset(&t, 0, sizeof t);
        if (rung_table(&d, &t) == SW_OK) {
            rungs_note(note, sizeof note, &d, named ? dir : NULL);
            const char *notes[1] = {note};
            fputc('\n', out);
            tab_print(&t, format, out, notes, 1, 0);
        }
        tab_free(&t);
    }
    sw_decisions_free(&d);
}

/* ---- a sampled search: sweep.h5's /search ------------------------------------------------ */

/* The numbers of points the best-so-far table shows: 1, 2, 4, ... and every round's end
 * (at most 24 of those, evenly), and the last, ascending into n_at (room for 64). */
static int search_marks(const sw_search_table *s, int *at)
{
    int n = 0, ends = 0;
    for (int k = 0; k < s->n; k++) ends += k == s->n - 1 || s->round[k + 1] != s->round[k];
    int step = ends > 24 ? (ends + 23) / 24 : 1;
    for (int k = 0, end = 0; k < s->n && n < 60; k++) {
        bool pow2 = ((k + 1) & k) == 0;
        bool round_end = k == s->n - 1 || s->round[k + 1] != s->round[k];
        if (round_end) end++;
        if (pow2 || k == s->n - 1 || (round_end && end % step == 0)) at[n++] = k + 1;
    }
    return n;
}

/* One row per mark: points evaluated, the round they reach, the best metric so far and
 * the point holding it. */
static int search_table(const sw_search_table *s, table *t)
{
    int acc = metric_is_acc(s->metric);
    int c_n = tab_col(t, "points", "points", 1, 0, IN_BOTH);
    int c_round = tab_col(t, "round", "round", 1, 0, IN_BOTH);
    int c_best = tab_col(t, acc ? "best_so_far_pct" : "best_so_far", acc ? "best so far %" : "best so far", 1,
                         s->mode == SW_METRIC_MAX, IN_BOTH);
    int c_point = tab_col(t, "point", "at point", 1, 0, IN_BOTH);
    int c_origin = tab_col(t, "origin", "chosen by", 0, 0, IN_BOTH);
    if (t->oom) return SW_ENOMEM;
    int at[64], marks = search_marks(s, at);
    for (int m = 0; m < marks; m++) {
        int k = at[m] - 1, holder = -1;
        for (int j = 0; j <= k; j++)
            if (!isnan(s->metric_of[j]) && s->metric_of[j] == s->best_so_far[k]) {
                holder = j;
                break;
            }
        int row = tab_row(t);
        if (row < 0) break;
        set_int(t, row, c_n, at[m]);
        set_int(t, row, c_round, s->round[k] + 1);
        if (acc)
            set_num(t, row, c_best, "%.2f", pct(s->best_so_far[k]));
        else
            set_num(t, row, c_best, LOSS_FMT, s->best_so_far[k]);
        if (holder >= 0) {
            set_int(t, row, c_point, holder);
            tab_set(t, row, c_origin, s->origin[holder], s->origin[holder], NAN);
        } else {
            tab_set(t, row, c_point, "-", "", NAN);
            tab_set(t, row, c_origin, "-", "", NAN);
        }
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* Below a sampled search's table (text, markdown): its best metric so far against the
 * number of points evaluated, from DIR/sweep.h5's /search. A malformed /search is said on
 * diag (may be NULL) and left out. */
static void search_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag)
{
    sw_search_table s;
    char err[512] = "", note[1024];
    int rc = sw_h5_read_search(dir, &s, err, sizeof err);
    if (rc && rc != SW_ENOTFOUND && diag)
        fprintf(diag, "summarize: the search's points left out: %s\n", err[0] ? err : sw_strerror(rc));
    if (rc == SW_OK && s.n > 0 && s.metric[0]) {
        table t;
        memset(&t, 0, sizeof t);
        if (search_table(&s, &t) == SW_OK) {
            int pending = 0;
            for (int k = 0; k < s.n; k++) pending += !strcmp(s.status[k], "pending");
            char rounds[160] = "";
            if (!strcmp(s.kind, "tpe"))
                snprintf(rounds, sizeof rounds, ", round %d of %d (%d startup points, then rounds of %d)",
                         s.rounds_known, s.rounds, s.startup, s.batch);
            snprintf(note, sizeof note, "best so far (%s%s, %s is better) against points evaluated%s%s: %s search, %d "
                     "of %d points%s%s (sweep.h5 /search)", s.metric, metric_is_acc(s.metric) ? ", percent" : "",
                     s.mode == SW_METRIC_MAX ? "higher" : "lower", named ? " in " : "", named ? dir : "", s.kind,
                     s.n, s.samples, rounds, pending ? "; points still running count once they are final" : "");
            const char *notes[1] = {note};
            fputc('\n', out);
            tab_print(&t, format, out, notes, 1, 0);
        }
        tab_free(&t);
    }
    sw_search_table_free(&s);
}

/* --rungs: the per-rung table alone, in any format. SW_ENOTFOUND when DIR has no decisions. */
static int rungs_summary(const char *dir, const sw_summary_options *opt, FILE *out, char *err, size_t errlen)
{
    sw_decisions d;
    int rc = sw_h5_read_decisions(dir, &d, err, errlen);
    if (rc == SW_ENOTFOUND)
        sw_set_error(err, errlen, "%s: no early-stopping decisions (sweep.h5 has no /decisions: the sweep's "
                     "stop.kind is none, or no rung was reached yet)", dir);
    table t;
    memset(&t, 0, sizeof t);
    if (rc == SW_OK && (rc = rung_table(&d, &t)) == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    if (rc == SW_OK && opt->sort) rc = tab_sort(&t, opt->sort, err, errlen);
    if (rc == SW_OK) {
        char note[1024];
        rungs_note(note, sizeof note, &d, NULL);
        const char *notes[1] = {note};
        tab_print(&t, opt->format, out, notes, opt->format == SW_TABLE_CSV ? 0 : 1, 0);
    }
    tab_free(&t);
    sw_decisions_free(&d);
    return rc;
}

/* ---- entry points ------------------------------------------------------------------------ */

/* Splits "a,b,c" into group keys: schema key strings (a key written as in a config file or
 * --set: canonical or its unambiguous short form, lr, cell, schedule.kind) or SWEEP_KEY. */
static int parse_by(const char *by, const char **keys, int *n, char *err, size_t errlen)
{
    *n = 0;
    const char *p = by;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',' && !isspace((unsigned char)*e)) e++;
        char name[128], why[600];
        snprintf(name, sizeof name, "%.*s", (int)(e - p), p);
        const sw_key_info *k = strcmp(name, SWEEP_KEY) ? sw_resolve_key_explained(name, why, sizeof why) : NULL;
        if (!k && strcmp(name, SWEEP_KEY)) {
            sw_set_error(err, errlen, "--by: %s", why);
            return SW_EINVAL;
        }
        const char *key = k ? k->key : SWEEP_KEY;
        int dup = 0;
        for (int i = 0; i < *n; i++) dup |= keys[i] == key;
        if (!dup && *n < (int)sw_schema_len + 1) keys[(*n)++] = key;
        p = e;
    }
    return SW_OK;
}

/* The run --history names: its index in rs, or -1 with why in err (no such run; or runs of
 * that id in several sweeps, which one directory at a time tells apart). */
static int find_history_run(const run_set *rs, const char *id, char *err, size_t errlen)
{
    int found = -1, also = -1;
    for (int i = 0; i < rs->n; i++)
        if (!strcmp(rs->runs[i].run_id, id)) {
            if (found < 0) found = i;
            else if (also < 0) also = i;
        }
    if (also >= 0) {
        sw_set_error(err, errlen, "run '%s' is in several sweeps (%s and %s): summarize its directory alone", id,
                     rs->sweeps[rs->sweep_of[found]].label, rs->sweeps[rs->sweep_of[also]].label);
        return -1;
    }
    if (found < 0) {
        size_t used = (size_t)snprintf(err, errlen, "no run '%s' in %s%s; runs:", id, rs->dirs[0],
                                       rs->ndirs > 1 ? " and the other directories" : "");
        for (int i = 0; i < rs->n && i < 20 && used < errlen; i++)
            used += (size_t)snprintf(err + used, errlen - used, " %s", rs->runs[i].run_id);
        if (rs->n > 20 && used < errlen) snprintf(err + used, errlen - used, " ...");
    }
    return found;
}

/* --history RUN_ID: that run's per-epoch table, with notes on its outcome above it. */
static int history_summary(const run_set *rs, const sw_summary_options *opt, FILE *out, char *err, size_t errlen)
{
    int i = find_history_run(rs, opt->history_run, err, errlen);
    if (i < 0) return SW_EINVAL;
    const sw_run_file *r = &rs->runs[i];
    const run_loss *l = &rs->loss[i];
    table t;
    memset(&t, 0, sizeof t);
    const char *notes[4];
    char note[4][512];
    int nnotes = 0;
    int regression = l->by_loss;
    for (int e = 0; e < r->history.epochs && regression; e++)
        regression = !isfinite(r->history.test_acc[e]) && !isfinite(r->history.train_acc[e]);
    int rc = history_table(r, regression, l->val || r->config.task.val_size > 0, &t);
    if (rc) goto done;
    snprintf(note[0], sizeof note[0], "run %s: %s, %d of %d epochs", r->run_id,
             r->status == SW_RUN_STOPPED ? "stopped early at a rung" : sw_run_status_name(r->status), r->epochs,
             r->epochs_planned);
    notes[nnotes++] = note[0];
    char baseline[64] = "";
    if (isfinite(l->baseline)) snprintf(baseline, sizeof baseline, "; baseline " LOSS_FMT, l->baseline);
    if (r->best_epoch > 0 && l->val && l->by_loss) {
        const char *name = regression ? "MSE" : "loss";
        snprintf(note[1], sizeof note[1], "best epoch %d by the lowest validation %s " LOSS_FMT "; test %s there "
                 LOSS_FMT "%s; final " LOSS_FMT " (train " LOSS_FMT ")", r->best_epoch, name, l->val_best, name,
                 l->best_loss, baseline, l->final_loss, l->final_train_loss);
        notes[nnotes++] = note[1];
    } else if (r->best_epoch > 0 && l->val) {
        snprintf(note[1], sizeof note[1], "best epoch %d by validation accuracy %.2f%%; test accuracy there %.2f%%; "
                 "final %.2f%% (train %.2f%%)", r->best_epoch, pct(l->val_best), pct(r->best_test_acc),
                 pct(r->final_test_acc), pct(r->final_train_acc));
        notes[nnotes++] = note[1];
        if (baseline[0]) {
            snprintf(note[2], sizeof note[2], "test loss at the best epoch " LOSS_FMT "%s (a constant answer's loss)",
                     l->best_loss, baseline);
            notes[nnotes++] = note[2];
        }
    } else if (r->best_epoch > 0 && l->by_loss) {
        const char *name = regression ? "MSE" : "loss";
        snprintf(note[1], sizeof note[1], "best test %s " LOSS_FMT " at epoch %d (lowest)%s; final " LOSS_FMT
                 " (train " LOSS_FMT ")", name, l->best_loss, r->best_epoch, baseline, l->final_loss, l->final_train_loss);
        notes[nnotes++] = note[1];
    } else if (r->best_epoch > 0) {
        snprintf(note[1], sizeof note[1], "best test accuracy %.2f%% at epoch %d; final %.2f%% (train %.2f%%)",
                 pct(r->best_test_acc), r->best_epoch, pct(r->final_test_acc), pct(r->final_train_acc));
        notes[nnotes++] = note[1];
        if (baseline[0]) {
            snprintf(note[2], sizeof note[2], "test loss at the best epoch " LOSS_FMT "%s (a constant answer's loss)",
                     l->best_loss, baseline);
            notes[nnotes++] = note[2];
        }
    } else if (baseline[0]) {
        snprintf(note[2], sizeof note[2], "%s", baseline + 2);
        notes[nnotes++] = note[2];
    }
    if (r->error && r->error[0]) {
        snprintf(note[3], sizeof note[3], "%s: %s", r->status == SW_RUN_FAILED ? "error" : "note", r->error);
        notes[nnotes++] = note[3];
    }
    if (opt->sort && (rc = tab_sort(&t, opt->sort, err, errlen))) goto done;
    tab_print(&t, opt->format, out, notes, opt->format == SW_TABLE_CSV ? 0 : nnotes, 0);
done:
    tab_free(&t);
    return rc;
}

/* "runs/a" or "runs/a, runs/b": the directories read. */
static void dirs_text(const run_set *rs, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (int d = 0; d < rs->ndirs && used < len; d++)
        used += (size_t)snprintf(out + used, len - used, "%s%s", d ? ", " : "", rs->dirs[d]);
}

/* The first note above a sweep's table: the sweep (or the sweeps, with their runs), the
 * runs by status, the rows (`shown` of `nrows` with --top), what was skipped. */
static void sweep_note(char *note, size_t len, const run_set *rs, int per_run, int nrows, int shown,
                       const char *ranked_by, int by_sort)
{
    int counts[SW_RUN_STATUS_COUNT] = {0};
    for (int i = 0; i < rs->n; i++) counts[rs->runs[i].status]++;
    char dirs[1024];
    dirs_text(rs, dirs, sizeof dirs);
    size_t used;
    if (rs->nsweeps > 1) { /* say so first: their runs are not one sweep's */
        int said = 1; /* every label names the directory argument it is in: no need to repeat them */
        for (int s = 0; s < rs->nsweeps; s++) said &= rs->sweeps[s].at_arg && strcmp(rs->sweeps[s].label, rs->sweeps[s].name);
        used = (size_t)snprintf(note, len, "%d sweeps%s%s:", rs->nsweeps, said ? "" : " in ", said ? "" : dirs);
        for (int s = 0; s < rs->nsweeps && s < 8 && used < len; s++)
            used += (size_t)snprintf(note + used, len - used, "%s %s (%d run%s)", s ? "," : "", rs->sweeps[s].label,
                                     rs->sweeps[s].runs, sw_plural(rs->sweeps[s].runs));
        if (rs->nsweeps > 8 && used < len) used += (size_t)snprintf(note + used, len - used, ", ...");
        if (used < len) used += (size_t)snprintf(note + used, len - used, "; ");
    } else {
        used = (size_t)snprintf(note, len, "%s%s%s%s: ", rs->sweep ? "sweep " : "", rs->sweep ? rs->sweep : "",
                                rs->sweep ? " in " : "", dirs);
    }
    /* "stopped" only when a run was: the line of a sweep without early stopping stays as it was */
    char stopped[32] = "";
    if (counts[SW_RUN_STOPPED]) snprintf(stopped, sizeof stopped, "%d stopped, ", counts[SW_RUN_STOPPED]);
    if (used < len)
        used += (size_t)snprintf(note + used, len - used, "%d run%s (%d done, %s%d diverged, %d failed)", rs->n,
                                 sw_plural(rs->n), counts[SW_RUN_DONE], stopped, counts[SW_RUN_DIVERGED],
                                 counts[SW_RUN_FAILED]);
    if (!per_run && used < len)
        used += (size_t)snprintf(note + used, len - used, ", %d configuration%s", nrows, sw_plural(nrows));
    if (shown < nrows && used < len)
        used += (size_t)snprintf(note + used, len - used, " (the %s %d by %s%s shown)", by_sort ? "first" : "best",
                                 shown, by_sort ? "--sort " : "", ranked_by);
    else if (per_run && ranked_by[0] && !by_sort && used < len)
        used += (size_t)snprintf(note + used, len - used, "; sorted best first by %s", ranked_by);
    if (rs->unreadable && used < len)
        used += (size_t)snprintf(note + used, len - used, "; %d unreadable file%s skipped", rs->unreadable,
                                 sw_plural(rs->unreadable));
    if (rs->pending && used < len)
        snprintf(note + used, len - used, "; %d listed in sweep.h5 without a file (pending)", rs->pending);
}

/* The note on what keeps the rows apart, when it is more than one sweep's swept keys: the
 * sweep, and the keys whose values differ between the files though no sweep swept them.
 * Returns 0 (and writes nothing) when there is nothing to say. */
static int grouping_note(char *note, size_t len, const run_set *rs, const char *const *gkeys, int ngk)
{
    char unswept[512] = "";
    size_t u = 0;
    for (int k = 0; k < rs->nunswept && u < sizeof unswept; k++)
        for (int g = 0; g < ngk && u < sizeof unswept; g++)
            if (gkeys[g] == rs->keys[k])
                u += (size_t)snprintf(unswept + u, sizeof unswept - u, "%s%s", u ? ", " : "",
                                      key_title(gkeys[g], gkeys, ngk));
    int by_sweep = 0;
    for (int g = 0; g < ngk; g++) by_sweep |= gkeys[g] == SWEEP_KEY;
    if (!u && !by_sweep) return 0;
    size_t used = 0;
    if (by_sweep)
        used = (size_t)snprintf(note, len, "runs of %d sweeps: a row holds one sweep's runs", rs->nsweeps);
    if (u && used < len)
        snprintf(note + used, len - used, "%s%s%s: %s between the files though no sweep swept %s", used ? "; " : "",
                 used ? "also grouped by " : "grouped also by ", unswept, strchr(unswept, ',') ? "they differ" : "it differs",
                 strchr(unswept, ',') ? "them" : "it");
    return 1;
}

/* What a constant answer scores, per task kind with a baseline loss (task.h's
 * sw_task_baseline_loss): said once above a table that shows baselines. */
static const struct {
    sw_task_kind kind;
    const char *what;
} baseline_notes[] = {
    {SW_TASK_ADDING, "adding: always answering 1, MSE 1/6"},
    {SW_TASK_COPY, "copy: blanks, then uniform guesses, 10 ln 8 / (T+20)"},
};

/* The note above a table with loss columns: which epoch the loss is taken at, which way is
 * better, and what the baselines are. */
static void loss_note(char *note, size_t len, const run_set *rs)
{
    const char *at = !(rs->fams & FAM_ACC) ? (rs->fams & FAM_VAL_LOSS ? "the lowest validation loss" : "the lowest")
                     : rs->fams & FAM_LOSS_METRIC ? "by each run's metric"
                     : rs->fams & FAM_VAL_ACC ? "the highest validation accuracy" : "the highest accuracy";
    size_t used = (size_t)snprintf(note, len, "best %s: test %s at the best epoch (%s), lower is better", rs->loss_name,
                                   rs->loss_name, at);
    int first = 1;
    for (size_t k = 0; k < SW_ARRAY_LEN(baseline_notes) && used < len; k++) {
        int present = 0;
        for (int i = 0; i < rs->n && !present; i++) present = rs->runs[i].config.task.kind == baseline_notes[k].kind;
        if (!present) continue;
        used += (size_t)snprintf(note + used, len - used, "%s%s", first ? "; baseline: a constant answer's loss (" : "; ",
                                 baseline_notes[k].what);
        first = 0;
    }
    if (!first && used < len) snprintf(note + used, len - used, ")");
}

/* The metric that ranks configurations (--top, and searches' default order): the one their
 * best epoch was chosen by, in order of preference when runs differ. Its column in t
 * (the per-run or per-configuration table), or -1 when t has none. */
static int metric_column(const table *t, const run_set *rs, int per_run)
{
    static const struct {
        unsigned fam;
        const char *group_id, *run_id;
    } metrics[] = {
        {FAM_VAL_ACC, "val_acc_pct_mean", "val_acc_pct"},
        {FAM_ACC, "best_acc_pct_mean", "best_acc_pct"},
        {FAM_VAL_LOSS, "val_loss_mean", "val_loss"},
        {FAM_LOSS_METRIC, "best_loss_mean", "best_loss"},
    };
    for (size_t m = 0; m < SW_ARRAY_LEN(metrics); m++)
        if (rs->fams & metrics[m].fam)
            for (int j = 0; j < t->ncols; j++)
                if (!strcmp(t->cols[j].id, per_run ? metrics[m].run_id : metrics[m].group_id)) return j;
    return -1;
}

/* The text title of the column that shows what CSV column j holds ("val acc %" for
 * val_acc_pct_mean), for the notes. */
static const char *shown_title(const table *t, int j)
{
    char stem[96];
    snprintf(stem, sizeof stem, "%s", t->cols[j].id);
    char *m = strstr(stem, "_pct_mean");
    if (!m) m = strstr(stem, "_mean");
    if (m) *m = 0;
    for (int c = 0; c < t->ncols; c++)
        if ((t->cols[c].where & IN_TEXT) && !strcmp(t->cols[c].id, stem)) return t->cols[c].title;
    return t->cols[j].title;
}

/* Orders the rows and keeps opt->top of them: --sort, else for --top or a search (a sampled
 * one, or early stopping) the metric best first, else grid order. ranked_by (for the
 * notes): the metric's title when it ordered the rows, --sort's column when that did, ""
 * for grid order. With --top the key columns stay in the table: they say which rows won. */
static int order_rows(table *t, const run_set *rs, const sw_summary_options *opt, char *ranked_by, size_t len,
                      char *err, size_t errlen)
{
    ranked_by[0] = 0;
    int rc = SW_OK;
    if (opt->sort) {
        rc = tab_sort(t, opt->sort, err, errlen);
        snprintf(ranked_by, len, "%s", opt->sort);
    } else if (opt->top > 0 || rs->sampled || (rs->fams & FAM_STOPPED)) {
        int col = metric_column(t, rs, opt->per_run);
        if (col >= 0) {
            rc = tab_sort_column(t, col, t->cols[col].desc, err, errlen);
            snprintf(ranked_by, len, "%s", shown_title(t, col));
        }
    }
    if (!rc && opt->top > 0) {
        tab_truncate(t, opt->top);
        for (int j = 0; j < t->ncols; j++) t->cols[j].keep |= t->cols[j].is_key;
    }
    return rc;
}

/* Below the table (--legend; text and markdown): one line per column shown or stated above
 * it, with its meaning. */
static void print_legend(const table *t, sw_table_format format, FILE *out)
{
    int w = 0;
    for (int j = 0; j < t->ncols; j++)
        if ((t->cols[j].where & IN_TEXT) && t->cols[j].legend[0] && text_width(t->cols[j].title) > w)
            w = text_width(t->cols[j].title);
    fputs(format == SW_TABLE_MARKDOWN ? "\nColumns:\n\n" : "\ncolumns:\n", out);
    for (int j = 0; j < t->ncols; j++) {
        const column *c = &t->cols[j];
        int any = 0;
        for (int i = 0; i < t->nrows && !any; i++) any = tab_cell(t, i, j)->text[0] != 0;
        if (!(c->where & IN_TEXT) || !c->legend[0] || !any) continue;
        if (format == SW_TABLE_MARKDOWN)
            fprintf(out, "- `%s`: %s\n", c->title, c->legend);
        else
            fprintf(out, "  %s%*s  %s\n", c->title, w - text_width(c->title), "", c->legend);
    }
}

/* The notes above a sweep's table, into note[] (each len bytes); returns how many. */
static int sweep_notes(char (*note)[1024], const char **notes, const run_set *rs, const sw_summary_options *opt,
                       const char *const *gkeys, int ngk, int nrows, int shown, const char *ranked_by)
{
    int n = 0, by_sort = opt->sort != NULL;
    sweep_note(note[n], sizeof note[n], rs, opt->per_run, nrows, shown, ranked_by, by_sort);
    notes[n] = note[n];
    n++;
    if (!opt->per_run && grouping_note(note[n], sizeof note[n], rs, gkeys, ngk)) notes[n] = note[n], n++;
    if (!opt->per_run) {
        snprintf(note[n], sizeof note[n], "statistics over %s (%smean +- sample std over seeds)%s%s%s",
                 rs->fams & FAM_STOPPED ? "done and stopped runs" : "done runs",
                 rs->fams & FAM_STOPPED ? "a stopped run with its best epoch so far; " : "",
                 rs->fams & FAM_ACC ? ", accuracies in percent" : "", ranked_by[0] && !by_sort ?
                 "; sorted best first by " : "", ranked_by[0] && !by_sort ? ranked_by : "");
        if (!opt->legend) snprintf(note[n] + strlen(note[n]), sizeof note[n] - strlen(note[n]), "%s",
                                   "; --legend explains the columns");
        notes[n] = note[n];
        n++;
    }
    if (rs->fams & (FAM_VAL_ACC | FAM_VAL_LOSS)) {
        snprintf(note[n], sizeof note[n], "the best epoch is chosen on the validation set: %s%s%s",
                 rs->fams & FAM_VAL_ACC ? "val acc % chose it, best acc % is the test accuracy there" : "",
                 (rs->fams & FAM_VAL_ACC) && (rs->fams & FAM_VAL_LOSS) ? "; " : "",
                 rs->fams & FAM_VAL_LOSS ? "the lowest val loss chose it, best is the test loss there" : "");
        notes[n] = note[n];
        n++;
    }
    if (rs->fams & FAM_LOSS) {
        loss_note(note[n], sizeof note[n], rs);
        notes[n] = note[n];
        n++;
    }
    return n;
}

/* The table of the runs: per configuration (grouped by gkeys, or when opt->by is NULL by the
 * sweep when there are several and every key that tells their configurations apart, but
 * the seed) or per run. */
static int sweep_summary(const run_set *rs, const sw_summary_options *opt, const char **gkeys, int ngk, FILE *out,
                         FILE *diag, char *err, size_t errlen)
{
    if (rs->n == 0) {
        char dirs[1024];
        dirs_text(rs, dirs, sizeof dirs);
        sw_set_error(err, errlen, "%s: no readable run files%s", dirs, rs->unreadable ? " (see the messages above)" : "");
        return SW_ENOTFOUND;
    }
    const char **rkeys = calloc((size_t)rs->nkeys + 1, sizeof *rkeys); /* --runs: the sweep, every key */
    if (!rkeys) return SW_ENOMEM;
    int nrk = 0;
    if (rs->nsweeps > 1) rkeys[nrk++] = SWEEP_KEY;
    for (int k = 0; k < rs->nkeys; k++) rkeys[nrk++] = rs->keys[k];
    if (!opt->by)
        for (int k = 0; k < nrk; k++)
            if (strcmp(rkeys[k], "seed") != 0) gkeys[ngk++] = rkeys[k];
    table t;
    memset(&t, 0, sizeof t);
    int rc = opt->per_run ? run_table(rs, rkeys, nrk, &t) : group_table(rs, gkeys, ngk, &t);
    if (rc) {
        sw_set_error(err, errlen, "out of memory");
        goto done;
    }
    int nrows = t.nrows;
    char ranked_by[128];
    if ((rc = order_rows(&t, rs, opt, ranked_by, sizeof ranked_by, err, errlen))) goto done;
    char note[6][1024];
    const char *notes[6];
    int nnotes = sweep_notes(note, notes, rs, opt, gkeys, ngk, nrows, t.nrows, ranked_by);
    tab_print(&t, opt->format, out, notes, opt->format == SW_TABLE_CSV ? 0 : nnotes, 1);
    if (opt->legend && opt->format != SW_TABLE_CSV) print_legend(&t, opt->format, out);
    if (opt->format != SW_TABLE_CSV)
        for (int d = 0; d < rs->ndirs; d++) {
            rungs_account(rs->dirs[d], rs->ndirs > 1, opt->format, out, diag);
            search_account(rs->dirs[d], rs->ndirs > 1, opt->format, out, diag);
        }
done:
    tab_free(&t);
    free(rkeys);
    return rc;
}

int sw_summarize_dirs(const char *const *dirs, int ndirs, const sw_summary_options *opt, FILE *out, FILE *diag,
                      char *err, size_t errlen)
{
    sw_summary_options defaults = {NULL, NULL, SW_TABLE_TEXT, 0, NULL, 0, 0, 0};
    if (!opt) opt = &defaults;
    if (!dirs || ndirs < 1 || !out) {
        sw_set_error(err, errlen, "sw_summarize: missing argument");
        return SW_EINVAL;
    }
    for (int d = 0; d < ndirs; d++)
        if (!dirs[d]) {
            sw_set_error(err, errlen, "sw_summarize: missing argument");
            return SW_EINVAL;
        }
    if (opt->rungs && ndirs > 1) {
        sw_set_error(err, errlen, "--rungs reads one directory at a time");
        return SW_EINVAL;
    }
    /* validate --by before reading anything */
    const char **gkeys = calloc(sw_schema_len + 2, sizeof *gkeys);
    if (!gkeys) return SW_ENOMEM;
    int ngk = 0, rc;
    if (opt->by && (rc = parse_by(opt->by, gkeys, &ngk, err, errlen))) {
        free(gkeys);
        return rc;
    }
    if (opt->rungs) {
        struct stat st;
        free(gkeys);
        if (stat(dirs[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
            sw_set_error(err, errlen, "%s: no such directory", dirs[0]);
            return SW_ENOTFOUND;
        }
        return rungs_summary(dirs[0], opt, out, err, errlen);
    }
    run_set rs;
    rc = load_runs(dirs, ndirs, opt->history_run ? SW_READ_HISTORY : 0, &rs, diag, err, errlen);
    if (!rc)
        rc = opt->history_run ? history_summary(&rs, opt, out, err, errlen)
                              : sweep_summary(&rs, opt, gkeys, ngk, out, diag, err, errlen);
    run_set_free(&rs);
    free(gkeys);
    return rc;
}

int sw_summarize(const char *dir, const sw_summary_options *opt, FILE *out, FILE *diag, char *err, size_t errlen)
{
    const char *dirs[1] = {dir};
    return sw_summarize_dirs(dirs, 1, opt, out, diag, err, errlen);
}

const char *sw_summarize_usage(void)
{
    return "usage: sweep summarize DIR [DIR...] [--by KEYS] [--sort [-|+]COLUMN] [--top N] [--legend]\n"
           "                       [--format text|markdown|csv] [--runs] [--history RUN_ID] [--rungs]\n"
           "\n"
           "Prints the best-epoch table of the runs in DIR (or in several directories, to compare\n"
           "sweeps) from their HDF5 files alone: one row per configuration, with the runs done /\n"
           "failed / diverged, the parameter count, best test accuracy mean +- std and min-max over seeds\n"
           "(percent), median best epoch, final test and train accuracy, the vanishing-gradient\n"
           "figures dh1/dhT and dx1/dxT and seconds per run (--legend: every column's meaning, one\n"
           "line each, under the table; all of them below).\n"
           "A configuration is every key whose value differs between the runs, but the seed: the\n"
           "keys the sweep swept and any other (files of two sweeps at T=20 and T=50 linked into one\n"
           "directory are two rows per cell, not one average). Runs of several sweeps (their name and\n"
           "the directory their files are in) get a `sweep` column, and a note says so.\n"
           "Statistics use the done (and stopped) runs. Columns with the same value in every row are\n"
           "stated once above the table, except the metrics, which always stay in it.\n"
           "Runs selected by their test loss (regression: adding) show best, final and train MSE\n"
           "instead of accuracies, lower is better; tasks with a baseline loss (adding, copy) show\n"
           "it and the test loss at the best epoch. Runs of other tasks keep their own columns.\n"
           "With a validation set (task.val_size) the best epoch is chosen by it: val acc % (or val\n"
           "loss) shows that metric, best acc % the test accuracy at that epoch. Early-stopped runs\n"
           "(status stopped) get a stopped count and enter the statistics with their best epoch so\n"
           "far; when sweep.h5 has early-stopping decisions, a per-rung account follows the table.\n"
           "Rows come in grid order; a search (sampled points, or early stopping) sorts them best\n"
           "first by its metric (the validation one when there is a validation set).\n"
           "\n"
           "  --by KEYS          group by these comma-separated keys instead (e.g. cell or model.cell,\n"
           "                     written as in a config; `sweep` for the sweep); --by '' puts all runs\n"
           "                     in one row\n"
           "  --sort COLUMN      sort rows by a column (CSV header name, text title, key, or best,\n"
           "                     final, epoch, train, loss, baseline, vanishing, input, params,\n"
           "                     seconds); accuracies sort high first, losses and the rest low first; a\n"
           "                     leading - or + forces descending or ascending\n"
           "  --top N            only the first N rows: the best N configurations (or runs, with\n"
           "                     --runs) by the metric, or the first N in --sort's order\n"
           "  --legend           every column's meaning under the table (text, markdown)\n"
           "  --format FORMAT    text (aligned, default), markdown, or csv (every column, raw numbers)\n"
           "  --runs             one row per run (with its status and error)\n"
           "  --history RUN_ID   one run's per-epoch table, best epoch marked\n"
           "  --rungs            the early-stopping decisions per rung (sweep.h5 /decisions) alone\n"
           "                     (one directory)\n"
           "\n"
           "Exit status: 0 printed; 1 no readable run file; 2 usage error.\n";
}

/* `sweep help summarize`: the columns of the per-configuration table, one line each. */
static void print_column_help(FILE *f)
{
    fputs("\nColumns (text titles; CSV names are in docs/summarize.md):\n", f);
    fprintf(f, "  %-15s %s\n", "<keys>", "the configuration: every key whose value differs between the runs but "
            "the seed (cell, seq_len, ...)");
    fprintf(f, "  %-15s %s\n", "sweep", "with runs of several sweeps: the sweep (its name; and its directory when "
            "names repeat)");
    for (int g = 0; g < G_COUNT; g++) {
        const column_spec *c = &group_columns[g];
        if (c->text_fam == FAM_NEVER || !c->legend) continue;
        char title[96];
        snprintf(title, sizeof title, "%s%s", c->title, c->named ? " MSE|loss" : "");
        fprintf(f, "  %-15s %s\n", title, c->legend);
    }
}

/* Parses the value of --top: a whole number from 1. */
static int parse_top(const char *val, int *top)
{
    char *end;
    long v = strtol(val, &end, 10);
    if (end == val || *end || v < 1 || v > 1000000000L) return -1;
    *top = (int)v;
    return 0;
}

/* Fills opt and dirs (argc entries) from argv; returns -1 when parsed, else the exit status
 * (0 after --help, 2 after a usage error, its message printed). */
static int parse_summarize_args(int argc, char **argv, sw_summary_options *opt, const char **dirs, int *ndirs)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        const char *names[] = {"--by", "--sort", "--format", "--history", "--top"};
        int which = -1;
        for (int k = 0; k < 5; k++) {
            size_t n = strlen(names[k]);
            if (!strncmp(a, names[k], n) && (a[n] == 0 || a[n] == '=')) {
                which = k;
                if (a[n] == '=') val = a + n + 1;
                else if (i + 1 < argc) val = argv[++i];
                else {
                    fprintf(stderr, "sweep summarize: %s needs a value\n%s", names[k], sw_summarize_usage());
                    return 2;
                }
            }
        }
        if (which == 0) opt->by = val;
        else if (which == 1) opt->sort = val;
        else if (which == 3) opt->history_run = val;
        else if (which == 4) {
            if (parse_top(val, &opt->top)) {
                fprintf(stderr, "sweep summarize: --top takes a number of rows from 1, got '%s'\n", val);
                return 2;
            }
        } else if (which == 2) {
            if (!strcmp(val, "text")) opt->format = SW_TABLE_TEXT;
            else if (!strcmp(val, "markdown") || !strcmp(val, "md")) opt->format = SW_TABLE_MARKDOWN;
            else if (!strcmp(val, "csv")) opt->format = SW_TABLE_CSV;
            else {
                fprintf(stderr, "sweep summarize: unknown --format '%s' (text, markdown or csv)\n", val);
                return 2;
            }
        } else if (!strcmp(a, "--runs")) {
            opt->per_run = 1;
        } else if (!strcmp(a, "--rungs")) {
            opt->rungs = 1;
        } else if (!strcmp(a, "--legend")) {
            opt->legend = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(sw_summarize_usage(), stdout);
            print_column_help(stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sweep summarize: unknown option '%s'\n%s", a, sw_summarize_usage());
            return 2;
        } else {
            dirs[(*ndirs)++] = a;
        }
    }
    if (!*ndirs) {
        fprintf(stderr, "sweep summarize: which directory?\n%s", sw_summarize_usage());
        return 2;
    }
    return -1;
}

int sw_summarize_main(int argc, char **argv)
{
    sw_summary_options opt = {NULL, NULL, SW_TABLE_TEXT, 0, NULL, 0, 0, 0};
    const char **dirs = calloc((size_t)(argc > 0 ? argc : 1), sizeof *dirs);
    if (!dirs) {
        fprintf(stderr, "sweep summarize: out of memory\n");
        return 1;
    }
    int ndirs = 0, status = parse_summarize_args(argc, argv, &opt, dirs, &ndirs);
    if (status >= 0) {
        free(dirs);
        return status;
    }
    char err[2048] = "";
    int rc = sw_summarize_dirs(dirs, ndirs, &opt, stdout, stderr, err, sizeof err);
    fflush(stdout);
    status = 0;
    if (rc != SW_OK) {
        fprintf(stderr, "sweep summarize: %s\n", err[0] ? err : sw_strerror(rc));
        status = 1;
        if (rc == SW_EINVAL) status = 2;
        for (int d = 0; d < ndirs && rc == SW_ENOTFOUND; d++) { /* a directory that is not there: usage */
            struct stat st;
            if (stat(dirs[d], &st) != 0 || !S_ISDIR(st.st_mode)) status = 2;
        }
    }
    free(dirs);
    return status;
}
