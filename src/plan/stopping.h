/* stopping.h: deterministic early stopping: the `stop:` keys of a sweep file, the rungs,
 * and the rules that decide at each rung which runs go on.
 *
 * Every decision is a pure function of the runs' recorded metric (their files' /history)
 * and their ids: it is taken at a rung barrier, once every run that was to reach the rung
 * has reached it (or diverged before it), so the same runs are stopped whatever order
 * the runs finished in, whatever -j, MPI ranks or shards ran them, and however often the
 * sweep was interrupted. sw_stop_evaluate recomputes the whole state of a sweep from what
 * is on disk: the decisions taken so far and the jobs that can run now.
 *
 * The rules (one row each of sw_stop_rules, docs/config.md "Early stopping"):
 *   sha        successive halving (Jamieson & Talwalkar 2016): rungs at min_epochs * eta^k
 *              (k = 0, 1, ...) below train.epochs, and train.epochs; at each rung below the
 *              last the best max(1, floor(n / eta)) of the n runs that reached it go on.
 *   hyperband  (Li et al. 2018) the runs split into brackets b = 0..K (K: the rungs of sha
 *              below train.epochs), bracket b a successive halving that starts at sha's rung
 *              b: bracket 0 is sha itself, bracket K trains its runs to the end. Bracket b
 *              gets a share of the runs proportional to Hyperband's n_s = ceil((K+1) /
 *              (s+1) * eta^s), s = K - b (largest remainders, ties to the lower bracket);
 *              run i (grid order) goes to the bracket furthest below its share so far,
 *              (2 * assigned_b + 1) / count_b smallest, ties to the lower bracket: the
 *              brackets interleave along the grid order instead of taking blocks of it.
 *   median     the median stopping rule (Golovin et al. 2017, "Google Vizier") at sha's
 *              rungs: at the rung at epoch r, run i stops when its best value of epochs
 *              1..r is worse than the median of the other runs' averages over epochs 1..r
 *              (the runs that reached the rung; an even count takes the mean of the two
 *              middle values). NaN ranks below every number; a median that involves a NaN
 *              is NaN and nothing is worse than it; a run with no other runs goes on.
 * In every rule a run whose value is NaN (it diverged before the rung) is stopped, and
 * ties are broken by run id (strcmp order: the smaller id ranks first).
 *
 * Groups: a model-based search (search.kind tpe) decides each round's runs among
 * themselves (sw_stop_plan_set_groups): every rule above applies within a group as if its
 * runs were the whole sweep (hyperband's brackets too), so that a later round's runs never
 * change a decision already taken about an earlier round's.
 *
 * What a rule ranks (stop.by): `configuration` (the default) decides about the runs that
 * differ only in their seed together: the configuration's curve is the mean of its runs'
 * metric epoch by epoch, the rule above ranks those curves (counts, quotas and hyperband's
 * brackets are of configurations; ties by the smallest run id of each), and every run of a
 * configuration is promoted or stopped with it. A run that diverged before the rung makes
 * its configuration's mean NaN. `run` ranks every run on its own. Without a swept seed
 * every configuration is one run, and both decide alike. */
#ifndef SWEEP_STOPPING_H
#define SWEEP_STOPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "task.h"

typedef enum { SW_STOP_NONE, SW_STOP_SHA, SW_STOP_HYPERBAND, SW_STOP_MEDIAN, SW_STOP_KIND_COUNT } sw_stop_kind;

/* What the rules rank: configurations (their seeds' mean) or single runs. */
typedef enum { SW_STOP_BY_CONFIGURATION, SW_STOP_BY_RUN, SW_STOP_BY_COUNT } sw_stop_by;

/* The metrics a rule can read: /history columns. Index 0 is "auto", the runs' own
 * selection metric (task.h's sw_task_metric_of). */
typedef enum {
    SW_STOP_METRIC_AUTO,
    SW_STOP_METRIC_VAL_ACC,
    SW_STOP_METRIC_VAL_LOSS,
    SW_STOP_METRIC_TEST_ACC,
    SW_STOP_METRIC_TEST_LOSS,
    SW_STOP_METRIC_TRAIN_ACC,
    SW_STOP_METRIC_TRAIN_LOSS,
    SW_STOP_METRIC_COUNT
} sw_stop_metric;

/* The `stop:` section. */
typedef struct {
    sw_stop_kind kind;
    sw_stop_metric metric;
    int eta;        /* the reduction factor (>= 2) */
    int min_epochs; /* the first rung's epoch (>= 1, < train.epochs) */
    sw_stop_by by;  /* what the rules rank */
} sw_stop_config;

/* The keys of `stop:`: schema rows (config.h) with offsets into sw_stop_config. */
extern const sw_key_info sw_stop_keys[];
extern const size_t sw_stop_keys_len;

/* The stop key named `name` ("eta" or "stop.eta"); NULL when unknown. */
const sw_key_info *sw_stop_key_find(const char *name);

/* Defaults of every stop key (kind none: no early stopping). */
void sw_stop_defaults(sw_stop_config *c);

/* Sets one stop key from a YAML scalar's text; type and range checked ("stop.eta: ..."). */
int sw_stop_set(sw_stop_config *c, const sw_key_info *k, const char *text, bool quoted, char *err, size_t errlen);

/* "none", "sha", "hyperband", "median"; "val_acc", ... ("auto" for SW_STOP_METRIC_AUTO);
 * "configuration", "run". */
const char *sw_stop_kind_name(sw_stop_kind kind);
const char *sw_stop_metric_name(sw_stop_metric metric);
const char *sw_stop_by_name(sw_stop_by by);

/* The metric c->metric means for the runs of `cfg` (auto: the task's selection metric),
 * with its direction. Returns SW_OK, or SW_ECONFIG with "stop.metric: ..." in err when the
 * runs do not record it: an accuracy of a regression, a validation metric without
 * task.val_size, or a test metric while task.val_size gives a validation set (selection
 * must not read the test set). */
int sw_stop_resolve_metric(const sw_stop_config *c, const sw_config *cfg, sw_stop_metric *metric,
                           sw_metric_mode *mode, char *err, size_t errlen);

/* Writes the stop keys (`sweep help keys`). */
void sw_stop_print_keys(FILE *f);

/* ---- rungs and brackets ------------------------------------------------------------ */

#define SW_STOP_MAX_RUNGS 256 /* a pbt search's barriers too (pbt.h) */

/* The rungs of sha: min_epochs * eta^k below `epochs`, then `epochs`, into rung[]
 * (SW_STOP_MAX_RUNGS entries). Returns their count (>= 1). */
int sw_stop_rungs(int min_epochs, int eta, int epochs, int *rung);

/* One sweep's plan: its rule, brackets and which run is in which. The rules rank units:
 * the configurations (by configuration) or the runs (by run). */
typedef struct {
    sw_stop_kind kind;
    sw_metric_mode mode;
    sw_stop_by by;
    int eta, min_epochs, epochs;
    int n_rungs;                     /* sha's rungs, the last one `epochs` */
    int rung[SW_STOP_MAX_RUNGS];
    int n_brackets;                  /* 1, or hyperband's n_rungs */
    int n_runs;
    const char *const *ids;          /* borrowed: the runs' ids, for ties */
    int *bracket;                    /* per run (the same for every run of a unit) */
    int *config;                     /* per run: its configuration, from 0 in grid order */
    int n_groups;                    /* 1, or the rounds of a tpe search */
    int *group;                      /* per run: its group, non-decreasing (NULL: all 0) */
    int n_units;
    int *unit;                       /* per run: its unit (config[i] by configuration, else i) */
    const char **unit_id;            /* per unit: the smallest id of its runs (ties; borrowed) */
    int *unit_size;                  /* per unit: its runs */
} sw_stop_plan;

/* Sets up the plan of n_runs runs (ids borrowed, kept by the caller while the plan lives)
 * trained for `epochs` epochs. config[i] (copied; NULL: every run its own) is run i's
 * configuration, numbered from 0 in the order of their first runs (the runs of one
 * configuration differ only in seed); `by` says whether the rules rank those or the runs.
 * Returns SW_OK, SW_EINVAL (config not numbered so) or SW_ENOMEM; sw_stop_plan_free
 * either way. */
int sw_stop_plan_init(sw_stop_plan *p, sw_stop_kind kind, sw_metric_mode mode, sw_stop_by by, int eta,
                      int min_epochs, int epochs, int n_runs, const char *const *ids, const int *config);

/* Makes the runs decide in groups: group[i] (copied) is run i's, from 0 and
 * non-decreasing in run order, the same for every run of a unit; each group is decided on
 * its own (hyperband's brackets are assigned again, within each group). Returns SW_OK,
 * SW_EINVAL (groups not so) or SW_ENOMEM. */
int sw_stop_plan_set_groups(sw_stop_plan *p, const int *group);

/* The runs and units of bracket b of group g that decide at each of its rungs if no run
 * diverges: runs[k], units[k] for rung k (index into p->rung; 0 before the bracket's first
 * rung). */
void sw_stop_plan_counts(const sw_stop_plan *p, int g, int b, int *runs, int *units);
void sw_stop_plan_free(sw_stop_plan *p);

/* Bracket b's first rung (an index into p->rung): b for hyperband, else 0. */
int sw_stop_bracket_first_rung(const sw_stop_plan *p, int b);

/* The epochs the plan trains in all if no run diverges, every run continuing from its
 * rung; for median the upper bound (nobody stopped). */
long long sw_stop_planned_epochs(const sw_stop_plan *p);

/* ---- evaluation ---------------------------------------------------------------------- */

/* What one run's complete file says (the caller reads it). */
typedef struct {
    int epochs;            /* epochs its complete file records; 0 without one (or failed) */
    bool final;            /* its file is done or diverged: it trains no further */
    const double *values;  /* the metric at epochs 1..epochs (borrowed; NULL when 0) */
} sw_stop_run_state;

/* One decision: run `run` at rung `rung` (epoch `epoch`) of bracket `bracket`. */
typedef struct {
    int bracket, rung, epoch, run;
    double metric;  /* the value ranked: its unit's (by configuration: the mean curve of the
                       configuration's runs; median: its best of epochs 1..epoch, else the
                       value there) */
    double cutoff;  /* the worst metric still promoted at that rung; NaN when none is */
    bool promoted;
    int config;     /* the run's configuration (sw_stop_plan.config) */
    double run_metric; /* the run's own value, as `metric` is its unit's */
    int group;      /* the run's group (0 without groups) */
} sw_stop_decision;

/* A training job the plan can run now: run `run` up to epoch `until` (its rung). */
typedef struct {
    int run, until, bracket, rung;
} sw_stop_job;

/* What a run has come to. */
typedef enum {
    SW_FATE_OPEN,    /* it trains further (a job now, or after a rung barrier) */
    SW_FATE_STOPPED, /* stopped at a rung: its file (status stopped) is complete */
    SW_FATE_FINAL,   /* its file is done or diverged */
    SW_FATE_COUNT
} sw_stop_fate;

typedef struct {
    sw_stop_decision *decisions; /* every decision taken, by group, bracket, rung and run id */
    int n_decisions;
    sw_stop_job *jobs;           /* the jobs that can run now (every barrier before them passed) */
    int n_jobs;
    sw_stop_fate *fate;          /* per run */
} sw_stop_outcome;

/* Decides every rung whose barrier the runs in `st` (one per run of the plan) have
 * passed, and lists the jobs that can run now: the runs that have to reach the earliest
 * undecided rung of their bracket and have not. Pure: the same states give the same
 * outcome. *out is (re)filled; free with sw_stop_outcome_free. Returns SW_OK or SW_ENOMEM. */
int sw_stop_evaluate(const sw_stop_plan *p, const sw_stop_run_state *st, sw_stop_outcome *out);
void sw_stop_outcome_free(sw_stop_outcome *out);

/* True when the plan decides about configurations of several runs (stop.by configuration
 * with seeds swept). */
bool sw_stop_plan_by_configurations(const sw_stop_plan *p);

#endif
