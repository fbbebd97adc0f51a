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
 * chosen from the results (sw_sweep_spec_reload; rounds.h runs it).
 * docs/config.md describes the language with examples.
 *
 * Every error is reported as "FILE:LINE:COLUMN: message" (or "--set KEY=VALUE: message")
 * naming the key, the value and what is allowed, and nothing is run or written. */
#ifndef SWEEP_SWEEPSPEC_H
#define SWEEP_SWEEPSPEC_H

#include <stddef.h>

#include "plan.h"

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

#endif
