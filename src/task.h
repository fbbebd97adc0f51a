/* task.h: the synthetic sequence-classification tasks.
 *
 * mean_sign:  x ~ N(0,1) i.i.d., shape (N,T,I); label 1 when the mean of all T*I values
 *             is > 0, else 0 (the seed experiment).
 * first_sign: same inputs; label 1 when the mean of the first k = task.signal_steps steps
 *             (k*I values) is > 0. Steps k+1..T are pure noise the network must carry the
 *             answer across, so accuracy measures memory over T-k steps. */
#ifndef SWEEP_TASK_H
#define SWEEP_TASK_H

#include <stdint.h>

#include "config.h"

typedef struct {
    int n, seq_len, input;
    float *x;   /* (N,T,I) */
    int32_t *y; /* (N) in {0,1} */
} sw_dataset;

/* Generates n sequences of `task` from stream `stream` of `seed` into d (allocated here;
 * release with sw_dataset_free). Returns SW_OK or SW_ENOMEM. */
int sw_dataset_generate(sw_dataset *d, const sw_task_config *task, int n, uint64_t seed,
                        uint32_t stream);

/* NULL-tolerant; leaves *d zeroed. */
void sw_dataset_free(sw_dataset *d);

/* "mean_sign", "first_sign". */
const char *sw_task_name(sw_task_kind kind);

#endif
