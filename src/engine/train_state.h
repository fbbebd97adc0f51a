/* train_state.h: what a sw_train_state (train.h) holds, as a table of flat parts, for the
 * code that stores states (checkpoint.c) and the tests.
 *
 * A state is its parts and two numbers: the epochs completed (E) and the gradient records
 * made in them (R), which fix every part's length. The parts are a few of the run's own
 * (weights, optimizer moments and step count, random stream positions, best epoch and its
 * values, seconds of work) and every row of record.c's table that grows epoch by epoch
 * (the /history columns, the /gradients arrays): a new recorded quantity is checkpointed
 * without a change here. Part of the engine library: no I/O. */
#ifndef SWEEP_TRAIN_STATE_H
#define SWEEP_TRAIN_STATE_H

#include <stddef.h>

#include "config.h"
#include "record.h"
#include "train.h"

typedef struct {
    const char *path;    /* a name for it, as a dataset path: "/state/weights", "/history/lr" */
    sw_record_type type; /* record.h's element types (SW_REC_REAL: sw_real) */
    size_t count;        /* elements (may be 0: no gradient record yet) */
    void *data;          /* count elements of `type`, inside the state */
} sw_train_state_part;

/* More than any state has. */
#define SW_TRAIN_STATE_MAX_PARTS 64

/* The parts of `state` in a fixed order (the same for every state of one config), into
 * parts[0..max). Returns their number (at most SW_TRAIN_STATE_MAX_PARTS). The data
 * pointers point into the state: a writer only reads them; a reader fills a state it
 * made with sw_train_state_create through them. */
int sw_train_state_parts(const sw_train_state *state, sw_train_state_part *parts, int max);

/* Gradient records made in the state's epochs (R). */
int sw_train_state_records(const sw_train_state *state);

/* A zeroed state for a run of `cfg` (resolved as sw_train_run resolves it) at the end of
 * epoch `epoch` with `records` gradient records, to be filled through its parts. Returns
 * SW_OK; SW_EINVAL when epoch is not within 1..train.epochs-1 or records is not the number
 * of gradient records such a run makes by then; SW_ENOMEM. *out is NULL on error. */
int sw_train_state_create(const sw_config *cfg, int epoch, int records, sw_train_state **out);

#endif
