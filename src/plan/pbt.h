/* pbt.h: population-based training (Jaderberg et al. 2017) as pure functions: which keys a
 * member may change while it trains, the generations' epochs, and the decision taken at
 * each generation's barrier.
 *
 * A pbt search (search.kind pbt, sample.h's keys) trains `population` members side by
 * side; each starts from a random point of space: (the random kind's points of the search
 * seed). Every `interval` epochs all members reach a barrier (a rung, as early stopping's,
 * stopping.h), and there sw_pbt_decide ranks them by the selection metric recorded at that
 * epoch (ties by member index) and takes, for each of the bottom `quantile`, a donor drawn
 * from the top `quantile`: the member continues from the donor's weights, optimizer
 * moments and step counters at exactly that epoch (its own data order and history kept)
 * with the donor's values of the space's keys, each perturbed: multiplied by one of
 * `factors`, or with probability `resample` drawn again from space:, then clamped to the
 * space's bounds (a choice moves to a neighbouring value or is drawn again). Every draw
 * comes from Philox blocks keyed on (search seed, generation, member), so the decisions
 * are a function of the recorded metrics alone: the same for -j 1, -j 2, MPI ranks, shards
 * and after kill -9 and resume.
 *
 * The keys a space may hold are declared in one table (sw_pbt_keys): those that leave the
 * network's shape, its data and its parameters' meaning alone. */
#ifndef SWEEP_PBT_H
#define SWEEP_PBT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sample.h"
#include "task.h"
#include "tpe.h"

/* One key a pbt member may change between generations, and why it may. */
typedef struct {
    const char *key;
    const char *why;
} sw_pbt_key;

extern const sw_pbt_key sw_pbt_keys[];
extern const size_t sw_pbt_keys_len;

/* The row of key `key` ("train.lr"), or NULL when a pbt space may not hold it. */
const sw_pbt_key *sw_pbt_key_find(const char *key);

/* "train.lr, train.clip, ..." (every row) into out. */
void sw_pbt_key_list(char *out, size_t outlen);

/* Generations: the most barriers a pbt search may have (the early-stopping plan's rungs,
 * its last one the end of training). */
#define SW_PBT_MAX_GENERATIONS 255
#define SW_PBT_MAX_GENERATIONS_TEXT "255" /* sample.c's doc of search.interval says it too */

/* The barriers of a pbt search trained for `epochs` epochs with `interval`: interval *
 * k below epochs, then epochs, into at[] (SW_PBT_MAX_GENERATIONS + 1 entries). Returns
 * their count, or 0 when there would be more than SW_PBT_MAX_GENERATIONS. Generation g
 * (from 0) trains epochs at[g-1]+1 .. at[g] (at[-1] = 0); the decision between
 * generations g and g+1 is taken at at[g]. */
int sw_pbt_barriers(int epochs, int interval, int *at);

/* search.factors' text ("[0.8, 1.2]", "0.8,1.2" or "1.2") into f[0..SW_PBT_MAX_FACTORS),
 * their number into *n. Returns SW_OK, or SW_ECONFIG with "search.factors: ..." in err
 * (not numbers, none, more than SW_PBT_MAX_FACTORS, a factor <= 0 or not finite). */
int sw_pbt_parse_factors(const char *text, double *f, int *n, char *err, size_t errlen);

/* The setting of one population's decisions. */
typedef struct {
    int population;
    int n_dims;
    const sw_tpe_dim *dims; /* per key of space: its distribution and bounds (choice: indices) */
    double quantile, resample;
    double factors[SW_PBT_MAX_FACTORS];
    int n_factors;
    uint64_t seed;
    sw_metric_mode mode;    /* max: a higher metric ranks first */
} sw_pbt_setup;

/* The members exploiting (and the donors to draw from) at each barrier:
 * max(1, floor(quantile * population)). */
int sw_pbt_quota(const sw_pbt_setup *s);

/* One member at one barrier. */
typedef struct {
    double metric; /* its metric at the barrier's epoch (NaN: diverged or not recorded) */
    int rank;      /* 0 the best; ties by member index, NaN last */
    int donor;     /* the member whose state it continues from; -1: its own */
} sw_pbt_move;

/* The decision at barrier `generation` (from 1: the barrier after generation 0): metric[i]
 * member i's metric there, open[i] whether it trains on (a diverged member's file is final:
 * it neither exploits nor gives), values[i * n_dims + d] its values in generation - 1
 * (choice: the index). Fills move[i] and next[i * n_dims + d] (its values in the next
 * generation: its own, or its donor's explored). A member exploits when it is in the bottom
 * quota, open, and the donor drawn for it (from the top quota's open members with a number
 * as metric) exists. Pure. Returns SW_OK or SW_ENOMEM. */
int sw_pbt_decide(const sw_pbt_setup *s, int generation, const double *metric, const bool *open,
                  const double *values, sw_pbt_move *move, double *next);

/* Value v (the donor's) of dimension d explored for member `member` at barrier
 * `generation`, as sw_pbt_decide does it: Philox block {generation, member, 1 + d} under the
 * seed gives a coin (resample when below s->resample) and a uniform u (the value drawn
 * again, the factor floor(u * n_factors), or a choice's neighbour: down when u < 0.5;
 * the one neighbour at an end). Block {generation, member, 0} draws the donor. */
double sw_pbt_explore(const sw_pbt_setup *s, int generation, int member, int d, double v);

/* Writes the keys a pbt space may hold (`sweep help keys`). */
void sw_pbt_print_keys(FILE *f);

#endif
