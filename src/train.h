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

typedef enum {
    SW_RUN_DONE,     /* all epochs completed */
    SW_RUN_DIVERGED, /* loss became NaN/Inf; history holds the epochs before it */
    SW_RUN_FAILED,   /* an error stopped it; `error` says why */
    SW_RUN_STOPPED,  /* trained up to hooks->until_epoch < train.epochs (early stopping's rungs):
                        an exact prefix of the same run trained to the end */
    SW_RUN_STATUS_COUNT
} sw_run_status;

/* "done", "diverged", "failed", "stopped". */
const char *sw_run_status_name(sw_run_status status);

/* Per-epoch record (index e is epoch e+1). Every array here and in sw_run_result is a row
 * of record.c's table, which allocates, frees, writes and reads them: a new recorded array
 * is a field here plus a row there. */
typedef struct {
    int epochs;         /* epochs completed (length of every array below) */
    int capacity;
    double *train_loss; /* mean over the epoch's batches */
    double *train_acc;  /* fraction in [0,1] over the samples seen */
    double *test_loss;
    double *test_acc;
    double *lr;         /* learning rate used in the epoch */
    double *grad_norm;  /* mean global gradient norm over the epoch's steps (before clipping) */
    double *grad_norm_max; /* largest global gradient norm of the epoch's steps (before clipping) */
    double *seconds;    /* wall seconds of the epoch (training and evaluation) */
    double *val_loss;   /* validation set (task.val_size > 0), evaluation mode; NaN without one */
    double *val_acc;
} sw_history;

typedef struct {
    sw_run_status status;
    char error[256];      /* FAILED: the reason; DIVERGED: where it happened */

    sw_history history;
    /* The best epoch by the task's metric (task.h: test accuracy, highest; regression: test
     * loss, lowest; with a validation set, its accuracy or loss), earliest on ties; 0 if
     * none. best_metric is the metric's value there, best_test_* the test set's. */
    int best_epoch;
    double best_metric;
    double best_test_acc, best_test_loss, final_test_acc, final_train_acc;
    double wall_seconds;  /* whole run, including data generation */

    /* Parameters, each a flat buffer of param_count values in the order and layout of
     * model.h's tensor table (PyTorch state-dict layout). */
    size_t param_count;
    sw_real *weights_final;
    sw_real *weights_best;   /* copy taken at the end of the best epoch */

    /* Probe set: P sequences from the test distribution with their own random stream. */
    int probe_size;          /* P */
    float *probe_inputs;     /* (P,T,I) */
    int32_t *probe_labels;   /* (P) a last-step classifier's classes; -1 for other tasks */
    float *probe_targets;    /* (P,Y) the task's targets: Y = 1 class or K values at the last
                                step, or T classes, one per step */
    float *hidden_final;     /* (L,P,T,H) every layer's h_t, eval mode, final weights */
    float *hidden_best;      /* (L,P,T,H) same with the best weights */
    float *attention_final;  /* (L,A,T,T) transformer: attention weights, mean over the
                                probe set, eval mode, final weights (A = 0 otherwise) */
    float *attention_best;   /* (L,A,T,T) same with the best weights */

    /* Per-timestep gradients on the probe set, eval mode, at the end of recorded epochs. */
    int grad_records;        /* R */
    int grad_capacity;
    int32_t *grad_epoch;     /* (R) epochs recorded, from 1 */
    float *dloss_dh_norm;    /* (R,L,T) (1/P) sum_b ||d l_b / d h_{b,t}||_2 */
    float *dloss_dh;         /* (R,L,T,H) (1/P) sum_b d l_b / d h_{b,t} */
    float *dloss_dx_norm;    /* (R,T) (1/P) sum_b ||d l_b / d x_{b,t}||_2 */
    float *dW_hh_norm;       /* (R,L,T) Frobenius norm of step t's term of d(mean l)/dW_hh */
} sw_run_result;

/* Everything a run needs to continue from the end of an epoch as if it had never stopped:
 * its weights, the optimizer's moments and step count, the positions of its random streams
 * (batch order, dropout; the data streams are regenerated from the seed), and what it
 * recorded so far (history, best epoch and weights, gradient records). Opaque;
 * train_state.h lists its contents for checkpoint.c, which saves it to disk. */
typedef struct sw_train_state sw_train_state;

/* The epochs the run had completed when the state was taken (>= 1). */
int sw_train_state_epoch(const sw_train_state *state);

/* A copy of `state` that the caller owns (a state passed to on_checkpoint is only valid
 * during the call): SW_OK, or SW_ENOMEM with *out NULL. */
int sw_train_state_clone(const sw_train_state *state, sw_train_state **out);

/* Frees a state made by sw_train_state_clone or sw_checkpoint_read; NULL-tolerant. */
void sw_train_state_free(sw_train_state *state);

/* The checkpoint rule: after epoch e a run calls hooks->on_checkpoint when
 *   - e is a multiple of record.checkpoint_every (> 0), e is not its last epoch, and the
 *     epochs since its previous checkpoint (or its start, or its resumption) took at least
 *     SW_CHECKPOINT_MIN_SECONDS of wall time, so that short epochs are not slowed down by
 *     writing one after each; or
 *   - e is hooks->until_epoch < train.epochs (the run stops there; early stopping resumes
 *     a promoted run from it), whatever checkpoint_every; or
 *   - hooks->stop asked it to stop after e (Ctrl-C), whatever checkpoint_every,
 * once per epoch at most (hooks->checkpoint_unthrottled drops the floor of the first case).
 * Where checkpoints fall never changes a result. */
#define SW_CHECKPOINT_MIN_SECONDS 1.0

/* Reported after every epoch; may be NULL. Called from the thread running the run. */
typedef void (*sw_epoch_callback)(void *ctx, int epoch, const sw_history *history);

typedef struct {
    sw_epoch_callback on_epoch;
    void *ctx;
    /* When non-NULL and set non-zero by another thread or a signal handler, the run
     * stops at the next epoch boundary and returns SW_EINTERRUPTED. */
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
