/* task.c: the synthetic tasks' generators and every task's layout (see task.h). */
#include "task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"

/* The copy task's fixed parts (Arjovsky et al. 2016, memory_problem.py). */
enum { COPY_SYMBOLS = 10, COPY_ALPHABET = 8, COPY_DELIMITER = 9, COPY_CATEGORIES = 10 };

const char *sw_task_name(sw_task_kind kind)
{
    static const char *names[SW_TASK_COUNT] = {"mean_sign", "first_sign", "adding", "copy", "file"};
    return (unsigned)kind < SW_TASK_COUNT ? names[kind] : "unknown";
}

sw_task_layout sw_task_layout_of(const sw_task_config *task)
{
    sw_task_layout l = {SW_TARGET_CLASS_LAST, task->input_size, task->seq_len, 2, 0};
    switch (task->kind) {
    case SW_TASK_ADDING:
        l.target = SW_TARGET_VALUE_LAST;
        l.input = 2;
        l.outputs = 1;
        break;
    case SW_TASK_COPY:
        l.target = SW_TARGET_CLASS_STEPS;
        l.input = COPY_CATEGORIES;
        l.steps = task->seq_len + 2 * COPY_SYMBOLS;
        l.outputs = COPY_ALPHABET + 1; /* blank and the 8 symbols: the delimiter is never a target */
        l.scored_from = task->seq_len + COPY_SYMBOLS;
        break;
    case SW_TASK_FILE:
        l.target = task->file_target;
        l.outputs = task->file_outputs;
        break;
    default: break;
    }
    return l;
}

double sw_task_baseline_loss(const sw_task_config *task)
{
    switch (task->kind) {
    case SW_TASK_ADDING: return 1.0 / 6.0;
    case SW_TASK_COPY: return COPY_SYMBOLS * log((double)COPY_ALPHABET) / (task->seq_len + 2.0 * COPY_SYMBOLS);
    default: return NAN;
    }
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
