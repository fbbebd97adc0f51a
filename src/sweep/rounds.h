/* rounds.h: a tpe search run round by round.
 *
 * A tpe search knows its startup points when the sweep file is read. Round r >= 1 is
 * chosen by TPE (tpe.h) from what every point of the rounds before it came to, read from
 * their run files (sw_tpe_point_result: done, stopped early at a rung, or diverged), so it
 * can be chosen only once every one of their runs is final: rounds are barriers, like
 * early stopping's rungs. The choice depends on nothing but the seed, the space and those
 * files, so every process, shard and MPI rank that reads the same files chooses the same
 * points, and a later invocation (a resume after Ctrl-C or kill -9, another shard) first
 * chooses again exactly the rounds it finds complete (sw_rounds_catch_up), then runs.
 *
 * Shards: each runs its part of each round (sweep.h) and ends when the next round waits
 * for another shard's runs; run it again once they are done. MPI: rank 0 reads the files
 * and shares what the points came to, every rank chooses the same round from it. */
#ifndef SWEEP_ROUNDS_H
#define SWEEP_ROUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "plan.h"

/* What a tpe search has learnt so far: the points chosen after its startup, and what each
 * point known came to. */
typedef struct sw_rounds sw_rounds;

/* For spec's search (kind tpe); NULL when out of memory. */
sw_rounds *sw_rounds_create(const sw_sweep_spec *spec);

/* NULL-tolerant. */
void sw_rounds_free(sw_rounds *R);

/* Reads what the points of *spec whose outcome is not known yet came to, from their run
 * files in dir (under MPI rank 0 reads and shares it: collective); while every point of
 * *spec's rounds is known and rounds remain, chooses the next round and replaces *spec by
 * the sweep with it (sw_sweep_spec_reload with sets[0..n_sets)), saying so on `note` (may
 * be NULL). Returns SW_OK, or a negative code with the message in err (*spec is then
 * still a valid spec). */
int sw_rounds_catch_up(sw_rounds *R, sw_sweep_spec **spec, const char *const *sets, int n_sets, const char *dir,
                       bool mpi, FILE *note, char *err, size_t errlen);

/* Points of *spec whose outcome is not known yet (their runs are not all final). */
int sw_rounds_open_points(const sw_rounds *R, const sw_sweep_spec *spec);

/* Runs a tpe search into opt->dir: catches up, then prepares the directory (rank 0;
 * opt->force as for any sweep) and runs the known rounds' pending runs (sw_sweep_execute),
 * chooses the next round and runs it, until every round is run or the next one cannot be
 * chosen (runs failed, Ctrl-C, --fail-fast, another shard's runs). *spec is replaced by
 * the sweep with every round chosen; *out adds up every round (out->waiting: runs of other
 * shards the next round waits for). Prints a line per round unless opt->quiet. Returns
 * SW_OK or the first error (message in err); sw_sweep_prepare's errors as it returns
 * them, before anything is written. */
int sw_rounds_run(sw_sweep_spec **spec, const char *const *sets, int n_sets, const sw_sweep_options *opt,
                  sw_sweep_outcome *out, char *err, size_t errlen);

#endif
