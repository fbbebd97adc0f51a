/* task.h: the tasks a run trains on: their data and what the network must predict.
 *
 * mean_sign:  x ~ N(0,1) i.i.d., shape (N,T,I); label 1 when the mean of all T*I values
 *             is > 0, else 0 (the seed experiment).
 * first_sign: same inputs; label 1 when the mean of the first k = task.signal_steps steps
 *             (k*I values) is > 0. Steps k+1..T are pure noise the network must carry the
 *             answer across, so accuracy measures memory over T-k steps.
 * adding:     (Arjovsky, Shah & Bengio 2016) each step is (value ~ U[0,1], marker); one
 *             marker is 1 in [0, T/2) and one in [T/2, T); the target is the sum of the
 *             two marked values, predicted at the last step (MSE). Always answering 1
 *             gives MSE 1/6, the baseline.
 * copy:       (same paper) 10 symbols from 1..8, T-1 blanks (0), the delimiter 9, 10
 *             blanks: T+20 steps, one-hot over 10 categories; the target is blank (0) for
 *             T+10 steps, then the 10 symbols; a 9-way prediction at every step, loss
 *             averaged over all T+20 steps, accuracy over the 10 recalled symbols only.
 *             Baseline (blanks, then uniform guesses): 10 ln 8 / (T+20).
 * file:       the user's own data (data.h reads it; the engine only sees sw_dataset). */
#ifndef SWEEP_TASK_H
#define SWEEP_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The shape of a task's sequences and targets, derived from its config (and, for file
 * tasks, from the data file's shape recorded in it). */
typedef struct {
    sw_target_kind target;
    int input;       /* I features per step */
    int steps;       /* T steps per sequence (copy: seq_len + 20) */
    int outputs;     /* classes C, or regression values K */
    int scored_from; /* CLASS_STEPS: first step counted in the accuracy */
} sw_task_layout;

sw_task_layout sw_task_layout_of(const sw_task_config *task);

/* What a data file holds, as sw_task_resolve needs it (data.h fills it in). */
typedef struct {
    sw_target_kind target;
    int outputs;          /* classes C or regression values K */
    int seq_len, input;   /* T, I */
    int n_train, n_test;
} sw_data_shape;

/* Fills in the sizes the config left at 0 with the task's own (task.seq_len,
 * input_size, train_size, test_size; for a file task, its file's) and records a file's
 * targets; checks explicit ones against what the task fixes (adding has 2 inputs, copy
 * 10, a file its own T and I; a file's train/test sizes take at most its sequences, the
 * first ones; task.val_size takes the file's last training sequences, which the training
 * set then leaves out). `file` is NULL except for file tasks. Idempotent. Returns SW_OK or
 * SW_ECONFIG with the message in err and the key most responsible in *bad_key. */
int sw_task_resolve(sw_task_config *task, const sw_data_shape *file, char *err, size_t errlen,
                    const char **bad_key);

/* The quantity a task's runs are selected by: test accuracy (higher is better) for
 * classification, test loss (lower is better) for regression; with a validation set
 * (task.val_size > 0) the validation accuracy or loss instead, so that selection never
 * reads the test set. */
typedef enum { SW_METRIC_MAX, SW_METRIC_MIN, SW_METRIC_MODE_COUNT } sw_metric_mode;
typedef struct {
    const char *name;    /* a /history column: "test_acc", "test_loss", "val_acc" or "val_loss" */
    sw_metric_mode mode;
} sw_task_metric;

sw_task_metric sw_task_metric_of(const sw_task_config *task);

/* "max", "min". */
const char *sw_metric_mode_name(sw_metric_mode mode);

/* Baseline loss of a task (what a constant answer scores), or NaN when it has none:
 * adding 1/6, copy 10 ln 8 / (T+20). */
double sw_task_baseline_loss(const sw_task_config *task);

/* A set of sequences with their targets. Arrays are owned unless `borrowed` (a file
 * task's data, shared read-only by every run of the process). */
typedef struct sw_dataset {
    int n, seq_len, input;
    sw_target_kind target;
    int outputs;
    float *x;   /* (N,T,I) */
    int32_t *y; /* CLASS_LAST (N); CLASS_STEPS (N,T); NULL for VALUE_LAST */
    float *v;   /* VALUE_LAST (N,K); NULL otherwise */
    int borrowed;
} sw_dataset;

/* Rows [first, first+n) of `d` as a borrowed view (no copy). */
sw_dataset sw_dataset_view(const sw_dataset *d, int first, int n);



/* Generates n sequences of a synthetic `task` (not file) from stream `stream` of `seed`
 * into d (allocated here; release with sw_dataset_free). Returns SW_OK or SW_ENOMEM. */
int sw_dataset_generate(sw_dataset *d, const sw_task_config *task, int n, uint64_t seed,
                        uint32_t stream);

/* NULL-tolerant; leaves *d zeroed. */
void sw_dataset_free(sw_dataset *d);

/* "mean_sign", "first_sign", "adding", "copy", "file". */
const char *sw_task_name(sw_task_kind kind);

#endif
