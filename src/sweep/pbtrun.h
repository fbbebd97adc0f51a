/* pbtrun.h: a pbt search (plan's pbt.h) as the sweep trains it.
 *
 * The members are the sweep's runs (run i is member i) and the search's barriers are an
 * early-stopping plan's rungs at which every member goes on (plan.c), so the run loop's
 * rung barriers, MPI dispatch, shards and resume carry it. What pbt adds is decided here
 * from the files in DIR alone, by every process alike:
 *   - the lineage: at every barrier every member has reached, the decision of pbt.h's
 *     sw_pbt_decide from the metric each member's file records there, and so each member's
 *     values in each generation (sw_pbt_lineage_read);
 *   - a job's config: the run's config with the member's values of its generation;
 *   - where a job starts: its own checkpoint inside the generation (an interrupted job),
 *     or the state it had at the generation's first epoch, DIR/<run id>.at<E>.ckpt (a
 *     snapshot taken when its previous job reached that barrier), with, when it exploits,
 *     the weights, optimizer moments and step count of its donor's snapshot at E. Its
 *     history, best epoch, random streams (data order, dropout) and time stay its own.
 * Snapshots are removed once every member is done (SWEEP_TEST_PBT=keep keeps them). */
#ifndef SWEEP_PBTRUN_H
#define SWEEP_PBTRUN_H

#include <stdbool.h>
#include <stddef.h>

#include "pbt.h"
#include "index.h"
#include "plan.h"
#include "runwrite.h"
#include "stopping.h"
#include "train.h"

/* A population's decisions so far. Generation g (0 .. n_barriers-1) trains epochs
 * barrier[g-1]+1 .. barrier[g] (barrier[-1] = 0). */
typedef struct {
    int population, n_dims, n_barriers;
    int barrier[SW_PBT_MAX_GENERATIONS + 1];
    int generations;     /* generations whose values are known: 1 + the barriers decided */
    double *values;      /* (n_barriers, population, n_dims): each member's values in generation g */
    sw_pbt_move *moves;  /* (n_barriers, population): row g >= 1 the decision at barrier[g-1] */
    bool *open;          /* (n_barriers, population): row g >= 1 whether it trained on from there */
} sw_pbt_lineage;

/* The setting of spec's pbt search (its space, factors, seed, metric direction). */
void sw_pbt_setup_of(const sw_sweep_spec *spec, sw_pbt_setup *s);

/* The lineage from the members' states (st[i]: member i's recorded metric, stopping.h):
 * every barrier each member has reached (or a final file short of it: diverged) is decided.
 * Returns SW_OK or SW_ENOMEM; free with sw_pbt_lineage_free either way. */
int sw_pbt_lineage_build(const sw_sweep_spec *spec, const sw_stop_run_state *st, sw_pbt_lineage *L);

/* As sw_pbt_lineage_build from the members' files in dir. Returns SW_OK or SW_ENOMEM. */
int sw_pbt_lineage_read(const sw_sweep_spec *spec, const char *dir, sw_pbt_lineage *L);

void sw_pbt_lineage_free(sw_pbt_lineage *L);

/* The generation a job to epoch `until` trains (barrier[g] == until), or -1. */
int sw_pbt_generation_of(const sw_pbt_lineage *L, int until);

/* Member m's config in generation g (< L->generations): its run's with its values then.
 * Returns SW_OK, or SW_ECONFIG (a value the key refuses: not expected) with err. */
int sw_pbt_config(const sw_sweep_spec *spec, const sw_pbt_lineage *L, int m, int g, sw_config *cfg, char *err,
                  size_t errlen);

/* "DIR/<run id>.at<E>.ckpt" (start: ".at<E>.start.ckpt", SWEEP_TEST_PBT=keep's) into out.
 * Returns SW_OK or SW_EINVAL (too long). */
int sw_pbt_snapshot_path(const char *dir, const char *run_id, int epoch, bool start, char *out, size_t outlen);

/* The state member m starts generation g (>= 1) from: its snapshot at barrier[g-1], with
 * its donor's weights, moments and step count when it exploits there. Returns SW_OK, or a
 * negative code with err (a snapshot missing or not this member's). */
int sw_pbt_start_state(const sw_sweep_spec *spec, const char *dir, const sw_pbt_lineage *L, int m, int g,
                       sw_train_state **out, char *err, size_t errlen);

/* What member m's file records of its life up to generation g (its job's), `epochs`
 * epochs of it: runwrite.h's sw_run_lineage (`life`) and the arrays it points into. */
typedef struct {
    sw_run_lineage life;
    double *values, *metric, *donor_metric, *gen_values;
    int32_t *first_epoch, *rank;
    const char **donor, **keys;
} sw_pbt_record;

/* Fills *r. Returns SW_OK or SW_ENOMEM; sw_pbt_record_free either way. */
int sw_pbt_record_init(sw_pbt_record *r, const sw_sweep_spec *spec, const sw_pbt_lineage *L, int m, int g, int epochs);
void sw_pbt_record_free(sw_pbt_record *r);

/* /pbt of the index (index.h's sw_index_pbt in `index`) from the members' files in dir,
 * and the arrays it points into. */
typedef struct {
    sw_index_pbt index;
    int32_t *generation, *epoch, *member, *rank, *donor;
    double *metric, *old_values, *new_values;
    const char **keys, **run_ids;
} sw_pbt_index;

/* Fills *x for spec (a pbt search). Returns SW_OK or SW_ENOMEM; sw_pbt_index_free either way. */
int sw_pbt_index_init(sw_pbt_index *x, const sw_sweep_spec *spec, const char *dir);
void sw_pbt_index_free(sw_pbt_index *x);

/* Removes every member's snapshots (a finished search; SWEEP_TEST_PBT=keep keeps them). */
void sw_pbt_remove_snapshots(const sw_sweep_spec *spec, const char *dir);

/* Removes every member's snapshots and checkpoint, and DIR/pbt-replay.yaml, whatever the
 * test hooks (a changed search, forced: they are another population's). */
void sw_pbt_remove_states(const sw_sweep_spec *spec, const char *dir);

#endif
