/* sweepspec.h: a sweep file (YAML) read, checked and expanded into its ordered list of runs.
 *
 * A sweep file has the top-level keys `name`, `description`, `base` (nested sections
 * task/model/train/record and `seed`), `grid` (key -> list: cartesian product), `zip`
 * (groups of equal-length lists that vary together) and `exclude` (partial assignments
 * whose runs are dropped), and for a sampled search `search` (kind random, sobol or tpe,
 * samples, seed; sample.h) and `space` (key -> distribution), whose points are the first,
 * slowest axis of the product. `--set KEY=VALUE` overrides are applied on top: a scalar
 * sets the key for every run (replacing a grid axis on that key, or taking it out of the
 * space), a list makes the key a grid axis; `--set search.KEY=VALUE` changes the search.
 * `stop` (kind sha, hyperband or median, metric, eta, min_epochs; stopping.h) stops runs
 * early at rung barriers; `--set stop.KEY=VALUE` changes it. A tpe search (kind tpe,
 * tpe.h) knows its startup points when loaded, and its later rounds once their points are
 * chosen from the results (sw_sweep_spec_load_search; rounds.h runs it).
 * docs/config.md describes the language with examples.
 *
 * Every error is reported as "FILE:LINE:COLUMN: message" (or "--set KEY=VALUE: message")
 * naming the key, the value and what is allowed, and nothing is run or written. */
#ifndef SWEEP_SWEEPSPEC_H
#define SWEEP_SWEEPSPEC_H

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
 * (sw_sweep_spec_load_search). */
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
} sw_sweep_spec;

/* Upper limit on the number of runs a sweep may expand into. */
#define SW_MAX_RUNS 100000

/* Reads PATH, applies the n_sets "KEY=VALUE" overrides in order, expands and validates
 * every run. On success *out owns a new spec (free with sw_sweep_spec_free). On error
 * returns SW_ECONFIG (bad content), SW_EIO (unreadable file) or SW_ENOMEM with the
 * message in err, and *out is NULL. */
int sw_sweep_spec_load(const char *path, const char *const *sets, int n_sets, sw_sweep_spec **out,
                       char *err, size_t errlen);

/* Same from text already in memory; `path` only names it in messages. */
int sw_sweep_spec_parse(const char *path, const char *text, size_t len, const char *const *sets, int n_sets,
                        sw_sweep_spec **out, char *err, size_t errlen);

/* The same sweep again, from the text `spec` was read from (spec->text's first file_len
 * bytes: the file is not read again) with the same n_sets overrides, for a tpe search
 * whose later rounds are known: `chosen` (may be NULL: none) holds the points chosen
 * after the startup points, whole rounds, which become points startup, startup + 1, ...
 * with their runs. Other searches ignore it. Returns as sw_sweep_spec_parse; SW_ECONFIG
 * (message in err) when chosen does not fit the search. */
int sw_sweep_spec_reload(const sw_sweep_spec *spec, const char *const *sets, int n_sets,
                         const sw_search_chosen *chosen, sw_sweep_spec **out, char *err, size_t errlen);

/* NULL-tolerant. */
void sw_sweep_spec_free(sw_sweep_spec *spec);

/* Resolves a key as a user may write it on the command line or in grid/zip/exclude:
 * canonical ("model.hidden") or any dotted suffix that names one key ("hidden",
 * "schedule.kind"). NULL when unknown or ambiguous. */
const sw_key_info *sw_resolve_key(const char *name);

/* sw_resolve_key for commands that take a key by name (summarize --by, --sort): the key, or
 * NULL with the reason in err: "unknown key 'cel' (did you mean 'model.cell'?)", or "key
 * 'kind' is ambiguous: it could be task.kind, train.schedule.kind; write the full name". */
const sw_key_info *sw_resolve_key_explained(const char *name, char *err, size_t errlen);

/* The shortest dotted suffix of a canonical key that no other key ends with ("seq_len",
 * "schedule.kind"); written into out. */
void sw_short_key(const char *canonical, char *out, size_t outlen);

#endif
