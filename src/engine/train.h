/* train.h: one training run, start to finish, and everything it records.
 *
 * sw_train_run() generates the run's data from its seed, builds the model, trains for
 * train.epochs epochs (evaluating on the test set after each), and fills a sw_run_result
 * with the history, the final and best weights, the probe set's hidden states and the
 * per-timestep gradients. It is pure computation: no files, no globals, no printing, so
 * runs are independent and bit-identical whatever thread runs them. */
#ifndef SWEEP_TRAIN_H
#define SWEEP_TRAIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "record.h"

/* Everything a run needs to continue from the end of an epoch, or from between two
 * training steps of an epoch, as if it had never stopped: its weights, the optimizer's
 * moments and step count, the positions of its random streams (batch order, dropout; the
 * data streams are regenerated from the seed), and what it recorded so far (history, best
 * epoch and weights, gradient records); inside an epoch also the epoch's batch order (the
 * permutation and its position) and what its steps added up so far (loss, gradient norms,
 * samples and correct predictions, seconds). Opaque; its contents are listed below as a
 * table of flat parts, for the code that stores states (checkpoint.c) and the tests. */
typedef struct sw_train_state sw_train_state;

/* The epochs the run had completed when the state was taken (E >= 0). */
int sw_train_state_epoch(const sw_train_state *state);

/* The training steps of epoch E+1 done when the state was taken: 0 at an epoch boundary,
 * up to the steps per epoch (all done, the epoch's evaluation not yet). E and S are never
 * both 0. */
int sw_train_state_step(const sw_train_state *state);

/* Training steps per epoch of a run of `cfg`: train.steps_per_epoch, or with 0 one full
 * pass over task.train_size in batches of train.batch (the last one partial). */
int sw_train_steps_per_epoch(const sw_config *cfg);

/* A copy of `state` that the caller owns (a state passed to on_checkpoint is only valid
 * during the call): SW_OK, or SW_ENOMEM with *out NULL. */
int sw_train_state_clone(const sw_train_state *state, sw_train_state **out);

/* Frees a state made by sw_train_state_clone or sw_checkpoint_read; NULL-tolerant. */
void sw_train_state_free(sw_train_state *state);

/* A state as flat parts. A state is its parts and three numbers: the epochs completed (E),
 * the steps of the next epoch done (S) and the gradient records made (R), which fix every
 * part's length (with the config's sizes; the batch order has task.train_size values). The parts are
 * a few of the run's own (weights, optimizer moments and step count, random stream
 * positions, best epoch and its values, seconds of work) and every row of record.c's table
 * that grows epoch by epoch (the /history columns, the /gradients arrays): a new recorded
 * quantity is checkpointed without a change here. */
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

/* A zeroed state for a run of `cfg` (resolved as sw_train_run resolves it) after `epoch`
 * epochs and `step` steps of the next with `records` gradient records, to be filled
 * through its parts. Returns SW_OK; SW_EINVAL when epoch is not within 0..train.epochs-1,
 * step not within 0..steps per epoch, both are 0, or records is not the number of
 * gradient records such a run makes by then; SW_ENOMEM. *out is NULL on error. */
int sw_train_state_create(const sw_config *cfg, int epoch, int step, int records, sw_train_state **out);

/* The checkpoint rule: after epoch e a run calls hooks->on_checkpoint when
 *   - e is a multiple of record.checkpoint_every (> 0), e is not its last epoch, and the
 *     epochs since its previous checkpoint (or its start, or its resumption) took at least
 *     SW_CHECKPOINT_MIN_SECONDS of wall time, so that short epochs are not slowed down by
 *     writing one after each; or
 *   - e is hooks->until_epoch < train.epochs (the run stops there; early stopping resumes
 *     a promoted run from it), whatever checkpoint_every; or
 *   - hooks->stop asked it to stop (a signal), whatever checkpoint_every,
 * once per epoch at most (hooks->checkpoint_unthrottled drops the floor of the first case).
 * A stop request is also heard inside an epoch: before every training step and every chunk
 * of the epoch's evaluation. The run then saves its state there (E epochs and S steps of the
 * next; S = the steps per epoch when it stopped in the evaluation, which is redone whole),
 * unless that is where it started (nothing to save) and returns SW_EINTERRUPTED: so a run
 * stops within one training step (or evaluation chunk) of the request, whatever its epochs
 * take. Where checkpoints fall never changes a result. */
#define SW_CHECKPOINT_MIN_SECONDS 1.0

/* Reported after every epoch; may be NULL. Called from the thread running the run. */
typedef void (*sw_epoch_callback)(void *ctx, int epoch, const sw_history *history);

/* Reported after every training step (`step` of epoch `epoch`, from 1); may be NULL. Called
 * from the thread running the run, so it must cost little (a step can take 1 ms). */
typedef void (*sw_step_callback)(void *ctx, int epoch, int step);

typedef struct {
    sw_epoch_callback on_epoch;
    sw_step_callback on_step;
    void *ctx; /* on_epoch's and on_step's */
    /* When non-NULL and set non-zero by another thread or a signal handler, the run stops
     * before its next training step (or evaluation chunk), saves its state there through
     * on_checkpoint (the rule above) and returns SW_EINTERRUPTED. */
    const atomic_int *stop;
    /* task.kind file: the data file's training and test sets, loaded once per process and
     * shared read-only by every run (the run takes the first task.train_size and
     * task.test_size rows, its probe set from the first test rows and its validation set
     * from the last task.val_size training rows). */
    const struct sw_dataset *train_data, *test_data;
    /* When non-NULL: how many threads the run may use, asked before every training step
     * and every evaluation or recording pass (a pass shares its batch between them, see
     * model.h). The answer may change during the run: results do not depend on it. The run
     * uses that many threads when threads_exact, else that many or one, whichever its
     * training steps have measured faster (on a machine busy with other work, passes split
     * between threads wait for each other's preempted threads and can be slower). */
    int (*threads)(void *threads_ctx);
    void *threads_ctx;
    bool threads_exact;
    /* 0: train for train.epochs. 1 <= until_epoch < train.epochs: stop after that epoch with
     * status SW_RUN_STOPPED; the result is what the full run holds at that epoch (history,
     * best weights and gradient records so far; final weights and the probe's hidden states
     * at that epoch), since learning-rate schedules are defined on train.epochs. */
    int until_epoch;
    /* Non-NULL: continue from this state (taken from a run of the same config) instead of
     * starting at epoch 0; the result is then bit-identical to the uninterrupted run's,
     * history and gradient records included. until_epoch, when set, must be later than its
     * epoch. The caller keeps ownership. */
    const sw_train_state *resume;
    /* Called at the epochs the checkpoint rule above picks, on the run's thread, with the
     * state at the end of that epoch, valid only during the call (the callee writes it out
     * or clones it). A non-zero return (an SW_E* code) fails the run: status FAILED, error
     * "saving a checkpoint: ...". */
    int (*on_checkpoint)(void *checkpoint_ctx, const sw_train_state *state);
    void *checkpoint_ctx;
    /* For tests only (testhook.h, SWEEP_TEST_CHECKPOINTS): true drops the rule's floor of
     * SW_CHECKPOINT_MIN_SECONDS, so that record.checkpoint_every alone places checkpoints,
     * however fast the machine. false (zero-initialised) everywhere else. */
    bool checkpoint_unthrottled;
} sw_train_hooks;

/* Trains one run of `cfg` (which must have passed sw_config_validate).
 * `result` is initialised here; the caller releases it with sw_run_result_free() whatever
 * the return value. Returns SW_OK when the run completed or diverged (result->status says
 * which), SW_EINTERRUPTED when stopped through hooks->stop, or another SW_E* code (result->
 * status is FAILED and result->error says why). With hooks->resume, wall_seconds counts
 * the work before the state too. */
int sw_train_run(const sw_config *cfg, const sw_train_hooks *hooks, sw_run_result *result);

/* Frees what a result owns; NULL-tolerant; leaves *result zeroed. */
void sw_run_result_free(sw_run_result *result);

#endif
