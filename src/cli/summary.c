/* summary.c: best-epoch tables from run files (see summary.h).
 *
 * Flow: read every run file of the directories (runset.c: root, /config, /summary and the
 * vanishing figure; /history only for --history), each in the order its index lists them
 * (the sweep's grid order), build a table (summary_tables.c, table.c), then order, cut and
 * print it as text, markdown or CSV with the notes above it that say what it holds. */
#define _POSIX_C_SOURCE 200809L
#include "summary.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "config.h"
#include "runset.h"
#include "summary_pbt.h"
#include "summary_search.h"
#include "summary_tables.h"
#include "table.h"
#include "task.h"

/* ---- entry points ------------------------------------------------------------------------ */

/* Splits "a,b,c" into group keys: schema key strings (a key written as in a config file or
 * --set: canonical or its unambiguous short form, lr, cell, schedule.kind) or sw_sweep_key. */
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
        const sw_key_info *k = strcmp(name, sw_sweep_key) ? sw_resolve_key_explained(name, why, sizeof why) : NULL;
        if (!k && strcmp(name, sw_sweep_key)) {
            sw_set_error(err, errlen, "--by: %s", why);
            return SW_EINVAL;
        }
        const char *key = k ? k->key : sw_sweep_key;
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
    int rc = sw_summary_history_table(r, regression, l->val || r->config.task.val_size > 0, &t);
    if (rc) goto done;
    snprintf(note[0], sizeof note[0], "run %s: %s, %d of %d epochs", r->run_id,
             r->status == SW_RUN_STOPPED ? "stopped early at a rung" : sw_run_status_name(r->status), r->epochs,
             r->epochs_planned);
    if (l->bits)
        snprintf(note[0] + strlen(note[0]), sizeof note[0] - strlen(note[0]), "; the losses per epoch are nats per "
                 "character, the others bits (nats / ln 2)");
    notes[nnotes++] = note[0];
    char baseline[64] = "";
    if (isfinite(l->baseline)) snprintf(baseline, sizeof baseline, "; baseline " LOSS_FMT, l->baseline);
    if (r->best_epoch > 0 && l->val && l->by_loss) {
        const char *name = regression ? "MSE" : l->bits ? "bits/char" : "loss";
        snprintf(note[1], sizeof note[1], "best epoch %d by the lowest validation %s " LOSS_FMT "; test %s there "
                 LOSS_FMT "%s; final " LOSS_FMT " (train " LOSS_FMT ")", r->best_epoch, name, l->val_best, name,
                 l->best_loss, baseline, l->final_loss, l->final_train_loss);
        notes[nnotes++] = note[1];
    } else if (r->best_epoch > 0 && l->val) {
        snprintf(note[1], sizeof note[1], "best epoch %d by validation accuracy %.2f%%; test accuracy there %.2f%%; "
                 "final %.2f%% (train %.2f%%)", r->best_epoch, sw_pct(l->val_best), sw_pct(r->best_test_acc),
                 sw_pct(r->final_test_acc), sw_pct(r->final_train_acc));
        notes[nnotes++] = note[1];
        if (baseline[0]) {
            snprintf(note[2], sizeof note[2], "test loss at the best epoch " LOSS_FMT "%s (a constant answer's loss)",
                     l->best_loss, baseline);
            notes[nnotes++] = note[2];
        }
    } else if (r->best_epoch > 0 && l->by_loss) {
        const char *name = regression ? "MSE" : l->bits ? "bits/char" : "loss";
        snprintf(note[1], sizeof note[1], "best test %s " LOSS_FMT " at epoch %d (lowest)%s; final " LOSS_FMT
                 " (train " LOSS_FMT ")", name, l->best_loss, r->best_epoch, baseline, l->final_loss, l->final_train_loss);
        notes[nnotes++] = note[1];
    } else if (r->best_epoch > 0) {
        snprintf(note[1], sizeof note[1], "best test accuracy %.2f%% at epoch %d; final %.2f%% (train %.2f%%)",
                 sw_pct(r->best_test_acc), r->best_epoch, sw_pct(r->final_test_acc), sw_pct(r->final_train_acc));
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
    if (opt->sort && (rc = sw_summary_sort(&t, opt->sort, err, errlen))) goto done;
    sw_tab_print(&t, opt->format, out, notes, opt->format == SW_TABLE_CSV ? 0 : nnotes, 0);
done:
    sw_tab_free(&t);
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
                                      sw_summary_key_title(gkeys[g], gkeys, ngk));
    int by_sweep = 0;
    for (int g = 0; g < ngk; g++) by_sweep |= gkeys[g] == sw_sweep_key;
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
    {SW_TASK_TEXT, "text: its characters' frequencies at every step, the unigram entropy"},
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
        rc = sw_summary_sort(t, opt->sort, err, errlen);
        snprintf(ranked_by, len, "%s", opt->sort);
    } else if (!opt->pareto && (opt->top > 0 || rs->sampled || (rs->fams & FAM_STOPPED))) {
        int col = metric_column(t, rs, opt->per_run);
        if (col >= 0) {
            rc = sw_tab_sort_column(t, col, t->cols[col].desc, err, errlen);
            snprintf(ranked_by, len, "%s", shown_title(t, col));
        }
    }
    if (!rc && opt->top > 0) {
        sw_tab_truncate(t, opt->top);
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
        if ((t->cols[j].where & IN_TEXT) && t->cols[j].legend[0] && sw_text_width(t->cols[j].title) > w)
            w = sw_text_width(t->cols[j].title);
    fputs(format == SW_TABLE_MARKDOWN ? "\nColumns:\n\n" : "\ncolumns:\n", out);
    for (int j = 0; j < t->ncols; j++) {
        const column *c = &t->cols[j];
        int any = 0;
        for (int i = 0; i < t->nrows && !any; i++) any = sw_tab_cell(t, i, j)->text[0] != 0;
        if (!(c->where & IN_TEXT) || !c->legend[0] || !any) continue;
        if (format == SW_TABLE_MARKDOWN)
            fprintf(out, "- `%s`: %s\n", c->title, c->legend);
        else
            fprintf(out, "  %s%*s  %s\n", c->title, w - sw_text_width(c->title), "", c->legend);
    }
}

/* A pbt search's members change the space's values as they train, and their files' /config
 * (hence the table's columns) keeps the values each started from: say so, and where the
 * others are. True when a directory holds a pbt search. */
static bool pbt_note(char *out, size_t outlen, const run_set *rs)
{
    char line[512];
    for (int d = 0; d < rs->ndirs; d++)
        if (sw_summary_pbt_line(rs->dirs[d], line, sizeof line)) {
            snprintf(out, outlen, "pbt members: the space's columns are the values each member started from; "
                     "they change at its exploits (the best member's lineage below, every member's per epoch in "
                     "/history/<key> of its file)");
            return true;
        }
    return false;
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
        snprintf(note[n], sizeof note[n], "the best epoch is chosen on the validation set: %s%s%s%s%s",
                 rs->fams & FAM_VAL_ACC ? "val acc % chose it, best acc % is the test accuracy there" : "",
                 (rs->fams & FAM_VAL_ACC) && (rs->fams & FAM_VAL_LOSS) ? "; " : "",
                 rs->fams & FAM_VAL_LOSS ? "the lowest val " : "", rs->fams & FAM_VAL_LOSS ? rs->loss_name : "",
                 rs->fams & FAM_VAL_LOSS ? " chose it, best is the test's there" : "");
        notes[n] = note[n];
        n++;
    }
    if (rs->fams & FAM_LOSS) {
        loss_note(note[n], sizeof note[n], rs);
        notes[n] = note[n];
        n++;
    }
    if (pbt_note(note[n], sizeof note[n], rs)) notes[n] = note[n], n++;
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
    if (rs->nsweeps > 1) rkeys[nrk++] = sw_sweep_key;
    for (int k = 0; k < rs->nkeys; k++) rkeys[nrk++] = rs->keys[k];
    if (!opt->by)
        for (int k = 0; k < nrk; k++)
            if (strcmp(rkeys[k], "seed") != 0) gkeys[ngk++] = rkeys[k];
    table t;
    memset(&t, 0, sizeof t);
    int rc = opt->per_run ? sw_summary_run_table(rs, rkeys, nrk, &t) : sw_summary_group_table(rs, gkeys, ngk, &t);
    if (rc) {
        sw_set_error(err, errlen, "out of memory");
        goto done;
    }
    int nrows = t.nrows;
    char ranked_by[128], pareto[1024] = "";
    if (opt->pareto && (rc = sw_summary_pareto(&t, opt->pareto, pareto, sizeof pareto, err, errlen))) goto done;
    if (opt->pareto) nrows = t.nrows; /* the frontier's rows; the note says of how many */
    if ((rc = order_rows(&t, rs, opt, ranked_by, sizeof ranked_by, err, errlen))) goto done;
    char note[7][1024];
    const char *notes[7];
    int nnotes = sweep_notes(note, notes, rs, opt, gkeys, ngk, nrows, t.nrows, ranked_by);
    if (pareto[0]) notes[nnotes++] = pareto;
    sw_tab_print(&t, opt->format, out, notes, opt->format == SW_TABLE_CSV ? 0 : nnotes, 1);
    if (opt->legend && opt->format != SW_TABLE_CSV) print_legend(&t, opt->format, out);
    if (opt->format != SW_TABLE_CSV)
        for (int d = 0; d < rs->ndirs; d++) {
            sw_summary_rungs_account(rs->dirs[d], rs->ndirs > 1, opt->format, out, diag);
            sw_summary_search_account(rs->dirs[d], rs->ndirs > 1, opt->format, out, diag);
            sw_summary_pbt_account(rs->dirs[d], rs->ndirs > 1, opt->format, out, diag);
        }
done:
    sw_tab_free(&t);
    free(rkeys);
    return rc;
}

int sw_summarize_dirs(const char *const *dirs, int ndirs, const sw_summary_options *opt, FILE *out, FILE *diag,
                      char *err, size_t errlen)
{
    sw_summary_options defaults = {NULL, NULL, SW_TABLE_TEXT, 0, NULL, 0, 0, 0, NULL};
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
    if (opt->pareto && (opt->per_run || opt->history_run || opt->rungs)) {
        sw_set_error(err, errlen, "--pareto compares configurations: it goes with neither --runs, --history nor "
                     "--rungs");
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
        return sw_summary_rungs(dirs[0], opt, out, err, errlen);
    }
    run_set rs;
    rc = sw_runset_load(dirs, ndirs, opt->history_run ? SW_READ_HISTORY : 0, &rs, diag, err, errlen);
    if (!rc)
        rc = opt->history_run ? history_summary(&rs, opt, out, err, errlen)
                              : sweep_summary(&rs, opt, gkeys, ngk, out, diag, err, errlen);
    sw_runset_free(&rs);
    free(gkeys);
    return rc;
}

int sw_summarize(const char *dir, const sw_summary_options *opt, FILE *out, FILE *diag, char *err, size_t errlen)
{
    const char *dirs[1] = {dir};
    return sw_summarize_dirs(dirs, 1, opt, out, diag, err, errlen);
}

