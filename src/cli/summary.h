/* summary.h: `sweep summarize DIR`: best-epoch tables across seeds and configurations,
 * computed from the run files alone (no config needed; works on a copied directory).
 *
 * Rows group the runs by every key whose value differs between them except the seed (the
 * swept keys and any other, so runs of several sweeps are never averaged together; with a
 * `sweep` column when they come from several sweeps), or by --by KEYS. Counts cover
 * all runs of a group; every other statistic covers its `done` runs and its early-stopped
 * ones (with their best epoch so far); diverged and failed runs are counted, not averaged.
 * Runs with a validation set show the validation metric their best epoch was chosen by. Accuracies are printed in percent. Each run
 * is summarized by its own metric (/summary metric): runs selected by the lowest test loss
 * (regression) get loss columns instead of accuracies, tasks with a baseline loss get it. */
#ifndef SWEEP_SUMMARY_H
#define SWEEP_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "table.h"

typedef struct {
    const char *by;          /* comma-separated keys to group by (dotted or short, as in a
                                config; "sweep" for the sweep); NULL: every key that tells
                                configurations apart except seed; "": one group of all runs */
    const char *sort;        /* column to sort rows by, optional leading '-' (descending) or
                                '+' (ascending); NULL: grid order */
    sw_table_format format;
    int per_run;             /* one row per run instead of per configuration */
    const char *history_run; /* non-NULL: print this run's per-epoch table instead */
    int rungs;               /* print the early-stopping decisions per rung instead */
    int top;                 /* > 0: only the first `top` rows: the best by the metric unless
                                `sort` says otherwise */
    int legend;              /* text and markdown: every column's meaning under the table */
    const char *pareto;      /* "METRIC,COST": only the configurations no other beats on both
                                (summary_tables.h's sw_summary_pareto); NULL: every one */
} sw_summary_options;

/* Prints the table for the run files of `dir` on `out`; unreadable files and other notes
 * go to `diag` (may be NULL). Returns SW_OK; SW_EINVAL for a bad option value (unknown
 * key, column or run id; message in err); SW_ENOTFOUND when dir is missing or holds no
 * readable run file (message in err). Reads files only; thread-safe. */
int sw_summarize(const char *dir, const sw_summary_options *opt, FILE *out, FILE *diag, char *err,
                 size_t errlen);

/* The same over the run files of several directories (dirs[0..ndirs), e.g. two sweeps to
 * compare): their runs in one table, directory by directory, told apart by a `sweep` column
 * when they come from several sweeps. SW_EINVAL for --rungs with more than one directory. */
int sw_summarize_dirs(const char *const *dirs, int ndirs, const sw_summary_options *opt, FILE *out, FILE *diag,
                      char *err, size_t errlen);

#endif
