/* task.c: the synthetic tasks' generators and every task's layout (see task.h). */
#include "task.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"

/* The copy task's fixed parts (Arjovsky et al. 2016, memory_problem.py). */
enum { COPY_SYMBOLS = 10, COPY_ALPHABET = 8, COPY_DELIMITER = 9, COPY_CATEGORIES = 10 };

/* One row per task kind: what it is called and what it brings when the config leaves
 * a size at 0 ("the task's own"). 0 in `input` means the config's value is free (the
 * Gaussian tasks take any number of features); a file task's sizes come from its file. */
static const struct {
    const char *name;
    int seq_len, input, train_size, test_size;
    sw_target_kind target;
    int outputs;
} task_table[SW_TASK_COUNT] = {
    [SW_TASK_MEAN_SIGN] = {"mean_sign", 20, 10, 5000, 1000, SW_TARGET_CLASS_LAST, 2},
    [SW_TASK_FIRST_SIGN] = {"first_sign", 20, 10, 5000, 1000, SW_TARGET_CLASS_LAST, 2},
    [SW_TASK_ADDING] = {"adding", 20, 2, 5000, 1000, SW_TARGET_VALUE_LAST, 1},
    [SW_TASK_COPY] = {"copy", 20, COPY_CATEGORIES, 5000, 1000, SW_TARGET_CLASS_STEPS, COPY_ALPHABET + 1},
    [SW_TASK_FILE] = {"file", 0, 0, 0, 0, SW_TARGET_CLASS_LAST, 0},
};

const char *sw_task_name(sw_task_kind kind)
{
    return (unsigned)kind < SW_TASK_COUNT ? task_table[kind].name : "unknown";
}

sw_task_layout sw_task_layout_of(const sw_task_config *given)
{
    SW_ASSERT((unsigned)given->kind < SW_TASK_COUNT);
    /* Sizes left at 0 are the task's own (a file task's are resolved when it is read). */
    sw_task_config resolved = *given;
    if (resolved.kind != SW_TASK_FILE) sw_task_resolve(&resolved, NULL, NULL, 0, NULL);
    const sw_task_config *task = &resolved;
    sw_task_layout l = {task_table[task->kind].target, task->input_size, task->seq_len,
                        task_table[task->kind].outputs, 0};
    if (task->kind == SW_TASK_COPY) {
        l.steps = task->seq_len + 2 * COPY_SYMBOLS;
        l.scored_from = task->seq_len + COPY_SYMBOLS;
    } else if (task->kind == SW_TASK_FILE) {
        l.target = task->file_target;
        l.outputs = task->file_outputs;
    }
    return l;
}

sw_task_metric sw_task_metric_of(const sw_task_config *task)
{
    bool val = task->val_size > 0;
    if (sw_task_layout_of(task).target == SW_TARGET_VALUE_LAST)
        return (sw_task_metric){val ? "val_loss" : "test_loss", SW_METRIC_MIN};
    return (sw_task_metric){val ? "val_acc" : "test_acc", SW_METRIC_MAX};
}

const char *sw_metric_mode_name(sw_metric_mode mode)
{
    static const char *names[SW_METRIC_MODE_COUNT] = {"max", "min"};
    return (unsigned)mode < SW_METRIC_MODE_COUNT ? names[mode] : "unknown";
}

double sw_task_baseline_loss(const sw_task_config *task)
{
    switch (task->kind) {
    case SW_TASK_ADDING: return 1.0 / 6.0;
    case SW_TASK_COPY: return COPY_SYMBOLS * log((double)COPY_ALPHABET) / (task->seq_len + 2.0 * COPY_SYMBOLS);
    default: return NAN;
    }
}

/* Resolves one size: 0 takes `own`; an explicit value must equal `own` when `fixed`
 * (the task decides it) and may be at most `own` when `at_most` (a prefix of a file). */
static int resolve_size(int *value, int own, bool fixed, bool at_most, const char *key, const char *what,
                        char *err, size_t errlen, const char **bad_key)
{
    if (*value == 0) {
        *value = own;
        return SW_OK;
    }
    if ((fixed && *value != own) || (at_most && *value > own)) {
        *bad_key = key;
        sw_set_error(err, errlen, "%s: %d %s %d %s; allowed: %s%d, or leave it out", key, *value,
                     fixed ? "differs from the task's" : "is more than the", own, what, at_most ? "at most " : "", own);
        return SW_ECONFIG;
    }
    return SW_OK;
}

int sw_task_resolve(sw_task_config *t, const sw_data_shape *file, char *err, size_t errlen, const char **bad_key)
{
    const char *dummy;
    if (!bad_key) bad_key = &dummy;
    *bad_key = NULL;
    SW_ASSERT((unsigned)t->kind < SW_TASK_COUNT);
    bool is_file = t->kind == SW_TASK_FILE;
    if (!is_file && t->path[0]) {
        *bad_key = "task.path";
        sw_set_error(err, errlen, "task.path: only task.kind file reads a data file (task.kind is %s); remove "
                     "task.path or set task.kind: file", sw_task_name(t->kind));
        return SW_ECONFIG;
    }
    if (is_file && (!t->path[0] || !file)) {
        *bad_key = t->path[0] ? "task.path" : "task.kind";
        sw_set_error(err, errlen, "%s: task.kind file needs task.path, the HDF5 data file or IDX directory to train on",
                     *bad_key);
        return SW_ECONFIG;
    }
    int own_T = is_file ? file->seq_len : task_table[t->kind].seq_len;
    int own_I = is_file ? file->input : task_table[t->kind].input;
    /* A file's validation set is the end of its training set, so training keeps the rows
     * before it and at least one is left. */
    if (is_file && t->val_size >= file->n_train) {
        *bad_key = "task.val_size";
        sw_set_error(err, errlen, "task.val_size: %d is not less than the %d training sequences in the file (the "
                     "validation set is the last task.val_size of them); allowed: 0 to %d", t->val_size,
                     file->n_train, file->n_train - 1);
        return SW_ECONFIG;
    }
    int own_train = is_file ? file->n_train - t->val_size : task_table[t->kind].train_size;
    int own_test = is_file ? file->n_test : task_table[t->kind].test_size;
    bool input_fixed = t->kind != SW_TASK_MEAN_SIGN && t->kind != SW_TASK_FIRST_SIGN;
    const char *steps = is_file ? "steps per sequence in the file" : "steps";
    int rc;
    if ((rc = resolve_size(&t->seq_len, own_T, is_file, false, "task.seq_len", steps, err, errlen, bad_key)) ||
        (rc = resolve_size(&t->input_size, own_I, input_fixed, false, "task.input_size", "input features", err,
                           errlen, bad_key)) ||
        (rc = resolve_size(&t->train_size, own_train, false, is_file, "task.train_size",
                           t->val_size ? "training sequences in the file before its validation set"
                                       : "training sequences in the file", err, errlen, bad_key)) ||
        (rc = resolve_size(&t->test_size, own_test, false, is_file, "task.test_size", "test sequences in the file",
                           err, errlen, bad_key)))
        return rc;
    if (is_file) {
        t->file_target = file->target;
        t->file_outputs = file->outputs;
    }
    return SW_OK;
}

/* mean_sign, first_sign: Gaussian inputs, the label from the stored float values, so it
 * is exactly what the network sees. */
static void generate_sign(sw_dataset *d, const sw_task_config *task, sw_rng *rng)
{
    size_t per_seq = (size_t)d->seq_len * (size_t)d->input;
    size_t label_values = per_seq;
    if (task->kind == SW_TASK_FIRST_SIGN) {
        int k = task->signal_steps < task->seq_len ? task->signal_steps : task->seq_len;
        label_values = (size_t)k * (size_t)task->input_size;
    }
    for (int s = 0; s < d->n; s++) {
        float *xs = d->x + (size_t)s * per_seq;
        double sum = 0;
        for (size_t j = 0; j < per_seq; j++) {
            xs[j] = (float)sw_rng_normal(rng);
            if (j < label_values) sum += xs[j];
        }
        d->y[s] = sum > 0.0;
    }
}

/* adding: per sequence T uniform values, then the two marker positions; the target is
 * summed from the stored floats. With T = 1 both markers fall on the one step. */
static void generate_adding(sw_dataset *d, sw_rng *rng)
{
    int T = d->seq_len, half = T / 2 > 0 ? T / 2 : 1;
    for (int s = 0; s < d->n; s++) {
        float *xs = d->x + (size_t)s * T * 2;
        for (int t = 0; t < T; t++) {
            xs[2 * t] = (float)sw_rng_uniform(rng);
            xs[2 * t + 1] = 0;
        }
        int first = (int)sw_rng_below(rng, (uint32_t)half);
        int second = T > 1 ? half + (int)sw_rng_below(rng, (uint32_t)(T - half)) : 0;
        xs[2 * first + 1] = 1;
        xs[2 * second + 1] = 1;
        d->v[s] = (float)((double)xs[2 * first] + (first == second ? 0.0 : (double)xs[2 * second]));
    }
}

/* copy: symbols, blanks, delimiter, blanks as one-hot rows; targets blank then symbols. */
static void generate_copy(sw_dataset *d, const sw_task_config *task, sw_rng *rng)
{
    int T = d->seq_len, delay = task->seq_len, C = COPY_CATEGORIES;
    memset(d->x, 0, (size_t)d->n * T * C * sizeof(float));
    memset(d->y, 0, (size_t)d->n * T * sizeof(int32_t));
    for (int s = 0; s < d->n; s++) {
        float *xs = d->x + (size_t)s * T * C;
        int32_t *ys = d->y + (size_t)s * T;
        for (int t = 0; t < T; t++) {
            int symbol = 0;
            if (t < COPY_SYMBOLS) {
                symbol = 1 + (int)sw_rng_below(rng, COPY_ALPHABET);
                ys[delay + COPY_SYMBOLS + t] = symbol;
            } else if (t == COPY_SYMBOLS + delay - 1) {
                symbol = COPY_DELIMITER;
            }
            xs[(size_t)t * C + symbol] = 1;
        }
    }
}

int sw_dataset_generate(sw_dataset *d, const sw_task_config *task, int n, uint64_t seed,
                        uint32_t stream)
{
    memset(d, 0, sizeof *d);
    sw_task_layout lay = sw_task_layout_of(task);
    SW_ASSERT(n >= 0 && lay.steps >= 1 && lay.input >= 1 && task->kind != SW_TASK_FILE);
    size_t per_seq = (size_t)lay.steps * (size_t)lay.input;
    size_t per_target = lay.target == SW_TARGET_CLASS_STEPS ? (size_t)lay.steps : 1;
    d->x = malloc((size_t)n * per_seq * sizeof *d->x + 1);
    if (lay.target == SW_TARGET_VALUE_LAST)
        d->v = malloc((size_t)n * lay.outputs * sizeof *d->v + 1);
    else
        d->y = malloc((size_t)n * per_target * sizeof *d->y + 1);
    if (!d->x || (!d->y && !d->v)) {
        sw_dataset_free(d);
        return SW_ENOMEM;
    }
    d->n = n;
    d->seq_len = lay.steps;
    d->input = lay.input;
    d->target = lay.target;
    d->outputs = lay.outputs;
    sw_rng rng;
    sw_rng_init(&rng, seed, stream);
    switch (task->kind) {
    case SW_TASK_ADDING: generate_adding(d, &rng); break;
    case SW_TASK_COPY: generate_copy(d, task, &rng); break;
    default: generate_sign(d, task, &rng); break;
    }
    return SW_OK;
}

sw_dataset sw_dataset_view(const sw_dataset *d, int first, int n)
{
    SW_ASSERT(first >= 0 && n >= 0 && first + n <= d->n);
    sw_dataset v = *d;
    size_t per_target = d->target == SW_TARGET_CLASS_STEPS ? (size_t)d->seq_len : 1;
    v.n = n;
    v.x = d->x + (size_t)first * d->seq_len * d->input;
    v.y = d->y ? d->y + (size_t)first * per_target : NULL;
    v.v = d->v ? d->v + (size_t)first * d->outputs : NULL;
    v.borrowed = 1;
    return v;
}

void sw_dataset_free(sw_dataset *d)
{
    if (!d) return;
    if (!d->borrowed) {
        free(d->x);
        free(d->y);
        free(d->v);
    }
    memset(d, 0, sizeof *d);
}
