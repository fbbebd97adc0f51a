/* sweepspec.h: a sweep file (YAML) read, checked and expanded into its ordered list of runs.
 *
 * A sweep file has the top-level keys `name`, `description`, `base` (nested sections
 * task/model/train/record and `seed`), `grid` (key -> list: cartesian product), `zip`
 * (groups of equal-length lists that vary together) and `exclude` (partial assignments
 * whose runs are dropped), and for a sampled search `search` (kind random or sobol,
 * samples, seed; sample.h) and `space` (key -> distribution), whose points are the first,
 * slowest axis of the product. `--set KEY=VALUE` overrides are applied on top: a scalar
 * sets the key for every run (replacing a grid axis on that key, or taking it out of the
 * space), a list makes the key a grid axis; `--set search.KEY=VALUE` changes the search.
 * `stop` (kind sha, hyperband or median, metric, eta, min_epochs; stopping.h) stops runs
 * early at rung barriers; `--set stop.KEY=VALUE` changes it.
 * docs/config.md describes the language with examples.
 *
 * Every error is reported as "FILE:LINE:COLUMN: message" (or "--set KEY=VALUE: message")
 * naming the key, the value and what is allowed, and nothing is run or written. */
#ifndef SWEEP_SWEEPSPEC_H
#define SWEEP_SWEEPSPEC_H

#include <stddef.h>

#include "config.h"
#include "stopping.h"

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
} sw_run_spec;

typedef struct {
    char *name;          /* `name`, or the file's base name without extension */
    char *description;   /* `description` or "" */
    char *path;          /* the sweep file as given */
    char *text;          /* the file's text, verbatim, then one "# --set KEY=VALUE" line per override */
    char **swept_keys;   /* canonical dotted keys varied by the search's points (first) and
                            grid/zip axes, in axis order */
    char **swept_short;  /* the shortest unambiguous name of each (used in run ids) */
    int n_swept;
    sw_run_spec *runs;   /* in grid order: the first axis varies slowest */
    int n_runs;
    char **warnings;     /* non-fatal remarks (e.g. an exclude entry matching no run) */
    int n_warnings;
    /* `stop:` (kind SW_STOP_NONE: none), its metric resolved (never auto) and checked to be
     * recorded by every run; every run then has train.epochs == stop_epochs. */
    sw_stop_config stop;
    sw_metric_mode stop_mode;
    int stop_epochs;
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

/* NULL-tolerant. */
void sw_sweep_spec_free(sw_sweep_spec *spec);

/* Resolves a key as a user may write it on the command line or in grid/zip/exclude:
 * canonical ("model.hidden") or any dotted suffix that names one key ("hidden",
 * "schedule.kind"). NULL when unknown or ambiguous. */
const sw_key_info *sw_resolve_key(const char *name);

/* The shortest dotted suffix of a canonical key that no other key ends with ("seq_len",
 * "schedule.kind"); written into out. */
void sw_short_key(const char *canonical, char *out, size_t outlen);

#endif
