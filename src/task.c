#include "task.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "rng.h"

const char *sw_task_name(sw_task_kind kind)
{
    static const char *names[SW_TASK_COUNT] = {"mean_sign", "first_sign"};
    return (unsigned)kind < SW_TASK_COUNT ? names[kind] : "unknown";
}

int sw_dataset_generate(sw_dataset *d, const sw_task_config *task, int n, uint64_t seed,
                        uint32_t stream)
{
    memset(d, 0, sizeof *d);
    SW_ASSERT(n >= 0 && task->seq_len >= 1 && task->input_size >= 1);
    size_t per_seq = (size_t)task->seq_len * (size_t)task->input_size;
    d->x = malloc((size_t)n * per_seq * sizeof *d->x + 1);
    d->y = malloc((size_t)n * sizeof *d->y + 1);
    if (!d->x || !d->y) {
        sw_dataset_free(d);
        return SW_ENOMEM;
    }
    d->n = n;
    d->seq_len = task->seq_len;
    d->input = task->input_size;
    size_t label_values = per_seq;
    if (task->kind == SW_TASK_FIRST_SIGN) {
        int k = task->signal_steps < task->seq_len ? task->signal_steps : task->seq_len;
        label_values = (size_t)k * (size_t)task->input_size;
    }
    sw_rng rng;
    sw_rng_init(&rng, seed, stream);
    for (int s = 0; s < n; s++) {
        float *xs = d->x + (size_t)s * per_seq;
        double sum = 0;
        for (size_t j = 0; j < per_seq; j++) {
            xs[j] = (float)sw_rng_normal(&rng);
            /* The label is computed from the stored float values, so it is exactly
             * what the network sees. */
            if (j < label_values) sum += xs[j];
        }
        d->y[s] = sum > 0.0;
    }
    return SW_OK;
}

void sw_dataset_free(sw_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}
