/* plan.h: a sweep's plan, what its file expands into: the runs in grid order, each with its
 * resolved config and id, the keys they vary, and the early-stopping settings; and the
 * warnings reading the file raised. Made by sweepspec.h; owned by the caller
 * (sw_sweep_spec_free). */
#ifndef SWEEP_PLAN_H
#define SWEEP_PLAN_H

#include <stddef.h>

#include "config.h"
#include "sample.h"
#include "stopping.h"
#include "tpe.h"

/* One run of the sweep. */
typedef struct {
    char *id;        /* deterministic, readable: "cell=gru,seq_len=100,seed=3", or
                        "r007-1a2b3c4d" (index + hash) when the readable form is too long;
                        a sampled point's runs start with its index and a hash of its
                        values: "p012-1a2b3c4d,seed=3" */
    int index;       /* position in grid order, from 0 */
    sw_config cfg;   /* fully resolved and validated */
    char **values;   /* n_swept values as text, parallel to sw_sweep_spec.swept_keys */
    double cost;     /* sw_config_cost_flops(&cfg) */
    char hash[17];   /* 16 hex digits identifying the resolved config (changes if any key does) */
    int config;      /* its configuration: the runs whose swept values differ only in `seed`
                        share one; numbered from 0 in the grid order of their first runs */
    int point;       /* a sampled search's point it runs (sw_sweep_spec.points); -1 without */
    int round;       /* that point's round (0 without a search) */
} sw_run_spec;

/* How a point of a sampled search was chosen. */
typedef enum {
    SW_POINT_RANDOM,   /* kind random */
    SW_POINT_SOBOL,    /* kind sobol; tpe's startup points */
    SW_POINT_TPE,      /* tpe: the candidates with the best log l - log g */
    SW_POINT_FALLBACK, /* tpe: every candidate repeated an earlier point; the next Sobol one */
    SW_POINT_ORIGIN_COUNT
} sw_point_origin;

/* "random", "sobol", "tpe", "fallback". */
const char *sw_point_origin_name(sw_point_origin o);

/* One point of a sampled search, in the order the points were chosen (its index in
 * sw_sweep_spec.points is its number, the p<number> of its runs' ids for tpe). */
typedef struct {
    int round;              /* 0: drawn before any run; tpe: r >= 1, chosen from rounds < r */
    sw_point_origin origin;
    double score;           /* tpe: sum over keys of log l(x) - log g(x) at its values; else NaN */
    double *values;         /* (n_dims) internal values: a float, an integer, a choice's index */
    int first_run, n_runs;  /* its runs, spec->runs[first_run ..] (exclude: may be 0) */
} sw_search_point;

/* The points a tpe search has chosen after its startup points: whole rounds, in order
 * (sw_sweep_spec_reload). */
typedef struct {
    int n;
    const double *values;           /* (n, n_dims) internal values */
    const double *score;            /* (n) */
    const sw_point_origin *origin;  /* (n) */
} sw_search_chosen;

typedef struct {
    char *name;          /* `name`, or the file's base name without extension */
    char *description;   /* `description` or "" */
    char *path;          /* the sweep file as given */
    char *text;          /* the file's text, verbatim, then one "# --set KEY=VALUE" line per override */
    size_t file_len;     /* the length of the file's text in `text` */
    char **swept_keys;   /* canonical dotted keys varied by the search's points (first) and
                            grid/zip axes, in axis order */
    char **swept_short;  /* the shortest unambiguous name of each (used in run ids) */
    int n_swept;
    sw_run_spec *runs;   /* in grid order: the first axis varies slowest */
    int n_runs;
    int n_configs;       /* configurations (sw_run_spec.config): n_runs without a swept seed */
    char **warnings;     /* non-fatal remarks (e.g. an exclude entry matching no run) */
    int n_warnings;
    /* `stop:` (kind SW_STOP_NONE: none), its metric resolved (never auto) and checked to be
     * recorded by every run; every run then has train.epochs == stop_epochs. */
    sw_stop_config stop;
    sw_metric_mode stop_mode;
    int stop_epochs;
    /* A sampled search (search.kind random, sobol or tpe; kind grid: all empty). Its points
     * are the first, slowest axis: a point's runs are consecutive. */
    sw_search_config search;
    sw_tpe_dim *space;         /* (n_dims) the space's keys in file order, as TPE sees them */
    int *space_sobol_dim;      /* (n_dims) each one's Sobol dimension (--set may leave gaps) */
    int n_dims;
    int n_space_keys;          /* swept_keys[0 .. n_space_keys) are the keys the space sets */
    sw_search_point *points;   /* the points known: every one, or tpe's rounds chosen so far */
    int n_points;
    int n_rounds;              /* rounds of the whole search (sw_search_rounds) */
    int rounds_known;          /* rounds whose points are in `points` */
    sw_task_metric search_metric; /* tpe: the selection metric of every run (one for all) */
    /* pbt (pbt.h): per dimension of space, the key it sets and, for a choice, its values as
     * text ([n_choices]; NULL for a range): what a member's values set in its config */
    const sw_key_info **pbt_key;
    char ***pbt_choice;
} sw_sweep_spec;

/* Upper limit on the number of runs a sweep may expand into. */
#define SW_MAX_RUNS 100000

/* Frees the plan and everything it owns; NULL-tolerant. */
void sw_sweep_spec_free(sw_sweep_spec *spec);

/* Appends a copy of `text` to s's warnings. Returns SW_OK or SW_ENOMEM. */
int sw_sweep_spec_warn(sw_sweep_spec *s, const char *text);

/* The ids of spec's runs as an array (for stopping.h's ties): malloc'ed, the strings
 * borrowed; NULL when out of memory. */
const char **sw_sweep_spec_ids(const sw_sweep_spec *spec);

/* Early stopping's plan of spec (stopping.h): its runs' ids and configurations (a tpe
 * search: its rounds as groups, each decided among its own runs). Returns
 * SW_OK or SW_ENOMEM; *ids is the caller's (free) either way, and the plan too
 * (sw_stop_plan_free). */
int sw_sweep_spec_stop_plan(const sw_sweep_spec *spec, sw_stop_plan *p, const char ***ids);

/* *dst = a malloc'ed copy of src (NULL copies as ""). Returns SW_OK or SW_ENOMEM. */
int sw_dup_string(char **dst, const char *src);

#endif
