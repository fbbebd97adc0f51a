/* summary_tables.h: the tables `sweep summarize` prints: one row per configuration (the
 * runs grouped by keys), per run, per epoch of one run, and per rung of early stopping
 * (sweep.h5's /decisions); the names --sort knows their columns by, and their meanings.
 * Internal to the command line (cli/); summary.c puts notes above them and prints them. */
#ifndef SWEEP_SUMMARY_TABLES_H
#define SWEEP_SUMMARY_TABLES_H

#include <stddef.h>
#include <stdio.h>

#include "runset.h"
#include "summary.h"
#include "table.h"

/* Losses span orders of magnitude (an MSE of 1e-5 is a solved adding problem): they are
 * printed with significant digits, not decimals. */
#define LOSS_FMT "%.4g"

/* A fraction in percent. */
double sw_pct(double fraction);

/* An accuracy metric (val_acc, test_acc): shown in percent like the tables' accuracies. */
int sw_metric_is_acc(const char *metric);

/* Short column titles: the last part of a dotted key (task.seq_len -> seq_len) unless two
 * of keys[0..nkeys) would share it. */
const char *sw_summary_key_title(const char *key, const char *const *keys, int nkeys);

/* The table of rs's runs grouped by the keys gkeys[0..ngk) (one row per configuration, in
 * the order of its first run), with the statistics over each group's done and stopped runs;
 * the columns rs's runs have (runset.h's families). SW_OK or SW_ENOMEM. */
int sw_summary_group_table(const run_set *rs, const char *const *gkeys, int ngk, table *t);

/* One row per run: the keys[0..nkeys) that tell them apart, status, error and figures. */
int sw_summary_run_table(const run_set *rs, const char *const *keys, int nkeys, table *t);

/* One row per epoch of run r, the best epoch marked; `regression`: losses, not
 * accuracies; `val`: validation columns. */
int sw_summary_history_table(const sw_run_file *r, int regression, int val, table *t);

/* After a table of dir's runs: the early-stopping decisions per rung (its index's
 * /decisions), in `format`, when it has any (`named`: the table names its sweep). */
void sw_summary_rungs_account(const char *dir, int named, sw_table_format format, FILE *out, FILE *diag);

/* `summarize --rungs`: the decisions per rung alone. SW_ENOTFOUND when dir has none. */
int sw_summary_rungs(const char *dir, const sw_summary_options *opt, FILE *out, char *err, size_t errlen);

/* --sort [-|+]NAME on a summary table: the column by its CSV id, text title, an alias
 * (best, final, epoch, ...) or the config key it shows; its own direction unless a sign
 * forces one. SW_EINVAL with the nearest name and the columns in err. */
int sw_summary_sort(table *t, const char *spec, char *err, size_t errlen);

/* --pareto METRIC,COST on a per-configuration table: keeps the rows no other beats on both
 * (at least as good on the metric, by its own direction, and on the cost, lower is better,
 * and better on one: equal rows both stay), cheapest first, and says so in note. METRIC is
 * named as for --sort; COST is one of the costs it knows (s/run, params). Rows without
 * both numbers are left out. SW_EINVAL (message in err) for a bad name, or SW_ENOMEM. */
int sw_summary_pareto(table *t, const char *spec, char *note, size_t notelen, char *err, size_t errlen);

/* `sweep help summarize`: the columns of the per-configuration table, one line each. */
void sw_summary_print_columns(FILE *f);

#endif
