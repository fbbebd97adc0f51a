/* summary_tables.c: the tables of `sweep summarize` (see summary_tables.h): per
 * configuration, per run, per epoch of one run, and per rung of early stopping; their
 * columns, and the names --sort knows them by. */
#define _POSIX_C_SOURCE 200809L
#include "summary_tables.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "index.h"
#include "task.h"

/* ---- statistics ----------------------------------------------------------------------- */

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

/* ---- the tables ----------------------------------------------------------------------- */

double sw_pct(double fraction)
{
    return 100.0 * fraction;
}

/* The cell of group key `key` (a config key or sw_sweep_key) for run i. */
static void key_cell(table *t, int row, int col, const char *key, const run_set *rs, int i)
{
    if (key == sw_sweep_key) {
        sw_tab_set(t, row, col, rs->sweeps[rs->sweep_of[i]].label, rs->sweeps[rs->sweep_of[i]].label, rs->sweep_of[i]);
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
    sw_tab_set(t, row, col, text, text, num);
}

static int key_numeric(const char *key)
{
    const sw_key_info *k = key == sw_sweep_key ? NULL : sw_schema_find(key);
    return k && (k->type == SW_TYPE_INT || k->type == SW_TYPE_INT64 || k->type == SW_TYPE_FLOAT);
}

/* Short column titles: the last part of a dotted key (task.seq_len -> seq_len) unless two
 * keys would share it. */
const char *sw_summary_key_title(const char *key, const char *const *keys, int nkeys)
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
        int c = sw_tab_col(t, keys[k], sw_summary_key_title(keys[k], keys, nkeys), key_numeric(keys[k]), 0, IN_BOTH);
        if (c < 0) continue;
        t->cols[c].is_key = 1;
        const sw_key_info *ki = keys[k] == sw_sweep_key ? NULL : sw_schema_find(keys[k]);
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
        col[k] = sw_tab_col(t, c->id, title, c->numeric, c->desc, where);
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
                same = sw_runset_cmp_group_key(rs, gkeys[k], i, first[g]) == 0;
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
    sw_tab_set(t, row, col, text, s.n ? csv : "", s.mean);
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
        sw_tab_int(t, row, col, lo);
    } else if (lo) {
        char text[64];
        snprintf(text, sizeof text, "%lld-%lld", lo, hi);
        sw_tab_set(t, row, col, text, "", (double)hi);
    } else {
        sw_tab_set(t, row, col, "-", "", NAN);
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
        v[V_BEST][m] = l->by_loss ? NAN : sw_pct(r->best_test_acc);
        v[V_EPOCH][m] = r->best_epoch > 0 ? r->best_epoch : NAN;
        v[V_FINAL][m] = l->by_loss ? NAN : sw_pct(r->final_test_acc);
        v[V_TRAIN][m] = l->by_loss ? NAN : sw_pct(r->final_train_acc);
        v[V_VAN][m] = r->vanishing_ratio;
        v[V_INPUT][m] = r->input_ratio;
        v[V_SEC][m] = r->wall_seconds;
        v[V_LBEST][m] = l->shows_loss ? l->best_loss : NAN;
        v[V_LFINAL][m] = l->shows_loss ? l->final_loss : NAN;
        v[V_LTRAIN][m] = l->shows_loss ? l->final_train_loss : NAN;
        v[V_VAL][m] = l->val && !l->by_loss ? sw_pct(l->val_best) : NAN;
        v[V_LVAL][m] = l->val && l->by_loss ? l->val_best : NAN;
        m++;
    }
    sw_tab_int(t, row, col[G_RUNS], total);
    sw_tab_int(t, row, col[G_DONE], counts[SW_RUN_DONE]);
    sw_tab_int(t, row, col[G_STOPPED], counts[SW_RUN_STOPPED]);
    sw_tab_int(t, row, col[G_FAILED], counts[SW_RUN_FAILED]);
    sw_tab_int(t, row, col[G_DIVERGED], counts[SW_RUN_DIVERGED]);
    set_params(t, row, col[G_PARAMS], rs, group, g);
    stats sb = stats_of(v[V_BEST], m), se = stats_of(v[V_EPOCH], m), sf = stats_of(v[V_FINAL], m),
          st = stats_of(v[V_TRAIN], m), ss = stats_of(v[V_SEC], m);
    char text[96], csv[32];
    stats sv = stats_of(v[V_VAL], m), slv = stats_of(v[V_LVAL], m);
    mean_pm_std(text, sizeof text, sv);
    CSV_NUMBER(csv, sv.mean);
    sw_tab_set(t, row, col[G_VAL], text, sv.n ? csv : "", sv.mean);
    sw_tab_num(t, row, col[G_VAL_MEAN], "%.2f", sv.mean);
    sw_tab_num(t, row, col[G_VAL_STD], "%.2f", sv.std);
    set_loss_stat(t, row, col[G_LVAL], slv);
    sw_tab_num(t, row, col[G_LVAL_MEAN], LOSS_FMT, slv.mean);
    sw_tab_num(t, row, col[G_LVAL_STD], LOSS_FMT, slv.std);
    mean_pm_std(text, sizeof text, sb);
    CSV_NUMBER(csv, sb.mean);
    sw_tab_set(t, row, col[G_BEST], text, sb.n ? csv : "", sb.mean);
    if (sb.n)
        snprintf(text, sizeof text, "%.2f-%.2f", sb.min, sb.max);
    else
        snprintf(text, sizeof text, "-");
    sw_tab_set(t, row, col[G_RANGE], text, "", sb.max - sb.min);
    sw_tab_num(t, row, col[G_BEST_MEAN], "%.2f", sb.mean);
    sw_tab_num(t, row, col[G_BEST_STD], "%.2f", sb.std);
    sw_tab_num(t, row, col[G_BEST_MIN], "%.2f", sb.min);
    sw_tab_num(t, row, col[G_BEST_MAX], "%.2f", sb.max);
    sw_tab_num(t, row, col[G_EPOCH], se.median == floor(se.median) ? "%.0f" : "%.1f", se.median);
    mean_pm_std(text, sizeof text, sf);
    CSV_NUMBER(csv, sf.mean);
    sw_tab_set(t, row, col[G_FINAL], text, sf.n ? csv : "", sf.mean);
    sw_tab_num(t, row, col[G_FINAL_MEAN], "%.2f", sf.mean);
    sw_tab_num(t, row, col[G_FINAL_STD], "%.2f", sf.std);
    sw_tab_num(t, row, col[G_TRAIN], "%.2f", st.mean);

    /* Losses: lower is better, so the range reads best-worst and sorting puts the lowest first. */
    stats sl = stats_of(v[V_LBEST], m), slf = stats_of(v[V_LFINAL], m), slt = stats_of(v[V_LTRAIN], m);
    set_loss_stat(t, row, col[G_LBEST], sl);
    if (sl.n)
        snprintf(text, sizeof text, LOSS_FMT "-" LOSS_FMT, sl.min, sl.max);
    else
        snprintf(text, sizeof text, "-");
    sw_tab_set(t, row, col[G_LRANGE], text, "", sl.max - sl.min);
    sw_tab_num(t, row, col[G_LBEST_MEAN], LOSS_FMT, sl.mean);
    sw_tab_num(t, row, col[G_LBEST_STD], LOSS_FMT, sl.std);
    sw_tab_num(t, row, col[G_LBEST_MIN], LOSS_FMT, sl.min);
    sw_tab_num(t, row, col[G_LBEST_MAX], LOSS_FMT, sl.max);
    if (bmin == bmax || bmin > bmax) {
        sw_tab_num(t, row, col[G_BASELINE], LOSS_FMT, bmin == bmax ? bmin : NAN);
    } else { /* a group over several lengths or tasks: their range, no single number */
        snprintf(text, sizeof text, LOSS_FMT "-" LOSS_FMT, bmin, bmax);
        sw_tab_set(t, row, col[G_BASELINE], text, "", NAN);
    }
    set_loss_stat(t, row, col[G_LFINAL], slf);
    sw_tab_num(t, row, col[G_LFINAL_MEAN], LOSS_FMT, slf.mean);
    sw_tab_num(t, row, col[G_LFINAL_STD], LOSS_FMT, slf.std);
    sw_tab_num(t, row, col[G_LTRAIN], LOSS_FMT, slt.mean);

    sw_tab_num(t, row, col[G_VANISHING], "%.3g", geometric_mean(v[V_VAN], m));
    sw_tab_num(t, row, col[G_INPUT], "%.3g", geometric_mean(v[V_INPUT], m));
    sw_tab_seconds(t, row, col[G_SECONDS], ss.mean);
}

/* One row per configuration: the runs grouped by the values of gkeys. */
int sw_summary_group_table(const run_set *rs, const char *const *gkeys, int ngk, table *t)
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
        int row = sw_tab_row(t);
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
int sw_summary_run_table(const run_set *rs, const char *const *keys, int nkeys, table *t)
{
    int c_id = sw_tab_col(t, "run_id", "run", 0, 0, IN_BOTH);
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
        int row = sw_tab_row(t);
        if (row < 0) break;
        sw_tab_text(t, row, c_id, r->run_id);
        for (int k = 0; k < nkeys; k++) key_cell(t, row, c_keys + k, keys[k], rs, i);
        if (r->status == SW_RUN_STOPPED) { /* where: the text says it, CSV keeps the status word */
            char where[64];
            snprintf(where, sizeof where, "stopped at %d/%d", r->epochs, r->epochs_planned);
            sw_tab_set(t, row, col[R_STATUS], where, sw_run_status_name(r->status), NAN);
        } else {
            sw_tab_text(t, row, col[R_STATUS], sw_run_status_name(r->status));
        }
        if (r->param_count > 0)
            sw_tab_int(t, row, col[R_PARAMS], r->param_count);
        else
            sw_tab_set(t, row, col[R_PARAMS], "-", "", NAN);
        sw_tab_num(t, row, col[R_VAL], "%.2f", l->val && !l->by_loss ? sw_pct(l->val_best) : NAN);
        sw_tab_num(t, row, col[R_LVAL], LOSS_FMT, l->val && l->by_loss ? l->val_best : NAN);
        sw_tab_num(t, row, col[R_BEST], "%.2f", l->by_loss ? NAN : sw_pct(r->best_test_acc));
        sw_tab_num(t, row, col[R_LBEST], LOSS_FMT, l->shows_loss ? l->best_loss : NAN);
        sw_tab_num(t, row, col[R_BASELINE], LOSS_FMT, l->baseline);
        if (r->best_epoch > 0)
            sw_tab_int(t, row, col[R_EPOCH], r->best_epoch);
        else
            sw_tab_set(t, row, col[R_EPOCH], "-", "", NAN);
        sw_tab_num(t, row, col[R_FINAL], "%.2f", l->by_loss ? NAN : sw_pct(r->final_test_acc));
        sw_tab_num(t, row, col[R_LFINAL], LOSS_FMT, l->shows_loss ? l->final_loss : NAN);
        sw_tab_num(t, row, col[R_TRAIN], "%.2f", l->by_loss ? NAN : sw_pct(r->final_train_acc));
        sw_tab_num(t, row, col[R_LTRAIN], LOSS_FMT, l->shows_loss ? l->final_train_loss : NAN);
        sw_tab_int(t, row, col[R_EPOCHS], r->epochs);
        sw_tab_num(t, row, col[R_VANISHING], "%.3g", r->vanishing_ratio);
        sw_tab_num(t, row, col[R_INPUT], "%.3g", r->input_ratio);
        sw_tab_seconds(t, row, col[R_SECONDS], r->wall_seconds);
        sw_tab_text(t, row, col[R_ERROR], r->error ? r->error : "");
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* One run's per-epoch table. A regression run (`regression`: selected by its loss, no
 * accuracy recorded) has no accuracy columns, and its losses get significant digits. A run
 * with a validation set (`val`) gets its loss and accuracy after the test set's. */
int sw_summary_history_table(const sw_run_file *r, int regression, int val, table *t)
{
    int acc = regression ? 0 : IN_BOTH;
    int c_epoch = sw_tab_col(t, "epoch", "epoch", 1, 0, IN_BOTH);
    int c_lr = sw_tab_col(t, "lr", "lr", 1, 0, IN_BOTH);
    int c_trl = sw_tab_col(t, "train_loss", "train loss", 1, 0, IN_BOTH);
    int c_tra = acc ? sw_tab_col(t, "train_acc_pct", "train acc %", 1, 1, acc) : -1;
    int c_tel = sw_tab_col(t, "test_loss", "test loss", 1, 0, IN_BOTH);
    int c_tea = acc ? sw_tab_col(t, "test_acc_pct", "test acc %", 1, 1, acc) : -1;
    int c_vl = val ? sw_tab_col(t, "val_loss", "val loss", 1, 0, IN_BOTH) : -1;
    int c_va = val && acc ? sw_tab_col(t, "val_acc_pct", "val acc %", 1, 1, IN_BOTH) : -1;
    int c_gn = sw_tab_col(t, "grad_norm", "grad norm", 1, 0, IN_BOTH);
    int c_sec = sw_tab_col(t, "seconds", "seconds", 1, 0, IN_BOTH);
    int c_best = sw_tab_col(t, "best", "best", 0, 0, IN_BOTH);
    if (t->oom) return SW_ENOMEM;
    const sw_history *h = &r->history;
    for (int e = 0; e < h->epochs; e++) {
        int row = sw_tab_row(t);
        if (row < 0) break;
        sw_tab_int(t, row, c_epoch, e + 1);
        sw_tab_num(t, row, c_lr, "%.3g", h->lr[e]);
        sw_tab_num(t, row, c_trl, regression ? LOSS_FMT : "%.4f", h->train_loss[e]);
        sw_tab_num(t, row, c_tra, "%.2f", sw_pct(h->train_acc[e]));
        sw_tab_num(t, row, c_tel, regression ? LOSS_FMT : "%.4f", h->test_loss[e]);
        sw_tab_num(t, row, c_tea, "%.2f", sw_pct(h->test_acc[e]));
        if (val) {
            sw_tab_num(t, row, c_vl, regression ? LOSS_FMT : "%.4f", h->val_loss ? h->val_loss[e] : NAN);
            sw_tab_num(t, row, c_va, "%.2f", h->val_acc ? sw_pct(h->val_acc[e]) : NAN);
        }
        sw_tab_num(t, row, c_gn, "%#.4g", h->grad_norm[e]);
        sw_tab_seconds(t, row, c_sec, h->seconds[e]);
        int is_best = e + 1 == r->best_epoch;
        sw_tab_set(t, row, c_best, is_best ? "*" : "", is_best ? "1" : "0", is_best);
    }
    return t->oom ? SW_ENOMEM : SW_OK;
}

/* ---- early stopping: the rungs of sweep.h5's /decisions --------------------------------- */

int sw_metric_is_acc(const char *metric)
{
    size_t n = strlen(metric);
    return n >= 4 && !strcmp(metric + n - 4, "_acc");
}

/* One row per (round, bracket, rung) of d, in d's order: the rung's epoch, the runs that
 * reached it, how many were promoted and how many stopped there, and the cutoff. A round
 * column for a tpe search's decisions, a bracket column only when there is more than one
 * bracket (hyperband). */
static int rung_table(const sw_decisions *d, table *t)
{
    int brackets = 0;
    for (int i = 1; i < d->n; i++) brackets |= d->bracket[i] != d->bracket[0];
    int acc = sw_metric_is_acc(d->metric);
    int c_round = d->round ? sw_tab_col(t, "round", "round", 1, 0, IN_BOTH) : -1;
    int c_bracket = brackets ? sw_tab_col(t, "bracket", "bracket", 1, 0, IN_BOTH) : -1;
    int c_rung = sw_tab_col(t, "rung", "rung", 1, 0, IN_BOTH);
    int c_epoch = sw_tab_col(t, "epoch", "epoch", 1, 0, IN_BOTH);
    int c_runs = sw_tab_col(t, "runs", "runs", 1, 1, IN_BOTH);
    int c_promoted = sw_tab_col(t, "promoted", "promoted", 1, 1, IN_BOTH);
    int c_stopped = sw_tab_col(t, "stopped", "stopped", 1, 1, IN_BOTH);
    int c_cutoff = sw_tab_col(t, acc ? "cutoff_pct" : "cutoff", acc ? "cutoff %" : "cutoff", 1, 0, IN_BOTH);
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
        int row = sw_tab_row(t);
        if (row < 0) break;
        if (c_round >= 0) sw_tab_int(t, row, c_round, d->round[i] + 1);
        if (c_bracket >= 0) sw_tab_int(t, row, c_bracket, d->bracket[i]);
        sw_tab_int(t, row, c_rung, d->rung[i]);
        sw_tab_int(t, row, c_epoch, d->epoch[i]);
        sw_tab_int(t, row, c_runs, j - i);
        sw_tab_int(t, row, c_promoted, promoted);
        sw_tab_int(t, row, c_stopped, j - i - promoted);
        if (acc)
            sw_tab_num(t, row, c_cutoff, "%.2f", sw_pct(cutoff));
        else
            sw_tab_num(t, row, c_cutoff, LOSS_FMT, cutoff);
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
             d->metric, sw_metric_is_acc(d->metric) ? " (percent)" : "", d->eta, d->min_epochs,
             seeds && !strcmp(d->by, "configuration") ? ", by configuration (the mean of its seeds)" : "", d->n,
             sw_plural(d->n));
}

/* Below a sweep's table (text, markdown): the per-rung account of DIR/sweep.h5's /decisions,
 * when it has them. A malformed /decisions is said on diag (may be NULL) and left out: the
 * table above stands on the run files alone. `named`: say which directory it is. */
void sw_summary_rungs_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag)
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
            sw_tab_print(&t, format, out, notes, 1, 0);
        }
        sw_tab_free(&t);
    }
    sw_decisions_free(&d);
}

/* --rungs: the per-rung table alone, in any format. SW_ENOTFOUND when DIR has no decisions. */
int sw_summary_rungs(const char *dir, const sw_summary_options *opt, FILE *out, char *err, size_t errlen)
{
    sw_decisions d;
    int rc = sw_h5_read_decisions(dir, &d, err, errlen);
    if (rc == SW_ENOTFOUND)
        sw_set_error(err, errlen, "%s: no early-stopping decisions (sweep.h5 has no /decisions: the sweep's "
                     "stop.kind is none, or no rung was reached yet)", dir);
    table t;
    memset(&t, 0, sizeof t);
    if (rc == SW_OK && (rc = rung_table(&d, &t)) == SW_ENOMEM) sw_set_error(err, errlen, "out of memory");
    if (rc == SW_OK && opt->sort) rc = sw_summary_sort(&t, opt->sort, err, errlen);
    if (rc == SW_OK) {
        char note[1024];
        rungs_note(note, sizeof note, &d, NULL);
        const char *notes[1] = {note};
        sw_tab_print(&t, opt->format, out, notes, opt->format == SW_TABLE_CSV ? 0 : 1, 0);
    }
    sw_tab_free(&t);
    sw_decisions_free(&d);
    return rc;
}

/* ---- columns by name ----------------------------------------------------------------- */

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
static int find_column(const table *t, const char *name, const char *option, char *err, size_t errlen)
{
    int j = find_named_column(t, name);
    if (j >= 0) return j;
    const sw_key_info *k = sw_resolve_key(name);
    if (k && (j = find_named_column(t, k->key)) >= 0) return j;
    if (k) {
        sw_set_error(err, errlen, "%s: %s is not a column of this table (its rows are not told apart by it; "
                     "--by %s groups by it)", option, k->key, name);
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
    size_t used = (size_t)snprintf(err, errlen, "unknown %s column '%s'", option, name);
    if (near && best <= limit && used < errlen)
        used += (size_t)snprintf(err + used, errlen - used, " (did you mean '%s'?)", near);
    if (used < errlen) used += (size_t)snprintf(err + used, errlen - used, "; columns:");
    for (int c = 0; c < t->ncols && used < errlen; c++)
        if (t->cols[c].where & IN_CSV) used += (size_t)snprintf(err + used, errlen - used, " %s", t->cols[c].id);
    return -1;
}

/* --sort [-|+]NAME: the column's own direction unless a sign forces one. */
int sw_summary_sort(table *t, const char *spec, char *err, size_t errlen)
{
    int dir = 0; /* 0 default, 1 ascending, -1 descending */
    if (spec[0] == '-') dir = -1, spec++;
    else if (spec[0] == '+') dir = 1, spec++;
    int col = find_column(t, spec, "--sort", err, errlen);
    if (col < 0) return SW_EINVAL;
    return sw_tab_sort_column(t, col, dir ? dir < 0 : t->cols[col].desc, err, errlen);
}

/* ---- --pareto METRIC,COST ------------------------------------------------------------- */

/* The costs --pareto weighs a metric against: the names it takes, the per-configuration
 * column it reads, what it means. Peak memory joins them as a row once run files record
 * it (they do not: /summary has no such attribute). */
static const struct {
    const char *name, *alias, *column, *meaning;
} pareto_costs[] = {
    {"s/run", "seconds", "seconds_per_run", "mean wall seconds per run"},
    {"params", "param_count", "param_count", "trainable parameters"},
};

/* Whether row a beats row b: at least as good on both, better on one. desc: the metric's
 * higher is better. */
static int pareto_beats(const double *m, const double *c, int a, int b, int desc)
{
    int no_worse = (desc ? m[a] >= m[b] : m[a] <= m[b]) && c[a] <= c[b];
    return no_worse && (m[a] != m[b] || c[a] != c[b]);
}

/* The cost named `name`: its index in pareto_costs and its column in t, or -1 with why in err. */
static int pareto_cost(const table *t, const char *name, int *col, char *err, size_t errlen)
{
    for (size_t k = 0; k < SW_ARRAY_LEN(pareto_costs); k++) {
        if (strcmp(name, pareto_costs[k].name) && strcmp(name, pareto_costs[k].alias)) continue;
        for (int j = 0; j < t->ncols; j++)
            if (!strcmp(t->cols[j].id, pareto_costs[k].column)) return *col = j, (int)k;
        sw_set_error(err, errlen, "--pareto: these run files record no %s", pareto_costs[k].meaning);
        return -1;
    }
    size_t used = (size_t)snprintf(err, errlen, "--pareto: unknown cost '%s'; costs:", name);
    for (size_t k = 0; k < SW_ARRAY_LEN(pareto_costs) && used < errlen; k++)
        used += (size_t)snprintf(err + used, errlen - used, "%s %s (%s)", k ? "," : "", pareto_costs[k].name,
                                 pareto_costs[k].meaning);
    if (used < errlen) snprintf(err + used, errlen - used, "; peak memory is not recorded in run files");
    return -1;
}

int sw_summary_pareto(table *t, const char *spec, char *note, size_t notelen, char *err, size_t errlen)
{
    char metric[128];
    const char *comma = strrchr(spec, ',');
    if (!comma || comma == spec || !comma[1] || (size_t)(comma - spec) >= sizeof metric) {
        sw_set_error(err, errlen, "--pareto takes METRIC,COST (e.g. best,s/run or val,params), got '%s'", spec);
        return SW_EINVAL;
    }
    snprintf(metric, sizeof metric, "%.*s", (int)(comma - spec), spec);
    int mcol = find_column(t, metric, "--pareto", err, errlen), ccol = -1;
    if (mcol < 0) return SW_EINVAL;
    int k = pareto_cost(t, comma + 1, &ccol, err, errlen);
    if (k < 0) return SW_EINVAL;
    int n = t->nrows, desc = t->cols[mcol].desc, kept = 0, missing = 0;
    double *m = malloc((size_t)(n ? n : 1) * sizeof *m), *c = malloc((size_t)(n ? n : 1) * sizeof *c);
    int *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!m || !c || !rows) {
        free(m), free(c), free(rows);
        sw_set_error(err, errlen, "out of memory");
        return SW_ENOMEM;
    }
    for (int i = 0; i < n; i++) m[i] = sw_tab_cell(t, i, mcol)->num, c[i] = sw_tab_cell(t, i, ccol)->num;
    for (int i = 0; i < n; i++) {
        if (!isfinite(m[i]) || !isfinite(c[i])) {
            missing++;
            continue;
        }
        int beaten = 0;
        for (int j = 0; j < n && !beaten; j++)
            beaten = j != i && isfinite(m[j]) && isfinite(c[j]) && pareto_beats(m, c, j, i, desc);
        if (!beaten) rows[kept++] = i;
    }
    int rc = sw_tab_select(t, rows, kept);
    if (rc == SW_OK) rc = sw_tab_sort_column(t, ccol, 0, err, errlen); /* cheapest first */
    else sw_set_error(err, errlen, "out of memory");
    snprintf(note, notelen, "Pareto frontier of %s (%s is better) against %s (lower is better): the %d of %d "
             "configuration%s no other beats on both, cheapest first%s", t->cols[mcol].title,
             desc ? "higher" : "lower", pareto_costs[k].meaning, kept, n - missing, sw_plural(n - missing),
             missing ? "; configurations without both numbers left out" : "");
    free(m), free(c), free(rows);
    return rc;
}

/* `sweep help summarize`: the columns of the per-configuration table, one line each. */
void sw_summary_print_columns(FILE *f)
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
